//! Key provenance: does a key expression carry the tenant?
//!
//! A key is scoped when, after following local `let`s (each to the binding visible where it was
//! made), `format!`/`concat!` arguments and inline captures, `+` and method chains, it contains:
//! a tenant identifier or field as a whole path segment (`org_id`, `ctx.org_id`, `self.org.id`
//! when `org` is configured; a dotted identifier such as `ctx.org` matches that run of
//! segments), a local or parameter whose declared type contains a tenant type (`org: OrgId`), a
//! tenant type's constructor (`OrgId::from(..)`), or a call to a configured key builder.

use super::types::{has_tenant_type, lookup};
use super::ArgFact;
use crate::config::Config;
use crate::extract::{short, type_text, Env, Walker};
use syn::visit::{self, Visit};

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
    let scoped = is_scoped(w, e);
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
        .map(|a| built_like_key(w, a, 0) && is_scoped(w, a))
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

/// Does the key expression carry the tenant?
pub fn is_scoped(w: &Walker<'_, '_>, e: &syn::Expr) -> bool {
    let mut s = Scan::new(w, w.env(), 0);
    s.visit_expr(e);
    s.found
}

/// Tenant identifiers as segment runs (`ctx.org` -> `["ctx", "org"]`).
fn identifiers(config: &Config) -> Vec<Vec<String>> {
    config
        .tenant_identifiers()
        .iter()
        .map(|i| i.split('.').map(|s| s.trim().to_string()).collect())
        .collect()
}

/// Does a path of segments contain one of the identifiers as a whole run of segments?
pub fn chain_matches(chain: &[String], ids: &[Vec<String>]) -> bool {
    ids.iter().any(|id| {
        !id.is_empty() && chain.len() >= id.len() && chain.windows(id.len()).any(|w| w == id)
    })
}

struct Scan<'w, 'ast, 'a> {
    w: &'w Walker<'ast, 'a>,
    config: &'w Config,
    ids: Vec<Vec<String>>,
    /// Where names are looked up.
    at: Env,
    depth: usize,
    found: bool,
}

impl<'w, 'ast, 'a> Scan<'w, 'ast, 'a> {
    fn new(w: &'w Walker<'ast, 'a>, at: Env, depth: usize) -> Self {
        Scan {
            w,
            config: w.cx.config,
            ids: identifiers(w.cx.config),
            at,
            depth,
            found: false,
        }
    }

    fn is_builder(&self, name: &str) -> bool {
        self.config
            .cache
            .key_builders
            .iter()
            .any(|b| b == name || b.rsplit("::").next() == Some(name))
    }

    /// A plain name or path: an identifier, a tenant-typed local, or a local whose value does.
    fn name(&mut self, segs: &[String]) {
        if chain_matches(segs, &self.ids) {
            self.found = true;
            return;
        }
        if segs.len() != 1 {
            return;
        }
        let Some(local) = lookup(self.w, &segs[0], self.at) else {
            return;
        };
        if local
            .ty
            .is_some_and(|t| has_tenant_type(&type_text(t), self.config))
        {
            self.found = true;
            return;
        }
        if let (false, Some(init)) = (local.is_param, local.init) {
            if self.depth < 8 {
                let mut inner = Scan::new(self.w, local.env, self.depth + 1);
                inner.visit_expr(init);
                self.found |= inner.found;
            }
        }
    }

    fn mac(&mut self, mac: &syn::Macro) {
        let parsed = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        );
        match parsed {
            Ok(list) => {
                for e in list.iter() {
                    if let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) = e
                    {
                        for cap in captures(&s.value()) {
                            self.name(&[cap]);
                        }
                    } else {
                        self.visit_expr(e);
                    }
                    if self.found {
                        return;
                    }
                }
            }
            Err(_) => {
                // Unknown macro grammar: every identifier in it is a name.
                for t in mac.tokens.clone() {
                    if let proc_macro2::TokenTree::Ident(i) = t {
                        self.name(&[i.to_string()]);
                    }
                }
            }
        }
    }
}

