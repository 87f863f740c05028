//! Phase 2 for caches: receivers that are fields, statics or types declared in other files and
//! crates are decided from every crate's structs, statics and type aliases; keys whose declared
//! type is a struct with a tenant field are scoped; keys made from a parameter of their fn are
//! judged through every caller in the call graph ([`CallGraph::through_callers`]); calls inside
//! the impl of a configured cache interface are judged at the interface's callers, not there.

use super::types::{classify, looks_like_cache, owner_name, CacheType, TypeEnv};
use super::{CacheFact, Family, KeyType, Pending, PendingRoot, Step, FAMILIES};
use crate::callgraph::{CallGraph, Passed, ThroughCallers};
use crate::diagnostic::Span;
use crate::extract::tenant::{has_tenant_type, names_tenant};
use crate::extract::{ArgInfo, CallFact, Generics, StructFact};
use crate::index::{FnId, Index, ItemKind, ItemRef};
use foldhash::{HashMap, HashMapExt};
use std::cell::RefCell;

/// Every cache call of the workspace, decided.
#[derive(Debug, Default)]
pub struct Resolved {
    /// `(file index, fact)` of every cache call seen.
    pub calls: Vec<(usize, CacheFact)>,
    /// Calls on receivers that look like caches ([`looks_like_cache`]) but whose type could not
    /// be known: `(file index, call, receiver)`. Not judged; counted in the summary.
    pub unresolved: Vec<(usize, Span, String)>,
}

/// Decides every cache call of the workspace.
pub fn resolve(index: &Index<'_>, graph: &CallGraph) -> Resolved {
    let mut out = Resolved::default();
    let resolver = Phase2::new(index);
    for (fi, f) in index.files.iter().enumerate() {
        for c in &f.caches {
            let Some(p) = &c.pending else {
                out.calls.push((fi, c.clone()));
                continue;
            };
            let ct = match resolver.receiver(fi, p) {
                Receiver::Cache(ct) => *ct,
                // A call without arguments takes no key (`pool.get()`): nothing to count.
                _ if p.args.is_empty() => continue,
                Receiver::Other(name) if looks_like_cache(&name) => {
                    out.unresolved.push((fi, c.span, name));
                    continue;
                }
                Receiver::Unknown if looks_like_cache(pending_name(p)) => {
                    out.unresolved
                        .push((fi, c.span, pending_name(p).to_string()));
                    continue;
                }
                Receiver::Other(_) | Receiver::Unknown | Receiver::Workspace => continue,
            };
            let family = FAMILIES[ct.family];
            for j in family.judge(&p.method, &p.args, index.config) {
                let mut fact = ct.fact(j, c.span, c.item.clone(), &p.module);
                fact.fn_index = c.fn_index;
                out.calls.push((fi, fact));
            }
        }
    }
    let depth = index.config.handlers.check_depth;
    for (fi, fact) in out.calls.iter_mut() {
        if fact.scoped || fact.global {
            continue;
        }
        let fn_id = fact.fn_index.map(|i| FnId {
            file: *fi,
            index: i as usize,
        });
        if fn_id.is_some_and(|f| resolver.in_interface_impl(f)) {
            // The interface's callers are judged (its scoped methods), not its own body.
            fact.scoped = true;
            continue;
        }
        if fact.key_types.iter().any(|k| resolver.scopes(k, *fi))
            || resolver.interface_takes_key_type(fact)
        {
            fact.scoped = true;
            continue;
        }
        let (Some(f), false) = (fn_id, fact.params.is_empty()) else {
            continue;
        };
        let mut first_wrong = None;
        for &param in &fact.params {
            let mut judge = |caller: FnId, _call: &CallFact, arg: Option<&ArgInfo>| {
                resolver.passed(caller, arg)
            };
            match graph.through_callers(index, f, param, depth, &mut judge) {
                ThroughCallers::Fine => {
                    fact.scoped = true;
                    break;
                }
                // No caller in the workspace: judged alone.
                ThroughCallers::NoCallers => break,
                ThroughCallers::Wrong { file, line, .. } => {
                    if first_wrong.is_none() {
                        let name = index
                            .func(f)
                            .params
                            .get(param)
                            .and_then(|p| p.name.as_ref().map(ToString::to_string))
                            .unwrap_or_else(|| format!("#{}", param + 1));
                        first_wrong = Some((format!("{}:{line}", index.rel(file)), name));
                    }
                }
            }
        }
        if !fact.scoped {
            fact.unscoped_caller = first_wrong.map(Box::new);
        }
    }
    // The types parsed here registered their text with proc-macro2's span table of this
    // thread; nothing parsed outlives the resolution.
    drop(resolver);
    proc_macro2::extra::invalidate_current_thread_spans();
    out
}

