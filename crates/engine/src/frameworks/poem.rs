//! Poem and poem-openapi: `#[handler]` fns registered with `Route::new().at(path, get(h).post(h2))`,
//! `.nest(path, r)`; `.with(mw)`/`.around(f)` cover the whole route tree they wrap. poem-openapi
//! operations are the `#[oai(path = .., method = ..)]` methods of an `#[OpenApi(prefix_path = ..)]`
//! impl.

use super::actix::{attr_args, named_args};
use super::builder::{self, Grammar};
use super::Framework;
use super::{lit_str, HandlerRef, RouterFact, RouterOp};
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
        if w.cx.framework(FRAMEWORK) {
            builder::on_expr(&GRAMMAR, w, e);
        }
    }

    fn fn_item<'ast>(
        &self,
        w: &mut Walker<'ast, '_>,
        attrs: &'ast [syn::Attribute],
        _sig: &'ast syn::Signature,
    ) {
        if !w.cx.framework(FRAMEWORK) {
            return;
        }
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
                w.facts.fns[f].routes.push(r);
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
        builder::on_fn_end(w);
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
