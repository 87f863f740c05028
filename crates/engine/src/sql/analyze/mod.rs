//! Which table references in a SQL text lack a tenant predicate (DESIGN.md §4 "Queries").
//!
//! # The rule
//!
//! Each SELECT, UPDATE, DELETE and MERGE is a *scope*: the tables of its FROM/JOIN (UPDATE
//! target and `FROM`, DELETE `FROM` and `USING`) plus its WHERE and JOIN ON predicates. Every
//! tenant-owned table in a scope must be *scoped*:
//!
//! * directly, by a top-level AND-conjunct of WHERE or of a JOIN ON: `col = <expr>` (either
//!   side; also `<=>` and `IS NOT DISTINCT FROM`, and element-wise for row values
//!   `(org_id, id) = ($1, $2)`), `col IN (..)` (list or subquery, not `NOT IN`), `col = ANY(..)`
//!   / `SOME(..)`, where `col` is one of the table's tenant columns and `<expr>` is not a column
//!   of the same scope (a placeholder, literal, function, subquery or outer column);
//! * or through a join equality `a.col = b.col` (ON or WHERE), `USING (col)` or `NATURAL JOIN`,
//!   on tenant columns of both tables, to a table of the same scope that is scoped (transitively);
//!   a derived table or CTE whose own body is fully scoped counts as a scoped partner;
//! * or through a *key join*: every column of one of its keys (the primary key or a unique key,
//!   as the schema declares them) is equated (ON, WHERE or `USING`) to a column of one scoped
//!   partner. The table then has at most one row per partner row, the row the partner points at
//!   (`FROM job_queue q JOIN job j USING (id) WHERE j.workspace_id = $1`). Limits: the whole key,
//!   to one partner; no key known, no key join; it trusts the partner's column to name a row of
//!   the same tenant (what a foreign key guarantees);
//! * or, for a table scoped by a column of its own (`[tenant.tables.app_version] column =
//!   "app_id"`), through a *child join*: that column equated to the column its foreign key
//!   references in a scoped partner (with no foreign key declared: the partner's single-column
//!   primary key), `JOIN app a ON a.id = v.app_id WHERE a.workspace_id = $1`.
//!
//! A predicate in the ON of an outer join only filters the table(s) on its null-extended side
//! (LEFT JOIN: the joined table; RIGHT JOIN: the tables before it; FULL JOIN: none).
//! An OR above a predicate voids it. Columns in the select list, ORDER BY, GROUP BY, HAVING or
//! in strings count for nothing. Subqueries (WHERE, select list, FROM, HAVING, ...), CTE bodies
//! and every UNION/INTERSECT/EXCEPT branch are scopes of their own. A CTE name in FROM is not a
//! table; table-valued functions, `UNNEST` and `VALUES` are not tables.
//!
//! INSERT into a tenant-owned table must name one of its tenant columns in its column list (or
//! MySQL `SET` list), unless that column is the table's single-column primary key it leaves to
//! the database (a new tenant row) and it is no upsert; `INSERT .. SELECT` also needs its SELECT scoped; `ON CONFLICT .. DO UPDATE`
//! adds nothing to check. Non-DML statements have no tables to flag (`EXPLAIN` and `PREPARE`
//! are looked through, `DECLARE .. CURSOR FOR` and `COPY (query)` are analysed; `COPY t TO`
//! reads every row of `t`; `COPY t FROM` must list a tenant column, like INSERT).
//!
//! # Unqualified columns
//!
//! An unqualified column belongs to (1) the one table-like item of the scope when there is only
//! one; else (2) the table a `USING`/`NATURAL` join merged the column into; else (3) the only item
//! that *could* have it: a table the schema defines could have exactly its columns; a table the
//! schema does not define could have any non-tenant column, and a configured tenant column only
//! when it is tenant-owned (a global or system table is assumed not to carry the tenant column);
//! a derived table or CTE could have its projected names (a `*` over tables the schema defines
//! stands for their columns; anything when that is not known), a CTE over a write its RETURNING
//! list (nothing without one); a table function only its alias columns. With two or more
//! candidates the column is ambiguous and scopes nothing (the reason says to qualify it); with
//! none it is an outer reference.

mod from;
mod keys;
mod parse;
mod predicates;
mod reason;
mod statement;
mod visitors;

#[cfg(test)]
mod tests;

use foldhash::HashSet;
use std::fmt;

use sqlparser::ast::{Expr, Query};

use super::schema::Tenancy;

pub use parse::is_tableless;
pub(crate) use statement::query_output_columns;

/// A tenant-owned table that a statement does not pin to one tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unscoped {
    /// Bare, lower-cased table name.
    pub table: String,
    /// Why, e.g. "no tenant predicate", "`orders` is filtered only inside an OR",
    /// "INSERT does not set `org_id`".
    pub reason: String,
}

