//! Parsing: the argument grammar is `tenant_audit_syntax`'s; here we only read the annotated item.

use proc_macro2::TokenStream;

/// The item an attribute is placed on.
pub enum Target {
    /// A module-level item (also how most impl items parse: fns with a body, consts, types).
    Item(syn::Item),
    /// An impl item that does not parse as an item (e.g. `default fn`).
    ImplItem(syn::ImplItem),
    /// A trait item that does not parse as an item (e.g. `fn f(&self);` without a body).
    TraitItem(syn::TraitItem),
    /// Tokens syn cannot read as any item.
    Unparsed(syn::Error),
}

/// Reads the annotated item, trying module items first, then impl and trait items.
pub fn parse_target(item: TokenStream) -> Target {
    match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Verbatim(_)) | Err(_) => {}
        Ok(item) => return Target::Item(item),
    }
    if let Ok(impl_item) = syn::parse2::<syn::ImplItem>(item.clone()) {
        if !matches!(impl_item, syn::ImplItem::Verbatim(_)) {
            return Target::ImplItem(impl_item);
        }
    }
    match syn::parse2::<syn::TraitItem>(item.clone()) {
        Ok(syn::TraitItem::Verbatim(_)) => {}
        Ok(trait_item) => return Target::TraitItem(trait_item),
        Err(_) => {}
    }
    match syn::parse2::<syn::Item>(item) {
        Ok(item) => Target::Item(item),
        Err(err) => Target::Unparsed(err),
    }
}
