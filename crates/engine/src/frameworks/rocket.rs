//! Rocket 0.5: route attributes (`#[get("/x")]`, `#[post("/x", data = "<b>")]`,
//! `#[route(GET, uri = "/x")]`) and `rocket::build().mount(base, routes![a, b])`, the base joined
//! to each route's path. A `routes![..]` anywhere (a `let`, a fn's tail) is a router of its own,
//! so `mount("/api", api::routes())` follows the fn. `.attach(fairing)` covers every mount.

use super::actix::{attr_args, named_args};
use super::builder::{self, remember, strip, Reader};
use super::Framework;
use super::{handler_ref, lit_str, method_chain, Cover, RouterFact, RouterOp, Target};
use crate::diagnostic::Span;
use crate::extract::values::DefId;
use crate::extract::{Collector, Env, FrameworkSpec, RouteAttr, Walker};
use foldhash::HashMap;
use syn::spanned::Spanned;

pub struct Rocket;

pub const FRAMEWORK: &str = "rocket";

/// `routes![..]` macros read in this fn: macro address -> router index.
#[derive(Default)]
struct MacroSeen(HashMap<usize, usize>);

/// Route vectors grown in steps in this fn (`routes.append(&mut api::routes())`,
/// `v.extend(routes![..])`): the binding of the vector -> what was added, in order.
#[derive(Default)]
struct Grown(HashMap<DefId, Vec<Target>>);

/// The fn being walked returns `Vec<Route>`.
#[derive(Default)]
struct ReturnsRoutes(bool);

/// Methods that add routes to a vector.
const GROW: &[&str] = &["append", "extend", "push"];

static SPEC: FrameworkSpec = FrameworkSpec {
    name: FRAMEWORK,
    aliases: &[],
    crates: &["rocket"],
};

impl Framework for Rocket {
    fn spec(&self) -> &'static FrameworkSpec {
        &SPEC
    }
    fn attributes(&self) -> &'static [&'static str] {
        super::METHOD_ATTRIBUTES
    }
    fn attribute_crates(&self) -> &'static [&'static str] {
        &["rocket"]
    }
    /// A bare `#[get(..)]` reads as rocket's when its arguments look like rocket's (`<param>`,
    /// `data = ..`, `route(GET, ..)`).
    fn claims(&self, a: &syn::Attribute) -> bool {
        looks_like_rocket(a)
    }
}

impl Collector for Rocket {
    fn fn_item<'ast>(
        &self,
        w: &mut Walker<'ast, '_>,
        attrs: &'ast [syn::Attribute],
        sig: &'ast syn::Signature,
    ) {
        super::record_route_attrs(w, attrs, FRAMEWORK, route_attr);
        if let syn::ReturnType::Type(_, t) = &sig.output {
            if w.cx.framework(FRAMEWORK)
                && super::protection::mentions(&crate::extract::type_text(t), "Route")
            {
                if let Some(r) = w.state::<ReturnsRoutes>() {
                    r.0 = true;
                }
            }
        }
    }

    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        if !w.cx.framework(FRAMEWORK) {
            return;
        }
        let syn::Expr::MethodCall(m) = e else {
            return;
        };
        let env = w.env();
        if m.args.len() == 1 && GROW.iter().any(|g| m.method == g) {
            grow(w, m, env);
            return;
        }
        if is_chain(w, e, env) {
            build(w, e, env);
        }
    }

    fn mac<'ast>(&self, w: &mut Walker<'ast, '_>, m: &'ast syn::Macro) {
        if w.cx.framework(FRAMEWORK) && is_routes(m) {
            routes_macro(w, m);
        }
    }

    fn fn_end<'ast>(&self, w: &mut Walker<'ast, '_>) {
        // `routes` at the end of a fn returning `Vec<Route>`: the vector is what it returns.
        let returns_routes = w.take_state::<ReturnsRoutes>().is_some_and(|r| r.0);
        let returns: Vec<(&syn::Expr, Env)> = if returns_routes {
            w.returns().to_vec()
        } else {
            Vec::new()
        };
        for (tail, env) in returns {
            if let syn::Expr::Path(p) = strip(tail) {
                if p.path.get_ident().is_some() {
                    if let Some(Target::Chain(i)) = vector(w, tail, env) {
                        w.facts.routers[i].returned = true;
                    }
                }
            }
        }
        if let Some(seen) = w.take_state::<MacroSeen>() {
            let tail = w
                .fns
                .last()
                .and_then(|f| f.body)
                .and_then(|b| match b.stmts.last() {
                    Some(syn::Stmt::Macro(m)) if m.semi_token.is_none() => Some(&m.mac),
                    Some(syn::Stmt::Expr(e, None)) => match strip(e) {
                        syn::Expr::Macro(m) => Some(&m.mac),
                        _ => None,
                    },
                    _ => None,
                });
            if let Some(i) = tail.and_then(|m| seen.0.get(&(m as *const syn::Macro as usize))) {
                w.facts.routers[*i].returned = true;
            }
        }
        w.take_state::<Grown>();
        builder::on_fn_end(&RocketReader, w);
    }
}

