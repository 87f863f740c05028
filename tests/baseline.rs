//! Baselines end to end: `--write-baseline` then `--baseline` on an edited copy. Fingerprints
//! must survive lines inserted above, reformatting and other fns being added, and must change
//! when the finding's own code changes. Identical findings get fingerprints of their own.

mod common;
use common::*;

use std::path::Path;

const MANIFEST: &str = "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\naxum = \"0.8\"\n";

const LIB: &str = "pub mod api;\n";

/// TA101 on `list_invoices`; `export` holds two identical unused bypasses (TA902 twice, one
/// fingerprint); `metrics` has a placeholder reason (TA901).
const API: &str = r#"use axum::{routing::get, Router};
use tenant_audit::tenant_bypass;

pub fn app() -> Router {
    Router::new()
        .route("/orgs/{org}/invoices", get(list_invoices))
        .route("/metrics", get(metrics))
}

pub async fn list_invoices() -> &'static str {
    "[]"
}

#[tenant_bypass(reason = "todo")]
pub async fn metrics() -> &'static str {
    "0"
}

pub fn export() -> u32 {
    let a = tenant_audit::expr::tenant_bypass!(reason = "sums every org for the finance report", 1);
    let b = tenant_audit::expr::tenant_bypass!(reason = "sums every org for the finance report", 2);
    a + b
}
"#;

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(api: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), MANIFEST).unwrap();
        std::fs::write(dir.path().join("src/lib.rs"), LIB).unwrap();
        std::fs::write(dir.path().join("src/api.rs"), api).unwrap();
        let p = Project { dir };
        let o = run(
            &["--write-baseline", "baseline.json", "--format", "short"],
            p.path(),
        );
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        p
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn edit(&self, api: &str) {
        std::fs::write(self.path().join("src/api.rs"), api).unwrap();
    }

    /// New findings (short format) and the baseline note, after an edit.
    fn check(&self) -> (Vec<String>, String, Option<i32>) {
        let o = run(
            &["--baseline", "baseline.json", "--format", "short"],
            self.path(),
        );
        let lines = text(&o.stdout).lines().map(String::from).collect();
        (lines, text(&o.stderr), o.status.code())
    }
}

fn fixed(note: &str) -> usize {
    let i = note
        .find("recorded finding(s) no longer occur")
        .expect(note);
    note[..i]
        .rsplit(' ')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {note}"))
}

#[test]
fn baseline_records_counts_per_fingerprint() {
    let p = Project::new(API);
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(b["version"], 1);
    let entries = b["findings"].as_array().unwrap();
    let codes: Vec<(&str, u64)> = entries
        .iter()
        .map(|e| (e["code"].as_str().unwrap(), e["count"].as_u64().unwrap()))
        .collect();
    assert!(codes.contains(&("TA101", 1)), "{b}");
    assert!(codes.contains(&("TA901", 1)), "{b}");
    // The two identical unused bypasses of `export` are two entries: fingerprints are unique
    // within a run (the second has an occurrence suffix).
    let ta902: Vec<&str> = entries
        .iter()
        .filter(|e| e["code"] == "TA902")
        .map(|e| e["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(ta902.len(), 2, "{b}");
    assert!(codes.contains(&("TA902", 1)), "{b}");
    let (plain, repeat) = if ta902[0].len() < ta902[1].len() {
        (ta902[0], ta902[1])
    } else {
        (ta902[1], ta902[0])
    };
    assert_eq!(repeat, format!("{plain}-2"));
    // No line numbers anywhere in it.
    assert!(entries.iter().all(|e| e.get("line").is_none()));
}

#[test]
fn unchanged_code_reports_nothing() {
    let p = Project::new(API);
    let (new, note, code) = p.check();
    assert!(new.is_empty(), "{new:?}");
    assert_eq!(code, Some(0));
    assert_eq!(fixed(&note), 0, "{note}");
}

#[test]
fn fingerprints_survive_lines_inserted_above() {
    let p = Project::new(API);
    p.edit(&format!(
        "//! Invoices API.\n//!\n//! Lots of new documentation\n//! on several lines.\n\nuse std::fmt::Debug;\n\n{API}"
    ));
    let (new, note, code) = p.check();
    assert!(new.is_empty(), "{new:?}");
    assert_eq!((code, fixed(&note)), (Some(0), 0), "{note}");
}

#[test]
fn fingerprints_survive_reformatting() {
    let p = Project::new(API);
    let reformatted = r#"use axum::{routing::get, Router};
use tenant_audit::tenant_bypass;

pub fn app() -> Router { Router::new().route("/orgs/{org}/invoices", get(list_invoices)).route("/metrics", get(metrics)) }

pub async fn list_invoices()
    -> &'static str
{
        "[]"
}

#[tenant_bypass(
    reason = "todo",
)]
pub async fn metrics() -> &'static str { "0" }

pub fn export() -> u32 {
    let a = tenant_audit::expr::tenant_bypass!(
        reason = "sums every org for the finance report",
        1
    );
    let b = tenant_audit::expr::tenant_bypass!(reason = "sums every org for the finance report",   2);
    a + b
}
"#;
    p.edit(reformatted);
    let (new, note, code) = p.check();
    assert!(new.is_empty(), "{new:?}");
    assert_eq!((code, fixed(&note)), (Some(0), 0), "{note}");
}

