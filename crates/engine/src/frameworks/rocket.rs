//! Rocket 0.5: route attributes (`#[get("/x")]`, `#[post("/x", data = "<b>")]`,
//! `#[route(GET, uri = "/x")]`) and `rocket::build().mount(base, routes![a, b])`, the base joined
//! to each route's path. A `routes![..]` anywhere (a `let`, a fn's tail) is a router of its own,
//! so `mount("/api", api::routes())` follows the fn. `.attach(fairing)` covers every mount.

use super::actix::{attr_args, named_args};
use super::builder::{self, local_router, remember, strip};
use super::Framework;
use super::{handler_ref, lit_str, method_chain, Cover, RouterFact, RouterOp, Target};
use crate::diagnostic::Span;
use crate::extract::{short, Collector, FrameworkSpec, RouteAttr, Walker};
use std::collections::HashMap;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;

pub struct Rocket;

pub const FRAMEWORK: &str = "rocket";

/// `routes![..]` macros read in this fn: macro address -> router index.
#[derive(Default)]
struct MacroSeen(HashMap<usize, usize>);

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
        _sig: &'ast syn::Signature,
    ) {
        super::record_route_attrs(w, attrs, FRAMEWORK, route_attr);
    }

    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        if !w.cx.framework(FRAMEWORK) || !matches!(e, syn::Expr::MethodCall(_)) {
            return;
        }
        let (_, calls) = method_chain(e);
        if calls
            .iter()
            .any(|c| c.method == "mount" && c.args.len() == 2)
        {
            build(w, e);
        }
    }

    fn mac<'ast>(&self, w: &mut Walker<'ast, '_>, m: &'ast syn::Macro) {
        if w.cx.framework(FRAMEWORK) && is_routes(m) {
            routes_macro(w, m);
        }
    }

    fn fn_end<'ast>(&self, w: &mut Walker<'ast, '_>) {
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
        builder::on_fn_end(w);
    }
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
    let list = m
        .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    let mut fact = RouterFact {
        framework: FRAMEWORK,
        fn_index: w.fns.last().map(|f| f.fn_index),
        span: Span::from_pm2(m.span()),
        ..RouterFact::default()
    };
    for x in list {
        let x = w.alloc(x);
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

/// `rocket::build().attach(..).mount("/api", routes![..]).mount("/", other())`.
fn build<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) -> usize {
    let (_, calls) = method_chain(e);
    let mut cur = e;
    while let syn::Expr::MethodCall(m) = cur {
        w.consume(cur);
        cur = &m.receiver;
    }
    let mut fact = RouterFact {
        framework: FRAMEWORK,
        fn_index: w.fns.last().map(|f| f.fn_index),
        span: Span::from_pm2(e.span()),
        ..RouterFact::default()
    };
    for call in calls {
        let args: Vec<&'ast syn::Expr> = call.args.iter().collect();
        if call.method == "mount" && args.len() == 2 {
            let prefix =
                Some(lit_str(args[0]).unwrap_or_else(|| format!("{{{}}}", short(args[0]))));
            if let Some(target) = mount_target(w, args[1]) {
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

/// The routes given to `mount`: `routes![..]`, a `let` bound to one, or a fn returning one.
fn mount_target<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) -> Option<Target> {
    let inner = strip(e);
    if let Some(i) = local_router(w, inner) {
        w.facts.routers[i].nested = true;
        return Some(Target::Chain(i));
    }
    match inner {
        syn::Expr::Macro(m) if is_routes(&m.mac) => {
            let i = routes_macro(w, &m.mac)?;
            w.facts.routers[i].nested = true;
            Some(Target::Chain(i))
        }
        syn::Expr::Path(p) if p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            let init = w.local(&name).and_then(|l| l.init);
            match init.map(strip) {
                Some(syn::Expr::Macro(m)) if is_routes(&m.mac) => {
                    let i = routes_macro(w, &m.mac)?;
                    w.facts.routers[i].nested = true;
                    Some(Target::Chain(i))
                }
                _ => Some(Target::Unknown(name)),
            }
        }
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => Some(Target::Call {
                path: crate::extract::segments(&p.path),
                module: w.module.clone(),
            }),
            _ => None,
        },
        _ => None,
    }
}
