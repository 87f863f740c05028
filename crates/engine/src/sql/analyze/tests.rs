//! The analysis, case by case: `(sql, tables expected unscoped)` tables per construct.

use std::collections::BTreeMap;

use super::*;
use crate::sql::schema::Schema;
use crate::sql::Dialect;

fn tenancy() -> Tenancy {
    Tenancy {
        columns: [
            "tenant_id",
            "org_id",
            "organization_id",
            "organisation_id",
            "workspace_id",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        overrides: BTreeMap::new(),
        global_tables: vec!["plans".into(), "schema_migrations".into()],
        schema: Schema::default(),
    }
}

/// A tenancy whose schema comes from this migration.
fn with_schema(migration: &str) -> Tenancy {
    let mut t = tenancy();
    t.schema.apply_migration(migration, Dialect::Postgres);
    t.overrides
        .insert("organisations".into(), vec!["id".into()]);
    t
}

const SCHEMA: &str = "
    CREATE TABLE organisations (id uuid primary key, name text);
    CREATE TABLE users (id uuid, org_id uuid, email text);
    CREATE TABLE orders (id bigint, org_id uuid, user_id uuid, total int);
    CREATE TABLE items (id bigint, order_id bigint, org_id uuid, sku text);
    CREATE TABLE countries (code text, name text);
    CREATE TABLE notes (id bigint, order_id bigint, body text);
";

fn run(sql: &str, dialect: Dialect, t: &Tenancy) -> Vec<String> {
    match analyze(sql, dialect, t) {
        Ok(a) => a.unscoped.into_iter().map(|u| u.table).collect(),
        Err(e) => panic!("parse error for {sql:?}: {}", e.message),
    }
}

/// Runs a table of `(sql, expected unscoped tables)`, reporting every mismatch at once.
fn table(dialect: Dialect, t: &Tenancy, cases: &[(&str, &[&str])]) {
    let mut failures = Vec::new();
    for (sql, expected) in cases {
        match analyze(sql, dialect, t) {
            Ok(a) => {
                let got: Vec<&str> = a.unscoped.iter().map(|u| u.table.as_str()).collect();
                if got != *expected {
                    failures.push(format!(
                        "\n  SQL:      {sql}\n  expected: {expected:?}\n  got:      {got:?}\n  reasons:  {:?}",
                        a.unscoped.iter().map(|u| &u.reason).collect::<Vec<_>>()
                    ));
                }
            }
            Err(e) => failures.push(format!("\n  SQL: {sql}\n  parse error: {}", e.message)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:{}",
        failures.len(),
        failures.join("")
    );
}

fn reason(sql: &str, t: &Tenancy, table: &str) -> String {
    let a = analyze(sql, Dialect::Postgres, t).unwrap_or_else(|e| panic!("{sql}: {}", e.message));
    a.unscoped
        .into_iter()
        .find(|u| u.table == table)
        .unwrap_or_else(|| panic!("`{table}` not flagged in {sql}"))
        .reason
}

#[test]
fn select_basic() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("SELECT * FROM orders WHERE org_id = $1", &[]),
            ("SELECT * FROM orders WHERE $1 = org_id", &[]),
            ("SELECT * FROM orders WHERE id = $1", &["orders"]),
            ("SELECT * FROM orders", &["orders"]),
            ("SELECT * FROM orders WHERE tenant_id = $1 AND id = $2", &[]),
            (
                "SELECT * FROM orders WHERE id = $2 AND (status = 'x' AND workspace_id = $1)",
                &[],
            ),
            ("SELECT * FROM orders WHERE (org_id = $1)", &[]),
            ("SELECT * FROM orders WHERE org_id IN ($1, $2)", &[]),
            ("SELECT * FROM orders WHERE org_id NOT IN ($1)", &["orders"]),
            ("SELECT * FROM orders WHERE org_id = ANY($1)", &[]),
            ("SELECT * FROM orders WHERE org_id <> $1", &["orders"]),
            (
                "SELECT * FROM orders WHERE org_id IS NOT DISTINCT FROM $1",
                &[],
            ),
            ("SELECT * FROM orders WHERE org_id::text = $1", &[]),
            ("SELECT * FROM orders WHERE org_id = $1::uuid", &[]),
            (
                "SELECT * FROM orders WHERE org_id = current_setting('app.org')::uuid",
                &[],
            ),
            ("SELECT * FROM orders WHERE (org_id, id) = ($1, $2)", &[]),
            ("SELECT * FROM orders WHERE org_id = org_id", &["orders"]),
            ("SELECT * FROM orders WHERE org_id IS NOT NULL", &["orders"]),
            ("SELECT * FROM orders WHERE NOT (org_id = $1)", &["orders"]),
            ("SELECT 1", &[]),
            ("SELECT now()", &[]),
        ],
    );
}

#[test]
fn select_list_order_by_and_strings_do_not_count() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("SELECT org_id, id FROM orders WHERE id = $1", &["orders"]),
            (
                "SELECT * FROM orders WHERE id = $1 ORDER BY org_id",
                &["orders"],
            ),
            (
                "SELECT * FROM orders WHERE note = 'org_id = 1'",
                &["orders"],
            ),
            (
                "SELECT * FROM orders WHERE id = $1 GROUP BY org_id HAVING org_id = $2",
                &["orders"],
            ),
            (
                "SELECT * FROM orders WHERE id = $1 -- AND org_id = $2",
                &["orders"],
            ),
            (
                "SELECT * FROM orders WHERE id = $1 /* AND org_id = $2 */",
                &["orders"],
            ),
        ],
    );
}

#[test]
fn or_voids_the_predicate() {
    let t = tenancy();
    table(
        Dialect::Postgres,
        &t,
        &[
            (
                "SELECT * FROM orders WHERE org_id = $1 OR public",
                &["orders"],
            ),
            (
                "SELECT * FROM orders WHERE (org_id = $1 OR public) AND id = $2",
                &["orders"],
            ),
            (
                "SELECT * FROM orders WHERE org_id = $1 AND (public OR id = $2)",
                &[],
            ),
            (
                "SELECT * FROM orders WHERE (org_id = $1 AND a) OR (org_id = $1 AND b)",
                &["orders"],
            ),
        ],
    );
    assert_eq!(
        reason(
            "SELECT * FROM orders WHERE org_id = $1 OR public",
            &t,
            "orders"
        ),
        "`orders` is filtered only inside an OR"
    );
    assert_eq!(
        reason("SELECT * FROM orders", &t, "orders"),
        "no tenant predicate"
    );
}

