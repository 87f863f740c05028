//! Key arguments of cache calls, judged where they are written: whether each carries the tenant
//! ([`crate::extract::tenant::tenant_or_params`]), the elements of array / `vec!` / tuple keys,
//! and which parameters of its fn a key that does not carry the tenant is made from (its
//! callers decide, phase 2: [`super::resolve`]).

use super::ArgFact;
use crate::extract::{short, Walker};

/// An argument as written, judged, with the elements of array / `vec!` / tuple literals.
pub fn arg_fact(w: &Walker<'_, '_>, e: &syn::Expr) -> ArgFact {
    let elems = match crate::ast::peel(e) {
        syn::Expr::Array(a) => a.elems.iter().map(|x| arg_fact(w, x)).collect(),
        syn::Expr::Tuple(t) => t.elems.iter().map(|x| arg_fact(w, x)).collect(),
        syn::Expr::Macro(m) if m.mac.path.is_ident("vec") => m
            .mac
            .parse_body_with(
                syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            )
            .map(|l| l.iter().map(|x| arg_fact(w, x)).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let (scoped, params) = crate::extract::tenant::tenant_or_params(w, e);
    ArgFact {
        text: short(e),
        params,
        scoped,
        elems,
        ty: declared_type(w, e),
    }
}

/// The declared type of a local or parameter used as the key (`key`, `&key`, `key.clone()`):
/// phase 2 looks for a tenant field in the struct it names.
fn declared_type(w: &Walker<'_, '_>, e: &syn::Expr) -> Option<String> {
    let mut e = crate::ast::peel(e);
    while let syn::Expr::MethodCall(m) = e {
        if !m.args.is_empty()
            || !matches!(
                m.method.to_string().as_str(),
                "clone"
                    | "to_owned"
                    | "to_string"
                    | "as_ref"
                    | "as_str"
                    | "as_bytes"
                    | "borrow"
                    | "deref"
            )
        {
            return None;
        }
        e = crate::ast::peel(&m.receiver);
    }
    let syn::Expr::Path(p) = e else { return None };
    let name = p.path.get_ident()?.to_string();
    let ty = w.local(&name)?.ty?;
    Some(quote::ToTokens::to_token_stream(ty).to_string())
}
