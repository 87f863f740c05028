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
    pub source: Option<Box<(String, Range<usize>)>>,
    pub help: Option<String>,
    /// Further errors of the same kind reported together (every problem of a config file).
    pub also: Vec<Error>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            file: None,
            source: None,
            help: None,
            also: Vec::new(),
        }
    }

    /// One error standing for several, in order (None when there are none).
    pub fn many(errors: Vec<Error>) -> Option<Error> {
        let mut it = errors.into_iter();
        let mut first = it.next()?;
        first.also = it.collect();
        Some(first)
    }

    /// This error and the ones reported with it.
    pub fn all(&self) -> impl Iterator<Item = &Error> {
        std::iter::once(self).chain(self.also.iter())
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
            source: Some(Box::new((text.to_string(), start..end))),
            help: None,
            also: Vec::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Error {
        self.help = Some(help.into());
        self
    }

    /// 1-based line and column of the error's place, if known.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let (text, range) = self.source.as_deref()?;
        Some(line_col(text, range.start))
    }

    /// A miette report with the source snippet, for the terminal.
    pub fn to_report(&self) -> miette::Report {
        let mut diag = miette::MietteDiagnostic::new(self.headline());
        if let Some((_, range)) = self.source.as_deref() {
            diag = diag.with_label(miette::LabeledSpan::at(range.clone(), "here"));
        }
        if let Some(help) = &self.help {
            diag = diag.with_help(help.clone());
        }
        let report = miette::Report::new(diag);
        match (&self.file, self.source.as_deref()) {
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
        for (i, e) in self.all().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str(&e.headline())?;
            if let Some(help) = &e.help {
                write!(f, "\n  help: {help}")?;
            }
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

/// The candidate closest to a mistyped `word` (`route` -> `routes`, `chek` -> `check`,
/// `colums` -> `columns`), if one is close enough to be what was meant: a prefix of at least
/// three characters, or at most one edit in three characters (a swap of neighbours is one edit).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let lc = c.to_ascii_lowercase();
        let d = if word.len() >= 3 && lc.starts_with(&word) {
            1
        } else {
            edit_distance(&word, &lc)
        };
        let allowed = (lc.chars().count().max(word.chars().count()) / 3).max(1);
        // Ties go to the first name in byte order: the same help whatever order the names
        // come in.
        if d <= allowed && best.is_none_or(|(bd, bc)| d < bd || d == bd && c < bc) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbouring characters each cost one.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * w + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut v = (d[(i - 1) * w + j] + 1)
                    .min(d[i * w + j - 1] + 1)
                    .min(d[(i - 1) * w + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    v = v.min(d[(i - 2) * w + j - 2] + 1);
                }
                v
            };
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_words() {
        let subcommands = ["check", "init", "rules", "explain", "bypasses", "routes"];
        assert_eq!(closest("route", subcommands), Some("routes"));
        assert_eq!(closest("chek", subcommands), Some("check"));
        assert_eq!(closest("explian", subcommands), Some("explain"));
        assert_eq!(closest("bypass", subcommands), Some("bypasses"));
        assert_eq!(closest("RULE", subcommands), Some("rules"));
        assert_eq!(closest("completions", subcommands), None);
        assert_eq!(closest("src", subcommands), None);
        assert_eq!(closest("api", subcommands), None);
        assert_eq!(
            closest("colums", ["columns", "identifiers"]),
            Some("columns")
        );
        assert_eq!(edit_distance("abc", "acb"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
