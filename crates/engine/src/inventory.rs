//! The endpoint inventory behind `cargo tenant-audit routes`.

use crate::bypass::Usage;
use crate::cache::CacheFact;
use crate::callgraph::CallGraph;
use crate::db::judge::Verdict;
use crate::frameworks::endpoints::{by_handler, Endpoint, Handler};
use crate::frameworks::protection::{handler_evidence, layer_evidence};
use crate::index::{FnId, Index};
use crate::reach::Reach;
use foldhash::{HashMap, HashMapExt};
use serde::Serialize;
use std::collections::BTreeSet;

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
    /// The query and cache sites the handler reaches through the call graph.
    pub reaches: Vec<Site>,
    /// The tenant-owned tables those queries touch.
    pub tenant_tables: Vec<String>,
}

/// A query or cache call a route reaches.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    /// `query` or `cache`.
    pub kind: &'static str,
    pub file: String,
    pub line: u32,
    /// The driver (`sqlx`) or cache family (`redis`).
    pub via: String,
    /// The tenant-owned tables a query touches.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<String>,
    /// The site has a finding (TA201, TA202, TA301) of its own.
    pub flagged: bool,
}

/// What the inventory reads besides the endpoints.
pub struct Sites<'i> {
    pub reach: &'i Reach,
    pub queries: &'i [Verdict],
    pub caches: &'i [(usize, CacheFact)],
}

/// The query and cache sites of every fn, with the tenant-owned tables each query touches.
fn sites_by_fn(index: &Index<'_>, sites: &Sites<'_>) -> HashMap<FnId, Vec<(Site, Vec<String>)>> {
    let mut out: HashMap<FnId, Vec<(Site, Vec<String>)>> = HashMap::new();
    for v in sites.queries {
        let q = &index.files[v.file].queries[v.query];
        let Some(fi) = q.fn_index else { continue };
        let tenancy = &index.tenancy[index.package_of(v.file)];
        let mut tables: Vec<String> = v
            .tables
            .iter()
            .filter(|t| tenancy.tenant_columns(t).is_some())
            .map(ToString::to_string)
            .collect();
        tables.sort();
        tables.dedup();
        let site = Site {
            kind: "query",
            file: index.rel(v.file).to_string(),
            line: q.span.start.line,
            via: q.driver.to_string(),
            tables: tables.clone(),
            flagged: !v.unscoped.is_empty() || v.dynamic.is_some() || v.parse_error.is_some(),
        };
        out.entry(FnId {
            file: v.file,
            index: fi as usize,
        })
        .or_default()
        .push((site, tables));
    }
    for (file, c) in sites.caches {
        let Some(fi) = c.fn_index else { continue };
        let site = Site {
            kind: "cache",
            file: index.rel(*file).to_string(),
            line: c.span.start.line,
            via: c.family.to_string(),
            tables: Vec::new(),
            flagged: !c.scoped,
        };
        out.entry(FnId {
            file: *file,
            index: fi as usize,
        })
        .or_default()
        .push((site, Vec::new()));
    }
    out
}

pub fn build(
    index: &Index<'_>,
    graph: &CallGraph,
    eps: &[Endpoint],
    usage: &Usage,
    sites: &Sites<'_>,
) -> Vec<Route> {
    let handlers = by_handler(eps);
    let by_fn = sites_by_fn(index, sites);
    let reached = |h: &Handler| -> (Vec<Site>, Vec<String>) {
        let Handler::Fn(id) = h else {
            return (Vec::new(), Vec::new());
        };
        let mut list = BTreeSet::new();
        let mut tables = BTreeSet::new();
        for f in sites.reach.reached_by(*id) {
            for (site, t) in by_fn.get(f).into_iter().flatten() {
                list.insert(site.clone());
                tables.extend(t.iter().cloned());
            }
        }
        (list.into_iter().collect(), tables.into_iter().collect())
    };
    let mut out: Vec<Route> = eps
        .iter()
        .map(|e| {
            let (handler, file, line, fn_ev, extent) = match &e.handler {
                Handler::Fn(id) => {
                    let f = index.func(*id);
                    (
                        f.item().to_string(),
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
                        Handler::Fn(id) => index.func(*id).item().to_string(),
                        Handler::Unresolved { .. } => String::new(),
                    };
                    index
                        .config
                        .bypasses
                        .iter()
                        .find(|cb| {
                            cb.rules.as_ref().is_none_or(|r| r.contains(&"TA101"))
                                && crate::bypass::config_covers_handler(cb, &file, &item, routes)
                        })
                        .map(|cb| format!("bypass: {}", cb.reason.clone().unwrap_or_default()))
                });
            let (reaches, tenant_tables) = reached(&e.handler);
            Route {
                framework: e.framework,
                methods: e.methods.clone(),
                path: e.path.clone(),
                handler,
                file,
                line,
                protection,
                reaches,
                tenant_tables,
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
