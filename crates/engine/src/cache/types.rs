//! Receiver typing without a compiler: is the receiver of a call a cache, and of which family?
//!
//! Phase 1 follows the receiver expression ([`ty_of`]) through locals (declared type, else the
//! initialiser), constructors (`Cache::new`, `Cache::builder()..build()`, `Client::open(..)`,
//! `redis::pipe()`), connection and pool getters, `Arc`/`Mutex`/`RwLock`/`Lazy`/`OnceLock`
//! wrappers, `.clone()`, lock guards, `.await`, `?` and `.unwrap()`. A field or static whose type
//! is not visible in the fn becomes a [`Desc::Pending`] decided in phase 2 by [`Phase2`].

use super::{CacheFact, Judged, KeyType, PendingRoot, Step, FAMILIES};
use crate::config::Config;
use crate::diagnostic::Span;
use crate::extract::{type_text, Env as At, Local, UseFact, Walker};
use crate::workspace::Package;

/// Types that hold their first type argument: looked through.
const WRAPPERS: &[&str] = &[
    "Arc",
    "Rc",
    "Box",
    "Mutex",
    "RwLock",
    "MutexGuard",
    "RwLockReadGuard",
    "RwLockWriteGuard",
    "OwnedMutexGuard",
    "OwnedRwLockReadGuard",
    "OwnedRwLockWriteGuard",
    "ReentrantMutex",
    "RefCell",
    "Ref",
    "RefMut",
    "Cell",
    "Lazy",
    "LazyLock",
    "LazyCell",
    "OnceLock",
    "OnceCell",
    "Option",
    "Result",
    "RedisResult",
    "ArcSwap",
    "ArcSwapOption",
    "State",
    "Data",
    "Extension",
    "Cow",
    "ManuallyDrop",
    "Pin",
];

/// Pools and pooled connections generic over a manager (`bb8::Pool<RedisConnectionManager>`).
const POOLS: &[&str] = &[
    "Pool",
    "PooledConnection",
    "Object",
    "Connection",
    "ManagedConnection",
];

/// Types of a cache crate that are not receivers: values, options, replies and stream entries
/// (`StreamId::get("data")` reads a field of a stream entry). Besides these, any type whose name
/// ends in one of [`DATA_SUFFIXES`].
const NOT_RECEIVERS: &[&str] = &[
    "Value",
    "RedisValue",
    "Expiration",
    "SetExpiry",
    "SetOptions",
    "Msg",
    "PushInfo",
    "InfoDict",
    "Config",
    "Runtime",
    "Cmd",
    "Arg",
    "Script",
    "ScriptInvocation",
    "Iter",
    "AsyncIter",
    "StreamId",
    "StreamKey",
    "StreamMaxlen",
    "Map",
    "RedisMap",
    "Key",
    "RedisKey",
    "MultipleKeys",
    "MultipleValues",
    "Frame",
    "Entry",
    "OwnedKeyEntry",
    "RefKeyEntry",
    "Policy",
];

/// Name endings of data types of a cache crate (`StreamReadReply`, `ScanOptions`,
/// `ConnectionInfo`, `RedisError`, `ErrorKind`).
const DATA_SUFFIXES: &[&str] = &["Reply", "Options", "Info", "Error", "Kind", "Id", "Builder"];

fn not_a_receiver(last: &str) -> bool {
    NOT_RECEIVERS.contains(&last) || DATA_SUFFIXES.iter().any(|s| last.ends_with(s))
}

/// Methods whose result is (a handle to) the receiver itself.
const PASS: &[&str] = &[
    "clone",
    "to_owned",
    "lock",
    "read",
    "write",
    "unwrap",
    "expect",
    "as_ref",
    "as_mut",
    "deref",
    "deref_mut",
    "borrow",
    "borrow_mut",
    "get_owned",
    "get_or_init",
    "get_or_try_init",
    "blocking_lock",
    "blocking_read",
    "blocking_write",
    "try_lock",
    "try_read",
    "try_write",
    "lock_owned",
    "read_owned",
    "write_owned",
    "load",
    "load_full",
    "lock_arc",
    // connections from clients, managers and pools
    "get_connection",
    "get_connection_with_timeout",
    "get_multiplexed_async_connection",
    "get_multiplexed_async_connection_with_config",
    "get_multiplexed_tokio_connection",
    "get_multiplexed_connection",
    "get_async_connection",
    "get_tokio_connection",
    "get_connection_manager",
    "get_connection_manager_with_config",
    "get_tokio_connection_manager",
    "timeout_get",
    "get_timeout",
    "dedicated_connection",
    "next",
    "next_connected",
    "clone_new",
    // builders
    "build",
    "build_with_hasher",
    "create_pool",
    "max_capacity",
    "initial_capacity",
    "time_to_live",
    "time_to_idle",
    "weigher",
    "eviction_listener",
    "eviction_policy",
    "expire_after",
    "support_invalidation_closures",
    "max_size",
];

