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
use crate::extract::values::project;
use crate::extract::{Collector, Env, FnFact, FrameworkSpec, ParamFact, Value, Walker};
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
            w.facts.fns[f].extra_mut().routes.push(r);
        }
    }
}

/// Reads a handler expression: a path (`users::list`, `show::<Pg>`) or a closure.
pub fn handler_ref<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) -> Option<HandlerRef> {
    let env = w.env();
    handler_ref_at(w, e, env)
}

/// [`handler_ref`] of an expression evaluated at `env`: a local bound to a fn or a closure is
/// followed to it, and a loop's element to the one picked for the registration being read
/// (see [`loop_picks`]).
pub fn handler_ref_at<'ast>(
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
) -> Option<HandlerRef> {
    handler_ref_depth(w, e, env, 0)
}

fn handler_ref_depth<'ast>(
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> Option<HandlerRef> {
    use syn::spanned::Spanned;
    match e {
        syn::Expr::Path(p) => {
            if let (Some(id), true) = (p.path.get_ident(), depth < 8) {
                if let Some((x, xenv)) = local_handler(w, &id.to_string(), env) {
                    return handler_ref_depth(w, x, xenv, depth + 1);
                }
            }
            Some(HandlerRef::Path {
                segments: crate::extract::segments(&p.path),
                module: w.module.clone(),
                span: Span::from_pm2(p.span()),
            })
        }
        syn::Expr::Reference(r) => handler_ref_depth(w, &r.expr, env, depth + 1),
        syn::Expr::Paren(p) => handler_ref_depth(w, &p.expr, env, depth + 1),
        syn::Expr::Closure(c) => {
            if let Some(fn_index) = w.adopted(c) {
                return Some(HandlerRef::Closure { fn_index });
            }
            let mut calls = CallNames::default();
            calls.visit_expr(&c.body);
            let params = c
                .inputs
                .iter()
                .map(|p| match p {
                    syn::Pat::Type(t) => ParamFact {
                        name: crate::extract::pat_ident(&t.pat).map(Into::into),
                        ty: crate::ast::type_name(&t.ty),
                    },
                    other => ParamFact {
                        name: crate::extract::pat_ident(other).map(Into::into),
                        ty: Default::default(),
                    },
                })
                .collect();
            let item = format!("{}::{{closure}}", w.current_item());
            let span = Span::from_pm2(c.span());
            w.facts.fns.push(FnFact {
                name: "{closure}".into(),
                module: w.module.clone(),
                self_ty: w.self_ty().map(Into::into),
                span: Span {
                    start: span.start,
                    end: span.start,
                },
                extent: span,
                is_closure: true,
                params,
                calls: calls.0.iter().map(crate::intern::Name::from).collect(),
                extra: Some(Box::new(crate::extract::FnExtra {
                    item: Some(item.into()),
                    ..Default::default()
                })),
                ..FnFact::default()
            });
            let fn_index = w.facts.fns.len() - 1;
            w.adopt_closure(c, fn_index);
            Some(HandlerRef::Closure { fn_index })
        }
        _ => None,
    }
}

/// A local that holds a handler: the loop element picked for the registration being read,
/// or the one fn path or closure it is bound to (`let h = users::list;`).
fn local_handler<'ast>(
    w: &Walker<'ast, '_>,
    name: &str,
    env: Env,
) -> Option<(&'ast syn::Expr, Env)> {
    let values = w.values()?;
    let defs = values.lookup(name, env);
    let pick = w.state_ref::<LoopPick>().and_then(|p| p.0);
    for d in &defs {
        if let (Value::Elem(arr, aenv, proj), Some((at, k))) = (d.value, pick) {
            if *arr as *const syn::Expr as usize == at {
                let (el, elenv) = *builder::elements(w, arr, *aenv, 0).get(k)?;
                let x = *project(el, proj).first()?;
                return Some((x, elenv));
            }
        }
    }
    match defs.as_slice() {
        [d] => match d.value {
            Value::Expr(x, xenv) if matches!(x, syn::Expr::Path(_) | syn::Expr::Closure(_)) => {
                Some((*x, *xenv))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The element of a loop's array that the registration being read stands for: (address of
/// the array expression, index).
#[derive(Default)]
pub struct LoopPick(Option<(usize, usize)>);

/// Sets (or clears) the loop element the handlers of the registration being read come from.
pub fn set_pick(w: &mut Walker<'_, '_>, pick: Option<(usize, usize)>) {
    if let Some(p) = w.state::<LoopPick>() {
        p.0 = pick;
    }
}

/// A path argument bound by a `for` loop over a literal array
/// (`for (path, h) in [("/a", a), ("/b", b)]`): one (pick, path text) per element, in order.
/// Empty when the path is no such loop element.
pub fn loop_picks<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
) -> Vec<((usize, usize), String)> {
    let syn::Expr::Path(p) = crate::ast::peel(e) else {
        return Vec::new();
    };
    let Some(name) = p.path.get_ident().map(|i| i.to_string()) else {
        return Vec::new();
    };
    let Some(values) = w.values() else {
        return Vec::new();
    };
    for d in values.lookup(&name, env) {
        if let Value::Elem(arr, aenv, proj) = d.value {
            let at = *arr as *const syn::Expr as usize;
            let mut out = Vec::new();
            for (k, (el, elenv)) in builder::elements(w, arr, *aenv, 0).into_iter().enumerate() {
                if let Some(x) = project(el, proj).first() {
                    out.push(((at, k), path_text(w, x, elenv)));
                }
            }
            return out;
        }
    }
    Vec::new()
}

/// A route path as written: a literal, a local or `concat!` of literals, else `{expr}`
/// (`[base, "/api"].concat()` reads `{base}/api`).
pub fn path_text<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> String {
    if let Some(s) = lit_str(e) {
        return s;
    }
    if let crate::strings::StrSource::Lit(s) = w.str_source_at(e, env) {
        return s;
    }
    if let syn::Expr::MethodCall(m) = crate::ast::peel(e) {
        if m.method == "concat" && m.args.is_empty() {
            if let syn::Expr::Array(a) = crate::ast::peel(&m.receiver) {
                return a
                    .elems
                    .iter()
                    .map(|x| {
                        lit_str(x).unwrap_or_else(|| format!("{{{}}}", crate::extract::short(x)))
                    })
                    .collect();
            }
        }
    }
    format!("{{{}}}", crate::extract::short(crate::ast::peel(e)))
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
