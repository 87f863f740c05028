//! Phase 2: the workspace's call graph, built once from the call facts of every file (no syntax
//! tree is kept). A call is an edge when it resolves: a path through `use`, `crate::`,
//! re-exports and other workspace crates (`Index::resolve_fn`); `Self::f` to the caller's impl;
//! a method on a receiver whose type the walk saw (a typed local or parameter, `self`, fields of
//! those, through type aliases and wrappers such as `Arc`, `&`, `State`) to that type's method,
//! and on a `dyn Trait` / `impl Trait` receiver, or a trait's own method, to every impl of it.
//! Anything else is an edge to nothing, not a guess. Closures are part of their fn; a closure
//! registered as a handler also has its calls as its own.

use crate::extract::{CallFact, Callee, FileFacts, FnFact, RecvTy};
use crate::index::{FnId, Index, ItemKind};
use crate::intern::Name;
use foldhash::{HashMap, HashMapExt};
use std::collections::{BTreeSet, VecDeque};

/// The names a call can resolve through. A path call resolves only to a fn of its last
/// segment's name or through a `use` of that alias, a method call only to a method some type or
/// trait of the workspace defines: any other call (`Ok(..)`, `Vec::new()`, `.map_err(..)`: most
/// calls) resolves to nothing, and is skipped unread.
struct Answerable<'f> {
    paths: foldhash::HashSet<&'f str>,
    methods: foldhash::HashSet<&'f str>,
}

impl<'f> Answerable<'f> {
    fn of(files: &'f [FileFacts]) -> Answerable<'f> {
        let mut a = Answerable {
            paths: foldhash::HashSet::default(),
            methods: foldhash::HashSet::default(),
        };
        for f in files {
            for func in f.fns.iter().filter(|f| !f.is_closure) {
                a.paths.insert(&func.name);
                // As `Methods::build` files them: a fn with a self type or trait.
                if func.self_ty.is_some() {
                    a.methods.insert(&func.name);
                }
            }
            a.paths.extend(f.uses.iter().map(|u| u.alias.as_str()));
        }
        a
    }

    fn may_resolve(&self, callee: &Callee) -> bool {
        match callee {
            Callee::Path(segs) => segs.last().is_some_and(|l| self.paths.contains(l.as_str())),
            Callee::Method { name, .. } => self.methods.contains(name.as_str()),
        }
    }
}

/// Drops the call facts that can resolve to no fn of the workspace ([`Answerable`]): the graph
/// would skip them unread, and at scale they are most of the calls (436k facts, 50k resolved,
/// on the scale workspace of scripts/bench.sh). Run once every file's facts are in, before
/// phase 2 reads them: their memory goes to phase 2. Returns how many were dropped.
pub fn drop_unresolvable(files: &mut [FileFacts]) -> usize {
    let keep: Vec<Vec<bool>> = {
        let a = Answerable::of(files);
        files
            .iter()
            .map(|f| f.calls.iter().map(|c| a.may_resolve(&c.callee)).collect())
            .collect()
    };
    let mut dropped = 0;
    for (f, keep) in files.iter_mut().zip(keep) {
        let before = f.calls.len();
        let mut k = keep.into_iter();
        f.calls.retain(|_| k.next().unwrap_or(true));
        f.calls.shrink_to_fit();
        dropped += before - f.calls.len();
    }
    dropped
}

/// A call fact, by file and position in that file's `calls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallRef {
    pub file: usize,
    pub index: usize,
}

/// One resolved call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub caller: FnId,
    pub callee: FnId,
    pub call: CallRef,
}

pub struct CallGraph {
    out: HashMap<FnId, Vec<Edge>>,
    into: HashMap<FnId, Vec<Edge>>,
    /// Calls made, resolved or not (for the summary).
    pub calls: usize,
    /// Calls resolved to a fn of the workspace.
    pub resolved: usize,
    /// Threads that resolved them, this one among them (for `TENANT_AUDIT_TIMINGS`).
    pub threads: usize,
}

