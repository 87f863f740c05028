use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::diagnostic::Severity;

pub struct UnanalyzableQuery;

static META: RuleMeta = RuleMeta {
    code: "TA202",
    name: "unanalyzable-query",
    default_severity: Severity::Warning,
    summary: "a query whose SQL cannot be resolved or parsed (format!, dynamic)",
    docs: r#"## What it does
Reports query sites whose SQL text cannot be known without running the code — a value spliced
into it by `format!`, `push_str`, `QueryBuilder::push(variable)`, taken from a `String` parameter
no caller of the workspace passes — or whose text the SQL parser rejects. The message names what
was dynamic (and, when the spliced value comes from a parameter of the fn, that it is an SQL
injection if a request supplies it), or the parser's complaint; for valid SQL the parser is known
not to support (`INSERT .. SELECT $1, $2 ON CONFLICT DO NOTHING`, a SELECT without FROM before
ON CONFLICT) it names that construct and the parser's release. Postgres's schema-qualified
operators (`tenant_id OPERATOR(pg_catalog.=) $1`, prefix `OPERATOR(pg_catalog.-) 2`) are read as
the operators they name. SQL held by the value a method is called on (`sqlx::query(self)` in an
`impl Query for &str`) is reported as the method's receiver: the audit does not follow it to the
method's callers.

SQL whose every variant is known is judged, variant by variant, not reported here: text grown
from literals (`sql += " AND id < $2"` in one `match` arm, `push_str` under an `if`), a
`QueryBuilder` fed literal `push(..)` and `push_bind(..)`, `match` arms returning literals, SQL
strings in statics and consts (arrays of struct literals iterated in a loop, `Self::TABLE` of
every impl, `lazy_static!`, `Lazy::new(|| ..)` and `LazyLock::new(|| ..)` initialisers), a parameter whose callers all pass known SQL, and `format!` whose holes hold only a
placeholder number (`${}`), an IN-list of placeholders or numbers (`ids.iter().map(|_| "?")
.join(",")`), a SET list of literal columns each with its placeholder, a number, a const or a
literal. A `format!` around a statement that touches no table (`SAVEPOINT {}`, `SET LOCAL
app.user_id = {}`) is never reported.

A text grown by many optional pieces (a `push_str` under each of twenty `if`s has 2^20 ways to
be built) is followed for at most 20,000 steps, then reported here as "a text built in more ways
than the audit follows", rather than left unread or slowing the run: fewer optional pieces, a
`QueryBuilder`, or a bypass that says why the text stays scoped settle it.

Literal statements that read or write no table row are never reported, even where the parser
rejects them: `PRAGMA ..`, `VACUUM [INTO ?]`, `SET ..`, `RESET`, `BEGIN`, `START TRANSACTION`,
`COMMIT`, `END`, `ROLLBACK [TO SAVEPOINT x]`, `ABORT`, `SAVEPOINT x`, `RELEASE x`, `SHOW ..`,
`LISTEN`, `UNLISTEN`, `NOTIFY`, `DISCARD`, `DEALLOCATE`, `CHECKPOINT`, SQLite `ATTACH`/`DETACH`,
and DDL (`ALTER`, `CREATE`, `DROP`, `COMMENT`, `GRANT`, `REVOKE`, `REINDEX`, `ANALYZE`,
`CLUSTER`, `REFRESH`), unless they hold a SELECT, FROM, JOIN, INSERT, UPDATE, DELETE or WITH. The other statements of
the same text are judged as usual.

## Why is this bad?
A query the tool cannot read is a query nobody has proven tenant-scoped. Dynamic SQL is also where
injection and forgotten tenant filters hide. It is never a silent pass.

## Example
```rust
let sql = format!("SELECT * FROM invoices ORDER BY {sort}");
sqlx::query(&sql).fetch_all(&pool).await?;
```

## How to fix
Use a literal or a `const` (bind values with `$n`), or `QueryBuilder` with `push_bind`. Where
the text must be dynamic and you have checked it, bypass it with a reason, or lower the rule in
config (`[rules] TA202 = "note"`).
"#,
};

impl Rule for UnanalyzableQuery {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleCx<'_, '_>) {
        let mut findings = Vec::new();
        for v in cx.queries {
            let q = &cx.index.files[v.file].queries[v.query];
            let by = super::caller_text(cx, v)
                .map(|at| format!(" (the SQL passed by the caller at {at})"))
                .unwrap_or_default();
            let (message, label) = if let Some(d) = &v.dynamic {
                (
                    format!(
                        "{} query SQL cannot be resolved statically: it is built from {d}{by}",
                        q.driver
                    ),
                    format!("dynamic: {d}"),
                )
            } else if let Some(e) = &v.parse_error {
                (
                    format!("{} query SQL cannot be parsed: {e}{by}", q.driver),
                    format!("parser: {e}"),
                )
            } else {
                continue;
            };
            findings.push((
                v.file,
                Finding {
                    span: q.span,
                    message,
                    item: cx.index.files[v.file].item_of(q.fn_index, &q.item),
                    snippet: q.snippet.clone(),
                    label: Some(label),
                    help: Some(format!(
                        "use literal SQL or a const with bound parameters so the {} filter can be checked; or bypass with a reason",
                        tenant_columns(cx, v.file)
                    )),
                },
            ));
        }
        for (fi, f) in findings {
            cx.report(&META, fi, f);
        }
    }
}

/// The package's configured tenant column(s), as the help names them (`workspace_id`,
/// `org_id` or `tenant_id`).
fn tenant_columns(cx: &RuleCx<'_, '_>, file: usize) -> String {
    let cols = &cx.index.tenancy[cx.index.package_of(file)].columns;
    match cols.as_slice() {
        [] => "tenant".to_string(),
        [one] => format!("`{one}`"),
        [init @ .., last] => format!(
            "{} or `{last}`",
            init.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
