//! Key arguments of cache calls, judged where they are written: whether each carries the tenant
//! ([`crate::extract::tenant::tenant_or_params`]), the elements of array / `vec!` / tuple keys,
//! and which parameters of its fn a key that does not carry the tenant is made from (its
//! callers decide, phase 2: [`super::resolve`]).

use super::ArgFact;
use crate::extract::{short, Env, Value, Walker};

/// An argument as written, judged, with the elements of array / `vec!` / tuple literals.
pub fn arg_fact<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> ArgFact {
    let elems = match crate::ast::peel(e) {
        syn::Expr::Array(a) => a.elems.iter().map(|x| arg_fact(w, x)).collect(),
        syn::Expr::Tuple(t) => t.elems.iter().map(|x| arg_fact(w, x)).collect(),
        syn::Expr::Macro(m) if m.mac.path.is_ident("vec") => w
            .macro_list(&m.mac)
            .map(|l| l.iter().map(|x| arg_fact(w, x)).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let (scoped, params) = crate::extract::tenant::tenant_or_params(w, e);
    ArgFact {
        text: short(e),
        params: params.into(),
        scoped,
        elems: elems.into(),
        ty: declared_type(w, e).map(Into::into),
        made_by: if scoped {
            None
        } else {
            made_by(w, e, w.env(), 0).map(|p| crate::intern::Module::interned(&p))
        },
    }
}

/// The fn whose result an unscoped key is, through locals, `?`, `.await`, `.unwrap()`, blocks,
/// `if let Some(k) = f(..) { k }` and `Some(..)`/`Ok(..)` patterns
/// (`let Some(key) = get_key(&parts) else { .. }`).
fn made_by(w: &Walker<'_, '_>, e: &syn::Expr, at: Env, depth: usize) -> Option<Vec<String>> {
    use crate::extract::values::Proj;
    if depth > 6 {
        return None;
    }
    match crate::ast::peel(e) {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) if p.qself.is_none() => {
                let segs = crate::ast::segments(&p.path);
                // A std constructor is no key's maker.
                (!matches!(
                    segs.last()?.as_str(),
                    "Some" | "Ok" | "Err" | "from" | "new"
                ))
                .then_some(segs)
            }
            _ => None,
        },
        syn::Expr::MethodCall(m)
            if (m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "unwrap" | "clone" | "as_ref" | "as_str" | "to_owned" | "to_string"
                ))
                || m.method == "expect" =>
        {
            made_by(w, &m.receiver, at, depth + 1)
        }
        syn::Expr::If(i) => {
            let t = crate::ast::peel(tail(&i.then_branch)?);
            // `if let Some(key) = get_key(..) { key } else { .. }`
            if let (syn::Expr::Let(l), syn::Expr::Path(p)) = (&*i.cond, t) {
                let name = p.path.get_ident()?.to_string();
                let binds = crate::extract::values::pattern_bindings(&l.pat)
                    .iter()
                    .any(|(n, _, _)| *n == name);
                if binds {
                    return made_by(w, &l.expr, at, depth + 1);
                }
            }
            made_by(w, t, at, depth + 1)
        }
        syn::Expr::Block(b) => made_by(w, tail(&b.block)?, at, depth + 1),
        syn::Expr::Path(p) => {
            let id = p.path.get_ident()?;
            let local = crate::intern::with_text(id, |name| w.local_at(name, at))?;
            if local.is_param {
                return None;
            }
            match w.values()?.def(local.def).value {
                Value::Expr(x, env) => made_by(w, x, *env, depth + 1),
                // `Some(key)` / `Ok(key)` of a call: the call's result holds the key.
                Value::Part(x, env, proj) if matches!(proj.first(), Some(Proj::Variant(v)) if v == "Some" || v == "Ok") => {
                    made_by(w, x, *env, depth + 1)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// A block's tail expression.
fn tail(b: &syn::Block) -> Option<&syn::Expr> {
    match b.stmts.last() {
        Some(syn::Stmt::Expr(t, None)) => Some(t),
        _ => None,
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
    let id = p.path.get_ident()?;
    let ty = crate::intern::with_text(id, |name| w.local(name))?.ty?;
    Some(quote::ToTokens::to_token_stream(ty).to_string())
}
