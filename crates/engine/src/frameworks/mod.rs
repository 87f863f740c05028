//! Web frameworks: how handlers are declared and registered. One file per framework; each turns
//! its source forms into the shared router model below, which phase 2 evaluates into endpoints.

pub mod actix;
pub mod axum;
pub mod builder;
pub mod endpoints;
pub mod poem;
pub mod protection;
pub mod rocket;
pub mod scopes;

use crate::diagnostic::Span;
use crate::extract::{Collector, FnFact, FrameworkSpec, ParamFact, Walker};
use syn::visit::Visit;

pub use crate::ast::{call_path, lit_str, method_chain};
pub use crate::extract::{Cover, HandlerRef, RouterFact, RouterOp, Target};

/// One web framework: how it is detected, which route attributes it owns, and the
/// [`Collector`] that reads its source forms into the router model.
pub trait Framework: Collector {
    fn spec(&self) -> &'static FrameworkSpec;
    /// Route attributes it owns, by last path segment (`get`, `route`, `handler`).
    fn attributes(&self) -> &'static [&'static str] {
        &[]
    }
    /// Crate names that qualify its attributes (`actix_web::get`).
    fn attribute_crates(&self) -> &'static [&'static str] {
        &[]
    }
    /// When several frameworks in use own a bare attribute, does this one claim it (rocket's
    /// `<param>` paths)? The first framework of the registry takes it otherwise.
    fn claims(&self, _attr: &syn::Attribute) -> bool {
        false
    }
}

/// Every framework, in the order their collectors run. A new framework is a file in this
/// folder and a line here.
pub static FRAMEWORKS: &[&dyn Framework] =
    &[&axum::Axum, &actix::Actix, &rocket::Rocket, &poem::Poem];

/// Route attributes named after an HTTP method, plus `route` (several methods): actix-web's
/// and rocket's.
pub const METHOD_ATTRIBUTES: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "trace", "connect", "route",
];

/// Which framework a route attribute belongs to: a qualified one (`actix_web::get`,
/// `rocket::get`) to the framework of that crate; a bare one to the framework in use that owns
/// its name, and when several do (actix-web and rocket share `#[get]`), to the one that claims
/// it, else the first in registry order. Never two: one attribute is one route.
pub fn attr_owner(w: &Walker<'_, '_>, a: &syn::Attribute) -> Option<&'static str> {
    let segs = crate::ast::segments(a.path());
    let name = segs.last()?.as_str();
    let owners = FRAMEWORKS.iter().filter(|f| f.attributes().contains(&name));
    match segs.len() {
        1 => {
            let on: Vec<&&dyn Framework> =
                owners.filter(|f| w.cx.framework(f.spec().name)).collect();
            on.iter()
                .find(|f| on.len() > 1 && f.claims(a))
                .or(on.first())
                .map(|f| f.spec().name)
        }
        2 => owners
            .filter(|f| f.attribute_crates().contains(&segs[0].as_str()))
            .find(|f| w.cx.framework(f.spec().name))
            .map(|f| f.spec().name),
        _ => None,
    }
}

/// A layer or wrap expression as written, whole: configured layer names are matched against
/// it, so it is never shortened (long `from_fn_with_state(..)` calls name the fn last).
pub fn layer_text(e: &dyn quote::ToTokens) -> String {
    crate::extract::tokens_text(&quote::ToTokens::to_token_stream(e))
}

/// Records, on the fn being walked, the route attributes that belong to `framework` (see
/// [`attr_owner`]: actix-web and rocket share `#[get(..)]`), read by `read`.
pub fn record_route_attrs(
    w: &mut Walker<'_, '_>,
    attrs: &[syn::Attribute],
    framework: &'static str,
    read: fn(&syn::Attribute) -> Option<crate::extract::RouteAttr>,
) {
    let Some(f) = w.fns.last().map(|f| f.fn_index) else {
        return;
    };
    for a in attrs {
        if attr_owner(w, a) != Some(framework) {
            continue;
        }
        if let Some(r) = read(a) {
            w.facts.fns[f].routes.push(r);
        }
    }
}