#[test]
fn aliases_and_qualified_names() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("SELECT o.id FROM orders o WHERE o.org_id = $1", &[]),
            ("SELECT o.id FROM orders AS o WHERE o.org_id = $1", &[]),
            ("SELECT * FROM public.orders WHERE org_id = $1", &[]),
            ("SELECT * FROM public.orders WHERE orders.org_id = $1", &[]),
            (
                "SELECT * FROM public.orders WHERE public.orders.org_id = $1",
                &[],
            ),
            ("SELECT * FROM public.orders", &["orders"]),
            ("SELECT * FROM ONLY orders WHERE org_id = $1", &[]),
            (
                r#"SELECT * FROM "public"."Orders" WHERE "org_id" = $1"#,
                &[],
            ),
            (r#"SELECT * FROM "orders" o WHERE o."org_id" = $1"#, &[]),
            (r#"SELECT * FROM "orders""#, &["orders"]),
            ("SELECT * FROM orders o WHERE x.org_id = $1", &["orders"]),
        ],
    );
}

#[test]
fn joins() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.org_id = $1", &["items"]),
            (
                "SELECT * FROM orders o JOIN items i ON i.order_id = o.id AND i.org_id = o.org_id WHERE o.org_id = $1",
                &[],
            ),
            (
                "SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.org_id = $1 AND i.org_id = o.org_id",
                &[],
            ),
            (
                "SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.org_id = $1 AND i.org_id = $1",
                &[],
            ),
            ("SELECT * FROM orders o JOIN items i USING (org_id) WHERE o.org_id = $1", &[]),
            ("SELECT * FROM orders JOIN items USING (org_id) WHERE org_id = $1", &[]),
            ("SELECT * FROM orders o JOIN items i ON i.org_id = o.org_id", &["orders", "items"]),
            (
                "SELECT * FROM orders o JOIN items i ON i.order_id = o.id JOIN notes n ON n.org_id = i.org_id WHERE o.org_id = $1 AND i.org_id = o.org_id",
                &[],
            ),
            ("SELECT * FROM orders o, items i WHERE o.org_id = $1 AND i.org_id = o.org_id", &[]),
            ("SELECT * FROM orders o CROSS JOIN items i WHERE o.org_id = $1", &["items"]),
            ("SELECT * FROM orders o JOIN items i ON i.org_id = $1 WHERE o.org_id = $1", &[]),
            (
                "SELECT * FROM (orders o JOIN items i ON i.org_id = o.org_id) WHERE o.org_id = $1",
                &[],
            ),
            ("SELECT * FROM orders o NATURAL JOIN items i WHERE o.org_id = $1", &[]),
        ],
    );
}

#[test]
fn outer_join_on_filters_only_the_null_extended_side() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("SELECT * FROM orders o LEFT JOIN items i ON i.order_id = o.id AND i.org_id = $1 WHERE o.org_id = $1", &[]),
            ("SELECT * FROM orders o LEFT JOIN items i ON i.order_id = o.id AND o.org_id = $1", &["orders", "items"]),
            ("SELECT * FROM orders o LEFT JOIN items i ON i.order_id = o.id AND o.org_id = $1 AND i.org_id = $1", &["orders"]),
            ("SELECT * FROM orders o LEFT JOIN items i ON i.org_id = o.org_id WHERE o.org_id = $1", &[]),
            ("SELECT * FROM orders o RIGHT JOIN items i ON i.org_id = $1 AND o.org_id = $1", &["items"]),
            ("SELECT * FROM orders o FULL JOIN items i ON i.org_id = $1 AND o.org_id = $1", &["orders", "items"]),
        ],
    );
}

#[test]
fn unqualified_columns_in_joins() {
    let t = tenancy();
    // No schema: both tables could have `org_id`, so an unqualified one is ambiguous.
    table(
        Dialect::Postgres,
        &t,
        &[
            ("SELECT * FROM orders JOIN customers ON customers.id = orders.customer_id WHERE org_id = $1", &["orders", "customers"]),
            // A global table is assumed not to carry the tenant column.
            ("SELECT * FROM orders JOIN plans ON plans.id = orders.plan_id WHERE org_id = $1", &[]),
            ("SELECT * FROM orders, generate_series(1, 3) g WHERE org_id = $1", &[]),
        ],
    );
    assert!(reason(
        "SELECT * FROM orders JOIN customers ON customers.id = orders.customer_id WHERE org_id = $1",
        &t,
        "orders"
    )
    .contains("ambiguous"));
    // With a schema: only `orders` has `org_id`... and `notes` has no tenant column at all.
    let s = with_schema(SCHEMA);
    table(
        Dialect::Postgres,
        &s,
        &[
            (
                "SELECT * FROM orders JOIN notes ON notes.order_id = orders.id WHERE org_id = $1",
                &[],
            ),
            (
                "SELECT * FROM orders JOIN items ON items.order_id = orders.id WHERE org_id = $1",
                &["orders", "items"],
            ),
            (
                "SELECT * FROM orders JOIN countries c ON c.code = orders.cc WHERE org_id = $1",
                &[],
            ),
        ],
    );
}

#[test]
fn subqueries() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("SELECT * FROM orders WHERE org_id = $1 AND user_id IN (SELECT id FROM users WHERE org_id = $1)", &[]),
            ("SELECT * FROM orders WHERE org_id = $1 AND user_id IN (SELECT id FROM users WHERE active)", &["users"]),
            ("SELECT * FROM orders WHERE org_id IN (SELECT org_id FROM memberships WHERE user_id = $1)", &["memberships"]),
            ("SELECT * FROM orders o WHERE o.org_id = $1 AND EXISTS (SELECT 1 FROM items i WHERE i.order_id = o.id)", &["items"]),
            (
                "SELECT * FROM orders o WHERE o.org_id = $1 AND EXISTS (SELECT 1 FROM items i WHERE i.order_id = o.id AND i.org_id = o.org_id)",
                &[],
            ),
            ("SELECT id, (SELECT count(*) FROM items WHERE items.order_id = orders.id) FROM orders WHERE org_id = $1", &["items"]),
            (
                "SELECT id, (SELECT count(*) FROM items WHERE items.order_id = orders.id AND items.org_id = $1) FROM orders WHERE org_id = $1",
                &[],
            ),
            ("SELECT * FROM (SELECT * FROM orders WHERE org_id = $1) o", &[]),
            ("SELECT * FROM (SELECT * FROM orders) o WHERE o.org_id = $1", &["orders"]),
            ("SELECT * FROM (SELECT * FROM orders WHERE org_id = $1) o JOIN items i ON i.org_id = o.org_id", &[]),
            ("SELECT * FROM (SELECT id FROM orders WHERE org_id = $1) o JOIN items i ON i.order_id = o.id", &["items"]),
            ("SELECT * FROM orders WHERE org_id = $1 AND total > (SELECT avg(total) FROM orders)", &["orders"]),
            ("SELECT * FROM orders WHERE org_id = $1 ORDER BY (SELECT max(id) FROM items)", &["items"]),
            ("SELECT * FROM orders o, LATERAL (SELECT * FROM items i WHERE i.order_id = o.id) x WHERE o.org_id = $1", &["items"]),
        ],
    );
}

