//! Cache calls and the keys they take.

use crate::diagnostic::Span;

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
    /// Index in `FileFacts::fns` of the fn the call is in (None outside any fn).
    pub fn_index: Option<u32>,
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
    pub module: crate::intern::Module,
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
