//! The v1 JSON document (DESIGN.md §6): always one valid document, even when empty.

use crate::diagnostic::RouteRef;
use crate::Report;
use serde::Serialize;
use std::io::{self, Write};

/// One finding of the document. Fields in the order they print: sorted, as the document has
/// always printed its keys.
#[derive(Serialize)]
struct Finding<'a> {
    bypassed: bool,
    code: &'a str,
    column: u32,
    end_column: u32,
    end_line: u32,
    file: &'a str,
    fingerprint: &'a str,
    item: &'a str,
    line: u32,
    message: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reached_from: Option<Vec<Route<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reached_from_count: Option<usize>,
    severity: &'a str,
}

/// A route that reaches the finding ([`RouteRef`], keys sorted).
#[derive(Serialize)]
struct Route<'a> {
    handler: &'a str,
    method: &'a str,
    path: &'a str,
}

impl<'a> From<&'a RouteRef> for Route<'a> {
    fn from(r: &'a RouteRef) -> Self {
        Route {
            handler: &r.handler,
            method: &r.method,
            path: &r.path,
        }
    }
}

#[derive(Serialize)]
struct Document<'a> {
    findings: Vec<Finding<'a>>,
    summary: Counts,
    tool: Tool,
    version: u32,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Counts {
    cache_calls: usize,
    errors: usize,
    files: usize,
    handlers: usize,
    notes: usize,
    parse_errors: usize,
    queries: usize,
    unreached_files: usize,
    unresolved_cache_receivers: usize,
    warnings: usize,
}

/// Writes the document straight from the report (no `Value` tree in between).
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let findings = report
        .diagnostics
        .iter()
        .map(|d| Finding {
            bypassed: d.bypassed(),
            code: d.code,
            column: d.span.start.column,
            end_column: d.span.end.column,
            end_line: d.span.end.line,
            file: &d.file,
            fingerprint: &d.fingerprint,
            item: &d.item,
            line: d.span.start.line,
            message: &d.message,
            name: d.name,
            reached_from: d
                .reached_from
                .as_ref()
                .map(|r| r.routes.iter().map(Route::from).collect()),
            reached_from_count: d.reached_from.as_ref().map(|r| r.count),
            severity: d.severity.as_str(),
        })
        .collect();
    let s = &report.summary;
    let doc = Document {
        findings,
        summary: Counts {
            cache_calls: s.cache_calls,
            errors: s.errors,
            files: s.files,
            handlers: s.handlers,
            notes: s.notes,
            parse_errors: s.parse_errors,
            queries: s.queries,
            unreached_files: s.unreached_files,
            unresolved_cache_receivers: s.unresolved_cache_receivers,
            warnings: s.warnings,
        },
        tool: Tool {
            name: "cargo-tenant-audit",
            version: env!("CARGO_PKG_VERSION"),
        },
        version: 1,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