/// The result of analysing one SQL text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Number of statements parsed.
    pub statements: usize,
    /// Every table referenced (bare, lower-cased, first-seen order, deduplicated); CTE names,
    /// derived tables and table functions are not tables.
    pub tables: Vec<String>,
    /// Unscoped tenant-owned tables, one per table name (first reason kept), in first-seen order.
    pub unscoped: Vec<Unscoped>,
}

/// SQL the parser rejected (with the requested dialect and with the generic one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlParseError {
    /// The first parser's message, without sqlparser's `sql parser error: ` prefix.
    pub message: String,
}

impl fmt::Display for SqlParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqlParseError {}

/// Analyses `sql` (one or more statements; comments and `$1` / `?` / `?1` / `:name` / `@name`
/// placeholders allowed) parsed with `dialect`, retrying with the generic dialect when that
/// fails; when both fail, the error carries the first parser's message. Never panics.
pub fn analyze(
    sql: &str,
    dialect: super::Dialect,
    tenancy: &Tenancy,
) -> Result<Analysis, SqlParseError> {
    let parsed = parse::parse_with_retry(sql, dialect)?;
    let statements = parsed.statements;
    let mut an = Analyzer {
        tenancy,
        ctes: Vec::new(),
        tables: Vec::new(),
        unscoped: Vec::new(),
        depth: 0,
        too_deep: false,
        tenant_sources: Vec::new(),
    };
    for s in &statements {
        an.statement(s);
    }
    if an.too_deep {
        return Err(SqlParseError {
            message: format!("query nested more than {MAX_DEPTH} levels deep"),
        });
    }
    Ok(Analysis {
        statements: statements.len() + parsed.set_aside,
        tables: an.tables,
        unscoped: an.unscoped,
    })
}

/// Deeper query nesting than this is refused (sqlparser's own limit is lower).
const MAX_DEPTH: usize = 200;

/// What a query yields, as seen by an enclosing scope that uses it as a derived table or CTE.
#[derive(Clone, Debug, Default)]
struct Output {
    /// Every branch reads at least one tenant-owned table (or scoped CTE) and all of them are
    /// scoped: the rows belong to one tenant.
    scoped: bool,
    /// Output column names, `None` when unknown (`*`).
    columns: Option<Vec<String>>,
}

struct CteInfo {
    name: String,
    out: Output,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Table,
    Derived,
    Function,
}

#[derive(Debug)]
struct Binding {
    /// What qualifies its columns: the alias, else the bare table name ("" when none).
    name: String,
    kind: Kind,
    /// Bare table name, for base tables.
    table: String,
    /// Tenant columns when it is a tenant-owned base table.
    tenant: Option<Vec<String>>,
    /// Known columns (`None` = unknown).
    columns: Option<Vec<String>>,
    /// A derived table or CTE whose body is fully scoped.
    pre_scoped: bool,
}

/// A predicate (WHERE or ON) and which bindings it can filter (`None` = all).
struct Pred<'q> {
    expr: &'q Expr,
    filterable: Option<Vec<usize>>,
}

#[derive(Default)]
struct Scope<'q> {
    bindings: Vec<Binding>,
    /// Columns merged by `USING`/`NATURAL`: unqualified references resolve to this binding.
    merged: Vec<(String, usize)>,
    preds: Vec<Pred<'q>>,
    /// Directed: if `.0` is scoped then `.1` is.
    edges: Vec<(usize, usize)>,
    /// Column equalities between bindings from `USING` (ON and WHERE ones are read in `judge`).
    col_eqs: Vec<ColEq>,
}

/// `a.a_col = b.b_col` between two bindings of one scope (from ON, WHERE or USING).
#[derive(Clone, Debug)]
struct ColEq {
    a: usize,
    a_col: String,
    b: usize,
    b_col: String,
    /// Whether the predicate filters `a` / `b` (an outer join's ON does not filter its
    /// preserved side).
    filters_a: bool,
    filters_b: bool,
}

enum Res {
    Local(usize, String),
    Ambiguous(String),
    /// Not a column of this scope: a value as far as this scope is concerned.
    Value,
}

struct Analyzer<'t> {
    tenancy: &'t Tenancy,
    ctes: Vec<CteInfo>,
    tables: Vec<String>,
    unscoped: Vec<Unscoped>,
    depth: usize,
    too_deep: bool,
    /// Subqueries a tenant column was compared to (`workspace_id = (SELECT ..)`, `IN (SELECT
    /// ..)`), with the table whose tenant they give: what they leave unscoped says so.
    tenant_sources: Vec<(*const Query, String)>,
}

type Skip = HashSet<*const Query>;

impl<'t> Analyzer<'t> {
    fn note_table(&mut self, t: &str) {
        if !self.tables.iter().any(|x| x == t) {
            self.tables.push(t.to_string());
        }
    }

    fn flag(&mut self, table: &str, reason: reason::Reason) {
        if !self.unscoped.iter().any(|u| u.table == table) {
            self.unscoped.push(Unscoped {
                table: table.to_string(),
                reason: reason.to_string(),
            });
        }
    }
}