/// Wrappers a receiver type is looked through to the type whose methods are called.
const WRAPPERS: &[&str] = &[
    "Arc",
    "Rc",
    "Box",
    "State",
    "Data",
    "Extension",
    "Mutex",
    "RwLock",
    "Option",
    "Cow",
    "Pin",
    "Ref",
    "RefMut",
    "MutexGuard",
    "RwLockReadGuard",
    "RwLockWriteGuard",
];

/// Below this many call facts the call graph is resolved on the calling thread alone.
const PARALLEL_CALLS: usize = 4096;

impl CallGraph {
    /// Resolves every call fact, on up to `threads` threads (this one among them) that take
    /// contiguous runs of files, of about the same number of calls each, in turn. The graph is
    /// the same for any thread count: runs are merged in file order, and each fn's edges sorted.
    pub fn build(index: &Index<'_>, threads: usize) -> CallGraph {
        // Test hook (debug builds only, never in release): TENANT_AUDIT_TEST_CALLS_PER_THREAD=N
        // starts a thread for every N calls, so that a small workspace's graph is resolved on
        // several threads through the binary (tests/robustness.rs).
        #[cfg(debug_assertions)]
        if let Some(n) = std::env::var("TENANT_AUDIT_TEST_CALLS_PER_THREAD")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            return Self::build_with(index, threads, n);
        }
        Self::build_with(index, threads, PARALLEL_CALLS)
    }

    /// [`CallGraph::build`], one worker per `per_worker` calls at most.
    fn build_with(index: &Index<'_>, threads: usize, per_worker: usize) -> CallGraph {
        let methods = Methods::build(index);
        let answerable = Answerable::of(index.files);
        let cx = Resolver {
            index,
            methods: &methods,
            answerable: &answerable,
        };
        let calls: Vec<usize> = index.files.iter().map(|f| f.calls.len()).collect();
        let total: usize = calls.iter().sum();
        let workers = threads.min(total / per_worker.max(1)).max(1);
        // Several runs per worker, taken in turn, so that no worker waits long on another.
        let runs = split(&calls, if workers == 1 { 1 } else { workers * 4 });
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || cx.resolve_runs(&runs, &next);
        let (mut done, threads): (Vec<(usize, Resolved)>, usize) = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..workers)
                .filter_map(|_| {
                    // A helper that cannot be started leaves its runs to the others.
                    std::thread::Builder::new()
                        .stack_size(64 << 20)
                        .spawn_scoped(scope, work)
                        .ok()
                })
                .collect();
            let started = helpers.len();
            let mut done = work();
            for h in helpers {
                done.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            }
            (done, 1 + started)
        });
        done.sort_by_key(|(run, _)| *run);
        let parts = done.into_iter().map(|(_, part)| part);
        let mut out: HashMap<FnId, Vec<Edge>> = HashMap::new();
        let mut into: HashMap<FnId, Vec<Edge>> = HashMap::new();
        let mut resolved = 0;
        for part in parts {
            resolved += part.resolved;
            for e in part.edges {
                out.entry(e.caller).or_default().push(e);
                into.entry(e.callee).or_default().push(e);
            }
        }
        for v in out.values_mut().chain(into.values_mut()) {
            v.sort();
            v.dedup();
        }
        CallGraph {
            out,
            into,
            calls: total,
            resolved,
            threads,
        }
    }

    /// The resolved calls a fn makes, in source order.
    pub fn callees(&self, f: FnId) -> &[Edge] {
        self.out.get(&f).map_or(&[], Vec::as_slice)
    }

    /// The resolved calls to a fn.
    pub fn callers(&self, f: FnId) -> &[Edge] {
        self.into.get(&f).map_or(&[], Vec::as_slice)
    }

    /// The call fact of an edge.
    pub fn call<'i>(&self, index: &'i Index<'_>, r: CallRef) -> &'i CallFact {
        &index.files[r.file].calls[r.index]
    }

    /// Breadth first from `from`, at most `depth` calls deep: the first fn (nearest, then in
    /// source order) for which `found` gives something, with the chain of fns that leads to it
    /// (`from` excluded, the found fn last). Cycles are walked once.
    pub fn search<T>(
        &self,
        from: FnId,
        depth: usize,
        mut found: impl FnMut(FnId) -> Option<T>,
    ) -> Option<(Vec<FnId>, T)> {
        let mut seen: BTreeSet<FnId> = BTreeSet::new();
        seen.insert(from);
        let mut queue: VecDeque<(FnId, Vec<FnId>)> = VecDeque::new();
        queue.push_back((from, Vec::new()));
        while let Some((f, chain)) = queue.pop_front() {
            if chain.len() >= depth {
                continue;
            }
            for e in self.callees(f) {
                if !seen.insert(e.callee) {
                    continue;
                }
                let mut next = chain.clone();
                next.push(e.callee);
                if let Some(t) = found(e.callee) {
                    return Some((next, t));
                }
                queue.push_back((e.callee, next));
            }
        }
        None
    }

    /// For every fn some root reaches (at any depth, the root included), the roots that reach
    /// it, by position in `roots`, sorted.
    pub fn reach(&self, roots: &[FnId]) -> HashMap<FnId, Vec<u32>> {
        let mut out: HashMap<FnId, Vec<u32>> = HashMap::new();
        for (ri, root) in roots.iter().enumerate() {
            let mut seen: BTreeSet<FnId> = BTreeSet::new();
            let mut stack = vec![*root];
            while let Some(f) = stack.pop() {
                if !seen.insert(f) {
                    continue;
                }
                let list = out.entry(f).or_default();
                if list.last() != Some(&(ri as u32)) {
                    list.push(ri as u32);
                }
                for e in self.callees(f) {
                    stack.push(e.callee);
                }
            }
        }
        out
    }
}

