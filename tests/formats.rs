//! Output formats end to end: snapshots of every format on a small project whose findings are
//! stable (tests/data/formats-project), SARIF validated against the 2.1.0 schema on several
//! runs, GitHub annotation escaping on awkward paths, several outputs from one run.

mod common;
use common::*;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn formats_project() -> PathBuf {
    root().join("tests/data/formats-project")
}

/// Runs with `args` and returns stdout, checking the exit code.
fn output(args: &[&str], dir: &Path, code: i32) -> String {
    let o = run(args, dir);
    assert_eq!(
        o.status.code(),
        Some(code),
        "args {args:?}\nstdout:\n{}\nstderr:\n{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// Snapshot settings: the tool version is redacted, so a release does not re-bless.
fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    let v = regex_escape(env!("CARGO_PKG_VERSION"));
    s.add_filter(
        &format!(r#""(version|semanticVersion)": "{v}""#),
        r#""$1": "[VERSION]""#,
    );
    s.set_prepend_module_to_snapshot(false);
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect()
}

// ---------------------------------------------------------------- snapshots of each format

#[test]
fn snapshot_short() {
    let out = output(&["--format", "short"], &formats_project(), 1);
    settings().bind(|| insta::assert_snapshot!("formats_short", out));
}

#[test]
fn snapshot_human_no_color() {
    let out = output(&["--no-color"], &formats_project(), 1);
    settings().bind(|| insta::assert_snapshot!("formats_human", out));
}

#[test]
fn snapshot_json() {
    let out = output(&["--format", "json"], &formats_project(), 1);
    serde_json::from_str::<Value>(&out).expect("valid JSON");
    settings().bind(|| insta::assert_snapshot!("formats_json", out));
}

#[test]
fn snapshot_sarif() {
    let out = output(&["--format", "sarif"], &formats_project(), 1);
    // Rule metadata carries each rule's docs, which other work edits: the snapshot keeps only
    // id and level (check_sarif checks every rule's fields).
    let mut v: Value = serde_json::from_str(&out).unwrap();
    let rules = &mut v["runs"][0]["tool"]["driver"]["rules"];
    let short: Vec<Value> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r["id"],
                "name": r["name"],
                "defaultConfiguration": r["defaultConfiguration"],
            })
        })
        .collect();
    *rules = Value::Array(short);
    let out = serde_json::to_string_pretty(&v).unwrap();
    settings().bind(|| insta::assert_snapshot!("formats_sarif", out));
}

#[test]
fn snapshot_sarif_with_bypassed() {
    let out = output(
        &["--format", "sarif", "--sarif-include-bypassed"],
        &formats_project(),
        1,
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    // Only the results differ from the default run: snapshot those.
    let results = serde_json::to_string_pretty(&v["runs"][0]["results"]).unwrap();
    settings().bind(|| insta::assert_snapshot!("formats_sarif_bypassed_results", results));
}

#[test]
fn snapshot_github() {
    let out = output(&["--format", "github"], &formats_project(), 1);
    settings().bind(|| insta::assert_snapshot!("formats_github", out));
}

// ---------------------------------------------------------------- SARIF against the schema

fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// Schema validation plus what the schema cannot say and GitHub needs.
fn check_sarif(text: &str, what: &str) -> Value {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: invalid SARIF:\n{}",
        errors.join("\n")
    );

    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().starts_with("https://"));
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{what}: one run");
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert!(run["automationDetails"]["id"]
        .as_str()
        .unwrap()
        .starts_with("tenant-audit/"));
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "cargo-tenant-audit");
    // The package's `repository` when it is set; left out, never a placeholder, while it is not.
    match option_env!("CARGO_PKG_REPOSITORY").filter(|u| !u.is_empty()) {
        Some(repo) => assert_eq!(driver["informationUri"], repo),
        None => assert!(driver.get("informationUri").is_none(), "{driver}"),
    }
    let rules = driver["rules"].as_array().unwrap();
    assert!(!rules.is_empty(), "{what}: rules always listed");
    for r in rules {
        for key in ["id", "name", "shortDescription", "fullDescription", "help"] {
            assert!(!r[key].is_null(), "{what}: rule without {key}: {r}");
        }
        assert!(r["help"]["text"].is_string() && r["help"]["markdown"].is_string());
        assert!(r["defaultConfiguration"]["level"].is_string());
    }
    let results = run["results"].as_array().expect("results is an array");
    for res in results {
        let i = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[i]["id"], res["ruleId"],
            "{what}: ruleIndex matches ruleId"
        );
        let locs = res["locations"].as_array().unwrap();
        assert_eq!(locs.len(), 1);
        let pl = &locs[0]["physicalLocation"];
        let uri = pl["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with("./") && !uri.starts_with('/') && !uri.contains('\\'),
            "{what}: repo-relative uri: {uri}"
        );
        assert!(pl["artifactLocation"]["uriBaseId"].is_null());
        // The OASIS errata schema requires one of these; we always give the line.
        assert!(pl["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(pl["region"]["startColumn"].as_u64().unwrap() >= 1);
        let fp = &res["partialFingerprints"]["tenantAudit/v1"];
        assert!(fp.as_str().is_some_and(|s| s.len() == 16), "{what}: {res}");
        assert!(res["partialFingerprints"]["primaryLocationLineHash"].is_null());
    }
    v
}

