//! The terminal report: each finding with its source snippet, label and help, then a summary.

use super::{offset, read_source, RenderOptions};
use crate::diagnostic::{Diagnostic, Severity};
use crate::Report;
use foldhash::{HashMap, HashMapExt};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use std::io::{self, Write};

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut sources: HashMap<&str, Option<String>> = HashMap::new();
    for d in report.active() {
        let text = sources
            .entry(d.file.as_str())
            .or_insert_with(|| read_source(&report.root, &d.file))
            .clone();
        let mut buf = String::new();
        let diag = to_miette(d, text.as_deref());
        let rendered = match text {
            Some(t) => {
                let src = NamedSource::new(&d.file, t);
                let report = miette::Report::new(diag).with_source_code(src);
                handler.render_report(&mut buf, report.as_ref())
            }
            None => handler.render_report(&mut buf, &diag),
        };
        if rendered.is_err() {
            buf = format!(
                "{}:{}:{}: {}\n",
                d.file, d.span.start.line, d.span.start.column, d.message
            );
        }
        if let Some(line) = reached_line(d) {
            buf.push_str(&line);
            buf.push('\n');
        }
        writeln!(out, "{buf}")?;
    }
    summary(report, opts, out)
}

fn to_miette(d: &Diagnostic, text: Option<&str>) -> MietteDiagnostic {
    let severity = match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    };
    let mut m = MietteDiagnostic::new(d.message.clone())
        .with_code(format!("{}/{}", d.code, d.name))
        .with_severity(severity);
    if let Some(t) = text {
        let start = offset(t, d.span.start.line, d.span.start.column);
        let mut end = offset(t, d.span.end.line, d.span.end.column);
        // Highlight one line at most: the start of a long chain is what matters.
        if let Some(nl) = t[start..].find('\n') {
            end = end.min(start + nl);
        }
        let len = end
            .saturating_sub(start)
            .max(1)
            .min(t.len().saturating_sub(start));
        m = m.with_label(LabeledSpan::new(d.label.clone(), start, len));
    } else {
        m = m.with_url(format!(
            "{}:{}:{}",
            d.file, d.span.start.line, d.span.start.column
        ));
    }
    if let Some(h) = &d.help {
        m = m.with_help(h.clone());
    }
    m
}

/// `  reached from GET /x (api::x::handler) and 2 more routes`, or that no route reaches it.
pub fn reached_line(d: &Diagnostic) -> Option<String> {
    let r = d.reached_from.as_ref()?;
    Some(match r.routes.first() {
        Some(first) => {
            let more = match r.count - 1 {
                0 => String::new(),
                1 => " and 1 more route".into(),
                n => format!(" and {n} more routes"),
            };
            format!("  reached from {}{more}", first.describe())
        }
        None => "  reached from no route (a job, a CLI or a test helper: bypass it with a reason, or fix a background leak)".into(),
    })
}

fn summary(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let bypassed = report.diagnostics.iter().filter(|d| d.bypassed()).count();
    writeln!(
        out,
        "tenant-audit: {}, {}, {} ({} bypassed) in {}: {}, {}, {}",
        count(s.errors, "error", "errors"),
        count(s.warnings, "warning", "warnings"),
        count(s.notes, "note", "notes"),
        bypassed,
        count(s.files, "file", "files"),
        count(s.handlers, "handler", "handlers"),
        count(s.queries, "query", "queries"),
        count(s.cache_calls, "cache call", "cache calls"),
    )?;
    if s.parse_errors > 0 {
        writeln!(
            out,
            "tenant-audit: {} file{} could not be read or parsed and {} not audited (see TA001)",
            s.parse_errors,
            plural(s.parse_errors),
            if s.parse_errors == 1 { "was" } else { "were" }
        )?;
    }
    if s.unreached_files > 0 {
        writeln!(
            out,
            "tenant-audit: {} .rs file{} no crate's module tree reaches {} not audited (`--verbose` lists them)",
            s.unreached_files,
            plural(s.unreached_files),
            if s.unreached_files == 1 { "was" } else { "were" }
        )?;
    }
    if s.unresolved_cache_receivers > 0 {
        writeln!(
            out,
            "tenant-audit: {} call{} on receivers that look like caches could not be typed and {} not judged (`--verbose` lists them; a custom cache goes in `[cache] interfaces`)",
            s.unresolved_cache_receivers,
            plural(s.unresolved_cache_receivers),
            if s.unresolved_cache_receivers == 1 { "was" } else { "were" }
        )?;
    }
    for n in &opts.notes {
        writeln!(out, "tenant-audit: {n}")?;
    }
    Ok(())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1 file`, `2 files`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
