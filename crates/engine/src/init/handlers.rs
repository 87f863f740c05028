//! What `init` proposes for `[handlers]`, read from the handlers the workspace registers:
//! guards from the extractor types of their signatures and the auth types they hand to
//! wrapper fns as values, checks from the fns they call (within `check-depth`) whose names
//! say so, layers from the middleware their routers are wrapped in.

use crate::callgraph::CallGraph;
use crate::config::Config;
use crate::error::Result;
use crate::extract::FnFact;
use crate::frameworks::endpoints::{endpoints, Handler};
use crate::index::{FnId, Index};
use crate::workspace::Workspace;
use crate::Options;
use std::collections::{BTreeMap, BTreeSet};
use syn::visit::Visit;

/// What the handlers use, by kind; each list sorted.
#[derive(Debug, Default)]
pub struct Found {
    /// Extractor types whose names say they check a permission (`AdminUser`, `OrgMember`).
    pub authz: Vec<String>,
    /// Extractor types whose names say they authenticate (`CurrentUser`, `Claims`): listed, not
    /// written, since a login is no permission.
    pub authn: Vec<String>,
    /// Auth types handed to a wrapper fn as values (`&auth::JwtAuth { .. }`).
    pub values: Vec<String>,
    pub checks: Vec<String>,
    pub layers: Vec<String>,
    /// How many handlers each name was seen in.
    uses: BTreeMap<String, usize>,
    handlers: usize,
}

impl Found {
    /// The guards to write: permission extractors and auth values.
    pub fn guards(&self) -> Vec<String> {
        let mut g: Vec<String> = self.authz.iter().chain(&self.values).cloned().collect();
        g.sort();
        g.dedup();
        g
    }

