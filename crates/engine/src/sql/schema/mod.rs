//! The database schema as far as tenancy needs it (tables, their columns and keys), loaded from
//! SQL migrations (`migrations`), diesel `table!` macros and sea-orm entities (`orm`), and
//! [`Tenancy`] (`tenancy`), which decides which tables are tenant-owned and by which columns.

mod lenient;
mod migrations;
mod orm;
mod tenancy;

use std::collections::BTreeMap;

use sqlparser::ast::ObjectName;

use super::norm_ident;

pub use tenancy::{Suggestion, SuggestionKind, TableSuggestion, Tenancy};

/// One table: its bare name, its columns and what the schema says about its keys, all
/// lower-cased and unquoted. Keys, NOT NULL and foreign keys are empty when the schema does not
/// declare them (a table is never assumed to have a key it was not seen to have).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
    /// Primary key columns in key order.
    pub(crate) key: Vec<String>,
    /// The primary key's constraint name (given, or Postgres' default `<table>_pkey`).
    pub(crate) key_name: String,
    /// Unique keys other than the primary key (UNIQUE constraints, unique indexes without a
    /// predicate).
    pub(crate) unique: Vec<Vec<String>>,
    /// Columns that cannot be NULL (NOT NULL or part of the primary key).
    pub(crate) not_null: Vec<String>,
    pub(crate) foreign_keys: Vec<ForeignKey>,
    /// `PARTITION OF parent` / `INHERITS (parent, ..)`: bare names of the tables it inherits
    /// its columns from.
    pub(crate) parents: Vec<String>,
    /// Its first parent is a `PARTITION OF` one (dropped with it), not an `INHERITS` one.
    pub(crate) partition: bool,
}

/// One column of a foreign key: `column REFERENCES table (referenced)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForeignKey {
    pub column: String,
    /// Every local column of the constraint this column belongs to (`[column]` for a
    /// single-column foreign key, `[oid, partition_key]` for `FOREIGN KEY (oid, partition_key)`).
    pub key: Vec<String>,
    /// Bare name of the referenced table.
    pub table: String,
    /// The referenced column; `None` when the reference names no column (then it is the
    /// referenced table's primary key).
    pub referenced: Option<String>,
    /// The constraint's name (given, or Postgres' default `<table>_<columns>_fkey`), for
    /// `DROP CONSTRAINT`.
    pub constraint: String,
}

impl Table {
    /// An empty table named `name` (normalised).
    pub(crate) fn named(name: &str) -> Table {
        Table {
            name: bare_table_name(name),
            ..Table::default()
        }
    }

    pub fn has_column(&self, column: &str) -> bool {
        let column = norm_ident(column);
        self.columns.contains(&column)
    }

    /// The primary key's columns in key order (empty when the schema declares none).
    pub fn primary_key(&self) -> &[String] {
        &self.key
    }

    /// Unique keys besides the primary key.
    pub fn unique_keys(&self) -> &[Vec<String>] {
        &self.unique
    }

    /// Every key: the primary key first, then the unique keys.
    pub fn keys(&self) -> impl Iterator<Item = &[String]> {
        std::iter::once(self.key.as_slice())
            .chain(self.unique.iter().map(Vec::as_slice))
            .filter(|k| !k.is_empty())
    }

    pub fn foreign_keys(&self) -> &[ForeignKey] {
        &self.foreign_keys
    }

    /// The foreign key on `column`, if the schema declares one.
    pub fn foreign_key(&self, column: &str) -> Option<&ForeignKey> {
        let column = norm_ident(column);
        self.foreign_keys.iter().find(|f| f.column == column)
    }

    pub fn is_not_null(&self, column: &str) -> bool {
        let column = norm_ident(column);
        self.not_null.contains(&column)
    }

    /// Tables it inherits its columns from (`PARTITION OF`, `INHERITS`).
    pub fn parents(&self) -> &[String] {
        &self.parents
    }

    pub(crate) fn add_column(&mut self, column: &str) {
        let column = norm_ident(column);
        if !column.is_empty() && !self.columns.contains(&column) {
            self.columns.push(column);
        }
    }

    pub(crate) fn set_not_null(&mut self, column: &str, not_null: bool) {
        let column = norm_ident(column);
        self.not_null.retain(|c| *c != column);
        if not_null && !column.is_empty() {
            self.not_null.push(column);
        }
    }

