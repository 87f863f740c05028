//! Builder routing shared by axum-like frameworks: reads `Router::new().route(..).nest(..)..`
//! chains into [`RouterFact`]s. Each framework describes its method names in a [`Grammar`].

use super::{
    call_path, handler_ref, lit_str, method_chain, Cover, HandlerRef, RouterFact, RouterOp, Target,
};
use crate::diagnostic::Span;
use crate::extract::{short, Env, Walker};
use std::collections::HashMap;
use syn::spanned::Spanned;

/// The method names one framework's router builder uses.
pub struct Grammar {
    pub framework: &'static str,
    /// Types whose `new()`/`default()` starts a router (`Router`, `ApiRouter`, `Route`).
    pub roots: &'static [&'static str],
    /// `(path, method_router)` registrations.
    pub route: &'static [&'static str],
    /// `(prefix, router)`.
    pub nest: &'static [&'static str],
    /// `(router)`.
    pub merge: &'static [&'static str],
    /// `(handler)`: catch-all handlers.
    pub fallback: &'static [&'static str],
    /// Layers covering the routes added before them.
    pub layer_before: &'static [&'static str],
    /// Layers covering everything in the router.
    pub layer_all: &'static [&'static str],
    /// `(prefix)` setting a prefix for the whole chain (loco).
    pub prefix: &'static [&'static str],
    /// Methods that register a service, not a handler: skipped.
    pub services: &'static [&'static str],
    /// A route's second argument may be a handler itself, for any method (poem `.at("/", index)`).
    pub bare_endpoint: bool,
    /// Associated fns of a root type that start a router (`Router::new()`, `Route::with_path`).
    pub constructors: &'static [&'static str],
    /// Names in the lists above too common to mark a chain as a router on their own
    /// (`add`, `at`, `layer`): a chain with only these needs a root or a known router base.
    pub ambiguous: &'static [&'static str],
    /// Method-router links that wrap the handlers before them (`get(h).layer(x)`).
    pub route_layers: &'static [&'static str],
    /// Method-router links that take a method filter and a handler (`on(MethodFilter::GET, h)`).
    pub method_filters: &'static [&'static str],
}

impl Grammar {
    fn is_router_method(&self, m: &str) -> bool {
        !self.ambiguous.contains(&m)
            && (self.route.contains(&m)
                || self.nest.contains(&m)
                || self.merge.contains(&m)
                || self.fallback.contains(&m)
                || self.services.contains(&m)
                || self.layer_before.contains(&m))
    }
}

/// Records that the chain `e` was read into router `idx` (so a `let` or the fn's tail can find it).
pub fn remember(w: &mut Walker<'_, '_>, e: &syn::Expr, idx: usize) {
    if let Some(seen) = w.state::<Seen>() {
        seen.0.insert(addr(e), idx);
    }
}

/// Chains the current collector read in this fn: expression address -> router index.
#[derive(Default)]
pub struct Seen(HashMap<usize, usize>);

/// Called on every expression: reads it when it is the outermost call of a router chain.
pub fn on_expr<'ast>(g: &Grammar, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
    if !matches!(e, syn::Expr::MethodCall(_)) || !is_router_chain(g, w, e) {
        return;
    }
    build(g, w, e);
}

/// Called when a fn ends: marks the chains it returns (its tail and every `return`, through
/// the locals they name).
pub fn on_fn_end(w: &mut Walker<'_, '_>) {
    let Some(seen) = w.take_state::<Seen>() else {
        return;
    };
    let mut returned = Vec::new();
    for (tail, env) in w.returns() {
        let target = strip(tail);
        match seen.0.get(&addr(target)) {
            Some(i) => returned.push(*i),
            None => returned.extend(routers_of_local(w, &seen, target, *env)),
        }
    }
    for i in returned {
        w.facts.routers[i].returned = true;
    }
}

/// The routers a local holds at `env` (every definition that may reach it: branches, `cfg`
/// blocks, reassignments), by the chains the current collector read.
fn routers_of_local(w: &Walker<'_, '_>, seen: &Seen, e: &syn::Expr, env: Env) -> Vec<usize> {
    let syn::Expr::Path(p) = strip(e) else {
        return Vec::new();
    };
    let Some(name) = p.path.get_ident() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for l in w.locals_at(&name.to_string(), env) {
        if let Some(i) = l.init.and_then(|init| seen.0.get(&addr(strip(init)))) {
            if !out.contains(i) {
                out.push(*i);
            }
        }
    }
    out
}

/// The expression without parentheses, `?`, `.await`, `.into()`, `.boxed()`.
pub fn strip(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        syn::Expr::Try(t) => strip(&t.expr),
        syn::Expr::Await(a) => strip(&a.base),
        syn::Expr::MethodCall(m) if m.method == "into" || m.method == "boxed" => strip(&m.receiver),
        other => other,
    }
}

