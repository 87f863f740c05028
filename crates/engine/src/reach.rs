//! Which routes reach each fn: the call graph walked from every handler. A query or cache call
//! no route reaches runs in a job, a CLI or a test helper — a bypass with a reason, or a real
//! background leak — and one a route reaches is what a request can trigger.

use crate::callgraph::CallGraph;
use crate::diagnostic::{Reached, RouteRef};
use crate::frameworks::endpoints::{by_handler, Endpoint, Handler};
use crate::index::{FnId, Index};
use foldhash::{HashMap, HashMapExt};

/// At most this many routes are named per finding (`reached_from_count` has them all).
pub const MAX_ROUTES: usize = 5;

pub struct Reach {
    /// Per fn: the handlers (positions in `routes`) that reach it.
    by_fn: HashMap<FnId, Vec<u32>>,
    /// Per handler: its routes, sorted.
    routes: Vec<Vec<RouteRef>>,
    /// Per handler fn: the fns it reaches, sorted (`by_fn` turned around).
    reached: HashMap<FnId, Vec<FnId>>,
}

impl Reach {
    pub fn build(index: &Index<'_>, graph: &CallGraph, endpoints: &[Endpoint]) -> Reach {
        let mut handlers = Vec::new();
        let mut routes = Vec::new();
        for (h, eps) in by_handler(endpoints) {
            let Handler::Fn(id) = h else { continue };
            let f = index.func(id);
            let mut list: Vec<RouteRef> = Vec::new();
            for e in eps {
                let methods = if e.methods.is_empty() {
                    vec!["ANY".to_string()]
                } else {
                    e.methods.clone()
                };
                for m in methods {
                    let r = RouteRef {
                        method: m,
                        path: e.path.clone().unwrap_or_else(|| "?".into()),
                        handler: f.item().to_string(),
                        file: index.rel(id.file).to_string(),
                        line: f.span.start.line,
                    };
                    if !list.contains(&r) {
                        list.push(r);
                    }
                }
            }
            list.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
            handlers.push(id);
            routes.push(list);
        }
        let by_fn = graph.reach(&handlers);
        let mut reached: HashMap<FnId, Vec<FnId>> = HashMap::new();
        for (f, hs) in &by_fn {
            for h in hs {
                reached.entry(handlers[*h as usize]).or_default().push(*f);
            }
        }
        for v in reached.values_mut() {
            v.sort();
        }
        Reach {
            by_fn,
            routes,
            reached,
        }
    }

    /// The routes that reach a fn (None: code outside any fn, which no route reaches).
    pub fn of(&self, f: Option<FnId>) -> Reached {
        let Some(hs) = f.and_then(|f| self.by_fn.get(&f)) else {
            return Reached::default();
        };
        let mut all: Vec<&RouteRef> = hs
            .iter()
            .flat_map(|h| self.routes[*h as usize].iter())
            .collect();
        all.sort_by(|a, b| (&a.path, &a.method, &a.handler).cmp(&(&b.path, &b.method, &b.handler)));
        all.dedup();
        Reached {
            count: all.len(),
            routes: all.into_iter().take(MAX_ROUTES).cloned().collect(),
        }
    }

    /// The fns each handler reaches (handler fn, reached fns), for the `routes` inventory.
    pub fn reached_by(&self, handler: FnId) -> &[FnId] {
        self.reached.get(&handler).map_or(&[], Vec::as_slice)
    }
}

/// The innermost fn (or handler closure) of a file whose extent holds a span.
pub fn fn_at(index: &Index<'_>, file: usize, span: crate::diagnostic::Span) -> Option<FnId> {
    index.files[file]
        .fns
        .iter()
        .enumerate()
        .filter(|(_, f)| f.extent.contains(&span))
        .min_by_key(|(_, f)| {
            (
                f.extent.end.line - f.extent.start.line,
                f.extent.end.column.abs_diff(f.extent.start.column),
            )
        })
        .map(|(i, _)| FnId { file, index: i })
}
