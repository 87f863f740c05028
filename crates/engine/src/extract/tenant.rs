//! Does an expression carry the tenant? The one scan cache keys, helper arguments and guard
//! values use: after following local values (each to the point it was bound), `format!` /
//! `concat!` arguments and inline captures, `+` and method chains, an expression carries the
//! tenant when it contains a tenant identifier or field as a whole path segment (`org_id`,
//! `ctx.org_id`, `self.org.id` when `org` is configured; a dotted identifier such as `ctx.org`
//! matches that run of segments; `_org_id`, with an unused-variable silencer, names `org_id`
//! too), a local or parameter whose declared type contains a tenant type (`org: OrgId`), a
//! tenant type's constructor (`OrgId::from(..)`), or a call to a configured key builder.
//! Locals are followed through every way the value model binds them: a plain `let`, a part of a
//! destructured value (`let (key, info) = ..` projects the value where its shape shows it, else
//! the whole value counts), an element of what a `for` iterates, and growths (`key += ..`).
//!
//! [`tenant_or_params`] also says which parameters of the fn the expression is made from: a key
//! that does not carry the tenant itself may still get it from every caller (phase 2).

use super::values::{project, Value};
use super::{type_text, Env, Walker};
use crate::config::Config;
use syn::visit::{self, Visit};

/// Does a type (as text) name a tenant type as a whole identifier?
pub fn has_tenant_type(text: &str, config: &Config) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|w| !w.is_empty() && config.is_tenant_type(w))
}

/// What `name` holds at `at`.
fn lookup<'ast>(w: &Walker<'ast, '_>, name: &str, at: Env) -> Option<super::Local<'ast>> {
    w.local_at(name, at)
}

/// Does the key expression carry the tenant?
pub fn carries_tenant<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> bool {
    let mut s = Scan::new(w, w.env(), 0);
    s.visit_expr(e);
    s.found
}

/// [`carries_tenant`] of an expression evaluated at `at` (names looked up there).
pub fn carries_tenant_at<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr, at: Env) -> bool {
    let mut s = Scan::new(w, at, 0);
    s.visit_expr(e);
    s.found
}

/// Does the expression carry the tenant, and if not, which parameters of the enclosing fn
/// (positions, receiver excluded, sorted) is it made from?
pub fn tenant_or_params<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> (bool, Vec<usize>) {
    let mut s = Scan::new(w, w.env(), 0);
    s.visit_expr(e);
    if s.found {
        return (true, Vec::new());
    }
    s.params.sort_unstable();
    s.params.dedup();
    (false, s.params)
}

/// Does one name (a parameter, a struct field) name the tenant (`org_id`, `_org_id`)?
pub fn names_tenant(name: &str, config: &Config) -> bool {
    chain_matches(&[name.to_string()], &identifiers(config))
}

/// Tenant identifiers as segment runs (`ctx.org` -> `["ctx", "org"]`).
pub(crate) fn identifiers(config: &Config) -> Vec<Vec<String>> {
    config
        .tenant_identifiers()
        .iter()
        .map(|i| i.split('.').map(|s| s.trim().to_string()).collect())
        .collect()
}

/// Does a path of segments contain one of the identifiers as a whole run of segments?
/// A segment's leading `_` (an unused-variable silencer: `_org_id`) does not change what it names.
pub fn chain_matches<S: AsRef<str>>(chain: &[S], ids: &[Vec<String>]) -> bool {
    ids.iter().any(|id| {
        !id.is_empty()
            && chain.len() >= id.len()
            && chain.windows(id.len()).any(|w| {
                w.iter()
                    .zip(id)
                    .all(|(a, b)| a.as_ref().trim_start_matches('_') == b.as_str())
            })
    })
}

struct Scan<'w, 'ast, 'a> {
    w: &'w Walker<'ast, 'a>,
    config: &'w Config,
    ids: &'w [Vec<String>],
    /// Where names are looked up.
    at: Env,
    depth: usize,
    found: bool,
    /// Parameters of the fn the expression is made from.
    params: Vec<usize>,
    /// Inside the base of a named field access (`user.id`): only a field that names the tenant
    /// or a tenant-typed base carries it; parameters and locals met are only partly used.
    partial: bool,
}

impl<'w, 'ast, 'a> Scan<'w, 'ast, 'a> {
    fn new(w: &'w Walker<'ast, 'a>, at: Env, depth: usize) -> Self {
        Scan {
            w,
            config: w.cx.config,
            ids: &w.cx.tenant_ids,
            at,
            depth,
            found: false,
            params: Vec::new(),
            partial: false,
        }
    }

