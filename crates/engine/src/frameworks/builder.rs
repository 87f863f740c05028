//! Builder routing shared by axum-like frameworks: reads `Router::new().route(..).nest(..)..`
//! chains into [`RouterFact`]s. Each framework describes its method names in a [`Grammar`].

use super::{
    call_path, handler_ref_at, lit_str, method_chain, Cover, HandlerRef, RouterFact, RouterOp,
    Target,
};
use crate::diagnostic::Span;
use crate::extract::values::{project, Proj};
use crate::extract::{short, Env, Value, Walker};
use foldhash::HashMap;

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

/// Was `e` read into a router by the current collector in this fn?
pub fn was_read(w: &Walker<'_, '_>, e: &syn::Expr) -> bool {
    w.state_ref::<Seen>()
        .is_some_and(|s| s.0.contains_key(&addr(strip(e))))
}

/// Chains the current collector read in this fn: expression address -> router index.
#[derive(Default)]
pub struct Seen(HashMap<usize, usize>);

/// Does the fn being walked declare that it returns a router (`-> Router`, `-> Scope`)?
/// Its tail is then read as one even when the chain names no router method
/// (`service_routes().layer(auth)`).
#[derive(Default)]
pub struct ReturnsRouter(pub bool);

/// How a framework reads a router expression that none of its chains was read from yet.
pub trait Reader {
    /// The framework of the routers it reads.
    fn framework(&self) -> &'static str;
    /// Reads `e` (a method chain, a root constructor such as `Router::new()`), evaluated at
    /// `env`, into a router; None when it is not one.
    fn make<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<usize>;
}

impl Reader for Grammar {
    fn framework(&self) -> &'static str {
        self.framework
    }
    fn make<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<usize> {
        let (base, _) = method_chain(e);
        if foreign_root(self, base) {
            return None;
        }
        match e {
            syn::Expr::MethodCall(_) => Some(build(self, w, e, env)),
            _ if is_root_call(self, e) => Some(build(self, w, e, env)),
            _ => None,
        }
    }
}

/// Called on every expression: reads it when it is the outermost call of a router chain.
pub fn on_expr<'ast>(g: &Grammar, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
    if !matches!(e, syn::Expr::MethodCall(_)) || !is_router_chain(g, w, e) {
        return;
    }
    let env = w.env();
    build(g, w, e, env);
}

/// Called when a fn starts: remembers whether it returns a router of the grammar.
pub fn on_fn_item(g: &Grammar, w: &mut Walker<'_, '_>, sig: &syn::Signature) {
    let returns = match &sig.output {
        syn::ReturnType::Type(_, t) => {
            let text = crate::extract::type_text(t);
            g.roots
                .iter()
                .any(|r| super::protection::mentions(&text, r))
        }
        syn::ReturnType::Default => false,
    };
    if returns {
        if let Some(s) = w.state::<ReturnsRouter>() {
            s.0 = true;
        }
    }
}

/// Called when a fn ends: marks the chains it returns (its tail and every `return`, through
/// the locals they name). `reader` reads a tail no chain was read from, when the fn says it
/// returns a router.
pub fn on_fn_end<R: Reader>(reader: &R, w: &mut Walker<'_, '_>) {
    let declared = w.take_state::<ReturnsRouter>().is_some_and(|r| r.0);
    if w.state_ref::<Seen>().is_none() && !declared {
        return;
    }
    let returns: Vec<(&syn::Expr, Env)> = w.returns().to_vec();
    let mut returned = Vec::new();
    let mut handed_on = Vec::new();
    for (tail, env) in returns {
        for t in resolve(reader, w, tail, env, declared) {
            match t {
                Target::Chain(i) => returned.push(i),
                // `let r = routes(); r`: the fn returns what another fn built.
                Target::Call { .. } if declared => handed_on.push(t),
                _ => {}
            }
        }
    }
    if !handed_on.is_empty() {
        w.facts.routers.push(RouterFact {
            framework: reader.framework(),
            fn_index: w.fns.last().map(|f| f.fn_index),
            ops: vec![RouterOp::Extend {
                alternatives: handed_on,
            }],
            ..RouterFact::default()
        });
        returned.push(w.facts.routers.len() - 1);
    }
    for i in returned {
        w.facts.routers[i].returned = true;
    }
    w.take_state::<Seen>();
}

/// The routers a router expression stands for at `env`: a chain read earlier, a local (one
/// target per definition that may reach it: branches, `cfg` blocks, reassignments, loop
/// elements, destructured tuples and struct literal fields), the router a fn call returns, a
/// chain not read yet (read now by `reader` when `make` is set). Nothing for what is no router.
pub fn resolve<'ast, R: Reader>(
    reader: &R,
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    make: bool,
) -> Vec<Target> {
    let mut out = Vec::new();
    resolve_into(reader, w, e, env, make, &mut out, 0);
    out
}