/// Reads rocket chains for [`builder::resolve`] (`rocket::build()`, a chain on one).
struct RocketReader;

impl Reader for RocketReader {
    fn framework(&self) -> &'static str {
        FRAMEWORK
    }
    fn make<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<usize> {
        let (base, _) = method_chain(e);
        (is_root(base) || is_chain(w, e, env)).then(|| build(w, e, env))
    }
}

/// `rocket::build()`, `rocket::custom(..)`, `Rocket::build()`.
fn is_root(e: &syn::Expr) -> bool {
    crate::ast::call_path(strip(e)).is_some_and(|p| {
        p.len() >= 2
            && matches!(p[p.len() - 2].as_str(), "rocket" | "Rocket")
            && matches!(p[p.len() - 1].as_str(), "build" | "custom")
    })
}

/// A chain that mounts routes or attaches a fairing on a rocket (or a local holding one).
fn is_chain(w: &Walker<'_, '_>, e: &syn::Expr, env: Env) -> bool {
    let (base, calls) = method_chain(e);
    if calls
        .iter()
        .any(|c| c.method == "mount" && c.args.len() == 2)
    {
        return true;
    }
    calls.iter().any(|c| c.method == "attach")
        && (is_root(base) || is_rocket_local(w, base, env, 0))
}

fn is_rocket_local(w: &Walker<'_, '_>, e: &syn::Expr, env: Env, depth: usize) -> bool {
    let syn::Expr::Path(p) = strip(e) else {
        return false;
    };
    let Some(name) = p.path.get_ident() else {
        return false;
    };
    depth < 8
        && builder::value_exprs(w, &name.to_string(), env)
            .iter()
            .any(|(x, xenv)| {
                let (b, _) = method_chain(strip(x));
                builder::was_read(w, x) || is_root(b) || is_rocket_local(w, b, *xenv, depth + 1)
            })
}

/// The binding a local's definitions at `env` go back to (through reassignments).
fn binding_of(w: &Walker<'_, '_>, name: &str, env: Env) -> Option<DefId> {
    let v = w.values()?;
    let d = v.latest(name, env)?;
    v.history(d.id).last().map(|d| d.id)
}

/// `routes.append(&mut api::routes())`, `v.extend(routes![a, b])`, `v.push(..)`: records what
/// the vector local grew by.
fn grow<'ast>(w: &mut Walker<'ast, '_>, m: &'ast syn::ExprMethodCall, env: Env) {
    let syn::Expr::Path(p) = strip(&m.receiver) else {
        return;
    };
    let Some(name) = p.path.get_ident().map(|i| i.to_string()) else {
        return;
    };
    let Some(binding) = binding_of(w, &name, env) else {
        return;
    };
    // `v.push(item)` of a local that holds no routes is no route vector growing.
    if let syn::Expr::Path(arg) = strip(&m.args[0]) {
        match arg.path.get_ident() {
            Some(id) if holds_routes(w, &id.to_string(), env) => {}
            _ => return,
        }
    }
    let Some(t) = mount_target(w, &m.args[0], env) else {
        return;
    };
    if matches!(t, Target::Unknown(_)) {
        return;
    }
    if let Target::Chain(i) = t {
        w.facts.routers[i].nested = true;
    }
    if let Some(g) = w.state::<Grown>() {
        g.0.entry(binding).or_default().push(t);
    }
}

