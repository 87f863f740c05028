//! Validation: the strict checks of the proc-macros, as spanned errors.

use proc_macro2::Span;
use syn::spanned::Spanned;
use tenant_audit_syntax::{BypassArgs, RequiresArgs};

use crate::parse::Target;

/// Where `#[requires]` may go: a function with a body.
pub fn requires(
    args: syn::Result<RequiresArgs>,
    target: Target,
) -> syn::Result<(RequiresArgs, Target)> {
    let kind = requires_target(&target);
    match (args, kind) {
        (Ok(args), Ok(())) => Ok((args, target)),
        (Err(e), Ok(())) | (Ok(_), Err(e)) => Err(e),
        (Err(mut e), Err(k)) => {
            e.combine(k);
            Err(e)
        }
    }
}

/// Where `#[tenant_bypass]` may go, and its arguments (strictly).
pub fn bypass(args: syn::Result<BypassArgs>, target: Target) -> syn::Result<(BypassArgs, Target)> {
    let args = args.and_then(|a| bypass_args(&a).map(|()| a));
    let kind = bypass_target(&target);
    match (args, kind) {
        (Ok(args), Ok(())) => Ok((args, target)),
        (Err(e), Ok(())) | (Ok(_), Err(e)) => Err(e),
        (Err(mut e), Err(k)) => {
            e.combine(k);
            Err(e)
        }
    }
}

/// Reason and rule codes of a bypass, strictly (shared with `tenant_bypass!`).
pub fn bypass_args(args: &BypassArgs) -> syn::Result<()> {
    tenant_audit_syntax::validate_bypass(args)
}

const REQUIRES_WHERE: &str =
    "`#[requires]` goes on a function with a body: a handler fn, a method or a trait-impl method";

fn requires_target(target: &Target) -> syn::Result<()> {
    match target {
        Target::Item(syn::Item::Fn(_)) => Ok(()),
        Target::ImplItem(syn::ImplItem::Fn(_)) => Ok(()),
        Target::TraitItem(syn::TraitItem::Fn(f)) if f.default.is_some() => Ok(()),
        Target::TraitItem(syn::TraitItem::Fn(f)) => Err(syn::Error::new(
            f.sig.ident.span(),
            format!("{REQUIRES_WHERE}; this trait method has no body (put `#[requires]` on the methods of each impl)"),
        )),
        Target::Unparsed(e) => Err(unparsed("requires", e)),
        other => {
            let (kind, span) = describe(other);
            Err(syn::Error::new(
                span,
                format!("{REQUIRES_WHERE}, not on {kind}"),
            ))
        }
    }
}

const BYPASS_WHERE: &str = "`#[tenant_bypass]` goes on a fn, an impl block, a trait, an inline module (`mod m { .. }`) or an impl item; for one expression use `tenant_audit::expr::tenant_bypass!(reason = \"...\", <expr>)`";

fn bypass_target(target: &Target) -> syn::Result<()> {
    use syn::Item;
    match target {
        Target::Item(
            Item::Fn(_) | Item::Impl(_) | Item::Trait(_) | Item::Const(_) | Item::Type(_),
        ) => Ok(()),
        Target::Item(Item::Mod(m)) if m.content.is_some() => Ok(()),
        Target::Item(Item::Mod(m)) => Err(syn::Error::new(
            m.ident.span(),
            format!("{BYPASS_WHERE}; `mod {};` has no body here: annotate the items of its file instead", m.ident),
        )),
        Target::ImplItem(_) | Target::TraitItem(syn::TraitItem::Fn(_)) => Ok(()),
        Target::Unparsed(e) => Err(unparsed("tenant_bypass", e)),
        other => {
            let (kind, span) = describe(other);
            Err(syn::Error::new(span, format!("{BYPASS_WHERE}, not on {kind}")))
        }
    }
}

fn unparsed(attr: &str, e: &syn::Error) -> syn::Error {
    syn::Error::new(
        e.span(),
        format!("`#[{attr}]` could not read the item it is placed on: {e}"),
    )
}

/// A name for the kind of item ("a struct") and the span to report on (its name, or keyword).
fn describe(target: &Target) -> (&'static str, Span) {
    use syn::Item;
    match target {
        Target::Item(item) => match item {
            Item::Struct(i) => ("a struct", i.ident.span()),
            Item::Enum(i) => ("an enum", i.ident.span()),
            Item::Union(i) => ("a union", i.ident.span()),
            Item::Const(i) => ("a const", i.ident.span()),
            Item::Static(i) => ("a static", i.ident.span()),
            Item::Type(i) => ("a type alias", i.ident.span()),
            Item::Trait(i) => ("a trait", i.ident.span()),
            Item::TraitAlias(i) => ("a trait alias", i.ident.span()),
            Item::Impl(i) => ("an impl block", i.impl_token.span),
            Item::Mod(i) => ("a module", i.ident.span()),
            Item::Use(i) => ("a `use` declaration", i.use_token.span),
            Item::ExternCrate(i) => ("an `extern crate`", i.ident.span()),
            Item::ForeignMod(i) => ("an `extern` block", i.abi.extern_token.span),
            Item::Macro(i) => ("a macro", i.mac.path.span()),
            Item::Fn(i) => ("a fn", i.sig.ident.span()),
            _ => ("this item", item.span()),
        },
        Target::ImplItem(i) => ("this impl item", i.span()),
        Target::TraitItem(i) => ("this trait item", i.span()),
        Target::Unparsed(e) => ("this item", e.span()),
    }
}
