//! Which tables are tenant-owned, and by which columns: configuration and schema together.

use std::collections::BTreeMap;

use super::{bare_table_name, is_system_table, Schema};
use crate::sql::norm_ident;

/// What counts as tenant-owned and by which columns (built by the engine from config + schema).
#[derive(Clone, Debug, Default)]
pub struct Tenancy {
    /// Configured tenant columns, e.g. `["tenant_id", "org_id", ...]`.
    pub columns: Vec<String>,
    /// `[tenant.tables.X] column(s)`: table -> the columns any one of which scopes it (its own
    /// key for a tenant root table, the parent's key for a child table).
    pub overrides: BTreeMap<String, Vec<String>>,
    /// Never tenant-owned (matched by bare table name, case-insensitive).
    pub global_tables: Vec<String>,
    pub schema: Schema,
}

impl Tenancy {
    /// `None` = not tenant-owned. `Some(cols)` = the columns any one of which scopes it.
    ///
    /// `table` may be bare or qualified (`orders`, `public.orders`, `pg_catalog.pg_class`).
    /// Global table or system schema/catalog -> `None`; override (`[tenant.tables.X]`, its own
    /// or, for a partition or `INHERITS` child, its parent's) -> `Some(its columns)`; schema
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
        if let Some(cols) = self.override_for(&name) {
            let cols: Vec<String> = cols.iter().map(|c| norm_ident(c)).collect();
            return (!cols.is_empty()).then_some(cols);
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

    /// The `[tenant.tables.X]` columns of `name` (bare), else of the nearest table it inherits
    /// from (a partition is the same table to the application).
    fn override_for(&self, name: &str) -> Option<&[String]> {
        let mut seen = vec![name.to_string()];
        let mut i = 0;
        while i < seen.len() {
            if let Some((_, cols)) = self
                .overrides
                .iter()
                .find(|(t, _)| bare_table_name(t) == seen[i])
            {
                return Some(cols);
            }
            if let Some(t) = self.schema.tables.get(&seen[i]) {
                for p in &t.parents {
                    if !seen.contains(p) {
                        seen.push(p.clone());
                    }
                }
            }
            i += 1;
        }
        None
    }

    /// Whether binding `bound` columns of `table` to values pins the row to one tenant: some key
    /// of the table (the primary key, or a unique key) has every column in `bound` and contains
    /// one of the table's scope columns. `find_by_id(id)` on a table scoped by its own `id` is
    /// scoped; on a table with a composite key `(org_id, slo_id, generation)` it is when all
    /// three are bound. A table that is not tenant-owned, or whose keys the schema does not
    /// know, gives `false`.
    pub fn scoped_by_key(&self, table: &str, bound: &[String]) -> bool {
        let Some(scope) = self.tenant_columns(table) else {
            return false;
        };
        let Some(t) = self.schema.table(table) else {
            return false;
        };
        let bound: Vec<String> = bound.iter().map(|c| norm_ident(c)).collect();
        t.keys().any(|key| {
            key.iter().all(|k| bound.contains(k)) && key.iter().any(|k| scope.contains(k))
        })
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
        t.overrides
            .insert("organisations".into(), vec!["id".into()]);
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

    #[test]
    fn several_scope_columns_and_inherited_overrides() {
        let mut t = Tenancy {
            columns: vec!["workspace_id".into()],
            ..Tenancy::default()
        };
        t.overrides.insert(
            "memberships".into(),
            vec!["collection_uuid".into(), "User_UUID".into()],
        );
        t.overrides.insert("app".into(), vec!["id".into()]);
        t.schema.apply_migration(
            "CREATE TABLE app (id BIGINT PRIMARY KEY, name TEXT) PARTITION BY HASH (id);
             CREATE TABLE app_p0 PARTITION OF app FOR VALUES WITH (MODULUS 2, REMAINDER 0);",
            Dialect::Postgres,
        );
        assert_eq!(
            t.tenant_columns("memberships"),
            Some(vec!["collection_uuid".into(), "user_uuid".into()])
        );
        assert_eq!(t.tenant_columns("app_p0"), Some(vec!["id".into()]));
    }

    #[test]
    fn scoped_by_key() {
        let mut t = Tenancy {
            columns: vec!["org_id".into()],
            ..Tenancy::default()
        };
        t.overrides.insert("orgs".into(), vec!["id".into()]);
        t.schema.apply_migration(
            "CREATE TABLE orgs (id UUID PRIMARY KEY, name TEXT);
             CREATE TABLE slo_versions (org_id UUID, slo_id TEXT, generation BIGINT, PRIMARY KEY (org_id, slo_id, generation));
             CREATE TABLE invoices (id BIGINT PRIMARY KEY, org_id UUID NOT NULL);
             CREATE TABLE handles (handle TEXT, org_id UUID, UNIQUE (org_id, handle));
             CREATE TABLE plans (id INT PRIMARY KEY);
             CREATE TABLE loose (id BIGINT, org_id UUID);",
            Dialect::Postgres,
        );
        let s = |v: &[&str]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(t.scoped_by_key("orgs", &s(&["id"])));
        assert!(t.scoped_by_key("public.ORGS", &s(&["ID"])));
        assert!(t.scoped_by_key("slo_versions", &s(&["org_id", "slo_id", "generation"])));
        assert!(!t.scoped_by_key("slo_versions", &s(&["slo_id", "generation"])));
        assert!(!t.scoped_by_key("slo_versions", &s(&["org_id", "slo_id"])));
        // The key does not carry the tenant: binding it pins a row of any tenant.
        assert!(!t.scoped_by_key("invoices", &s(&["id"])));
        assert!(t.scoped_by_key("handles", &s(&["handle", "org_id"])));
        assert!(!t.scoped_by_key("plans", &s(&["id"])));
        assert!(
            !t.scoped_by_key("loose", &s(&["id", "org_id"])),
            "no key known"
        );
        assert!(!t.scoped_by_key("nowhere", &s(&["id"])));
    }
}
