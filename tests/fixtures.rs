//! The fixture harness: every `.rs` file directly under `fixtures/rules/<rule-name>/` is audited
//! on its own (with the `tenant-audit.toml` beside it, if any), and every sub-folder is audited as
//! one project. Findings must equal the inline annotations, in both directions:
//!
//! ```text
//! let x = sqlx::query("SELECT * FROM invoices");
//! //~^ TA201            the finding is on the line above (one `^` per line up)
//! foo(); //~ TA301      the finding is on this line
//! ```
//!
//! Bypassed findings are not expected (they are not reported).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use tenant_audit_engine::{audit, Options};

type Key = (String, u32, String);

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules")
}

/// `(file relative to the case root, line, code)` of every annotation under `root`.
fn expected(case_root: &Path, files: &[PathBuf]) -> BTreeMap<Key, usize> {
    let mut out = BTreeMap::new();
    for f in files {
        let Ok(bytes) = std::fs::read(f) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let rel = f
            .strip_prefix(case_root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for (i, line) in text.lines().enumerate() {
            // `//~` in Rust, `#~` in the TOML config beside the case.
            let Some((pos, len)) = line
                .find("//~")
                .map(|p| (p, 3))
                .or_else(|| line.find("#~").map(|p| (p, 2)))
            else {
                continue;
            };
            let rest = &line[pos + len..];
            let ups = rest.chars().take_while(|c| *c == '^').count();
            let line_no = (i + 1) as u32 - ups as u32;
            for code in rest[ups..].split_whitespace() {
                if code.starts_with("TA") {
                    *out.entry((rel.clone(), line_no, code.to_string()))
                        .or_insert(0) += 1;
                } else {
                    break;
                }
            }
        }
    }
    out
}

fn rs_files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| e.into_path())
        .collect()
}

/// Audits one case; returns a readable diff when findings and annotations differ.
fn run_case(path: &Path, case_root: &Path, annotated: &[PathBuf]) -> Option<String> {
    let opts = Options {
        path: path.to_path_buf(),
        ..Options::default()
    };
    let report = match audit(&opts) {
        Ok(r) => r,
        Err(e) => return Some(format!("{}: audit failed: {e}", path.display())),
    };
    let mut actual: BTreeMap<Key, usize> = BTreeMap::new();
    let mut messages: BTreeMap<Key, String> = BTreeMap::new();
    for d in report.active() {
        let abs = report.root.join(&d.file);
        let rel = abs
            .strip_prefix(case_root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| d.file.clone());
        let key = (rel, d.span.start.line, d.code.to_string());
        *actual.entry(key.clone()).or_insert(0) += 1;
        messages.insert(key, d.message.clone());
    }
    let want = expected(case_root, annotated);
    if want == actual {
        return None;
    }
    let mut diff = format!("{}:\n", path.display());
    for (k, n) in &want {
        let got = actual.get(k).copied().unwrap_or(0);
        if got < *n {
            let _ = writeln!(
                diff,
                "  missing   {}:{} {} (expected by an annotation)",
                k.0, k.1, k.2
            );
        }
    }
    for (k, n) in &actual {
        let exp = want.get(k).copied().unwrap_or(0);
        if *n > exp {
            let _ = writeln!(
                diff,
                "  unexpected {}:{} {}: {}",
                k.0, k.1, k.2, messages[k]
            );
        }
    }
    Some(diff)
}

#[test]
fn rule_fixtures_match_their_annotations() {
    let root = fixtures_root();
    let mut failures = Vec::new();
    let mut cases = 0;
    let mut annotations = 0;
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/rules exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for entry in entries {
            let (target, case_root, files) = if entry.is_dir() {
                let manifest = entry.join("Cargo.toml");
                let target = if manifest.is_file() {
                    manifest
                } else {
                    entry.clone()
                };
                (target, entry.clone(), rs_files(&entry))
            } else if entry.extension().is_some_and(|x| x == "rs") {
                (entry.clone(), dir.clone(), vec![entry.clone()])
            } else {
                continue;
            };
            let mut files = files;
            let config = case_root.join("tenant-audit.toml");
            if config.is_file() {
                files.push(config);
            }
            cases += 1;
            annotations += expected(&case_root, &files).len();
            if let Some(d) = run_case(&target, &case_root, &files) {
                failures.push(d);
            }
        }
    }
    assert!(cases > 0, "no fixture cases found");
    assert!(
        annotations > 0,
        "no annotations found: the harness would assert nothing"
    );
    assert!(
        failures.is_empty(),
        "{} of {cases} fixture cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