#[test]
fn ctes() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("WITH o AS (SELECT * FROM orders WHERE org_id = $1) SELECT * FROM o", &[]),
            ("WITH o AS (SELECT * FROM orders) SELECT * FROM o WHERE org_id = $1", &["orders"]),
            ("WITH o AS (SELECT * FROM orders WHERE org_id = $1) SELECT * FROM o JOIN items i ON i.org_id = o.org_id", &[]),
            ("WITH o AS (SELECT * FROM orders WHERE org_id = $1) SELECT * FROM o JOIN items i ON i.order_id = o.id", &["items"]),
            (
                "WITH a AS (SELECT * FROM orders WHERE org_id = $1), b AS (SELECT * FROM a) SELECT * FROM b",
                &[],
            ),
            (
                "WITH RECURSIVE t AS (SELECT id FROM nodes WHERE org_id = $1 UNION ALL SELECT n.id FROM nodes n JOIN t ON n.parent_id = t.id) SELECT * FROM t",
                &["nodes"],
            ),
            (
                "WITH RECURSIVE t AS (SELECT id, org_id FROM nodes WHERE org_id = $1 UNION ALL SELECT n.id, n.org_id FROM nodes n JOIN t ON n.parent_id = t.id AND n.org_id = t.org_id) SELECT * FROM t",
                &[],
            ),
            ("WITH orders AS (SELECT * FROM orders WHERE org_id = $1) SELECT * FROM orders", &[]),
            ("WITH d AS (DELETE FROM orders WHERE org_id = $1 RETURNING *) SELECT * FROM d", &[]),
            ("WITH d AS (DELETE FROM orders WHERE id = $1 RETURNING *) SELECT * FROM d", &["orders"]),
        ],
    );
}

#[test]
fn set_operations() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("SELECT id FROM orders WHERE org_id = $1 UNION SELECT id FROM items WHERE org_id = $1", &[]),
            ("SELECT id FROM orders WHERE org_id = $1 UNION ALL SELECT id FROM items", &["items"]),
            ("SELECT id FROM orders INTERSECT SELECT id FROM items WHERE org_id = $1", &["orders"]),
            ("SELECT id FROM orders WHERE org_id = $1 EXCEPT SELECT id FROM items", &["items"]),
            ("(SELECT id FROM orders WHERE org_id = $1) UNION (SELECT id FROM items) ORDER BY id", &["items"]),
        ],
    );
}

#[test]
fn long_union_chain_is_fine() {
    let sql = vec!["SELECT id FROM orders WHERE org_id = $1"; 2000].join(" UNION ALL ");
    let a = analyze(&sql, Dialect::Postgres, &tenancy()).unwrap();
    assert!(a.unscoped.is_empty());
}

#[test]
fn update() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("UPDATE orders SET total = $1 WHERE id = $2 AND org_id = $3", &[]),
            ("UPDATE orders SET total = $1 WHERE id = $2", &["orders"]),
            ("UPDATE orders SET org_id = $1 WHERE id = $2", &["orders"]),
            ("UPDATE orders o SET total = 0 WHERE o.org_id = $1", &[]),
            ("UPDATE orders SET total = i.t FROM items i WHERE i.order_id = orders.id AND orders.org_id = $1", &["items"]),
            (
                "UPDATE orders SET total = i.t FROM items i WHERE i.order_id = orders.id AND orders.org_id = $1 AND i.org_id = orders.org_id",
                &[],
            ),
            ("UPDATE orders SET total = (SELECT sum(x) FROM items WHERE items.order_id = orders.id) WHERE org_id = $1", &["items"]),
            ("UPDATE orders SET total = 0 WHERE org_id = $1 OR id = $2", &["orders"]),
            ("UPDATE orders SET total = 0 WHERE org_id = $1 RETURNING id", &[]),
        ],
    );
}

#[test]
fn delete() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("DELETE FROM orders WHERE id = $1 AND org_id = $2", &[]),
            ("DELETE FROM orders WHERE id = $1", &["orders"]),
            ("DELETE FROM orders", &["orders"]),
            ("DELETE FROM orders o USING items i WHERE i.order_id = o.id AND o.org_id = $1", &["items"]),
            (
                "DELETE FROM orders o USING items i WHERE i.order_id = o.id AND o.org_id = $1 AND i.org_id = $1",
                &[],
            ),
            ("DELETE FROM orders WHERE org_id = $1 AND id IN (SELECT order_id FROM items WHERE sku = $2)", &["items"]),
        ],
    );
}

