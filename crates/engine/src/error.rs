//! Errors that stop a run (exit 2): bad config, unreadable workspace, bad arguments.

use std::fmt;
use std::ops::Range;
use std::path::Path;

/// A located error: the file, the place, and what to do next.
#[derive(Debug, Clone)]
pub struct Error {
    pub message: String,
    /// File the error is about, as shown to the user.
    pub file: Option<String>,
    /// Source text and byte range, when the place is known.
    pub source: Option<(String, Range<usize>)>,
    pub help: Option<String>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            file: None,
            source: None,
            help: None,
        }
    }

    pub fn in_file(message: impl Into<String>, file: &Path) -> Error {
        Error {
            file: Some(file.display().to_string()),
            ..Error::new(message)
        }
    }

    pub fn at(message: impl Into<String>, file: &str, text: &str, range: Range<usize>) -> Error {
        let end = range.end.min(text.len());
        let start = range.start.min(end);
        Error {
            message: message.into(),
            file: Some(file.to_string()),
            source: Some((text.to_string(), start..end)),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Error {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column of the error's place, if known.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let (text, range) = self.source.as_ref()?;
        Some(line_col(text, range.start))
    }

    /// A miette report with the source snippet, for the terminal.
    pub fn to_report(&self) -> miette::Report {
        let mut diag = miette::MietteDiagnostic::new(self.headline());
        if let Some((_, range)) = &self.source {
            diag = diag.with_label(miette::LabeledSpan::at(range.clone(), "here"));
        }
        if let Some(help) = &self.help {
            diag = diag.with_help(help.clone());
        }
        let report = miette::Report::new(diag);
        match (&self.file, &self.source) {
            (Some(file), Some((text, _))) => {
                report.with_source_code(miette::NamedSource::new(file, text.clone()))
            }
            _ => report,
        }
    }

    fn headline(&self) -> String {
        match (&self.file, self.line_col()) {
            (Some(f), Some((l, c))) => format!("{f}:{l}:{c}: {}", self.message),
            (Some(f), None) => format!("{f}: {}", self.message),
            _ => self.message.clone(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub type Result<T> = std::result::Result<T, Error>;

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
