//! Key arguments of cache calls, judged where they are written: whether each carries the tenant
//! ([`crate::extract::tenant::carries_tenant`]), the elements of array / `vec!` / tuple keys,
//! and whether the key is a parameter of its fn (its callers decide, phase 2).

use super::ArgFact;
use crate::extract::{short, Walker};

/// An argument as written, judged, with the elements of array / `vec!` / tuple literals.
pub fn arg_fact(w: &Walker<'_, '_>, e: &syn::Expr) -> ArgFact {
    let elems = match peel(e) {
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
    let scoped = crate::extract::tenant::carries_tenant(w, e);
    ArgFact {
        text: short(e),
        param: if scoped { None } else { param_index(w, e) },
        scoped,
        elems,
    }
}

/// The position of the enclosing fn's parameter that `e` is, exactly (`key`, `&key`).
fn param_index(w: &Walker<'_, '_>, e: &syn::Expr) -> Option<usize> {
    let syn::Expr::Path(p) = peel(e) else {
        return None;
    };
    let name = p.path.get_ident()?.to_string();
    if !w.local(&name)?.is_param {
        return None;
    }
    w.current_fn()?
        .params
        .iter()
        .position(|q| q.name.as_deref() == Some(name.as_str()))
}

/// `format!(..)`, `concat!(..)`, `a + b`, or a local bound to one (through `&`, `.as_str()`,
/// `.to_string()`): how cache keys handed to helpers are made.
fn built_like_key(w: &Walker<'_, '_>, e: &syn::Expr, depth: usize) -> bool {
    if depth > 3 {
        return false;
    }
    match peel(e) {
        syn::Expr::Macro(m) => m
            .mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "format" || s.ident == "concat"),
        syn::Expr::Binary(b) => matches!(b.op, syn::BinOp::Add(_)),
        syn::Expr::MethodCall(m) if m.args.is_empty() => built_like_key(w, &m.receiver, depth + 1),
        syn::Expr::Path(p) => p
            .path
            .get_ident()
            .and_then(|i| w.local(&i.to_string()))
            .and_then(|l| l.init)
            .is_some_and(|init| built_like_key(w, init, depth + 1)),
        _ => false,
    }
}

/// Calls whose arguments are never a helper's cache key.
const LIBRARY_CALLS: &[&str] = &[
    "query",
    "query_as",
    "query_scalar",
    "query_with",
    "query_as_with",
    "query_scalar_with",
    "execute",
    "execute_batch",
    "prepare",
    "prepare_cached",
    "batch_execute",
    "simple_query",
    "query_one",
    "query_opt",
    "query_row",
    "query_map",
    "raw_sql",
    "sql_query",
    "push",
    "push_str",
    "push_bind",
    "bind",
    "new",
    "from",
    "into",
    "expect",
    "map_err",
    "context",
    "with_context",
    "ok_or",
    "ok_or_else",
    "unwrap_or",
    "unwrap_or_else",
    "Ok",
    "Err",
    "Some",
    "Json",
    "json",
    "get",
    "set",
    "set_ex",
    "set_nx",
    "del",
    "exists",
    "expire",
    "incr",
    "decr",
    "hget",
    "hset",
    "hdel",
    "sadd",
    "srem",
    "zadd",
    "lpush",
    "rpush",
    "arg",
    "insert",
    "remove",
    "invalidate",
    "get_with",
    "try_get_with",
    "entry",
    "send",
    "push_back",
    "extend",
    "join",
];

/// Records which arguments of a call carry the tenant, when any does: a helper whose cache key
/// is a parameter is judged by what its callers pass (phase 2).
pub fn record_scoped_args(
    w: &mut Walker<'_, '_>,
    callee: impl FnOnce() -> String,
    args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
) {
    let Some(caller) = w.fns.last().map(|f| f.fn_index) else {
        return;
    };
    if args.is_empty() {
        return;
    }
    let callee = callee();
    // Library calls (SQL, formatting, the cache commands themselves) are judged by their own
    // rules; only helpers of the code base matter here.
    if LIBRARY_CALLS.contains(&callee.as_str()) {
        return;
    }
    // Only arguments built like keys are judged: judging every argument of every call would
    // cost a tenth of the audit (docs/performance.md).
    if !args.iter().any(|a| built_like_key(w, a, 0)) {
        return;
    }
    let scoped: Vec<bool> = args
        .iter()
        .map(|a| built_like_key(w, a, 0) && crate::extract::tenant::carries_tenant(w, a))
        .collect();
    if scoped.iter().any(|s| *s) {
        w.facts.scoped_args.push(crate::extract::ScopedArgs {
            caller,
            callee,
            scoped,
        });
    }
}

fn peel(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Reference(r) => peel(&r.expr),
        syn::Expr::Paren(p) => peel(&p.expr),
        syn::Expr::Group(g) => peel(&g.expr),
        other => other,
    }
}
