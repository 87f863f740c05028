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
pub mod resolve;
pub mod types;

pub use resolve::{resolve, Resolved};

use crate::config::Config;
use crate::extract::Collector;

pub use crate::extract::{ArgFact, CacheFact, KeyType, Pending, PendingRoot, Step};

/// The cache collectors, in the order they run: one dispatcher that serves every family.
pub static COLLECTORS: &[&dyn Collector] = &[&calls::CacheCalls];

/// Can some family take a key with this method? The filter run on every method call: one
/// lookup in the names the families list, then the families whose names come from
/// configuration.
pub fn maybe_key_method(method: &str, config: &Config) -> bool {
    static LISTED: std::sync::LazyLock<foldhash::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| {
            FAMILIES
                .iter()
                .flat_map(|f| f.key_methods().iter().copied())
                .collect()
        });
    (LISTED.contains(method)
        && FAMILIES
            .iter()
            .any(|f| !f.key_methods().is_empty() && f.is_key_method(method, config)))
        || FAMILIES
            .iter()
            .any(|f| f.key_methods().is_empty() && f.is_key_method(method, config))
}

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
    /// Position of the key among a receiver type's `n` generic arguments (`Cache<K, V>`: 0).
    fn key_arg(&self, _n: usize) -> Option<usize> {
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
    /// Methods whose first argument is the key (sorted), for the default [`Self::is_key_method`]
    /// and [`Self::judge`]. A family that lists any holds [`Self::is_key_method`] only for
    /// names listed here ([`maybe_key_method`] asks it only then); one whose methods come from
    /// configuration lists none.
    fn key_methods(&self) -> &'static [&'static str] {
        &[]
    }
    /// Can this method take a key of this family? (a cheap filter run on every method call)
    fn is_key_method(&self, method: &str, _config: &Config) -> bool {
        self.key_methods().binary_search(&method).is_ok()
    }
    /// The keys a call takes, judged.
    fn judge(&self, method: &str, args: &[ArgFact], _config: &Config) -> Vec<Judged> {
        match args.first() {
            Some(k) if self.key_methods().binary_search(&method).is_ok() => {
                vec![Judged::key(method, k)]
            }
            _ => Vec::new(),
        }
    }
}

/// A key a family reads from a call.
#[derive(Debug, Clone, Default)]
pub struct Judged {
    pub op: String,
    pub key: String,
    pub scoped: bool,
    pub global: bool,
    /// See [`ArgFact::params`].
    pub params: Vec<usize>,
    /// Declared types of the key (see [`ArgFact::ty`]).
    pub key_tys: Vec<String>,
    /// Fns whose result the key is (see [`ArgFact::made_by`]).
    pub key_fns: Vec<Vec<String>>,
    /// The message, when the generic wording does not fit (a bulk command such as `FLUSHDB`).
    pub note: Option<String>,
}

impl Judged {
    pub fn key(op: impl Into<String>, arg: &ArgFact) -> Judged {
        Judged {
            op: op.into(),
            key: arg.text.clone(),
            scoped: arg.scoped,
            params: arg.params.to_vec(),
            key_tys: arg.ty.iter().map(ToString::to_string).collect(),
            key_fns: arg.made_by.iter().map(|p| p.to_vec()).collect(),
            ..Judged::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter run on every method call answers as asking every family would, with and
    /// without configured interface methods and streams.
    #[test]
    fn the_method_filter_agrees_with_every_family() {
        let mut configs = vec![Config::defaults()];
        let mut c = Config::defaults();
        c.cache.interfaces = vec!["AppCache".into()];
        c.cache.scoped_methods = vec!["get_scoped".into()];
        c.cache.global_methods = vec!["get_global".into()];
        c.cache.streams = true;
        configs.push(c);
        let mut names: Vec<&str> = FAMILIES
            .iter()
            .flat_map(|f| f.key_methods().iter().copied())
            .collect();
        names.extend([
            "get_scoped",
            "get_global",
            "xadd",
            "xread",
            "len",
            "unwrap",
            "Get",
            "",
        ]);
        for config in &configs {
            for &m in &names {
                let asked = FAMILIES.iter().any(|f| f.is_key_method(m, config));
                assert_eq!(maybe_key_method(m, config), asked, "{m}");
            }
        }
        assert!(maybe_key_method("get", &configs[0]));
        assert!(!maybe_key_method("unwrap", &configs[0]));
        assert!(maybe_key_method("get_scoped", &configs[1]));
        assert!(!maybe_key_method("get_scoped", &configs[0]));
    }
}