/// Does this method hand the receiver on (a clone, a lock, a connection getter)?
pub fn is_pass(method: &str) -> bool {
    PASS.contains(&method)
}

/// Methods that end a pipeline chain.
const TERMINAL: &[&str] = &["query", "query_async", "exec", "exec_async", "execute"];

/// A recognised cache receiver.
#[derive(Debug, Clone)]
pub struct CacheType {
    /// Index into [`FAMILIES`].
    pub family: usize,
    /// What messages call it (`redis`, or a custom interface's name).
    pub label: String,
    /// The declared key type contains a tenant type.
    pub key_tenant: bool,
    /// The declared key type (`Cache<StreamParams, _>`: `StreamParams`): a struct with a tenant
    /// field scopes every key.
    pub key_ty: Option<KeyType>,
    /// Key methods return the receiver (`redis::Pipeline`).
    pub chaining: bool,
}

impl CacheType {
    fn new(family: usize, label: String) -> CacheType {
        CacheType {
            family,
            label,
            key_tenant: false,
            key_ty: None,
            chaining: false,
        }
    }

    /// The fact of one judged key; the key's own declared type is written in `module` of the
    /// call's file.
    pub fn fact(&self, j: Judged, span: Span, item: String, module: &[String]) -> CacheFact {
        let mut f = plain_fact(&self.label, j, span, item, module);
        if self.key_tenant {
            f.scoped = true;
            f.params.clear();
            f.key_types.clear();
        } else if !f.scoped {
            f.key_types.extend(self.key_ty.clone());
        }
        f
    }
}

/// The fact of one judged key of a `family` (its label), its declared type written in `module`
/// of the call's file; for forms read without typing a receiver (`redis::cmd(..).arg(..)`).
pub fn plain_fact(
    family: &str,
    j: Judged,
    span: Span,
    item: String,
    module: &[String],
) -> CacheFact {
    let key_types = if j.scoped {
        Vec::new()
    } else {
        let tys = j.key_tys.into_iter().map(|ty| (ty, None));
        let fns = j.key_fns.into_iter().map(|f| (String::new(), Some(f)));
        tys.chain(fns)
            .map(|(ty, ret_of)| KeyType {
                ty,
                ret_of,
                file: None,
                module: module.to_vec(),
            })
            .collect()
    };
    CacheFact {
        family: family.into(),
        op: j.op.into(),
        span,
        item,
        key: j.key,
        scoped: j.scoped,
        global: j.global,
        note: j.note,
        params: if j.scoped {
            thin_vec::ThinVec::new()
        } else {
            j.params.into()
        },
        key_types: key_types.into(),
        ..CacheFact::default()
    }
}

/// What a receiver expression is.
#[derive(Debug, Clone)]
pub enum Desc {
    Known(CacheType),
    /// A field, static or type declared elsewhere: decided in phase 2.
    Pending(PendingRoot, Vec<Step>),
    /// The fn does not show what it is (an untyped closure parameter, a fn's result): the name
    /// it goes by (the local, field, static, fn or method), for [`looks_like_cache`].
    Unknown(String),
}

/// Does a receiver whose type cannot be known look like a cache? Its name (local, field,
/// static, fn or method: `self.cache`, `SESSION_CACHE`, `redis_conn`, `cache()`) or its type's
/// name (`LruCache` of a library no family reads) says `cache` or `redis`. Such calls are
/// counted in the summary (`unresolved_cache_receivers`), never judged and never dropped
/// silently.
pub fn looks_like_cache(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("cache") || n.contains("redis")
}

/// Generic parameters of the current fn: name -> bound trait paths.
pub type Generics = crate::extract::Generics;