/// Field chain of `a.b.c` / `a.b().c`: the names it goes through, base first.
fn field_chain(e: &syn::Expr, out: &mut Vec<String>) {
    match e {
        syn::Expr::Field(f) => {
            field_chain(&f.base, out);
            if let syn::Member::Named(i) = &f.member {
                out.push(i.to_string());
            }
        }
        syn::Expr::MethodCall(m) => {
            field_chain(&m.receiver, out);
            out.push(m.method.to_string());
        }
        syn::Expr::Path(p) => out.extend(p.path.segments.iter().map(|s| s.ident.to_string())),
        syn::Expr::Paren(p) => field_chain(&p.expr, out),
        syn::Expr::Reference(r) => field_chain(&r.expr, out),
        syn::Expr::Try(t) => field_chain(&t.expr, out),
        syn::Expr::Await(a) => field_chain(&a.base, out),
        _ => {}
    }
}

impl<'x> Visit<'x> for Scan<'_, '_, '_> {
    fn visit_expr(&mut self, e: &'x syn::Expr) {
        if self.found {
            return;
        }
        match e {
            syn::Expr::Path(p) => {
                let segs: Vec<String> = crate::extract::segments(&p.path);
                self.name(&segs);
                return;
            }
            syn::Expr::Field(_) | syn::Expr::MethodCall(_) => {
                let mut chain = Vec::new();
                field_chain(e, &mut chain);
                if chain_matches(&chain, &self.ids) {
                    self.found = true;
                    return;
                }
                if let syn::Expr::MethodCall(m) = e {
                    if self.is_builder(&m.method.to_string()) {
                        self.found = true;
                        return;
                    }
                }
            }
            syn::Expr::Call(c) => {
                if let syn::Expr::Path(p) = &*c.func {
                    let segs: Vec<String> = crate::extract::segments(&p.path);
                    if segs.last().is_some_and(|l| self.is_builder(l))
                        || (segs.len() >= 2 && has_tenant_type(&segs[segs.len() - 2], self.config))
                    {
                        self.found = true;
                        return;
                    }
                }
                for a in &c.args {
                    self.visit_expr(a);
                }
                return;
            }
            syn::Expr::Struct(s) => {
                let ty = s
                    .path
                    .segments
                    .iter()
                    .map(|x| x.ident.to_string())
                    .collect::<Vec<_>>()
                    .join("::");
                if has_tenant_type(&ty, self.config)
                    || s.fields.iter().any(|f| match &f.member {
                        syn::Member::Named(i) => chain_matches(&[i.to_string()], &self.ids),
                        _ => false,
                    })
                {
                    self.found = true;
                    return;
                }
            }
            syn::Expr::Macro(m) => {
                self.mac(&m.mac);
                return;
            }
            _ => {}
        }
        visit::visit_expr(self, e);
    }

    fn visit_macro(&mut self, m: &'x syn::Macro) {
        self.mac(m);
    }
}

/// Inline captures of a format string: `"org:{org_id}:{id:?}"` -> `org_id`, `id`.
pub fn captures(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '{' {
            if chars.get(i + 1) == Some(&'{') {
                i += 2;
                continue;
            }
            let mut j = i + 1;
            let mut name = String::new();
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                name.push(chars[j]);
                j += 1;
            }
            if name
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
            {
                out.push(name);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_skip_positional_and_escaped() {
        assert_eq!(
            captures("org:{org_id}:{}:{0}:{{lit}}:{id:?}"),
            vec!["org_id", "id"]
        );
    }

    #[test]
    fn chains_match_whole_segments() {
        let ids = vec![vec!["org_id".to_string()], vec!["ctx".into(), "org".into()]];
        let c = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
        assert!(chain_matches(&c("claims.org_id"), &ids));
        assert!(chain_matches(&c("req.ctx.org.id"), &ids));
        assert!(!chain_matches(&c("org_ids"), &ids));
        assert!(!chain_matches(&c("ctx.organisation"), &ids));
    }
}
