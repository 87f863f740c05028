//! SQL analysis for TA201/TA202: parses query text with `sqlparser`, decides which table
//! references lack a tenant predicate (DESIGN.md §4 "Queries"), and loads the schema
//! (SQL migrations, diesel `table!`, sea-orm entities) that says which tables are tenant-owned.
//!
//! Self-contained: depends only on std, `sqlparser` (feature `visitor`), `syn`, `proc-macro2`
//! and `quote`.
//!
//! `analyze/`: `parse` (dialect retry), `statement` (the walk), `from` (FROM/JOIN bindings),
//! `predicates` (conjuncts and the judgement), `visitors`, `reason`.
//! `schema/`: `migrations` (SQL), `orm` (diesel `table!`, sea-orm entities), `tenancy`.
//! `lead`: does a text read as SQL from its first word (before any parse).

pub mod analyze;
mod lead;
pub mod schema;

pub use lead::{reads_as_sql, reads_as_sql_or_ddl};

pub use analyze::{analyze, is_tableless, Analysis, SqlParseError, Unscoped};
pub use schema::{ForeignKey, Schema, Suggestion, SuggestionKind, Table, TableSuggestion, Tenancy};

/// The SQL dialect used to parse query text (`[sql] dialect`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    Postgres,
    MySql,
    Sqlite,
    Generic,
}

impl Dialect {
    /// `"postgres"`, `"mysql"`, `"sqlite"` or `"generic"` (case-insensitive; a few common
    /// spellings such as `postgresql`, `pg` and `sqlite3` are accepted too).
    pub fn from_name(s: &str) -> Option<Dialect> {
        match s.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::MySql),
            "sqlite" | "sqlite3" => Some(Dialect::Sqlite),
            "generic" => Some(Dialect::Generic),
            _ => None,
        }
    }

    /// The name accepted by [`Dialect::from_name`].
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::MySql => "mysql",
            Dialect::Sqlite => "sqlite",
            Dialect::Generic => "generic",
        }
    }

    pub(crate) fn parser_dialect(self) -> Box<dyn sqlparser::dialect::Dialect> {
        use sqlparser::dialect::{GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
        match self {
            Dialect::Postgres => Box::new(PostgreSqlDialect {}),
            Dialect::MySql => Box::new(MySqlDialect {}),
            Dialect::Sqlite => Box::new(SQLiteDialect {}),
            Dialect::Generic => Box::new(GenericDialect {}),
        }
    }
}

/// Lower-cased identifier text, without quotes (sqlparser already strips the quotes) and
/// without a raw-identifier `r#` prefix.
pub(crate) fn norm_ident(s: &str) -> String {
    s.strip_prefix("r#").unwrap_or(s).to_lowercase()
}

/// `OrgId` -> `org_id` (sea-orm `Column` variants to column names).
pub fn snake_case(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