    /// Scans `e` as evaluated at `at` (a local's value, where it was bound).
    fn inner(&mut self, e: &'ast syn::Expr, at: Env) {
        let mut inner = Scan {
            w: self.w,
            config: self.config,
            ids: self.ids,
            at,
            depth: self.depth + 1,
            found: false,
            params: std::mem::take(&mut self.params),
            partial: self.partial,
        };
        inner.visit_expr(e);
        self.found |= inner.found;
        self.params = inner.params;
    }

    /// Is a call of this path (`tenant_key`, `keys::tenant_key`, `AppEndpointKey::new`) or a
    /// method of this name a configured key builder? A builder written with a path
    /// (`AppEndpointKey::new`) matches the calls whose path ends with it, never a method or
    /// another type's `new`.
    fn is_builder(&self, segs: &[String], method: bool) -> bool {
        self.config.cache.key_builders.iter().any(|b| {
            let want: Vec<&str> = b.split("::").map(str::trim).collect();
            if method {
                return want.len() == 1 && segs.last().is_some_and(|l| l == want[0]);
            }
            segs.len() >= want.len()
                && segs[segs.len() - want.len()..]
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a == b)
        })
    }

    /// A plain name or path: an identifier, a tenant-typed local, or a local whose value does.
    fn name<S: AsRef<str>>(&mut self, segs: &[S]) {
        if chain_matches(segs, self.ids) {
            self.found = true;
            return;
        }
        if segs.len() != 1 {
            return;
        }
        let Some(local) = lookup(self.w, segs[0].as_ref(), self.at) else {
            return;
        };
        if local
            .ty
            .is_some_and(|t| has_tenant_type(&type_text(t), self.config))
        {
            self.found = true;
            return;
        }
        if let Some(i) = local.param {
            if !self.partial {
                self.params.push(i);
            }
            return;
        }
        // `row.id`: a named field of a local is not what the local was made from (a row loaded
        // for the tenant has other fields than the tenant's).
        if local.is_param || self.partial || self.depth >= 8 {
            return;
        }
        let Some(values) = self.w.values() else {
            return;
        };
        // The growths (`key += ..`, `key.push_str(..)`), most recent first, back to the value
        // they grew from.
        for d in values.history(local.def) {
            match d.value {
                Value::Expr(e, env) => self.inner(e, *env),
                Value::Part(e, env, proj) => {
                    let parts = project(e, proj);
                    if parts.is_empty() {
                        // The shape does not show the part: it is made from the whole value.
                        self.inner(e, *env);
                    }
                    for p in parts {
                        self.inner(p, *env);
                    }
                }
                Value::Elem(e, env, _) => self.inner(e, *env),
                Value::Grown {
                    tail: Some(t), env, ..
                } => {
                    self.inner(t, *env);
                    continue;
                }
                Value::SetField { expr, env, .. } => {
                    self.inner(expr, *env);
                    continue;
                }
                Value::Grown { tail: None, .. } => continue,
                Value::Param | Value::Unknown => {}
            }
            // A whole value: what came before it no longer counts.
            break;
        }
    }

    fn mac(&mut self, mac: &'ast syn::Macro) {
        // Parsed once per macro for the whole walk (the walker and other scans read it too).
        match self.w.macro_list(mac) {
            Some(list) => {
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
            None => {
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

impl<'ast> Visit<'ast> for Scan<'_, 'ast, '_> {
    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if self.found {
            return;
        }
        match e {
            syn::Expr::Path(p) => {
                match p.path.get_ident() {
                    // A plain name, printed into a buffer: most paths met are locals.
                    Some(id) => crate::intern::with_text(id, |name| self.name(&[name])),
                    None => self.name(&crate::extract::segments(&p.path)),
                }
                return;
            }
            syn::Expr::Field(_) | syn::Expr::MethodCall(_) => {
                let mut chain = Vec::new();
                field_chain(e, &mut chain);
                if chain_matches(&chain, self.ids) {
                    self.found = true;
                    return;
                }
                if let syn::Expr::MethodCall(m) = e {
                    if self.is_builder(&[m.method.to_string()], true) {
                        self.found = true;
                        return;
                    }
                }
                if let syn::Expr::Field(f) = e {
                    if let syn::Member::Named(_) = f.member {
                        // `user.id`: a named part of a parameter is not the parameter (only a
                        // field that names the tenant would carry it, and the chain says so).
                        let partial = std::mem::replace(&mut self.partial, true);
                        self.visit_expr(&f.base);
                        self.partial = partial;
                        return;
                    }
                }
            }
            syn::Expr::Call(c) => {
                if let syn::Expr::Path(p) = &*c.func {
                    let segs: Vec<String> = crate::extract::segments(&p.path);
                    if self.is_builder(&segs, false)
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
                        syn::Member::Named(i) => chain_matches(&[i.to_string()], self.ids),
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

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
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
        assert!(chain_matches(&c("_org_id"), &ids));
        assert!(!chain_matches(&c("ctx.organisation"), &ids));
    }
}
