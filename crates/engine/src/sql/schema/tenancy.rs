//! Which tables are tenant-owned, and by which columns: configuration and schema together.

use std::collections::BTreeMap;

use super::{bare_table_name, is_system_table, Schema};
use crate::sql::norm_ident;

/// What counts as tenant-owned and by which columns (built by the engine from config + schema).
#[derive(Clone, Debug, Default)]
pub struct Tenancy {
    /// Configured tenant columns, e.g. `["tenant_id", "org_id", ...]`.
    pub columns: Vec<String>,
    /// `[tenant.tables.X] column = "id"`: table -> the column that scopes it.
    pub overrides: BTreeMap<String, String>,
    /// Never tenant-owned (matched by bare table name, case-insensitive).
    pub global_tables: Vec<String>,
    pub schema: Schema,
}

impl Tenancy {
    /// `None` = not tenant-owned. `Some(cols)` = the columns any one of which scopes it.
    ///
    /// `table` may be bare or qualified (`orders`, `public.orders`, `pg_catalog.pg_class`).
    /// Global table or system schema/catalog -> `None`; override -> `Some([col])`; schema
    /// defines the table -> `Some(configured columns it has)` or `None` if it has none; schema
    /// does not define it, or schema empty -> `Some(all configured columns)` (`None` when no
    /// column is configured).
    pub fn tenant_columns(&self, table: &str) -> Option<Vec<String>> {
        if is_system_table(table) {
            return None;
        }
        let name = bare_table_name(table);
        if self
            .global_tables
            .iter()
            .any(|g| bare_table_name(g) == name)
        {
            return None;
        }
        if let Some((_, col)) = self
            .overrides
            .iter()
            .find(|(t, _)| bare_table_name(t) == name)
        {
            return Some(vec![norm_ident(col)]);
        }
        let configured: Vec<String> = self.columns.iter().map(|c| norm_ident(c)).collect();
        let cols = match self.schema.tables.get(&name) {
            Some(t) => configured
                .into_iter()
                .filter(|c| t.columns.contains(c))
                .collect(),
            None => configured,
        };
        if cols.is_empty() {
            None
        } else {
            Some(cols)
        }
    }

    /// For `cargo tenant-audit init`: (tenant-column candidates, global-table candidates).
    ///
    /// Candidates are the configured column names found in the schema, then `*_id` columns that
    /// more than half of the tables share, most common first. Global-table candidates are the
    /// tables that have none of the candidates (empty when there is no candidate).
    pub fn suggest(schema: &Schema, columns: &[String]) -> (Vec<String>, Vec<String>) {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for t in schema.tables.values() {
            for c in &t.columns {
                *counts.entry(c.clone()).or_default() += 1;
            }
        }
        let total = schema.tables.len();
        let by_count = |names: Vec<String>| -> Vec<String> {
            let mut v: Vec<(usize, String)> = names
                .into_iter()
                .map(|n| (counts.get(&n).copied().unwrap_or(0), n))
                .collect();
            v.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            v.into_iter().map(|(_, n)| n).collect()
        };
        let mut configured: Vec<String> = Vec::new();
        for c in columns {
            let c = norm_ident(c);
            if counts.contains_key(&c) && !configured.contains(&c) {
                configured.push(c);
            }
        }
        let mut candidates = by_count(configured);
        let shared: Vec<String> = counts
            .iter()
            .filter(|(c, n)| c.ends_with("_id") && **n * 2 > total && !candidates.contains(c))
            .map(|(c, _)| c.clone())
            .collect();
        candidates.extend(by_count(shared));
        let globals = if candidates.is_empty() {
            Vec::new()
        } else {
            schema
                .tables
                .values()
                .filter(|t| !candidates.iter().any(|c| t.columns.contains(c)))
                .map(|t| t.name.clone())
                .collect()
        };
        (candidates, globals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn suggest_columns_and_globals() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE orgs (id uuid, name text);
             CREATE TABLE a (id int, account_id int, x int);
             CREATE TABLE b (id int, account_id int);
             CREATE TABLE c (id int, account_id int, user_id int);
             CREATE TABLE plans (id int, name text);",
            Dialect::Postgres,
        );
        let (cands, globals) = Tenancy::suggest(&s, &["org_id".to_string()]);
        assert_eq!(cands, ["account_id"]);
        assert_eq!(globals, ["orgs", "plans"]);

        s.apply_migration("ALTER TABLE a ADD COLUMN org_id uuid;", Dialect::Postgres);
        let (cands, _) = Tenancy::suggest(&s, &["tenant_id".to_string(), "org_id".to_string()]);
        assert_eq!(cands, ["org_id", "account_id"]);
        assert_eq!(Tenancy::suggest(&Schema::default(), &[]), (vec![], vec![]));
    }

    #[test]
    fn tenant_columns_rules() {
        let mut t = Tenancy {
            columns: vec!["org_id".into(), "tenant_id".into()],
            global_tables: vec!["Plans".into()],
            ..Tenancy::default()
        };
        t.overrides.insert("organisations".into(), "id".into());
        // No schema: every non-global table is tenant-owned by all configured columns.
        assert_eq!(
            t.tenant_columns("orders"),
            Some(vec!["org_id".into(), "tenant_id".into()])
        );
        assert_eq!(t.tenant_columns("plans"), None);
        assert_eq!(t.tenant_columns("public.PLANS"), None);
        assert_eq!(t.tenant_columns("pg_catalog.pg_class"), None);
        assert_eq!(t.tenant_columns("information_schema.tables"), None);
        assert_eq!(t.tenant_columns("sqlite_master"), None);
        assert_eq!(t.tenant_columns("performance_schema.events"), None);
        assert_eq!(t.tenant_columns("organisations"), Some(vec!["id".into()]));
        t.schema.apply_migration(
            "CREATE TABLE orders (id int, tenant_id int); CREATE TABLE tags (id int);",
            Dialect::Generic,
        );
        assert_eq!(t.tenant_columns("orders"), Some(vec!["tenant_id".into()]));
        assert_eq!(t.tenant_columns("tags"), None);
        assert_eq!(
            t.tenant_columns("undefined"),
            Some(vec!["org_id".into(), "tenant_id".into()])
        );
        let none = Tenancy::default();
        assert_eq!(none.tenant_columns("orders"), None);
    }
}
