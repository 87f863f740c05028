//! Poem and poem-openapi: `#[handler]` fns registered with `Route::new().at(path, get(h).post(h2))`,
//! `.nest(path, r)`; `.with(mw)`/`.around(f)` cover the whole route tree they wrap. poem-openapi
//! operations are the `#[oai(path = .., method = ..)]` methods of an `#[OpenApi(prefix_path = ..)]`
//! impl.

use super::actix::{attr_args, named_args};
use super::builder::{self, Grammar};
use super::Framework;
use super::{call_path, lit_str, method_chain, HandlerRef, RouterFact, RouterOp, Target};
use crate::diagnostic::Span;
use crate::extract::{Collector, FrameworkSpec, RouteAttr, Walker};
use syn::spanned::Spanned;

pub struct Poem;

pub const FRAMEWORK: &str = "poem";

pub static GRAMMAR: Grammar = Grammar {
    framework: FRAMEWORK,
    roots: &["Route"],
    route: &["at"],
    nest: &["nest", "nest_no_strip"],
    merge: &[],
    fallback: &[],
    layer_before: &[],
    layer_all: &["with", "around", "with_if"],
    prefix: &[],
    services: &[],
    bare_endpoint: true,
    constructors: &["new", "default", "with_path", "with_default_routes"],
    ambiguous: &["at"],
    route_layers: &["layer", "route_layer", "with", "around"],
    method_filters: &["on", "on_with"],
};

static SPEC: FrameworkSpec = FrameworkSpec {
    name: FRAMEWORK,
    aliases: &[],
    crates: &["poem", "poem-openapi"],
};

impl Framework for Poem {
    fn spec(&self) -> &'static FrameworkSpec {
        &SPEC
    }
    fn attributes(&self) -> &'static [&'static str] {
        &["handler"]
    }
    fn attribute_crates(&self) -> &'static [&'static str] {
        &["poem"]
    }
}

impl Collector for Poem {
    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        if w.cx.framework(FRAMEWORK) && !openapi_service(w, e) {
            builder::on_expr(&GRAMMAR, w, e);
        }
    }

    fn fn_item<'ast>(
        &self,
        w: &mut Walker<'ast, '_>,
        attrs: &'ast [syn::Attribute],
        sig: &'ast syn::Signature,
    ) {
        if !w.cx.framework(FRAMEWORK) {
            return;
        }
        builder::on_fn_item(&GRAMMAR, w, sig);
        let Some(f) = w.fns.last().map(|f| f.fn_index) else {
            return;
        };
        for a in attrs {
            let Some(name) = a.path().segments.last().map(|s| s.ident.to_string()) else {
                continue;
            };
            let route = match name.as_str() {
                // `#[handler]`, when poem owns it (salvo has one too).
                "handler" if super::attr_owner(w, a) == Some(FRAMEWORK) => Some(RouteAttr {
                    framework: FRAMEWORK,
                    methods: Vec::new(),
                    path: None,
                    wraps: Vec::new(),
                }),
                "oai" => operation(a),
                _ => None,
            };
            if let Some(r) = route {
                w.facts.fns[f].extra_mut().routes.push(r);
            }
        }
    }

    fn item_impl<'ast>(&self, w: &mut Walker<'ast, '_>, i: &'ast syn::ItemImpl) {
        if !w.cx.framework(FRAMEWORK) {
            return;
        }
        let Some(api) = i.attrs.iter().find(|a| {
            a.path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "OpenApi")
        }) else {
            return;
        };
        let prefix = named_args(&attr_args(api))
            .into_iter()
            .find(|(k, _)| k == "prefix_path")
            .and_then(|(_, v)| lit_str(v));
        let Some(self_ty) = w.self_ty().map(String::from) else {
            return;
        };
        // The impl is a router: its operations, paths from their `#[oai]`, under the prefix.
        let mut fact = RouterFact {
            framework: FRAMEWORK,
            fn_index: w.fns.last().map(|f| f.fn_index),
            span: Span::from_pm2(i.span()),
            prefix,
            api: Some(self_ty.clone()),
            ..RouterFact::default()
        };
        for item in &i.items {
            let syn::ImplItem::Fn(f) = item else { continue };
            if !f.attrs.iter().any(|a| {
                a.path().segments.last().is_some_and(|s| s.ident == "oai") && operation(a).is_some()
            }) {
                continue;
            }
            fact.ops.push(RouterOp::Route {
                path: None,
                methods: Vec::new(),
                handler: HandlerRef::Path {
                    segments: vec![self_ty.clone(), f.sig.ident.to_string()],
                    module: w.module.clone(),
                    span: Span::from_pm2(f.sig.ident.span()),
                },
                layers: Vec::new(),
            });
        }
        if !fact.ops.is_empty() {
            w.facts.routers.push(fact);
        }
    }

    fn fn_end<'ast>(&self, w: &mut Walker<'ast, '_>) {
        builder::on_fn_end(&GRAMMAR, w);
    }
}