fn resolve_into<'ast, R: Reader>(
    reader: &R,
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    make: bool,
    out: &mut Vec<Target>,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    let inner = strip(e);
    let push = |t: Target, out: &mut Vec<Target>| {
        let dup = matches!(&t, Target::Chain(i) if out.iter().any(|o| matches!(o, Target::Chain(j) if j == i)));
        if !dup {
            out.push(t);
        }
    };
    if let Some(i) = w
        .state_ref::<Seen>()
        .and_then(|s| s.0.get(&addr(inner)).copied())
    {
        push(Target::Chain(i), out);
        return;
    }
    match inner {
        syn::Expr::Path(p) if p.path.get_ident().is_some() && p.qself.is_none() => {
            let name = p.path.segments[0].ident.to_string();
            for (x, xenv) in value_exprs(w, &name, env) {
                resolve_into(reader, w, x, xenv, make, out, depth + 1);
            }
        }
        syn::Expr::Field(f) => {
            // `routes.admin` of `let routes = Routes { admin: admin_routes(), .. }`.
            let (Some(base), syn::Member::Named(field)) = (ident_of(&f.base), &f.member) else {
                return;
            };
            let proj = [Proj::Field(field.to_string())];
            for (x, xenv) in value_exprs(w, &base, env) {
                for y in project(x, &proj) {
                    resolve_into(reader, w, y, xenv, make, out, depth + 1);
                }
            }
        }
        syn::Expr::If(_) | syn::Expr::Match(_) | syn::Expr::Block(_) => {
            for t in tails(inner) {
                resolve_into(reader, w, t, env, make, out, depth + 1);
            }
        }
        syn::Expr::MethodCall(_) if make => {
            if let Some(i) = reader.make(w, inner, env) {
                remember(w, inner, i);
                push(Target::Chain(i), out);
            }
        }
        // `Ok(router)`, `Some(router)`: the router inside.
        syn::Expr::Call(c)
            if c.args.len() == 1
                && matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Ok") || p.path.is_ident("Some")) =>
        {
            resolve_into(reader, w, &c.args[0], env, make, out, depth + 1);
        }
        syn::Expr::Call(c) => {
            if make {
                if let Some(i) = reader.make(w, inner, env) {
                    remember(w, inner, i);
                    push(Target::Chain(i), out);
                    return;
                }
            }
            if let syn::Expr::Path(p) = &*c.func {
                let segs = crate::extract::segments(&p.path);
                // `Router::new()`, `Files::new(..)`: a constructor, no fn returning a router.
                let ctor = segs.len() >= 2
                    && segs[segs.len() - 2].starts_with(|c: char| c.is_ascii_uppercase());
                if !ctor {
                    out.push(Target::Call {
                        path: segs,
                        module: w.module.clone(),
                    });
                }
            }
        }
        _ => {}
    }
}

/// `x` of `let x = ..`: the expression of each definition of a local that may reach `env`,
/// each with its own point (parts of destructured tuples, elements of a loop's array).
pub fn value_exprs<'ast>(
    w: &Walker<'ast, '_>,
    name: &str,
    env: Env,
) -> Vec<(&'ast syn::Expr, Env)> {
    let Some(values) = w.values() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in values.lookup(name, env) {
        match d.value {
            Value::Expr(x, xenv) => out.push((*x, *xenv)),
            Value::Part(x, xenv, proj) => {
                out.extend(project(x, proj).into_iter().map(|y| (y, *xenv)));
            }
            Value::Elem(x, xenv, proj) => {
                for (el, elenv) in elements(w, x, *xenv, 0) {
                    out.extend(project(el, proj).into_iter().map(|y| (y, elenv)));
                }
            }
            // `routes.extend(..)` of a local the walk took for a string: its first value.
            Value::Grown { .. } | Value::SetField { .. } => {
                let first = values
                    .history(d.id)
                    .into_iter()
                    .find_map(|h| match h.value {
                        Value::Expr(x, xenv) => Some((*x, *xenv)),
                        _ => None,
                    });
                out.extend(first);
            }
            _ => {}
        }
    }
    out
}

