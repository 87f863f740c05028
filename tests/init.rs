//! `init` on a workspace whose schema has a tenant root, child tables and partitions: what it
//! proposes, and that the audit with the written config finds the leaks planted on them.

mod common;
use common::*;

use std::path::Path;

/// A copy of `fixtures/projects/<name>` in a temporary folder (`init` writes into it).
fn copy_fixture(name: &str) -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/projects")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    for e in walkdir::WalkDir::new(&src).into_iter().flatten() {
        let rel = e.path().strip_prefix(&src).unwrap();
        let to = dir.path().join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    dir
}

#[test]
fn init_proposes_roots_children_and_partitions_never_global() {
    let p = copy_fixture("init-schema");
    let o = run(&["init"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    // Two packages share the root `migrations/`: each file counts once.
    assert!(out.contains("migrations: 3 file(s), 12 table(s)"), "{out}");
    assert!(
        out.contains("tenant column candidates: workspace_id"),
        "{out}"
    );
    assert!(
        out.contains("tenant root tables: workspace (by id)"),
        "{out}"
    );
    assert!(
        out.contains("child tables (scoped by their parent's key): app_version (app_id -> app), app_version_asset (version_id -> app_version)"),
        "{out}"
    );
    assert!(
        out.contains("collab_embedding ((oid, partition_key) -> collab)"),
        "{out}"
    );
    assert!(
        out.contains("(judged as their parent): collab_document, collab_folder, collab_other"),
        "{out}"
    );
    assert!(
        out.contains("(proposed global): app_draft, plans\n"),
        "{out}"
    );

    let written = std::fs::read_to_string(p.path().join("tenant-audit.toml")).unwrap();
    assert!(
        written.contains("columns = [\"workspace_id\"]"),
        "{written}"
    );
    assert!(
        written.contains("[tenant.tables.workspace]\ncolumn = \"id\"\n"),
        "{written}"
    );
    assert!(
        written.contains("[tenant.tables.app_version]\ncolumn = \"app_id\"  # REFERENCES app\n"),
        "{written}"
    );
    assert!(
        written.contains("[tenant.tables.app_version_asset]\ncolumn = \"version_id\""),
        "{written}"
    );
    assert!(
        written.contains("# [tenant.tables.collab_embedding]\n# column = \"oid\""),
        "{written}"
    );
    let globals = written
        .lines()
        .find(|l| l.starts_with("global-tables"))
        .unwrap();
    for t in [
        "app_version",
        "app_version_asset",
        "collab_document",
        "collab_embedding",
        "workspace",
    ] {
        assert!(
            !globals.contains(&format!("\"{t}\"")),
            "{t} proposed global: {globals}"
        );
    }

    // The written config finds the two leaks on the child table and the partition, and only them.
    let o = run(&["--format", "short"], p.path());
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "api/src/lib.rs:16:5: error[TA201/untenanted-query]: sqlx query touches tenant-owned table `app_version` without a tenant predicate\n\
         api/src/lib.rs:24:5: error[TA201/untenanted-query]: sqlx query touches tenant-owned table `collab_document` without a tenant predicate\n"
    );
}

#[test]
fn init_reads_diesel_and_sea_orm_schemas() {
    let p = project(&[
        ("src/lib.rs", "pub mod schema;\npub mod entity;\npub mod note;\n"),
        (
            "src/note.rs",
            "#[derive(Clone, Debug, DeriveEntityModel)]\n#[sea_orm(table_name = \"notes\")]\npub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i64,\n    pub folder_id: i64,\n}\n\n#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\npub enum Relation {\n    #[sea_orm(belongs_to = \"super::entity::Entity\", from = \"Column::FolderId\", to = \"super::entity::Column::Id\")]\n    Folder,\n}\n",
        ),
        (
            "src/schema.rs",
            "diesel::table! {\n    orgs (uuid) {\n        uuid -> Text,\n        name -> Text,\n    }\n}\n\ndiesel::table! {\n    ciphers (uuid) {\n        uuid -> Text,\n        org_uuid -> Text,\n    }\n}\n\ndiesel::table! {\n    collections (uuid) {\n        uuid -> Text,\n        org_uuid -> Text,\n    }\n}\n\ndiesel::table! {\n    members (uuid) {\n        uuid -> Text,\n        org_uuid -> Text,\n    }\n}\n\ndiesel::table! {\n    attachments (id) {\n        id -> Text,\n        cipher_uuid -> Text,\n    }\n}\n\ndiesel::joinable!(attachments -> ciphers (cipher_uuid));\n",
        ),
        (
            "src/entity.rs",
            "#[derive(Clone, Debug, DeriveEntityModel)]\n#[sea_orm(table_name = \"folders\")]\npub struct Model {\n    #[sea_orm(primary_key)]\n    pub id: i64,\n    pub org_uuid: String,\n}\n",
        ),
    ]);
    let o = run(&["init"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("0 file(s), 7 table(s)"), "{out}");
    assert!(out.contains("tenant column candidates: org_uuid"), "{out}");
    assert!(out.contains("tenant root tables: orgs (by uuid)"), "{out}");
    // diesel's `joinable!` and the entity's `belongs_to` relation are foreign keys: children,
    // not global tables.
    assert!(
        out.contains("child tables (scoped by their parent's key): attachments (cipher_uuid -> ciphers), notes (folder_id -> folders)"),
        "{out}"
    );
}

#[test]
fn init_reads_the_migration_folders_the_code_embeds() {
    // No `migrations/`: the schema is where `sqlx::migrate!` and `embed_migrations!` say, from
    // the package root. A folder no macro names is not read.
    let p = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\naxum = \"0.8\"\nsqlx = \"0.8\"\n",
        ),
        (
            "src/main.rs",
            "mod db;

async fn migrate(pool: &sqlx::PgPool) {
    sqlx::migrate!(\"db/schema\").run(pool).await.unwrap();
}

pub async fn invoices(pool: &sqlx::PgPool) {
    sqlx::query(\"SELECT id FROM invoices\").fetch_all(pool).await.unwrap();
}

pub async fn regions(pool: &sqlx::PgPool) {
    sqlx::query(\"SELECT id FROM regions\").fetch_all(pool).await.unwrap();
}

fn main() {}
",
        ),
        (
            "src/db.rs",
            "pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!(\"db/more\");
",
        ),
        (
            "db/schema/0001_init.sql",
            "CREATE TABLE orgs (id BIGINT PRIMARY KEY);
CREATE TABLE invoices (id BIGINT PRIMARY KEY, org_id BIGINT NOT NULL REFERENCES orgs (id));
",
        ),
        (
            "db/more/2026-01-01-000000_regions/up.sql",
            "CREATE TABLE regions (id BIGINT PRIMARY KEY, name TEXT NOT NULL);
",
        ),
        (
            "db/more/2026-01-01-000000_regions/down.sql",
            "DROP TABLE regions;
",
        ),
        (
            "db/unused/0001.sql",
            "CREATE TABLE stray (id BIGINT PRIMARY KEY, org_id BIGINT NOT NULL);
",
        ),
    ]);
    let o = run(&["init"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("migrations: 2 file(s), 3 table(s)"), "{out}");
    assert!(out.contains("tenant column candidates: org_id"), "{out}");
    assert!(out.contains("(proposed global): regions\n"), "{out}");
    assert!(!out.contains("stray"), "{out}");

    // The written config, with the same schema, finds the query on the tenant-owned table.
    let o = run(&["--format", "short"], p.path());
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/main.rs:8:5: error[TA201/untenanted-query]: sqlx query touches tenant-owned table `invoices` without a tenant predicate\n"
    );
}

#[test]
fn init_proposes_guards_checks_and_layers_from_what_the_handlers_use() {
    let p = copy_fixture("init-handlers");
    let o = run(&["init", "--dry-run"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    // The config, printed and not written.
    assert!(!p.path().join("tenant-audit.toml").exists());
    // Permission extractors and the auth type handed to a wrapper as a value; the extractor
    // that only authenticates is listed, not written.
    assert!(
        out.contains("\nguards = [\"JwtAuth\", \"OrgAdmin\"]\n"),
        "{out}"
    );
    assert!(out.contains("# \"CurrentUser\"\n"), "{out}");
    // The check one call below a handler; `check_response` is no permission check.
    assert!(out.contains("\nchecks = [\"enforce_org_role\"]\n"), "{out}");
    // The auth middleware, not the trace layer.
    assert!(out.contains("\nlayers = [\"require_member\"]\n"), "{out}");
    assert!(
        out.contains("extractors that may only authenticate (not written): CurrentUser (2)"),
        "{out}"
    );
    assert!(out.contains("findings with no config: TA101 10\n"), "{out}");
    assert!(
        out.contains("findings with this config: TA101 3\n"),
        "{out}"
    );

    let o = run(&["init"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("wrote "), "{}", stdout(&o));
    // What is left is what a person must decide on: a public export, a login-only page, a probe.
    let o = run(&["--format", "short"], p.path());
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let lines: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split(": error").next().unwrap_or(l).to_string())
        .collect();
    assert_eq!(
        lines,
        [
            "src/projects.rs:44:14",
            "src/projects.rs:50:14",
            "src/projects.rs:58:14"
        ],
        "{}",
        stdout(&o)
    );
}
