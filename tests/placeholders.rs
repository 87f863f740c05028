//! No placeholder reaches a user: the README, docs/, the Action, the pre-commit hooks, the
//! facade crate's docs, `--help` and the SARIF output carry no `<owner>` and no
//! `example.invalid`. Where a user must choose (where they host the tool, since it has no public
//! release), the text says so on the line: "replace with where you host it".

mod common;
use common::*;

use std::path::{Path, PathBuf};

const PLACEHOLDERS: &[&str] = &["<owner>", "example.invalid", "OWNER/", "your-name"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every user-facing text file of the repository.
fn user_facing() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "action.yml", ".pre-commit-hooks.yaml"]
        .iter()
        .map(|f| root().join(f))
        .collect();
    for dir in ["docs", "crates/tenant-audit/src", "fixtures/projects"] {
        for e in walkdir::WalkDir::new(root().join(dir))
            .into_iter()
            .flatten()
        {
            let p = e.path();
            let wanted = p.extension().is_some_and(|x| x == "md" || x == "rs")
                && !p.components().any(|c| c.as_os_str() == "target");
            if e.file_type().is_file() && wanted {
                files.push(p.to_path_buf());
            }
        }
    }
    files
}

fn no_placeholder(what: &str, text: &str) {
    for (i, line) in text.lines().enumerate() {
        for p in PLACEHOLDERS {
            assert!(
                !line.contains(p),
                "{what}:{}: placeholder `{p}`: {line}",
                i + 1
            );
        }
        if line.contains("your-org/") {
            assert!(
                line.contains("replace with where you host it")
                    || line.contains("written `your-org/cargo-tenant-audit`"),
                "{what}:{}: `your-org/` without saying to replace it: {line}",
                i + 1
            );
        }
    }
}

#[test]
fn no_placeholder_in_user_facing_text() {
    let files = user_facing();
    assert!(files.len() > 5, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        no_placeholder(&f.display().to_string(), &text);
    }
}

#[test]
fn no_placeholder_in_sarif_or_help() {
    let demo = root().join("fixtures/projects/demo-saas");
    let o = run(&["--format", "sarif"], &demo);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    no_placeholder("SARIF of the demo", &stdout(&o));
    for args in [
        &["--help"][..],
        &["explain", "--help"][..],
        &["routes", "--help"][..],
    ] {
        let o = run(args, &demo);
        assert_eq!(o.status.code(), Some(0));
        no_placeholder(&format!("{args:?}"), &stdout(&o));
    }
}

/// The checker itself: it must be able to fail.
#[test]
#[should_panic(expected = "placeholder `<owner>`")]
fn the_check_catches_a_placeholder() {
    no_placeholder("snippet", "  - uses: <owner>/cargo-tenant-audit@v0.1.0\n");
}

#[test]
#[should_panic(expected = "without saying to replace it")]
fn the_check_wants_the_note_where_a_user_must_choose() {
    no_placeholder("snippet", "  - uses: your-org/cargo-tenant-audit@v0.1.0\n");
}
