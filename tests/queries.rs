//! Queries end to end on a project whose SQL is handed to helpers: each helper's query is judged
//! with what its callers pass, the finding names the caller, and says which routes reach it.

mod common;
use common::*;

use serde_json::Value;
use std::path::PathBuf;

fn helpers_project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules/untenanted-query/sqlx-helpers")
}

fn json() -> (String, Value) {
    let o = run(&["--format", "json"], &helpers_project());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let v = serde_json::from_str(&out).expect("valid JSON");
    (out, v)
}

#[test]
fn a_helpers_query_names_its_caller_and_the_routes_that_reach_it() {
    let (_, v) = json();
    let findings = v["findings"].as_array().unwrap();
    let at = |file: &str| {
        findings
            .iter()
            .find(|f| f["file"] == file)
            .unwrap_or_else(|| panic!("no finding in {file}: {findings:#?}"))
    };
    // `db::execute` runs the SQL of `api::trash` (through `execute_logged`): reached from two
    // routes, through `remove` (scoped SQL) and `trash` (unscoped).
    let helper = at("src/db/mod.rs");
    assert_eq!(helper["code"], "TA201");
    assert!(
        helper["message"]
            .as_str()
            .unwrap()
            .ends_with("(the SQL passed by the caller at src/api/mod.rs:32)"),
        "{helper:#}"
    );
    assert_eq!(helper["reached_from_count"], 2, "{helper:#}");
    // The nightly sweep: no route.
    let job = at("src/jobs.rs");
    assert_eq!(job["reached_from_count"], 0, "{job:#}");
    assert_eq!(job["reached_from"], Value::Array(Vec::new()));
    assert_eq!(findings.len(), 2, "{findings:#?}");
}

#[test]
fn snapshot_helpers_json() {
    let (out, _) = json();
    let mut s = insta::Settings::clone_current();
    s.add_filter(
        &format!(
            r#""version": "{}""#,
            env!("CARGO_PKG_VERSION").replace('.', r"\.")
        ),
        r#""version": "[VERSION]""#,
    );
    s.set_prepend_module_to_snapshot(false);
    s.bind(|| insta::assert_snapshot!("queries_helpers_json", out));
}
