//! Baselines: `--write-baseline` records today's findings by fingerprint (unique within a run:
//! repeats carry an occurrence suffix; baselines written before that recorded them as one
//! fingerprint with a count, and still read right); `--baseline` reports only findings not in
//! it and says how many recorded entries are fixed, so the file can be pruned.

use crate::diagnostic::{base_fingerprint, Diagnostic};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub fingerprint: String,
    pub code: String,
    pub file: String,
    pub item: String,
    pub count: usize,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

impl Baseline {
    /// The active (not bypassed) findings, grouped by fingerprint.
    pub fn from_findings<'a>(diags: impl Iterator<Item = &'a Diagnostic>) -> Baseline {
        let mut map: BTreeMap<String, Entry> = BTreeMap::new();
        for d in diags {
            map.entry(d.fingerprint.clone())
                .and_modify(|e| e.count += 1)
                .or_insert_with(|| Entry {
                    fingerprint: d.fingerprint.clone(),
                    code: d.code.to_string(),
                    file: d.file.clone(),
                    item: d.item.clone(),
                    count: 1,
                    message: d.message.clone(),
                });
        }
        let mut findings: Vec<Entry> = map.into_values().collect();
        findings.sort_by(|a, b| {
            (&a.file, &a.code, &a.fingerprint).cmp(&(&b.file, &b.code, &b.fingerprint))
        });
        Baseline {
            version: 1,
            findings,
        }
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let text =
            serde_json::to_string_pretty(self).map_err(|e| Error::new(e.to_string()))? + "\n";
        std::fs::write(path, text)
            .map_err(|e| Error::in_file(format!("cannot write baseline: {e}"), path))
    }

    pub fn read(path: &Path) -> Result<Baseline> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::in_file(format!("cannot read baseline: {e}"), path))?;
        serde_json::from_str(&text).map_err(|e| {
            let off = crate::error::offset(&text, e.line() as u32, e.column() as u32);
            Error::at(
                format!("not a tenant-audit baseline: {e}"),
                &path.display().to_string(),
                &text,
                off..off,
            )
        })
    }

    /// Drops the findings the baseline already knows (bypassed ones stay, they are not
    /// counted); returns how many recorded findings no longer occur (fixed).
    pub fn filter(&self, diags: &mut Vec<Diagnostic>) -> usize {
        self.filter_scoped(diags, |_| true)
    }

    /// Like [`filter`](Self::filter), but counts as fixed only the recorded entries that are
    /// `in_scope`: a run restricted to some paths says nothing about findings elsewhere.
    pub fn filter_scoped(
        &self,
        diags: &mut Vec<Diagnostic>,
        in_scope: impl Fn(&Entry) -> bool,
    ) -> usize {
        let mut left: BTreeMap<&str, (usize, bool)> = BTreeMap::new();
        for e in &self.findings {
            let slot = left.entry(e.fingerprint.as_str()).or_insert((0, false));
            slot.0 += e.count;
            slot.1 |= in_scope(e);
        }
        diags.retain(|d| {
            if d.bypassed() {
                return true;
            }
            // A repeat (`fp-2`) written before fingerprints were numbered is recorded under the
            // plain fingerprint with a count: it is known there too.
            for fp in [d.fingerprint.as_str(), base_fingerprint(&d.fingerprint)] {
                if let Some((n, _)) = left.get_mut(fp) {
                    if *n > 0 {
                        *n -= 1;
                        return false;
                    }
                }
            }
            true
        });
        left.values()
            .filter(|(_, scoped)| *scoped)
            .map(|(n, _)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{fingerprint, Severity, Span, Suppression};

    fn diag(code: &'static str, file: &str, item: &str, snippet: &str, line: u32) -> Diagnostic {
        Diagnostic {
            code,
            name: "rule",
            severity: Severity::Error,
            message: format!("{code} in {item}"),
            file: file.into(),
            span: Span::point(line, 1),
            label: None,
            help: None,
            item: item.into(),
            fingerprint: fingerprint(code, file, item, snippet),
            snippet: snippet.into(),
            suppressed: None,
            reached_from: None,
        }
    }

    #[test]
    fn identical_findings_are_counted() {
        let q = "sqlx::query(\"SELECT * FROM invoices\")";
        let two = [
            diag("TA201", "src/a.rs", "a::f", q, 3),
            diag("TA201", "src/a.rs", "a::f", q, 9),
        ];
        let b = Baseline::from_findings(two.iter());
        assert_eq!(b.findings.len(), 1);
        assert_eq!(b.findings[0].count, 2);

        // Both still there: nothing new, nothing fixed.
        let mut now = two.to_vec();
        assert_eq!(b.filter(&mut now), 0);
        assert!(now.is_empty());

        // A third copy is new.
        let mut now = vec![
            two[0].clone(),
            two[1].clone(),
            diag("TA201", "src/a.rs", "a::f", q, 12),
        ];
        assert_eq!(b.filter(&mut now), 0);
        assert_eq!(now.len(), 1);

        // One of the two fixed.
        let mut now = vec![two[0].clone()];
        assert_eq!(b.filter(&mut now), 1);
        assert!(now.is_empty());
    }

    #[test]
    fn line_numbers_do_not_matter_and_bypassed_findings_stay() {
        let d = diag("TA101", "src/a.rs", "a::h", "a::h GET /x", 3);
        let b = Baseline::from_findings([d.clone()].iter());
        let mut moved = diag("TA101", "src/a.rs", "a::h", "a::h GET /x", 40);
        let mut bypassed = diag("TA101", "src/a.rs", "a::g", "a::g GET /y", 50);
        bypassed.suppressed = Some(Suppression {
            reason: "public".into(),
            at: "src/a.rs:49".into(),
        });
        let mut now = vec![moved.clone(), bypassed.clone()];
        assert_eq!(b.filter(&mut now), 0);
        assert_eq!(now, vec![bypassed]);
        moved.snippet = "a::h GET /z".into();
        assert_ne!(
            fingerprint("TA101", "src/a.rs", "a::h", &moved.snippet),
            d.fingerprint
        );
    }

    #[test]
    fn fixed_entries_out_of_scope_are_not_counted() {
        let a = diag("TA101", "src/a.rs", "a::h", "a::h GET /a", 3);
        let b_ = diag("TA101", "src/b.rs", "b::h", "b::h GET /b", 3);
        let base = Baseline::from_findings([a.clone(), b_].iter());
        // A run on src/a.rs only: b's entry is not reported fixed.
        let mut now = vec![a];
        assert_eq!(base.filter_scoped(&mut now, |e| e.file == "src/a.rs"), 0);
        let mut now = vec![];
        assert_eq!(base.filter_scoped(&mut now, |e| e.file == "src/a.rs"), 1);
        assert_eq!(base.filter(&mut vec![]), 2);
    }

    #[test]
    fn round_trip_and_readable_errors() {
        let d = diag("TA101", "src/a.rs", "a::h", "a::h GET /a", 3);
        let b = Baseline::from_findings([d].iter());
        let dir = std::env::temp_dir().join(format!("ta-baseline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("baseline.json");
        b.write(&p).unwrap();
        assert_eq!(Baseline::read(&p).unwrap(), b);
        std::fs::write(&p, "{\"version\": 1}").unwrap();
        assert!(Baseline::read(&p).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn numbered_repeats_and_baselines_written_before() {
        let q = "sqlx::query(\"SELECT * FROM invoices\")";
        let mut now = vec![
            diag("TA201", "src/a.rs", "a::f", q, 3),
            diag("TA201", "src/a.rs", "a::f", q, 9),
        ];
        crate::diagnostic::number_repeats(&mut now);
        // Today's baseline: two entries of one each.
        let b = Baseline::from_findings(now.iter());
        assert_eq!(b.findings.len(), 2);
        assert!(b.findings.iter().all(|e| e.count == 1));
        let mut again = now.clone();
        assert_eq!(b.filter(&mut again), 0);
        assert!(again.is_empty());
        // A baseline written before numbering: one entry counted twice. Still nothing new.
        let old = Baseline::from_findings(
            [
                diag("TA201", "src/a.rs", "a::f", q, 3),
                diag("TA201", "src/a.rs", "a::f", q, 9),
            ]
            .iter(),
        );
        assert_eq!(old.findings[0].count, 2);
        let mut again = now.clone();
        assert_eq!(old.filter(&mut again), 0);
        assert!(again.is_empty(), "{again:?}");
    }
}