/// The elements a `for` loop iterates, when the code shows them: an array literal, `vec![..]`,
/// through `&`, `.iter()`, `.into_iter()`, `.copied()`, and locals bound to one.
pub fn elements<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> Vec<(&'ast syn::Expr, Env)> {
    if depth > 8 {
        return Vec::new();
    }
    match crate::ast::peel(e) {
        syn::Expr::Array(a) => a.elems.iter().map(|x| (x, env)).collect(),
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "iter" | "into_iter" | "copied" | "cloned"
                ) =>
        {
            elements(w, &m.receiver, env, depth + 1)
        }
        syn::Expr::Macro(m) if m.mac.path.segments.last().is_some_and(|s| s.ident == "vec") => {
            match w.macro_list(&m.mac) {
                Some(list) => list.iter().map(|x| (x, env)).collect(),
                None => Vec::new(),
            }
        }
        syn::Expr::Path(p) if p.path.get_ident().is_some() => {
            let name = p.path.segments[0].ident.to_string();
            let Some(values) = w.values() else {
                return Vec::new();
            };
            let mut out = Vec::new();
            for d in values.lookup(&name, env) {
                if let Value::Expr(x, xenv) = d.value {
                    out.extend(elements(w, x, *xenv, depth + 1));
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// The values an `if`, `match` or block may end with (each branch's tail).
fn tails(e: &syn::Expr) -> Vec<&syn::Expr> {
    let mut out = Vec::new();
    tails_into(e, &mut out, 0);
    out
}

fn tails_into<'e>(e: &'e syn::Expr, out: &mut Vec<&'e syn::Expr>, depth: usize) {
    if depth > 16 {
        return;
    }
    match e {
        syn::Expr::Paren(p) => tails_into(&p.expr, out, depth + 1),
        syn::Expr::Block(b) => {
            if let Some(syn::Stmt::Expr(t, None)) = b.block.stmts.last() {
                tails_into(t, out, depth + 1);
            }
        }
        syn::Expr::If(i) => {
            if let Some(syn::Stmt::Expr(t, None)) = i.then_branch.stmts.last() {
                tails_into(t, out, depth + 1);
            }
            if let Some((_, els)) = &i.else_branch {
                tails_into(els, out, depth + 1);
            }
        }
        syn::Expr::Match(m) => {
            for arm in &m.arms {
                tails_into(&arm.body, out, depth + 1);
            }
        }
        other => out.push(other),
    }
}

/// The local a place expression names (`x`, `&x`).
fn ident_of(e: &syn::Expr) -> Option<String> {
    match crate::ast::peel(e) {
        syn::Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    }
}

/// The expression without parentheses, `&`, `?`, `.await`, `.into()`, `.boxed()`, `.clone()`.
pub fn strip(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        syn::Expr::Try(t) => strip(&t.expr),
        syn::Expr::Await(a) => strip(&a.base),
        syn::Expr::Reference(r) => strip(&r.expr),
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(m.method.to_string().as_str(), "into" | "boxed" | "clone") =>
        {
            strip(&m.receiver)
        }
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

/// Is the local a router of this grammar here: a chain read earlier, a root constructor
/// (`let mut r = Router::new();`), a copy of one.
fn is_router_local(g: &Grammar, w: &Walker<'_, '_>, e: &syn::Expr, env: Env, depth: usize) -> bool {
    let syn::Expr::Path(p) = strip(e) else {
        return false;
    };
    let Some(name) = p.path.get_ident() else {
        return false;
    };
    if depth > 8 {
        return false;
    }
    let seen = w.state_ref::<Seen>();
    value_exprs(w, &name.to_string(), env)
        .iter()
        .any(|(x, xenv)| {
            let x = strip(x);
            seen.is_some_and(|s| s.0.contains_key(&addr(x)))
                || is_root_call(g, x)
                || is_router_local(g, w, x, *xenv, depth + 1)
        })
}

fn is_router_chain(g: &Grammar, w: &mut Walker<'_, '_>, e: &syn::Expr) -> bool {
    let (base, calls) = method_chain(e);
    if calls.is_empty() {
        return false;
    }
    let known = |m: &str| {
        g.is_router_method(m)
            || g.route.contains(&m)
            || g.layer_before.contains(&m)
            || g.layer_all.contains(&m)
            || g.prefix.contains(&m)
    };
    // The links' names read through a buffer: most method chains are not routers.
    let any = |f: &dyn Fn(&str) -> bool| {
        calls
            .iter()
            .any(|c| crate::intern::with_text(&c.method, |m| f(m)))
    };
    if is_root_call(g, base) {
        return any(&known);
    }
    if foreign_root(g, base) {
        return false;
    }
    if any(&|m| g.is_router_method(m)) {
        return true;
    }
    let env = w.env();
    any(&known) && is_router_local(g, w, base, env, 0)
}

/// Reads one chain, evaluated at `env`, into a router fact; returns its index.
fn build<'ast>(g: &Grammar, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> usize {
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
        span: Span::from_pm2(crate::ast::expr_span(e)),
        ..RouterFact::default()
    };
    if !is_root_call(g, base) {
        let alternatives = targets(g, w, base, env);
        if !alternatives.is_empty() {
            fact.ops.push(RouterOp::Extend { alternatives });
        }
    }
    for call in calls {
        let m = call.method.to_string();
        let args: Vec<&'ast syn::Expr> = call.args.iter().collect();
        if g.route.contains(&m.as_str()) && args.len() >= 2 {
            route_ops(g, w, args[0], args[1], env, &mut fact.ops);
        } else if g.nest.contains(&m.as_str()) && args.len() >= 2 {
            let prefix = lit_str(args[0]);
            for t in targets(g, w, args[1], env) {
                fact.ops.push(RouterOp::Nest {
                    prefix: prefix.clone(),
                    target: t,
                });
            }
        } else if g.merge.contains(&m.as_str()) && !args.is_empty() {
            for t in targets(g, w, args[0], env) {
                fact.ops.push(RouterOp::Merge { target: t });
            }
        } else if g.fallback.contains(&m.as_str()) && !args.is_empty() {
            if let Some(h) = super::handler_ref_at(w, args[0], env) {
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

/// `.route(path, method_router)`: one registration per handler; when the path and the
/// handlers are the elements of a loop over a literal array
/// (`for (p, h) in [("/a", a), ("/b", b)] { r = r.route(p, get(h)) }`), one per element.
fn route_ops<'ast>(
    g: &Grammar,
    w: &mut Walker<'ast, '_>,
    path: &'ast syn::Expr,
    mr: &'ast syn::Expr,
    env: Env,
    ops: &mut Vec<RouterOp>,
) {
    let mut picks: Vec<(Option<(usize, usize)>, String)> = super::loop_picks(w, path, env)
        .into_iter()
        .map(|(pick, p)| (Some(pick), p))
        .collect();
    if picks.is_empty() {
        picks.push((None, super::path_text(w, path, env)));
    }
    for (pick, p) in picks {
        super::set_pick(w, pick);
        for (methods, handler, layers) in method_router(g, w, mr, env) {
            ops.push(RouterOp::Route {
                path: Some(p.clone()),
                methods,
                handler,
                layers,
            });
        }
    }
    super::set_pick(w, None);
}

/// The op of a chain whose base is a router value (`r.route(..)` on a local, a reassigned
/// scope): what that value may be here, each alternative no root of its own.
pub fn continues<'ast, R: Reader>(
    reader: &R,
    w: &mut Walker<'ast, '_>,
    base: &'ast syn::Expr,
    env: Env,
) -> Option<RouterOp> {
    let alternatives = resolve(reader, w, base, env, true);
    mark_nested(w, &alternatives);
    (!alternatives.is_empty()).then_some(RouterOp::Extend { alternatives })
}

/// The chains among `targets` are part of another router, no roots.
fn mark_nested(w: &mut Walker<'_, '_>, targets: &[Target]) {
    for t in targets {
        if let Target::Chain(i) = t {
            w.facts.routers[*i].nested = true;
        }
    }
}

/// The routers a router expression used as an argument or base stands for: a local holds one
/// per definition that may reach it (`if`/`else`, `#[cfg]` blocks, reassignments).
fn targets<'ast>(
    g: &Grammar,
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
) -> Vec<Target> {
    let found = resolve(g, w, e, env, true);
    if found.is_empty() {
        return match strip(e) {
            // A parameter or a let we could not read: name it so nothing passes silently.
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                vec![Target::Unknown(p.path.segments[0].ident.to_string())]
            }
            x if is_root_call(g, x) => Vec::new(),
            x => vec![Target::Unknown(short(x))],
        };
    }
    mark_nested(w, &found);
    found
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
    env: Env,
) -> Vec<Registration> {
    let mut out: Vec<Registration> = Vec::new();
    let (base, calls) = method_chain(e);
    // `get(h).fallback(f)` is a method router, not a router with a fallback of its own.
    let mut cur = e;
    while let syn::Expr::MethodCall(m) = cur {
        w.consume(cur);
        cur = &m.receiver;
    }
    let mut links: Vec<(String, Vec<&'ast syn::Expr>)> = Vec::new();
    if let syn::Expr::Call(c) = base {
        if let Some(name) = crate::extract::last_segment(&c.func) {
            links.push((name, c.args.iter().collect()));
        }
    } else if g.bare_endpoint && matches!(base, syn::Expr::Path(_) | syn::Expr::Closure(_)) {
        if let Some(h) = handler_ref_at(w, base, env) {
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
                if let Some(h) = handler_ref_at(w, args[1], env) {
                    out.push((methods, h, Vec::new()));
                }
            }
            continue;
        }
        if g.fallback.contains(&name.as_str()) {
            // `get(h).fallback(other)`: the other methods of this path.
            if let Some(h) = args.first().and_then(|a| handler_ref_at(w, a, env)) {
                out.push((vec!["ANY".into()], h, Vec::new()));
            }
            continue;
        }
        if let Some(m) = http_method(&name) {
            if let Some(h) = args.first().and_then(|a| handler_ref_at(w, a, env)) {
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
