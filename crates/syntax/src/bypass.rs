//! `#[tenant_bypass(..)]` and `tenant_bypass!(..)`: the grammar of their arguments, read
//! leniently for the auditor and validated strictly for the proc-macro.

use crate::reason::check_reason;
use crate::rules::{find_rule, RULES};
use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Token};

/// The arguments of `#[tenant_bypass(..)]` or of the `tenant_bypass!` macro.
#[derive(Debug, Clone)]
pub struct BypassArgs {
    /// `reason = "..."`; `None` when absent.
    pub reason: Option<LitStr>,
    /// `rules = [..]` as written (codes or names); `None` when absent.
    pub rules: Option<Vec<LitStr>>,
    /// Span of the whole argument list (`Span::call_site()` if it is empty).
    pub span: Span,
}

/// An error at the next token, or at the end of the input (the closing delimiter, or the macro
/// call site) without syn's "unexpected end of input" prefix.
pub(crate) fn err_at(input: ParseStream, message: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(input.span(), message)
}

/// Is the input at `ident =` (and not `ident ==`)?
fn at_named_arg(input: ParseStream) -> bool {
    input.peek(Ident::peek_any) && input.peek2(Token![=]) && !input.peek2(Token![==])
}

/// Parses one `name = value` argument into `args`; returns the span of the value.
fn parse_one_bypass_arg(input: ParseStream, args: &mut BypassArgs) -> syn::Result<Span> {
    let name: Ident = match input.call(Ident::parse_any) {
        Ok(name) => name,
        Err(_) => {
            return Err(err_at(
                input,
                "expected `reason = \"...\"` or `rules = [\"TA201\", ...]`",
            ))
        }
    };
    let key = name.to_string();
    if key != "reason" && key != "rules" {
        return Err(syn::Error::new(
            name.span(),
            format!("unknown argument `{key}`; expected `reason = \"...\"` or `rules = [\"TA201\", ...]`"),
        ));
    }
    let duplicate = match key.as_str() {
        "reason" => args.reason.is_some(),
        _ => args.rules.is_some(),
    };
    if duplicate {
        return Err(syn::Error::new(
            name.span(),
            format!("duplicate argument `{key}`"),
        ));
    }
    if !input.peek(Token![=]) || input.peek(Token![==]) {
        return Err(err_at(input, format!("expected `=` after `{key}`")));
    }
    input.parse::<Token![=]>()?;
    if key == "reason" {
        if !input.peek(LitStr) {
            return Err(err_at(
                input,
                "`reason` must be a string literal, e.g. `reason = \"health check is public\"`",
            ));
        }
        let lit: LitStr = input.parse()?;
        let span = lit.span();
        args.reason = Some(lit);
        Ok(span)
    } else {
        if !input.peek(syn::token::Bracket) {
            return Err(input
                .error("`rules` must be a list of string literals, e.g. `rules = [\"TA201\"]`"));
        }
        let content;
        let bracket = syn::bracketed!(content in input);
        let mut rules = Vec::new();
        while !content.is_empty() {
            if !content.peek(LitStr) {
                return Err(err_at(&content,
                    "expected a rule code or name as a string literal, e.g. \"TA201\" or \"untenanted-query\"",
                ));
            }
            rules.push(content.parse::<LitStr>()?);
            if content.is_empty() {
                break;
            }
            if !content.peek(Token![,]) {
                return Err(err_at(&content, "expected `,` or `]`"));
            }
            content.parse::<Token![,]>()?;
        }
        args.rules = Some(rules);
        Ok(bracket.span.join())
    }
}