#[test]
fn insert() {
    let t = tenancy();
    table(
        Dialect::Postgres,
        &t,
        &[
            ("INSERT INTO orders (id, org_id, total) VALUES ($1, $2, $3)", &[]),
            ("INSERT INTO orders (id, total) VALUES ($1, $2)", &["orders"]),
            ("INSERT INTO orders VALUES ($1, $2, $3)", &["orders"]),
            ("INSERT INTO public.orders (id, org_id) VALUES ($1, $2)", &[]),
            (r#"INSERT INTO "orders" ("id", "org_id") VALUES ($1, $2)"#, &[]),
            ("INSERT INTO orders (id, org_id) SELECT id, org_id FROM drafts WHERE org_id = $1", &[]),
            ("INSERT INTO orders (id, org_id) SELECT id, org_id FROM drafts", &["drafts"]),
            ("INSERT INTO orders (id) SELECT id FROM drafts WHERE org_id = $1", &["orders"]),
            (
                "INSERT INTO orders (id, org_id, total) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET total = EXCLUDED.total",
                &[],
            ),
            ("INSERT INTO orders (id, org_id) VALUES ($1, $2) RETURNING id", &[]),
            ("INSERT INTO plans (id, name) VALUES ($1, $2)", &[]),
            ("INSERT INTO orders (id, org_id) VALUES ($1, (SELECT org_id FROM users WHERE id = $2))", &["users"]),
            ("INSERT INTO orders DEFAULT VALUES", &["orders"]),
        ],
    );
    assert_eq!(
        reason(
            "INSERT INTO orders (id, total) VALUES ($1, $2)",
            &with_schema(SCHEMA),
            "orders"
        ),
        "INSERT does not set `org_id`"
    );
    assert!(reason("INSERT INTO orders VALUES ($1)", &t, "orders").contains("no column list"));
}

#[test]
fn mysql_placeholders_and_forms() {
    table(
        Dialect::MySql,
        &tenancy(),
        &[
            ("SELECT * FROM orders WHERE org_id = ? AND id = ?", &[]),
            ("SELECT * FROM orders WHERE id = ?", &["orders"]),
            ("SELECT * FROM `orders` WHERE `org_id` = ?", &[]),
            ("SELECT * FROM shop.orders o WHERE o.org_id = ? LIMIT 10", &[]),
            ("INSERT INTO orders SET id = ?, org_id = ?", &[]),
            ("INSERT INTO orders SET id = ?", &["orders"]),
            ("INSERT INTO orders (id, org_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE id = id", &[]),
            ("REPLACE INTO orders (id, total) VALUES (?, ?)", &["orders"]),
            ("UPDATE orders o JOIN items i ON i.order_id = o.id SET o.total = 0 WHERE o.org_id = ?", &["items"]),
            ("DELETE o FROM orders o JOIN items i ON i.order_id = o.id WHERE o.org_id = ? AND i.org_id = ?", &[]),
            ("SELECT * FROM orders WHERE org_id <=> ?", &[]),
            ("SELECT * FROM orders WHERE org_id = @org", &[]),
        ],
    );
}

#[test]
fn sqlite_placeholders() {
    table(
        Dialect::Sqlite,
        &tenancy(),
        &[
            ("SELECT * FROM orders WHERE org_id = ?1 AND id = ?2", &[]),
            ("SELECT * FROM orders WHERE org_id = :org AND id = :id", &[]),
            ("SELECT * FROM orders WHERE org_id = @org", &[]),
            ("SELECT * FROM orders WHERE org_id = $org", &[]),
            ("SELECT * FROM orders WHERE org_id = ?", &[]),
            ("SELECT * FROM orders WHERE id = ?1", &["orders"]),
            (
                "INSERT OR REPLACE INTO orders (id, org_id) VALUES (?1, ?2)",
                &[],
            ),
            ("SELECT name FROM sqlite_master WHERE type = 'table'", &[]),
            ("SELECT name FROM sqlite_schema", &[]),
        ],
    );
}

#[test]
fn generic_dialect() {
    table(
        Dialect::Generic,
        &tenancy(),
        &[
            ("SELECT * FROM orders WHERE org_id = ? AND id = :id", &[]),
            ("SELECT * FROM orders WHERE org_id = $1", &[]),
            ("SELECT * FROM orders WHERE id = $1", &["orders"]),
        ],
    );
}

#[test]
fn postgres_named_placeholder() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[("SELECT * FROM orders WHERE org_id = :org", &[])],
    );
}

#[test]
fn multi_statement_and_dedupe() {
    let a = analyze(
        "BEGIN; SELECT * FROM orders WHERE id = $1; -- comment\n UPDATE orders SET x = 1 OR 2 WHERE org_id = $1 OR TRUE; DELETE FROM items; COMMIT;",
        Dialect::Postgres,
        &tenancy(),
    )
    .unwrap();
    assert_eq!(a.statements, 5);
    assert_eq!(a.tables, vec!["orders", "items"]);
    let got: Vec<(&str, &str)> = a
        .unscoped
        .iter()
        .map(|u| (u.table.as_str(), u.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("orders", "no tenant predicate"),
            ("items", "no tenant predicate")
        ]
    );
}

#[test]
fn non_dml_statements_have_no_tables_to_flag() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("CREATE TABLE orders (id int, org_id uuid)", &[]),
            ("CREATE INDEX ON orders (org_id)", &[]),
            ("SET search_path TO app", &[]),
            ("SET LOCAL app.org_id = '1'", &[]),
            ("BEGIN", &[]),
            ("COMMIT", &[]),
            ("ALTER TABLE orders ADD COLUMN x int", &[]),
            ("DROP TABLE orders", &[]),
            ("TRUNCATE orders", &[]),
            ("CREATE VIEW v AS SELECT * FROM orders", &[]),
            ("LISTEN orders", &[]),
        ],
    );
}

#[test]
fn explain_prepare_and_cursor_are_looked_through() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("EXPLAIN ANALYZE DELETE FROM orders", &["orders"]),
            ("EXPLAIN SELECT * FROM orders WHERE org_id = $1", &[]),
            (
                "PREPARE q AS SELECT * FROM orders WHERE id = $1",
                &["orders"],
            ),
            ("DECLARE c CURSOR FOR SELECT * FROM orders", &["orders"]),
            (
                "COPY (SELECT * FROM orders WHERE org_id = $1) TO STDOUT",
                &[],
            ),
            ("COPY (SELECT * FROM orders) TO STDOUT", &["orders"]),
            ("COPY orders TO STDOUT", &["orders"]),
            ("COPY orders (id, org_id) FROM STDIN", &[]),
            ("COPY plans TO STDOUT", &[]),
        ],
    );
}