    /// Lines for the summary `init` prints.
    pub fn summary(&self) -> Vec<String> {
        let with_uses = |v: &[String]| {
            v.iter()
                .map(|n| format!("{n} ({})", self.uses.get(n).copied().unwrap_or(0)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = vec![format!("handlers: {}", self.handlers)];
        for (what, v) in [
            (
                "guards (extractors that check a permission; handlers using each)",
                &self.authz,
            ),
            (
                "guards (auth types handed to a wrapper as values)",
                &self.values,
            ),
            (
                "extractors that may only authenticate (not written)",
                &self.authn,
            ),
            (
                "checks (called from handlers, within check-depth)",
                &self.checks,
            ),
            (
                "layers (middleware the routers are wrapped in)",
                &self.layers,
            ),
        ] {
            if !v.is_empty() {
                out.push(format!("{what}: {}", with_uses(v)));
            }
        }
        out
    }
}

/// Words of a type or fn name that say it checks a permission.
const AUTHZ: &[&str] = &[
    "admin",
    "owner",
    "manager",
    "member",
    "membership",
    "role",
    "roles",
    "permission",
    "permissions",
    "perm",
    "perms",
    "scope",
    "scoped",
    "guard",
    "authorized",
    "authz",
    "acl",
    "policy",
    "access",
    "staff",
    "superuser",
    "moderator",
    "privileged",
    "rbac",
];

/// Words that say it authenticates.
const AUTHN: &[&str] = &[
    "user",
    "auth",
    "authenticated",
    "session",
    "claims",
    "token",
    "identity",
    "principal",
    "headers",
    "bearer",
    "jwt",
    "apikey",
    "login",
    "account",
    "credentials",
    "caller",
];

/// Words after `check_`, `require_`, `ensure_`, `can_` that make it a permission check, besides
/// [`STRONG`]'s: what grants a permission (scope, policy, acl) and the actions it allows.
const ACTIONS: &[&str] = &[
    "scope",
    "policy",
    "acl",
    "authorize",
    "grant",
    "write",
    "read",
    "edit",
    "delete",
    "manage",
    "auth",
];

/// Words that make a `check_*` or `authorize*` name something else (`check_limit_admin`,
/// `authorize_url`, `check_access_code`).
const NOT_CHECK: &[&str] = &[
    "limit", "rate", "url", "uri", "link", "redirect", "code", "enabled", "exists", "conflict",
    "response",
];

/// Words of middleware that is infrastructure, not access control (`SessionMiddleware`,
/// `actix_cors_scope`, `AppHeaders`).
const INFRA: &[&str] = &[
    "cors",
    "trace",
    "tracing",
    "logger",
    "log",
    "compress",
    "compression",
    "timeout",
    "metrics",
    "normalize",
    "session",
    "identity",
    "headers",
    "cache",
    "limit",
    "rate",
    "request",
    "id",
];

/// Words of an auth type handed to a wrapper as a value (`JWTAuth`, `ApiKeyAuth`).
const AUTH_VALUE: &[&str] = &[
    "auth",
    "jwt",
    "apikey",
    "permission",
    "perm",
    "role",
    "guard",
];

/// Words that say an auth type lets everyone in (`NoAuth`, `PublicAuth`).
const OPEN: &[&str] = &[
    "no",
    "none",
    "public",
    "anonymous",
    "optional",
    "unauthenticated",
    "skip",
    "insecure",
];

/// The words of a CamelCase or snake_case name, lowercased (`JWTAuth` -> jwt, auth).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let chars: Vec<char> = part.chars().collect();
        let mut cur = String::new();
        for (i, c) in chars.iter().enumerate() {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_lower = i > 0 && chars[i - 1].is_lowercase();
            if c.is_uppercase() && !cur.is_empty() && (prev_lower || next_lower) {
                out.push(cur.to_lowercase());
                cur.clear();
            }
            cur.push(*c);
        }
        if !cur.is_empty() {
            out.push(cur.to_lowercase());
        }
    }
    // `ApiKey` reads as one word.
    let mut joined = Vec::new();
    for w in out {
        if w == "key" && joined.last().is_some_and(|l: &String| l == "api") {
            joined.pop();
            joined.push("apikey".to_string());
        } else {
            joined.push(w);
        }
    }
    joined
}

fn has_word(name: &str, list: &[&str]) -> bool {
    words(name).iter().any(|w| list.contains(&w.as_str()))
}

/// Is a fn name a permission check: `enforce_*`, `authorize*`, or `check_*` / `require_*` /
/// `ensure_*` / `can_*` about a permission (`check_write_permission`, not `check_response`)?
pub fn is_check_name(name: &str) -> bool {
    // Only such names are kept in a fn's calls.
    if !crate::extract::may_name_a_check(name) {
        return false;
    }
    let n = name.to_ascii_lowercase();
    if has_word(&n, NOT_CHECK) {
        return false;
    }
    if n.starts_with("enforce_") || n.starts_with("authorize") {
        return true;
    }
    // `check_if_*` is a predicate: only one about who may act is a check
    // (`check_if_user_is_allowed_to_delete_comment`, not `check_if_node_value_updated`).
    if let Some(rest) = n.strip_prefix("check_if_") {
        return has_word(rest, STRONG);
    }
    ["check_", "require_", "ensure_", "can_"]
        .iter()
        .find_map(|p| n.strip_prefix(p))
        .is_some_and(|rest| has_word(rest, STRONG) || has_word(rest, ACTIONS))
}

/// Words that say who may act, without the verbs (`delete`, `write`) that name any action.
const STRONG: &[&str] = &[
    "permission",
    "permissions",
    "perm",
    "allowed",
    "access",
    "role",
    "owner",
    "member",
    "membership",
    "admin",
    "authorized",
    "privilege",
];

/// Reads the workspace with the default config and collects what its handlers use.
pub fn candidates(ws: &Workspace, opts: &Options) -> Result<Found> {
    let config = Config::defaults();
    let mut ws = ws.clone();
    let extracted = crate::phase1::extract_all(&ws, &config, opts.threads)?;
    ws.files = extracted.sources;
    let index = Index::build(&ws, &config, &extracted.facts);
    let graph = CallGraph::build(&index, crate::phase1::thread_count(opts.threads));
    let eps = endpoints(&index);
    let mut handlers: BTreeSet<FnId> = BTreeSet::new();
    for e in &eps {
        if let Handler::Fn(id) = e.handler {
            handlers.insert(id);
        }
    }
    let extractors = extractor_types(&index);
    let mut found = Found {
        handlers: handlers.len(),
        ..Found::default()
    };
    let mut per: BTreeMap<(&'static str, String), BTreeSet<FnId>> = BTreeMap::new();
    let depth = config.handlers.check_depth.saturating_sub(1);
    for &h in &handlers {
        let f = index.func(h);
        for p in &f.params {
            let Some(ty) = crate::frameworks::protection::extractor_name(&p.ty) else {
                continue;
            };
            let kind = if has_word(&ty, AUTHZ) {
                "authz"
            } else if has_word(&ty, AUTHN) {
                "authn"
            } else {
                continue;
            };
            // A type of the workspace must be an extractor there; one from a library counts
            // when several handlers take it.
            if extractors.contains(&ty) || !index_has_struct(&index, &ty) {
                per.entry((kind, ty)).or_default().insert(h);
            }
        }
        // The handler and the fns it reaches: check calls by name.
        let mut reached = vec![h];
        let _ = graph.search(h, depth, |g| {
            reached.push(g);
            None::<()>
        });
        for g in reached {
            for c in &index.func(g).calls {
                if is_check_name(c) {
                    per.entry(("check", c.to_string())).or_default().insert(h);
                }
            }
        }
        for v in auth_values(&ws, &index, h) {
            per.entry(("value", v)).or_default().insert(h);
        }
    }
    // Extractors of the workspace no registered handler takes (handlers the tool could not
    // connect to a router, a macro's): still candidates, used by none.
    for ty in &extractors {
        let kind = if has_word(ty, AUTHZ) {
            "authz"
        } else if has_word(ty, AUTHN) {
            "authn"
        } else {
            continue;
        };
        per.entry((kind, ty.clone())).or_default();
    }
    for ((kind, name), hs) in per {
        // A library type taken by one handler only is not evidence of an extractor.
        if kind != "check" && kind != "value" && !extractors.contains(&name) && hs.len() < 2 {
            continue;
        }
        found.uses.insert(name.clone(), hs.len());
        match kind {
            "authz" => found.authz.push(name),
            "authn" => found.authn.push(name),
            "check" => found.checks.push(name),
            _ => found.values.push(name),
        }
    }
    let mut layers: BTreeMap<String, usize> = BTreeMap::new();
    // Every layer written on a router, whether or not a registered route sits under it.
    for f in index.files {
        for r in &f.routers {
            for op in &r.ops {
                if let crate::frameworks::RouterOp::Layer { text, .. } = op {
                    if let Some(n) = middleware_name(text) {
                        layers.entry(n).or_insert(0);
                    }
                }
            }
        }
    }
    for e in &eps {
        let mut names: BTreeSet<String> = BTreeSet::new();
        for l in &e.layers {
            if let Some(n) = middleware_name(l) {
                names.insert(n);
            }
        }
        for n in names {
            *layers.entry(n).or_insert(0) += 1;
        }
    }
    for (n, count) in layers {
        found.uses.insert(n.clone(), count);
        found.layers.push(n);
    }
    Ok(found)
}

/// Types with a `FromRequestParts` / `FromRequest` impl in the workspace (by last segment).
fn extractor_types(index: &Index<'_>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in index.files {
        for i in &f.impls {
            let is_extractor = i.trait_.as_ref().and_then(|t| t.last()).is_some_and(|t| {
                matches!(
                    t.as_str(),
                    "FromRequestParts" | "FromRequest" | "OptionalFromRequestParts"
                )
            });
            if is_extractor {
                if let Some(t) = i.self_ty.last() {
                    out.insert(t.clone());
                }
            }
        }
    }
    out
}

fn index_has_struct(index: &Index<'_>, name: &str) -> bool {
    index
        .files
        .iter()
        .any(|f| f.structs.iter().any(|s| s.name == name))
}

/// The middleware a layer or wrap expression names, when its name says it checks access:
/// `from_fn(auth::require_member)` -> `require_member`, `RequireScope::new(..)` ->
/// `RequireScope`; `TraceLayer::new_for_http()`, `Logger::default()` -> None.
fn middleware_name(text: &str) -> Option<String> {
    let Ok(e) = syn::parse_str::<syn::Expr>(text) else {
        return None;
    };
    let name = match &e {
        syn::Expr::Call(c) => {
            let f = crate::ast::last_segment(&c.func)?;
            if f.starts_with("from_fn") || f == "wrap_fn" || f == "from_extractor" {
                // The fn is the last argument (`from_fn_with_state(state, f)`).
                c.args.last().and_then(crate::ast::last_segment)?
            } else {
                call_type(&c.func).unwrap_or(f)
            }
        }
        syn::Expr::MethodCall(_) => {
            let (base, _) = crate::ast::method_chain(&e);
            match base {
                syn::Expr::Call(c) => {
                    call_type(&c.func).or_else(|| crate::ast::last_segment(&c.func))?
                }
                other => crate::ast::last_segment(other)?,
            }
        }
        other => crate::ast::last_segment(other)?,
    };
    let w = words(&name);
    let access = has_word(&name, AUTHZ)
        || w.iter()
            .any(|x| matches!(x.as_str(), "auth" | "authz" | "authorize" | "authorization"));
    let keep = access && !has_word(&name, INFRA) && !has_word(&name, OPEN);
    keep.then_some(name)
}

/// `RequireScope::new` -> `RequireScope`: the type of an associated fn call.
fn call_type(func: &syn::Expr) -> Option<String> {
    let syn::Expr::Path(p) = func else {
        return None;
    };
    let segs = crate::ast::segments(&p.path);
    let n = segs.len();
    (n >= 2 && segs[n - 2].starts_with(|c: char| c.is_ascii_uppercase()))
        .then(|| segs[n - 2].clone())
}

/// Auth types a handler hands to a call as values (`&auth::JwtAuth { .. }`,
/// `auth::HeaderAuth(auth::ApiKeyAuth)`, `Box::new(auth::AdminApiAuth)`), read from its file.
fn auth_values(ws: &Workspace, index: &Index<'_>, h: FnId) -> Vec<String> {
    let f: &FnFact = index.func(h);
    let Some(text) = ws
        .files
        .get(index.files[h.file].file)
        .and_then(|src| std::fs::read_to_string(&src.abs).ok())
    else {
        return Vec::new();
    };
    let Ok(file) = syn::parse_file(&text) else {
        return Vec::new();
    };
    let mut v = Values {
        extent: f.extent,
        out: BTreeSet::new(),
        inside: false,
        wrappers: 0,
    };
    v.visit_file(&file);
    v.out.into_iter().collect()
}

struct Values {
    extent: crate::diagnostic::Span,
    out: BTreeSet<String>,
    /// Walking the handler's body.
    inside: bool,
    /// Inside the arguments of a call that also takes a closure (a wrapper such as
    /// `server_wrap(.., |s, u, b| .., &auth::JwtAuth { .. })`): how many such calls.
    wrappers: usize,
}

/// Does a call take a closure (the work a wrapper runs once the caller is let in)?
fn takes_closure(args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>) -> bool {
    args.iter().any(|a| {
        matches!(
            crate::ast::peel(a),
            syn::Expr::Closure(_) | syn::Expr::Async(_)
        )
    })
}

impl Values {
    /// The arguments of a call in the handler's body, when the call or one around it is a
    /// wrapper.
    fn args(&mut self, args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>, wraps: bool) {
        if self.inside && (wraps || self.wrappers > 0) {
            for a in args {
                self.arg(a);
            }
        }
    }