/// Reads a handler expression: a path (`users::list`, `show::<Pg>`) or a closure.
pub fn handler_ref<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) -> Option<HandlerRef> {
    use syn::spanned::Spanned;
    match e {
        syn::Expr::Path(p) => Some(HandlerRef::Path {
            segments: crate::extract::segments(&p.path),
            module: w.module.clone(),
            span: Span::from_pm2(p.span()),
        }),
        syn::Expr::Reference(r) => handler_ref(w, &r.expr),
        syn::Expr::Paren(p) => handler_ref(w, &p.expr),
        syn::Expr::Closure(c) => {
            let mut calls = CallNames::default();
            calls.visit_expr(&c.body);
            let params = c
                .inputs
                .iter()
                .map(|p| match p {
                    syn::Pat::Type(t) => ParamFact {
                        name: crate::extract::pat_ident(&t.pat),
                        ty: crate::extract::type_text(&t.ty),
                    },
                    other => ParamFact {
                        name: crate::extract::pat_ident(other),
                        ty: String::new(),
                    },
                })
                .collect();
            let item = format!("{}::{{closure}}", w.current_item());
            let span = Span::from_pm2(c.span());
            w.facts.fns.push(FnFact {
                name: "{closure}".into(),
                item,
                module: w.module.clone(),
                self_ty: w.self_ty().map(String::from),
                span: Span {
                    start: span.start,
                    end: span.start,
                },
                extent: span,
                is_closure: true,
                params,
                calls: calls.0,
                ..FnFact::default()
            });
            let fn_index = w.facts.fns.len() - 1;
            w.adopt_closure(c, fn_index);
            Some(HandlerRef::Closure { fn_index })
        }
        _ => None,
    }
}

/// Names of everything called inside a closure body.
#[derive(Default)]
struct CallNames(Vec<String>);

impl<'ast> Visit<'ast> for CallNames {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Some(n) = crate::extract::last_segment(&c.func) {
            self.0.push(n);
        }
        syn::visit::visit_expr_call(self, c);
    }
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        self.0.push(m.method.to_string());
        syn::visit::visit_expr_method_call(self, m);
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        if let Some(s) = m.path.segments.last() {
            self.0.push(s.ident.to_string());
        }
    }
}

/// Joins a prefix and a path with exactly one `/` between them.
pub fn join_path(prefix: &str, path: &str) -> String {
    let p = prefix.trim_end_matches('/');
    let s = path.trim_start_matches('/');
    let joined = if s.is_empty() {
        if p.is_empty() {
            "/".to_string()
        } else {
            p.to_string()
        }
    } else {
        format!("{p}/{s}")
    };
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

#[cfg(test)]
mod tests {
    use super::join_path;

    #[test]
    fn joins() {
        assert_eq!(join_path("/api", "/users"), "/api/users");
        assert_eq!(join_path("/api/", "users"), "/api/users");
        assert_eq!(join_path("", "/"), "/");
        assert_eq!(join_path("/api", "/"), "/api");
        assert_eq!(join_path("api/notes/", "{id}"), "/api/notes/{id}");
    }
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    /// Every framework has a fixture project: `fixtures/rules/unprotected-handler/<name>-*`
    /// (by its name or an alias).
    #[test]
    fn every_framework_has_a_fixture_folder() {
        for f in FRAMEWORKS {
            let s = f.spec();
            let names: Vec<&str> = std::iter::once(s.name)
                .chain(s.aliases.iter().copied())
                .collect();
            assert!(
                crate::test_support::has_fixture("unprotected-handler", &names),
                "framework `{}` has no fixture project fixtures/rules/unprotected-handler/{}-*",
                s.name,
                s.name
            );
        }
    }
}