#[test]
fn sarif_is_valid_on_the_formats_project() {
    let out = output(&["--format", "sarif"], &formats_project(), 1);
    let v = check_sarif(&out, "formats-project");
    let results = v["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"TA101") && ids.contains(&"TA901") && ids.contains(&"TA902"));
    // The bypassed TA101 of `status` is left out by default.
    assert!(results.iter().all(|r| r["suppressions"].is_null()));
    assert!(!out.contains("public status page"));
    // Inside this repository, URIs carry the project's folder.
    let uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.starts_with("tests/data/formats-project/"), "{uri}");
    assert_eq!(
        v["runs"][0]["automationDetails"]["id"],
        "tenant-audit/tests/data/formats-project/"
    );
}

#[test]
fn sarif_bypassed_findings_only_on_request() {
    let out = output(
        &["--format", "sarif", "--sarif-include-bypassed"],
        &formats_project(),
        1,
    );
    let v = check_sarif(&out, "formats-project --sarif-include-bypassed");
    let suppressed: Vec<&Value> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["suppressions"].is_null())
        .collect();
    // `status` (a real reason) and `metrics` (a placeholder reason: TA901, still a bypass).
    assert_eq!(suppressed.len(), 2, "{out}");
    for r in &suppressed {
        assert_eq!(r["ruleId"], "TA101");
        assert_eq!(r["suppressions"][0]["kind"], "inSource");
    }
    assert_eq!(
        suppressed[0]["suppressions"][0]["justification"],
        "public status page, shows no tenant data"
    );
    assert_eq!(suppressed[1]["suppressions"][0]["justification"], "todo");
}

#[test]
fn sarif_is_valid_on_the_demo_project() {
    let demo = root().join("fixtures/projects/demo-saas");
    let o = run(&["--format", "sarif", "--sarif-include-bypassed"], &demo);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    check_sarif(&stdout(&o), "demo-saas");
}

#[test]
fn sarif_is_valid_on_plain_rule_fixtures() {
    for dir in ["bypass-without-reason", "unused-bypass", "parse-error"] {
        let d = root().join("fixtures/rules").join(dir);
        let o = run(&["--format", "sarif", "--sarif-include-bypassed"], &d);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{dir}: {}",
            stderr(&o)
        );
        check_sarif(&stdout(&o), dir);
    }
}

