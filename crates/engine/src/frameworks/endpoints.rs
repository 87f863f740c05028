//! Phase 2 for handlers: evaluates every router into endpoints (method, full path, handler,
//! covering layers), following routers built in other fns and files.

use super::{join_path, Cover, HandlerRef, RouterFact, RouterOp, Target};
use crate::diagnostic::Span;
use crate::index::{FnId, Index};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// One route of the service.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub framework: &'static str,
    pub methods: Vec<String>,
    /// Full path, prefixes joined; None when unknown.
    pub path: Option<String>,
    pub handler: Handler,
    /// Layers and wraps that cover it, as written.
    pub layers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Handler {
    Fn(FnId),
    /// A path that names no fn of the workspace: (file, place, name as written).
    Unresolved {
        file: usize,
        span: Span,
        name: String,
    },
}

/// Every endpoint of the workspace, in a deterministic order.
pub fn endpoints(index: &Index<'_>) -> Vec<Endpoint> {
    let mut ev = Eval {
        index,
        stack: HashSet::new(),
    };
    // Fns whose returned router is used by another router are not roots.
    let mut referenced: BTreeSet<FnId> = BTreeSet::new();
    // Fns passed to actix `.configure(f)`: every chain in them belongs to the configuring router.
    let mut configures: BTreeSet<FnId> = BTreeSet::new();
    for (fi, f) in index.files.iter().enumerate() {
        for r in &f.routers {
            for op in &r.ops {
                let t = match op {
                    RouterOp::Nest { target, .. } | RouterOp::Merge { target } => target,
                    _ => continue,
                };
                if let Target::Call { path, module } | Target::Configure { path, module } = t {
                    if let Some(id) = index.resolve_fn(fi, module, path) {
                        referenced.insert(id);
                        if matches!(t, Target::Configure { .. }) {
                            configures.insert(id);
                        }
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (fi, f) in index.files.iter().enumerate() {
        for (ri, r) in f.routers.iter().enumerate() {
            if r.nested {
                continue;
            }
            if let Some(fn_index) = r.fn_index {
                if configures.contains(&FnId {
                    file: fi,
                    index: fn_index,
                }) {
                    continue;
                }
            }
            if r.returned {
                if let Some(fn_index) = r.fn_index {
                    if referenced.contains(&FnId {
                        file: fi,
                        index: fn_index,
                    }) {
                        continue;
                    }
                }
            }
            out.extend(ev.router(fi, ri));
        }
    }
    // Attribute-routed handlers are endpoints even when no registration was found.
    let mut seen: BTreeSet<FnId> = BTreeSet::new();
    for e in &out {
        if let Handler::Fn(id) = e.handler {
            seen.insert(id);
        }
    }
    for (fi, f) in index.files.iter().enumerate() {
        for (i, func) in f.fns.iter().enumerate() {
            let id = FnId { file: fi, index: i };
            if seen.contains(&id) {
                continue;
            }
            for r in &func.routes {
                out.push(Endpoint {
                    framework: r.framework,
                    methods: r.methods.clone(),
                    path: r.path.clone(),
                    handler: Handler::Fn(id),
                    layers: r.wraps.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.handler, &a.path, &a.methods).cmp(&(&b.handler, &b.path, &b.methods)));
    out.dedup_by(|a, b| a.handler == b.handler && a.path == b.path && a.methods == b.methods);
    out
}

struct Eval<'i, 'a> {
    index: &'i Index<'a>,
    /// Routers being evaluated (cycle guard).
    stack: HashSet<(usize, usize)>,
}

impl Eval<'_, '_> {
    fn router(&mut self, file: usize, ri: usize) -> Vec<Endpoint> {
        if !self.stack.insert((file, ri)) {
            return Vec::new();
        }
        let r: &RouterFact = &self.index.files[file].routers[ri];
        let mut eps: Vec<Endpoint> = Vec::new();
        let mut whole: Vec<String> = Vec::new();
        for op in &r.ops {
            match op {
                RouterOp::Route {
                    path,
                    methods,
                    handler,
                    layers,
                } => {
                    let h = self.handler(file, handler);
                    let mut regs = vec![(methods.clone(), path.clone(), layers.clone())];
                    // Attribute-routed handler registered by name (actix `.service(h)`, rocket
                    // `routes!`, poem-openapi): one endpoint per route attribute, the registration's
                    // path as its base.
                    if let Handler::Fn(id) = &h {
                        let attrs = &self.index.func(*id).routes;
                        if (path.is_none() || methods.is_empty()) && !attrs.is_empty() {
                            regs = attrs
                                .iter()
                                .map(|a| {
                                    let p = match (path.as_deref(), a.path.as_deref()) {
                                        (Some(base), Some(p)) if !base.is_empty() => {
                                            Some(join_path(base, p))
                                        }
                                        (_, Some(p)) => Some(p.to_string()),
                                        (base, None) => base.map(String::from),
                                    };
                                    let m = if methods.is_empty() {
                                        a.methods.clone()
                                    } else {
                                        methods.clone()
                                    };
                                    let mut l = layers.clone();
                                    l.extend(a.wraps.iter().cloned());
                                    (m, p, l)
                                })
                                .collect();
                        }
                    }
                    for (methods, path, layers) in regs {
                        eps.push(Endpoint {
                            framework: r.framework,
                            methods,
                            path,
                            handler: h.clone(),
                            layers,
                        });
                    }
                }
                RouterOp::Layer { text, cover } => match cover {
                    Cover::Before => eps.iter_mut().for_each(|e| e.layers.push(text.clone())),
                    Cover::All => whole.push(text.clone()),
                },
                RouterOp::Nest { prefix, target } => {
                    let mut sub = self.target(file, target);
                    if let Some(p) = prefix {
                        for e in sub.iter_mut() {
                            e.path = Some(join_path(p, e.path.as_deref().unwrap_or("/")));
                        }
                    }
                    eps.extend(sub);
                }
                RouterOp::Merge { target } => {
                    let sub = self.target(file, target);
                    eps.extend(sub);
                }
            }
        }
        for e in eps.iter_mut() {
            e.layers.extend(whole.iter().cloned());
            if let Some(p) = &r.prefix {
                e.path = Some(join_path(p, e.path.as_deref().unwrap_or("/")));
            }
        }
        self.stack.remove(&(file, ri));
        eps
    }

    fn target(&mut self, file: usize, t: &Target) -> Vec<Endpoint> {
        match t {
            Target::Chain(i) => self.router(file, *i),
            Target::Call { path, module } | Target::Configure { path, module } => {
                let Some(id) = self.index.resolve_fn(file, module, path) else {
                    return Vec::new();
                };
                let routers: Vec<usize> = self.index.files[id.file]
                    .routers
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| {
                        r.fn_index == Some(id.index)
                            && (r.returned || matches!(t, Target::Configure { .. }) && !r.nested)
                    })
                    .map(|(i, _)| i)
                    .collect();
                routers
                    .into_iter()
                    .flat_map(|i| self.router(id.file, i))
                    .collect()
            }
            Target::Unknown(_) => Vec::new(),
        }
    }

    fn handler(&self, file: usize, h: &HandlerRef) -> Handler {
        match h {
            HandlerRef::Closure { fn_index } => Handler::Fn(FnId {
                file,
                index: *fn_index,
            }),
            HandlerRef::Path {
                segments,
                module,
                span,
            } => match self.index.resolve_fn(file, module, segments) {
                Some(id) => Handler::Fn(id),
                None => Handler::Unresolved {
                    file,
                    span: *span,
                    name: segments.join("::"),
                },
            },
        }
    }
}

/// Endpoints grouped by handler, in order.
pub fn by_handler(eps: &[Endpoint]) -> BTreeMap<Handler, Vec<&Endpoint>> {
    let mut m: BTreeMap<Handler, Vec<&Endpoint>> = BTreeMap::new();
    for e in eps {
        m.entry(e.handler.clone()).or_default().push(e);
    }
    m
}

impl Endpoint {
    /// `GET /api/users`, `GET,POST /x`, `ANY ?` when unknown.
    pub fn describe(&self) -> String {
        let methods = if self.methods.is_empty() {
            "ANY".to_string()
        } else {
            self.methods.join(",")
        };
        format!("{methods} {}", self.path.as_deref().unwrap_or("?"))
    }
}
