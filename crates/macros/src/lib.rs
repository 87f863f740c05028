//! Proc-macros of [`tenant-audit`](https://docs.rs/tenant-audit): `#[requires(..)]`,
//! `#[tenant_bypass(..)]` and `tenant_bypass!(..)`. Use them through the `tenant-audit` facade.
//!
//! Each macro runs the same three steps, one module each: `parse` (the argument grammar lives
//! in `tenant-audit-syntax`, shared with the auditor), `validate` (strict checks, spanned
//! errors) and `expand` (the item unchanged plus a `#[doc]` line). On an error the item is
//! still emitted unchanged beside the `compile_error!`, so the user sees one error, not a cascade.

use proc_macro::TokenStream;

mod expand;
mod parse;
mod validate;

/// Declares the permission scopes a handler requires. See the `tenant-audit` crate.
#[proc_macro_attribute]
pub fn requires(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = proc_macro2::TokenStream::from(attr);
    let item = proc_macro2::TokenStream::from(item);
    let args = tenant_audit_syntax::parse_requires(attr);
    let target = parse::parse_target(item.clone());
    match validate::requires(args, target) {
        Ok((args, target)) => expand::requires(&args, target),
        Err(err) => expand::error_with_item(err, item),
    }
    .into()
}

/// Exempts an item from some or all tenant-audit rules, with a reason. See the `tenant-audit` crate.
#[proc_macro_attribute]
pub fn tenant_bypass(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = proc_macro2::TokenStream::from(attr);
    let item = proc_macro2::TokenStream::from(item);
    let args = tenant_audit_syntax::parse_bypass(attr);
    let target = parse::parse_target(item.clone());
    match validate::bypass(args, target) {
        Ok((args, target)) => expand::bypass(&args, target),
        Err(err) => expand::error_with_item(err, item),
    }
    .into()
}

/// Exempts one expression from tenant-audit rules, with a reason; expands to the expression.
/// The `tenant-audit` facade re-exports it as `tenant_audit::expr::tenant_bypass!` (an attribute
/// and a function-like macro cannot share one name in one module).
#[proc_macro]
pub fn tenant_bypass_expr(input: TokenStream) -> TokenStream {
    let parsed = tenant_audit_syntax::parse_bypass_macro(input.into());
    match parsed {
        Ok((args, expr)) => match validate::bypass_args(&args) {
            Ok(()) => expand::bypass_expr(expr),
            Err(err) => expand::error_with_expr(err, expr),
        },
        Err(err) => expand::error_expr(err),
    }
    .into()
}