/// Where a type is written: what its names resolve to.
pub struct TypeEnv<'e> {
    pub uses: &'e [UseFact],
    pub module: &'e [String],
    pub pkg: &'e Package,
    pub config: &'e Config,
    pub generics: &'e [(String, Vec<Vec<String>>)],
}

impl TypeEnv<'_> {
    fn uses_here(&self) -> impl Iterator<Item = &UseFact> {
        self.uses.iter().filter(|u| u.module == self.module)
    }

    /// A path as written, its first segment resolved through this module's `use`s.
    pub fn resolve_path(&self, segs: &[String]) -> Vec<String> {
        let Some(first) = segs.first() else {
            return Vec::new();
        };
        if matches!(first.as_str(), "crate" | "self" | "super" | "Self") {
            return segs.to_vec();
        }
        if let Some(u) = self
            .uses_here()
            .find(|u| u.alias == *first && u.alias != "*")
        {
            let mut p = u.path.to_vec();
            p.extend(segs[1..].iter().cloned());
            return p;
        }
        segs.to_vec()
    }

    fn depends(&self, fam: usize) -> bool {
        FAMILIES[fam].deps().iter().any(|d| self.pkg.depends_on(d))
    }

    fn glob_imports(&self, fam: usize) -> bool {
        let crates = FAMILIES[fam].crates();
        self.uses_here()
            .any(|u| u.alias == "*" && u.path.first().is_some_and(|c| crates.contains(&c.as_str())))
    }
}

/// Is `ty` a cache receiver?
pub fn classify(ty: &syn::Type, env: &TypeEnv<'_>) -> Option<CacheType> {
    classify_depth(ty, env, 0)
}

fn classify_depth(ty: &syn::Type, env: &TypeEnv<'_>, depth: usize) -> Option<CacheType> {
    if depth > 12 {
        return None;
    }
    match ty {
        syn::Type::Reference(r) => classify_depth(&r.elem, env, depth + 1),
        syn::Type::Paren(p) => classify_depth(&p.elem, env, depth + 1),
        syn::Type::Group(g) => classify_depth(&g.elem, env, depth + 1),
        syn::Type::Ptr(p) => classify_depth(&p.elem, env, depth + 1),
        syn::Type::TraitObject(t) => classify_bounds(t.bounds.iter(), env),
        syn::Type::ImplTrait(t) => classify_bounds(t.bounds.iter(), env),
        syn::Type::Path(p) if p.qself.is_none() => {
            let segs: Vec<String> = crate::extract::segments(&p.path);
            let last = segs.last()?.clone();
            let args = type_args(&p.path);
            if segs.len() == 1 {
                if let Some((_, bounds)) = env.generics.iter().find(|(n, _)| *n == last) {
                    return bounds.iter().find_map(|b| classify_trait(b, env));
                }
            }
            if WRAPPERS.contains(&last.as_str()) && !args.is_empty() {
                return args.first().and_then(|a| classify_depth(a, env, depth + 1));
            }
            let full = env.resolve_path(&segs);
            if let Some(ct) = classify_path(&full, &args, env) {
                return Some(ct);
            }
            if POOLS.contains(&last.as_str()) {
                return args.iter().find_map(|a| classify_depth(a, env, depth + 1));
            }
            None
        }
        _ => None,
    }
}

fn classify_bounds<'t>(
    bounds: impl Iterator<Item = &'t syn::TypeParamBound>,
    env: &TypeEnv<'_>,
) -> Option<CacheType> {
    for b in bounds {
        if let syn::TypeParamBound::Trait(t) = b {
            let segs: Vec<String> = crate::extract::segments(&t.path);
            if let Some(ct) = classify_trait(&segs, env) {
                return Some(ct);
            }
        }
    }
    None
}

/// A trait bound (`AsyncCommands`, `redis::aio::ConnectionLike`, a configured interface).
pub fn classify_trait(segs: &[String], env: &TypeEnv<'_>) -> Option<CacheType> {
    let full = env.resolve_path(segs);
    let last = full.last()?;
    for (i, fam) in FAMILIES.iter().enumerate() {
        let owned = fam.owns_name(last, env.config)
            || (fam.traits().contains(&last.as_str())
                && (fam.crates().contains(&full[0].as_str())
                    || (full.len() == 1 && env.depends(i))));
        if owned {
            return Some(CacheType::new(i, fam.label(last)));
        }
    }
    None
}

