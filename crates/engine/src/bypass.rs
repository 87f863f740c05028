//! The bypass pass: marks which findings each `#[tenant_bypass]`, `tenant_bypass!` and config
//! `[[bypass]]` covers, and remembers which bypasses were used.
//!
//! A config bypass matches by `path` (the finding's file), by `item` (the finding's item path)
//! or by `route`: a handler all of whose routes match the route glob (and `methods`) is
//! covered, its TA101 and every finding located in its fn. A handler that also serves a route
//! the glob does not match is not covered: the bypass is about those routes only, and the
//! handler's code is reached from the others too.

use crate::config::ConfigBypass;
use crate::diagnostic::{Diagnostic, Span, Suppression};
use crate::extract::BypassKind;
use crate::frameworks::endpoints::{by_handler, Endpoint, Handler};
use crate::index::Index;
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;

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
    /// Item the bypass is on, or the glob of a config bypass.
    pub target: String,
    /// Config bypasses: what the glob matches, `path`, `item` or `route`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<&'static str>,
    /// Route bypasses: the methods they are restricted to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<String>>,
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
    /// What it is on, for listings: the item, or `route GET /auth/**` for a config bypass.
    pub fn describe_target(&self) -> String {
        match (self.by, &self.methods) {
            (Some(by), Some(m)) => format!("{by} {} {}", m.join(","), self.target),
            (Some(by), None) => format!("{by} {}", self.target),
            (None, _) => self.target.clone(),
        }
    }

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

/// Codes no bypass can silence: findings about bypasses and the config themselves (turn them
/// off with `[rules]` instead).
fn unsuppressible(code: &str) -> bool {
    matches!(code, "TA901" | "TA902" | "TA903")
}

/// Does a config bypass cover this handler, whose routes are `eps`, for TA101? By its file, its
/// item path, or all of its routes.
pub fn config_covers_handler(cb: &ConfigBypass, file: &str, item: &str, eps: &[&Endpoint]) -> bool {
    cb.matches_file(file) || cb.matches_item(item) || all_routes_match(cb, eps)
}

fn all_routes_match(cb: &ConfigBypass, eps: &[&Endpoint]) -> bool {
    !eps.is_empty()
        && eps
            .iter()
            .all(|e| cb.matches_route(&e.methods, e.path.as_deref()))
}

/// Marks the findings each bypass covers. `endpoints` are the workspace's routes, for route
/// bypasses.
pub fn apply(index: &Index<'_>, endpoints: &[Endpoint], diags: &mut [Diagnostic]) -> Usage {
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
                by: None,
                methods: None,
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
            by: Some(b.by()),
            methods: b.methods().map(<[String]>::to_vec),
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
    // Route bypasses cover regions: (file, extent) of each handler whose routes all match.
    let handlers = by_handler(endpoints);
    let regions: Vec<Vec<(String, Span)>> = index
        .config
        .bypasses
        .iter()
        .map(|cb| {
            handlers
                .iter()
                .filter(|(_, eps)| all_routes_match(cb, eps))
                .map(|(h, _)| match h {
                    Handler::Fn(id) => (index.rel(id.file).to_string(), index.func(*id).extent),
                    Handler::Unresolved { file, span, .. } => (index.rel(*file).to_string(), *span),
                })
                .collect()
        })
        .collect();
    for d in diags.iter_mut() {
        if unsuppressible(d.code) {
            continue;
        }
        // The innermost source bypass wins; config bypasses come after, in config order.
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
                let hit = cb.matches_file(&d.file)
                    || cb.matches_item(&d.item)
                    || regions[k]
                        .iter()
                        .any(|(file, extent)| *file == d.file && extent.contains(&d.span));
                if hit && bypasses[i].allows(d.code) {
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