/// The name a pending receiver goes by: its last field or getter (not a lock or a clone), the
/// static, the type, or the name.
fn pending_name(p: &Pending) -> &str {
    for step in p.steps.iter().rev() {
        match step {
            Step::Field(f) => return f,
            Step::Method(m) if !super::types::is_pass(m) => return m,
            Step::Method(_) => {}
        }
    }
    match &p.root {
        PendingRoot::Static(path) => path.last().map_or("", String::as_str),
        PendingRoot::Type(t) => t,
        PendingRoot::Untyped(n) => n,
    }
}

/// What a pending receiver is.
#[derive(Clone)]
pub enum Receiver {
    /// Boxed: receivers are remembered by the thousand, few of them caches.
    Cache(Box<CacheType>),
    /// A type of the workspace (its own methods are judged where they are written).
    Workspace,
    /// A type no family reads, by its name (`LruCache`, `HashMap`).
    Other(String),
    /// The static, struct or field is not in the workspace, or the receiver was never typed.
    Unknown,
}

/// A type as written (text) in a module of a file.
type WrittenType = (usize, Vec<String>, String);

/// What decides a pending receiver: the file and module of the call, its root, the steps from
/// it and the generics in scope (many calls of a file share one: `state.redis`).
type ReceiverKey<'i> = (
    usize,
    &'i crate::intern::Module,
    &'i PendingRoot,
    &'i [Step],
    &'i crate::extract::Generics,
);

/// Decides pending receivers from every crate's structs, statics and type aliases.
pub struct Phase2<'i, 'a> {
    index: &'i Index<'a>,
    /// Methods of workspace types and traits: (type or trait, method) -> the fns.
    methods: HashMap<(&'i str, &'i str), Vec<FnId>>,
    /// Trait impls of workspace types: type -> (file, index in its `impls`).
    impls: HashMap<&'i str, Vec<(usize, usize)>>,
    /// The workspace's traits, by name.
    traits: foldhash::HashSet<&'i str>,
    /// Does the struct behind a key type carry a tenant field? By (file, module, type).
    tenant_structs: RefCell<HashMap<WrittenType, bool>>,
    /// Receivers already decided.
    receivers: RefCell<HashMap<ReceiverKey<'i>, Receiver>>,
    /// The names of the workspace's type aliases: a type of another name is none.
    alias_names: foldhash::HashSet<&'i str>,
    /// Type texts parsed (`None`: not a type); many receivers share one (`State<AppState>`).
    parsed: RefCell<HashMap<String, Option<std::rc::Rc<syn::Type>>>>,
}

impl<'i, 'a> Phase2<'i, 'a> {
    pub fn new(index: &'i Index<'a>) -> Phase2<'i, 'a> {
        let mut methods: HashMap<(&str, &str), Vec<FnId>> = HashMap::new();
        let mut impls: HashMap<&str, Vec<(usize, usize)>> = HashMap::new();
        let mut traits = foldhash::HashSet::default();
        let mut alias_names = foldhash::HashSet::default();
        for (fi, f) in index.files.iter().enumerate() {
            alias_names.extend(f.aliases.iter().map(|a| a.name.as_str()));
            for (i, func) in f.fns.iter().enumerate() {
                if let (true, Some(t)) = (func.in_trait, &func.self_ty) {
                    traits.insert(t.as_str());
                }
                if let Some(ty) = &func.self_ty {
                    methods
                        .entry((ty.as_str(), func.name.as_str()))
                        .or_default()
                        .push(FnId { file: fi, index: i });
                }
            }
            for (i, imp) in f.impls.iter().enumerate() {
                if let (Some(ty), Some(_)) = (imp.self_ty.last(), &imp.trait_) {
                    impls.entry(ty.as_str()).or_default().push((fi, i));
                }
            }
        }
        // A use may rename an alias (`pub use crate::db::Cache as Store`).
        let renamed: Vec<&str> = index
            .files
            .iter()
            .flat_map(|f| &f.uses)
            .filter(|u| {
                u.path
                    .last()
                    .is_some_and(|l| alias_names.contains(l.as_str()))
            })
            .map(|u| u.alias.as_str())
            .collect();
        alias_names.extend(renamed);
        Phase2 {
            index,
            methods,
            impls,
            traits,
            tenant_structs: RefCell::new(HashMap::new()),
            receivers: RefCell::new(HashMap::new()),
            alias_names,
            parsed: RefCell::new(HashMap::new()),
        }
    }

