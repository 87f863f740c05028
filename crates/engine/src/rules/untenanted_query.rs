use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::diagnostic::Severity;

pub struct UntenantedQuery;

static META: RuleMeta = RuleMeta {
    code: "TA201",
    name: "untenanted-query",
    default_severity: Severity::Error,
    summary: "a query touching a tenant-owned table without a tenant predicate",
    docs: r#"## What it does
Parses the SQL of every query site (sqlx, tokio-postgres, deadpool-postgres, rusqlite, diesel
`sql_query`, sea-orm `Statement`) and the method chain of every diesel and sea-orm DSL query, and
checks that every tenant-owned table the statement touches — in FROM, JOIN, subqueries, CTEs,
UNION branches, UPDATE and DELETE targets — is pinned to one tenant: a top-level AND-conjunct
`[alias.]org_id = <expr>` (or `IN (..)`, `= ANY(..)`), or a JOIN equality on the tenant column to
a table that has one. An OR above the predicate voids it. INSERT must name the tenant column.
For DSLs: a `.filter(..)` on the tenant column before the terminal call. SQL assembled with
`QueryBuilder` is judged for every way it can be built: a push under an `if`, a `match` arm or a
loop is judged both with and without it, so a tenant filter pushed only when a value is present
(and the query still runs when it is not) is reported.

A table is tenant-owned when the schema (migrations, diesel `table!`, sea-orm entities) gives it
a tenant column; with no schema, every table is, except `[tenant] global-tables`.

## Why is this bad?
`SELECT * FROM invoices WHERE id = $1` compiles, passes every single-tenant test, and returns
another customer's invoice to anyone who guesses an id.

## Example
```rust
sqlx::query_as::<_, Invoice>("SELECT * FROM invoices WHERE id = $1")
    .bind(id)
    .fetch_one(&pool)
    .await?;
```

## How to fix
Add the tenant predicate: `WHERE id = $1 AND org_id = $2`. For a deliberate cross-tenant query
(a nightly rollup, an admin export) wrap it in `tenant_bypass!(reason = "..", ..)` or put
`#[tenant_bypass(rules = ["TA201"], reason = "..")]` on the fn.
"#,
};

impl Rule for UntenantedQuery {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleCx<'_, '_>) {
        let mut findings = Vec::new();
        for v in cx.queries {
            if v.unscoped.is_empty() {
                continue;
            }
            let q = &cx.index.files[v.file].queries[v.query];
            let tables: Vec<String> = v
                .unscoped
                .iter()
                .map(|u| format!("`{}`", u.table))
                .collect();
            // "no tenant predicate" is what the message already says; other reasons add to it.
            let reasons: Vec<String> = v
                .unscoped
                .iter()
                .filter(|u| u.reason != "no tenant predicate")
                .map(|u| {
                    if u.reason.contains(&format!("`{}`", u.table)) {
                        u.reason.clone()
                    } else {
                        format!("`{}`: {}", u.table, u.reason)
                    }
                })
                .collect();
            let noun = if tables.len() == 1 { "table" } else { "tables" };
            let why = if reasons.is_empty() {
                String::new()
            } else {
                format!(": {}", reasons.join("; "))
            };
            findings.push((
                v.file,
                Finding {
                    span: q.span,
                    message: format!(
                        "{} query touches tenant-owned {noun} {} without a tenant predicate{why}",
                        q.driver,
                        tables.join(", "),
                    ),
                    item: q.item.clone(),
                    snippet: q.snippet.clone(),
                    label: Some(format!("unscoped: {}", tables.join(", "))),
                    help: Some(
                        "add `AND <table>.org_id = $n` (your tenant column) to the WHERE clause; for a deliberate cross-tenant query use `tenant_bypass!(reason = \"..\", ..)`".into(),
                    ),
                },
            ));
        }
        for (fi, f) in findings {
            cx.report(&META, fi, f);
        }
    }
}
