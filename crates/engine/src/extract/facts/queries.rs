//! Query sites: raw SQL and DSL chains.

use crate::diagnostic::Span;
use crate::strings::StrSource;

/// One query site.
#[derive(Debug, Clone)]
pub struct QueryFact {
    /// `sqlx`, `tokio-postgres`, `rusqlite`, `diesel`, `sea-orm`.
    pub driver: &'static str,
    /// Where the finding sits: the macro, the `query(..)` call, the start of the DSL chain.
    pub span: Span,
    pub item: String,
    /// Index in `FileFacts::fns` of the fn the site is in (None outside any fn).
    pub fn_index: Option<u32>,
    /// The code the fingerprint is computed from.
    pub snippet: String,
    pub kind: QueryKind,
    /// The receiver is not known to be a database handle: the site only counts when its SQL
    /// resolves (phase 2) to text that reads as SQL.
    pub tentative: bool,
    /// The site is the driver's only if this type path (as written, with the module it is
    /// written in) names no item of the workspace: a crate's own `QueryBuilder` is not sqlx's.
    pub unless_local: Option<Box<LocalClaim>>,
}

/// A type path as written and the module it is written in (see [`QueryFact::unless_local`]).
pub type LocalClaim = (Vec<String>, Vec<String>);

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
    /// Table or entity path as the code names it (`invoices`, `invoice::Entity`).
    pub table: String,
    /// True when `table` is a sea-orm entity path, resolved to its `table_name` in phase 2.
    pub entity: bool,
    /// Module the chain is written in (to resolve `table` through `use`).
    pub module: crate::intern::Module,
    pub op: DslOp,
    /// Columns filtered with `eq`/`eq_any` on the AND path before the terminal call.
    pub filter_columns: Vec<String>,
    /// What voided earlier filters (`or_filter`, `.or(..)`, `Condition::any()`), if anything.
    pub voided_by: Option<String>,
    /// Columns whose filters were voided.
    pub voided_columns: Vec<String>,
    /// Fields set by an insert (struct literal or `ActiveModel { .. }`).
    pub inserted_fields: Option<Vec<String>>,
    /// The inserted value's struct type when its fields are not visible (resolved in phase 2).
    pub inserted_type: Option<String>,
    /// Scoped by construction (`belonging_to`, a configured scoped fn).
    pub scoped_by: Option<String>,
}

/// A sea-orm entity module and the table it maps (`entities::invoice` -> `invoices`).
#[derive(Debug, Clone)]
pub struct EntityFact {
    pub module: crate::intern::Module,
    pub table: String,
}

/// What a DSL chain does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DslOp {
    #[default]
    Select,
    Update,
    Delete,
    Insert,
}
