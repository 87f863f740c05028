//! The v1 JSON document (DESIGN.md §6): always one valid document, even when empty.

use crate::Report;
use serde_json::{json, Value};
use std::io::{self, Write};

pub fn to_value(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut v = json!({
                "code": d.code,
                "name": d.name,
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": d.file,
                "line": d.span.start.line,
                "column": d.span.start.column,
                "end_line": d.span.end.line,
                "end_column": d.span.end.column,
                "item": d.item,
                "fingerprint": d.fingerprint,
                "bypassed": d.bypassed(),
            });
            if let Some(r) = &d.reached_from {
                v["reached_from"] = json!(r.routes);
                v["reached_from_count"] = json!(r.count);
            }
            v
        })
        .collect();
    let s = &report.summary;
    json!({
        "version": 1,
        "tool": {"name": "cargo-tenant-audit", "version": env!("CARGO_PKG_VERSION")},
        "findings": findings,
        "summary": {
            "files": s.files,
            "parse_errors": s.parse_errors,
            "handlers": s.handlers,
            "queries": s.queries,
            "cache_calls": s.cache_calls,
            "unresolved_cache_receivers": s.unresolved_cache_receivers,
            "unreached_files": s.unreached_files,
            "errors": s.errors,
            "warnings": s.warnings,
            "notes": s.notes,
        }
    })
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let v = to_value(report);
    serde_json::to_writer_pretty(&mut *out, &v)?;
    writeln!(out)
}