#[test]
fn system_global_functions_and_values_are_not_tables() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            ("SELECT * FROM plans", &[]),
            ("SELECT * FROM PLANS", &[]),
            ("SELECT * FROM public.schema_migrations", &[]),
            ("SELECT * FROM pg_catalog.pg_tables", &[]),
            ("SELECT * FROM pg_class", &[]),
            ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", &[]),
            ("SELECT * FROM generate_series(1, 10)", &[]),
            ("SELECT * FROM unnest($1::int[]) AS t(id)", &[]),
            ("SELECT * FROM (VALUES (1, 2), (3, 4)) AS v(a, b)", &[]),
            ("VALUES (1), (2)", &[]),
            ("SELECT * FROM orders o JOIN plans p ON p.id = o.plan_id WHERE o.org_id = $1", &[]),
            ("SELECT * FROM orders o, unnest($2::int[]) ids(id) WHERE o.id = ids.id AND o.org_id = $1", &[]),
        ],
    );
    let a = analyze(
        "SELECT * FROM pg_catalog.pg_tables, plans",
        Dialect::Postgres,
        &tenancy(),
    )
    .unwrap();
    assert_eq!(a.tables, vec!["pg_tables", "plans"]);
}

#[test]
fn schema_driven_tenancy() {
    let t = with_schema(SCHEMA);
    table(
        Dialect::Postgres,
        &t,
        &[
            // `countries` and `notes` have no tenant column: not tenant-owned.
            ("SELECT * FROM countries", &[]),
            ("SELECT * FROM notes WHERE id = $1", &[]),
            // Not in the schema: tenant-owned by any configured column.
            ("SELECT * FROM invoices", &["invoices"]),
            ("SELECT * FROM invoices WHERE workspace_id = $1", &[]),
            // In the schema with `org_id`: only `org_id` scopes it.
            ("SELECT * FROM orders WHERE tenant_id = $1", &["orders"]),
            ("SELECT * FROM orders WHERE org_id = $1", &[]),
            // Override: organisations is scoped by its own id.
            ("SELECT * FROM organisations WHERE id = $1", &[]),
            (
                "SELECT * FROM organisations WHERE name = $1",
                &["organisations"],
            ),
            (
                "SELECT * FROM organisations o JOIN users u ON u.org_id = o.id WHERE o.id = $1",
                &[],
            ),
            (
                "SELECT * FROM organisations o JOIN users u ON u.email = o.name WHERE o.id = $1",
                &["users"],
            ),
            ("UPDATE organisations SET name = $2 WHERE id = $1", &[]),
            ("INSERT INTO organisations (id, name) VALUES ($1, $2)", &[]),
            // Its key is its scope column: left to the database, the row is a new tenant.
            ("INSERT INTO organisations (name) VALUES ($1)", &[]),
            (
                "INSERT INTO organisations (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name",
                &["organisations"],
            ),
        ],
    );
    assert_eq!(t.tenant_columns("orders"), Some(vec!["org_id".to_string()]));
    assert_eq!(
        t.tenant_columns("public.orders"),
        Some(vec!["org_id".to_string()])
    );
    assert_eq!(t.tenant_columns("countries"), None);
    assert_eq!(
        t.tenant_columns("ORGANISATIONS"),
        Some(vec!["id".to_string()])
    );
    assert_eq!(t.tenant_columns("information_schema.columns"), None);
    assert_eq!(t.tenant_columns("Plans"), None);
    assert_eq!(t.tenant_columns("unknown").map(|c| c.len()), Some(5));
}

#[test]
fn parse_errors() {
    let t = tenancy();
    let e = analyze("SELEC * FROM orders", Dialect::Postgres, &t).unwrap_err();
    assert!(e.message.contains("Expected"), "{}", e.message);
    assert!(!e.message.starts_with("sql parser error"), "{}", e.message);
    assert!(analyze(
        "SELECT * FROM orders WHERE (org_id = $1",
        Dialect::MySql,
        &t
    )
    .is_err());
    assert!(analyze("SELECT 'unterminated", Dialect::Sqlite, &t).is_err());
    assert!(analyze("SELECT * FROM", Dialect::Generic, &t).is_err());
    // Empty text: no statements, no findings.
    assert_eq!(
        analyze("  -- nothing\n", Dialect::Postgres, &t)
            .unwrap()
            .statements,
        0
    );
}

#[test]
fn retries_with_generic_dialect() {
    // Backtick identifiers are MySQL; Postgres rejects or misreads them, generic accepts.
    let t = tenancy();
    let a = analyze(
        "SELECT * FROM `orders` WHERE `org_id` = $1",
        Dialect::Postgres,
        &t,
    )
    .unwrap();
    assert_eq!(a.tables, vec!["orders"]);
    assert!(a.unscoped.is_empty());
}

#[test]
fn merge_statement() {
    table(
        Dialect::Postgres,
        &tenancy(),
        &[
            (
                "MERGE INTO orders o USING drafts d ON d.id = o.id AND o.org_id = $1 AND d.org_id = $1 WHEN MATCHED THEN UPDATE SET total = d.total",
                &[],
            ),
            ("MERGE INTO orders o USING drafts d ON d.id = o.id WHEN MATCHED THEN DELETE", &["orders", "drafts"]),
        ],
    );
}

#[test]
fn deep_input_does_not_overflow() {
    let t = tenancy();
    let long = format!(
        "SELECT * FROM orders WHERE {}",
        vec!["a = 1"; 100_000].join(" AND ")
    );
    assert!(analyze(&long, Dialect::Postgres, &t).is_err());
    let chain = format!(
        "SELECT * FROM orders WHERE org_id = $1 AND {}",
        vec!["a = 1"; 5_000].join(" AND ")
    );
    assert!(analyze(&chain, Dialect::Postgres, &t)
        .unwrap()
        .unscoped
        .is_empty());
    let ors = format!(
        "SELECT * FROM orders WHERE {}",
        vec!["org_id = 1"; 5_000].join(" OR ")
    );
    assert_eq!(run(&ors, Dialect::Postgres, &t), vec!["orders"]);
    let nested = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(analyze(&nested, Dialect::Postgres, &t).is_err());
    let subq = format!(
        "SELECT * FROM orders WHERE org_id = {}1{}",
        "(SELECT ".repeat(40),
        ")".repeat(40)
    );
    let _ = analyze(&subq, Dialect::Postgres, &t);
    for junk in [
        "",
        ";;;",
        "(",
        "'",
        "$$",
        "SELECT",
        "\u{0}",
        "ü SELECT",
        "WITH",
        "SELECT * FROM a JOIN",
    ] {
        let _ = analyze(junk, Dialect::Postgres, &t);
        let _ = analyze(junk, Dialect::Sqlite, &t);
    }
}

