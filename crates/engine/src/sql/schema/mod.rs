//! The database schema as far as tenancy needs it (tables, their columns and keys), loaded from
//! SQL migrations (`migrations`), diesel `table!` macros and sea-orm entities (`orm`), and
//! [`Tenancy`] (`tenancy`), which decides which tables are tenant-owned and by which columns.

mod migrations;
mod orm;
mod tenancy;

use std::collections::BTreeMap;

use sqlparser::ast::ObjectName;

use super::norm_ident;

pub use tenancy::Tenancy;

/// One table: its bare name and its columns, lower-cased and unquoted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
}

impl Table {
    pub fn has_column(&self, column: &str) -> bool {
        let column = norm_ident(column);
        self.columns.contains(&column)
    }

    pub(crate) fn add_column(&mut self, column: &str) {
        let column = norm_ident(column);
        if !column.is_empty() && !self.columns.contains(&column) {
            self.columns.push(column);
        }
    }
}

/// Tables by bare, lower-cased name (schema prefix dropped). Empty means "no schema found".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
}

/// Schemas whose tables are system catalogs, never tenant-owned.
pub(crate) const SYSTEM_SCHEMAS: &[&str] = &[
    "pg_catalog",
    "information_schema",
    "mysql",
    "performance_schema",
    "sys",
    "pg_toast",
];

/// Tables that are system catalogs whatever schema they are named in.
const SYSTEM_TABLES: &[&str] = &[
    "sqlite_master",
    "sqlite_schema",
    "sqlite_temp_master",
    "sqlite_temp_schema",
    "sqlite_sequence",
    "sqlite_stat1",
];

/// Statements with more tokens than this are not parsed (sqlparser builds left-deep trees for
/// long operator chains, which overflow the stack when dropped); see `analyze`.
pub(crate) const MAX_STATEMENT_TOKENS: usize = 40_000;

impl Schema {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The table of that name (`orders`, `public.orders`, `"Orders"`; case-insensitive).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(&bare_table_name(name))
    }

    pub(crate) fn table_mut(&mut self, name: &str) -> &mut Table {
        let name = bare_table_name(name);
        self.tables.entry(name.clone()).or_insert_with(|| Table {
            name,
            columns: Vec::new(),
        })
    }

    pub(crate) fn create_table(&mut self, name: &str, columns: &[String], if_not_exists: bool) {
        let key = bare_table_name(name);
        if key.is_empty() || (if_not_exists && self.tables.contains_key(&key)) {
            return;
        }
        let mut table = Table {
            name: key.clone(),
            columns: Vec::new(),
        };
        for c in columns {
            table.add_column(c);
        }
        self.tables.insert(key, table);
    }

    pub(crate) fn rename_table(&mut self, old: &str, new: &str) {
        let (old, new) = (bare_table_name(old), bare_table_name(new));
        if new.is_empty() {
            return;
        }
        if let Some(mut t) = self.tables.remove(&old) {
            t.name = new.clone();
            self.tables.insert(new, t);
        }
    }
}

/// `schema.table` / `"Table"` / `[t]` / `` `t` `` -> `table`, lower-cased.
pub(crate) fn bare_table_name(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name).trim();
    let unquoted = last.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
    norm_ident(unquoted)
}

/// The dotted, unquoted text of an object name (`public.orders`).
pub(crate) fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|p| match p.as_ident() {
            Some(i) => i.value.clone(),
            None => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `pg_catalog.x`, `information_schema.x`, `sqlite_master`, unqualified `pg_*` catalogs...
pub(crate) fn is_system_table(table: &str) -> bool {
    let lower = table.to_lowercase();
    let parts: Vec<&str> = lower
        .split('.')
        .map(|p| p.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']'))
        .collect();
    let name = parts.last().copied().unwrap_or("");
    if parts.len() >= 2 && SYSTEM_SCHEMAS.contains(&parts[parts.len() - 2]) {
        return true;
    }
    SYSTEM_TABLES.contains(&name) || (parts.len() == 1 && name.starts_with("pg_"))
}

/// The columns of table `t` (tests: panics naming the tables there are when it is missing).
#[cfg(test)]
pub(crate) fn test_columns(s: &Schema, t: &str) -> Vec<String> {
    s.table(t)
        .unwrap_or_else(|| {
            panic!(
                "no table `{t}` in {:?}",
                s.tables.keys().collect::<Vec<_>>()
            )
        })
        .columns
        .clone()
}
