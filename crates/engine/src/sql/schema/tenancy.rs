//! Which tables are tenant-owned, and by which columns: configuration and schema together.

use std::collections::BTreeMap;

use super::{bare_table_name, is_system_table, ForeignKey, Schema, Table};
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
        // A partition of a global table is global too.
        let lineage = self.schema.lineage(&name);
        if self
            .global_tables
            .iter()
            .any(|g| lineage.contains(&bare_table_name(g)))
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
        self.schema.lineage(name).iter().find_map(|t| {
            self.overrides
                .iter()
                .find(|(o, _)| bare_table_name(o) == *t)
                .map(|(_, cols)| cols.as_slice())
        })
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

    /// Whether an INSERT into `table` that names `named` columns leaves the table's scope column
    /// to the database because it is the table's whole (single-column) primary key: the row is a
    /// new tenant, or a new root row (`INSERT INTO workspace (owner, name) ..` with a generated
    /// `workspace_id`). Not for upserts, which can land on another tenant's row: the caller
    /// checks that.
    pub fn insert_generates_scope_key(&self, table: &str, named: &[String]) -> bool {
        let (Some(scope), Some(t)) = (self.tenant_columns(table), self.schema.table(table)) else {
            return false;
        };
        let named: Vec<String> = named.iter().map(|c| norm_ident(c)).collect();
        match t.primary_key() {
            [k] => scope.contains(k) && !named.contains(k),
            _ => false,
        }
    }

    /// For `cargo tenant-audit init`: (tenant-column candidates, global-table candidates).
    ///
    /// Candidates are the configured column names found in the schema, then `*_id` (or `*_uuid`) columns that
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
            .filter(|(c, n)| {
                (c.ends_with("_id") || c.ends_with("_uuid"))
                    && **n * 2 > total
                    && !candidates.contains(c)
            })
            .map(|(c, _)| c.clone())
            .collect();
        candidates.extend(by_count(shared));
        if candidates.is_empty() {
            // Nothing by name or by share: the columns that reference a table named like a
            // tenant (`org_uuid REFERENCES organizations`).
            let mut referencing: Vec<String> = Vec::new();
            for t in schema.tables.values() {
                for f in &t.foreign_keys {
                    let tenantish = TENANT_STEMS.iter().any(|stem| named_like(&f.table, stem));
                    let own_key = matches!(f.column.as_str(), "id" | "uuid");
                    if tenantish && !own_key && f.key.len() == 1 && !referencing.contains(&f.column)
                    {
                        referencing.push(f.column.clone());
                    }
                }
            }
            candidates.extend(by_count(referencing));
        }
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

/// What `cargo tenant-audit init` proposes for the tables of a schema.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Suggestion {
    /// Tenant column candidates: the configured names the schema has, then `*_id` columns more
    /// than half of the tables share, most common first.
    pub columns: Vec<String>,
    /// `[tenant.tables.X]` entries: tenant roots (scoped by their own key) and child tables
    /// (scoped by a NOT NULL foreign key to a tenant-owned table), by table name.
    pub tables: Vec<TableSuggestion>,
    /// Partitions and `INHERITS` children: they take their parent's columns and entry, so they
    /// need none of their own (listed for the summary).
    pub inheriting: Vec<String>,
    /// Tables whose only NOT NULL references to tenant-owned tables are composite foreign keys:
    /// no single column pins them, so no entry is proposed (nor are they proposed global).
    pub composite_children: Vec<(String, Vec<String>, String)>,
    /// Tables with no tenant column that are neither roots, children nor partitions.
    pub globals: Vec<String>,
}

/// One proposed `[tenant.tables.X]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSuggestion {
    pub table: String,
    /// The columns any one of which scopes it.
    pub columns: Vec<String>,
    pub kind: SuggestionKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuggestionKind {
    /// The table the tenant column references (or named like it): scoped by its own key.
    Root,
    /// No tenant column; its NOT NULL foreign key(s) reference these tenant-owned tables
    /// (a tenant table, a root, or another child: the rule is applied transitively).
    Child { parents: Vec<String> },
}

