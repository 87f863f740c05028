//! The rules: one file each, holding its metadata, its docs and its logic. The registry below is
//! the one table of codes; `tenant_audit_syntax::RULES` is the one list of valid codes and a
//! meta-test keeps the two in step.

mod bypass_without_reason;
mod parse_error;
mod unanalyzable_query;
mod unknown_scope;
mod unmatched_config;
mod unprotected_handler;
mod unscoped_cache_key;
mod untenanted_query;
mod unused_bypass;
mod unused_scope;

/// Report::merge judges TA903 across the workspaces that share one config.
pub(crate) use unmatched_config::UnmatchedConfig;

use crate::bypass::Usage;
use crate::config::Config;
use crate::db::judge::Verdict;
use crate::diagnostic::{fingerprint, Diagnostic, Severity, Span};
use crate::frameworks::endpoints::Endpoint;
use crate::index::Index;

/// What every rule declares about itself.
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub default_severity: Severity,
    /// One line: what it flags.
    pub summary: &'static str,
    /// Markdown with the headings What it does / Why is this bad? / Example / How to fix.
    pub docs: &'static str,
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// Turns resolved facts into findings.
    fn check(&self, _cx: &mut RuleCx<'_, '_>) {}
    /// Runs after the bypass pass, with what each bypass covered.
    fn check_bypasses(&self, _cx: &mut RuleCx<'_, '_>, _usage: &Usage) {}
}

/// Every rule, in code order.
pub static RULES: &[&dyn Rule] = &[
    &parse_error::ParseErrorRule,
    &unprotected_handler::UnprotectedHandler,
    &unknown_scope::UnknownScope,
    &unused_scope::UnusedScope,
    &untenanted_query::UntenantedQuery,
    &unanalyzable_query::UnanalyzableQuery,
    &unscoped_cache_key::UnscopedCacheKey,
    &bypass_without_reason::BypassWithoutReason,
    &unused_bypass::UnusedBypass,
    &unmatched_config::UnmatchedConfig,
];

/// Finds a rule by code or name (case-insensitive).
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    RULES.iter().copied().find(|r| {
        let m = r.meta();
        m.code.eq_ignore_ascii_case(code_or_name) || m.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// What rules see and where they report.
pub struct RuleCx<'i, 'a> {
    pub index: &'i Index<'a>,
    pub graph: &'i crate::callgraph::CallGraph,
    pub endpoints: &'i [Endpoint],
    pub queries: &'i [Verdict],
    /// Every cache call, receivers decided: (file index, fact).
    pub caches: &'i [(usize, crate::cache::CacheFact)],
    /// Severity overrides from the command line, on top of the config.
    pub overrides: &'i [(String, Option<Severity>)],
    pub out: Vec<Diagnostic>,
}

/// `file:line` of the caller whose SQL a query verdict is about (SQL handed to a helper).
fn caller_text(cx: &RuleCx<'_, '_>, v: &Verdict) -> Option<String> {
    v.caller
        .map(|(file, line)| format!("{}:{line}", cx.index.rel(file)))
}

/// A finding before the common fields are filled in.
pub struct Finding {
    pub span: Span,
    pub message: String,
    pub item: String,
    /// The flagged code, for the fingerprint.
    pub snippet: String,
    pub label: Option<String>,
    pub help: Option<String>,
}

impl RuleCx<'_, '_> {
    /// The tenant column to name in help texts: the first configured one that a table of the
    /// schema has, else the first configured one.
    pub fn tenant_column(&self) -> &str {
        let columns = &self.index.config.tenant.columns;
        columns
            .iter()
            .find(|c| {
                self.index
                    .tenancy
                    .iter()
                    .any(|t| t.schema.tables.values().any(|tb| tb.has_column(c)))
            })
            .or(columns.first())
            .map(String::as_str)
            .unwrap_or("tenant_id")
    }

    /// Effective severity of a rule; None = off.
    pub fn severity(&self, meta: &RuleMeta) -> Option<Severity> {
        let mut sev = self.index.config.severity(meta.code, meta.default_severity);
        for (code, s) in self.overrides {
            if code == meta.code {
                sev = *s;
            }
        }
        sev
    }

    /// Reports a finding in a source file.
    pub fn report(&mut self, meta: &'static RuleMeta, file: usize, f: Finding) {
        let rel = self.index.rel(file).to_string();
        self.report_at(meta, rel, f);
    }

    /// Reports a finding in any file (the config file for TA103/TA902).
    pub fn report_at(&mut self, meta: &'static RuleMeta, file: String, f: Finding) {
        let Some(severity) = self.severity(meta) else {
            return;
        };
        self.out.push(Diagnostic {
            code: meta.code,
            name: meta.name,
            severity,
            fingerprint: fingerprint(meta.code, &file, &f.item, &f.snippet),
            message: f.message,
            file,
            span: f.span,
            label: f.label,
            help: f.help,
            item: f.item,
            snippet: f.snippet,
            suppressed: None,
            reached_from: None,
        });
    }
}

/// What `explain` adds when a config is loaded: the settings that rule reads, as configured,
/// so the generic examples (`org_id`) can be read in the workspace's own terms.
pub fn configured(code: &str, config: &Config) -> Vec<String> {
    let Some(source) = &config.source else {
        return Vec::new();
    };
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut out = vec![format!(
        "{} sets the tenant columns to {}: read `org_id` in the examples as `{}`.",
        source.display,
        list(&config.tenant.columns),
        config
            .tenant
            .columns
            .first()
            .map(String::as_str)
            .unwrap_or("tenant_id")
    )];
    match code {
        "TA101" => out.push(format!(
            "Guards: {}. Checks: {}. Layers: {}.",
            list(&config.handlers.guards),
            list(&config.handlers.checks),
            list(&config.handlers.layers)
        )),
        "TA201" | "TA202" => out.push(format!(
            "Global tables: {}. Tables scoped by a column of their own: {}.",
            list(&config.tenant.global_tables),
            list(
                &config
                    .tenant
                    .tables
                    .iter()
                    .map(|(t, c)| format!("{t}.{}", c.join("|")))
                    .collect::<Vec<_>>()
            )
        )),
        "TA301" => out.push(format!(
            "Names that also carry the tenant in a key: {}. Tenant types: {}. Key builders: {}.",
            list(&config.tenant.identifiers),
            list(&config.tenant_types()),
            list(&config.cache.key_builders)
        )),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_match_the_shared_list() {
        let mut seen = foldhash::HashSet::default();
        for r in RULES {
            let m = r.meta();
            assert!(seen.insert(m.code), "duplicate code {}", m.code);
            let shared =
                tenant_audit_syntax::find_rule(m.code).expect("code in tenant_audit_syntax::RULES");
            assert_eq!(shared.name, m.name);
        }
        assert_eq!(RULES.len(), tenant_audit_syntax::RULES.len());
    }

    #[test]
    fn every_rule_has_docs_with_the_four_headings() {
        for r in RULES {
            let d = r.meta().docs;
            for h in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## How to fix",
            ] {
                assert!(d.contains(h), "{} docs lack `{h}`", r.meta().code);
            }
            assert!(!r.meta().summary.is_empty());
        }
    }

    #[test]
    fn every_rule_has_a_fixture_folder() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules");
        for r in RULES {
            let dir = root.join(r.meta().name);
            assert!(dir.is_dir(), "no fixture folder {}", dir.display());
        }
    }
}
