//! Expansion: the item unchanged, plus a `#[doc]` line (and, for `#[requires]`, a never-called
//! closure naming every scope path so a misspelt scope fails to compile at that path).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use tenant_audit_syntax::{BypassArgs, RequiresArgs, ScopeRef};

use crate::parse::Target;

/// The original item followed by the errors, so the user sees only these errors.
pub fn error_with_item(err: syn::Error, item: TokenStream) -> TokenStream {
    let err = err.to_compile_error();
    quote! { #err #item }
}

/// `tenant_bypass!` whose arguments are wrong: the errors, then the expression (still checked).
pub fn error_with_expr(err: syn::Error, expr: syn::Expr) -> TokenStream {
    let err = err.to_compile_error();
    quote! { { #err #expr } }
}

/// `tenant_bypass!` that could not be parsed at all.
pub fn error_expr(err: syn::Error) -> TokenStream {
    let err = err.to_compile_error();
    quote! { { #err } }
}

/// `tenant_bypass!(.., expr)` is `expr`.
pub fn bypass_expr(expr: syn::Expr) -> TokenStream {
    expr.into_token_stream()
}

fn doc_lines(attrs: &mut Vec<syn::Attribute>, line: &str) {
    let has_doc = attrs.iter().any(|a| a.path().is_ident("doc"));
    if has_doc {
        attrs.push(syn::parse_quote!(#[doc = ""]));
    }
    let line = format!(" {line}");
    attrs.push(syn::parse_quote!(#[doc = #line]));
}

fn requires_doc(args: &RequiresArgs) -> String {
    let scopes: Vec<String> = args
        .scopes
        .iter()
        .map(|s| match s {
            ScopeRef::Path(_) => format!("`{}`", s.display()),
            ScopeRef::Str(_) => format!("`\"{}\"`", s.display()),
        })
        .collect();
    let noun = if scopes.len() == 1 { "scope" } else { "scopes" };
    format!(
        "**Requires** {noun} {} (`#[requires]`, checked by cargo-tenant-audit).",
        scopes.join(", ")
    )
}

/// `let _ = || { let _ = &Scope::A; let _ = &Scope::B; };`: each path is a value expression the
/// compiler resolves (so a typo is an error at the path), inside a closure that is never called
/// (so nothing runs and nothing is evaluated).
fn scope_check(args: &RequiresArgs) -> Option<syn::Stmt> {
    let refs: Vec<TokenStream> = args
        .scopes
        .iter()
        .filter_map(|s| match s {
            ScopeRef::Path(p) => Some(quote_spanned! {s.span()=> let _ = &#p; }),
            ScopeRef::Str(_) => None,
        })
        .collect();
    if refs.is_empty() {
        return None;
    }
    Some(syn::parse_quote! {
        let _ = || { #(#refs)* };
    })
}

pub fn requires(args: &RequiresArgs, target: Target) -> TokenStream {
    let doc = requires_doc(args);
    let check = scope_check(args);
    let insert = |attrs: &mut Vec<syn::Attribute>, block: &mut syn::Block| {
        doc_lines(attrs, &doc);
        if let Some(check) = check.clone() {
            block.stmts.insert(0, check);
        }
    };
    match target {
        Target::Item(syn::Item::Fn(mut f)) => {
            insert(&mut f.attrs, &mut f.block);
            f.into_token_stream()
        }
        Target::ImplItem(syn::ImplItem::Fn(mut f)) => {
            insert(&mut f.attrs, &mut f.block);
            f.into_token_stream()
        }
        Target::TraitItem(syn::TraitItem::Fn(mut f)) => {
            if let Some(block) = &mut f.default {
                insert(&mut f.attrs, block);
            }
            f.into_token_stream()
        }
        Target::Item(i) => i.into_token_stream(),
        Target::ImplItem(i) => i.into_token_stream(),
        Target::TraitItem(i) => i.into_token_stream(),
        Target::Unparsed(e) => e.to_compile_error(),
    }
}

fn bypass_doc(args: &BypassArgs) -> String {
    let reason = args.reason.as_ref().map(|r| r.value()).unwrap_or_default();
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    match &args.rules {
        Some(rules) => {
            let rules: Vec<String> = rules.iter().map(|r| r.value()).collect();
            format!("**Tenant-audit bypass** ({}): {reason}", rules.join(", "))
        }
        None => format!("**Tenant-audit bypass**: {reason}"),
    }
}

pub fn bypass(args: &BypassArgs, target: Target) -> TokenStream {
    use syn::{ImplItem, Item, TraitItem};
    let doc = bypass_doc(args);
    match target {
        Target::Item(mut item) => {
            match &mut item {
                Item::Fn(i) => doc_lines(&mut i.attrs, &doc),
                Item::Impl(i) => doc_lines(&mut i.attrs, &doc),
                Item::Trait(i) => doc_lines(&mut i.attrs, &doc),
                Item::Mod(i) => doc_lines(&mut i.attrs, &doc),
                Item::Const(i) => doc_lines(&mut i.attrs, &doc),
                Item::Type(i) => doc_lines(&mut i.attrs, &doc),
                _ => {}
            }
            item.into_token_stream()
        }
        Target::ImplItem(mut item) => {
            match &mut item {
                ImplItem::Fn(i) => doc_lines(&mut i.attrs, &doc),
                ImplItem::Const(i) => doc_lines(&mut i.attrs, &doc),
                ImplItem::Type(i) => doc_lines(&mut i.attrs, &doc),
                _ => {}
            }
            item.into_token_stream()
        }
        Target::TraitItem(mut item) => {
            if let TraitItem::Fn(i) = &mut item {
                doc_lines(&mut i.attrs, &doc);
            }
            item.into_token_stream()
        }
        Target::Unparsed(e) => e.to_compile_error(),
    }
}