    /// Sets the primary key (its columns become NOT NULL, and it stops being a mere unique key);
    /// `name` is its constraint's name when given.
    pub(crate) fn set_primary_key(&mut self, columns: Vec<String>, name: Option<&str>) {
        let columns: Vec<String> = columns.iter().map(|c| norm_ident(c)).collect();
        if columns.is_empty() {
            return;
        }
        self.key_name = name
            .map(norm_ident)
            .unwrap_or_else(|| format!("{}_pkey", self.name));
        for c in &columns {
            self.set_not_null(c, true);
        }
        self.unique.retain(|u| *u != columns);
        self.key = columns;
    }

    pub(crate) fn add_unique(&mut self, columns: Vec<String>) {
        let columns: Vec<String> = columns.iter().map(|c| norm_ident(c)).collect();
        if !columns.is_empty() && columns != self.key && !self.unique.contains(&columns) {
            self.unique.push(columns);
        }
    }

    /// `[CONSTRAINT name] FOREIGN KEY (columns) REFERENCES table (referenced)`, column by column.
    pub(crate) fn add_foreign_key(
        &mut self,
        name: Option<&str>,
        columns: &[String],
        table: &str,
        referenced: &[String],
    ) {
        let table = bare_table_name(table);
        let key: Vec<String> = columns.iter().map(|c| norm_ident(c)).collect();
        let constraint = name
            .map(norm_ident)
            .unwrap_or_else(|| format!("{}_{}_fkey", self.name, key.join("_")));
        for (i, column) in key.iter().enumerate() {
            if column.is_empty() || table.is_empty() {
                continue;
            }
            self.foreign_keys.retain(|f| f.column != *column);
            self.foreign_keys.push(ForeignKey {
                column: column.clone(),
                key: key.clone(),
                table: table.clone(),
                referenced: referenced.get(i).map(|r| norm_ident(r)),
                constraint: constraint.clone(),
            });
        }
    }

    /// `ALTER TABLE .. DROP CONSTRAINT name`: a foreign key or the primary key of that name.
    pub(crate) fn drop_constraint(&mut self, name: &str) {
        let name = norm_ident(name);
        self.foreign_keys.retain(|f| f.constraint != name);
        if !self.key.is_empty() && self.key_name == name {
            self.key.clear();
        }
    }

    /// Drops a column and every key, NOT NULL and foreign key that names it.
    pub(crate) fn drop_column(&mut self, column: &str) {
        let column = norm_ident(column);
        self.columns.retain(|c| *c != column);
        self.not_null.retain(|c| *c != column);
        self.foreign_keys.retain(|f| !f.key.contains(&column));
        if self.key.contains(&column) {
            self.key.clear();
        }
        self.unique.retain(|u| !u.contains(&column));
    }

    /// Renames a column everywhere it is named (a column it did not have is added).
    pub(crate) fn rename_column(&mut self, old: &str, new: &str) {
        let (old, new) = (norm_ident(old), norm_ident(new));
        if !self.columns.contains(&old) {
            self.add_column(&new);
            return;
        }
        let rename = |c: &mut String| {
            if *c == old {
                *c = new.clone();
            }
        };
        self.columns.iter_mut().for_each(rename);
        dedup(&mut self.columns);
        self.not_null.iter_mut().for_each(rename);
        dedup(&mut self.not_null);
        self.key.iter_mut().for_each(rename);
        self.unique.iter_mut().flatten().for_each(rename);
        for f in &mut self.foreign_keys {
            rename(&mut f.column);
            f.key.iter_mut().for_each(rename);
        }
    }