fn addr(e: &syn::Expr) -> usize {
    e as *const syn::Expr as usize
}

fn is_root_call(g: &Grammar, e: &syn::Expr) -> bool {
    call_path(e).is_some_and(|p| {
        p.len() >= 2
            && g.constructors.contains(&p[p.len() - 1].as_str())
            && g.roots.contains(&p[p.len() - 2].as_str())
    })
}

/// `Other::new()`: a constructor of a type that is not one of this grammar's routers (another
/// framework's router shares a method name such as `nest`).
fn foreign_root(g: &Grammar, e: &syn::Expr) -> bool {
    call_path(e).is_some_and(|p| {
        p.len() >= 2
            && matches!(p[p.len() - 1].as_str(), "new" | "default" | "with_path")
            && p[p.len() - 2].starts_with(|c: char| c.is_ascii_uppercase())
            && !g.roots.contains(&p[p.len() - 2].as_str())
    })
}

/// The routers a local (`let api = Router::new()..;`, `r = r.route(..)`) holds here, when
/// the current collector read them in this fn; empty for anything else.
pub fn local_routers(w: &mut Walker<'_, '_>, e: &syn::Expr) -> Vec<usize> {
    let env = w.env();
    match w.state_ref::<Seen>() {
        Some(seen) => routers_of_local(w, seen, e, env),
        None => Vec::new(),
    }
}

/// The first of [`local_routers`].
pub fn local_router(w: &mut Walker<'_, '_>, e: &syn::Expr) -> Option<usize> {
    local_routers(w, e).first().copied()
}

fn is_router_chain(g: &Grammar, w: &mut Walker<'_, '_>, e: &syn::Expr) -> bool {
    let (base, calls) = method_chain(e);
    if calls.is_empty() {
        return false;
    }
    if is_root_call(g, base) {
        return calls.iter().any(|c| {
            let m = c.method.to_string();
            let m = m.as_str();
            g.is_router_method(m)
                || g.route.contains(&m)
                || g.layer_before.contains(&m)
                || g.layer_all.contains(&m)
                || g.prefix.contains(&m)
        });
    }
    if foreign_root(g, base) {
        return false;
    }
    if calls
        .iter()
        .any(|c| g.is_router_method(&c.method.to_string()))
    {
        return true;
    }
    local_router(w, base).is_some()
        && calls.iter().any(|c| {
            let m = c.method.to_string();
            g.layer_before.contains(&m.as_str()) || g.layer_all.contains(&m.as_str())
        })
}

/// Reads one chain into a router fact; returns its index.
fn build<'ast>(g: &Grammar, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) -> usize {
    let (base, calls) = method_chain(e);
    // The inner links of the chain are part of this router, not routers of their own.
    let mut cur = e;
    while let syn::Expr::MethodCall(m) = cur {
        w.consume(cur);
        cur = &m.receiver;
    }
    let mut fact = RouterFact {
        framework: g.framework,
        fn_index: w.fns.last().map(|f| f.fn_index),
        span: Span::from_pm2(e.span()),
        ..RouterFact::default()
    };
    if !is_root_call(g, base) {
        for t in targets(g, w, base) {
            fact.ops.push(RouterOp::Merge { target: t });
        }
    }
    for call in calls {
        let m = call.method.to_string();
        let args: Vec<&'ast syn::Expr> = call.args.iter().collect();
        if g.route.contains(&m.as_str()) && args.len() >= 2 {
            let path = lit_str(args[0]);
            for (methods, handler, layers) in method_router(g, w, args[1]) {
                fact.ops.push(RouterOp::Route {
                    path: Some(
                        path.clone()
                            .unwrap_or_else(|| format!("{{{}}}", short(args[0]))),
                    ),
                    methods,
                    handler,
                    layers,
                });
            }
        } else if g.nest.contains(&m.as_str()) && args.len() >= 2 {
            let prefix = lit_str(args[0]);
            for t in targets(g, w, args[1]) {
                fact.ops.push(RouterOp::Nest {
                    prefix: prefix.clone(),
                    target: t,
                });
            }
        } else if g.merge.contains(&m.as_str()) && !args.is_empty() {
            for t in targets(g, w, args[0]) {
                fact.ops.push(RouterOp::Merge { target: t });
            }
        } else if g.fallback.contains(&m.as_str()) && !args.is_empty() {
            if let Some(h) = handler_ref(w, args[0]) {
                fact.ops.push(RouterOp::Route {
                    path: Some("/{*fallback}".into()),
                    methods: vec!["ANY".into()],
                    handler: h,
                    layers: Vec::new(),
                });
            }
        } else if g.layer_before.contains(&m.as_str()) && !args.is_empty() {
            fact.ops.push(RouterOp::Layer {
                text: super::layer_text(args[0]),
                cover: Cover::Before,
            });
        } else if g.layer_all.contains(&m.as_str()) && !args.is_empty() {
            fact.ops.push(RouterOp::Layer {
                text: super::layer_text(args[0]),
                cover: Cover::All,
            });
        } else if g.prefix.contains(&m.as_str()) && !args.is_empty() {
            fact.prefix = lit_str(args[0]);
        }
    }
    w.facts.routers.push(fact);
    let idx = w.facts.routers.len() - 1;
    remember(w, e, idx);
    idx
}