    /// Items of `kinds` a path written in `module` of `file` may name: the resolved ones, else
    /// every one of that name in the file's package (the first that fits wins).
    fn items(
        &self,
        file: usize,
        module: &[String],
        path: &[String],
        kinds: &[ItemKind],
    ) -> Vec<ItemRef> {
        let found = self.index.resolve_item(file, module, path, kinds);
        if !found.is_empty() {
            return found;
        }
        let Some(name) = path.last() else {
            return Vec::new();
        };
        self.index
            .items_named(self.index.package_of(file), name, kinds)
    }

    /// `ty` parsed as a type, once per text.
    fn parse(&self, ty: &str) -> Option<std::rc::Rc<syn::Type>> {
        if let Some(hit) = self.parsed.borrow().get(ty) {
            return hit.clone();
        }
        let found = syn::parse_str::<syn::Type>(ty).ok().map(std::rc::Rc::new);
        self.parsed
            .borrow_mut()
            .insert(ty.to_string(), found.clone());
        found
    }

    /// A type written in `module` of `file`, type aliases of the workspace followed
    /// (`pub type Cache = moka::future::Cache<String, Plan>`): the text and where it is written.
    /// An alias configured as a cache interface (`RwHashMap`) is kept: it is the receiver's type.
    fn unalias(
        &self,
        ty: String,
        file: usize,
        module: crate::intern::Module,
    ) -> (String, usize, crate::intern::Module) {
        let (mut ty, mut file, mut module) = (ty, file, module);
        for _ in 0..4 {
            let Some(parsed) = self.parse(&ty) else {
                break;
            };
            // `Lazy<Users>`: the wrappers say nothing, the type inside may be an alias.
            let inner = super::types::peel_wrappers(&parsed);
            let syn::Type::Path(p) = inner else { break };
            let segs = crate::ast::segments(&p.path);
            if segs.last().is_none_or(|l| {
                !self.alias_names.contains(l.as_str())
                    || FAMILIES.iter().any(|f| f.owns_name(l, self.index.config))
            }) {
                break;
            }
            let found = self
                .index
                .resolve_item(file, &module, &segs, &[ItemKind::Alias]);
            let Some(r) = found.first() else { break };
            let a = &self.index.files[r.file].aliases[r.index];
            (ty, file, module) = (a.ty.to_string(), r.file, a.module.clone());
        }
        (ty, file, module)
    }

    /// The cache type of a pending receiver, if it is one.
    pub fn receiver(&self, file: usize, p: &'i Pending) -> Receiver {
        let key = (file, &p.module, &p.root, &p.steps[..], &p.generics);
        if let Some(hit) = self.receivers.borrow().get(&key) {
            return hit.clone();
        }
        let found = self.receiver_uncached(file, p);
        self.receivers.borrow_mut().insert(key, found.clone());
        found
    }