    fn arg(&mut self, a: &syn::Expr) {
        let name = match crate::ast::peel(a) {
            syn::Expr::Struct(s) => s.path.segments.last().map(|s| s.ident.to_string()),
            syn::Expr::Path(p) => type_path(&p.path),
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "new") => {
                    // `Box::new(auth::JwtAuth { .. })`
                    if let Some(x) = c.args.first() {
                        self.arg(x);
                    }
                    None
                }
                syn::Expr::Path(p) => type_path(&p.path),
                _ => None,
            },
            _ => None,
        };
        if let Some(n) = name {
            if has_word(&n, AUTH_VALUE) && !has_word(&n, OPEN) {
                self.out.insert(n);
            }
        }
    }
}

/// A path naming a type (`JwtAuth`, `auth::AdminApiAuth`), not a variant or const
/// (`Permission::Read`, `None`).
fn type_path(p: &syn::Path) -> Option<String> {
    let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
    let last = segs.last()?;
    let camel = last.starts_with(|c: char| c.is_ascii_uppercase())
        && last.chars().any(|c| c.is_ascii_lowercase());
    let under_module = segs[..segs.len() - 1]
        .iter()
        .all(|s| s.starts_with(|c: char| c.is_ascii_lowercase()));
    (camel && under_module && !matches!(last.as_str(), "Some" | "None" | "Ok" | "Err" | "Self"))
        .then(|| last.clone())
}

