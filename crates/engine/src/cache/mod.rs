//! Caches: where keys are read and written, and whether each key carries the tenant.
//! One file per family.

use crate::diagnostic::Span;
use crate::extract::Collector;

/// The cache collectors, in the order they run.
pub static COLLECTORS: &[&dyn Collector] = &[];

/// One cache call (or one key of a pipeline).
#[derive(Debug, Clone)]
pub struct CacheFact {
    /// `redis`, `fred`, `moka`, `cached`, `memcache`, or the configured interface's name.
    pub family: &'static str,
    /// The operation as the message names it (`GET`, `insert`).
    pub op: String,
    /// Start of the receiver (`#[cached]`: the attribute).
    pub span: Span,
    pub item: String,
    /// The key expression as written.
    pub key: String,
    /// True when the key carries the tenant (decided during the walk).
    pub scoped: bool,
    /// A configured global method: always needs a bypass.
    pub global: bool,
}
