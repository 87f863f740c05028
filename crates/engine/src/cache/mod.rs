//! Caches: where keys are read and written, and whether each key carries the tenant.
//! One file per family; a new family is one file and one line in [`FAMILIES`].
//!
//! How a call becomes a [`CacheFact`]:
//! 1. [`calls::CacheCalls`] (the one collector) looks at every method call whose name some family
//!    takes a key with, and types its receiver without a compiler ([`types`]): a parameter, `let`,
//!    static or field whose declared type or constructor names a cache type, through references,
//!    `Arc`, `.clone()`, lock guards and pools.
//! 2. The key arguments are judged where they are written ([`key`]): locals, `format!`,
//!    `concat!` and `+` are followed; a tenant identifier, field, typed parameter or key builder
//!    makes the key scoped.
//! 3. A receiver that is a struct field or a static whose type is declared elsewhere is recorded
//!    as [`Pending`] and decided in phase 2 by [`resolve`], from every file's structs and statics.
//!
//! Families also read their own source forms through the [`Collector`] hooks
//! (`redis::cmd(..).arg(..)`, `#[cached]`).

pub mod cached;
pub mod calls;
pub mod custom;
pub mod fred;
pub mod key;
pub mod memcache;
pub mod moka;
pub mod redis;
pub mod types;

use crate::config::Config;
use crate::diagnostic::Span;
use crate::extract::Collector;
use crate::index::Index;

/// The cache collectors, in the order they run: one dispatcher that serves every family.
pub static COLLECTORS: &[&dyn Collector] = &[&calls::CacheCalls];

/// The cache families, in the order receivers are matched against them.
pub static FAMILIES: &[&dyn Family] = &[
    &redis::Redis,
    &fred::Fred,
    &moka::Moka,
    &memcache::Memcache,
    &cached::Cached,
    &custom::Custom,
];

/// One cache family: which types are its receivers and how its methods take keys. Its
/// [`Collector`] hooks (called by the dispatcher) read family-specific forms.
pub trait Family: Collector {
    /// Name used in messages (`redis`, `moka`).
    fn name(&self) -> &'static str;
    /// What messages call a receiver whose type's last segment is `last`.
    fn label(&self, _last: &str) -> String {
        self.name().into()
    }
    /// Crates (as paths start: `deadpool_redis`) whose types are receivers of this family.
    fn crates(&self) -> &'static [&'static str] {
        &[]
    }
    /// Cargo dependency names of the family (`deadpool-redis`).
    fn deps(&self) -> &'static [&'static str] {
        &[]
    }
    /// Type names distinctive enough to be recognised unimported when a dependency is there.
    fn bare_types(&self) -> &'static [&'static str] {
        &[]
    }
    /// Type names recognised unimported when the module glob-imports one of [`Self::crates`].
    fn glob_types(&self) -> &'static [&'static str] {
        &[]
    }
    /// Trait names whose bound (`impl T`, `dyn T`, `C: T`) makes a receiver of this family.
    fn traits(&self) -> &'static [&'static str] {
        &[]
    }
    /// Position of the key in the type's generic arguments (`Cache<K, V>`: 0).
    fn key_arg(&self) -> Option<usize> {
        None
    }
    /// Types whose key methods return the receiver again (`redis::Pipeline`).
    fn chaining(&self, _last: &str) -> bool {
        false
    }
    /// Types owned by configuration (custom interfaces): a type or trait of this last segment.
    fn owns_name(&self, _last: &str, _config: &Config) -> bool {
        false
    }
    /// Free functions that construct a receiver (`redis::pipe`, `memcache::connect`); `path`
    /// is resolved through `use`.
    fn constructor_fn(&self, _path: &[String]) -> bool {
        false
    }
    /// Can this method take a key of this family? (a cheap filter run on every method call)
    fn is_key_method(&self, method: &str, config: &Config) -> bool;
    /// The keys a call takes, judged.
    fn judge(&self, method: &str, args: &[ArgFact], config: &Config) -> Vec<Judged>;
}

/// An argument of a candidate call, judged where it is written.
#[derive(Debug, Clone, Default)]
pub struct ArgFact {
    /// As written, shortened.
    pub text: String,
    /// It carries the tenant.
    pub scoped: bool,
    /// Elements of an array, `vec!` or tuple literal (for `mget`/`mset`, each key).
    pub elems: Vec<ArgFact>,
    /// The key is exactly this parameter of the enclosing fn: its callers decide (phase 2).
    pub param: Option<usize>,
}

