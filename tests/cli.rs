//! End-to-end tests of the built binary: exit codes, command forms, config errors with their
//! location, parse errors, output shapes.

mod common;
use common::*;

use std::path::Path;

const LEAKY: &str = r#"use axum::{routing::get, Router};

pub fn app() -> Router {
    Router::new()
        .route("/orgs/{org}/invoices", get(list_invoices))
        .route("/health", get(health))
}

async fn list_invoices() -> &'static str {
    "[]"
}

#[tenant_audit::tenant_bypass(reason = "load balancer probe, public")]
async fn health() -> &'static str {
    "ok"
}
"#;

const CLEAN: &str = r#"use axum::{routing::get, Router};
use tenant_audit::requires;

pub fn app() -> Router {
    Router::new().route("/orgs/{org}/invoices", get(list_invoices))
}

#[requires("invoices:read")]
async fn list_invoices() -> &'static str {
    "[]"
}
"#;

#[test]
fn clean_project_exits_0() {
    let p = project(&[("src/lib.rs", CLEAN)]);
    let o = run(&[], p.path());
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("0 errors"), "{}", stdout(&o));
}

#[test]
fn findings_exit_1_and_short_format_names_them() {
    let p = project(&[("src/lib.rs", LEAKY)]);
    let o = run(&["--format", "short"], p.path());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "src/lib.rs:9:10: error[TA101/unprotected-handler]: handler `list_invoices` (GET /orgs/{org}/invoices) declares no permission\n"
    );
}

#[test]
fn works_as_cargo_subcommand_and_with_check() {
    let p = project(&[("src/lib.rs", LEAKY)]);
    for args in [
        &["tenant-audit", "--format", "short"][..],
        &["tenant-audit", "check", "--format", "short"][..],
        &["check", "--format=short"][..],
    ] {
        let o = run(args, p.path());
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).contains("TA101"), "{args:?}");
    }
}