impl Tenancy {
    /// For `cargo tenant-audit init`: tenant columns, tenant roots, child tables, partitions and
    /// the tables left over as global (see [`Suggestion`]). A root is the table a candidate
    /// column `REFERENCES` when it lacks the column itself, or else a table named after it
    /// (`workspace_id` -> `workspace`, `workspaces`, `af_workspace`; `org_id` -> `orgs`,
    /// `organizations`), scoped by its single-column primary key (else `id`). A child is a
    /// table without a candidate column whose NOT NULL foreign key references a tenant-owned
    /// table, a root or another child; every such key is listed (any one pins the row). A
    /// partition or child of `INHERITS` is never proposed global: it is judged as its parent.
    pub fn suggest_tables(schema: &Schema, columns: &[String]) -> Suggestion {
        let (columns, _) = Tenancy::suggest(schema, columns);
        let mut out = Suggestion {
            columns,
            ..Suggestion::default()
        };
        if out.columns.is_empty() {
            return out;
        }
        let has_tenant = |t: &Table| out.columns.iter().any(|c| t.columns.contains(c));
        // Roots: referenced by a candidate column, or named after one.
        let mut roots: Vec<(String, String)> = Vec::new();
        for t in schema.tables.values().filter(|t| has_tenant(t)) {
            for f in &t.foreign_keys {
                if !out.columns.contains(&f.column) {
                    continue;
                }
                let Some(r) = schema.tables.get(&f.table) else {
                    continue;
                };
                if has_tenant(r) || roots.iter().any(|(n, _)| *n == r.name) {
                    continue;
                }
                let key = f.referenced.clone().or_else(|| single_key(r));
                if let Some(key) = key {
                    roots.push((r.name.clone(), key));
                }
            }
        }
        for c in &out.columns {
            for t in schema.tables.values() {
                if has_tenant(t) || roots.iter().any(|(n, _)| *n == t.name) {
                    continue;
                }
                if !t.parents.is_empty() || !named_after(&t.name, c) {
                    continue;
                }
                let key = single_key(t).or_else(|| t.has_column("id").then(|| "id".to_string()));
                if let Some(key) = key {
                    roots.push((t.name.clone(), key));
                }
            }
        }
        roots.sort();
        for (table, key) in &roots {
            out.tables.push(TableSuggestion {
                table: table.clone(),
                columns: vec![key.clone()],
                kind: SuggestionKind::Root,
            });
        }
        // Children, transitively: a table is owned once it has a tenant column, is a root, or
        // is a child; a partition is owned when its parent is.
        let mut owned: Vec<String> = schema
            .tables
            .values()
            .filter(|t| has_tenant(t))
            .map(|t| t.name.clone())
            .chain(roots.iter().map(|(n, _)| n.clone()))
            .collect();
        loop {
            let mut found = Vec::new();
            for t in schema.tables.values() {
                if owned.contains(&t.name) || !t.parents.is_empty() {
                    continue;
                }
                let fks: Vec<&ForeignKey> = t
                    .foreign_keys
                    .iter()
                    .filter(|f| t.is_not_null(&f.column) && owned.contains(&f.table))
                    .collect();
                let single: Vec<&&ForeignKey> = fks.iter().filter(|f| f.key.len() == 1).collect();
                if single.is_empty() {
                    if let Some(f) = fks.first() {
                        let entry = (t.name.clone(), f.key.clone(), f.table.clone());
                        if !out.composite_children.contains(&entry) {
                            out.composite_children.push(entry);
                        }
                    }
                    continue;
                }
                let mut columns: Vec<String> = Vec::new();
                let mut parents: Vec<String> = Vec::new();
                for f in single {
                    if !columns.contains(&f.column) {
                        columns.push(f.column.clone());
                    }
                    if !parents.contains(&f.table) {
                        parents.push(f.table.clone());
                    }
                }
                found.push(TableSuggestion {
                    table: t.name.clone(),
                    columns,
                    kind: SuggestionKind::Child { parents },
                });
            }
            if found.is_empty() {
                break;
            }
            owned.extend(found.iter().map(|f| f.table.clone()));
            out.tables.extend(found);
        }
        // Every single-column NOT NULL key to an owned table pins a child, also one to a child
        // found in a later round.
        for s in &mut out.tables {
            let (SuggestionKind::Child { parents }, Some(t)) =
                (&mut s.kind, schema.tables.get(&s.table))
            else {
                continue;
            };
            for f in &t.foreign_keys {
                if f.key.len() == 1 && t.is_not_null(&f.column) && owned.contains(&f.table) {
                    if !s.columns.contains(&f.column) {
                        s.columns.push(f.column.clone());
                    }
                    if !parents.contains(&f.table) {
                        parents.push(f.table.clone());
                    }
                }
            }
        }
        for t in schema.tables.values() {
            if t.parents.is_empty() {
                continue;
            }
            out.inheriting.push(t.name.clone());
        }
        out.composite_children
            .retain(|(t, _, _)| !owned.contains(t));
        out.globals = schema
            .tables
            .values()
            .filter(|t| {
                !has_tenant(t)
                    && t.parents.is_empty()
                    && !owned.contains(&t.name)
                    && !out.composite_children.iter().any(|(c, _, _)| *c == t.name)
            })
            .map(|t| t.name.clone())
            .collect();
        out
    }
}

/// Names of tables that hold tenants.
const TENANT_STEMS: &[&str] = &[
    "org",
    "organization",
    "organisation",
    "tenant",
    "workspace",
    "team",
    "account",
    "company",
];