/// A resolved type path with its generic arguments.
fn classify_path(full: &[String], args: &[&syn::Type], env: &TypeEnv<'_>) -> Option<CacheType> {
    let last = full.last()?.as_str();
    for (i, fam) in FAMILIES.iter().enumerate() {
        let owned = fam.owns_name(last, env.config)
            || (full.len() > 1
                && fam.crates().contains(&full[0].as_str())
                && !not_a_receiver(last)
                && last.chars().next().is_some_and(char::is_uppercase))
            || (full.len() == 1
                && ((fam.bare_types().contains(&last) && env.depends(i))
                    || (fam.glob_types().contains(&last) && env.glob_imports(i))));
        if owned {
            let key = fam.key_arg(args.len()).and_then(|k| args.get(k));
            return Some(CacheType {
                key_tenant: key.is_some_and(|t| has_tenant_type(&type_text(t), env.config)),
                key_ty: key.map(|t| KeyType {
                    ty: quote::ToTokens::to_token_stream(t).to_string(),
                    ret_of: None,
                    file: None,
                    module: env.module.to_vec(),
                }),
                chaining: fam.chaining(last),
                ..CacheType::new(i, fam.label(last))
            });
        }
    }
    None
}

/// The type arguments of a path's last segment.
fn type_args(p: &syn::Path) -> Vec<&syn::Type> {
    type_args_of_segment(p, p.segments.len().saturating_sub(1))
}

pub use crate::extract::tenant::has_tenant_type;

/// The type inside references and [`WRAPPERS`] (`&Lazy<Arc<Users>>` -> `Users`).
pub fn peel_wrappers(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Reference(r) => peel_wrappers(&r.elem),
        syn::Type::Paren(p) => peel_wrappers(&p.elem),
        syn::Type::Group(g) => peel_wrappers(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let wrapped = p
                .path
                .segments
                .last()
                .is_some_and(|s| WRAPPERS.contains(&s.ident.to_string().as_str()));
            match type_args(&p.path).first() {
                Some(inner) if wrapped => peel_wrappers(inner),
                _ => ty,
            }
        }
        _ => ty,
    }
}

/// The struct a type names, wrappers and references looked through (`State<AppState>` ->
/// `AppState`).
pub fn owner_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Reference(r) => owner_name(&r.elem),
        syn::Type::Paren(p) => owner_name(&p.elem),
        syn::Type::Group(g) => owner_name(&g.elem),
        syn::Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last()?;
            let name = last.ident.to_string();
            if let (true, Some(t)) = (
                WRAPPERS.contains(&name.as_str()),
                type_args(&p.path).first(),
            ) {
                return owner_name(t);
            }
            Some(name)
        }
        _ => None,
    }
}

// ----- phase 1 -----------------------------------------------------------------------------------

/// What the local `name` holds at `at` (see [`Walker::local_at`]).
pub fn lookup<'ast>(w: &Walker<'ast, '_>, name: &str, at: At) -> Option<Local<'ast>> {
    w.local_at(name, at)
}

fn strip(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        syn::Expr::Reference(r) => strip(&r.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip(&u.expr),
        syn::Expr::Await(a) => strip(&a.base),
        syn::Expr::Try(t) => strip(&t.expr),
        other => other,
    }
}