    fn receiver_uncached(&self, file: usize, p: &Pending) -> Receiver {
        // (type text, file it is written in, module it is written in)
        let (mut ty, mut tfile, mut tmodule) = match &p.root {
            PendingRoot::Type(t) => (t.clone(), file, p.module.clone()),
            PendingRoot::Static(path) => {
                let Some(r) = self
                    .items(file, &p.module, path, &[ItemKind::Static])
                    .first()
                    .copied()
                else {
                    return Receiver::Unknown;
                };
                let s = &self.index.files[r.file].statics[r.index];
                (s.ty.to_string(), r.file, s.module.clone())
            }
            PendingRoot::Untyped(_) => return Receiver::Unknown,
        };
        // The generics in scope of the type: the call's fn and impl, then the struct's own.
        let mut generics: Generics = p.generics.clone();
        for step in &p.steps {
            (ty, tfile, tmodule) = self.unalias(ty, tfile, tmodule);
            let Some(owner) = self.parse(&ty).and_then(|t| owner_path(&t)) else {
                return Receiver::Unknown;
            };
            match step {
                Step::Field(field) => {
                    let hits = self.items(tfile, &tmodule, &owner, &[ItemKind::Struct]);
                    let found = hits.iter().find_map(|r| {
                        let s: &StructFact = &self.index.files[r.file].structs[r.index];
                        let i = s.fields.iter().position(|(n, _)| n == field)?;
                        let ty = s.field_types.get(i).unwrap_or(&s.fields[i].1);
                        Some((ty.to_string(), r.file, s.module.clone(), &s.generics))
                    });
                    let Some((fty, ffile, fmodule, sgen)) = found else {
                        return Receiver::Unknown;
                    };
                    (ty, tfile, tmodule) = (fty, ffile, fmodule);
                    // The struct's bounds and the impl's, by parameter name (`struct S<C>`
                    // with `impl<C: TenantCache> S<C>`).
                    for (name, bounds) in sgen {
                        match generics.iter_mut().find(|(n, _)| n == name) {
                            Some((_, b)) => b.extend(bounds.iter().cloned()),
                            None => generics.push((name.clone(), bounds.clone())),
                        }
                    }
                }
                Step::Method(method) => {
                    // A getter of a workspace type gives its return type; a lock, a clone or a
                    // library's getter keeps the type.
                    let name = owner.last().cloned().unwrap_or_default();
                    let Some(f) = self
                        .methods
                        .get(&(name.as_str(), method.as_str()))
                        .and_then(|fs| {
                            fs.iter()
                                .copied()
                                .find(|f| self.index.func(*f).ret.is_some())
                        })
                    else {
                        continue;
                    };
                    if self
                        .items(tfile, &tmodule, &owner, &[ItemKind::Struct, ItemKind::Enum])
                        .is_empty()
                    {
                        continue;
                    }
                    let func = self.index.func(f);
                    let Some(ret) = &func.ret else { continue };
                    (ty, tfile, tmodule) = (ret.to_string(), f.file, func.module.clone());
                }
            }
        }
        (ty, tfile, tmodule) = self.unalias(ty, tfile, tmodule);
        let Some(parsed) = self.parse(&ty) else {
            return Receiver::Unknown;
        };
        let env = TypeEnv {
            uses: &self.index.files[tfile].uses,
            module: &tmodule,
            pkg: &self.index.ws.packages[self.index.package_of(tfile)],
            config: self.index.config,
            generics: &generics,
        };
        if let Some(mut ct) = classify(&parsed, &env) {
            if let Some(k) = &mut ct.key_ty {
                k.file = Some(tfile);
            }
            return Receiver::Cache(Box::new(ct));
        }
        let inner = super::types::peel_wrappers(&parsed);
        if let syn::Type::TraitObject(syn::TypeTraitObject { bounds, .. })
        | syn::Type::ImplTrait(syn::TypeImplTrait { bounds, .. }) = inner
        {
            // `Box<dyn FileList>`: a trait of the workspace has its impls judged where they are.
            let ours = bounds.iter().any(|b| match b {
                syn::TypeParamBound::Trait(t) => t
                    .path
                    .segments
                    .last()
                    .is_some_and(|l| self.traits.contains(l.ident.to_string().as_str())),
                _ => false,
            });
            return if ours {
                Receiver::Workspace
            } else {
                Receiver::Unknown
            };
        }
        let Some(owner) = owner_path(inner) else {
            return Receiver::Unknown;
        };
        let name = owner.last().cloned().unwrap_or_default();
        if self
            .items(tfile, &tmodule, &owner, &[ItemKind::Struct, ItemKind::Enum])
            .is_empty()
        {
            // A library's type no family reads (`lru::LruCache`).
            return Receiver::Other(name);
        }
        // A workspace type that implements a family's trait
        // (`impl redis::aio::ConnectionLike for RedisConnection<'_>`) is that family's receiver.
        self.family_impl(&name)
            .map_or(Receiver::Workspace, |ct| Receiver::Cache(Box::new(ct)))
    }

