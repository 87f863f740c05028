//! Baselines: `--write-baseline` records today's findings by fingerprint (with a count, so two
//! identical findings in one fn are two); `--baseline` reports only findings not in it and says
//! how many recorded entries are fixed, so the file can be pruned.

use crate::diagnostic::Diagnostic;
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
            let off = crate::render::offset(&text, e.line() as u32, e.column() as u32);
            Error::at(
                format!("not a tenant-audit baseline: {e}"),
                &path.display().to_string(),
                &text,
                off..off,
            )
        })
    }

    /// Marks the findings the baseline already knows as known; returns how many recorded
    /// findings no longer occur (fixed).
    pub fn filter(&self, diags: &mut Vec<Diagnostic>) -> usize {
        let mut left: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.findings {
            *left.entry(e.fingerprint.as_str()).or_default() += e.count;
        }
        diags.retain(|d| {
            if d.bypassed() {
                return true;
            }
            match left.get_mut(d.fingerprint.as_str()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        left.values().sum()
    }
}
