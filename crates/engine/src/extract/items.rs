//! What the walk records of items and attributes: `use` trees, bypass and `requires`
//! attributes, item extents, `#[cfg(test)]`, and whether an expression always leaves.

use super::facts::*;
use crate::diagnostic::Span;
use crate::intern::Module;

pub(super) fn bypass_fact(
    kind: BypassKind,
    span: Span,
    covers: Span,
    item: String,
    args: &tenant_audit_syntax::BypassArgs,
    error: Option<String>,
) -> BypassFact {
    BypassFact {
        kind,
        span,
        covers,
        item,
        reason: args.reason.as_ref().map(|r| r.value()),
        rules: args
            .rules
            .as_ref()
            .map(|r| r.iter().map(|l| l.value()).collect()),
        error,
    }
}

pub(super) fn requires_fact(attr: &syn::Attribute) -> RequiresFact {
    let span = attr_span(attr);
    let tokens = match &attr.meta {
        syn::Meta::List(l) => l.tokens.clone(),
        _ => proc_macro2::TokenStream::new(),
    };
    match tenant_audit_syntax::parse_requires(tokens) {
        Ok(args) => RequiresFact {
            span,
            scopes: args
                .scopes
                .iter()
                .map(|s| ScopeFact {
                    key: s.key(),
                    display: s.display(),
                    is_path: matches!(s, tenant_audit_syntax::ScopeRef::Path(_)),
                    span: Span::from_pm2(s.span()),
                })
                .collect(),
            error: None,
        },
        Err(e) => RequiresFact {
            span,
            scopes: Vec::new(),
            error: Some(e.to_string()),
        },
    }
}

pub(super) fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .map(|l| {
                    let t = l.tokens.to_string();
                    t == "test"
                        || t.starts_with("test ")
                        || t.contains("(test") && !t.contains("not")
                })
                .unwrap_or(false)
    })
}

/// The extent of an item from its first outer attribute (else `first`) to `last`, without
/// turning the whole item into tokens as `Spanned::span` does.
pub(super) fn extent(
    attrs: &[syn::Attribute],
    first: proc_macro2::Span,
    last: proc_macro2::Span,
) -> Span {
    let start = attrs
        .iter()
        .find(|a| matches!(a.style, syn::AttrStyle::Outer))
        .map(|a| a.pound_token.span)
        .unwrap_or(first);
    let mut s = Span::from_pm2(start);
    s.end = Span::from_pm2(last).end;
    s
}

/// `#` to `]` of an attribute.
pub(super) fn attr_span(a: &syn::Attribute) -> Span {
    extent(&[], a.pound_token.span, a.bracket_token.span.close())
}

pub(super) fn vis_span(v: &syn::Visibility) -> Option<proc_macro2::Span> {
    match v {
        syn::Visibility::Public(p) => Some(p.span),
        syn::Visibility::Restricted(r) => Some(r.pub_token.span),
        syn::Visibility::Inherited => None,
    }
}

/// The first token of a signature (`const`, `async`, `unsafe`, `extern`, or `fn`).
pub(super) fn sig_start(sig: &syn::Signature) -> proc_macro2::Span {
    sig.constness
        .map(|t| t.span)
        .or(sig.asyncness.map(|t| t.span))
        .or(sig.unsafety.map(|t| t.span))
        .or(sig.abi.as_ref().map(|a| a.extern_token.span))
        .unwrap_or(sig.fn_token.span)
}

/// Does this `else` always leave (return, break, continue, panic, bail)?
pub fn diverges(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Block(b) => block_diverges(&b.block),
        syn::Expr::Macro(m) => is_diverging_macro(&m.mac),
        other => matches!(
            other,
            syn::Expr::Return(_) | syn::Expr::Break(_) | syn::Expr::Continue(_)
        ),
    }
}

/// Does this block always leave (its last statement returns, breaks, panics, bails)?
pub fn block_diverges(b: &syn::Block) -> bool {
    match b.stmts.last() {
        Some(syn::Stmt::Expr(x, _)) => {
            matches!(
                x,
                syn::Expr::Return(_) | syn::Expr::Break(_) | syn::Expr::Continue(_)
            ) || matches!(x, syn::Expr::Macro(m) if is_diverging_macro(&m.mac))
        }
        Some(syn::Stmt::Macro(m)) => is_diverging_macro(&m.mac),
        _ => false,
    }
}