fn is_static_name(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn path_segs(p: &syn::Path) -> Vec<String> {
    p.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// What the receiver expression `e` is, as far as the fn shows. None: not a cache.
pub fn ty_of(w: &Walker<'_, '_>, e: &syn::Expr, env: &TypeEnv<'_>) -> Option<Desc> {
    ty_of_depth(w, e, env, w.env(), 0)
}

/// Types that are never a cache and never an alias of one: a declared type that names one is
/// decided in phase 1.
const PLAIN_TYPES: &[&str] = &[
    "HashMap",
    "BTreeMap",
    "HashSet",
    "BTreeSet",
    "IndexMap",
    "IndexSet",
    "Vec",
    "VecDeque",
    "String",
    "str",
    "HeaderMap",
    "Map",
    "Value",
    "Json",
    "Request",
    "Response",
    "Path",
    "PathBuf",
    "Query",
    "Form",
    "Self",
    "Uuid",
    "Url",
    "Bytes",
    "Body",
];

/// A declared type: a cache, else (a workspace type the fn cannot see into: an alias of a
/// cache, a generic struct) left to phase 2, else not a cache.
fn declared(ty: &syn::Type, env: &TypeEnv<'_>) -> Option<Desc> {
    if let Some(ct) = classify(ty, env) {
        return Some(Desc::Known(ct));
    }
    let name = owner_name(ty)?;
    if PLAIN_TYPES.contains(&name.as_str())
        || !name.starts_with(|c: char| c.is_ascii_uppercase())
        || env.generics.iter().any(|(g, _)| *g == name)
    {
        return None;
    }
    Some(Desc::Pending(
        PendingRoot::Type(quote::ToTokens::to_token_stream(ty).to_string()),
        Vec::new(),
    ))
}

fn ty_of_depth(
    w: &Walker<'_, '_>,
    e: &syn::Expr,
    env: &TypeEnv<'_>,
    bound: At,
    depth: usize,
) -> Option<Desc> {
    if depth > 16 {
        return None;
    }
    let e = strip(e);
    match e {
        syn::Expr::Path(p) if p.qself.is_none() => {
            let segs = path_segs(&p.path);
            if segs.len() == 1 {
                if let Some(local) = lookup(w, &segs[0], bound) {
                    if let Some(ty) = local.ty {
                        return declared(ty, env);
                    }
                    if let Some(init) = local.init {
                        return ty_of_depth(w, init, env, local.env, depth + 1);
                    }
                    // `if let Ok(cache) = CACHE.read()`, `let Some(c) = POOL.get() else ..`:
                    // what the `Ok`/`Some` holds is what the value is (both are wrappers).
                    let part = w.values().map(|v| v.def(local.def).value);
                    if let Some(crate::extract::Value::Part(x, at, proj)) = part {
                        if proj.len() == 2
                            && matches!(&proj[0], crate::extract::values::Proj::Variant(v) if v == "Some" || v == "Ok")
                        {
                            return ty_of_depth(w, x, env, *at, depth + 1);
                        }
                    }
                    return Some(Desc::Unknown(segs[0].clone()));
                }
            }
            if is_static_name(segs.last()?) {
                return Some(Desc::Pending(PendingRoot::Static(segs), Vec::new()));
            }
            None
        }
        syn::Expr::Field(f) => match owner_of(w, e, bound, depth) {
            Some((root, fields)) => Some(Desc::Pending(root, fields)),
            None => match &f.member {
                syn::Member::Named(n) => Some(Desc::Unknown(n.to_string())),
                syn::Member::Unnamed(_) => None,
            },
        },
        syn::Expr::MethodCall(m) => {
            let method = m.method.to_string();
            let r = ty_of_depth(w, &m.receiver, env, bound, depth + 1);
            match r {
                Some(Desc::Known(ct)) if ct.chaining && !TERMINAL.contains(&method.as_str()) => {
                    Some(Desc::Known(ct))
                }
                // `self.redis.get()`, `state.cache()`, `.read()`: phase 2 follows a workspace
                // getter's return type, and passes anything else.
                Some(Desc::Pending(root, mut steps))
                    if PASS.contains(&method.as_str()) || m.args.is_empty() =>
                {
                    steps.push(Step::Method(method));
                    Some(Desc::Pending(root, steps))
                }
                Some(d)
                    if PASS.contains(&method.as_str())
                        || (m.args.is_empty() && matches!(method.as_str(), "get" | "get_mut")) =>
                {
                    Some(d)
                }
                // `cache_of(x).handle()`: a getter the fn cannot see into.
                Some(Desc::Unknown(_)) if m.args.is_empty() => Some(Desc::Unknown(method)),
                _ => None,
            }
        }
        syn::Expr::Call(c) => {
            let syn::Expr::Path(fp) = strip(&c.func) else {
                return None;
            };
            let segs = path_segs(&fp.path);
            let n = segs.len();
            if n >= 2
                && (WRAPPERS.contains(&segs[n - 2].as_str()))
                && matches!(segs[n - 1].as_str(), "new" | "from" | "new_with")
            {
                return c
                    .args
                    .first()
                    .and_then(|a| ty_of_depth(w, a, env, bound, depth + 1));
            }
            if n == 1 && matches!(segs[0].as_str(), "Some" | "Ok") {
                return c
                    .args
                    .first()
                    .and_then(|a| ty_of_depth(w, a, env, bound, depth + 1));
            }
            let full = env.resolve_path(&segs);
            for (i, fam) in FAMILIES.iter().enumerate() {
                if fam.constructor_fn(&full) {
                    return Some(Desc::Known(CacheType {
                        chaining: fam.chaining(full.last()?),
                        ..CacheType::new(i, fam.name().into())
                    }));
                }
            }
            if n >= 2 {
                let ty_full = env.resolve_path(&segs[..n - 1]);
                let args = type_args_of_segment(&fp.path, n - 2);
                if let Some(ct) = classify_path(&ty_full, &args, env) {
                    return Some(Desc::Known(ct));
                }
                // `BlobCache::new(..)`: a workspace type, maybe an alias of a cache.
                let ty = &segs[n - 2];
                if ty.starts_with(|c: char| c.is_ascii_uppercase())
                    && !PLAIN_TYPES.contains(&ty.as_str())
                    && !WRAPPERS.contains(&ty.as_str())
                {
                    return Some(Desc::Pending(
                        PendingRoot::Type(segs[..n - 1].join("::")),
                        Vec::new(),
                    ));
                }
            }
            // `cache()`, `get_redis(&state)`: what a fn returns is not followed.
            (c.args.len() <= 1).then(|| Desc::Unknown(segs[n - 1].clone()))
        }
        syn::Expr::Closure(c) => ty_of_depth(w, &c.body, env, bound, depth + 1),
        syn::Expr::Async(a) => match a.block.stmts.last() {
            Some(syn::Stmt::Expr(x, None)) => ty_of_depth(w, x, env, bound, depth + 1),
            _ => None,
        },
        syn::Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(x, None)) => ty_of_depth(w, x, env, bound, depth + 1),
            _ => None,
        },
        _ => None,
    }
}

