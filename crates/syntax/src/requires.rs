//! `#[requires(scope, ...)]`: the grammar of its arguments.

use crate::bypass::err_at;
use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Token};

/// One scope named in `#[requires(..)]`: a path (`Scope::IncidentsWrite`) or a string literal
/// (`"billing:write"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScopeRef {
    Path(syn::Path),
    Str(LitStr),
}

impl ScopeRef {
    /// The span of the whole scope (the whole path, or the string literal).
    pub fn span(&self) -> Span {
        match self {
            ScopeRef::Path(p) => p.span(),
            ScopeRef::Str(s) => s.span(),
        }
    }

    /// `"Scope::IncidentsWrite"` (path segments joined by `::`, no spaces; a leading `::` is
    /// kept) or the string's value.
    pub fn display(&self) -> String {
        match self {
            ScopeRef::Path(p) => {
                let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
                let joined = segs.join("::");
                if p.leading_colon.is_some() {
                    format!("::{joined}")
                } else {
                    joined
                }
            }
            ScopeRef::Str(s) => s.value(),
        }
    }

    /// The last path segment's ident (`"IncidentsWrite"`), or the string value.
    pub fn key(&self) -> String {
        match self {
            ScopeRef::Path(p) => p
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default(),
            ScopeRef::Str(s) => s.value(),
        }
    }
}

/// The arguments of `#[requires(..)]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequiresArgs {
    pub scopes: Vec<ScopeRef>,
}

const SCOPE_EXPECTED: &str =
    "expected a scope: a path such as `Scope::IncidentsWrite` or a string literal such as \"billing:write\"";

fn parse_scope(input: ParseStream) -> syn::Result<ScopeRef> {
    if input.peek(LitStr) {
        return Ok(ScopeRef::Str(input.parse()?));
    }
    if input.peek(syn::Lit) {
        let lit: syn::Lit = input.parse()?;
        return Err(syn::Error::new(lit.span(), SCOPE_EXPECTED));
    }
    // A path starts with an identifier (any, including `crate`, `self`, `super`) or `::`.
    let starts_path = input.peek(Token![::]) || input.peek(Ident::peek_any);
    if !starts_path {
        return Err(err_at(input, SCOPE_EXPECTED));
    }
    let path = input
        .call(syn::Path::parse_mod_style)
        .map_err(|e| syn::Error::new(e.span(), SCOPE_EXPECTED))?;
    Ok(ScopeRef::Path(path))
}

/// Parses the tokens inside `requires(...)`: one or more comma-separated scopes, each a path or a
/// string literal; a trailing comma is accepted.
///
/// Zero scopes is an error (`#[requires] needs at least one scope`); anything else (numbers,
/// calls, `a = b`) is a spanned error.
pub fn parse_requires(tokens: TokenStream) -> syn::Result<RequiresArgs> {
    let parser = |input: ParseStream| -> syn::Result<RequiresArgs> {
        let mut scopes = Vec::new();
        while !input.is_empty() {
            scopes.push(parse_scope(input)?);
            if input.is_empty() {
                break;
            }
            if !input.peek(Token![,]) {
                return Err(err_at(
                    input,
                    format!("expected `,` or the end of the scope list; {SCOPE_EXPECTED}"),
                ));
            }
            input.parse::<Token![,]>()?;
        }
        if scopes.is_empty() {
            return Err(err_at(
                input,
                "#[requires] needs at least one scope, e.g. `#[requires(Scope::IncidentsWrite)]`",
            ));
        }
        Ok(RequiresArgs { scopes })
    };
    parser.parse2(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;

    fn ts(s: &str) -> TokenStream {
        s.parse().unwrap()
    }

    fn req(s: &str) -> syn::Result<RequiresArgs> {
        parse_requires(ts(s))
    }

    fn err_req(s: &str) -> String {
        req(s).unwrap_err().to_string()
    }

    #[test]
    fn requires_paths_and_strings() {
        let a = req(r#"Scope::IncidentsWrite, "billing:write", crate::rbac::Scope::Admin, ADMIN"#)
            .unwrap();
        let shown: Vec<_> = a.scopes.iter().map(ScopeRef::display).collect();
        assert_eq!(
            shown,
            [
                "Scope::IncidentsWrite",
                "billing:write",
                "crate::rbac::Scope::Admin",
                "ADMIN"
            ]
        );
        let keys: Vec<_> = a.scopes.iter().map(ScopeRef::key).collect();
        assert_eq!(keys, ["IncidentsWrite", "billing:write", "Admin", "ADMIN"]);
        assert!(matches!(a.scopes[0], ScopeRef::Path(_)));
        assert!(matches!(a.scopes[1], ScopeRef::Str(_)));
    }

    #[test]
    fn requires_display_has_no_spaces_and_keeps_leading_colons() {
        let a = req("::app :: Scope :: X, super::Scope::Y, self::Z").unwrap();
        let shown: Vec<_> = a.scopes.iter().map(ScopeRef::display).collect();
        assert_eq!(shown, ["::app::Scope::X", "super::Scope::Y", "self::Z"]);
    }

    #[test]
    fn requires_trailing_comma() {
        assert_eq!(req("Scope::A,").unwrap().scopes.len(), 1);
        assert_eq!(req(r#""a", "b","#).unwrap().scopes.len(), 2);
    }

    #[test]
    fn requires_needs_a_scope() {
        assert!(err_req("").contains("at least one scope"));
    }

    #[test]
    fn requires_rejects_non_scopes() {
        for bad in [
            "42",
            "Scope::A, 1.5",
            "b'x'",
            "true",
            "scope()",
            "Scope::a()",
            "a = b",
            "a = \"x\"",
            "Scope::A Scope::B",
            ",",
            "Scope::A,,",
            "Vec::<u8>::new",
            "&Scope::A",
            "[Scope::A]",
            "\"a\" \"b\"",
        ] {
            assert!(req(bad).is_err(), "should reject {bad:?}");
        }
        assert!(err_req("42").contains("expected a scope"));
        assert!(err_req("a = b").contains("expected `,`"));
    }

    #[test]
    fn requires_error_spans_point_at_the_bad_token() {
        let e = req("Scope::A, 42").unwrap_err();
        let start = e.span().start();
        assert_eq!((start.line, start.column), (1, 10));
        let e = req("Scope::A, x()").unwrap_err();
        assert_eq!(e.span().start().column, 11);
    }

    #[test]
    fn scope_spans() {
        let a = req(r#"Scope::A, "s""#).unwrap();
        assert_eq!(a.scopes[0].span().start().column, 0);
        assert_eq!(a.scopes[1].span().start().column, 10);
    }
}