pub(super) fn is_diverging_macro(m: &syn::Macro) -> bool {
    m.path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "panic" | "bail" | "unreachable" | "todo" | "unimplemented"
        )
    })
}

pub(super) fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    module: &Module,
    out: &mut Vec<UseFact>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, module, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            let mut path = prefix.clone();
            if name != "self" {
                path.push(name.clone());
            }
            let alias = if name == "self" {
                prefix.last().cloned().unwrap_or_default()
            } else {
                name
            };
            out.push(UseFact {
                module: module.clone(),
                alias: alias.into(),
                path: Module::interned(&path),
            });
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push(UseFact {
                module: module.clone(),
                alias: crate::intern::Name::of(&r.rename),
                path: Module::interned(&path),
            });
        }
        syn::UseTree::Glob(_) => out.push(UseFact {
            module: module.clone(),
            alias: "*".into(),
            path: Module::interned(prefix),
        }),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, module, out);
            }
        }
    }
}

#[cfg(test)]
mod extent_tests {
    use super::*;
    use syn::spanned::Spanned;

    /// The cheap extents equal `Spanned::span` (which turns the whole item into tokens).
    #[test]
    fn extents_match_spanned() {
        let src = r#"
/// doc
#[inline]
pub(crate) async unsafe fn a() -> u8 { 1 }
const fn b() {}
#[tenant_bypass(reason = "x")]
pub mod m {
    #![allow(unused)]
    fn c() {}
}
mod n;
unsafe impl<T> Send for S<T> { fn d(&self) {} pub fn e() {} }
/// t
pub unsafe trait T { fn f(&self); fn g() { } }
extern "C" fn h() {}
"#;
        let file = syn::parse_file(src).unwrap();
        let mut checked = 0;
        let same = |ours: Span, theirs: proc_macro2::Span| {
            assert_eq!(ours, Span::from_pm2(theirs));
        };
        for item in &file.items {
            match item {
                syn::Item::Fn(f) => {
                    let first = vis_span(&f.vis).unwrap_or_else(|| sig_start(&f.sig));
                    same(
                        extent(&f.attrs, first, f.block.brace_token.span.close()),
                        f.span(),
                    );
                    checked += 1;
                }
                syn::Item::Mod(m) => {
                    let first = vis_span(&m.vis).unwrap_or(m.mod_token.span);
                    let last = match (&m.content, &m.semi) {
                        (Some((b, _)), _) => b.span.close(),
                        (_, Some(s)) => s.span,
                        _ => unreachable!(),
                    };
                    same(extent(&m.attrs, first, last), m.span());
                    checked += 1;
                }
                syn::Item::Impl(i) => {
                    let first = i.unsafety.map(|u| u.span).unwrap_or(i.impl_token.span);
                    same(
                        extent(&i.attrs, first, i.brace_token.span.close()),
                        i.span(),
                    );
                    for it in &i.items {
                        if let syn::ImplItem::Fn(f) = it {
                            let first = vis_span(&f.vis).unwrap_or_else(|| sig_start(&f.sig));
                            same(
                                extent(&f.attrs, first, f.block.brace_token.span.close()),
                                f.span(),
                            );
                            checked += 1;
                        }
                    }
                }
                syn::Item::Trait(t) => {
                    let first = vis_span(&t.vis).unwrap_or(t.trait_token.span);
                    same(
                        extent(&t.attrs, first, t.brace_token.span.close()),
                        t.span(),
                    );
                    for it in &t.items {
                        if let syn::TraitItem::Fn(f) = it {
                            let last = match (&f.default, &f.semi_token) {
                                (Some(b), _) => b.brace_token.span.close(),
                                (_, Some(s)) => s.span,
                                _ => unreachable!(),
                            };
                            same(extent(&f.attrs, sig_start(&f.sig), last), f.span());
                            checked += 1;
                        }
                    }
                }
                _ => {}
            }
            for a in match item {
                syn::Item::Fn(f) => &f.attrs[..],
                syn::Item::Mod(m) => &m.attrs[..],
                _ => &[],
            } {
                same(attr_span(a), a.span());
            }
        }
        assert_eq!(checked, 9);
    }
}