#[test]
fn dialect_names() {
    assert_eq!(Dialect::from_name("postgres"), Some(Dialect::Postgres));
    assert_eq!(Dialect::from_name("MySQL"), Some(Dialect::MySql));
    assert_eq!(Dialect::from_name("sqlite"), Some(Dialect::Sqlite));
    assert_eq!(Dialect::from_name("generic"), Some(Dialect::Generic));
    assert_eq!(Dialect::from_name("auto"), None);
    assert_eq!(Dialect::from_name("oracle"), None);
}

const KEYS: &str = "
    CREATE TABLE workspace (workspace_id uuid PRIMARY KEY, name text);
    CREATE TABLE job (id uuid PRIMARY KEY, workspace_id uuid NOT NULL, parent uuid, kind text);
    CREATE TABLE job_queue (id uuid PRIMARY KEY REFERENCES job (id), workspace_id uuid NOT NULL, running bool);
    CREATE TABLE job_logs (job_id uuid NOT NULL REFERENCES job (id), line int, body text, workspace_id uuid NOT NULL, PRIMARY KEY (job_id, line));
    CREATE TABLE handles (handle text UNIQUE, workspace_id uuid NOT NULL, owner uuid);
    CREATE TABLE app (id bigint PRIMARY KEY, workspace_id uuid NOT NULL, owner_id bigint);
    CREATE TABLE app_version (app_id bigint NOT NULL REFERENCES app (id), version int, owner_id bigint, PRIMARY KEY (app_id, version));
    CREATE TABLE app_tag (app_id bigint NOT NULL, tag text);
";

fn with_keys() -> Tenancy {
    let mut t = tenancy();
    t.columns = vec!["workspace_id".into()];
    t.schema.apply_migration(KEYS, Dialect::Postgres);
    t.overrides
        .insert("workspace".into(), vec!["workspace_id".into()]);
    t.overrides
        .insert("app_version".into(), vec!["app_id".into()]);
    t.overrides.insert("app_tag".into(), vec!["app_id".into()]);
    t
}

#[test]
fn a_table_joined_on_its_whole_key_to_a_scoped_row_is_scoped() {
    table(
        Dialect::Postgres,
        &with_keys(),
        &[
            // The shape from a real job queue: the queue row shares the job's primary key.
            ("SELECT q.running FROM job_queue q JOIN job j USING (id) WHERE j.parent = $1 AND j.workspace_id = $2", &[]),
            ("SELECT q.running FROM job_queue q JOIN job j ON q.id = j.id WHERE j.workspace_id = $1", &[]),
            ("SELECT q.running FROM job_queue q, job j WHERE j.id = q.id AND j.workspace_id = $1", &[]),
            // Either way round: `job` is pinned by its key to the scoped queue row.
            ("SELECT j.kind FROM job j JOIN job_queue q ON j.id = q.id WHERE q.workspace_id = $1", &[]),
            // A composite key needs every column.
            ("SELECT l.body FROM job_logs l JOIN job j ON l.job_id = j.id WHERE j.workspace_id = $1", &["job_logs"]),
            ("SELECT l.body FROM job_logs l JOIN job_logs m ON l.job_id = m.job_id AND l.line = m.line WHERE m.workspace_id = $1", &[]),
            // A unique key pins as well.
            ("SELECT h.owner FROM handles h JOIN job j ON h.handle = j.kind WHERE j.workspace_id = $1", &[]),
            // The partner must be scoped itself.
            ("SELECT q.running FROM job_queue q JOIN job j USING (id) WHERE j.parent = $1", &["job_queue", "job"]),
            // The key bound to a value pins a row of any tenant.
            ("SELECT * FROM job_queue WHERE id = $1", &["job_queue"]),
            ("SELECT * FROM job_queue q JOIN job j ON q.id = $1 WHERE j.workspace_id = $2", &["job_queue"]),
            // A column that is not a key pins nothing.
            ("SELECT * FROM job j JOIN job_queue q ON q.running = (j.kind = 'x') WHERE j.workspace_id = $1", &["job_queue"]),
            // A scoped derived table is a partner too.
            ("SELECT q.running FROM job_queue q JOIN (SELECT id FROM job WHERE workspace_id = $1) j ON j.id = q.id", &[]),
            // An OR above the key equality voids it.
            ("SELECT q.running FROM job_queue q JOIN job j ON q.id = j.id OR q.running WHERE j.workspace_id = $1", &["job_queue"]),
        ],
    );
}

#[test]
fn key_joins_follow_outer_join_semantics() {
    table(
        Dialect::Postgres,
        &with_keys(),
        &[
            // The null-extended side is filtered by ON.
            ("SELECT * FROM job j LEFT JOIN job_queue q ON q.id = j.id WHERE j.workspace_id = $1", &[]),
            // The preserved side is not: every queue row comes back.
            ("SELECT * FROM job_queue q LEFT JOIN job j ON q.id = j.id AND j.workspace_id = $1", &["job_queue"]),
            ("SELECT * FROM job j RIGHT JOIN job_queue q ON q.id = j.id WHERE j.workspace_id = $1", &["job_queue"]),
            ("SELECT * FROM job_queue q RIGHT JOIN job j ON q.id = j.id WHERE j.workspace_id = $1", &[]),
            ("SELECT * FROM job j FULL JOIN job_queue q ON q.id = j.id WHERE j.workspace_id = $1", &["job_queue"]),
            ("SELECT * FROM job j LEFT JOIN job_queue q USING (id) WHERE j.workspace_id = $1", &[]),
        ],
    );
}

#[test]
fn key_joins_need_keys_the_schema_declares() {
    // No schema: `job_queue`'s key is unknown, so the join pins nothing.
    table(
        Dialect::Postgres,
        &tenancy(),
        &[(
            "SELECT q.running FROM job_queue q JOIN job j USING (id) WHERE j.workspace_id = $1",
            &["job_queue"],
        )],
    );
}