/// Turbofish arguments of segment `i` (`Cache::<(OrgId, u64), V>::new`).
fn type_args_of_segment(p: &syn::Path, i: usize) -> Vec<&syn::Type> {
    match p.segments.iter().nth(i).map(|s| &s.arguments) {
        Some(syn::PathArguments::AngleBracketed(a)) => a
            .args
            .iter()
            .filter_map(|g| match g {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A field access as a root (a type or a static) and the steps followed from it.
fn owner_of(
    w: &Walker<'_, '_>,
    e: &syn::Expr,
    bound: At,
    depth: usize,
) -> Option<(PendingRoot, Vec<Step>)> {
    if depth > 16 {
        return None;
    }
    match strip(e) {
        syn::Expr::Field(f) => {
            let (root, mut steps) = owner_of(w, &f.base, bound, depth + 1)?;
            steps.push(Step::Field(match &f.member {
                syn::Member::Named(i) => i.to_string(),
                syn::Member::Unnamed(i) => i.index.to_string(),
            }));
            Some((root, steps))
        }
        syn::Expr::Path(p) if p.qself.is_none() => {
            let segs = path_segs(&p.path);
            if segs.len() == 1 && segs[0] == "self" {
                return Some((PendingRoot::Type(w.self_ty()?.to_string()), Vec::new()));
            }
            if segs.len() == 1 {
                if let Some(local) = lookup(w, &segs[0], bound) {
                    if let Some(ty) = local.ty {
                        // `actor: &Arc<Self>`: the impl's type.
                        let text = match owner_name(ty).as_deref() {
                            Some("Self") => w.self_ty()?.to_string(),
                            _ => quote::ToTokens::to_token_stream(ty).to_string(),
                        };
                        return Some((PendingRoot::Type(text), Vec::new()));
                    }
                    return owner_of(w, local.init?, local.env, depth + 1);
                }
            }
            if is_static_name(segs.last()?) {
                return Some((PendingRoot::Static(segs), Vec::new()));
            }
            None
        }
        syn::Expr::MethodCall(m)
            if m.args.is_empty() || PASS.contains(&m.method.to_string().as_str()) =>
        {
            let (root, mut steps) = owner_of(w, &m.receiver, bound, depth + 1)?;
            steps.push(Step::Method(m.method.to_string()));
            Some((root, steps))
        }
        _ => None,
    }
}