#[test]
fn manifest_path_from_elsewhere() {
    let p = project(&[("src/lib.rs", LEAKY)]);
    let manifest = p.path().join("Cargo.toml");
    let o = run(
        &[
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--format",
            "short",
        ],
        Path::new("/"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("src/lib.rs:9:10:"));
}

#[test]
fn json_document_shape() {
    let p = project(&[("src/lib.rs", LEAKY)]);
    let o = run(&["--format", "json"], p.path());
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "cargo-tenant-audit");
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let f = &findings[0];
    for key in [
        "code",
        "name",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "item",
        "fingerprint",
        "bypassed",
    ] {
        assert!(f.get(key).is_some(), "missing {key}");
    }
    assert_eq!(f["code"], "TA101");
    assert_eq!(f["item"], "list_invoices");
    assert_eq!(f["bypassed"], false);
    // The bypassed health check stays in JSON, marked.
    assert_eq!(findings[1]["item"], "health");
    assert_eq!(findings[1]["bypassed"], true);
    assert_eq!(v["summary"]["handlers"], 2);
    assert_eq!(v["summary"]["errors"], 1);
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn empty_json_is_still_a_document() {
    let p = project(&[("src/lib.rs", "pub fn nothing() {}\n")]);
    let o = run(&["--format", "json"], p.path());
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn severity_flags_and_fail_on() {
    let p = project(&[("src/lib.rs", LEAKY)]);
    let o = run(&["-A", "TA101", "--format", "short"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // The bypass on `health` still covers its TA101 when the rule is on; with the rule off it is unused.
    assert!(stdout(&o).contains("TA902"), "{}", stdout(&o));
    let o = run(
        &["-W", "unprotected-handler", "--format", "short"],
        p.path(),
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("warning[TA101"));
    let o = run(
        &["-W", "TA101", "--fail-on", "warning", "--format", "short"],
        p.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["-D", "TA999"], p.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown rule `TA999`"));
}

#[test]
fn parse_errors_are_reported_and_the_run_goes_on() {
    // `broken.rs` is in the crate's module tree (an unreached file is not audited at all).
    let lib = format!("mod broken;\n{LEAKY}");
    let p = project(&[("src/lib.rs", &lib), ("src/broken.rs", "fn oops( {\n")]);
    let o = run(&["--format", "short"], p.path());
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("src/broken.rs:1:"), "{out}");
    assert!(out.contains("warning[TA001/parse-error]"), "{out}");
    assert!(out.contains("TA101"), "the rest was still audited: {out}");
    // Alone, a parse error is a warning (exit 0) unless --strict.
    let p = project(&[("src/lib.rs", "fn oops( {\n")]);
    assert_eq!(run(&[], p.path()).status.code(), Some(0));
    let o = run(&["--strict"], p.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("could not be read or parsed"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn config_errors_exit_2_with_file_line_column() {
    let cases = [
        ("[tenant]\ncolums = [\"org_id\"]\n", "tenant-audit.toml:2:1"),
        ("[tenant]\ncolumns = \"org_id\"\n", "tenant-audit.toml:2:"),
        ("[rules]\nTA201 = \"loud\"\n", "tenant-audit.toml:2:9"),
        (
            "[[bypass]]\npath = \"src/[x\"\nreason = \"jobs\"\n",
            "tenant-audit.toml:2:",
        ),
    ];
    for (text, place) in cases {
        let p = project(&[("src/lib.rs", CLEAN), ("tenant-audit.toml", text)]);
        let o = run(&[], p.path());
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(stderr(&o).contains(place), "{text}: {}", stderr(&o));
    }
}

#[test]
fn config_in_cargo_metadata_and_dot_config() {
    let meta = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[package.metadata.tenant-audit.rules]\nTA101 = \"off\"\n";
    let p = project(&[("src/lib.rs", LEAKY)]);
    std::fs::write(p.path().join("Cargo.toml"), meta).unwrap();
    let o = run(&["--format", "short"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let p = project(&[
        ("src/lib.rs", LEAKY),
        (".config/tenant-audit.toml", "[rules]\nTA101 = \"note\"\n"),
    ]);
    let o = run(&["--format", "short"], p.path());
    assert!(stdout(&o).contains("note[TA101"), "{}", stdout(&o));
    let p = project(&[("src/lib.rs", LEAKY)]);
    let o = run(&["--config", "nope.toml"], p.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.toml"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_2() {
    let p = project(&[("src/lib.rs", CLEAN)]);
    assert_eq!(run(&["--format", "xml"], p.path()).status.code(), Some(2));
    assert_eq!(run(&["--no-such-flag"], p.path()).status.code(), Some(2));
    assert_eq!(run(&["-p", "nope"], p.path()).status.code(), Some(2));
    assert_eq!(
        run(&["--manifest-path", "/does/not/exist/Cargo.toml"], p.path())
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn plain_folder_without_cargo_toml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("handlers.rs"), LEAKY).unwrap();
    let o = run(&["--format", "short"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("handlers.rs:9:10:"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn paths_filter_what_is_reported() {
    let routes = "use axum::{routing::get, Router};\npub fn app() -> Router {\n    Router::new().route(\"/a\", get(crate::a::open)).route(\"/b\", get(crate::b::open))\n}\n";
    let a = "pub async fn open() -> &'static str {\n    \"a\"\n}\n";
    let p = project(&[
        ("src/lib.rs", "mod a;\nmod b;\nmod routes;\n"),
        ("src/routes.rs", routes),
        ("src/a.rs", a),
        ("src/b.rs", a),
    ]);
    let o = run(&["--format", "short"], p.path());
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));
    let o = run(&["--format", "short", "src/a.rs"], p.path());
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("src/a.rs:1:14:"), "{out}");
}

#[test]
fn rules_and_explain() {
    let o = run(&["rules"], Path::new("."));
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for code in [
        "TA001", "TA101", "TA102", "TA103", "TA201", "TA202", "TA301", "TA901", "TA902", "TA903",
    ] {
        assert!(out.contains(code), "{code}");
    }
    let o = run(&["explain", "untenanted-query"], Path::new("."));
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("# TA201 untenanted-query"));
    assert!(stdout(&o).contains("## How to fix"));
    let o = run(&["explain", "TA999"], Path::new("."));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bypasses_command_lists_reason_and_use() {
    let p = project(&[("src/lib.rs", LEAKY)]);
    let o = run(&["bypasses"], p.path());
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("src/lib.rs:13"), "{out}");
    assert!(out.contains("load balancer probe, public"), "{out}");
    assert!(out.contains("used (1)"), "{out}");
    let o = run(&["bypasses", "--format", "json"], p.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["bypasses"][0]["used"], 1);
    assert_eq!(v["bypasses"][0]["origin"], "attribute");
}

#[test]
fn init_writes_a_starter_config_once() {
    let auth = "pub struct AdminUser;\nimpl<S: Send + Sync> FromRequestParts<S> for AdminUser {}\npub fn layer(r: Router) -> Router {\n    r.route_layer(middleware::from_fn(require_admin))\n}\n";
    // The crate must reach the file (`mod auth;`): init reads what the audit reads.
    let lib = format!("{CLEAN}\nmod auth;\n");
    let p = project(&[("src/lib.rs", &lib), ("src/auth.rs", auth), ("migrations/0001_init.sql", "CREATE TABLE invoices (id BIGINT PRIMARY KEY, org_id BIGINT NOT NULL);\nCREATE TABLE plans (id BIGINT PRIMARY KEY, name TEXT);\n")]);
    let o = run(&["init"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("frameworks: axum"), "{out}");
    assert!(out.contains("tenant column candidates: org_id"), "{out}");
    assert!(out.contains("(proposed global): plans"), "{out}");
    // No registered handler takes them, yet they are the workspace's auth extractor and layer.
    assert!(
        out.contains(
            "guards (extractors that check a permission; handlers using each): AdminUser (0)"
        ),
        "{out}"
    );
    assert!(
        out.contains("layers (middleware the routers are wrapped in): require_admin (0)"),
        "{out}"
    );
    let written = std::fs::read_to_string(p.path().join("tenant-audit.toml")).unwrap();
    assert!(written.contains("frameworks = [\"axum\"]"), "{written}");
    // The starter config is valid: the audit accepts it.
    assert_eq!(run(&[], p.path()).status.code(), Some(0));
    let o = run(&["init"], p.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"));
    assert_eq!(run(&["init", "--force"], p.path()).status.code(), Some(0));
}

#[test]
fn unreadable_migration_is_named() {
    let p = project(&[("src/lib.rs", CLEAN)]);
    std::fs::create_dir_all(p.path().join("migrations")).unwrap();
    std::fs::write(
        p.path().join("migrations/0001_init.sql"),
        b"CREATE TABLE \xff (id INT);\n",
    )
    .unwrap();
    let o = run(&["--format", "short"], p.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "a warning alone does not fail the run"
    );
    assert!(
        stdout(&o).starts_with(
            "migrations/0001_init.sql:1:1: warning[TA001/parse-error]: cannot read this migration"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    // The name `open` starts at character 24 of its line (byte 30): columns are 1-based Unicode
    // code points, as SARIF's columnKind says.
    let src = "use axum::{routing::get, Router};\npub fn app() -> Router {\n    Router::new().route(\"/\", get(open))\n}\n/* ünïcödé */ async fn open() -> &'static str {\n    \"ok\"\n}\n";
    let p = project(&[("src/lib.rs", src)]);
    let o = run(&["--format", "short"], p.path());
    assert!(stdout(&o).starts_with("src/lib.rs:5:24:"), "{}", stdout(&o));
}

#[test]
fn mistyped_subcommands_are_usage_errors_with_a_suggestion() {
    let p = project(&[("src/lib.rs", LEAKY)]);
    for (args, meant) in [
        (&["route"][..], "routes"),
        (&["chek"][..], "check"),
        (&["explian", "TA201"][..], "explain"),
        (&["tenant-audit", "rule"][..], "rules"),
        (&["completion", "bash"][..], "completions"),
    ] {
        let o = run(args, p.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(
            stderr(&o).contains(&format!("did you mean `{meant}`?")),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "{args:?}: no report: {}", stdout(&o));
    }
    // Not close to any subcommand, and not a path either.
    let o = run(&["frobnicate", "bash"], p.path());
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("`frobnicate` is neither a subcommand nor an existing file or folder"),
        "{}",
        stderr(&o)
    );
    // A word that names an existing folder is a path, even when it looks like a subcommand.
    std::fs::create_dir_all(p.path().join("route")).unwrap();
    let o = run(&["route"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn paths_that_do_not_exist_are_usage_errors() {
    let p = project(&[("src/lib.rs", LEAKY)]);
    for args in [
        &["src/nope.rs"][..],
        &["check", "src/nope.rs"][..],
        &["src/lib.rs", "src/nope.rs"][..],
    ] {
        let o = run(args, p.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("path `src/nope.rs` does not exist"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    let o = run(&["gone.rs", "src/nope.rs"], p.path());
    assert!(
        stderr(&o).contains("paths `gone.rs`, `src/nope.rs` do not exist"),
        "{}",
        stderr(&o)
    );
    // An existing path still filters.
    let o = run(&["--format", "short", "src/lib.rs"], p.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn no_rust_file_is_an_error_that_says_what_was_searched() {
    let empty = tempfile::tempdir().unwrap();
    let o = run(&[], empty.path());
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("no Rust files found under"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("plain files"), "{}", stderr(&o));
    // A package whose only Rust files are in skipped folders.
    let p = project(&[("tests/it.rs", LEAKY), ("README.md", "# svc\n")]);
    for args in [&[][..], &["routes"][..], &["bypasses"][..]] {
        let o = run(args, p.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(err.contains("no Rust files found under"), "{args:?}: {err}");
        assert!(err.contains("searched the package svc"), "{args:?}: {err}");
    }
}

#[test]
fn list_formats_and_thread_counts_are_validated() {
    let p = project(&[("src/lib.rs", LEAKY)]);
    for args in [
        &["routes", "--format", "xml"][..],
        &["bypasses", "--format", "sarif"][..],
        &["-j", "0"][..],
        &["check", "--threads", "0"][..],
        &["routes", "-j", "0"][..],
    ] {
        let o = run(args, p.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("invalid value"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    assert_eq!(run(&["-j", "1"], p.path()).status.code(), Some(1));
    let o = run(&["routes", "--format", "json"], p.path());
    assert_eq!(o.status.code(), Some(0));
    serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("JSON");
}

#[test]
fn summary_counts_are_singular_or_plural() {
    let p = project(&[("src/lib.rs", CLEAN)]);
    let o = run(&[], p.path());
    assert!(
        stdout(&o).contains("0 errors, 0 warnings, 0 notes (0 bypassed) in 1 file: 1 handler, 0 queries, 0 cache calls"),
        "{}",
        stdout(&o)
    );
    let p = project(&[
        ("Cargo.toml", "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\nsqlx = \"0.8\"\n"),
        ("src/lib.rs", "mod a;\npub fn q(db: &sqlx::PgPool) { let _ = sqlx::query(\"SELECT 1\").execute(db); }\n"),
        ("src/a.rs", "pub fn f() {}\n"),
    ]);
    let o = run(&[], p.path());
    assert!(
        stdout(&o).contains("in 2 files: 0 handlers, 1 query, 0 cache calls"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn every_config_error_is_reported_with_its_place() {
    let config = "[tenant]\ncolums = [\"org_id\"]\n\n[handlers]\nframeworks = [\"axun\"]\nguards = \"AdminUser\"\n\n[[bypass]]\nroute = \"/auth/**\"\npath = \"src/**\"\nreason = \"public\"\n";
    let p = project(&[("src/lib.rs", CLEAN), ("tenant-audit.toml", config)]);
    let o = run(&[], p.path());
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    for place in [
        "tenant-audit.toml:2:1: unknown key `colums` in `[tenant]`: did you mean `columns`?",
        "tenant-audit.toml:5:15: unknown framework `axun`: did you mean `axum`?",
        "tenant-audit.toml:6:10: expected a list of strings, found string",
        "tenant-audit.toml:9:9: a `[[bypass]]` takes one of `path`, `item` or `route`; this one has path and route",
        "tenant-audit: 4 errors in tenant-audit.toml",
    ] {
        assert!(err.contains(place), "missing `{place}` in:\n{err}");
    }
    // In the order of the file.
    let at = |s: &str| err.find(s).unwrap();
    assert!(at("tenant-audit.toml:2:1") < at("tenant-audit.toml:5:15"));
    assert!(at("tenant-audit.toml:6:10") < at("tenant-audit.toml:9:9"));
}

#[test]
fn bypasses_by_route_and_item_are_listed_with_their_target() {
    let config = "[[bypass]]\nroute = \"/health\"\nmethods = [\"GET\"]\nreason = \"load balancer probe, public\"\n\n[[bypass]]\nitem = \"nothing::*\"\nreason = \"matches nothing\"\n";
    let leaky = LEAKY.replace(
        "#[tenant_audit::tenant_bypass(reason = \"load balancer probe, public\")]\n",
        "",
    );
    let p = project(&[("src/lib.rs", &leaky), ("tenant-audit.toml", config)]);
    let o = run(&["--format", "short"], p.path());
    assert_eq!(
        stdout(&o),
        "src/lib.rs:9:10: error[TA101/unprotected-handler]: handler `list_invoices` (GET /orgs/{org}/invoices) declares no permission\ntenant-audit.toml:6:1: warning[TA902/unused-bypass]: `[[bypass]]` for item `nothing::*` suppresses nothing\n"
    );
    let o = run(&["bypasses"], p.path());
    let out = stdout(&o);
    assert!(
        out.contains("tenant-audit.toml:1  config     route GET /health  [all rules]  used (1)"),
        "{out}"
    );
    assert!(
        out.contains("item nothing::*  [all rules]  UNUSED"),
        "{out}"
    );
    let o = run(&["bypasses", "--format", "json"], p.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let b = &v["bypasses"][0];
    assert_eq!(b["origin"], "config");
    assert_eq!(b["by"], "route");
    assert_eq!(b["target"], "/health");
    assert_eq!(b["methods"], serde_json::json!(["GET"]));
    assert_eq!(b["used"], 1);
    assert_eq!(v["bypasses"][1]["by"], "item");
    let o = run(&["routes"], p.path());
    assert!(
        stdout(&o).contains("bypass: load balancer probe, public"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn config_entries_that_match_nothing_are_ta903_at_the_entry() {
    let migration = "CREATE TABLE invoices (id BIGINT PRIMARY KEY, org_id BIGINT NOT NULL);\n";
    let config = "[tenant]\ncolumns = [\"org_idd\"]\nschema = [\"migratoins\", \"migrations\"]\n\n[handlers]\nchecks = [\"enforce_*\"]\n\n[[bypass]]\npath = \"**\"\nreason = \"a bypass cannot hide config findings\"\n";
    let p = project(&[
        ("src/lib.rs", CLEAN),
        ("migrations/0001_init.sql", migration),
        ("tenant-audit.toml", config),
    ]);
    let o = run(&["--format", "short"], p.path());
    assert_eq!(o.status.code(), Some(0), "warnings: {}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "tenant-audit.toml:2:12: warning[TA903/unmatched-config]: `[tenant] columns` entry `org_idd` matches nothing: no table of the schema the audit read (1 table) has this column\n\
         tenant-audit.toml:3:11: warning[TA903/unmatched-config]: `[tenant] schema` entry `migratoins` matches nothing: no such file or folder under the workspace root\n\
         tenant-audit.toml:6:11: warning[TA903/unmatched-config]: `[handlers] checks` entry `enforce_*` matches nothing: no fn or method has this name (it is matched as a name, not as a glob)\n\
         tenant-audit.toml:8:1: warning[TA902/unused-bypass]: `[[bypass]]` for `**` suppresses nothing\n"
    );
    let o = run(&["--fail-on", "warning"], p.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("help: did you mean `org_id`?"),
        "{}",
        stdout(&o)
    );
    // Off like any rule; a bypass cannot silence it.
    let o = run(
        &["-A", "unmatched-config", "-A", "TA902", "--format", "short"],
        p.path(),
    );
    assert_eq!(stdout(&o), "");
    let o = run(&["explain", "TA903"], p.path());
    assert!(stdout(&o).starts_with("# TA903 unmatched-config (default: warning)"));
}

#[test]
fn config_entries_matched_each_through_a_different_name_are_no_ta903() {
    // Every entry names something, each through another kind of name the workspace writes: a
    // parameter's type, a field's type, a `use` segment, a static's type, a call, a method
    // defined, an attribute, an enum and a table only a query touches. (Such a config is judged
    // on the names its entries ask about alone; every name of the workspace is read only when an
    // entry matches nothing, for the suggestion.)
    let lib = r#"use sqlx::PgPool;
use crate::auth::TenantKey;

pub mod auth {
    pub struct TenantKey;
}

pub static SESSIONS: std::sync::OnceLock<SessionStore> = std::sync::OnceLock::new();
pub struct SessionStore;

pub struct AppState {
    pub pool: PgPool,
    pub plans: PlanCache,
}
pub struct PlanCache;

impl PlanCache {
    pub fn cached_plan(&self) {}
}

pub enum Permission {
    Read,
}

#[instrument_tenant]
pub async fn list(org: OrgGuard, pool: &PgPool) {
    check_member();
    let _ = sqlx::query("SELECT id FROM audit_trail").fetch_all(pool).await;
}
"#;
    let config = "[tenant]\ncolumns = [\"org_id\"]\ntypes = [\"TenantKey\"]\nglobal-tables = [\"audit_trail\"]\n\n[handlers]\nguards = [\"OrgGuard\"]\nchecks = [\"check_member\"]\nlayers = [\"instrument_tenant\"]\n\n[scopes]\nenum = \"Permission\"\n\n[cache]\ninterfaces = [\"SessionStore\"]\nkey-builders = [\"cached_plan\"]\n";
    let p = project(&[("src/lib.rs", lib), ("tenant-audit.toml", config)]);
    let quiet = ["-A", "TA101", "-A", "TA103", "-A", "TA201"];
    let o = run(&[&quiet[..], &["--format", "short"]].concat(), p.path());
    assert_eq!(stdout(&o), "", "{}", stderr(&o));
    // One entry mistyped: that one is reported, with the closest name of the workspace.
    let typo = config.replace("\"OrgGuard\"", "\"OrgGaurd\"");
    let p = project(&[("src/lib.rs", lib), ("tenant-audit.toml", &typo)]);
    let o = run(&quiet, p.path());
    let out = stdout(&o);
    assert!(
        out.contains("`[handlers] guards` entry `OrgGaurd` matches nothing"),
        "{out}"
    );
    assert!(out.contains("did you mean `OrgGuard`?"), "{out}");
    assert_eq!(out.matches("TA903").count(), 1, "{out}");
}

#[test]
fn a_config_shared_by_several_workspaces_is_matched_against_all_of_them() {
    // A checkout with no Cargo.toml of its own and two workspaces below it (svix's `server/`
    // and `bridge/`), one config at the top: an entry used by one workspace is no TA903 in the
    // other, and an entry no workspace uses is reported once.
    let dir = tempfile::tempdir().unwrap();
    let manifest = |name: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\naxum = \"0.8\"\n")
    };
    let server = "use axum::{routing::get, Router};\n\npub fn app() -> Router {\n    Router::new().route(\"/orgs/{org}/keys\", get(keys))\n}\n\nasync fn keys() -> &'static str {\n    enforce_role();\n    \"[]\"\n}\n\nfn enforce_role() {}\n";
    let files = [
        ("server/Cargo.toml", manifest("server")),
        ("server/src/lib.rs", server.to_string()),
        ("bridge/Cargo.toml", manifest("bridge")),
        ("bridge/src/lib.rs", "pub fn relay() {}\n".to_string()),
        (
            "tenant-audit.toml",
            "[handlers]\nchecks = [\"enforce_role\", \"enforce_rol3\"]\n".to_string(),
        ),
    ];
    for (path, text) in &files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let o = run(&["--format", "short"], dir.path());
    assert_eq!(
        stdout(&o),
        "tenant-audit.toml:2:27: warning[TA903/unmatched-config]: `[handlers] checks` entry `enforce_rol3` matches nothing: no fn or method of the workspace has this name, and nothing calls it\n",
        "{}",
        stderr(&o)
    );
    let o = run(&["--format", "json"], dir.path());
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["summary"]["warnings"], 1, "{doc}");
    assert_eq!(doc["summary"]["errors"], 0, "{doc}");
    // The benchmark's floor parses what the audit reads: both workspaces.
    assert_eq!(doc["summary"]["files"], 2, "{doc}");
    let o = run(&["--parse-only"], dir.path());
    assert_eq!(stderr(&o), "parse-only: 2 file(s) parsed\n");
}

const CACHE: &str = r#"use redis::AsyncCommands;

pub async fn profile(con: &mut redis::aio::MultiplexedConnection, user_id: u64) -> Option<String> {
    con.get(format!("user:{user_id}")).await.ok()
}
"#;

fn cache_project(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let mut files = vec![
        (
            "Cargo.toml",
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\nredis = { version = \"0.27\", features = [\"tokio-comp\"] }\n",
        ),
        ("src/lib.rs", CACHE),
    ];
    files.extend_from_slice(extra);
    project(&files)
}

#[test]
fn help_texts_use_the_configured_tenant_column_and_identifiers() {
    let p = cache_project(&[(
        "tenant-audit.toml",
        "[tenant]\ncolumns = [\"workspace_id\"]\nidentifiers = [\"ctx.workspace\"]\n",
    )]);
    let o = run(&["--format", "json"], p.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["code"], "TA301", "{v:#}");
    // The human report wraps the help: compare with whitespace folded.
    let folded =
        |o: &std::process::Output| stdout(o).split_whitespace().collect::<Vec<_>>().join(" ");
    let out = folded(&run(&[], p.path()));
    assert!(
        out.contains("help: put the tenant in the key (e.g. `format!(\"workspace:{workspace_id}:..\")`, or `ctx.workspace`)"),
        "{out}"
    );
    assert!(!out.contains("org_id"), "{out}");
    // With the defaults, the first default column the schema has.
    let p = cache_project(&[(
        "migrations/0001.sql",
        "CREATE TABLE users (id BIGINT, team_id BIGINT, organization_id BIGINT);\n",
    )]);
    let out = folded(&run(&[], p.path()));
    assert!(
        out.contains("(e.g. `format!(\"organization:{organization_id}:..\")`) or use"),
        "{out}"
    );
}

#[test]
fn explain_names_the_configured_column_when_a_config_is_loaded() {
    let p = cache_project(&[(
        "tenant-audit.toml",
        "[tenant]\ncolumns = [\"workspace_id\"]\nidentifiers = [\"ctx.workspace\"]\n\n[cache]\nkey-builders = [\"ws_key\"]\n",
    )]);
    let o = run(&["explain", "TA301"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("format!(\"org:{org_id}:user:{user_id}\")"),
        "the example stays generic: {out}"
    );
    assert!(
        out.contains("## In this workspace\ntenant-audit.toml sets the tenant columns to `workspace_id`: read `org_id` in the examples as `workspace_id`.\nNames that also carry the tenant in a key: `ctx.workspace`. Tenant types: `WorkspaceId`. Key builders: `ws_key`."),
        "{out}"
    );
    // From a sub-folder, and with --manifest-path from elsewhere.
    std::fs::create_dir_all(p.path().join("src/api")).unwrap();
    let o = run(&["explain", "untenanted-query"], &p.path().join("src/api"));
    assert!(
        stdout(&o).contains("## In this workspace"),
        "{}",
        stdout(&o)
    );
    let manifest = p.path().join("Cargo.toml");
    let o = run(
        &[
            "explain",
            "TA101",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ],
        Path::new("/"),
    );
    assert!(
        stdout(&o).contains("Guards: none. Checks: none. Layers: none."),
        "{}",
        stdout(&o)
    );
    // No config: the docs alone.
    let plain = tempfile::tempdir().unwrap();
    let o = run(&["explain", "TA301"], plain.path());
    assert!(
        !stdout(&o).contains("## In this workspace"),
        "{}",
        stdout(&o)
    );
    // A broken config does not hide the docs.
    std::fs::write(
        p.path().join("tenant-audit.toml"),
        "[tenant]\ncolums = []\n",
    )
    .unwrap();
    let o = run(&["explain", "TA301"], p.path());
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("## How to fix"));
    assert!(stderr(&o).contains("colums"), "{}", stderr(&o));
    // A mistyped rule gets a suggestion.
    let o = run(&["explain", "TA2O1"], p.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `TA201`?"),
        "{}",
        stderr(&o)
    );
}