#[test]
fn fingerprints_survive_other_fns_added() {
    let p = Project::new(API);
    let more = API
        .replace(
            "        .route(\"/metrics\", get(metrics))",
            "        .route(\"/orgs/{org}/users\", get(list_users))\n        .route(\"/metrics\", get(metrics))",
        )
        .replace(
            "pub async fn list_invoices()",
            "pub fn helper() -> u32 {\n    1\n}\n\npub async fn list_users() -> &'static str {\n    \"[]\"\n}\n\npub async fn list_invoices()",
        );
    p.edit(&more);
    let (new, note, code) = p.check();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(
        new[0].contains("TA101") && new[0].contains("list_users"),
        "{new:?}"
    );
    assert_eq!((code, fixed(&note)), (Some(1), 0), "{note}");
}

#[test]
fn fingerprints_change_with_the_findings_own_code() {
    let p = Project::new(API);
    // The route of the unprotected handler changes: a new finding, the old entry fixed.
    p.edit(&API.replace("/orgs/{org}/invoices", "/orgs/{org}/invoices/all"));
    let (new, note, code) = p.check();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("TA101"), "{new:?}");
    assert_eq!((code, fixed(&note)), (Some(1), 1), "{note}");

    // The placeholder reason changes to another placeholder: TA901 is new again.
    p.edit(&API.replace("reason = \"todo\"", "reason = \"fixme\""));
    let (new, note, _) = p.check();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("TA901"), "{new:?}");
    assert_eq!(fixed(&note), 1, "{note}");
}

#[test]
fn identical_findings_are_counted() {
    let p = Project::new(API);
    // One of the two identical bypasses removed: nothing new, one entry fixed.
    p.edit(&API.replace(
        "    let b = tenant_audit::expr::tenant_bypass!(reason = \"sums every org for the finance report\", 2);\n",
        "    let b = 2;\n",
    ));
    let (new, note, _) = p.check();
    assert!(new.is_empty(), "{new:?}");
    assert_eq!(fixed(&note), 1, "{note}");

    // A third identical one: one new finding.
    p.edit(&API.replace(
        "    a + b\n",
        "    let c = tenant_audit::expr::tenant_bypass!(reason = \"sums every org for the finance report\", 3);\n    a + b + c\n",
    ));
    let (new, note, _) = p.check();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("TA902"), "{new:?}");
    assert_eq!(fixed(&note), 0, "{note}");
}

