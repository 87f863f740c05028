//! GitHub Actions workflow commands (`--format github`), one annotation a finding:
//! `::error file=src/a.rs,line=3,endLine=3,col=5,endColumn=9,title=TA201 untenanted-query::message`.
//!
//! Escaping follows `@actions/core` (toolkit `command.ts`): in the message `%`, `\r`, `\n`; in
//! property values also `:` and `,` (an unescaped comma in a path silently drops the annotation).
//! Paths are relative to the repository, as GitHub wants them. GitHub shows at most 10 error and
//! 10 warning annotations a step; when there are more, a plain line says so (the full list is in
//! the other formats).

use super::repo_prefix;
use crate::diagnostic::Severity;
use crate::Report;
use std::io::{self, Write};

/// GitHub's limit of annotations shown per step and per kind.
pub const SHOWN_PER_STEP: usize = 10;

/// Escapes the message of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let prefix = repo_prefix(&report.root);
    let (mut errors, mut warnings) = (0, 0);
    for d in report.active() {
        match d.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
            Severity::Note => {}
        }
        let mut props = vec![
            format!("file={}", escape_property(&format!("{prefix}{}", d.file))),
            format!("line={}", d.span.start.line.max(1)),
        ];
        if d.span.end.line >= d.span.start.line && d.span.end.line > 0 {
            props.push(format!("endLine={}", d.span.end.line));
        }
        props.push(format!("col={}", d.span.start.column.max(1)));
        if d.span.end.line == d.span.start.line && d.span.end.column > d.span.start.column {
            props.push(format!("endColumn={}", d.span.end.column));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} {}", d.code, d.name))
        ));
        writeln!(
            out,
            "::{} {}::{}",
            command(d.severity),
            props.join(","),
            escape_data(&d.message)
        )?;
    }
    if errors > SHOWN_PER_STEP || warnings > SHOWN_PER_STEP {
        writeln!(
            out,
            "tenant-audit: {errors} error(s) and {warnings} warning(s); GitHub shows only the first {SHOWN_PER_STEP} of each kind per step, see the full report (human or SARIF output)"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escaping() {
        assert_eq!(escape_data("100% sure"), "100%25 sure");
        assert_eq!(escape_data("a\r\nb\nc"), "a%0D%0Ab%0Ac");
        // `:` and `,` are fine in the message.
        assert_eq!(escape_data("a: b, c"), "a: b, c");
        // `%` first, so the escapes themselves are not escaped again.
        assert_eq!(escape_data("%0A\n"), "%250A%0A");
    }

    #[test]
    fn property_escaping() {
        assert_eq!(escape_property("src/a,b:c%d.rs"), "src/a%2Cb%3Ac%25d.rs");
        assert_eq!(
            escape_property("TA201 untenanted-query"),
            "TA201 untenanted-query"
        );
        assert_eq!(escape_property("x\ny"), "x%0Ay");
    }

    #[test]
    fn severities() {
        assert_eq!(command(Severity::Error), "error");
        assert_eq!(command(Severity::Warning), "warning");
        assert_eq!(command(Severity::Note), "notice");
    }
}