#[test]
fn child_tables_are_scoped_through_their_parent() {
    let t = with_keys();
    table(
        Dialect::Postgres,
        &t,
        &[
            ("SELECT v.version FROM app_version v WHERE v.app_id = $1", &[]),
            ("SELECT v.version FROM app_version v WHERE v.version = $1", &["app_version"]),
            // The scope column equals the key it references, in a scoped parent.
            ("SELECT v.version FROM app_version v JOIN app a ON a.id = v.app_id WHERE a.workspace_id = $1", &[]),
            ("SELECT a.id FROM app a JOIN app_version v ON v.app_id = a.id WHERE v.app_id = $1", &[]),
            // No foreign key declared: the parent's single-column primary key.
            ("SELECT g.tag FROM app_tag g JOIN app a ON a.id = g.app_id WHERE a.workspace_id = $1", &[]),
            // Another column of the child pins nothing.
            ("SELECT v.version FROM app_version v JOIN app a ON a.id = v.owner_id WHERE a.workspace_id = $1", &["app_version"]),
            // The parent's non-key column pins nothing.
            ("SELECT v.version FROM app_version v JOIN app a ON a.owner_id = v.app_id WHERE a.workspace_id = $1", &["app_version"]),
            // The parent unscoped.
            ("SELECT v.version FROM app_version v JOIN app a ON a.id = v.app_id WHERE a.owner_id = $1", &["app_version", "app"]),
            // Writes: the child's scope column.
            ("INSERT INTO app_version (app_id, version) VALUES ($1, $2)", &[]),
            ("DELETE FROM app_version WHERE version = $1", &["app_version"]),
            ("UPDATE app_version v SET owner_id = $1 FROM app a WHERE a.id = v.app_id AND a.workspace_id = $2", &[]),
        ],
    );
    assert_eq!(
        reason(
            "SELECT v.version FROM app_version v WHERE v.version = $1",
            &t,
            "app_version"
        ),
        "no tenant predicate"
    );
}

#[test]
fn a_cte_without_the_column_does_not_make_it_ambiguous() {
    let t = with_keys();
    table(
        Dialect::Postgres,
        &t,
        &[
            // The CTE's RETURNING list has no `workspace_id`: the unqualified one is `job_logs`'.
            (
                "WITH ins AS (INSERT INTO job (id, workspace_id) VALUES ($1, $2) RETURNING id) SELECT * FROM job_logs JOIN ins ON ins.id = job_logs.job_id WHERE workspace_id = $2",
                &[],
            ),
            (
                "WITH u AS (UPDATE job SET kind = $3 WHERE id = $2 AND workspace_id = $1 RETURNING id, parent) SELECT * FROM job_logs l JOIN u ON u.id = l.job_id WHERE workspace_id = $1",
                &[],
            ),
            (
                "WITH d AS (DELETE FROM job WHERE id = $2 AND workspace_id = $1) SELECT * FROM job_logs, d WHERE workspace_id = $1",
                &[],
            ),
            // A `SELECT *` over a table the schema knows yields that table's columns.
            (
                "WITH c AS (SELECT * FROM app_tag WHERE app_id = $1) SELECT * FROM c JOIN job j ON j.kind = c.tag WHERE workspace_id = $2",
                &[],
            ),
            // Still ambiguous when the CTE does carry it.
            (
                "WITH r AS (UPDATE job SET kind = $3 WHERE id = $2 AND workspace_id = $1 RETURNING *) SELECT * FROM job_logs l JOIN r ON r.id = l.job_id WHERE workspace_id = $1",
                &["job_logs"],
            ),
            (
                "WITH c AS (SELECT a.* FROM app a WHERE a.workspace_id = $1) SELECT * FROM c JOIN job j ON j.kind = c.id::text WHERE workspace_id = $1",
                &["job"],
            ),
        ],
    );
    assert!(reason(
        "WITH r AS (UPDATE job SET kind = $3 WHERE id = $2 AND workspace_id = $1 RETURNING *) SELECT * FROM job_logs l JOIN r ON r.id = l.job_id WHERE workspace_id = $1",
        &t,
        "job_logs"
    )
    .contains("ambiguous"));
}

#[test]
fn statements_that_touch_no_table_are_never_parse_errors() {
    let t = tenancy();
    for (sql, d) in [
        ("PRAGMA foreign_keys = OFF", Dialect::Sqlite),
        ("PRAGMA journal_mode=WAL", Dialect::Sqlite),
        ("PRAGMA foreign_keys = ON", Dialect::Postgres),
        ("VACUUM INTO ?", Dialect::Sqlite),
        ("CHECKPOINT", Dialect::Postgres),
        ("LISTEN jobs", Dialect::Sqlite),
        ("ROLLBACK TO SAVEPOINT sp_1", Dialect::MySql),
        (
            "BEGIN; PRAGMA defer_foreign_keys = ON; COMMIT",
            Dialect::Sqlite,
        ),
    ] {
        match analyze(sql, d, &t) {
            Ok(a) => assert!(a.unscoped.is_empty(), "{sql}: {:?}", a.unscoped),
            Err(e) => panic!("{sql} ({d:?}): {}", e.message),
        }
    }
    // The other statements of the text are still analysed, and counted.
    let a = analyze(
        "PRAGMA foreign_keys = OFF; DELETE FROM orders WHERE id = ?1; PRAGMA foreign_keys = ON",
        Dialect::Sqlite,
        &t,
    )
    .unwrap();
    assert_eq!(a.statements, 3);
    assert_eq!(
        run(
            "PRAGMA foreign_keys = OFF; DELETE FROM orders WHERE id = ?1",
            Dialect::Sqlite,
            &t
        ),
        ["orders"]
    );
    // A statement that reads rows is not set aside, and junk stays an error.
    assert!(analyze(
        "PRAGMA foreign_keys = OFF; SELEC * FROM orders",
        Dialect::Sqlite,
        &t
    )
    .is_err());
    assert!(analyze("PRAGMA x = OFF FROM orders", Dialect::Sqlite, &t).is_err());
    assert!(analyze(
        "CREATE TABLE x AS SELECT * FROM orders WHERE",
        Dialect::Postgres,
        &t
    )
    .is_err());
}

#[test]
fn known_parser_gaps_are_named_by_their_construct() {
    let t = tenancy();
    for sql in [
        "INSERT INTO orders (id, org_id) SELECT $1, $2 ON CONFLICT DO NOTHING",
        "INSERT INTO usage (org_id, day) SELECT $1, unnest($2::date[]) ON CONFLICT (org_id, day) DO NOTHING",
    ] {
        let e = analyze(sql, Dialect::Postgres, &t).unwrap_err();
        assert_eq!(
            e.message,
            "sqlparser 0.64 cannot parse INSERT .. SELECT .. ON CONFLICT when the SELECT has no FROM (valid SQL the parser does not support yet)",
            "{sql}"
        );
    }
    // With a FROM it parses, and is judged.
    assert_eq!(
        run(
            "INSERT INTO orders (id, org_id) SELECT id, org_id FROM drafts ON CONFLICT DO NOTHING",
            Dialect::Postgres,
            &t
        ),
        ["drafts"]
    );
    // Other failures keep the parser's message.
    let e = analyze("SELECT * FROM orders WHERE", Dialect::Postgres, &t).unwrap_err();
    assert!(e.message.starts_with("Expected"), "{}", e.message);
}

