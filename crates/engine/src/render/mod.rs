//! Renderers: each turns a [`Report`](crate::Report) into one output format. They only read data.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
pub mod short;

use crate::Report;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Short,
    Json,
    Sarif,
    Github,
}

impl Format {
    pub const NAMES: &'static [&'static str] = &["human", "short", "json", "sarif", "github"];

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "human" | "full" | "text" => Some(Format::Human),
            "short" | "concise" => Some(Format::Short),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "github" => Some(Format::Github),
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
    }
}

/// Byte offset of a 1-based line and column (in characters) in `text`.
pub fn offset(text: &str, line: u32, column: u32) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let col = (column.max(1) - 1) as usize;
            let within: usize = l.chars().take(col).map(char::len_utf8).sum();
            return off + within.min(l.len());
        }
        off += l.len();
    }
    text.len()
}
