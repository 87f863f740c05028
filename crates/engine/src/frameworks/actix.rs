//! actix-web 4: route attributes, `App`/`Scope` services, `web::resource`, `.configure`; `.wrap` covers its container.
//!
//! Attribute routing: `#[get("/x")]`, `#[route("/x", method = "GET", method = "HEAD")]`,
//! `#[routes] #[get("/a")] #[delete("/a")]`, bare or `actix_web::`-qualified, `wrap = ".."` read as
//! a layer of that route. Rocket shares the bare `get`/`post`/.. names: see [`owner`].
//!
//! Builder routing: `App::new()`, `web::scope(p)`, `web::resource(p)` (and `Scope::new`,
//! `Resource::new`) and, inside a fn taking `&mut web::ServiceConfig`, chains on that parameter.
//! Each chain is one [`RouterFact`]; a scope's or resource's path is its prefix, `.service(..)` of a
//! chain merges it, `.service(h)` registers an attribute-routed fn, `.configure(f)` follows `f`.

use super::builder::{self, remember, strip, Reader};
use super::Framework;
use super::{
    call_path, handler_ref_at, lit_str, method_chain, Cover, HandlerRef, RouterFact, RouterOp,
    Target,
};
use crate::diagnostic::Span;
use crate::extract::{short, Collector, Env, FrameworkSpec, RouteAttr, Walker};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;

pub struct Actix;

pub const FRAMEWORK: &str = "actix-web";

/// HTTP methods that have a route attribute and a `web::<method>()` route builder.
const METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "trace", "connect",
];

static SPEC: FrameworkSpec = FrameworkSpec {
    name: FRAMEWORK,
    aliases: &["actix"],
    crates: &["actix-web"],
};

impl Framework for Actix {
    fn spec(&self) -> &'static FrameworkSpec {
        &SPEC
    }
    fn attributes(&self) -> &'static [&'static str] {
        super::METHOD_ATTRIBUTES
    }
    fn attribute_crates(&self) -> &'static [&'static str] {
        &["actix_web"]
    }
}

impl Collector for Actix {
    fn fn_item<'ast>(
        &self,
        w: &mut Walker<'ast, '_>,
        attrs: &'ast [syn::Attribute],
        _sig: &'ast syn::Signature,
    ) {
        super::record_route_attrs(w, attrs, FRAMEWORK, route_attr);
    }

    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        if !w.cx.framework(FRAMEWORK) || !matches!(e, syn::Expr::MethodCall(_)) {
            return;
        }
        let env = w.env();
        if is_chain(w, e, env) {
            build(w, e, env);
        }
    }

    fn fn_end<'ast>(&self, w: &mut Walker<'ast, '_>) {
        builder::on_fn_end(&ActixReader, w);
    }
}

/// Reads actix containers for [`builder::resolve`]: `App::new()`, `web::scope(p)`,
/// `web::resource(p)` and chains on them.
struct ActixReader;

impl Reader for ActixReader {
    fn framework(&self) -> &'static str {
        FRAMEWORK
    }
    fn make<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<usize> {
        let (base, _) = method_chain(e);
        base_kind(w, base, env)?;
        build(w, e, env)
    }
}

/// Arguments of an attribute as expressions (`"/x", method = "GET"`).
pub fn attr_args(a: &syn::Attribute) -> Vec<syn::Expr> {
    a.parse_args_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .map(|p| p.into_iter().collect())
        .unwrap_or_default()
}

/// `name = "value"` arguments.
pub fn named_args(args: &[syn::Expr]) -> Vec<(String, &syn::Expr)> {
    args.iter()
        .filter_map(|a| match a {
            syn::Expr::Assign(x) => crate::extract::last_segment(&x.left).map(|n| (n, &*x.right)),
            _ => None,
        })
        .collect()
}

/// `#[get("/x", wrap = "Auth")]`, `#[route("/x", method = "GET", method = "HEAD")]`.
fn route_attr(a: &syn::Attribute) -> Option<RouteAttr> {
    let name = a.path().segments.last()?.ident.to_string();
    let args = attr_args(a);
    let path = args.first().and_then(lit_str);
    let mut methods = Vec::new();
    let mut wraps = Vec::new();
    for (k, v) in named_args(&args) {
        match k.as_str() {
            "method" => {
                if let Some(m) = lit_str(v).or_else(|| crate::extract::last_segment(v)) {
                    methods.push(m.to_ascii_uppercase());
                }
            }
            "wrap" => wraps.push(lit_str(v).unwrap_or_else(|| super::layer_text(v))),
            _ => {}
        }
    }
    if name != "route" {
        methods = vec![name.to_ascii_uppercase()];
    }
    if methods.is_empty() {
        methods.push("ANY".into());
    }
    Some(RouteAttr {
        framework: FRAMEWORK,
        methods,
        path,
        wraps,
    })
}

