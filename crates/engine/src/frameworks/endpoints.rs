//! Phase 2 for handlers: evaluates every router into endpoints (method, full path, handler,
//! covering layers), following routers built in other fns and files.

use super::{join_path, Cover, HandlerRef, RouterFact, RouterOp, Target};
use crate::diagnostic::Span;
use crate::index::{FnId, Index};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::collections::{BTreeMap, BTreeSet};

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

/// Every endpoint of the workspace, in a deterministic order. A handler registered on the same
/// path and methods more than once (by several routers, or along several paths of one fn:
/// `if`/`else`, `#[cfg]` blocks) is one endpoint, covered by the layers that cover it on every
/// registration.
pub fn endpoints(index: &Index<'_>) -> Vec<Endpoint> {
    let mut ev = Eval {
        index,
        stack: HashSet::new(),
        memo: HashMap::new(),
    };
    // Fns whose returned router is used by another router are not roots.
    let mut referenced: BTreeSet<FnId> = BTreeSet::new();
    // Fns passed to actix `.configure(f)`: every chain in them belongs to the configuring router.
    let mut configures: BTreeSet<FnId> = BTreeSet::new();
    // poem-openapi API types handed to an `OpenApiService`: their impls are not roots.
    let mut apis: BTreeSet<(usize, String)> = BTreeSet::new();
    for (fi, f) in index.files.iter().enumerate() {
        for r in &f.routers {
            for op in &r.ops {
                let targets: Vec<&Target> = match op {
                    RouterOp::Nest { target, .. } | RouterOp::Merge { target } => vec![target],
                    RouterOp::Extend { alternatives } => alternatives.iter().collect(),
                    _ => continue,
                };
                for t in targets {
                    match t {
                        Target::Call { path, module } | Target::Configure { path, module } => {
                            if let Some(id) = index.resolve_fn(fi, module, path) {
                                referenced.insert(id);
                                if matches!(t, Target::Configure { .. }) {
                                    configures.insert(id);
                                }
                            }
                        }
                        Target::Api { name } => {
                            apis.insert((index.package_of(fi), name.clone()));
                        }
                        _ => {}
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
            if let Some(api) = &r.api {
                if apis.contains(&(index.package_of(fi), api.clone())) {
                    continue;
                }
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
            for r in func.routes() {
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
    merge_same(&mut out);
    out
}

/// Sorts endpoints and makes the registrations of one handler on one path and methods one
/// endpoint, covered by the layers every registration has.
fn merge_same(eps: &mut Vec<Endpoint>) {
    eps.sort_by(|a, b| (&a.handler, &a.path, &a.methods).cmp(&(&b.handler, &b.path, &b.methods)));
    let mut out: Vec<Endpoint> = Vec::with_capacity(eps.len());
    for e in eps.drain(..) {
        match out.last_mut() {
            Some(last)
                if last.handler == e.handler
                    && last.path == e.path
                    && last.methods == e.methods =>
            {
                last.layers.retain(|l| e.layers.contains(l));
            }
            _ => out.push(e),
        }
    }
    *eps = out;
}

/// A router evaluated, before its own prefix and whole-container layers are applied (a chain
/// that continues it takes them over).
#[derive(Clone, Default)]
struct Parts {
    eps: Vec<Endpoint>,
    /// Layers covering everything in the container (actix `.wrap`, poem `.with`).
    whole: Vec<String>,
    prefix: Option<String>,
}

impl Parts {
    /// The endpoints with the prefix and whole-container layers applied.
    fn finish(self) -> Vec<Endpoint> {
        let Parts {
            mut eps,
            whole,
            prefix,
        } = self;
        for e in eps.iter_mut() {
            e.layers.extend(whole.iter().cloned());
            if let Some(p) = &prefix {
                e.path = Some(join_path(p, e.path.as_deref().unwrap_or("/")));
            }
        }
        eps
    }

    /// The router a chain continues when several definitions may reach it: every path's
    /// endpoints, each under its own layers; what the chain adds is covered only by the
    /// whole-container layers of every path.
    fn alternatives(alts: Vec<Parts>) -> Parts {
        if alts.len() <= 1 {
            return alts.into_iter().next().unwrap_or_default();
        }
        let same_prefix = alts.iter().all(|a| a.prefix == alts[0].prefix);
        let prefix = if same_prefix {
            alts[0].prefix.clone()
        } else {
            None
        };
        let mut whole: Vec<String> = alts[0].whole.clone();
        whole.retain(|l| alts.iter().all(|a| a.whole.contains(l)));
        let mut eps = Vec::new();
        for a in alts {
            let Parts {
                eps: mut a_eps,
                whole: a_whole,
                prefix: a_prefix,
            } = a;
            let own: Vec<String> = a_whole.into_iter().filter(|l| !whole.contains(l)).collect();
            for e in a_eps.iter_mut() {
                e.layers.extend(own.iter().cloned());
                if !same_prefix {
                    if let Some(p) = &a_prefix {
                        e.path = Some(join_path(p, e.path.as_deref().unwrap_or("/")));
                    }
                }
            }
            eps.extend(a_eps);
        }
        merge_same(&mut eps);
        Parts { eps, whole, prefix }
    }
}

struct Eval<'i, 'a> {
    index: &'i Index<'a>,
    /// Routers being evaluated (cycle guard).
    stack: HashSet<(usize, usize)>,
    /// Routers evaluated: a router reached along several paths is evaluated once.
    memo: HashMap<(usize, usize), Parts>,
}

impl Eval<'_, '_> {
    fn router(&mut self, file: usize, ri: usize) -> Vec<Endpoint> {
        self.parts(file, ri).finish()
    }

    fn parts(&mut self, file: usize, ri: usize) -> Parts {
        if let Some(p) = self.memo.get(&(file, ri)) {
            return p.clone();
        }
        if !self.stack.insert((file, ri)) {
            return Parts::default();
        }
        let r: &RouterFact = &self.index.files[file].routers[ri];
        let mut eps: Vec<Endpoint> = Vec::new();
        let mut whole: Vec<String> = Vec::new();
        let mut prefix = r.prefix.clone();
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
                        let attrs = self.index.func(*id).routes();
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
                RouterOp::Extend { alternatives } => {
                    let mut alts = Vec::new();
                    for t in alternatives {
                        alts.extend(self.target_parts(file, t));
                    }
                    let base = Parts::alternatives(alts);
                    eps.extend(base.eps);
                    whole.extend(base.whole);
                    if prefix.is_none() {
                        prefix = base.prefix;
                    }
                }
            }
        }
        self.stack.remove(&(file, ri));
        let p = Parts { eps, whole, prefix };
        self.memo.insert((file, ri), p.clone());
        p
    }

    fn target(&mut self, file: usize, t: &Target) -> Vec<Endpoint> {
        self.target_parts(file, t)
            .into_iter()
            .flat_map(Parts::finish)
            .collect()
    }

    /// The routers a target stands for, each unfinished.
    fn target_parts(&mut self, file: usize, t: &Target) -> Vec<Parts> {
        match t {
            Target::Chain(i) => vec![self.parts(file, *i)],
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
                    .map(|i| self.parts(id.file, i))
                    .collect()
            }
            Target::Api { name } => {
                let package = self.index.package_of(file);
                let mut found = Vec::new();
                for (fi, f) in self.index.files.iter().enumerate() {
                    if self.index.package_of(fi) != package {
                        continue;
                    }
                    for (ri, r) in f.routers.iter().enumerate() {
                        if r.api.as_deref() == Some(name.as_str()) {
                            found.push((fi, ri));
                        }
                    }
                }
                found
                    .into_iter()
                    .map(|(fi, ri)| Parts {
                        eps: self.router(fi, ri),
                        ..Parts::default()
                    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(path: &str, layers: &[&str]) -> Endpoint {
        Endpoint {
            framework: "axum",
            methods: vec!["GET".into()],
            path: Some(path.into()),
            handler: Handler::Unresolved {
                file: 0,
                span: Span::default(),
                name: format!("h{path}"),
            },
            layers: layers.iter().map(|l| l.to_string()).collect(),
        }
    }

    #[test]
    fn one_registration_reached_on_two_paths_keeps_the_layers_of_both() {
        let mut eps = vec![
            ep("/a", &["auth", "trace"]),
            ep("/a", &["trace"]),
            ep("/b", &[]),
        ];
        merge_same(&mut eps);
        assert_eq!(eps.len(), 2);
        assert_eq!(eps[0].layers, vec!["trace".to_string()]);
    }

    #[test]
    fn alternatives_keep_their_own_wraps_and_pass_on_the_common_ones() {
        let wrapped = Parts {
            eps: vec![ep("/a", &[])],
            whole: vec!["auth".into(), "cors".into()],
            prefix: Some("/api".into()),
        };
        let bare = Parts {
            eps: vec![ep("/a", &[]), ep("/b", &[])],
            whole: vec!["cors".into()],
            prefix: Some("/api".into()),
        };
        let p = Parts::alternatives(vec![wrapped, bare]);
        // `auth` wraps only one of the paths: what the chain adds next is not under it.
        assert_eq!(p.whole, vec!["cors".to_string()]);
        assert_eq!(p.prefix.as_deref(), Some("/api"));
        // `/a` is reached wrapped and bare: covered by neither path's own wrap.
        let a: Vec<&Endpoint> = p
            .eps
            .iter()
            .filter(|e| e.path.as_deref() == Some("/a"))
            .collect();
        assert_eq!(a.len(), 1);
        assert!(a[0].layers.is_empty(), "{:?}", a[0].layers);
        let finished = p.finish();
        assert!(finished
            .iter()
            .all(|e| e.path.as_deref().is_some_and(|p| p.starts_with("/api/"))));
        assert!(finished
            .iter()
            .all(|e| e.layers == vec!["cors".to_string()]));
    }
}