/// Does the local hold routes here: a `routes![..]`, or a vector that grew by some?
fn holds_routes(w: &Walker<'_, '_>, name: &str, env: Env) -> bool {
    let grown = binding_of(w, name, env)
        .is_some_and(|b| w.state_ref::<Grown>().is_some_and(|g| g.0.contains_key(&b)));
    grown
        || builder::value_exprs(w, name, env)
            .iter()
            .any(|(x, _)| matches!(strip(x), syn::Expr::Macro(m) if is_routes(&m.mac)))
}

/// A local route vector at `env`: one router of what each reaching definition holds and what
/// the vector grew by since (`let mut routes = Vec::new(); routes.append(&mut a::routes());`).
fn vector<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<Target> {
    let syn::Expr::Path(p) = strip(e) else {
        return None;
    };
    let name = p.path.get_ident()?.to_string();
    let values = builder::value_exprs(w, &name, env);
    let binding = binding_of(w, &name, env);
    let grown: Vec<Target> = binding
        .and_then(|b| w.state_ref::<Grown>().and_then(|g| g.0.get(&b).cloned()))
        .unwrap_or_default();
    let mut ops = Vec::new();
    for (x, xenv) in values {
        if let Some(t) = mount_target(w, x, xenv) {
            if !matches!(t, Target::Unknown(_)) {
                if let Target::Chain(i) = t {
                    w.facts.routers[i].nested = true;
                }
                ops.push(RouterOp::Merge { target: t });
            }
        }
    }
    ops.extend(grown.into_iter().map(|t| RouterOp::Merge { target: t }));
    if ops.is_empty() {
        return None;
    }
    w.facts.routers.push(RouterFact {
        framework: FRAMEWORK,
        fn_index: w.fns.last().map(|f| f.fn_index),
        span: Span::from_pm2(syn::spanned::Spanned::span(e)),
        ops,
        ..RouterFact::default()
    });
    Some(Target::Chain(w.facts.routers.len() - 1))
}

/// Does a bare `#[get(..)]`/`#[route(..)]` read as rocket's (used when both frameworks are in use)?
pub fn looks_like_rocket(a: &syn::Attribute) -> bool {
    let args = attr_args(a);
    let path_has_param = args.iter().filter_map(lit_str).any(|p| p.contains('<'));
    let rocket_key = named_args(&args)
        .iter()
        .any(|(k, _)| matches!(k.as_str(), "data" | "format" | "rank" | "uri"));
    let method_first = matches!(args.first(), Some(syn::Expr::Path(_)));
    path_has_param || rocket_key || method_first
}

/// `#[get("/x?<q>")]` -> GET /x; `#[route(GET, uri = "/x")]`; `#[route("/x", method = GET)]`.
fn route_attr(a: &syn::Attribute) -> Option<RouteAttr> {
    let name = a.path().segments.last()?.ident.to_string();
    let args = attr_args(a);
    let mut path = args.first().and_then(lit_str);
    let mut methods = Vec::new();
    if name == "route" {
        if let Some(m) = args.first().and_then(crate::extract::last_segment) {
            methods.push(m.to_ascii_uppercase());
        }
    } else {
        methods.push(name.to_ascii_uppercase());
    }
    for (k, v) in named_args(&args) {
        match k.as_str() {
            "uri" => path = lit_str(v),
            "method" if name == "route" => {
                if let Some(m) = lit_str(v).or_else(|| crate::extract::last_segment(v)) {
                    methods.push(m.to_ascii_uppercase());
                }
            }
            _ => {}
        }
    }
    if methods.is_empty() {
        methods.push("ANY".into());
    }
    let path = path.map(|p| match p.split_once('?') {
        Some((before, _)) => before.to_string(),
        None => p,
    });
    Some(RouteAttr {
        framework: FRAMEWORK,
        methods,
        path,
        wraps: Vec::new(),
    })
}