/// What a chain's base is.
enum Base {
    App,
    /// `web::scope(p)`: p prefixes everything inside.
    Scope(String),
    /// `web::resource(p)`: the routes of one path.
    Resource(String),
    /// The `&mut ServiceConfig` of a `configure` fn.
    Config,
    /// A local holding a container (`let mut scope = web::scope(..); scope = scope.route(..)`).
    Local,
}

fn base_kind(w: &Walker<'_, '_>, e: &syn::Expr, env: Env) -> Option<Base> {
    base_kind_depth(w, e, env, 0)
}

fn base_kind_depth(w: &Walker<'_, '_>, e: &syn::Expr, env: Env, depth: usize) -> Option<Base> {
    let e = strip(e);
    if let Some(p) = call_path(e) {
        let n = p.len();
        let last = p[n - 1].as_str();
        let ty = if n >= 2 { p[n - 2].as_str() } else { "" };
        let arg = || match e {
            syn::Expr::Call(c) => c
                .args
                .first()
                .map(|a| lit_str(a).unwrap_or_else(|| format!("{{{}}}", short(a)))),
            _ => None,
        };
        return match (ty, last) {
            ("App", "new" | "default") => Some(Base::App),
            ("Scope", "new") | ("web" | "", "scope") => arg().map(Base::Scope),
            ("Resource", "new") | ("web" | "", "resource") => arg().map(Base::Resource),
            _ => None,
        };
    }
    let syn::Expr::Path(p) = e else {
        return None;
    };
    let name = p.path.get_ident()?.to_string();
    let inline = w
        .state_ref::<ConfigParams>()
        .is_some_and(|v| v.0.contains(&name));
    if inline {
        return Some(Base::Config);
    }
    let l = w.local_at(&name, env)?;
    if l.ty
        .is_some_and(|t| crate::extract::type_text(t).contains("ServiceConfig"))
    {
        return Some(Base::Config);
    }
    if depth > 8 {
        return None;
    }
    let seen = |x: &syn::Expr| builder::was_read(w, x);
    let local = builder::value_exprs(w, &name, env)
        .into_iter()
        .any(|(x, xenv)| {
            let (xb, _) = method_chain(strip(x));
            seen(strip(x)) || base_kind_depth(w, xb, xenv, depth + 1).is_some()
        });
    local.then_some(Base::Local)
}

const CHAIN_METHODS: &[&str] = &[
    "service",
    "route",
    "to",
    "default_service",
    "configure",
    "wrap",
    "wrap_fn",
];

fn is_chain(w: &Walker<'_, '_>, e: &syn::Expr, env: Env) -> bool {
    let (base, calls) = method_chain(e);
    let named = |m: &str| CHAIN_METHODS.contains(&m) || METHODS.contains(&m);
    // Read through a buffer: most method chains are not actix's.
    if !calls
        .iter()
        .any(|c| crate::intern::with_text(&c.method, named))
    {
        return false;
    }
    let Some(kind) = base_kind(w, base, env) else {
        return false;
    };
    calls.iter().any(|c| {
        let m = c.method.to_string();
        CHAIN_METHODS.contains(&m.as_str())
            || matches!(kind, Base::Resource(_)) && METHODS.contains(&m.as_str())
    })
}

/// Reads one chain into a router fact; returns its index.
fn build<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<usize> {
    let (base, calls) = method_chain(e);
    let kind = base_kind(w, base, env)?;
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
    // Paths of a resource's own routes (the resource path is the router's prefix).
    let here = String::new();
    match &kind {
        Base::Scope(p) | Base::Resource(p) => fact.prefix = Some(p.clone()),
        Base::Local => fact
            .ops
            .extend(builder::continues(&ActixReader, w, base, env)),
        Base::App | Base::Config => {}
    }
    let resource = matches!(kind, Base::Resource(_));
    for call in calls {
        let m = call.method.to_string();
        let args: Vec<&'ast syn::Expr> = call.args.iter().collect();
        match (m.as_str(), args.len()) {
            ("service", 1) => services(w, args[0], env, &mut fact.ops),
            ("route", 2) => {
                let path = super::path_text(w, args[0], env);
                if let Some((methods, handler, layers)) = route_def(w, args[1], env) {
                    fact.ops.push(RouterOp::Route {
                        path: Some(path),
                        methods,
                        handler,
                        layers,
                    });
                }
            }
            ("route", 1) => {
                if let Some((methods, handler, layers)) = route_def(w, args[0], env) {
                    fact.ops.push(RouterOp::Route {
                        path: Some(here.clone()),
                        methods,
                        handler,
                        layers,
                    });
                }
            }
            ("to", 1) if resource => {
                if let Some(h) = handler_ref_at(w, args[0], env) {
                    fact.ops.push(RouterOp::Route {
                        path: Some(here.clone()),
                        methods: vec!["ANY".into()],
                        handler: h,
                        layers: Vec::new(),
                    });
                }
            }
            (method, 1) if resource && METHODS.contains(&method) => {
                if let Some(h) = handler_ref_at(w, args[0], env) {
                    fact.ops.push(RouterOp::Route {
                        path: Some(here.clone()),
                        methods: vec![method.to_ascii_uppercase()],
                        handler: h,
                        layers: Vec::new(),
                    });
                }
            }
            ("default_service", 1) => {
                let reg = route_def(w, args[0], env).or_else(|| {
                    handler_ref_at(w, strip(args[0]), env)
                        .map(|h| (vec!["ANY".into()], h, Vec::new()))
                });
                if let Some((methods, handler, layers)) = reg {
                    fact.ops.push(RouterOp::Route {
                        path: Some("/{tail}*".into()),
                        methods,
                        handler,
                        layers,
                    });
                }
            }
            ("configure", 1) => configure(w, args[0], env, &mut fact.ops),
            ("wrap" | "wrap_fn", 1) => fact.ops.push(RouterOp::Layer {
                text: super::layer_text(args[0]),
                cover: Cover::All,
            }),
            _ => {}
        }
    }
    w.facts.routers.push(fact);
    let idx = w.facts.routers.len() - 1;
    remember(w, e, idx);
    Some(idx)
}