/// Judges one caller's argument: (the calling fn, the call, its argument in that place).
pub type Judge<'j, T> =
    dyn FnMut(FnId, &CallFact, Option<&crate::extract::ArgInfo>) -> Passed<T> + 'j;

/// What a caller passes for a parameter, as the judge of a value sees it.
pub enum Passed<T> {
    /// The value is fine as passed (a tenant-carrying key, scoped SQL).
    Fine,
    /// The value is wrong as passed, and why (for the message).
    Wrong(T),
    /// The caller passes its own parameter: its callers decide.
    Param(usize),
}

/// What one thread of [`CallGraph::build`] reads.
struct Resolver<'a, 'i> {
    index: &'a Index<'i>,
    methods: &'a Methods,
    answerable: &'a Answerable<'a>,
}

/// The edges of a run of files, in file and call order, and how many of its calls resolved.
struct Resolved {
    edges: Vec<Edge>,
    resolved: usize,
}

impl Resolver<'_, '_> {
    /// Takes runs in turn until none is left: each run's edges, by the run's number.
    fn resolve_runs(
        &self,
        runs: &[std::ops::Range<usize>],
        next: &std::sync::atomic::AtomicUsize,
    ) -> Vec<(usize, Resolved)> {
        let mut types = TypeMemo::default();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(run) = runs.get(i) else { break };
            done.push((i, self.resolve_files(run.clone(), &mut types)));
        }
        // The receiver types parsed here registered their text with proc-macro2's span table
        // of this thread; nothing parsed outlives the build.
        drop(types);
        proc_macro2::extra::invalidate_current_thread_spans();
        done
    }

    fn resolve_files(&self, run: std::ops::Range<usize>, types: &mut TypeMemo) -> Resolved {
        let index = self.index;
        let mut part = Resolved {
            edges: Vec::new(),
            resolved: 0,
        };
        for fi in run {
            let f = &index.files[fi];
            for (ci, c) in f.calls.iter().enumerate() {
                let caller = FnId {
                    file: fi,
                    index: c.caller as usize,
                };
                let Some(cf) = f.fns.get(c.caller as usize) else {
                    continue;
                };
                if !self.answerable.may_resolve(&c.callee) {
                    continue;
                }
                let targets = resolve(index, self.methods, types, fi, cf, c);
                if !targets.is_empty() {
                    part.resolved += 1;
                }
                part.edges
                    .extend(
                        targets
                            .into_iter()
                            .filter(|&callee| callee != caller)
                            .map(|callee| Edge {
                                caller,
                                callee,
                                call: CallRef {
                                    file: fi,
                                    index: ci,
                                },
                            }),
                    );
            }
        }
        part
    }
}