    /// The family whose trait a workspace type (by name) implements.
    fn family_impl(&self, name: &str) -> Option<CacheType> {
        for (file, imp) in self.impls.get(name)? {
            let f = &self.index.files[*file];
            let Some(t) = &f.impls[*imp].trait_ else {
                continue;
            };
            let env = TypeEnv {
                uses: &f.uses,
                module: &f.impls[*imp].module,
                pkg: &self.index.ws.packages[self.index.package_of(*file)],
                config: self.index.config,
                generics: &[],
            };
            if let Some(ct) = super::types::classify_trait(t, &env) {
                return Some(ct);
            }
        }
        None
    }

    /// Is the fn a method of a configured cache interface (its impl, or a trait's own default
    /// method)?
    fn in_interface_impl(&self, f: FnId) -> bool {
        let func = self.index.func(f);
        let config = self.index.config;
        if config.cache.interfaces.is_empty() {
            return false;
        }
        let custom = |name: &str| super::custom::Custom.owns_name(name, config);
        if func.self_ty.as_deref().is_some_and(custom) {
            return true;
        }
        func.impl_index()
            .and_then(|k| self.index.files[f.file].impls.get(k as usize))
            .and_then(|imp| imp.trait_.as_ref())
            .and_then(|t| t.last())
            .is_some_and(|t| custom(t))
    }

    /// Does the configured interface's own method take a key type (a parameter whose type is a
    /// struct with a tenant field: `batch_insert(&self, rows: Vec<PendingWrite>)`)? Every call
    /// then passes one. (A parameter of a bare tenant type does not count: which tenant a
    /// caller passes is what the call is judged by.)
    fn interface_takes_key_type(&self, fact: &CacheFact) -> bool {
        let config = self.index.config;
        if !super::custom::Custom.owns_name(&fact.family, config) {
            return false;
        }
        let Some(fns) = self.methods.get(&(fact.family.as_str(), fact.op.as_str())) else {
            return false;
        };
        fns.iter().any(|f| {
            let func = self.index.func(*f);
            func.params.iter().any(|p| {
                let bare = syn::parse_str::<syn::Type>(&p.ty)
                    .ok()
                    .and_then(|t| owner_name(&t))
                    .is_some_and(|n| has_tenant_type(&n, config));
                !bare && self.type_scopes(&p.ty, f.file, &func.module)
            })
        })
    }

    /// Does a key type name a struct with a tenant field (or contain a tenant type)?
    fn scopes(&self, k: &KeyType, call_file: usize) -> bool {
        let file = k.file.unwrap_or(call_file);
        match &k.ret_of {
            // What the fn that made the key returns, written where the fn is: a key type (a
            // struct with a tenant field, a key builder's type). A fn that returns a bare tenant
            // (`public_org()`, `default_org()`) gives a fixed tenant, not the caller's.
            Some(path) => self
                .index
                .resolve_fn(file, &k.module, path)
                .and_then(|f| {
                    let func = self.index.func(f);
                    let ret = func.ret.as_deref()?;
                    let bare = syn::parse_str::<syn::Type>(ret).ok().and_then(|t| {
                        owner_name(&t).filter(|n| has_tenant_type(n, self.index.config))
                    });
                    Some(bare.is_none() && self.type_scopes(ret, f.file, &func.module))
                })
                .unwrap_or(false),
            None => self.type_scopes(&k.ty, file, &k.module),
        }
    }