/// `.configure(f)`: a fn, a closure, a fn returning the configuring closure, or a local
/// bound to one (`for f in [a::config, b::config] { scope = scope.configure(f) }`: each).
fn configure<'ast>(
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    ops: &mut Vec<RouterOp>,
) {
    configure_depth(w, e, env, ops, 0)
}

fn configure_depth<'ast>(
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    ops: &mut Vec<RouterOp>,
    depth: usize,
) {
    let inner = strip(e);
    if let syn::Expr::Closure(c) = inner {
        configure_closure(w, c, ops);
    } else if let Some(Target::Call { path, module }) = fn_call(w, inner) {
        // `.configure(auth::configure())`: a fn returning the configuring closure.
        ops.push(RouterOp::Merge {
            target: Target::Configure { path, module },
        });
    } else if let syn::Expr::Path(p) = inner {
        let local = p
            .path
            .get_ident()
            .filter(|_| depth < 8)
            .map(|id| builder::value_exprs(w, &id.to_string(), env))
            .unwrap_or_default();
        if local.is_empty() {
            ops.push(RouterOp::Merge {
                target: Target::Configure {
                    path: crate::extract::segments(&p.path),
                    module: w.module.clone(),
                },
            });
        }
        for (x, xenv) in local {
            configure_depth(w, x, xenv, ops, depth + 1);
        }
    } else {
        ops.push(RouterOp::Merge {
            target: Target::Unknown(short(e)),
        });
    }
}

/// Closure parameters that are a `ServiceConfig` (`.configure(|cfg| { cfg.service(..); })`).
#[derive(Default)]
struct ConfigParams(Vec<String>);

/// `.configure(|cfg| { cfg.service(a).route(..); cfg.service(b); })`: the chains on the closure's
/// parameter are read here, as part of the configuring router.
fn configure_closure<'ast>(
    w: &mut Walker<'ast, '_>,
    c: &'ast syn::ExprClosure,
    ops: &mut Vec<RouterOp>,
) {
    let Some(param) = c.inputs.first().and_then(crate::extract::pat_ident) else {
        return;
    };
    let stmts: Vec<&'ast syn::Expr> = match &*c.body {
        syn::Expr::Block(b) => b
            .block
            .stmts
            .iter()
            .filter_map(|s| match s {
                syn::Stmt::Expr(e, _) => Some(e),
                _ => None,
            })
            .collect(),
        other => vec![other],
    };
    let Some(params) = w.state::<ConfigParams>() else {
        return;
    };
    params.0.push(param);
    for e in stmts {
        let env = w.env();
        if matches!(e, syn::Expr::MethodCall(_)) && is_chain(w, e, env) {
            if let Some(i) = build(w, e, env) {
                w.facts.routers[i].nested = true;
                ops.push(RouterOp::Merge {
                    target: Target::Chain(i),
                });
            }
        }
    }
    if let Some(params) = w.state::<ConfigParams>() {
        params.0.pop();
    }
}