    /// Takes a parent's columns (and, for a partition, its keys and foreign keys), the
    /// parent's first.
    pub(crate) fn inherit(&mut self, parent: &Table, partition: bool) {
        let own = std::mem::take(&mut self.columns);
        self.columns = parent.columns.clone();
        for c in own {
            self.add_column(&c);
        }
        for c in &parent.not_null {
            self.set_not_null(c, true);
        }
        if partition {
            if self.key.is_empty() {
                self.key = parent.key.clone();
                self.key_name = format!("{}_pkey", self.name);
            }
            for u in &parent.unique {
                self.add_unique(u.clone());
            }
            for f in &parent.foreign_keys {
                if self.foreign_key(&f.column).is_none() {
                    self.foreign_keys.push(f.clone());
                }
            }
        }
        if !self.parents.contains(&parent.name) {
            self.parents.push(parent.name.clone());
        }
        if partition {
            self.partition = true;
        }
    }
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = Vec::new();
    v.retain(|c| {
        let fresh = !seen.contains(c);
        seen.push(c.clone());
        fresh
    });
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
        self.tables
            .entry(name.clone())
            .or_insert_with(|| Table::named(&name))
    }

    /// Adds a table read from a `CREATE TABLE` or a model (`IF NOT EXISTS` keeps an existing
    /// one); its name and columns are normalised here.
    pub(crate) fn insert_table(&mut self, table: Table, if_not_exists: bool) {
        let mut table = table;
        table.name = bare_table_name(&table.name);
        if table.name.is_empty() || (if_not_exists && self.tables.contains_key(&table.name)) {
            return;
        }
        let columns = std::mem::take(&mut table.columns);
        for c in &columns {
            table.add_column(c);
        }
        self.tables.insert(table.name.clone(), table);
    }

    /// Adds what `table` says to the table of that name, or adds it: columns, NOT NULL, keys
    /// (the primary key when none is known yet) and foreign keys. For a schema read from several
    /// sources, a diesel `table!` or sea-orm entity on top of the migrations that also define
    /// the table: the migrations' foreign keys are kept.
    pub fn merge_table(&mut self, table: Table) {
        let name = bare_table_name(&table.name);
        let Some(t) = self.tables.get_mut(&name) else {
            self.insert_table(table, false);
            return;
        };
        for c in &table.columns {
            t.add_column(c);
        }
        for c in &table.not_null {
            t.set_not_null(c, true);
        }
        if t.key.is_empty() {
            let name = (!table.key_name.is_empty()).then_some(table.key_name.as_str());
            t.set_primary_key(table.key.clone(), name);
        }
        for u in table.unique {
            t.add_unique(u);
        }
        for f in table.foreign_keys {
            if t.foreign_key(&f.column).is_none() {
                t.foreign_keys.push(f);
            }
        }
        for p in table.parents {
            if !t.parents.contains(&p) {
                t.parents.push(p);
            }
        }
        t.partition |= table.partition;
    }

    /// Renames a table, and every foreign key and parent link that names it.
    pub(crate) fn rename_table(&mut self, old: &str, new: &str) {
        let (old, new) = (bare_table_name(old), bare_table_name(new));
        if new.is_empty() {
            return;
        }
        if let Some(mut t) = self.tables.remove(&old) {
            t.name = new.clone();
            self.tables.insert(new.clone(), t);
            for t in self.tables.values_mut() {
                for f in &mut t.foreign_keys {
                    if f.table == old {
                        f.table = new.clone();
                    }
                }
                for p in &mut t.parents {
                    if *p == old {
                        *p = new.clone();
                    }
                }
            }
        }
    }

    /// `t` inherits from `parent` (a parent not defined yet is still recorded by name).
    pub(crate) fn inherit_from(&self, t: &mut Table, parent: &str, partition: bool) {
        match self.table(parent) {
            Some(p) => t.inherit(p, partition),
            None => {
                let p = bare_table_name(parent);
                if !p.is_empty() && !t.parents.contains(&p) {
                    t.parents.push(p);
                    t.partition |= partition;
                }
            }
        }
    }

    /// `DROP TABLE name [CASCADE]`: the table, its partitions (Postgres drops them with it) and,
    /// with CASCADE, its `INHERITS` children.
    pub(crate) fn drop_table(&mut self, name: &str, cascade: bool) {
        let mut gone = vec![bare_table_name(name)];
        let mut i = 0;
        while i < gone.len() {
            for t in self.tables.values() {
                if t.parents.contains(&gone[i])
                    && (cascade || t.partition)
                    && !gone.contains(&t.name)
                {
                    gone.push(t.name.clone());
                }
            }
            i += 1;
        }
        for g in gone {
            self.tables.remove(&g);
        }
    }

    /// `name`, then the tables it inherits from (`PARTITION OF`, `INHERITS`), nearest first.
    pub fn lineage(&self, name: &str) -> Vec<String> {
        let mut out = vec![bare_table_name(name)];
        let mut i = 0;
        while i < out.len() {
            if let Some(t) = self.tables.get(&out[i]) {
                for p in &t.parents {
                    if !out.contains(p) {
                        out.push(p.clone());
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// `name` and every table that inherits from it, directly or not (a column added to a
    /// partitioned table or an `INHERITS` parent is added to its children too).
    pub(crate) fn family(&self, name: &str) -> Vec<String> {
        let mut out = vec![bare_table_name(name)];
        let mut i = 0;
        while i < out.len() {
            for t in self.tables.values() {
                if t.parents.contains(&out[i]) && !out.contains(&t.name) {
                    out.push(t.name.clone());
                }
            }
            i += 1;
        }
        out
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