/// The single-column primary key of `t`, if it has one.
fn single_key(t: &Table) -> Option<String> {
    match t.primary_key() {
        [k] => Some(k.clone()),
        _ => None,
    }
}

/// Whether table `name` is named after tenant column `column` (`workspace_id` -> `workspace`,
/// `workspaces`, `af_workspace`; `org_id` -> `orgs`, `organizations`, `organisations`).
fn named_after(name: &str, column: &str) -> bool {
    let Some(stem) = column
        .strip_suffix("_id")
        .or_else(|| column.strip_suffix("_uuid"))
    else {
        return false;
    };
    let mut stems = vec![stem.to_string()];
    match stem {
        "org" => stems.extend(["organization".to_string(), "organisation".to_string()]),
        "organization" | "organisation" => stems.push("org".to_string()),
        _ => {}
    }
    stems.iter().any(|s| named_like(name, s))
}

/// Whether table `name` is `stem` (singular or plural), or that with a short prefix of its own
/// (`af_workspace`), not a link table that ends in it (`users_organizations`).
fn named_like(name: &str, stem: &str) -> bool {
    [stem.to_string(), format!("{stem}s"), format!("{stem}es")]
        .iter()
        .any(|f| {
            name == f
                || name.strip_suffix(f.as_str()).is_some_and(|p| {
                    p.ends_with('_') && p.len() <= 4 && !p[..p.len() - 1].contains('_')
                })
        })
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

        // No name matches and nothing shared by half the tables: the columns referencing a
        // table named like a tenant.
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE organizations (uuid TEXT PRIMARY KEY);
             CREATE TABLE users (uuid TEXT PRIMARY KEY);
             CREATE TABLE ciphers (uuid TEXT PRIMARY KEY, organization_uuid TEXT REFERENCES organizations (uuid), user_uuid TEXT REFERENCES users (uuid));
             CREATE TABLE collections (uuid TEXT PRIMARY KEY, org_uuid TEXT NOT NULL REFERENCES organizations (uuid));
             CREATE TABLE groups (uuid TEXT PRIMARY KEY, organizations_uuid TEXT NOT NULL REFERENCES organizations (uuid));
             CREATE TABLE devices (uuid TEXT PRIMARY KEY, user_uuid TEXT NOT NULL REFERENCES users (uuid));
             CREATE TABLE users_organizations (uuid TEXT PRIMARY KEY, org_uuid TEXT NOT NULL REFERENCES organizations (uuid));
             CREATE TABLE invites (membership_uuid TEXT NOT NULL REFERENCES users_organizations (uuid));
             CREATE TABLE org_keys (uuid TEXT PRIMARY KEY REFERENCES organizations (uuid));
             CREATE TABLE a (x INT); CREATE TABLE b (x INT); CREATE TABLE c (x INT);",
            Dialect::Postgres,
        );
        let (cands, _) = Tenancy::suggest(&s, &["org_id".to_string()]);
        assert_eq!(
            cands,
            ["org_uuid", "organization_uuid", "organizations_uuid"]
        );
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

    fn suggested(s: &Suggestion) -> Vec<(String, Vec<String>, String)> {
        s.tables
            .iter()
            .map(|t| {
                let kind = match &t.kind {
                    SuggestionKind::Root => "root".to_string(),
                    SuggestionKind::Child { parents } => format!("child of {}", parents.join("+")),
                };
                (t.table.clone(), t.columns.clone(), kind)
            })
            .collect()
    }

    #[test]
    fn suggest_tables_roots_children_partitions_and_globals() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE workspace (id UUID PRIMARY KEY, name TEXT);
             CREATE TABLE app (id BIGINT PRIMARY KEY, workspace_id UUID NOT NULL REFERENCES workspace (id));
             CREATE TABLE app_version (id BIGINT PRIMARY KEY, app_id BIGINT NOT NULL REFERENCES app (id));
             CREATE TABLE app_version_asset (version_id BIGINT NOT NULL REFERENCES app_version, blob BYTEA);
             CREATE TABLE app_comment (app_id BIGINT REFERENCES app (id), body TEXT);
             CREATE TABLE share (app_id BIGINT NOT NULL REFERENCES app (id), folder_id BIGINT NOT NULL REFERENCES folder (id), plan TEXT NOT NULL REFERENCES plans (code));
             CREATE TABLE asset_tag (version_id BIGINT NOT NULL REFERENCES app_version, app_id BIGINT NOT NULL REFERENCES app_version_asset (version_id));
             CREATE TABLE folder (id BIGINT PRIMARY KEY, workspace_id UUID NOT NULL);
             CREATE TABLE plans (code TEXT PRIMARY KEY);
             CREATE TABLE events (id BIGINT, workspace_id UUID NOT NULL) PARTITION BY RANGE (id);
             CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM (0) TO (100);
             CREATE TABLE app_version_2026 PARTITION OF app_version FOR VALUES FROM (0) TO (100);",
            Dialect::Postgres,
        );
        let g = Tenancy::suggest_tables(&s, &["workspace_id".to_string()]);
        assert_eq!(g.columns, ["workspace_id"]);
        assert_eq!(
            suggested(&g),
            [
                (
                    "workspace".to_string(),
                    vec!["id".to_string()],
                    "root".to_string()
                ),
                (
                    "app_version".into(),
                    vec!["app_id".into()],
                    "child of app".into()
                ),
                (
                    "share".into(),
                    vec!["app_id".into(), "folder_id".into()],
                    "child of app+folder".into()
                ),
                // Transitively: a child of a child.
                (
                    "app_version_asset".into(),
                    vec!["version_id".into()],
                    "child of app_version".into()
                ),
                // Both keys, though the second points at a child found in the same round.
                (
                    "asset_tag".into(),
                    vec!["version_id".into(), "app_id".into()],
                    "child of app_version+app_version_asset".into()
                ),
            ]
        );
        assert_eq!(g.inheriting, ["app_version_2026", "events_2026"]);
        // A nullable foreign key does not pin the row: `app_comment` stays global, like `plans`.
        assert_eq!(g.globals, ["app_comment", "plans"]);
    }

    #[test]
    fn suggest_tables_finds_a_root_by_its_name() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE organizations (id UUID PRIMARY KEY, name TEXT);
             CREATE TABLE af_workspace (workspace_id UUID PRIMARY KEY, owner UUID);
             CREATE TABLE invoices (id BIGINT PRIMARY KEY, org_id UUID NOT NULL);
             CREATE TABLE docs (id BIGINT PRIMARY KEY, workspace_id UUID NOT NULL);
             CREATE TABLE countries (code TEXT PRIMARY KEY);",
            Dialect::Postgres,
        );
        let g = Tenancy::suggest_tables(&s, &["org_id".to_string(), "workspace_id".to_string()]);
        // `af_workspace` carries `workspace_id` itself: tenant-owned, no entry needed.
        assert_eq!(
            suggested(&g),
            [(
                "organizations".to_string(),
                vec!["id".to_string()],
                "root".to_string()
            )]
        );
        assert_eq!(g.globals, ["countries"]);
        assert!(named_after("orgs", "org_id"));
        assert!(named_after("tenants", "tenant_id"));
        assert!(named_after("af_workspace", "workspace_id"));
        assert!(
            named_after("organisation", "organization_id")
                || named_after("organisations", "org_id")
        );
        assert!(!named_after("workspace_member", "workspace_id"));
        assert!(!named_after("users_organizations", "org_id"));
        assert!(!named_after("orgs", "org"));
        assert_eq!(
            Tenancy::suggest_tables(&Schema::default(), &["org_id".to_string()]),
            Suggestion::default()
        );
    }

    #[test]
    fn a_partition_of_a_global_table_is_global() {
        let mut t = Tenancy {
            columns: vec!["org_id".into()],
            global_tables: vec!["audit".into()],
            ..Tenancy::default()
        };
        t.schema.apply_migration(
            "CREATE TABLE audit (id BIGINT, org_id UUID) PARTITION BY RANGE (id);
             CREATE TABLE audit_1 PARTITION OF audit FOR VALUES FROM (0) TO (9);",
            Dialect::Postgres,
        );
        assert_eq!(t.tenant_columns("audit_1"), None);
    }

    #[test]
    fn suggest_tables_with_keys_added_by_later_migrations() {
        // Keys and foreign keys added by ALTER TABLE, in a later file.
        let mut s = Schema::default();
        s.apply_migration(
            r#"CREATE TABLE application (id character varying NOT NULL COLLATE pg_catalog."C", org_id character varying NOT NULL);
            ALTER TABLE ONLY application ADD CONSTRAINT pk_application PRIMARY KEY (id);
            CREATE TABLE endpoint (id character varying NOT NULL, app_id character varying NOT NULL COLLATE pg_catalog."C");
            ALTER TABLE ONLY endpoint ADD CONSTRAINT pk_endpoint PRIMARY KEY (id);"#,
            Dialect::Postgres,
        );
        s.apply_migration(
            "ALTER TABLE endpoint ADD CONSTRAINT fk_endpoint_app_id_application FOREIGN KEY(app_id) REFERENCES application (id) ON DELETE CASCADE;",
            Dialect::Postgres,
        );
        let g = Tenancy::suggest_tables(&s, &["org_id".to_string()]);
        assert_eq!(
            suggested(&g),
            [(
                "endpoint".to_string(),
                vec!["app_id".to_string()],
                "child of application".to_string()
            )]
        );
    }
}