/// Files of `calls` calls each cut into at most `n` contiguous runs of about the same number of
/// calls.
fn split(calls: &[usize], n: usize) -> Vec<std::ops::Range<usize>> {
    let total: usize = calls.iter().sum();
    let mut runs = Vec::with_capacity(n);
    let (mut start, mut seen) = (0, 0);
    for (fi, c) in calls.iter().enumerate() {
        seen += c;
        if runs.len() + 1 < n && seen * n >= total * (runs.len() + 1) {
            runs.push(start..fi + 1);
            start = fi + 1;
        }
    }
    runs.push(start..calls.len());
    runs
}

/// A value judged through the callers of the fn it is a parameter of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThroughCallers<T> {
    /// No fn of the workspace calls it (or none resolvably): judge the value alone.
    NoCallers,
    /// Every caller (through parameters handed on, up to the depth) passes a fine value.
    Fine,
    /// The first caller, in file and line order, that passes a wrong value (or hands on a
    /// parameter deeper than the depth allows): where, and what the judge said.
    Wrong {
        file: usize,
        line: u32,
        why: Option<T>,
    },
}

impl CallGraph {
    /// Judges parameter `param` of fn `f` through every caller (DESIGN.md §8.2): each call's
    /// argument in that place is given to `judge`; a caller that passes its own parameter is
    /// followed to its callers, at most `depth` calls up. Fine when every path is fine.
    pub fn through_callers<T>(
        &self,
        index: &Index<'_>,
        f: FnId,
        param: usize,
        depth: usize,
        judge: &mut Judge<'_, T>,
    ) -> ThroughCallers<T> {
        let mut seen = BTreeSet::new();
        self.through(index, f, param, depth, judge, &mut seen, true)
    }

    #[allow(clippy::too_many_arguments)]
    fn through<T>(
        &self,
        index: &Index<'_>,
        f: FnId,
        param: usize,
        depth: usize,
        judge: &mut Judge<'_, T>,
        seen: &mut BTreeSet<(FnId, usize)>,
        top: bool,
    ) -> ThroughCallers<T> {
        if !seen.insert((f, param)) {
            // Recursion: this path adds nothing new.
            return ThroughCallers::Fine;
        }
        let mut callers: Vec<Edge> = self.callers(f).to_vec();
        callers.sort_by_key(|e| (index.rel(e.call.file), self.call(index, e.call).line));
        if callers.is_empty() {
            return if top {
                ThroughCallers::NoCallers
            } else {
                // A fn that hands the value on but that nothing calls: judged where it is.
                ThroughCallers::Wrong {
                    file: f.file,
                    line: index.func(f).span.start.line,
                    why: None,
                }
            };
        }
        for e in callers {
            let call = self.call(index, e.call);
            let arg = call.args.get(param);
            match judge(e.caller, call, arg) {
                Passed::Fine => {}
                Passed::Wrong(why) => {
                    return ThroughCallers::Wrong {
                        file: e.call.file,
                        line: call.line,
                        why: Some(why),
                    }
                }
                Passed::Param(p) => {
                    if depth == 0 {
                        return ThroughCallers::Wrong {
                            file: e.call.file,
                            line: call.line,
                            why: None,
                        };
                    }
                    match self.through(index, e.caller, p, depth - 1, judge, seen, false) {
                        ThroughCallers::Fine | ThroughCallers::NoCallers => {}
                        wrong => return wrong,
                    }
                }
            }
        }
        ThroughCallers::Fine
    }
}

/// Methods by (type name, method name) and trait methods by (trait name, method name).
struct Methods {
    by_type: ByName,
    by_trait: ByName,
    traits: foldhash::HashSet<Name>,
}

/// Methods by the name of their type or trait, then by their own name: keyed by the facts'
/// names, looked up by text.
type ByName = HashMap<Name, HashMap<Name, Vec<FnId>>>;

