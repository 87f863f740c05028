//! Evidence that a handler declares a permission (DESIGN.md §4 "Handlers").

use super::endpoints::Endpoint;
use crate::callgraph::CallGraph;
use crate::config::Config;
use crate::extract::FnFact;
use crate::index::{FnId, Index, ItemKind};

/// What protects a handler, for messages and the `routes` inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    Requires(Vec<String>),
    Guard(String),
    /// An `Option<Guard>` parameter whose `None` is rejected first.
    GuardRequired(String),
    /// A configured guard type written as a value (handed to a wrapper: seed 004's shape).
    GuardValue(String),
    Check(String),
    /// Evidence in a fn the handler calls, and the fns on the way (the last holds it).
    Deep {
        what: Box<Evidence>,
        via: Vec<String>,
    },
    Layer(String),
}

impl Evidence {
    pub fn describe(&self) -> String {
        match self {
            Evidence::Requires(s) => format!("requires {}", s.join(", ")),
            Evidence::Guard(t) => format!("guard {t}"),
            Evidence::GuardRequired(t) => format!("guard {t} (None rejected)"),
            Evidence::GuardValue(t) => format!("guard {t} (value)"),
            Evidence::Check(c) => format!("check {c}()"),
            Evidence::Deep { what, via } => format!("{} via {}", what.describe(), via.join(" → ")),
            Evidence::Layer(l) => format!("layer {l}"),
        }
    }
}

/// Evidence on the fn itself: `#[requires]`, a guard parameter (or an optional one whose
/// `None` is rejected), a check call, a guard value.
pub fn fn_evidence(config: &Config, f: &FnFact) -> Option<Evidence> {
    if let Some(r) = f.requires() {
        return Some(Evidence::Requires(
            r.scopes.iter().map(|s| s.display.clone()).collect(),
        ));
    }
    for p in &f.params {
        if let Some(g) = guard_type(&config.handlers.guards, &p.ty) {
            return Some(Evidence::Guard(g));
        }
        let rejected = p
            .name
            .as_ref()
            .is_some_and(|n| f.rejects_none().iter().any(|r| r == n));
        if rejected {
            if let Some(g) = optional_guard(&config.handlers.guards, &p.ty) {
                return Some(Evidence::GuardRequired(g));
            }
        }
    }
    body_evidence(config, f)
}

/// What a fn's body does that protects: a call to a configured check, a guard value.
fn body_evidence(config: &Config, f: &FnFact) -> Option<Evidence> {
    for c in &f.calls {
        if config.handlers.checks.iter().any(|k| last(k) == c) {
            return Some(Evidence::Check(c.to_string()));
        }
    }
    f.guard_values()
        .first()
        .map(|g| Evidence::GuardValue(g.clone()))
}

/// Everything that protects a handler fn besides layers: its own evidence, else a check or a
/// guard value in a fn it calls, the check at most `[handlers] check-depth` calls from the
/// handler (the calls in the handler's own body are one call from it, and always count).
pub fn handler_evidence(index: &Index<'_>, graph: &CallGraph, id: FnId) -> Option<Evidence> {
    let config = index.config;
    if let Some(e) = fn_evidence(config, index.func(id)) {
        return Some(e);
    }
    if let Some(e) = wrapped_optional_guard(index, id) {
        return Some(e);
    }
    let depth = search_depth(config);
    let (chain, what) = graph.search(id, depth, |f| body_evidence(config, index.func(f)))?;
    Some(Evidence::Deep {
        what: Box::new(what),
        via: chain.iter().map(|f| short_item(index.func(*f))).collect(),
    })
}

/// How many calls below the handler the fns whose bodies are searched sit: a check in the
/// body of a fn `k` calls down is `k + 1` calls from the handler.
fn search_depth(config: &Config) -> usize {
    config.handlers.check_depth.saturating_sub(1)
}

/// The fns a handler's search went through (their checks at most `[handlers] check-depth`
/// calls from it): for the message when nothing protects it. (names, how many in all)
pub fn searched(index: &Index<'_>, graph: &CallGraph, id: FnId) -> (Vec<String>, usize) {
    let mut all: Vec<FnId> = Vec::new();
    let depth = search_depth(index.config);
    let _ = graph.search(id, depth, |f| {
        all.push(f);
        None::<()>
    });
    let names = all
        .iter()
        .take(4)
        .map(|f| short_item(index.func(*f)))
        .collect();
    (names, all.len())
}

/// `service::upsert`: a fn's item path without its crate-level modules beyond the last two.
fn short_item(f: &FnFact) -> String {
    let item = f.item().to_string();
    let parts: Vec<&str> = item.split("::").collect();
    let n = parts.len();
    parts[n.saturating_sub(2)..].join("::")
}

