//! The v1 JSON document (DESIGN.md §6): always one valid document, even when empty.

use crate::Report;
use serde::Serialize;
use serde_json::json;
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
    /// Keys sorted as a `Value` sorts them: `RouteRef` declares its fields in another order.
    #[serde(skip_serializing_if = "Option::is_none")]
    reached_from: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reached_from_count: Option<usize>,
    severity: &'a str,
}

#[derive(Serialize)]
struct Document<'a> {
    findings: Vec<Finding<'a>>,
    /// The summary's counts, keys sorted (through a `Value`, as the routes).
    summary: serde_json::Value,
    tool: Tool,
    version: u32,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// Writes the document from the report: the findings straight, their routes and the summary
/// (a few keys each) through a `Value`, whose keys are sorted.
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
            reached_from: d.reached_from.as_ref().map(|r| json!(r.routes)),
            reached_from_count: d.reached_from.as_ref().map(|r| r.count),
            severity: d.severity.as_str(),
        })
        .collect();
    let doc = Document {
        findings,
        summary: json!(report.summary),
        tool: Tool {
            name: "cargo-tenant-audit",
            version: env!("CARGO_PKG_VERSION"),
        },
        version: 1,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
