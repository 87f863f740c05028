//! SARIF 2.1.0 (`--format sarif`): one run, rule metadata for every rule, repo-relative URIs,
//! our fingerprint in `partialFingerprints`. Written with `serde_json` values (no SARIF crate:
//! the document is small and its shape is pinned by a schema test).
//!
//! What GitHub code scanning needs, and so what this does:
//! - URIs relative to the repository root, no `./`, no `uriBaseId` (GitHub ignores it). When
//!   the workspace sits in a sub-folder of a git checkout, the folder is put in front.
//! - `partialFingerprints` with our own key (`tenantAudit/v1`), never `primaryLocationLineHash`
//!   (GitHub computes that one itself).
//! - A unique `automationDetails.id` per workspace, so several workspaces of one repository are
//!   separate categories.
//! - Bypassed findings are left out (GitHub does not honour `suppressions`), unless
//!   [`RenderOptions::include_bypassed`] asks for them.

use super::{repo_prefix, RenderOptions};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{RuleMeta, RULES};
use crate::Report;
use serde_json::{json, Map, Value};
use std::io::{self, Write};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of our fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "tenantAudit/v1";
const TOOL_NAME: &str = "cargo-tenant-audit";

/// Where the tool documents itself: the package's `repository`, read at build time. None while
/// it is unset (`informationUri` is optional in SARIF; a placeholder would be a dead link).
fn information_uri() -> Option<&'static str> {
    option_env!("CARGO_PKG_REPOSITORY").filter(|u| !u.is_empty())
}

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The text of one `## Heading` section of a rule's docs.
fn section<'a>(docs: &'a str, heading: &str) -> Option<&'a str> {
    let start = docs.find(&format!("## {heading}\n"))? + heading.len() + 4;
    let rest = &docs[start..];
    let end = rest.find("\n## ").map(|i| i + 1).unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// Security rules are tagged so GitHub files them under security; the rest are tool hygiene.
fn is_security(code: &str) -> bool {
    !(code.starts_with("TA0") || code.starts_with("TA9"))
}

fn rule_descriptor(m: &RuleMeta) -> Value {
    let full = section(m.docs, "What it does").unwrap_or(m.summary);
    let mut properties = Map::new();
    if is_security(m.code) {
        properties.insert("tags".into(), json!(["security", "multi-tenancy"]));
        let score = match m.default_severity {
            Severity::Error => "8.0",
            Severity::Warning => "5.0",
            Severity::Note => "2.0",
        };
        properties.insert("security-severity".into(), json!(score));
    } else {
        properties.insert("tags".into(), json!(["maintainability"]));
    }
    json!({
        "id": m.code,
        "name": m.name,
        "shortDescription": {"text": format!("{}: {}", m.name, m.summary)},
        "fullDescription": {"text": full},
        "help": {
            "text": m.docs.trim(),
            "markdown": format!("# {} {}\n\n{}", m.code, m.name, m.docs.trim()),
        },
        "defaultConfiguration": {"level": level(m.default_severity)},
        "properties": properties,
    })
}

fn result(d: &Diagnostic, rule_index: Option<usize>, prefix: &str) -> Value {
    let mut region = Map::new();
    region.insert("startLine".into(), json!(d.span.start.line.max(1)));
    region.insert("startColumn".into(), json!(d.span.start.column.max(1)));
    // SARIF's end column is the one after the last character, as ours is.
    if d.span.end.line >= d.span.start.line && d.span.end.line > 0 {
        region.insert("endLine".into(), json!(d.span.end.line));
        if d.span.end.column > 0 {
            region.insert("endColumn".into(), json!(d.span.end.column));
        }
    }
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": format!("{prefix}{}", d.file)},
            "region": region,
        }
    });
    if !d.item.is_empty() {
        location["logicalLocations"] = json!([{"fullyQualifiedName": d.item}]);
    }
    let mut r = json!({
        "ruleId": d.code,
        "level": level(d.severity),
        "message": {"text": d.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: d.fingerprint},
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    // The routes that reach it: the handlers, as related locations.
    if let Some(reached) = &d.reached_from {
        let related: Vec<Value> = reached
            .routes
            .iter()
            .enumerate()
            .map(|(i, route)| {
                json!({
                    "id": i + 1,
                    "message": {"text": format!("reached from {}", route.describe())},
                    "physicalLocation": {
                        "artifactLocation": {"uri": format!("{prefix}{}", route.file)},
                        "region": {"startLine": route.line.max(1)},
                    },
                })
            })
            .collect();
        if !related.is_empty() {
            r["relatedLocations"] = json!(related);
        }
        r["properties"] = json!({"reachedFromCount": reached.count});
    }
    if let Some(s) = &d.suppressed {
        r["suppressions"] = json!([{
            "kind": "inSource",
            "status": "accepted",
            "justification": s.reason,
        }]);
    }
    r
}

/// The SARIF log as a JSON value.
pub fn to_value(report: &Report, opts: &RenderOptions) -> Value {
    let prefix = repo_prefix(&report.root);
    let rules: Vec<Value> = RULES.iter().map(|r| rule_descriptor(r.meta())).collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .filter(|d| opts.include_bypassed || !d.bypassed())
        .map(|d| {
            let index = RULES.iter().position(|r| r.meta().code == d.code);
            result(d, index, &prefix)
        })
        .collect();
    let category = format!("tenant-audit/{prefix}");
    let mut driver = json!({
        "name": TOOL_NAME,
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    if let Some(uri) = information_uri() {
        driver["informationUri"] = json!(uri);
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "automationDetails": {"id": category},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let v = to_value(report, opts);
    serde_json::to_writer_pretty(&mut *out, &v)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_of_rule_docs() {
        let docs = "## What it does\nFinds things.\nMore.\n\n## Why is this bad?\nBecause.\n";
        assert_eq!(section(docs, "What it does"), Some("Finds things.\nMore."));
        assert_eq!(section(docs, "Why is this bad?"), Some("Because."));
        assert_eq!(section(docs, "Example"), None);
    }

    #[test]
    fn every_rule_has_a_full_description() {
        for r in RULES {
            assert!(section(r.meta().docs, "What it does").is_some());
        }
    }
}