/// A parameter of a newtype around an optional guard (`struct MaybeUser(Option<AuthUser>)`,
/// `OptionalAuth { user: Option<AuthUser> }`) whose `None` the fn rejects first.
fn wrapped_optional_guard(index: &Index<'_>, id: FnId) -> Option<Evidence> {
    let f = index.func(id);
    let guards = &index.config.handlers.guards;
    if guards.is_empty() {
        return None;
    }
    for p in &f.params {
        if !p
            .name
            .as_ref()
            .is_some_and(|n| f.rejects_none().iter().any(|r| r == n))
        {
            continue;
        }
        let Some(t) = unwrap_type(&p.ty) else {
            continue;
        };
        let path = t.split('<').next().unwrap_or(&t);
        let segs: Vec<String> = path.split("::").map(String::from).collect();
        let mut found = index.resolve_item(id.file, &f.module, &segs, &[ItemKind::Struct]);
        if found.is_empty() {
            found = index.items_named(index.package_of(id.file), last(path), &[ItemKind::Struct]);
        }
        for r in found {
            let s = &index.files[r.file].structs[r.index];
            if let Some(g) = s
                .fields
                .iter()
                .find_map(|(_, ty)| optional_guard(guards, ty))
            {
                return Some(Evidence::GuardRequired(g));
            }
        }
    }
    None
}

/// `Option<AuthUser>` (through `&`, extractor wrappers) -> `AuthUser` when it is a guard.
fn optional_guard(guards: &[String], ty: &str) -> Option<String> {
    let t = ty.trim().trim_start_matches('&');
    let (head, inner) = t.split_once('<')?;
    let inner = inner.strip_suffix('>')?;
    match last(head) {
        "Option" => guard_type(guards, inner),
        "Extension" | "ReqData" | "Data" | "Arc" | "Box" => optional_guard(guards, inner),
        _ => None,
    }
}

/// A configured layer covering the endpoint.
pub fn layer_evidence(config: &Config, e: &Endpoint) -> Option<Evidence> {
    e.layers.iter().find_map(|l| {
        config
            .handlers
            .layers
            .iter()
            .find(|name| mentions(l, name))
            .map(|name| Evidence::Layer(describe_layer(name, l)))
    })
}

/// `auth_middleware` for a long layer expression; the expression itself when it is short.
fn describe_layer(name: &str, text: &str) -> String {
    let text = text.replace(",)", ")");
    if text.chars().count() <= 60 {
        text
    } else {
        format!("{name} ({})", shorten(&text, 60))
    }
}

/// At most `max` characters, with `...` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 3).collect();
    format!("{cut}...")
}

fn last(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

/// Does `text` mention `name` as a whole identifier (or path)?
pub fn mentions(text: &str, name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() {
        return false;
    }
    let mut start = 0;
    while let Some(pos) = text[start..].find(name) {
        let i = start + pos;
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !ident(before) && !ident(after) {
            return true;
        }
        start = i + name.len();
    }
    false
}

/// The guard a parameter type names, unwrapping references and extractor wrappers.
pub fn guard_type(guards: &[String], ty: &str) -> Option<String> {
    let t = unwrap_type(ty)?;
    let path = t.split('<').next().unwrap_or(&t);
    let last_seg = last(path);
    guards
        .iter()
        .find(|g| {
            if g.contains("::") {
                path.ends_with(g.as_str())
            } else {
                last_seg == g.as_str()
            }
        })
        .map(|_| path.to_string())
}

/// The extractor type a parameter names, by its last segment without generics
/// (`web::ReqData<auth::AdminUser>` -> `AdminUser`); None for an `Option`.
pub fn extractor_name(ty: &str) -> Option<String> {
    let t = unwrap_type(ty)?;
    let path = t.split('<').next().unwrap_or(&t);
    Some(last(path).to_string())
}

/// `&Extension<AuthUser>` -> `AuthUser`; `Option<T>` -> None (an optional guard protects nothing).
fn unwrap_type(ty: &str) -> Option<String> {
    let mut t = ty
        .trim()
        .trim_start_matches('&')
        .trim_start_matches("'_")
        .trim();
    t = t.strip_prefix("mut").map(str::trim).unwrap_or(t);
    let (head, inner) = match t.find('<') {
        Some(i) if t.ends_with('>') => (&t[..i], Some(&t[i + 1..t.len() - 1])),
        _ => (t, None),
    };
    let head_last = last(head);
    match (head_last, inner) {
        ("Option", _) => None,
        ("Extension" | "ReqData" | "Data" | "Arc" | "Box", Some(inner)) => unwrap_type(inner),
        _ => Some(t.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_unwrap() {
        let g = vec!["AdminUser".to_string()];
        assert!(guard_type(&g, "AdminUser").is_some());
        assert!(guard_type(&g, "&AdminUser").is_some());
        assert!(guard_type(&g, "Extension<AdminUser>").is_some());
        assert!(guard_type(&g, "web::ReqData<auth::AdminUser>").is_some());
        assert!(guard_type(&g, "Data<&AdminUser>").is_some());
        assert!(guard_type(&g, "Option<AdminUser>").is_none());
        assert!(guard_type(&g, "AdminUserish").is_none());
    }

    #[test]
    fn mentions_whole_words() {
        assert!(mentions(
            "middleware::from_fn(require_scope)",
            "require_scope"
        ));
        assert!(!mentions("from_fn(require_scope_x)", "require_scope"));
    }
}