#[test]
fn is_tableless_says_whether_every_statement_touches_no_table() {
    assert!(is_tableless("ROLLBACK TO SAVEPOINT {}", Dialect::Postgres));
    assert!(is_tableless(
        "SET LOCAL row_level_security.user_id = 1",
        Dialect::Postgres
    ));
    assert!(is_tableless("BEGIN; COMMIT;", Dialect::Sqlite));
    assert!(!is_tableless("SELECT 1", Dialect::Postgres));
    assert!(!is_tableless(
        "BEGIN; DELETE FROM orders",
        Dialect::Postgres
    ));
    assert!(!is_tableless(
        "SET x = (SELECT org_id FROM orders)",
        Dialect::MySql
    ));
    assert!(!is_tableless("", Dialect::Postgres));
    assert!(!is_tableless("'unterminated", Dialect::Postgres));
}

#[test]
fn the_named_sqlparser_release_is_the_one_in_cargo_lock() {
    let lock = include_str!("../../../../../Cargo.lock");
    let at = lock
        .find("name = \"sqlparser\"\n")
        .expect("sqlparser in Cargo.lock");
    let version = lock[at..].lines().nth(1).unwrap_or_default();
    assert!(
        version.starts_with(&format!("version = \"{}.", parse::SQLPARSER_VERSION)),
        "{version}"
    );
}

#[test]
fn an_insert_that_creates_the_tenant_row_is_scoped() {
    let mut t = tenancy();
    t.columns = vec!["workspace_id".into()];
    t.schema.apply_migration(
        "CREATE TABLE af_workspace (workspace_id UUID NOT NULL PRIMARY KEY DEFAULT gen_random_uuid(), owner_uid BIGINT NOT NULL, name TEXT);
         CREATE TABLE doc (id BIGSERIAL PRIMARY KEY, workspace_id UUID NOT NULL, body TEXT);
         CREATE TABLE slot (workspace_id UUID NOT NULL, n INT NOT NULL, PRIMARY KEY (workspace_id, n));
         CREATE TABLE af_user (uid BIGINT PRIMARY KEY, uuid UUID NOT NULL);",
        Dialect::Postgres,
    );
    table(
        Dialect::Postgres,
        &t,
        &[
            ("INSERT INTO af_workspace (owner_uid, name) VALUES ($1, $2) RETURNING workspace_id", &[]),
            (
                "WITH w AS (INSERT INTO public.af_workspace (owner_uid) SELECT uid FROM af_user WHERE uuid = $1 RETURNING workspace_id) SELECT workspace_id FROM w",
                &[],
            ),
            ("INSERT INTO af_workspace (owner_uid) VALUES ($1) ON CONFLICT DO NOTHING", &[]),
            // An upsert can land on another tenant's row.
            (
                "INSERT INTO af_workspace (owner_uid, name) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET owner_uid = EXCLUDED.owner_uid",
                &["af_workspace"],
            ),
            // Naming the key is a write to that tenant: it must be the caller's own.
            ("INSERT INTO af_workspace (workspace_id, owner_uid) VALUES ($1, $2)", &[]),
            // The scope column is not the key: it must be set.
            ("INSERT INTO doc (body) VALUES ($1)", &["doc"]),
            // Part of a composite key: not generated.
            ("INSERT INTO slot (n) VALUES ($1)", &["slot"]),
            ("INSERT INTO af_workspace VALUES ($1, $2, $3)", &["af_workspace"]),
        ],
    );
    table(
        Dialect::MySql,
        &t,
        &[
            ("INSERT INTO af_workspace (owner_uid) VALUES (?) ON DUPLICATE KEY UPDATE name = 'x'", &["af_workspace"]),
            ("REPLACE INTO af_workspace (owner_uid) VALUES (?)", &["af_workspace"]),
        ],
    );
    table(
        Dialect::Sqlite,
        &t,
        &[(
            "INSERT OR REPLACE INTO af_workspace (owner_uid) VALUES (?1)",
            &["af_workspace"],
        )],
    );
}

#[test]
fn schema_qualified_operators_are_the_operators_they_name() {
    let t = tenancy();
    table(
        Dialect::Postgres,
        &t,
        &[
            (
                "SELECT * FROM users WHERE org_id OPERATOR(pg_catalog.=) $1",
                &[],
            ),
            (
                "select * from users where org_id operator(pg_catalog.=) $1",
                &[],
            ),
            (
                "SELECT * FROM users WHERE org_id OPERATOR ( pg_catalog . = ) $1",
                &[],
            ),
            (
                "SELECT * FROM users WHERE org_id OPERATOR(\"pg_catalog\".=) $1",
                &[],
            ),
            ("SELECT * FROM users WHERE org_id OPERATOR(=) $1", &[]),
            (
                "SELECT * FROM users WHERE org_id OPERATOR(pg_catalog.=) ANY($1)",
                &[],
            ),
            (
                "SELECT * FROM users u JOIN orders o ON o.org_id OPERATOR(pg_catalog.=) u.org_id \
                 WHERE u.org_id OPERATOR(pg_catalog.=) $1",
                &[],
            ),
            // A prefix operator, which the parser rejects when qualified.
            (
                "SELECT * FROM users WHERE org_id = $1 \
                 AND id OPERATOR(pg_catalog.<>) (OPERATOR(pg_catalog.-) 2)",
                &[],
            ),
            // What the bare operator would not scope, the qualified one does not either.
            (
                "SELECT * FROM users WHERE org_id OPERATOR(pg_catalog.<>) $1",
                &["users"],
            ),
            (
                "SELECT * FROM users WHERE org_id OPERATOR(pg_catalog.=) $1 OR id = $2",
                &["users"],
            ),
            // Another schema's `=` may mean anything.
            (
                "SELECT * FROM users WHERE org_id OPERATOR(myschema.=) $1",
                &["users"],
            ),
            // A column named `operator` is a column.
            ("SELECT operator FROM users WHERE org_id = $1", &[]),
            ("SELECT operator(1) FROM users", &["users"]),
        ],
    );
}
