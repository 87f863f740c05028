//! Web frameworks: how handlers are declared and registered. One file per framework; each turns
//! its source forms into the shared router model below, which phase 2 evaluates into endpoints.

pub mod actix;
pub mod axum;
pub mod builder;
pub mod endpoints;
pub mod inventory;
pub mod poem;
pub mod protection;
pub mod rocket;
pub mod scopes;

use crate::diagnostic::Span;
use crate::extract::{Collector, FnFact, ParamFact, Walker};
use syn::visit::Visit;

/// Names accepted in `[handlers] frameworks`.
pub const KNOWN: &[&str] = &["axum", "actix-web", "rocket", "poem"];

/// The framework collectors, in the order they run.
pub static COLLECTORS: &[&dyn Collector] =
    &[&axum::Axum, &actix::Actix, &rocket::Rocket, &poem::Poem];

/// A router (or app, scope, route table) built by one expression chain.
#[derive(Debug, Clone, Default)]
pub struct RouterFact {
    pub framework: &'static str,
    /// Index of the fn the chain is in (into `FileFacts::fns`).
    pub fn_index: Option<usize>,
    pub span: Span,
    /// This chain is the value its fn returns.
    pub returned: bool,
    /// Consumed by another chain of the same file (so it is not a root).
    pub nested: bool,
    /// Prefix applied to every route of the chain (loco `.prefix`, rocket `mount`, poem-openapi).
    pub prefix: Option<String>,
    pub ops: Vec<RouterOp>,
}

/// How far a layer reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// axum `.layer`/`.route_layer`: the routes added before it.
    Before,
    /// actix `.wrap`, poem `.with`: everything in the container.
    All,
}

#[derive(Debug, Clone)]
pub enum RouterOp {
    /// A handler registration. `path`/`methods` None/empty: take them from the handler's route attribute.
    Route {
        path: Option<String>,
        methods: Vec<String>,
        handler: HandlerRef,
        /// Layers on this one route (`get(h).layer(x)`, `#[get(.., wrap = "x")]`).
        layers: Vec<String>,
    },
    Layer {
        text: String,
        cover: Cover,
    },
    Nest {
        prefix: Option<String>,
        target: Target,
    },
    Merge {
        target: Target,
    },
}

/// A router referred to by another.
#[derive(Debug, Clone)]
pub enum Target {
    /// Another chain of the same file (index into `FileFacts::routers`).
    Chain(usize),
    /// The router returned by a fn: path as written and the module it is written in.
    Call {
        path: Vec<String>,
        module: Vec<String>,
    },
    /// A fn passed to actix `.configure(f)`: the routes it registers on its `ServiceConfig`.
    Configure {
        path: Vec<String>,
        module: Vec<String>,
    },
    Unknown(String),
}

#[derive(Debug, Clone)]
pub enum HandlerRef {
    /// A fn named by a path (generics stripped), resolved in phase 2.
    Path {
        segments: Vec<String>,
        module: Vec<String>,
        span: Span,
    },
    /// A closure recorded as its own fn fact.
    Closure { fn_index: usize },
}

impl HandlerRef {
    pub fn span(&self, fns: &[FnFact]) -> Span {
        match self {
            HandlerRef::Path { span, .. } => *span,
            HandlerRef::Closure { fn_index } => fns[*fn_index].span,
        }
    }
}

/// A layer or wrap expression as written, whole: configured layer names are matched against
/// it, so it is never shortened (long `from_fn_with_state(..)` calls name the fn last).
pub fn layer_text(e: &dyn quote::ToTokens) -> String {
    crate::extract::tokens_text(&quote::ToTokens::to_token_stream(e))
}

/// Records, on the fn being walked, the route attributes that belong to `framework` (see
/// [`actix::owner`]: actix-web and rocket share `#[get(..)]`), read by `read`.
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
        if actix::owner(w, a) != Some(framework) {
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
                self_ty: None,
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
            Some(HandlerRef::Closure {
                fn_index: w.facts.fns.len() - 1,
            })
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

/// A string literal's value.
pub fn lit_str(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        syn::Expr::Reference(r) => lit_str(&r.expr),
        syn::Expr::Paren(p) => lit_str(&p.expr),
        _ => None,
    }
}

/// A method chain `base.m1(a).m2(b)` as (base, [(m1, args), (m2, args)]) innermost first.
pub fn method_chain(e: &syn::Expr) -> (&syn::Expr, Vec<&syn::ExprMethodCall>) {
    let mut calls = Vec::new();
    let mut cur = e;
    loop {
        match cur {
            syn::Expr::MethodCall(m) => {
                calls.push(m);
                cur = &m.receiver;
            }
            syn::Expr::Await(a) => cur = &a.base,
            syn::Expr::Try(t) => cur = &t.expr,
            syn::Expr::Paren(p) => cur = &p.expr,
            _ => break,
        }
    }
    calls.reverse();
    (cur, calls)
}

/// The callee path of a call expression (`Router::new()` -> ["Router", "new"]).
pub fn call_path(e: &syn::Expr) -> Option<Vec<String>> {
    match e {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => Some(crate::extract::segments(&p.path)),
            _ => None,
        },
        _ => None,
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
