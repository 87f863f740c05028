//! `cached`: `#[cached]`, `#[io_cached]` and `#[once]` memoise a fn. The key is every argument
//! (scoped when one is a tenant identifier or of a tenant type) unless `convert = "{ .. }"` builds
//! it: that block is parsed as Rust and judged like any key, against the fn's parameters.
//! `#[once]` keeps one value for every caller: always global. The finding sits at the attribute.
//!
//! The stores (`SizedCache`, `TimedCache`, `UnboundCache`, .., and anything bounded by the
//! `Cached` / `IOCached` traits) are receivers of `cache_get`, `cache_set`, `cache_remove`, ..
//! The declarative macros `cached!`, `cached_key!`, `cached_result!`, `cached_key_result!` and
//! `cached_control!` are read like the attribute: the key is every argument or the `Key = ..`
//! expression, the finding sits at the macro; the static they declare is a receiver too.

use super::{key, ArgFact, CacheFact, Family, Judged};
use crate::diagnostic::Span;
use crate::extract::{pat_idents, Collector, Walker};
use syn::spanned::Spanned;

pub struct Cached;

/// Methods of the `Cached`, `IOCached`, `IOCachedAsync` and `CachedAsync` traits whose first
/// argument is the key. Sorted.
const KEY_METHODS: &[&str] = &[
    "cache_delete",
    "cache_get",
    "cache_get_mut",
    "cache_get_or_set_with",
    "cache_get_or_set_with_mut",
    "cache_remove",
    "cache_remove_entry",
    "cache_set",
    "cache_try_get_or_set_with",
    "cache_try_get_or_set_with_mut",
    "get_or_set_with",
    "try_get_or_set_with",
];

/// The macros that declare a memoised fn and its static store.
const MACROS: &[&str] = &[
    "cached",
    "cached_control",
    "cached_key",
    "cached_key_result",
    "cached_result",
];

impl Family for Cached {
    fn name(&self) -> &'static str {
        "cached"
    }
    fn crates(&self) -> &'static [&'static str] {
        &["cached"]
    }
    fn deps(&self) -> &'static [&'static str] {
        &["cached"]
    }
    fn bare_types(&self) -> &'static [&'static str] {
        &[
            "SizedCache",
            "TimedCache",
            "TimedSizedCache",
            "UnboundCache",
            "ExpiringValueCache",
            "ExpiringSizedCache",
        ]
    }
    fn glob_types(&self) -> &'static [&'static str] {
        &["RedisCache", "AsyncRedisCache", "DiskCache"]
    }
    fn traits(&self) -> &'static [&'static str] {
        &["Cached", "IOCached", "IOCachedAsync", "CachedAsync"]
    }
    fn key_arg(&self, _n: usize) -> Option<usize> {
        Some(0)
    }
    fn key_methods(&self) -> &'static [&'static str] {
        KEY_METHODS
    }
}

/// What a `cached!`-style macro declares: its static store, the memoised fn's parameters
/// (name, type) and the `Key = ..` expression, if any.
struct MacroDecl {
    store: Option<(String, String)>,
    params: Vec<(String, String)>,
    key: Option<syn::Expr>,
}

