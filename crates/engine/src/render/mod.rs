//! Renderers: each turns a [`Report`](crate::Report) into one output format. They only read data.

pub mod cargo;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
pub mod short;

use crate::diagnostic::Severity;
use crate::Report;
use std::io::{self, Write};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Short,
    Json,
    Sarif,
    Github,
    /// cargo's JSON messages, with `rendered` written as chosen.
    Cargo(cargo::Rendered),
}

impl Format {
    pub const NAMES: &'static [&'static str] =
        &["human", "short", "json", "sarif", "github", "cargo"];

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "human" | "full" | "text" => Some(Format::Human),
            "short" | "concise" => Some(Format::Short),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "github" => Some(Format::Github),
            "cargo" => Some(Format::Cargo(cargo::Rendered::Plain)),
            _ => None,
        }
    }
}

/// Rendering choices that are not part of the report.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub color: bool,
    /// SARIF: include bypassed findings with `suppressions`.
    pub include_bypassed: bool,
    /// Extra lines for the human summary (baseline, changed-files notes).
    pub notes: Vec<String>,
    /// `--fail-on` (None: error), for formats that say whether the run passed (cargo's
    /// `build-finished`).
    pub fail_on: Option<Severity>,
}

pub fn render(
    format: Format,
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, opts, out),
        Format::Short => short::render(report, out),
        Format::Json => json::render(report, out),
        Format::Sarif => sarif::render(report, opts, out),
        Format::Github => github::render(report, out),
        Format::Cargo(style) => cargo::render(report, style, opts, out),
    }
}

pub use crate::error::offset;

/// The text of a reported file (`file` relative to `root`), without a byte-order mark; None
/// when it cannot be read.
pub fn read_source(root: &Path, file: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join(file)).ok()?;
    Some(
        text.strip_prefix('\u{feff}')
            .map(String::from)
            .unwrap_or(text),
    )
}

/// The workspace root relative to the enclosing git checkout, with a trailing `/` (empty when
/// the root is the checkout or is not in one). SARIF and GitHub annotations need paths relative
/// to the repository, not to a workspace in a sub-folder of it. Found by looking for `.git`
/// upward from the root: no `git` process.
pub fn repo_prefix(root: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    for dir in root.ancestors() {
        if dir.join(".git").exists() {
            let rel = crate::workspace::rel_path(dir, &root);
            let rel = rel.trim_matches('/');
            return if rel.is_empty() {
                String::new()
            } else {
                format!("{rel}/")
            };
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_prefix_of_a_sub_folder() {
        let dir = std::env::temp_dir().join(format!("ta-prefix-{}", std::process::id()));
        let ws = dir.join("services/api");
        std::fs::create_dir_all(&ws).unwrap();
        assert!(!repo_prefix(&ws).starts_with("services"));
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        assert_eq!(repo_prefix(&ws), "services/api/");
        assert_eq!(repo_prefix(&dir), "");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