#[test]
fn sarif_of_a_clean_run_is_complete() {
    let p = project(&[(
        "src/lib.rs",
        "use axum::{routing::get, Router};\n\npub fn app() -> Router {\n    Router::new().route(\"/x\", get(x))\n}\n\n#[tenant_audit::requires(\"x:read\")]\nasync fn x() -> &'static str {\n    \"x\"\n}\n",
    )]);
    let out = output(&["--format", "sarif"], p.path(), 0);
    let v = check_sarif(&out, "clean");
    assert_eq!(v["runs"][0]["results"], serde_json::json!([]));
    assert!(!v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .is_empty());
    // Not in a git checkout: URIs and the category are workspace-relative.
    assert_eq!(v["runs"][0]["automationDetails"]["id"], "tenant-audit/");
}

// ---------------------------------------------------------------- GitHub annotations

const ODD_FILE: &str = r#"use axum::{routing::get, Router};

pub fn app() -> Router {
    Router::new().route("/a", get(open_handler))
}

pub async fn open_handler() -> &'static str {
    "a"
}
"#;

#[test]
fn github_annotations_escape_awkward_paths() {
    let p = project(&[
        // The module tree reaches the file through `#[path]`.
        (
            "src/lib.rs",
            "#[path = \"odd,dir:x/100%.rs\"]\npub mod odd;\n",
        ),
        ("src/odd,dir:x/100%.rs", ODD_FILE),
    ]);
    let out = output(&["--format", "github"], p.path(), 1);
    let line = out
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no annotation in:\n{out}"));
    assert!(
        line.starts_with("::error file=src/odd%2Cdir%3Ax/100%25.rs,line=7,"),
        "{line}"
    );
    assert!(
        line.contains(",title=TA101 unprotected-handler::"),
        "{line}"
    );
    // The message keeps its own punctuation, unescaped but for `%`, CR and LF.
    let msg = line.split_once("::").unwrap().1.split_once("::").unwrap().1;
    assert!(msg.contains("handler `open_handler`"), "{msg}");
    assert!(!msg.contains('\n'));
}

#[test]
fn github_annotation_shape() {
    let out = output(&["--format", "github"], &formats_project(), 1);
    let mut kinds = std::collections::BTreeSet::new();
    for l in out.lines() {
        let (cmd, rest) = l.split_once(' ').unwrap();
        kinds.insert(cmd.to_string());
        let (props, _msg) = rest.split_once("::").unwrap();
        let keys: Vec<&str> = props
            .split(',')
            .map(|kv| kv.split_once('=').unwrap().0)
            .collect();
        assert_eq!(keys.first(), Some(&"file"));
        assert!(keys.contains(&"line") && keys.contains(&"col") && keys.contains(&"title"));
    }
    // TA101/TA901 are errors, TA902 a warning.
    assert!(
        kinds.contains("::error") && kinds.contains("::warning"),
        "{kinds:?}"
    );
}

// ---------------------------------------------------------------- several outputs, one run

#[test]
fn several_outputs_from_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let json = dir.path().join("out.json");
    let gh = dir.path().join("annotations.txt");
    let o = run(
        &[
            "--format",
            "human",
            "--format",
            &format!("sarif={}", sarif.display()),
            "--format",
            &format!("json={}", json.display()),
            "--format",
            &format!("github={}", gh.display()),
            "--no-color",
        ],
        &formats_project(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let human = stdout(&o);
    assert!(human.contains("tenant-audit: "), "{human}");
    assert!(!human.contains("\"version\""), "only human on stdout");

    let s = std::fs::read_to_string(&sarif).unwrap();
    check_sarif(&s, "out.sarif");
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let g = std::fs::read_to_string(&gh).unwrap();

    // All describe the same findings.
    let active = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["bypassed"] == false)
        .count();
    let sarif_v: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(
        sarif_v["runs"][0]["results"].as_array().unwrap().len(),
        active
    );
    assert_eq!(g.lines().filter(|l| l.starts_with("::")).count(), active);
    // Same as a run with that format alone.
    let alone: Value =
        serde_json::from_str(&output(&["--format", "json"], &formats_project(), 1)).unwrap();
    assert_eq!(alone, j);
}

#[test]
fn unknown_format_is_a_usage_error() {
    let o = run(&["--format", "xml"], &formats_project());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown format"), "{}", stderr(&o));
}
