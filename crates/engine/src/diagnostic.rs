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

/// A route, as a finding names what reaches it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RouteRef {
    pub method: String,
    pub path: String,
    /// The handler's item path.
    pub handler: String,
    /// Where the handler is (SARIF's related location).
    #[serde(skip)]
    pub file: String,
    #[serde(skip)]
    pub line: u32,
}

impl RouteRef {
    /// `GET /x (api::x::handler)`
    pub fn describe(&self) -> String {
        format!("{} {} ({})", self.method, self.path, self.handler)
    }
}

/// The routes that reach a finding's code through the call graph.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reached {
    /// The first few, in path order.
    pub routes: Vec<RouteRef>,
    /// All of them.
    pub count: usize,
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
    /// Stable identity: rule + file + item + normalised snippet; never a line number. Unique
    /// within a run (see [`number_repeats`]).
    pub fingerprint: String,
    /// The text the fingerprint normalises (the flagged code, whitespace-folded).
    #[serde(skip)]
    pub snippet: String,
    pub suppressed: Option<Suppression>,
    /// For a query or cache finding: the routes that reach it (empty: no route does).
    #[serde(skip)]
    pub reached_from: Option<Reached>,
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

/// Makes fingerprints unique within a run. Findings arrive sorted in source order; the second
/// and later findings that share a fingerprint (two unscoped queries on one table in one fn)
/// get an occurrence suffix, `-2`, `-3`, ... The first keeps the plain fingerprint, so baselines
/// and dismissed alerts recorded before stay valid, and moving unrelated lines changes nothing
/// (the findings that share a fingerprint share a file and an item, so they keep their order).
pub fn number_repeats(diags: &mut [Diagnostic]) {
    let mut seen: foldhash::HashMap<String, usize> = foldhash::HashMap::default();
    for d in diags.iter_mut() {
        let n = seen.entry(d.fingerprint.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            d.fingerprint = format!("{}-{n}", d.fingerprint);
        }
    }
}

/// The fingerprint without its occurrence suffix (`3f..a1-2` -> `3f..a1`).
pub fn base_fingerprint(fingerprint: &str) -> &str {
    match fingerprint.rsplit_once('-') {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => fingerprint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diag(line: u32, snippet: &str) -> Diagnostic {
        Diagnostic {
            code: "TA201",
            name: "untenanted-query",
            severity: Severity::Error,
            message: String::new(),
            file: "src/a.rs".into(),
            span: Span::point(line, 5),
            label: None,
            help: None,
            item: "a::f".into(),
            fingerprint: fingerprint("TA201", "src/a.rs", "a::f", snippet),
            snippet: snippet.into(),
            suppressed: None,
            reached_from: None,
        }
    }

    #[test]
    fn repeated_fingerprints_are_numbered_in_source_order() {
        let q = "sqlx::query(\"SELECT * FROM invoices\")";
        let mut diags = vec![diag(3, q), diag(5, "other"), diag(9, q), diag(12, q)];
        let plain = diags[0].fingerprint.clone();
        number_repeats(&mut diags);
        let fps: Vec<&str> = diags.iter().map(|d| d.fingerprint.as_str()).collect();
        assert_eq!(fps[0], plain);
        assert_eq!(fps[2], format!("{plain}-2"));
        assert_eq!(fps[3], format!("{plain}-3"));
        assert!(!fps[1].contains('-'));
        assert_eq!(base_fingerprint(fps[3]), plain);
        assert_eq!(base_fingerprint(&plain), plain);
        // Unrelated lines moved: the same numbers.
        let mut moved = vec![diag(30, q), diag(50, "other"), diag(90, q), diag(120, q)];
        number_repeats(&mut moved);
        let again: Vec<&str> = moved.iter().map(|d| d.fingerprint.as_str()).collect();
        assert_eq!(fps, again);
    }
}