/// `OpenApiService::new(Api, "title", "1.0").server(..)`: a router of the operations of the
/// API types it is given (`Api`, `Api::new(db)`, `(UserApi, PetApi)`), so that
/// `Route::new().nest("/api", service)` puts them under `/api`. Returns true when `e` is one.
fn openapi_service<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) -> bool {
    let (base, _) = method_chain(e);
    let is_service = call_path(base).is_some_and(|p| {
        p.len() >= 2 && p[p.len() - 2] == "OpenApiService" && p[p.len() - 1] == "new"
    });
    let syn::Expr::Call(call) = base else {
        return false;
    };
    if !is_service {
        return false;
    }
    let mut cur = e;
    while let syn::Expr::MethodCall(m) = cur {
        w.consume(cur);
        cur = &m.receiver;
    }
    w.consume(base);
    let mut names = Vec::new();
    if let Some(apis) = call.args.first() {
        let env = w.env();
        api_types(w, apis, env, &mut names, 0);
    }
    let fact = RouterFact {
        framework: FRAMEWORK,
        fn_index: w.fns.last().map(|f| f.fn_index),
        span: Span::from_pm2(crate::ast::expr_span(e)),
        ops: names
            .into_iter()
            .map(|name| RouterOp::Merge {
                target: Target::Api { name },
            })
            .collect(),
        ..RouterFact::default()
    };
    w.facts.routers.push(fact);
    let idx = w.facts.routers.len() - 1;
    builder::remember(w, e, idx);
    true
}

/// The API types an `OpenApiService::new` argument names: a type path, a struct literal, a
/// constructor call, a tuple of those, a local bound to one.
fn api_types<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: crate::extract::Env,
    out: &mut Vec<String>,
    depth: usize,
) {
    if depth > 8 {
        return;
    }
    let e = crate::ast::peel(e);
    match e {
        syn::Expr::Tuple(t) => {
            for x in &t.elems {
                api_types(w, x, env, out, depth + 1);
            }
        }
        syn::Expr::Struct(s) => out.extend(s.path.segments.last().map(|s| s.ident.to_string())),
        syn::Expr::Call(_) => {
            if let Some(p) = call_path(e) {
                if p.len() >= 2 {
                    out.push(p[p.len() - 2].clone());
                }
            }
        }
        syn::Expr::Path(p) => match p.path.get_ident() {
            Some(id) if w.local_at(&id.to_string(), env).is_some() => {
                for (x, xenv) in builder::value_exprs(w, &id.to_string(), env) {
                    api_types(w, x, xenv, out, depth + 1);
                }
            }
            _ => out.extend(p.path.segments.last().map(|s| s.ident.to_string())),
        },
        _ => {}
    }
}

/// `#[oai(path = "/x", method = "get")]` on a method (not `#[oai(ty = ..)]` on a type).
fn operation(a: &syn::Attribute) -> Option<RouteAttr> {
    let args = attr_args(a);
    let named = named_args(&args);
    let path = named
        .iter()
        .find(|(k, _)| k == "path")
        .and_then(|(_, v)| lit_str(v))?;
    let mut methods: Vec<String> = named
        .iter()
        .filter(|(k, _)| k == "method")
        .filter_map(|(_, v)| lit_str(v).or_else(|| crate::extract::last_segment(v)))
        .map(|m| m.to_ascii_uppercase())
        .collect();
    if methods.is_empty() {
        methods.push("ANY".into());
    }
    Some(RouteAttr {
        framework: FRAMEWORK,
        methods,
        path: Some(path),
        wraps: Vec::new(),
    })
}
