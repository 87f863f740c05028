//! What TA201 and TA202 say: the configured scope column of each table, never a hard-coded
//! `org_id`; a parser failure named by the construct.

use std::path::{Path, PathBuf};
use tenant_audit_engine::{audit, Options};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rules")
        .join(name)
}

/// (file:line, message, help) of every active finding with `code`.
fn findings(path: &Path, code: &str) -> Vec<(String, String, String)> {
    let report = audit(&Options {
        path: path.to_path_buf(),
        ..Options::default()
    })
    .expect("audit runs");
    report
        .active()
        .filter(|d| d.code == code)
        .map(|d| {
            (
                format!("{}:{}", d.file, d.span.start.line),
                d.message.clone(),
                d.help.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// The finding at `file:line`.
fn finding_at<'a>(all: &'a [(String, String, String)], at: &str) -> &'a (String, String, String) {
    all.iter()
        .find(|f| f.0 == at)
        .unwrap_or_else(|| panic!("no finding at {at}: {all:#?}"))
}

fn help_at(all: &[(String, String, String)], at: &str) -> String {
    finding_at(all, at).2.clone()
}

fn message_at(all: &[(String, String, String)], at: &str) -> String {
    finding_at(all, at).1.clone()
}

#[test]
fn ta201_help_names_each_tables_scope_column() {
    let all = findings(&fixture("untenanted-query/sqlx-jobs"), "TA201");
    // The configured tenant column, not `org_id`.
    let h = help_at(&all, "src/collab.rs:15");
    assert!(
        h.starts_with("add `AND collab_folder.workspace_id = $n` to the WHERE clause"),
        "{h}"
    );
    assert!(!h.contains("org_id"), "{h}");
    // A child table: its own `[tenant.tables.X] column`.
    let h = help_at(&all, "src/apps.rs:40");
    assert!(h.contains("`AND app_version.app_id = $n`"), "{h}");
    // Two tables, each with its own column.
    let h = help_at(&all, "src/apps.rs:45");
    assert!(
        h.contains("`AND app_version.app_id = $n`, `AND app.workspace_id = $n`"),
        "{h}"
    );
    // Either of two columns.
    let h = help_at(&all, "src/apps.rs:63");
    assert!(
        h.contains("`AND folder_share.folder_id = $n` (or `grantee_id`)"),
        "{h}"
    );
    assert!(
        h.ends_with("use `tenant_bypass!(reason = \"..\", ..)`"),
        "{h}"
    );
}

#[test]
fn ta201_help_for_writes_and_other_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"notes\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\nrusqlite = \"0.31\"\n",
        ),
        ("tenant-audit.toml", "[tenant]\ncolumns = [\"team_id\"]\n"),
        (
            "migrations/001_init.sql",
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL, body TEXT);\n",
        ),
        (
            "src/main.rs",
            "fn main() {\n    let c = rusqlite::Connection::open_in_memory().unwrap();\n    c.execute(\"INSERT INTO notes (body) VALUES (?1)\", [\"x\"]).unwrap();\n    c.execute(\"DELETE FROM notes WHERE id = ?1\", [1]).unwrap();\n}\n",
        ),
    ];
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let all = findings(dir.path(), "TA201");
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(
        all[0]
            .2
            .starts_with("set `team_id` in the write to `notes`"),
        "{}",
        all[0].2
    );
    assert!(
        all[1]
            .2
            .starts_with("add `AND notes.team_id = ?` to the WHERE clause"),
        "{}",
        all[1].2
    );
    let ta202 = findings(dir.path(), "TA202");
    assert!(ta202.is_empty(), "{ta202:#?}");
}

#[test]
fn ta202_names_the_construct_sqlparser_cannot_parse() {
    let all = findings(
        &fixture("unanalyzable-query/statements_without_tables.rs"),
        "TA202",
    );
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(
        all[0].1,
        "sqlx query SQL cannot be parsed: sqlparser 0.64 cannot parse INSERT .. SELECT .. ON CONFLICT when the SELECT has no FROM (valid SQL the parser does not support yet)"
    );
    // The help names the configured tenant columns.
    assert!(
        all[0].2.contains("the `org_id` or `tenant_id` filter"),
        "{}",
        all[0].2
    );
}

#[test]
fn ta202_says_when_a_parameter_is_spliced_into_the_sql_text() {
    let all = findings(&fixture("unanalyzable-query/literal_growth.rs"), "TA202");
    // A search term formatted into the text a QueryBuilder pushes.
    let m = message_at(&all, "literal_growth.rs:72");
    assert!(
        m.contains("`push(path)`") && m.contains("splices parameter `term`"),
        "{m}"
    );
    assert!(m.contains("SQL injection"), "{m}");
    // A parameter appended with `push_str`: what was written, and what it splices in.
    let m = message_at(&all, "literal_growth.rs:52");
    assert!(
        m.contains("`query.push_str(column)`, which splices parameter `column`"),
        "{m}"
    );
    // A value that is not known to come from a parameter is named, with no injection claim.
    let m = message_at(&all, "literal_growth.rs:164");
    assert!(m.contains("splices `set.join"), "{m}");
    assert!(!m.contains("injection"), "{m}");
}

#[test]
fn ta202_says_when_a_text_is_built_in_too_many_ways() {
    let all = findings(
        &fixture("unanalyzable-query/many_optional_pieces.rs"),
        "TA202",
    );
    let lines: Vec<&str> = all.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        lines,
        [
            "many_optional_pieces.rs:134",
            "many_optional_pieces.rs:213",
            "many_optional_pieces.rs:292",
            "many_optional_pieces.rs:419"
        ],
        "{all:#?}"
    );
    for (at, m, _) in &all {
        assert!(
            m.contains("a text built in more ways than the audit follows"),
            "{at}: {m}"
        );
    }
    assert!(
        message_at(&all, "many_optional_pieces.rs:213").contains("`&query`"),
        "{all:#?}"
    );
}

#[test]
fn ta202_names_a_methods_receiver_as_the_receiver() {
    let all = findings(&fixture("unanalyzable-query/dynamic_sql.rs"), "TA202");
    for (at, method) in [
        ("dynamic_sql.rs:75", "run"),
        ("dynamic_sql.rs:80", "run_ref"),
        ("dynamic_sql.rs:87", "run"),
    ] {
        let m = message_at(&all, at);
        assert!(
            m.contains(&format!("`self`, the value `{method}` is called on")),
            "{at}: {m}"
        );
        assert!(!m.contains("not a const or static"), "{at}: {m}");
    }
    // Formatted into a text, it is what the text splices.
    let m = message_at(&all, "dynamic_sql.rs:93");
    assert!(m.contains("splices `self` into the SQL text"), "{m}");
}

#[test]
fn ta201_names_the_finder_whose_query_has_no_tenant_filter() {
    let all = findings(&fixture("untenanted-query/sea-orm-rows"), "TA201");
    let m = message_at(&all, "src/finders.rs:60");
    assert!(
        m.contains("no `.filter(..)` on `organization_id`; `any_named`, which starts the query, does not scope `services` either"),
        "{m}"
    );
    let m = message_at(&all, "src/finders.rs:65");
    assert!(
        m.contains("`named_services`, which starts the query"),
        "{m}"
    );
    // Rows loaded through a scoped finder are loaded rows: the writes keyed by them are scoped.
    for at in [
        "src/finders.rs:32",
        "src/finders.rs:44",
        "src/entities/service.rs:37",
    ] {
        assert!(!all.iter().any(|f| f.0 == at), "{at} flagged");
    }
}