impl Methods {
    fn build(index: &Index<'_>) -> Methods {
        let mut m = Methods {
            by_type: HashMap::new(),
            by_trait: HashMap::new(),
            traits: foldhash::HashSet::default(),
        };
        let add = |by: &mut ByName, owner: &Name, name: &Name, id: FnId| {
            let of_owner = match by.get_mut(owner.as_str()) {
                Some(o) => o,
                None => by.entry(owner.clone()).or_default(),
            };
            match of_owner.get_mut(name.as_str()) {
                Some(ids) => ids.push(id),
                None => {
                    of_owner.insert(name.clone(), vec![id]);
                }
            }
        };
        for (fi, f) in index.files.iter().enumerate() {
            for (i, func) in f.fns.iter().enumerate() {
                if func.is_closure {
                    continue;
                }
                let id = FnId { file: fi, index: i };
                let Some(ty) = &func.self_ty else { continue };
                if func.in_trait {
                    if !m.traits.contains(ty.as_str()) {
                        m.traits.insert(ty.clone());
                    }
                    add(&mut m.by_trait, ty, &func.name, id);
                    continue;
                }
                add(&mut m.by_type, ty, &func.name, id);
                let trait_ = func
                    .impl_index()
                    .and_then(|k| f.impls.get(k as usize))
                    .and_then(|imp| imp.trait_.as_ref())
                    .and_then(|t| t.last());
                if let Some(t) = trait_ {
                    add(&mut m.by_trait, &Name::new(t), &func.name, id);
                }
            }
        }
        m
    }

    /// The methods `name` of a type or trait called `ty`.
    fn of(&self, ty: &Named, name: &str) -> Vec<FnId> {
        let get = |by: &ByName| {
            by.get(ty.name.as_str())
                .and_then(|of| of.get(name))
                .cloned()
        };
        if ty.is_trait || self.traits.contains(ty.name.as_str()) {
            if let Some(v) = get(&self.by_trait) {
                return v;
            }
        }
        get(&self.by_type).unwrap_or_default()
    }
}

/// A type or trait a receiver stands for, by its last path segment.
struct Named {
    name: String,
    is_trait: bool,
}

/// Type texts parsed once each: the type or traits they name, wrappers looked through.
#[derive(Default)]
struct TypeMemo(HashMap<String, std::rc::Rc<Digest>>);

/// What a type text names, before aliases: a path (its segments) or the traits of a
/// `dyn`/`impl` type.
enum Digest {
    Path(Vec<String>),
    Traits(Vec<String>),
    Other,
}

impl TypeMemo {
    fn digest(&mut self, text: &str) -> std::rc::Rc<Digest> {
        if let Some(d) = self.0.get(text) {
            return d.clone();
        }
        let d = std::rc::Rc::new(match syn::parse_str::<syn::Type>(text) {
            Ok(ty) => digest(&ty),
            Err(_) => Digest::Other,
        });
        self.0.insert(text.to_string(), d.clone());
        d
    }
}

fn digest(ty: &syn::Type) -> Digest {
    match ty {
        syn::Type::Reference(r) => digest(&r.elem),
        syn::Type::Paren(p) => digest(&p.elem),
        syn::Type::Group(g) => digest(&g.elem),
        syn::Type::TraitObject(t) => Digest::Traits(traits_of(&t.bounds)),
        syn::Type::ImplTrait(t) => Digest::Traits(traits_of(&t.bounds)),
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return Digest::Other;
            };
            if WRAPPERS.contains(&last.ident.to_string().as_str()) {
                if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
                    for g in &a.args {
                        if let syn::GenericArgument::Type(inner) = g {
                            return digest(inner);
                        }
                    }
                }
                return Digest::Other;
            }
            Digest::Path(crate::ast::segments(&p.path))
        }
        _ => Digest::Other,
    }
}

