//! Cache calls and the keys they take.

use crate::diagnostic::Span;

/// An argument of a candidate call, judged where it is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ArgFact {
    /// As written, shortened.
    pub text: String,
    /// It carries the tenant.
    pub scoped: bool,
    /// Elements of an array, `vec!` or tuple literal (for `mget`/`mset`, each key).
    pub elems: thin_vec::ThinVec<ArgFact>,
    /// Parameters of the enclosing fn (positions, receiver excluded) an unscoped key is made
    /// from: it is scoped after all when every caller passes the tenant in one of them (phase 2).
    pub params: thin_vec::ThinVec<usize>,
    /// The declared type of the local or parameter used as the key (as spaced tokens): a
    /// struct with a tenant field scopes it (phase 2).
    pub ty: Option<crate::intern::Name>,
    /// The fn (path as written) whose result the key is (`let key = get_key(&parts)?`): its
    /// return type is the key's type (phase 2).
    pub made_by: Option<crate::intern::Module>,
}

/// One cache call (or one key of a pipeline).
#[derive(Debug, Clone, Default)]
pub struct CacheFact {
    /// `redis`, `fred`, `moka`, `cached`, `memcache`, or the configured interface's name.
    pub family: crate::intern::Name,
    /// The operation as the message names it (`GET`, `insert`).
    pub op: crate::intern::Name,
    /// The call, from the start of its receiver (`#[cached]`: the attribute).
    pub span: Span,
    /// The item path the finding names; empty once the walk is done when it is the path of
    /// the fn at `fn_index` (read it with [`super::FileFacts::item_of`]).
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
    /// Parameters of the enclosing fn an unscoped key is made from (see [`ArgFact::params`]).
    pub params: thin_vec::ThinVec<usize>,
    /// Declared types that scope the key when they name a struct with a tenant field: the
    /// key's own (see [`ArgFact::ty`]) and the cache's key type (`Cache<StreamParams, _>`).
    pub key_types: thin_vec::ThinVec<KeyType>,
    /// The first caller that passes the key without the tenant (`src/api.rs:31`) and the
    /// parameter it passes it in, when the key is a parameter (phase 2).
    pub unscoped_caller: Option<Box<(String, String)>>,
    /// The receiver is a field or static whose type is declared elsewhere: decided in phase 2
    /// by [`resolve`]; such a fact counts only once resolved to a cache.
    pub pending: Option<Box<Pending>>,
}

/// A type a key is declared with, and where it is written (for `use` resolution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyType {
    /// As spaced tokens (`Arc < StreamParams >`); empty when [`Self::ret_of`] gives it.
    pub ty: String,
    /// The type is what this fn (path as written) returns.
    pub ret_of: Option<Vec<String>>,
    /// The file it is written in; None: the call's own file.
    pub file: Option<usize>,
    pub module: Vec<String>,
}

crate::intern::interned! {
    /// The arguments of a pending cache call: the calls on one field repeat their keys
    /// (`self.items.get(&id)`).
    KeyArgs = list of ArgFact
}

/// A call whose receiver's type is decided in phase 2.
#[derive(Debug, Clone)]
pub struct Pending {
    pub root: PendingRoot,
    /// Fields and getters followed from the root (`state.redis` -> `[Field(redis)]`,
    /// `self.pool.get()` -> `[Field(pool), Method(get)]`).
    pub steps: Vec<Step>,
    pub method: crate::intern::Name,
    /// Shared with the thread's other pending calls passing the same (`KeyArgs::of`).
    pub args: KeyArgs,
    /// Module the call is written in (for `use` resolution of the root).
    pub module: crate::intern::Module,
    /// Generic parameters of the enclosing fn and its impl, with their bounds (a field of a
    /// generic struct typed by one: `struct S<C> { c: C }` in `impl<C: TenantCache> S<C>`).
    pub generics: crate::extract::Generics,
}

/// One step from a pending receiver's root.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Field(String),
    /// A method without arguments (a getter, a lock, a clone): the workspace's method of that
    /// name on the type so far gives its return type; any other passes the type on.
    Method(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PendingRoot {
    /// A type as written in the call's file (`State<AppState>`, `Self`'s name).
    Type(String),
    /// A static by path as written (`CACHE`, `crate::cache::CACHE`).
    Static(Vec<String>),
    /// A receiver the fn does not type (an untyped closure parameter, a fn's result) whose name
    /// looks like a cache (`cache_types::looks_like_cache`): never judged, counted in the
    /// summary.
    Untyped(String),
}
