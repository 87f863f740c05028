//! axum (0.7/0.8), and the routers built on it: loco `Routes`, aide `ApiRouter`.
//! `.layer`/`.route_layer` cover only the routes added before them.

use super::builder::{self, Grammar};
use super::Framework;
use crate::extract::{Collector, FrameworkSpec, Walker};

pub struct Axum;

pub static GRAMMAR: Grammar = Grammar {
    framework: "axum",
    roots: &["Router", "ApiRouter", "Routes", "OpenApiRouter"],
    route: &["route", "api_route", "api_route_with", "add"],
    nest: &["nest", "nest_api_service"],
    merge: &["merge"],
    fallback: &["fallback"],
    layer_before: &["layer", "route_layer"],
    layer_all: &[],
    prefix: &["prefix"],
    services: &["route_service", "nest_service", "fallback_service"],
    bare_endpoint: false,
    constructors: &["new", "default", "with_path", "with_default_routes"],
    ambiguous: &["add", "layer"],
    route_layers: &["layer", "route_layer", "with", "around"],
    method_filters: &["on", "on_with"],
};

static SPEC: FrameworkSpec = FrameworkSpec {
    name: "axum",
    aliases: &[],
    crates: &["axum", "loco-rs", "aide"],
};

impl Framework for Axum {
    fn spec(&self) -> &'static FrameworkSpec {
        &SPEC
    }
}

impl Collector for Axum {
    fn fn_item<'ast>(
        &self,
        w: &mut Walker<'ast, '_>,
        _attrs: &'ast [syn::Attribute],
        sig: &'ast syn::Signature,
    ) {
        if w.cx.framework("axum") {
            builder::on_fn_item(&GRAMMAR, w, sig);
        }
    }

    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        if w.cx.framework("axum") {
            builder::on_expr(&GRAMMAR, w, e);
        }
    }

    fn fn_end<'ast>(&self, w: &mut Walker<'ast, '_>) {
        builder::on_fn_end(&GRAMMAR, w);
    }
}