impl<'ast> Visit<'ast> for Values {
    fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
        self.fn_body(&i.sig, |v| syn::visit::visit_item_fn(v, i));
    }
    fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
        self.fn_body(&i.sig, |v| syn::visit::visit_impl_item_fn(v, i));
    }
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        let wraps = takes_closure(&c.args);
        self.args(&c.args, wraps);
        self.wrappers += wraps as usize;
        syn::visit::visit_expr_call(self, c);
        self.wrappers -= wraps as usize;
    }
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let wraps = takes_closure(&m.args);
        self.args(&m.args, wraps);
        self.wrappers += wraps as usize;
        syn::visit::visit_expr_method_call(self, m);
        self.wrappers -= wraps as usize;
    }
}

impl Values {
    fn fn_body(&mut self, sig: &syn::Signature, walk: impl FnOnce(&mut Self)) {
        let here = crate::diagnostic::Span::from_pm2(sig.ident.span());
        let was = self.inside;
        if !was {
            self.inside = self.extent.contains(&here) && here.start.line >= self.extent.start.line;
        }
        walk(self);
        self.inside = was;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words() {
        assert_eq!(words("JWTAuth"), ["jwt", "auth"]);
        assert_eq!(words("ApiKeyAuth"), ["apikey", "auth"]);
        assert_eq!(words("OrgMemberHeaders"), ["org", "member", "headers"]);
        assert_eq!(
            words("check_write_workspace_permission"),
            ["check", "write", "workspace", "permission"]
        );
    }

    #[test]
    fn check_names() {
        for yes in [
            "enforce_action",
            "authorize_org",
            "check_write_workspace_permission",
            "require_admin",
            "can_edit",
            "ensure_member",
            "check_if_user_is_allowed_to_delete_comment",
        ] {
            assert!(is_check_name(yes), "{yes}");
        }
        for no in [
            "check_response",
            "ensure_dir_exists",
            "require_body",
            "can_retry",
            "check",
            // Seen on real backends: an OAuth URL builder, a rate limit, a name conflict.
            "authorize_url",
            "check_limit_admin",
            "check_if_view_is_space",
            "check_view_id_publish_name_conflict",
            "check_if_compact_delete_node_value_updated",
        ] {
            assert!(!is_check_name(no), "{no}");
        }
    }

    #[test]
    fn middleware_names() {
        assert_eq!(
            middleware_name("middleware::from_fn(auth::require_member)").as_deref(),
            Some("require_member")
        );
        assert_eq!(
            middleware_name("from_fn_with_state(state.clone(), auth_middleware)").as_deref(),
            Some("auth_middleware")
        );
        assert_eq!(
            middleware_name("RequireScope::new(\"x\")").as_deref(),
            Some("RequireScope")
        );
        assert_eq!(middleware_name("TraceLayer::new_for_http()"), None);
        assert_eq!(middleware_name("Logger::default()"), None);
        // Authentication and infrastructure middleware of real backends: no permission checks.
        for infra in [
            "SessionMiddleware::builder(redis_store.clone(), Key::generate()).build()",
            "IdentityMiddleware::default()",
            "actix_cors_scope()",
            "AppHeaders()",
        ] {
            assert_eq!(middleware_name(infra), None, "{infra}");
        }
    }
}
