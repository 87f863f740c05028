//! Evidence that a handler declares a permission (DESIGN.md §4 "Handlers").

use super::endpoints::Endpoint;
use crate::config::Config;
use crate::extract::FnFact;

/// What protects a handler, for messages and the `routes` inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    Requires(Vec<String>),
    Guard(String),
    Check(String),
    Layer(String),
}

impl Evidence {
    pub fn describe(&self) -> String {
        match self {
            Evidence::Requires(s) => format!("requires {}", s.join(", ")),
            Evidence::Guard(t) => format!("guard {t}"),
            Evidence::Check(c) => format!("check {c}()"),
            Evidence::Layer(l) => format!("layer {l}"),
        }
    }
}

/// Evidence on the fn itself: `#[requires]`, a guard parameter, a check call.
pub fn fn_evidence(config: &Config, f: &FnFact) -> Option<Evidence> {
    if let Some(r) = &f.requires {
        return Some(Evidence::Requires(
            r.scopes.iter().map(|s| s.display.clone()).collect(),
        ));
    }
    for p in &f.params {
        if let Some(g) = guard_type(&config.handlers.guards, &p.ty) {
            return Some(Evidence::Guard(g));
        }
    }
    for c in &f.calls {
        if config.handlers.checks.iter().any(|k| last(k) == c) {
            return Some(Evidence::Check(c.clone()));
        }
    }
    None
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
