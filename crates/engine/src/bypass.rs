//! The bypass pass: marks which findings each `#[tenant_bypass]`, `tenant_bypass!` and config
//! `[[bypass]]` covers, and remembers which bypasses were used.

use crate::diagnostic::{Diagnostic, Span, Suppression};
use crate::extract::BypassKind;
use crate::index::Index;
use serde::Serialize;
use std::collections::HashMap;

/// Where a bypass is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Attribute,
    Macro,
    Config,
}

/// One bypass of the workspace.
#[derive(Debug, Clone, Serialize)]
pub struct Bypass {
    pub origin: Origin,
    /// File the bypass is written in (the config file for `[[bypass]]`).
    pub file: String,
    #[serde(skip)]
    pub span: Span,
    pub line: u32,
    pub column: u32,
    /// Item the bypass is on, or the path glob of a config bypass.
    pub target: String,
    pub reason: Option<String>,
    /// Rule codes it is restricted to; None = every rule.
    pub rules: Option<Vec<String>>,
    /// The arguments did not parse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    covers: Span,
    /// How many findings it suppressed.
    pub used: usize,
}

impl Bypass {
    /// The region of code it covers (empty for config bypasses).
    pub fn covers_span(&self) -> Span {
        self.covers
    }

    /// Does it apply to this rule code?
    pub fn allows_code(&self, code: &str) -> bool {
        self.origin != Origin::Config && self.allows(code)
    }

    fn allows(&self, code: &str) -> bool {
        match &self.rules {
            None => true,
            Some(list) => list
                .iter()
                .any(|r| tenant_audit_syntax::find_rule(r).is_some_and(|rule| rule.code == code)),
        }
    }
}

/// Every bypass and how much each was used.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    pub bypasses: Vec<Bypass>,
}

/// Codes no bypass can silence: findings about bypasses themselves.
fn unsuppressible(code: &str) -> bool {
    matches!(code, "TA901" | "TA902")
}

pub fn apply(index: &Index<'_>, diags: &mut [Diagnostic]) -> Usage {
    let mut bypasses = Vec::new();
    let mut by_file: HashMap<String, Vec<usize>> = HashMap::new();
    for (fi, f) in index.files.iter().enumerate() {
        for b in &f.bypasses {
            let file = index.rel(fi).to_string();
            by_file
                .entry(file.clone())
                .or_default()
                .push(bypasses.len());
            bypasses.push(Bypass {
                origin: match b.kind {
                    BypassKind::Attribute => Origin::Attribute,
                    BypassKind::Macro => Origin::Macro,
                },
                file,
                span: b.span,
                line: b.span.start.line,
                column: b.span.start.column,
                target: b.item.clone(),
                reason: b.reason.clone(),
                rules: b.rules.clone(),
                error: b.error.clone(),
                covers: b.covers,
                used: 0,
            });
        }
    }
    let config_file = index
        .config
        .source
        .as_ref()
        .map(|s| s.display.clone())
        .unwrap_or_default();
    let first_config = bypasses.len();
    for b in &index.config.bypasses {
        bypasses.push(Bypass {
            origin: Origin::Config,
            file: config_file.clone(),
            span: b.span,
            line: b.span.start.line,
            column: b.span.start.column,
            target: b.pattern.clone(),
            reason: b.reason.clone(),
            rules: b
                .rules
                .as_ref()
                .map(|r| r.iter().map(|c| c.to_string()).collect()),
            error: None,
            covers: Span::default(),
            used: 0,
        });
    }
    for d in diags.iter_mut() {
        if unsuppressible(d.code) {
            continue;
        }
        // The innermost source bypass wins; config bypasses come after.
        let mut best: Option<usize> = None;
        if let Some(list) = by_file.get(&d.file) {
            for &i in list {
                let b = &bypasses[i];
                if b.covers.contains(&d.span) && b.allows(d.code) {
                    let tighter = best.is_none_or(|j| bypasses[j].covers.contains(&b.covers));
                    if tighter {
                        best = Some(i);
                    }
                }
            }
        }
        if best.is_none() {
            for (k, cb) in index.config.bypasses.iter().enumerate() {
                let i = first_config + k;
                if cb.matcher.is_match(&d.file) && bypasses[i].allows(d.code) {
                    best = Some(i);
                    break;
                }
            }
        }
        if let Some(i) = best {
            let b = &mut bypasses[i];
            b.used += 1;
            d.suppressed = Some(Suppression {
                reason: b.reason.clone().unwrap_or_default(),
                at: format!("{}:{}", b.file, b.line),
            });
        }
    }
    Usage { bypasses }
}
