//! `cached`: `#[cached]`, `#[io_cached]` and `#[once]` memoise a fn. The key is every argument
//! (scoped when one is a tenant identifier or of a tenant type) unless `convert = "{ .. }"` builds
//! it: that block is parsed as Rust and judged like any key, against the fn's parameters.
//! `#[once]` keeps one value for every caller: always global. The finding sits at the attribute.

use super::{key, ArgFact, CacheFact, Family, Judged};
use crate::config::Config;
use crate::diagnostic::Span;
use crate::extract::{pat_idents, Collector, Walker};
use syn::spanned::Spanned;

pub struct Cached;

impl Family for Cached {
    fn name(&self) -> &'static str {
        "cached"
    }
    fn deps(&self) -> &'static [&'static str] {
        &["cached"]
    }
    fn is_key_method(&self, _method: &str, _config: &Config) -> bool {
        false
    }
    fn judge(&self, _method: &str, _args: &[ArgFact], _config: &Config) -> Vec<Judged> {
        Vec::new()
    }
}

/// The `convert = ".."` argument of a `#[cached(..)]` attribute.
fn convert_arg(attr: &syn::Attribute) -> Option<String> {
    let list = attr
        .parse_args_with(
            syn::punctuated::Punctuated::<syn::MetaNameValue, syn::Token![,]>::parse_terminated,
        )
        .ok()?;
    list.iter().find_map(|nv| {
        if !nv.path.is_ident("convert") {
            return None;
        }
        match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        }
    })
}

impl Collector for Cached {
    fn fn_item<'ast>(
        &self,
        w: &mut Walker<'ast, '_>,
        attrs: &'ast [syn::Attribute],
        sig: &'ast syn::Signature,
    ) {
        if !w.cx.uses("cached") {
            return;
        }
        for attr in attrs {
            let Some(name) = attr.path().segments.last().map(|s| s.ident.to_string()) else {
                continue;
            };
            if !matches!(name.as_str(), "cached" | "io_cached" | "once") {
                continue;
            }
            let span = Span::from_pm2(attr.span());
            let item = w.current_item();
            let op = format!("#[{name}]");
            if name == "once" {
                w.facts.caches.push(CacheFact {
                    family: "cached".into(),
                    op,
                    span,
                    item,
                    key: "()".into(),
                    global: true,
                    note: Some(format!(
                        "cached `#[once]` on `{}` keeps one value for every tenant: it needs a bypass with a reason",
                        sig.ident
                    )),
                    ..CacheFact::default()
                });
                continue;
            }
            let arg = match convert_arg(attr).and_then(|s| syn::parse_str::<syn::Expr>(&s).ok()) {
                Some(expr) => key::arg_fact(w, &expr),
                None => {
                    // The default key: every argument, as a tuple.
                    let names: Vec<String> = sig
                        .inputs
                        .iter()
                        .filter_map(|i| match i {
                            syn::FnArg::Typed(t) => Some(pat_idents(&t.pat)),
                            syn::FnArg::Receiver(_) => None,
                        })
                        .flatten()
                        .collect();
                    let text = format!("({})", names.join(", "));
                    match syn::parse_str::<syn::Expr>(&text) {
                        Ok(expr) => {
                            let (scoped, params) =
                                crate::extract::tenant::tenant_or_params(w, &expr);
                            ArgFact {
                                text,
                                scoped,
                                params,
                                ..ArgFact::default()
                            }
                        }
                        Err(_) => ArgFact {
                            text,
                            ..ArgFact::default()
                        },
                    }
                }
            };
            let fact =
                super::types::plain_fact("cached", Judged::key(op, &arg), span, item, &w.module);
            w.facts.caches.push(fact);
        }
    }
}
