//! Calls, for the workspace's call graph: who calls what, and what it passes.

use crate::strings::StrSource;

/// A call in a fn's body (closures included: they belong to their fn).
#[derive(Debug, Clone)]
pub struct CallFact {
    /// Index of the calling fn in `FileFacts::fns`.
    pub caller: u32,
    pub callee: Callee,
    /// Line of the call (findings name the first caller that passes an unscoped value).
    pub line: u32,
    /// What each argument is (receiver excluded), when one of them is of interest to phase 2;
    /// empty otherwise. Shared with the thread's other calls passing the same (`Args::of`).
    pub args: Args,
}

/// What a call names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callee {
    /// `f(..)`, `svc::f(..)`, `Self::f(..)`, `UserService::create(..)`: the path as written,
    /// generics left out.
    Path(crate::intern::Module),
    /// `x.f(..)`: the method and what the walk knows of the receiver's type.
    Method {
        name: crate::intern::Name,
        recv: RecvTy,
    },
}

/// The type of a method call's receiver, as far as the fn shows it; phase 2 resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecvTy {
    /// `self`: the impl's type.
    SelfValue,
    /// A type as written in the caller's module (a local's or parameter's declared type, a
    /// constructor's type: `&UserService`, `Arc<dyn Repo>`, `State<AppState>`).
    Type(crate::intern::Name),
    /// Fields followed from a root (`self.repo`, `state.svc.db`); boxed together, so a call
    /// fact is five words, not six.
    Field(Box<(RecvTy, thin_vec::ThinVec<crate::intern::Name>)>),
}

crate::intern::interned! {
    /// A call's arguments, when one of them is of interest.
    Args = list of ArgInfo
}

/// One argument of a call, as phase 2 may need it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ArgInfo {
    /// The argument is exactly this parameter of the calling fn (through `&`, `.clone()`,
    /// `.as_str()`): what the caller's own callers pass decides.
    pub param: Option<u16>,
    /// It carries the tenant (`extract::tenant::carries_tenant`).
    pub scoped: bool,
    /// Where its text comes from, for a string argument (SQL handed to a helper); boxed, as
    /// most arguments have none and a text's source is larger than the rest of the argument.
    pub text: Option<Box<StrSource>>,
    /// The declared type of a local or parameter passed as is (a handle handed to a helper).
    pub ty: Option<crate::intern::Name>,
}

impl ArgInfo {
    pub fn is_empty(&self) -> bool {
        self == &ArgInfo::default()
    }
}
