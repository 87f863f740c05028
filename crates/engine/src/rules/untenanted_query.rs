use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::diagnostic::Severity;
use crate::sql::{Dialect, Unscoped};

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
`[alias.]workspace_id = <expr>` on one of the table's scope columns (or `IN (..)`, `= ANY(..)`),
or a JOIN equality on the scope column to a table that has one (Postgres's `OPERATOR(pg_catalog.=)`
is `=`; another schema's `OPERATOR(s.=)` is not). An OR above the predicate voids it. INSERT must name the scope column, except where that column is the table's own
single-column primary key and the INSERT leaves it to the database: the row is a new tenant (or a
new root row), `INSERT INTO workspace (name) VALUES ($1) RETURNING workspace_id`; an upsert (`ON
CONFLICT .. DO UPDATE`, `ON DUPLICATE KEY UPDATE`, `REPLACE`) can land on another tenant's row
and gets no such pass. SQL assembled at run time is judged for every way it can be built: a
`QueryBuilder` push or a `sql += ".."` under an `if`, a `match` arm or a loop is judged both with
and without it, so a tenant filter added only when a value is present (and the query still runs
when it is not) is reported. SQL that is a parameter of its fn (`fn run(pool, sql: &str)`) is
judged with what each caller passes, and the finding names the first caller whose SQL is
unscoped.

A table is tenant-owned when the schema (migrations: `[tenant] schema`, else `migrations/` and
the folders the code embeds with `sqlx::migrate!("..")`; diesel `table!`, sea-orm entities) gives it
a tenant column (`[tenant] columns`); with no schema, every table is, except
`[tenant] global-tables`. Its scope columns are the configured tenant columns it has, or what
`[tenant.tables.X]` says: `column = "id"` for the tenant root table (scoped by its own key),
`columns = ["collection_uuid", "user_uuid"]` for a table either of two columns pins, `column =
"app_id"` for a child table that has no tenant column but a foreign key to a tenant-owned parent
(`cargo tenant-audit init` writes these from the schema's `REFERENCES`). Postgres partitions
(`PARTITION OF`) and `INHERITS` children have their parent's columns, and its `[tenant.tables]`
entry when they have none of their own.

### Joins that pin a row
Besides a tenant-column equality, two joins carry the tenant from a scoped table:

* **Key join.** A table joined on *every* column of one of its keys (its primary key, or a unique
  key) to columns of one scoped table is scoped: it has at most one row per row of the scoped
  table, the one that row points at.
  `FROM job_queue q JOIN job j USING (id) WHERE j.parent = $1 AND j.workspace_id = $2` scopes
  `job_queue` (`id` is its primary key). Also `ON q.id = j.id` and the same equality in WHERE.
* **Child join.** A child table's scope column equated to the column its foreign key references
  in a scoped parent: `FROM app_version v JOIN app a ON a.id = v.app_id WHERE a.workspace_id = $1`
  with `[tenant.tables.app_version] column = "app_id"`.

Limits, on purpose: the keys are the ones the schema declares (no schema, no key join); half of
a composite key pins nothing (`job_log (job_id, line)` joined on `job_id` alone is many rows); the
whole key must be equated to one partner, in predicates that filter the table — the preserved
side of a LEFT/RIGHT JOIN is not filtered by the ON (`job_queue q LEFT JOIN job j ON j.id = q.id
AND j.workspace_id = $1` still returns every queue row), a FULL JOIN filters neither side; an OR
above the equality voids it; a key bound to a value (`WHERE id = $1`) pins a row of *any*
tenant. So does a subquery the tenant column is compared to: `WHERE workspace_id = (SELECT
workspace_id FROM ws_namespace WHERE namespace = $1)` gives the tenant of whichever row the
value picks, and the finding on `ws_namespace` says so; pin the subquery by the tenant to scope
both. A key join trusts the partner's column to name a row of the same tenant, as a foreign key
does: a column filled from unchecked input elsewhere is that write's bug, not this query's.

### DSL chains (diesel, sea-orm)
The same rule, on the chain: every tenant-owned table it reads or writes — the base and every
joined one — must be pinned by a `.filter(..)` (or the `.on(..)` of its join) comparing one of
its scope columns with a value, by a tenant-column equality, key join or child join to a pinned
table (a diesel join without `.on(..)` and a sea-orm `inner_join`/`find_also_related`/
`join(JoinType, Relation::X.def())` join on the schema's foreign key: `joinable!`, `belongs_to`),
or by construction (`belonging_to`, `find_related`, a configured scoped fn). A LEFT JOIN's ON
pins the joined table, and pins the others only where a condition false on NULL needs the joined
row (`.filter(users_organizations::status.eq(..))`). Each branch of an OR is judged on its own:
`or_filter` voids the tenant filter unless every branch pins the table. Each way the chain is
built (`if c { q = q.filter(..) }`) is judged. `find(id)`, `find_by_id(id)` and
`delete_by_id(id)` pin the table when its primary key carries a scope column (a composite key is
bound whole: `delete_by_id((org, user))`).

A sea-orm chain may start at the crate's own finder, a fn that returns a query builder without
running it (`fn secure_find(org_id: OrgId) -> Select<Entity> { Self::find().filter(Column::OrgId.eq(org_id)) }`,
a free fn returning `Select<invoice::Entity>`). The chain that runs it
(`eventtype::Entity::secure_find(org).filter(..).one(db)`, `scoped_invoices(org).all(db)`) is
judged on the builder the finder returns, with the chain's own filters on top: pinned when that
builder is (a finder built on another is followed, four deep), else judged on its own filters,
the message saying the finder does not scope the table either. Its rows are loaded rows, so
a write keyed by one is as scoped as the finder. A call whose fn the workspace does not define,
or that returns no builder, is no query.

### Writes keyed by a loaded row
An `ActiveModel` update or delete is `WHERE <primary key> = <its values>`. It is scoped when the
key carries a scope column, or when the key's values are fields of a row the code loaded: a row
fetched in the same fn by a scoped query (`let m: ActiveModel = row.into()`,
`ActiveModel { disabled: Set(true), ..row.into() }`), through a configured scoped fn, a
parameter typed as a model (`ws: &workspace::Model`, then `id: Set(ws.id)`), or `self` in a
model's impl (`diesel::delete(folders.filter(folders::uuid.eq(&self.uuid)))`). Such a write is
as scoped as the fetch that loaded the row: a fetch in the same fn is judged with it (a row from
an unscoped fetch leaves the write unscoped too), one elsewhere is judged where it is. A row
parameter is judged through its callers: each must pass a row it loaded (or a parameter whose
callers do), and a caller that builds the model from the request makes it unscoped; the row
parameter of an entry point (no caller in the workspace: a handler's extractor, an RPC method)
is taken as what its framework loaded. `self` in a model's impl is taken as loaded (a method's
receiver is not followed into its callers). A row returned by a workspace fn declared to return a model
(`-> Result<workspace::Model>`) counts the same way. Rows filtered by the id of such a row
(`.filter(workspace::Column::ComposeParent.eq(ws.id))`) are the rows that belong to it, as with
diesel's `belonging_to(&ws)`. A key that is a parameter of the fn (`fn end_usage(id: i32)`,
then `id: Set(id)`) is judged through the callers: scoped when every caller passes a field of a
row it loaded (`end_usage(txn, ws.usage_id)`), or hands on a parameter whose callers do; the
finding names the first caller that does not. A key from the request (`id: Set(id)`) pins any
tenant's row.

### Rows checked after the load
A fetch by id is scoped when the row's tenant column is compared with the request's tenant before
the row is used, and the mismatch leaves (`if c.org_id != org_id { return Err(..) }`, `bail!`,
`ensure!(c.org_id == org_id, ..)`, `.filter(|c| c.org_id == org_id).ok_or(..)?`, a match arm or
guard that returns): in the fn that loads it, or, for a fn that returns the row, in every caller
(the finding names a caller that does not check). The other side must carry the tenant (a
tenant-named value or the guard's), not a field of another loaded row. A row picked from a scoped
fetch (`rows.into_iter().find(..)`, `.first()`, `rows[0]`, a `for` loop) is that fetch's row, and
a key taken in branches (`if let Some(u) = ws.usage_id { u } else { new_usage(..).await?.id }`)
is judged branch by branch. A write keyed by a row whose own load is unscoped is not reported
apart: the load's finding names it, and scoping the load scopes both.

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
Add the tenant predicate, in the table's own scope column (the help of each finding names it):
`WHERE id = $1 AND workspace_id = $2`. For a deliberate cross-tenant query (a nightly rollup, an
admin export) wrap it in `tenant_bypass!(reason = "..", ..)` or put
`#[tenant_bypass(rules = ["TA201"], reason = "..")]` on the fn.
"#,
};

impl Rule for UntenantedQuery {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleCx<'_, '_>) {
        let mut findings = Vec::new();
        // A write keyed by a row of an unscoped load is reported once, at the load (which
        // names it): scoping the load scopes the write.
        let mut writes: std::collections::BTreeMap<(usize, usize), Vec<u32>> = Default::default();
        for v in cx.queries {
            if let (Some(load), false) = (v.keyed_by_load, v.unscoped.is_empty()) {
                let line = cx.index.files[v.file].queries[v.query].span.start.line;
                writes.entry((v.file, load)).or_default().push(line);
            }
        }
        for v in cx.queries {
            if v.unscoped.is_empty() || v.keyed_by_load.is_some() {
                continue;
            }
            let q = &cx.index.files[v.file].queries[v.query];
            let dsl = matches!(q.kind, crate::db::QueryKind::Dsl(_));
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
            let mut why = if reasons.is_empty() {
                String::new()
            } else {
                format!(": {}", reasons.join("; "))
            };
            if let Some(at) = super::caller_text(cx, v) {
                why.push_str(&format!(" (the SQL passed by the caller at {at})"));
            }
            if let Some(lines) = writes.get(&(v.file, v.query)) {
                let listed: Vec<String> = lines.iter().map(u32::to_string).collect();
                let (at, it) = match listed.as_slice() {
                    [one] => (format!("the write at line {one} is"), "it"),
                    _ => (
                        format!("the writes at lines {} are", listed.join(", ")),
                        "them",
                    ),
                };
                why.push_str(&format!(
                    "; {at} keyed by its row: scoping this query scopes {it} too (not reported apart)"
                ));
            }
            findings.push((
                v.file,
                Finding {
                    span: q.span,
                    message: format!(
                        "{} query touches tenant-owned {noun} {} without a tenant predicate{why}",
                        q.driver,
                        tables.join(", "),
                    ),
                    item: cx.index.files[v.file].item_of(q.fn_index, &q.item),
                    snippet: q.snippet.clone(),
                    label: Some(format!("unscoped: {}", tables.join(", "))),
                    help: Some(help(cx, v.file, &v.unscoped, dsl)),
                },
            ));
        }
        for (fi, f) in findings {
            cx.report(&META, fi, f);
        }
    }
}

/// What to add, in the words of each table's own scope column (its `[tenant.tables.X]` entry,
/// else the configured tenant column it has) and the package's placeholder style.
fn help(cx: &RuleCx<'_, '_>, file: usize, unscoped: &[Unscoped], dsl: bool) -> String {
    let pkg = cx.index.package_of(file);
    let tenancy = &cx.index.tenancy[pkg];
    let placeholder = match cx.index.dialects[pkg] {
        Dialect::Postgres => "$n",
        _ => "?",
    };
    let mut filters = Vec::new();
    let mut writes = Vec::new();
    for u in unscoped {
        let cols = tenancy
            .tenant_columns(&u.table)
            .unwrap_or_else(|| tenancy.columns.clone());
        let Some(first) = cols.first() else { continue };
        let others = if cols.len() > 1 {
            format!(
                " (or {})",
                cols[1..]
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            String::new()
        };
        let is_write = ["INSERT", "COPY .. FROM", "the insert"]
            .iter()
            .any(|w| u.reason.starts_with(w));
        if is_write {
            writes.push(format!(
                "set `{first}`{others} in the write to `{}`",
                u.table
            ));
        } else if dsl {
            filters.push(format!("`.filter(..)` on `{}.{first}`{others}", u.table));
        } else {
            filters.push(format!("`AND {}.{first} = {placeholder}`{others}", u.table));
        }
    }
    let mut parts = Vec::new();
    if !filters.is_empty() {
        parts.push(if dsl {
            format!("add {} before the query runs", filters.join(" and "))
        } else {
            format!(
                "add {} to the WHERE clause (or join it on the tenant column to a scoped table)",
                filters.join(", ")
            )
        });
    }
    parts.extend(writes);
    parts.push(
        "for a deliberate cross-tenant query use `tenant_bypass!(reason = \"..\", ..)`".to_string(),
    );
    parts.join("; ")
}