fn resolve(
    index: &Index<'_>,
    methods: &Methods,
    types: &mut TypeMemo,
    file: usize,
    caller: &FnFact,
    c: &CallFact,
) -> Vec<FnId> {
    match &c.callee {
        Callee::Path(segs) => {
            let segs: Vec<String> = match (segs.first().map(String::as_str), &caller.self_ty) {
                (Some("Self"), Some(ty)) => std::iter::once(ty.to_string())
                    .chain(segs[1..].iter().cloned())
                    .collect(),
                _ => segs.to_vec(),
            };
            if let Some(id) = index.resolve_fn(file, &caller.module, &segs) {
                return vec![id];
            }
            // `Trait::method(x)`: every impl.
            if segs.len() >= 2 {
                let named = Named {
                    name: segs[segs.len() - 2].clone(),
                    is_trait: false,
                };
                let last = &segs[segs.len() - 1];
                if methods.traits.contains(named.name.as_str()) {
                    return methods.of(&named, last);
                }
            }
            Vec::new()
        }
        Callee::Method { name, recv } => {
            let mut out = Vec::new();
            for ty in recv_types(index, types, file, caller, recv, 0) {
                out.extend(methods.of(&ty, name));
            }
            out.sort();
            out.dedup();
            out
        }
    }
}

/// What a receiver's type stands for.
fn recv_types(
    index: &Index<'_>,
    types: &mut TypeMemo,
    file: usize,
    caller: &FnFact,
    recv: &RecvTy,
    depth: usize,
) -> Vec<Named> {
    if depth > 6 {
        return Vec::new();
    }
    match recv {
        RecvTy::SelfValue => caller
            .self_ty
            .iter()
            .map(|t| Named {
                name: t.to_string(),
                is_trait: caller.in_trait,
            })
            .collect(),
        RecvTy::Type(text) => named_of(index, types, file, &caller.module, text, 0),
        RecvTy::Field(path) => {
            let (root, fields) = &**path;
            // The root's type, then each field's type from the struct that declares it.
            let roots = recv_types(index, types, file, caller, root, depth + 1);
            let mut cur: Vec<(String, usize, crate::intern::Module)> = roots
                .into_iter()
                .map(|n| (n.name, file, caller.module.clone()))
                .collect();
            for field in fields {
                let mut next = Vec::new();
                for (ty, tfile, tmodule) in &cur {
                    let hits = {
                        let found = index.resolve_item(
                            *tfile,
                            tmodule,
                            std::slice::from_ref(ty),
                            &[ItemKind::Struct],
                        );
                        if found.is_empty() {
                            index.items_named(index.package_of(*tfile), ty, &[ItemKind::Struct])
                        } else {
                            found
                        }
                    };
                    for r in hits {
                        let s = &index.files[r.file].structs[r.index];
                        if let Some(i) = s.fields.iter().position(|(n, _)| n == field) {
                            let fty = s.field_types.get(i).unwrap_or(&s.fields[i].1);
                            for n in named_of(index, types, r.file, &s.module, fty, 0) {
                                next.push((n.name, r.file, s.module.clone()));
                            }
                        }
                    }
                }
                cur = next;
            }
            cur.into_iter()
                .map(|(name, _, _)| Named {
                    name,
                    is_trait: false,
                })
                .collect()
        }
    }
}

/// The type or traits a type written in `module` of `file` stands for: wrappers, references
/// and workspace type aliases looked through; `dyn Trait` / `impl Trait` to their traits.
fn named_of(
    index: &Index<'_>,
    types: &mut TypeMemo,
    file: usize,
    module: &[String],
    text: &str,
    depth: usize,
) -> Vec<Named> {
    if depth > 4 {
        return Vec::new();
    }
    match &*types.digest(text) {
        Digest::Traits(t) => t
            .iter()
            .map(|name| Named {
                name: name.clone(),
                is_trait: true,
            })
            .collect(),
        Digest::Path(segs) => {
            // A type alias of the workspace stands for what it names.
            if let Some(r) = index
                .resolve_item(file, module, segs, &[ItemKind::Alias])
                .first()
            {
                let a = &index.files[r.file].aliases[r.index];
                return named_of(index, types, r.file, &a.module, &a.ty, depth + 1);
            }
            segs.last()
                .map(|name| Named {
                    name: name.clone(),
                    is_trait: false,
                })
                .into_iter()
                .collect()
        }
        Digest::Other => Vec::new(),
    }
}