/// [`CacheFact::key_param`] for a key that is parameter `param` of the fn being walked.
pub fn key_param(
    w: &crate::extract::Walker<'_, '_>,
    param: Option<usize>,
) -> Option<(String, usize)> {
    let name = w.current_fn()?.name.clone();
    param.map(|i| (name, i))
}

/// A key a family reads from a call.
#[derive(Debug, Clone)]
pub struct Judged {
    pub op: String,
    pub key: String,
    pub scoped: bool,
    pub global: bool,
    /// See [`ArgFact::param`].
    pub param: Option<usize>,
}

impl Judged {
    pub fn key(op: impl Into<String>, arg: &ArgFact) -> Judged {
        Judged {
            op: op.into(),
            key: arg.text.clone(),
            scoped: arg.scoped,
            global: false,
            param: arg.param,
        }
    }
}

/// One cache call (or one key of a pipeline).
#[derive(Debug, Clone, Default)]
pub struct CacheFact {
    /// `redis`, `fred`, `moka`, `cached`, `memcache`, or the configured interface's name.
    pub family: String,
    /// The operation as the message names it (`GET`, `insert`).
    pub op: String,
    /// The call, from the start of its receiver (`#[cached]`: the attribute).
    pub span: Span,
    pub item: String,
    /// The key expression as written.
    pub key: String,
    /// True when the key carries the tenant (decided during the walk).
    pub scoped: bool,
    /// A configured global method or `#[once]`: always needs a bypass.
    pub global: bool,
    /// Why a global call is global, when the generic wording does not fit.
    pub note: Option<String>,
    /// The key is parameter `.1` of the enclosing fn `.0`: an unscoped key is scoped after all
    /// when every caller passes a tenant-scoped argument there (decided in phase 2).
    pub key_param: Option<(String, usize)>,
    /// The receiver is a field or static whose type is declared elsewhere: decided in phase 2
    /// by [`resolve`]; such a fact counts only once resolved to a cache.
    pub pending: Option<Box<Pending>>,
}

/// A call whose receiver's type is decided in phase 2.
#[derive(Debug, Clone)]
pub struct Pending {
    pub root: PendingRoot,
    /// Fields followed from the root (`state.redis` -> `["redis"]`).
    pub fields: Vec<String>,
    pub method: String,
    pub args: Vec<ArgFact>,
    /// Module the call is written in (for `use` resolution of the root).
    pub module: Vec<String>,
    /// Name of the enclosing fn (for [`CacheFact::key_param`]).
    pub fn_name: Option<String>,
}

#[derive(Debug, Clone)]
pub enum PendingRoot {
    /// A type as written in the call's file (`State<AppState>`, `Self`'s name).
    Type(String),
    /// A static by path as written (`CACHE`, `crate::cache::CACHE`).
    Static(Vec<String>),
}

/// Every cache call of the workspace with pending receivers decided: `(file index, fact)`.
pub fn resolve(index: &Index<'_>) -> Vec<(usize, CacheFact)> {
    let mut out = Vec::new();
    let mut resolver = types::Phase2::new(index);
    for (fi, f) in index.files.iter().enumerate() {
        for c in &f.caches {
            match &c.pending {
                None => out.push((fi, c.clone())),
                Some(p) => {
                    let Some(ct) = resolver.receiver(fi, p) else {
                        continue;
                    };
                    let family = FAMILIES[ct.family];
                    for j in family.judge(&p.method, &p.args, index.config) {
                        let param = j.param.zip(p.fn_name.clone()).map(|(i, n)| (n, i));
                        let mut fact = ct.fact(j, c.span, c.item.clone());
                        fact.key_param = param;
                        out.push((fi, fact));
                    }
                }
            }
        }
    }
    scoped_by_callers(index, &mut out);
    out
}

/// A key that is a parameter of its fn (`read_cache(pool, key: &str)`) is scoped when every fn
/// that calls it passes a tenant-scoped argument in that place.
fn scoped_by_callers(index: &Index<'_>, out: &mut [(usize, CacheFact)]) {
    for (_, fact) in out.iter_mut() {
        let Some((name, param)) = &fact.key_param else {
            continue;
        };
        if fact.scoped || fact.global {
            continue;
        }
        let mut callers = 0;
        let mut scoped = 0;
        for f in index.files {
            for (fi, func) in f.fns.iter().enumerate() {
                if !func.calls.iter().any(|c| c == name) || func.item == fact.item {
                    continue;
                }
                callers += 1;
                let passes = f.scoped_args.iter().any(|a| {
                    a.caller == fi && &a.callee == name && a.scoped.get(*param) == Some(&true)
                });
                if passes {
                    scoped += 1;
                }
            }
        }
        if callers > 0 && scoped == callers {
            fact.scoped = true;
            fact.key_param = None;
        }
    }
}