/// Reads a `cached!`-style macro body without its grammar (which changed between versions):
/// `NAME[: Type = init];`, `Key = expr;`, `fn name(a: A, ..) -> R = body`.
fn read_macro(tokens: proc_macro2::TokenStream) -> Option<MacroDecl> {
    use proc_macro2::TokenTree;
    let toks: Vec<TokenTree> = tokens.into_iter().collect();
    let is_punct = |t: &TokenTree, c: char| matches!(t, TokenTree::Punct(p) if p.as_char() == c);
    let is_ident = |t: &TokenTree, s: &str| matches!(t, TokenTree::Ident(i) if i == s);
    // The tokens up to the next top-level `;` (or `>>`, the oldest grammar's separator).
    let until_semi = |from: usize| -> usize {
        (from..toks.len())
            .find(|&i| is_punct(&toks[i], ';'))
            .unwrap_or(toks.len())
    };
    let store = match (toks.first(), toks.get(1)) {
        (Some(TokenTree::Ident(name)), Some(t)) if is_punct(t, ':') => {
            // `NAME: Type = init;`: the type runs to the `=` that is not inside `<..>`.
            let end = until_semi(2);
            let mut depth = 0i32;
            let mut eq = end;
            for (i, t) in toks.iter().enumerate().take(end).skip(2) {
                match t {
                    TokenTree::Punct(p) if p.as_char() == '<' => depth += 1,
                    TokenTree::Punct(p) if p.as_char() == '>' => depth -= 1,
                    TokenTree::Punct(p) if p.as_char() == '=' && depth == 0 => {
                        eq = i;
                        break;
                    }
                    _ => {}
                }
            }
            let ty: proc_macro2::TokenStream = toks[2..eq].iter().cloned().collect();
            Some((name.to_string(), ty.to_string()))
        }
        (Some(TokenTree::Ident(name)), _) => Some((name.to_string(), "UnboundCache".into())),
        _ => None,
    };
    let key = (0..toks.len().saturating_sub(1))
        .find(|&i| is_ident(&toks[i], "Key") && is_punct(&toks[i + 1], '='))
        .and_then(|i| {
            let body: proc_macro2::TokenStream =
                toks[i + 2..until_semi(i + 2)].iter().cloned().collect();
            syn::parse2::<syn::Expr>(body).ok()
        });
    let f = (0..toks.len()).find(|&i| is_ident(&toks[i], "fn"))?;
    let params = match toks.get(f + 2) {
        Some(TokenTree::Group(g)) => g
            .stream()
            .to_string()
            .split(',')
            .filter_map(|p| {
                let (name, ty) = p.split_once(':')?;
                Some((name.trim().to_string(), ty.trim().to_string()))
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(MacroDecl { store, params, key })
}

/// `cached!{ FIB: SizedCache<u64, u64> = SizedCache::with_size(50); fn fib(n: u64) -> u64 = .. }`
fn on_macro<'ast>(w: &mut Walker<'ast, '_>, m: &syn::Macro) {
    let Some(name) = m.path.segments.last().map(|s| s.ident.to_string()) else {
        return;
    };
    if !MACROS.contains(&name.as_str()) || !w.cx.uses("cached") {
        return;
    }
    let Some(decl) = read_macro(m.tokens.clone()) else {
        return;
    };
    if let Some((store, ty)) = &decl.store {
        // The macro wraps its store in a `Mutex` behind a `Lazy`.
        w.facts.statics.push(crate::extract::StaticFact {
            name: crate::intern::Name::new(store),
            module: w.module.clone(),
            ty: format!("Mutex < {ty} >").into(),
        });
    }
    let config = w.cx.config;
    let tenant_typed = |names: &[String]| {
        decl.params
            .iter()
            .any(|(n, t)| names.contains(n) && crate::extract::tenant::has_tenant_type(t, config))
    };
    // Parsed from the macro's tokens: kept as long as the syntax tree, like a macro's arguments.
    let key = decl.key.map(|k| w.alloc(k));
    let (text, scoped) = match key {
        Some(key) => {
            let idents: Vec<String> = quote::ToTokens::to_token_stream(key)
                .into_iter()
                .filter_map(|t| match t {
                    proc_macro2::TokenTree::Ident(i) => Some(i.to_string()),
                    _ => None,
                })
                .collect();
            let scoped = crate::extract::tenant::carries_tenant(w, key)
                || tenant_typed(&idents)
                || idents
                    .iter()
                    .any(|i| crate::extract::tenant::names_tenant(i, config));
            (crate::extract::short(key), scoped)
        }
        None => {
            let names: Vec<String> = decl.params.iter().map(|(n, _)| n.clone()).collect();
            let scoped = tenant_typed(&names)
                || names
                    .iter()
                    .any(|n| crate::extract::tenant::names_tenant(n, config));
            (format!("({})", names.join(", ")), scoped)
        }
    };
    let item = w.current_item();
    let judged = Judged {
        op: format!("{name}!"),
        key: text,
        scoped,
        ..Judged::default()
    };
    let span = Span::from_pm2(m.path.span());
    let fact = super::types::plain_fact("cached", judged, span, item, &w.module);
    w.facts.caches.push(fact);
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
    fn mac<'ast>(&self, w: &mut Walker<'ast, '_>, m: &'ast syn::Macro) {
        on_macro(w, m);
    }

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
                    op: op.into(),
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
                Some(expr) => key::arg_fact(w, w.alloc(expr)),
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
                                crate::extract::tenant::tenant_or_params(w, w.alloc(expr));
                            ArgFact {
                                text,
                                scoped,
                                params: params.into(),
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
