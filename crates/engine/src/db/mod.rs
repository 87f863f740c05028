//! Database layers: where queries are and what SQL or DSL chain they run. One file per driver.

pub mod judge;

use crate::diagnostic::Span;
use crate::extract::Collector;
use crate::strings::StrSource;

/// The driver collectors, in the order they run.
pub static COLLECTORS: &[&dyn Collector] = &[];

/// One query site.
#[derive(Debug, Clone)]
pub struct QueryFact {
    /// `sqlx`, `tokio-postgres`, `rusqlite`, `diesel`, `sea-orm`.
    pub driver: &'static str,
    /// Where the finding sits: the macro, the `query(..)` call, the start of the DSL chain.
    pub span: Span,
    pub item: String,
    /// The code the fingerprint is computed from.
    pub snippet: String,
    pub kind: QueryKind,
}

#[derive(Debug, Clone)]
pub enum QueryKind {
    /// Raw SQL, resolved and parsed in phase 2.
    Sql(StrSource),
    /// A DSL chain (diesel, sea-orm), judged in phase 2 against the schema.
    Dsl(DslQuery),
}

/// What a DSL chain does to which table.
#[derive(Debug, Clone, Default)]
pub struct DslQuery {
    /// Table or entity name as the code names it (`invoices`, `invoice::Entity`).
    pub table: String,
    /// `select`, `update`, `delete`, `insert`.
    pub op: String,
    /// Columns filtered with `eq`/`eq_any` on the AND path before the terminal call.
    pub filter_columns: Vec<String>,
    /// What voids the filters (`or_filter`, `.or(..)`, `Condition::any()`), if anything.
    pub voided_by: Option<String>,
    /// Fields set by an insert (struct literal or `ActiveModel { .. }`).
    pub inserted_fields: Option<Vec<String>>,
    /// Scoped by construction (`belonging_to`, a configured scoped fn).
    pub scoped_by: Option<String>,
}
