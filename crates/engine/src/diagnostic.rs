//! The one finding type every rule produces and every renderer reads.

use serde::Serialize;
use std::fmt;

/// How bad a finding is. Ordered: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" | "deny" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "note" | "info" => Some(Severity::Note),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 1-based line and column (columns count Unicode code points).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// A region of one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    /// Converts a proc-macro2 span (1-based lines, 0-based columns) into ours.
    pub fn from_pm2(span: proc_macro2::Span) -> Span {
        let s = span.start();
        let e = span.end();
        Span {
            start: Pos {
                line: s.line as u32,
                column: s.column as u32 + 1,
            },
            end: Pos {
                line: e.line as u32,
                column: e.column as u32 + 1,
            },
        }
    }

    pub fn point(line: u32, column: u32) -> Span {
        let p = Pos { line, column };
        Span { start: p, end: p }
    }

    /// True when `other` lies within this span.
    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// A bypass that covers a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub reason: String,
    /// `file:line` of the bypass.
    pub at: String,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Path relative to the workspace root, `/`-separated.
    pub file: String,
    pub span: Span,
    /// Short text shown under the highlighted source.
    pub label: Option<String>,
    /// How to fix or bypass it.
    pub help: Option<String>,
    /// Enclosing item path, e.g. `api::invoices::delete_invoice` (empty at file level).
    pub item: String,
    /// Stable identity: rule + file + item + normalised snippet; never a line number.
    pub fingerprint: String,
    /// The text the fingerprint normalises (the flagged code, whitespace-folded).
    #[serde(skip)]
    pub snippet: String,
    pub suppressed: Option<Suppression>,
}

impl Diagnostic {
    pub fn bypassed(&self) -> bool {
        self.suppressed.is_some()
    }

    /// Sort key: file, line, column, code.
    pub fn sort_key(&self) -> (&str, Pos, &str, &str) {
        (&self.file, self.span.start, self.code, &self.message)
    }
}

/// Computes the stable fingerprint of a finding.
pub fn fingerprint(code: &str, file: &str, item: &str, snippet: &str) -> String {
    use sha2::{Digest, Sha256};
    let normalised: String = snippet.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut h = Sha256::new();
    for part in [code, file, item, &normalised] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}
