//! The demo project's exact findings, pinned: the README's main command audits it.

use std::process::Command;

fn audit_demo(format: &str) -> (Option<i32>, String) {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-tenant-audit"))
        .args([
            "--manifest-path",
            "fixtures/projects/demo-saas/Cargo.toml",
            "--format",
            format,
        ])
        .current_dir(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Every deliberate leak of `fixtures/projects/demo-saas/README.md`, and nothing else.
#[test]
fn demo_findings_are_exactly_the_documented_leaks() {
    let (code, out) = audit_demo("short");
    assert_eq!(code, Some(1), "{out}");
    let got: Vec<String> = out
        .lines()
        .map(|l| {
            let mut parts = l.splitn(5, ':');
            let (f, line, col) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let code = l.split('[').nth(1).unwrap().split('/').next().unwrap();
            format!("{code} {f}:{line}:{col}")
        })
        .collect();
    let want = [
        "TA202 src/api/invoices.rs:55:20",
        "TA201 src/api/invoices.rs:151:19",
        "TA201 src/api/projects.rs:33:21",
        "TA201 src/api/projects.rs:47:19",
        "TA101 src/api/users.rs:73:14",
        "TA103 src/auth.rs:26:5",
        "TA301 src/cache.rs:52:31",
        "TA301 src/cache.rs:57:5",
    ];
    assert_eq!(got, want, "full output:\n{out}");
}

/// The whole short output, so wording changes are reviewed.
#[test]
fn demo_short_output_snapshot() {
    let (_, out) = audit_demo("short");
    insta::assert_snapshot!(out);
}

/// The JSON summary counts what the demo has, and the two bypassed findings stay, marked.
#[test]
fn demo_json_summary() {
    let (_, out) = audit_demo("json");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let s = &v["summary"];
    assert_eq!(s["handlers"], 15);
    assert_eq!(s["errors"], 6);
    assert_eq!(s["warnings"], 1);
    assert_eq!(s["notes"], 1);
    assert!(s["queries"].as_u64().unwrap() >= 15, "{s}");
    assert!(s["cache_calls"].as_u64().unwrap() >= 5, "{s}");
    let bypassed: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["bypassed"] == true)
        .map(|f| {
            format!(
                "{} {}:{}",
                f["code"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"]
            )
        })
        .collect();
    assert_eq!(
        bypassed,
        ["TA201 src/api/admin.rs:35", "TA101 src/api/health.rs:11"]
    );
}