    fn type_scopes(&self, ty: &str, file: usize, module: &[String]) -> bool {
        let config = self.index.config;
        if has_tenant_type(ty, config) {
            return true;
        }
        let key = (file, module.to_vec(), ty.to_string());
        if let Some(v) = self.tenant_structs.borrow().get(&key) {
            return *v;
        }
        let paths = syn::parse_str::<syn::Type>(ty)
            .ok()
            .map(|t| {
                let mut paths = Vec::new();
                named_paths(&t, &mut paths, 0);
                paths
            })
            .unwrap_or_default();
        // A type whose constructor is a configured key builder (`IdempotencyKey::new`).
        let built = |name: &str| {
            config.cache.key_builders.iter().any(|b| {
                let mut it = b.rsplit("::");
                it.next();
                it.next().is_some_and(|t| t.trim() == name)
            })
        };
        let found = paths.iter().any(|p| p.last().is_some_and(|l| built(l)))
            || paths.iter().any(|path| {
                self.items(file, module, path, &[ItemKind::Struct])
                    .iter()
                    .take(1)
                    .any(|r| {
                        let s = &self.index.files[r.file].structs[r.index];
                        s.fields.iter().any(|(name, fty)| {
                            names_tenant(name, config) || has_tenant_type(fty, config)
                        })
                    })
            });
        self.tenant_structs.borrow_mut().insert(key, found);
        found
    }

    /// What a caller passes for a key parameter.
    fn passed(&self, caller: FnId, arg: Option<&ArgInfo>) -> Passed<()> {
        let Some(a) = arg else {
            return Passed::Wrong(());
        };
        if a.scoped {
            return Passed::Fine;
        }
        let config = self.index.config;
        let func = self.index.func(caller);
        if let Some(p) = a.param {
            // The caller's own parameter: fine when it names the tenant or has its type, else
            // the caller's callers decide.
            let tenant = func.params.get(p as usize).is_some_and(|q| {
                q.name.as_deref().is_some_and(|n| names_tenant(n, config))
                    || has_tenant_type(&q.ty, config)
            });
            return if tenant {
                Passed::Fine
            } else {
                Passed::Param(p as usize)
            };
        }
        if a.ty
            .as_deref()
            .is_some_and(|t| self.type_scopes(t, caller.file, &func.module))
        {
            return Passed::Fine;
        }
        Passed::Wrong(())
    }
}

/// The paths of the types a type names, wrappers, references, tuples and slices looked
/// through (`Arc<(StreamParams, u64)>` -> `StreamParams`, `u64`).
fn named_paths(ty: &syn::Type, out: &mut Vec<Vec<String>>, depth: usize) {
    if depth > 8 {
        return;
    }
    match ty {
        syn::Type::Reference(r) => named_paths(&r.elem, out, depth + 1),
        syn::Type::Paren(p) => named_paths(&p.elem, out, depth + 1),
        syn::Type::Group(g) => named_paths(&g.elem, out, depth + 1),
        syn::Type::Slice(s) => named_paths(&s.elem, out, depth + 1),
        syn::Type::Array(a) => named_paths(&a.elem, out, depth + 1),
        syn::Type::Tuple(t) => t.elems.iter().for_each(|e| named_paths(e, out, depth + 1)),
        syn::Type::Path(p) if p.qself.is_none() => {
            out.push(crate::ast::segments(&p.path));
            if let Some(syn::PathArguments::AngleBracketed(a)) =
                p.path.segments.last().map(|s| &s.arguments)
            {
                for g in &a.args {
                    if let syn::GenericArgument::Type(t) = g {
                        named_paths(t, out, depth + 1);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The path of the struct a type names, wrappers and references looked through
/// (`State<crate::AppState>` -> `crate::AppState`).
fn owner_path(ty: &syn::Type) -> Option<Vec<String>> {
    let name = owner_name(ty)?;
    let mut found = None;
    find_owner(ty, &name, &mut found);
    found.or(Some(vec![name]))
}

fn find_owner(ty: &syn::Type, name: &str, out: &mut Option<Vec<String>>) {
    match ty {
        syn::Type::Reference(r) => find_owner(&r.elem, name, out),
        syn::Type::Paren(p) => find_owner(&p.elem, name, out),
        syn::Type::Group(g) => find_owner(&g.elem, name, out),
        syn::Type::Path(p) => {
            if p.path.segments.last().is_some_and(|s| s.ident == name) {
                *out = Some(crate::ast::segments(&p.path));
                return;
            }
            if let Some(syn::PathArguments::AngleBracketed(a)) =
                p.path.segments.last().map(|s| &s.arguments)
            {
                for g in &a.args {
                    if let syn::GenericArgument::Type(t) = g {
                        find_owner(t, name, out);
                        if out.is_some() {
                            return;
                        }
                    }
                }
            }
        }
        _ => {}
    }
}