/// LENIENT parse of the tokens inside `tenant_bypass(...)`: `reason = "..."` and/or
/// `rules = ["TA201", "untenanted-query"]`, in any order, possibly empty; a trailing comma is
/// accepted.
///
/// Does NOT reject a missing or blank reason (the auditor reports that as its own finding TA901)
/// but DOES reject unknown arguments, duplicate arguments, non-string values and malformed syntax
/// with a spanned [`syn::Error`]. Unknown rule codes are not rejected here either: see
/// [`validate_bypass`].
pub fn parse_bypass(tokens: TokenStream) -> syn::Result<BypassArgs> {
    let span = tokens.span();
    let parser = move |input: ParseStream| -> syn::Result<BypassArgs> {
        let mut args = BypassArgs {
            reason: None,
            rules: None,
            span,
        };
        while !input.is_empty() {
            parse_one_bypass_arg(input, &mut args)?;
            if input.is_empty() {
                break;
            }
            if !input.peek(Token![,]) {
                return Err(err_at(
                    input,
                    "expected `,` or the end of the argument list",
                ));
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    };
    parser.parse2(tokens)
}

/// Parses the tokens of `tenant_bypass!(reason = "...", <expr>)`: the bypass arguments (same
/// lenient rules as [`parse_bypass`], `rules = [..]` allowed too), each followed by a comma, then
/// one Rust expression (optionally followed by a trailing comma).
///
/// Every leading `ident = ...` is read as an argument, so the expression itself cannot be a bare
/// assignment `x = y` (wrap it in a block: `{ x = y }`).
pub fn parse_bypass_macro(tokens: TokenStream) -> syn::Result<(BypassArgs, syn::Expr)> {
    let parser = |input: ParseStream| -> syn::Result<(BypassArgs, syn::Expr)> {
        let mut args = BypassArgs {
            reason: None,
            rules: None,
            span: Span::call_site(),
        };
        let mut first: Option<Span> = None;
        let mut last: Option<Span> = None;
        while at_named_arg(input) {
            first.get_or_insert(input.span());
            last = Some(parse_one_bypass_arg(input, &mut args)?);
            if input.is_empty() {
                return Err(err_at(input,
                    "expected `, <expression>` after the bypass arguments: `tenant_bypass!(reason = \"...\", <expr>)`",
                ));
            }
            if !input.peek(Token![,]) {
                return Err(err_at(input, "expected `,` after the bypass argument"));
            }
            input.parse::<Token![,]>()?;
        }
        if let (Some(first), Some(last)) = (first, last) {
            args.span = first.join(last).unwrap_or(first);
        }
        if input.is_empty() {
            return Err(err_at(
                input,
                "expected an expression: `tenant_bypass!(reason = \"...\", <expr>)`",
            ));
        }
        let expr: syn::Expr = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(err_at(input,
                "unexpected tokens after the expression: `tenant_bypass!` takes exactly one expression",
            ));
        }
        Ok((args, expr))
    };
    parser.parse2(tokens)
}

/// Strict validation used by the proc-macro: a missing, blank or placeholder reason, an empty
/// `rules = []` and rule codes or names not in [`RULES`] are spanned errors (all of them, combined).
pub fn validate_bypass(args: &BypassArgs) -> syn::Result<()> {
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let reason_value = args.reason.as_ref().map(LitStr::value);
    if let Some(problem) = check_reason(reason_value.as_deref()) {
        let span = args.reason.as_ref().map_or(args.span, LitStr::span);
        push(syn::Error::new(span, problem.message()));
    }
    if let Some(rules) = &args.rules {
        if rules.is_empty() {
            push(syn::Error::new(
                args.span,
                "`rules = []` lists no rule; name at least one (e.g. \"TA201\") or remove `rules` to cover every rule",
            ));
        }
        for rule in rules {
            if find_rule(&rule.value()).is_none() {
                push(syn::Error::new(
                    rule.span(),
                    format!(
                        "unknown rule \"{}\"; valid rules: {}",
                        rule.value(),
                        valid_rules_list()
                    ),
                ));
            }
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn valid_rules_list() -> String {
    RULES
        .iter()
        .map(|r| format!("{} ({})", r.code, r.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;

    fn ts(s: &str) -> TokenStream {
        s.parse().unwrap()
    }

    fn bypass(s: &str) -> syn::Result<BypassArgs> {
        parse_bypass(ts(s))
    }

    fn err_bypass(s: &str) -> String {
        bypass(s).unwrap_err().to_string()
    }

    #[test]
    fn bypass_lenient_forms() {
        let a = bypass(r#"reason = "health check is public""#).unwrap();
        assert_eq!(a.reason.unwrap().value(), "health check is public");
        assert!(a.rules.is_none());

        let a = bypass(r#"rules = ["TA201", "untenanted-query"], reason = "sweeper""#).unwrap();
        assert_eq!(a.reason.unwrap().value(), "sweeper");
        let rules: Vec<_> = a.rules.unwrap().iter().map(LitStr::value).collect();
        assert_eq!(rules, ["TA201", "untenanted-query"]);

        let a = bypass(r#"reason = "x", rules = ["TA201",],"#).unwrap();
        assert_eq!(a.rules.unwrap().len(), 1);

        // Lenient: missing / blank reasons, empty lists and unknown rule codes parse fine.
        let a = bypass("").unwrap();
        assert!(a.reason.is_none() && a.rules.is_none());
        assert!(bypass(r#"reason = "   ""#).is_ok());
        assert!(bypass(r#"rules = ["TA201"]"#).unwrap().reason.is_none());
        assert!(bypass("rules = []").unwrap().rules.unwrap().is_empty());
        assert!(bypass(r#"rules = ["TA999"]"#).is_ok());
    }

    #[test]
    fn bypass_span_covers_the_argument_list() {
        let a = bypass(r#"  reason = "x""#).unwrap();
        let (s, e) = (a.span.start(), a.span.end());
        assert_eq!((s.column, e.column), (2, 14));
    }

    #[test]
    fn bypass_rejects_malformed() {
        assert!(err_bypass(r#"reson = "x""#).contains("unknown argument `reson`"));
        assert!(err_bypass(r#"reason = "a", reason = "b""#).contains("duplicate argument `reason`"));
        assert!(
            err_bypass(r#"rules = [], rules = ["TA201"]"#).contains("duplicate argument `rules`")
        );
        assert!(err_bypass("reason = 42").contains("string literal"));
        assert!(err_bypass("reason = some_const").contains("string literal"));
        assert!(err_bypass(r#"reason("x")"#).contains("expected `=`"));
        assert!(err_bypass(r#"reason == "x""#).contains("expected `=`"));
        assert!(err_bypass(r#"rules = "TA201""#).contains("list of string literals"));
        assert!(err_bypass("rules = [TA201]").contains("rule code or name"));
        assert!(err_bypass(r#"rules = ["TA201" "TA202"]"#).contains("expected `,` or `]`"));
        assert!(err_bypass(r#""just a reason""#).contains("expected `reason"));
        assert!(err_bypass(r#"reason = "a" rules = []"#).contains("expected `,`"));
        assert!(bypass(r#"reason = "a",,"#).is_err());
        assert!(bypass(r#"type = "a""#)
            .unwrap_err()
            .to_string()
            .contains("unknown argument `type`"));
    }

    #[test]
    fn bypass_error_spans() {
        let e = bypass(r#"reason = "a", reson = "b""#).unwrap_err();
        assert_eq!(e.span().start().column, 14);
        let e = bypass(r#"reason = "a", reason = "b""#).unwrap_err();
        assert_eq!(e.span().start().column, 14);
    }

    #[test]
    fn bypass_macro_forms() {
        let (a, e) = parse_bypass_macro(ts(
            r#"reason = "admin export", sqlx::query("SELECT * FROM orgs").fetch_all(&db).await?"#,
        ))
        .unwrap();
        assert_eq!(a.reason.unwrap().value(), "admin export");
        assert!(matches!(e, syn::Expr::Try(_)));

        let (a, e) = parse_bypass_macro(ts(r#"rules = ["TA201"], reason = "x", a == b,"#)).unwrap();
        assert_eq!(a.rules.unwrap().len(), 1);
        assert!(matches!(e, syn::Expr::Binary(_)));

        let (a, _) = parse_bypass_macro(ts("foo(1)")).unwrap();
        assert!(a.reason.is_none());
        assert!(a.span.start().line == 0 || a.span.start().column == 0);

        let (a, _) = parse_bypass_macro(ts(r#" reason = "x", y"#)).unwrap();
        assert_eq!((a.span.start().column, a.span.end().column), (1, 13));

        let (_, e) = parse_bypass_macro(ts(r#"reason = "x", { a = b }"#)).unwrap();
        assert!(matches!(e, syn::Expr::Block(_)));
    }

    #[test]
    fn bypass_macro_rejects_malformed() {
        let err = |s: &str| parse_bypass_macro(ts(s)).unwrap_err().to_string();
        assert!(err(r#"reason = "x""#).contains("expression"));
        assert!(err(r#"reason = "x","#).contains("expression"));
        assert!(err("").contains("expression"));
        assert!(err(r#"reason = "x", a, b"#).contains("exactly one expression"));
        assert!(err(r#"reson = "x", a"#).contains("unknown argument"));
        assert!(err(r#"reason = "x", reason = "y", a"#).contains("duplicate"));
        assert!(err(r#"reason = "x" a"#).contains("expected `,`"));
        assert!(err(r#"reason = 1, a"#).contains("string literal"));
    }

    #[test]
    fn validate() {
        let ok = |s: &str| validate_bypass(&bypass(s).unwrap());
        assert!(ok(r#"reason = "public""#).is_ok());
        assert!(
            ok(r#"reason = "sweeper", rules = ["TA201", "unscoped-cache-key", "ta902"]"#).is_ok()
        );

        let e = ok("").unwrap_err().to_string();
        assert!(e.contains("no `reason"), "{e}");
        let e = ok(r#"reason = " ""#).unwrap_err().to_string();
        assert!(e.contains("blank"), "{e}");
        let e = ok(r#"reason = "TODO""#).unwrap_err().to_string();
        assert!(e.contains("placeholder"), "{e}");
        let e = ok(r#"reason = "ok", rules = ["TA201", "TA999"]"#).unwrap_err();
        assert!(e.to_string().contains("unknown rule \"TA999\""));
        assert!(e.to_string().contains("TA201 (untenanted-query)"));
        assert_eq!(e.span().start().column, 33);
        let e = ok(r#"reason = "ok", rules = []"#).unwrap_err().to_string();
        assert!(e.contains("lists no rule"), "{e}");

        // Several problems are all reported.
        let e = ok(r#"reason = "tbd", rules = ["nope"]"#).unwrap_err();
        assert_eq!(e.into_iter().count(), 2);

        // Reason errors point at the reason literal.
        let e = ok(r#"rules = ["TA201"], reason = "fixme""#).unwrap_err();
        assert_eq!(e.span().start().column, 28);
    }
}
