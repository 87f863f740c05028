//! The endpoint inventory behind `cargo tenant-audit routes`.

use crate::bypass::Usage;
use crate::frameworks::endpoints::{by_handler, Endpoint, Handler};
use crate::callgraph::CallGraph;
use crate::frameworks::protection::{handler_evidence, layer_evidence};
use crate::index::Index;
use serde::Serialize;

/// One row of the inventory.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Route {
    pub framework: &'static str,
    pub methods: Vec<String>,
    pub path: Option<String>,
    /// Item path of the handler, or the name as written when unresolved.
    pub handler: String,
    pub file: String,
    pub line: u32,
    /// What protects it: `requires ..`, `guard ..`, `check ..()`, `layer ..`, `bypass: ..`;
    /// None = unprotected.
    pub protection: Option<String>,
}

pub fn build(index: &Index<'_>, graph: &CallGraph, eps: &[Endpoint], usage: &Usage) -> Vec<Route> {
    let handlers = by_handler(eps);
    let mut out: Vec<Route> = eps
        .iter()
        .map(|e| {
            let (handler, file, line, fn_ev, extent) = match &e.handler {
                Handler::Fn(id) => {
                    let f = index.func(*id);
                    (
                        f.item.clone(),
                        index.rel(id.file).to_string(),
                        f.span.start.line,
                        handler_evidence(index, graph, *id),
                        Some(f.extent),
                    )
                }
                Handler::Unresolved { file, span, name } => (
                    name.clone(),
                    index.rel(*file).to_string(),
                    span.start.line,
                    None,
                    None,
                ),
            };
            let protection = fn_ev
                .or_else(|| layer_evidence(index.config, e))
                .map(|ev| ev.describe())
                .or_else(|| {
                    let extent = extent?;
                    usage
                        .bypasses
                        .iter()
                        .filter(|b| b.file == file && b.allows_code("TA101"))
                        .find(|b| {
                            b.covers_span().contains(&extent)
                                || extent.contains(&b.covers_span())
                                    && b.line <= extent.start.line + 1
                        })
                        .map(|b| format!("bypass: {}", b.reason.clone().unwrap_or_default()))
                })
                .or_else(|| {
                    let routes = handlers.get(&e.handler)?;
                    let item = match &e.handler {
                        Handler::Fn(id) => index.func(*id).item.as_str(),
                        Handler::Unresolved { .. } => "",
                    };
                    index
                        .config
                        .bypasses
                        .iter()
                        .find(|cb| {
                            cb.rules.as_ref().is_none_or(|r| r.contains(&"TA101"))
                                && crate::bypass::config_covers_handler(cb, &file, item, routes)
                        })
                        .map(|cb| format!("bypass: {}", cb.reason.clone().unwrap_or_default()))
                });
            Route {
                framework: e.framework,
                methods: e.methods.clone(),
                path: e.path.clone(),
                handler,
                file,
                line,
                protection,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.path, &a.handler, &a.methods).cmp(&(&b.path, &b.handler, &b.methods)));
    // One row per path and handler: `#[routes] #[get("/a")] #[head("/a")]` is `GET,HEAD /a`.
    let mut merged: Vec<Route> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last)
                if last.path == r.path
                    && last.handler == r.handler
                    && last.file == r.file
                    && last.protection == r.protection =>
            {
                for m in r.methods {
                    if !last.methods.contains(&m) {
                        last.methods.push(m);
                    }
                }
            }
            _ => merged.push(r),
        }
    }
    merged
        .sort_by(|a, b| (&a.path, &a.methods, &a.handler).cmp(&(&b.path, &b.methods, &b.handler)));
    merged
}
