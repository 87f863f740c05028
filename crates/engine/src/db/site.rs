//! Recording query sites, and where their findings sit.

use super::{DslQuery, QueryFact, QueryKind};
use crate::diagnostic::Span;
use crate::extract::Walker;
use crate::strings::StrSource;

/// A span from the start of `a` to the end of `b`.
pub fn span_between(a: proc_macro2::Span, b: proc_macro2::Span) -> Span {
    let s = Span::from_pm2(a);
    let e = Span::from_pm2(b);
    Span {
        start: s.start,
        end: e.end,
    }
}

/// The span of a method call from its name to its closing paren (`query(..)`).
pub fn method_span(m: &syn::ExprMethodCall) -> Span {
    span_between(m.method.span(), m.paren_token.span.close())
}

/// Records an SQL query site.
pub fn push_sql(
    w: &mut Walker<'_, '_>,
    driver: &'static str,
    span: Span,
    snippet: String,
    src: StrSource,
    tentative: bool,
) {
    // `CREATE TABLE IF NOT EXISTS _jobs (..)` run by the application itself: a table of the
    // schema like one a migration creates.
    if let StrSource::Lit(text) = &src {
        let head: String = text
            .trim_start()
            .chars()
            .take(40)
            .collect::<String>()
            .to_ascii_uppercase();
        if head.starts_with("CREATE TABLE") {
            let mut schema = crate::sql::Schema::default();
            schema.apply_migration(text, crate::sql::Dialect::Postgres);
            w.facts
                .schema_tables
                .extend(std::mem::take(&mut schema.tables).into_values());
        }
    }
    let item = w.current_item();
    w.facts.queries.push(QueryFact {
        driver,
        span,
        item,
        snippet,
        kind: QueryKind::Sql(crate::strings::SharedSource::of(src)),
        tentative,
        unless_local: None,
        fn_index: None,
    });
}

/// `short` of any node, for snippets.
pub fn snippet(e: &dyn quote::ToTokens) -> String {
    crate::ast::short_tokens(e)
}

/// The start of an expression as a span (for DSL chains: where the chain starts).
pub fn start_span(e: &syn::Expr) -> Span {
    Span::from_pm2(crate::ast::expr_span(e))
}

/// Records a DSL query site, once per chain start.
pub fn push_dsl(
    w: &mut Walker<'_, '_>,
    driver: &'static str,
    start: &syn::Expr,
    snippet: String,
    q: DslQuery,
) {
    let span = Span::from_pm2(crate::ast::expr_span(start));
    if w.facts
        .queries
        .iter()
        .any(|x| x.span == span && x.driver == driver)
    {
        return;
    }
    let item = w.current_item();
    w.facts.queries.push(QueryFact {
        driver,
        span,
        item,
        snippet,
        kind: QueryKind::Dsl(Box::new(q)),
        tentative: false,
        unless_local: None,
        fn_index: None,
    });
}