/// The routers a router expression used as an argument or base stands for: a local holds one
/// per definition that may reach it (`if`/`else`, `#[cfg]` blocks, reassignments).
fn targets<'ast>(g: &Grammar, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) -> Vec<Target> {
    let inner = strip(e);
    let locals = local_routers(w, inner);
    if !locals.is_empty() {
        for &idx in &locals {
            w.facts.routers[idx].nested = true;
        }
        return locals.into_iter().map(Target::Chain).collect();
    }
    target(g, w, inner).into_iter().collect()
}

/// A router expression that is not a local router.
fn target<'ast>(g: &Grammar, w: &mut Walker<'ast, '_>, inner: &'ast syn::Expr) -> Option<Target> {
    match inner {
        syn::Expr::MethodCall(_) => {
            let idx = build(g, w, inner);
            w.facts.routers[idx].nested = true;
            Some(Target::Chain(idx))
        }
        syn::Expr::Call(c) if is_root_call(g, inner) => {
            let _ = c;
            None
        }
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => Some(Target::Call {
                path: crate::extract::segments(&p.path),
                module: w.module.clone(),
            }),
            _ => Some(Target::Unknown(short(inner))),
        },
        syn::Expr::Path(p) if p.path.segments.len() == 1 => {
            // A parameter or a let we could not read: name it so nothing passes silently.
            Some(Target::Unknown(p.path.segments[0].ident.to_string()))
        }
        _ => Some(Target::Unknown(short(inner))),
    }
}

/// HTTP method names of method routers (`get`, `post_with`, `on(MethodFilter::GET, ..)`).
fn http_method(name: &str) -> Option<String> {
    let base = name.strip_suffix("_with").unwrap_or(name);
    match base {
        "get" | "post" | "put" | "patch" | "delete" | "head" | "options" | "trace" | "connect" => {
            Some(base.to_ascii_uppercase())
        }
        "any" => Some("ANY".into()),
        _ => None,
    }
}

type Registration = (Vec<String>, HandlerRef, Vec<String>);

/// Reads `get(a).post(b).layer(x)` into (methods, handler, layers) triples.
fn method_router<'ast>(
    g: &Grammar,
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
) -> Vec<Registration> {
    let mut out: Vec<Registration> = Vec::new();
    let (base, calls) = method_chain(e);
    let mut links: Vec<(String, Vec<&'ast syn::Expr>)> = Vec::new();
    if let syn::Expr::Call(c) = base {
        if let Some(name) = crate::extract::last_segment(&c.func) {
            links.push((name, c.args.iter().collect()));
        }
    } else if g.bare_endpoint && matches!(base, syn::Expr::Path(_) | syn::Expr::Closure(_)) {
        if let Some(h) = handler_ref(w, base) {
            out.push((vec!["ANY".into()], h, Vec::new()));
        }
    }
    for c in &calls {
        links.push((c.method.to_string(), c.args.iter().collect()));
    }
    for (name, args) in links {
        if g.route_layers.contains(&name.as_str()) {
            if let Some(a) = args.first() {
                let text = super::layer_text(*a);
                for r in out.iter_mut() {
                    r.2.push(text.clone());
                }
            }
            continue;
        }
        if name.ends_with("_service") {
            continue;
        }
        if g.method_filters.contains(&name.as_str()) {
            if args.len() >= 2 {
                let methods = method_filter(args[0]);
                if let Some(h) = handler_ref(w, args[1]) {
                    out.push((methods, h, Vec::new()));
                }
            }
            continue;
        }
        if let Some(m) = http_method(&name) {
            if let Some(h) = args.first().and_then(|a| handler_ref(w, a)) {
                out.push((vec![m], h, Vec::new()));
            }
        }
    }
    out
}

/// `MethodFilter::GET.or(MethodFilter::POST)` -> ["GET", "POST"].
fn method_filter(e: &syn::Expr) -> Vec<String> {
    let text = short(e);
    let mut out: Vec<String> = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT",
    ]
    .iter()
    .filter(|m| text.contains(*m))
    .map(|m| m.to_string())
    .collect();
    if out.is_empty() {
        out.push("ANY".into());
    }
    out
}