/// The argument of `.service(..)`: an attribute-routed fn, a scope or resource chain, a fn
/// returning one, a tuple of those, or `services![..]`.
fn services<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env, ops: &mut Vec<RouterOp>) {
    let inner = strip(e);
    if matches!(inner, syn::Expr::Path(_)) && base_kind(w, inner, env).is_some() {
        for t in builder::resolve(&ActixReader, w, inner, env, true) {
            if let Target::Chain(i) = t {
                w.facts.routers[i].nested = true;
            }
            ops.push(RouterOp::Merge { target: t });
        }
        return;
    }
    match inner {
        syn::Expr::Tuple(t) => t.elems.iter().for_each(|x| services(w, x, env, ops)),
        syn::Expr::Macro(m)
            if m.mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "services") =>
        {
            if let Some(list) = w.macro_list(&m.mac) {
                for x in list {
                    services(w, x, env, ops);
                }
            }
        }
        syn::Expr::MethodCall(_) => {
            let (base, _) = method_chain(inner);
            if base_kind(w, base, env).is_some() {
                if let Some(i) = build(w, inner, env) {
                    w.facts.routers[i].nested = true;
                    ops.push(RouterOp::Merge {
                        target: Target::Chain(i),
                    });
                }
            } else if let Some(t) = fn_call(w, base) {
                // `api::scope().wrap(auth)`: the fn's scope, under the wraps of this chain.
                let mut fact = RouterFact {
                    framework: FRAMEWORK,
                    fn_index: w.fns.last().map(|f| f.fn_index),
                    span: Span::from_pm2(inner.span()),
                    nested: true,
                    ..RouterFact::default()
                };
                fact.ops.push(RouterOp::Merge { target: t });
                let (_, calls) = method_chain(inner);
                for c in calls {
                    if (c.method == "wrap" || c.method == "wrap_fn") && c.args.len() == 1 {
                        fact.ops.push(RouterOp::Layer {
                            text: super::layer_text(&c.args[0]),
                            cover: Cover::All,
                        });
                    }
                }
                let mut cur = inner;
                while let syn::Expr::MethodCall(m) = cur {
                    w.consume(cur);
                    cur = &m.receiver;
                }
                w.facts.routers.push(fact);
                ops.push(RouterOp::Merge {
                    target: Target::Chain(w.facts.routers.len() - 1),
                });
            }
        }
        syn::Expr::Call(_) if base_kind(w, inner, env).is_none() => {
            if let Some(t) = fn_call(w, inner) {
                ops.push(RouterOp::Merge { target: t });
            }
        }
        syn::Expr::Path(p) => {
            // A local that is not a router we read (`let files = Files::new(..)`) is a service.
            if p.path.segments.len() == 1
                && w.local(&p.path.segments[0].ident.to_string()).is_some()
            {
                return;
            }
            if let Some(h) = handler_ref_at(w, inner, env) {
                ops.push(RouterOp::Route {
                    path: None,
                    methods: Vec::new(),
                    handler: h,
                    layers: Vec::new(),
                });
            }
        }
        _ => {}
    }
}

/// `api::scope()`: a call of a fn (not a type's constructor such as `Files::new`).
fn fn_call(w: &Walker<'_, '_>, e: &syn::Expr) -> Option<Target> {
    let path = call_path(e)?;
    let last = path.last()?;
    if !last.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        return None;
    }
    if path.len() >= 2 && path[path.len() - 2].starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    Some(Target::Call {
        path,
        module: w.module.clone(),
    })
}

type Registration = (Vec<String>, HandlerRef, Vec<String>);

/// `web::get().to(h)`, `web::route().method(Method::POST).to(h)`, `web::to(h)`,
/// `web::route().guard(guard::Get()).to(h)`.
fn route_def<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<Registration> {
    let (base, calls) = method_chain(strip(e));
    let syn::Expr::Call(c) = base else {
        return None;
    };
    let name = crate::extract::last_segment(&c.func)?;
    let mut methods: Vec<String> = Vec::new();
    let mut handler = None;
    let mut layers = Vec::new();
    match name.as_str() {
        m if METHODS.contains(&m) => methods.push(m.to_ascii_uppercase()),
        "route" => {}
        "method" => methods.extend(c.args.first().map(method_name)),
        "to" => handler = c.args.first().and_then(|a| handler_ref_at(w, a, env)),
        _ => return None,
    }
    for call in calls {
        let Some(a) = call.args.first() else { continue };
        match call.method.to_string().as_str() {
            "to" => handler = handler_ref_at(w, a, env),
            "method" => methods.push(method_name(a)),
            "guard" => {
                let text = short(a).to_ascii_uppercase();
                if let Some(m) = METHODS
                    .iter()
                    .find(|m| text.contains(&format!("::{}(", m.to_ascii_uppercase())))
                {
                    methods.push(m.to_ascii_uppercase());
                }
            }
            "wrap" => layers.push(super::layer_text(a)),
            _ => {}
        }
    }
    if methods.is_empty() {
        methods.push("ANY".into());
    }
    Some((methods, handler?, layers))
}

/// `Method::GET`, `http::Method::POST` -> `GET`.
fn method_name(e: &syn::Expr) -> String {
    crate::extract::last_segment(e)
        .unwrap_or_else(|| short(e))
        .to_ascii_uppercase()
}