fn is_routes(m: &syn::Macro) -> bool {
    m.path.segments.last().is_some_and(|s| s.ident == "routes")
}

/// Reads `routes![a, b, api::c]` into a router of attribute-routed handlers (once per macro).
fn routes_macro<'ast>(w: &mut Walker<'ast, '_>, m: &'ast syn::Macro) -> Option<usize> {
    let key = m as *const syn::Macro as usize;
    if let Some(i) = w.state::<MacroSeen>().and_then(|s| s.0.get(&key).copied()) {
        return Some(i);
    }
    let list = w.macro_list(m)?;
    let mut fact = RouterFact {
        framework: FRAMEWORK,
        fn_index: w.fns.last().map(|f| f.fn_index),
        span: Span::from_pm2(m.span()),
        ..RouterFact::default()
    };
    for x in list {
        if let Some(h) = handler_ref(w, x) {
            fact.ops.push(RouterOp::Route {
                path: None,
                methods: Vec::new(),
                handler: h,
                layers: Vec::new(),
            });
        }
    }
    w.facts.routers.push(fact);
    let idx = w.facts.routers.len() - 1;
    if let Some(s) = w.state::<MacroSeen>() {
        s.0.insert(key, idx);
    }
    Some(idx)
}

/// `rocket::build().attach(..).mount("/api", routes![..]).mount("/", other())`, and chains
/// on a local rocket (`r = r.mount(..)`).
fn build<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> usize {
    let (base, calls) = method_chain(e);
    let mut cur = e;
    while let syn::Expr::MethodCall(m) = cur {
        w.consume(cur);
        cur = &m.receiver;
    }
    let mut fact = RouterFact {
        framework: FRAMEWORK,
        fn_index: w.fns.last().map(|f| f.fn_index),
        span: Span::from_pm2(crate::ast::expr_span(e)),
        ..RouterFact::default()
    };
    if !is_root(base) && matches!(strip(base), syn::Expr::Path(_)) {
        fact.ops
            .extend(builder::continues(&RocketReader, w, base, env));
    }
    for call in calls {
        let args: Vec<&'ast syn::Expr> = call.args.iter().collect();
        if call.method == "mount" && args.len() == 2 {
            let prefix = Some(super::path_text(w, args[0], env));
            if let Some(target) = mount_target(w, args[1], env) {
                fact.ops.push(RouterOp::Nest { prefix, target });
            }
        } else if call.method == "attach" && args.len() == 1 {
            fact.ops.push(RouterOp::Layer {
                text: super::layer_text(args[0]),
                cover: Cover::All,
            });
        }
    }
    w.facts.routers.push(fact);
    let idx = w.facts.routers.len() - 1;
    remember(w, e, idx);
    idx
}

/// The routes given to `mount` (or added to a route vector): `routes![..]`, a local route
/// vector (see [`vector`]), or a fn returning one.
fn mount_target<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<Target> {
    let inner = strip(e);
    match inner {
        syn::Expr::Macro(m) if is_routes(&m.mac) => {
            let i = routes_macro(w, &m.mac)?;
            w.facts.routers[i].nested = true;
            Some(Target::Chain(i))
        }
        syn::Expr::Path(p) if p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            match vector(w, inner, env) {
                Some(Target::Chain(i)) => {
                    w.facts.routers[i].nested = true;
                    Some(Target::Chain(i))
                }
                other => other.or(Some(Target::Unknown(name))),
            }
        }
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => {
                let path = crate::extract::segments(&p.path);
                // `api::routes()`, not `Vec::new()` or `Route::new(..)`.
                let n = path.len();
                let ctor = n >= 2 && path[n - 2].starts_with(|c: char| c.is_ascii_uppercase());
                (!ctor).then(|| Target::Call {
                    path,
                    module: w.module.clone(),
                })
            }
            _ => None,
        },
        _ => None,
    }
}