fn traits_of(
    bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
) -> Vec<String> {
    bounds
        .iter()
        .filter_map(|b| match b {
            syn::TypeParamBound::Trait(t) => t.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fn's callers and callees, in the graph's order.
    fn edges(g: &CallGraph) -> (Vec<Edge>, Vec<Edge>) {
        let mut out: Vec<Edge> = g.out.values().flatten().copied().collect();
        let mut into: Vec<Edge> = g.into.values().flatten().copied().collect();
        out.sort();
        into.sort();
        for (f, v) in g.out.iter().chain(&g.into) {
            assert!(!v.is_empty(), "{f:?} has an empty list");
            assert!(
                v.windows(2).all(|w| w[0] < w[1]),
                "{f:?}: sorted, no duplicates"
            );
        }
        (out, into)
    }

    /// The demo project's workspace and the default config.
    fn demo() -> (crate::workspace::Workspace, crate::config::Config) {
        let opts = crate::Options {
            path: std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fixtures/projects/demo-saas"),
            ..crate::Options::default()
        };
        let ws = crate::discover(&opts).unwrap().remove(0);
        (ws, crate::config::Config::defaults())
    }

    #[test]
    fn the_graph_is_the_same_on_any_number_of_threads() {
        let (mut ws, config) = demo();
        let extracted = crate::phase1::extract_all(&ws, &config, Some(1)).unwrap();
        ws.files = extracted.sources;
        let index = Index::build(&ws, &config, &extracted.facts);
        let serial = CallGraph::build_with(&index, 1, usize::MAX);
        assert!(
            serial.resolved > 10,
            "the demo resolves calls: {}",
            serial.resolved
        );
        let want = edges(&serial);
        // One call a worker: as many workers as threads, each taking runs in turn.
        for threads in [2, 3, 8] {
            let g = CallGraph::build_with(&index, threads, 1);
            assert_eq!((g.calls, g.resolved), (serial.calls, serial.resolved));
            assert!(edges(&g) == want, "{threads} threads: another graph");
        }
    }

    /// The calls [`drop_unresolvable`] drops are the ones the graph skips unread: the graph
    /// of the demo is the same with every call fact and with those kept.
    #[test]
    fn dropped_calls_are_edges_to_nothing() {
        let (mut ws, config) = demo();
        let every = crate::phase1::extract_every_call(&ws, &config, Some(1)).unwrap();
        ws.files = every.sources;
        let mut kept = every.facts.clone();
        let dropped = drop_unresolvable(&mut kept);
        let total: usize = every.facts.iter().map(|f| f.calls.len()).sum();
        assert!(dropped > 0 && dropped < total, "{dropped} of {total}");
        // Edges name their call by position, which dropping moves: compare the calls.
        let graph = |facts: &[FileFacts]| {
            let index = Index::build(&ws, &config, facts);
            let g = CallGraph::build_with(&index, 1, usize::MAX);
            let (out, _) = edges(&g);
            let named: Vec<_> = out
                .iter()
                .map(|e| {
                    let c = g.call(&index, e.call);
                    (e.caller, e.callee, c.line, c.callee.clone())
                })
                .collect();
            (g.resolved, named)
        };
        let (all, some) = (graph(&every.facts), graph(&kept));
        assert!(all.0 > 10, "the demo resolves calls: {}", all.0);
        assert_eq!(all, some);
    }

    #[test]
    fn runs_cover_every_file_once_in_order() {
        let calls = [5, 0, 0, 9, 1, 1, 1, 30, 0, 2];
        for n in 1..=12 {
            let runs = split(&calls, n);
            assert!(runs.len() <= n && !runs.is_empty(), "{n}: {runs:?}");
            assert_eq!(runs[0].start, 0);
            assert_eq!(runs.last().unwrap().end, calls.len());
            assert!(
                runs.windows(2).all(|w| w[0].end == w[1].start),
                "{n}: {runs:?}"
            );
        }
        // Half the calls (24.5) are reached with the 30-call file.
        assert_eq!(split(&calls, 2), [0..8, 8..10]);
    }
}