#[test]
fn fixed_count_is_limited_to_the_given_paths() {
    let p = Project::new(API);
    std::fs::write(p.path().join("src/other.rs"), "pub fn f() {}\n").unwrap();
    // Auditing only src/other.rs: the entries of src/api.rs are out of sight, not fixed.
    let o = run(
        &[
            "--baseline",
            "baseline.json",
            "--format",
            "short",
            "src/other.rs",
        ],
        p.path(),
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(fixed(&text(&o.stderr)), 0, "{}", text(&o.stderr));
}

#[test]
fn baseline_note_in_the_human_summary() {
    let p = Project::new(API);
    p.edit(&API.replace("/orgs/{org}/invoices", "/orgs/{org}/bills"));
    let o = run(&["--baseline", "baseline.json", "--no-color"], p.path());
    let out = text(&o.stdout);
    assert!(
        out.contains(
            "1 recorded finding(s) no longer occur (run with --write-baseline to prune it)"
        ),
        "{out}"
    );
    assert!(out.contains("1 error"), "{out}");
}

#[test]
fn a_broken_baseline_is_a_usage_error() {
    let p = Project::new(API);
    std::fs::write(p.path().join("baseline.json"), "{ not json").unwrap();
    let o = run(&["--baseline", "baseline.json"], p.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("baseline"), "{}", text(&o.stderr));
}

/// Two unscoped queries on one table in one fn: before fingerprints were numbered they shared
/// one, so GitHub code scanning merged them into one alert and hid the second.
const QUERIES: &str = r#"pub async fn twice(db: &sqlx::PgPool) {
    let _ = sqlx::query("SELECT * FROM invoices WHERE id = $1").fetch_one(db).await;
    let _ = sqlx::query("SELECT * FROM invoices WHERE id = $1").fetch_one(db).await;
}
"#;

fn query_project(body: &str) -> tempfile::TempDir {
    let p = project(&[
        (
            "Cargo.toml",
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\nsqlx = \"0.8\"\n",
        ),
        ("src/lib.rs", body),
    ]);
    let o = run(
        &["--write-baseline", "baseline.json", "--format", "short"],
        p.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    p
}

fn fingerprints(dir: &Path) -> Vec<String> {
    let o = run(&["--format", "json"], dir);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn findings_that_used_to_collide_have_fingerprints_of_their_own() {
    let p = query_project(QUERIES);
    let fps = fingerprints(p.path());
    assert_eq!(fps.len(), 2, "{fps:?}");
    assert_eq!(
        fps[1],
        format!("{}-2", fps[0]),
        "the first keeps the plain fingerprint"
    );
    // SARIF too: two results, two partial fingerprints.
    let o = run(&["--format", "sarif"], p.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sarif: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partialFingerprints"]["tenantAudit/v1"].as_str().unwrap())
        .collect();
    assert_eq!(sarif, [fps[0].as_str(), fps[1].as_str()]);

    // Unrelated lines above: the same two fingerprints, nothing new.
    let moved = format!("//! Billing.\n\npub fn helper() -> u32 {{\n    1\n}}\n\n{QUERIES}");
    let (code, out, note) = edited(p.path(), &moved);
    assert_eq!((code, fixed(&note)), (Some(0), 0), "{out}");
    assert_eq!(fingerprints(p.path()), fps);

    // One of the two fixed: nothing new, one recorded finding gone.
    let query =
        "    let _ = sqlx::query(\"SELECT * FROM invoices WHERE id = $1\").fetch_one(db).await;\n";
    let (code, out, note) = edited(p.path(), &QUERIES.replacen(query, "", 1));
    assert_eq!((code, fixed(&note)), (Some(0), 1), "{out}{note}");

    // A third copy is new.
    let (code, out, _) = edited(p.path(), &QUERIES.replace("}\n", &format!("{query}}}\n")));
    assert_eq!(code, Some(1));
    assert_eq!(out.lines().count(), 1, "{out}");
}

/// Writes src/lib.rs and runs against baseline.json: (exit code, findings, stderr).
fn edited(dir: &Path, lib: &str) -> (Option<i32>, String, String) {
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let o = run(&["--baseline", "baseline.json", "--format", "short"], dir);
    (o.status.code(), text(&o.stdout), text(&o.stderr))
}

#[test]
fn a_baseline_that_counted_repeats_still_covers_them() {
    let p = query_project(QUERIES);
    let fps = fingerprints(p.path());
    // The shape --write-baseline wrote before fingerprints were numbered.
    let old = serde_json::json!({"version": 1, "findings": [{
        "fingerprint": fps[0], "code": "TA201", "file": "src/lib.rs", "item": "twice",
        "count": 2, "message": "sqlx query touches tenant-owned table `invoices` without a tenant predicate"
    }]});
    std::fs::write(p.path().join("old.json"), old.to_string()).unwrap();
    let o = run(&["--baseline", "old.json", "--format", "short"], p.path());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert_eq!(fixed(&text(&o.stderr)), 0, "{}", text(&o.stderr));
}
