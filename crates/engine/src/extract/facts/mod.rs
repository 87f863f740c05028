//! What phase 1 records about one file. Plain data: no syntax tree survives the walk.

mod caches;
mod calls;
mod queries;
mod routes;

pub use caches::*;
pub use calls::*;
pub use queries::*;
pub use routes::*;

use crate::diagnostic::Span;
use crate::strings::SharedSource;

#[derive(Debug, Default, Clone)]
pub struct FileFacts {
    /// Index of the file in the workspace listing.
    pub file: usize,
    pub package: usize,
    pub lines: usize,
    /// Module path of the file in its crate.
    pub module: crate::intern::Module,
    pub parse_error: Option<ParseError>,
    pub fns: Vec<FnFact>,
    pub routers: Vec<RouterFact>,
    pub queries: Vec<QueryFact>,
    pub caches: Vec<CacheFact>,
    pub consts: Vec<ConstFact>,
    pub uses: Vec<UseFact>,
    pub enums: Vec<EnumFact>,
    pub structs: Vec<StructFact>,
    /// Statics with their declared types (`static`, `lazy_static!`), for receiver typing.
    pub statics: Vec<StaticFact>,
    /// `type X = ..;` aliases, for receiver typing.
    pub aliases: Vec<AliasFact>,
    pub bypasses: Vec<BypassFact>,
    /// Tables declared by diesel `table!`, sea-orm entities and literal `CREATE TABLE` queries
    /// in this file.
    pub schema_tables: Vec<crate::sql::Table>,
    /// sea-orm entity modules and their `table_name`, to resolve `invoice::Entity` to a table.
    pub entities: Vec<EntityFact>,
    /// `mod x;` declarations (not `#[cfg(test)]`): the module tree's edges to other files.
    pub mods: Vec<ModDecl>,
    /// Calls to fns and methods the workspace may define, for the call graph.
    pub calls: Vec<CallFact>,
    /// Last path segments of every fn, method and macro called in the file, each once, in the
    /// order first called, then those of the attributes on its fns not among them: what a
    /// setting may name (TA903 looks for its entries among them).
    pub called: Vec<crate::intern::Name>,
    /// Call arguments that are fields of a loaded row (or a key parameter handed on), for a
    /// query keyed by a parameter judged through its callers.
    pub row_args: Vec<RowArg>,
    /// Rows compared with the request's tenant after they were loaded.
    pub row_checks: Vec<RowCheck>,
    /// Queries (indices into `queries`) whose row their fn returns (`Ok(model)`).
    pub returned_fetches: Vec<u32>,
    /// `impl` blocks: the self type and the trait, for method resolution.
    pub impls: Vec<ImplFact>,
    /// Migration folders the code embeds, from the package root (`sqlx::migrate!("db/migrations")`,
    /// diesel's and refinery's `embed_migrations!("..")`): where its schema is, read like
    /// `migrations/` when the config names no `schema`.
    pub migration_dirs: Vec<String>,
}

impl FileFacts {
    /// The item path a query or cache call names: `own`, or the path of the fn at `fn_index`
    /// when the fact keeps none (most sites: their fn's path joined again only for a finding).
    pub fn item_of(&self, fn_index: Option<u32>, own: &str) -> String {
        match fn_index {
            Some(i) if own.is_empty() => self.fns[i as usize].item().to_string(),
            _ => own.to_string(),
        }
    }

    /// Drops the item paths of queries and cache calls that are their fn's (see
    /// [`FileFacts::item_of`]): a string each, and a fn with many sites repeated it as often.
    pub(crate) fn share_site_items(&mut self) {
        let fns = &self.fns;
        let own = |fn_index: Option<u32>, item: &mut String| {
            if fn_index.is_some_and(|i| fns[i as usize].item().is(item)) {
                *item = String::new();
            }
        };
        for q in &mut self.queries {
            own(q.fn_index, &mut q.item);
        }
        for c in &mut self.caches {
            own(c.fn_index, &mut c.item);
        }
    }
}

/// An `impl [Trait for] Type` block.
#[derive(Debug, Clone)]
pub struct ImplFact {
    /// The self type's path as written (`UserService`, `repo::PgRepo`).
    pub self_ty: crate::intern::Module,
    /// The trait's path as written, for a trait impl.
    pub trait_: Option<crate::intern::Module>,
    pub module: crate::intern::Module,
}

/// `mod x;` (out of line), read to follow the module tree to `x.rs` / `x/mod.rs`.
#[derive(Debug, Clone)]
pub struct ModDecl {
    pub name: String,
    /// `#[path = ".."]`, as written.
    pub path: Option<String>,
    /// Inline modules of the file it sits in (`mod a { mod b; }` -> `["a"]`).
    pub inline: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
    /// True when the tool itself failed on the file (a caught panic, a too-deep tree).
    pub internal: bool,
}

/// A fn, method or closure.
#[derive(Debug, Default, Clone)]
pub struct FnFact {
    pub name: crate::intern::Name,
    /// The module path; with `self_ty` and `name` it makes the item path ([`FnFact::item`]).
    pub module: crate::intern::Module,
    /// The `impl` self type (last segment) for methods; the trait's name for a trait's own
    /// methods.
    pub self_ty: Option<crate::intern::Name>,
    /// Index into `FileFacts::impls` of the impl block a method is in, plus one (four bytes,
    /// not eight: [`FnFact::impl_index`] reads it).
    pub impl_slot: Option<std::num::NonZeroU32>,
    /// A method declared in a trait (with or without a default body).
    pub in_trait: bool,
    /// The name (the finding's place).
    pub span: Span,
    /// The whole item, attributes included.
    pub extent: Span,
    pub is_closure: bool,
    /// Parameter names and types (as written, without spaces), shared with the thread's other
    /// fns of the same list (`Params::of`).
    pub params: Params,
    /// The return type as spaced tokens, when it may name a workspace type or `Self` (not `()`,
    /// a primitive, `String`, ..): cache receivers made by getters and rows returned by a model's
    /// finders are typed by it.
    pub ret: Option<crate::intern::Name>,
    /// Last path segments of the fns, methods and macros called in the body that may be a
    /// permission check: a configured `[handlers] checks` entry's, or a name `init` takes for a
    /// check (`check_*`, `authorize*`, ..). Every name called is in [`FileFacts::called`]:
    /// a list per fn of every name was a million names at scale, read only for these.
    pub calls: thin_vec::ThinVec<crate::intern::Name>,
    /// What few fns have (`#[requires]`, routes, guard values, a returned text), kept apart:
    /// most fns have none of it.
    pub extra: Option<Box<FnExtra>>,
}

/// The facts of a fn that few fns have (see [`FnFact::extra`]).
#[derive(Debug, Default, Clone)]
pub struct FnExtra {
    /// An item path not made of the module, impl type and name: a handler closure's
    /// (`api::router::{closure}`).
    pub item: Option<Box<str>>,
    pub requires: Option<Box<RequiresFact>>,
    /// The text a fn declared to return a string (`-> String`, `-> &'static str`, a `Result`
    /// or `Option` of one) returns, when any of it is known: SQL built by a helper
    /// (`fn ddl(table: &str) -> String { format!("CREATE TABLE {table} ..") }`).
    pub ret_text: Option<crate::strings::StrSource>,
    /// Route attributes recognised by a framework (`#[get("/x")]`, `#[oai(..)]`).
    pub routes: thin_vec::ThinVec<RouteAttr>,
    /// Configured guard types written as values in the body (`&auth::JwtAuth { .. }`,
    /// `auth::AdminApiAuth`, `HeaderAuth(key)`): a permission handed to a wrapper.
    pub guard_values: thin_vec::ThinVec<String>,
    /// Parameters whose `None` is rejected before anything else happens
    /// (`let Some(u) = auth.0 else { return Err(..) }`, `auth.ok_or(..)?`, a `None` arm that
    /// returns an error).
    pub rejects_none: thin_vec::ThinVec<String>,
    /// The query builder a fn returns without running it (sea-orm
    /// `fn secure_find(org: OrgId) -> Select<Entity> { Self::find().filter(Column::OrgId.eq(org)) }`):
    /// the chains that run it start with its filter ([`DslQuery::finder`]).
    pub ret_builder: Option<Box<DslQuery>>,
}

impl FnFact {
    /// Item path: module path, impl type, fn name (`api::invoices::delete_invoice`), joined
    /// only when asked (a string per fn was a tenth of the facts at scale).
    pub fn item(&self) -> ItemPath<'_> {
        match self.extra.as_ref().and_then(|x| x.item.as_deref()) {
            Some(whole) => ItemPath {
                module: &[],
                self_ty: None,
                name: whole,
            },
            None => ItemPath {
                module: &self.module,
                self_ty: self.self_ty.as_ref().map(crate::intern::Name::as_str),
                name: &self.name,
            },
        }
    }
    /// Index into `FileFacts::impls` of the impl block a method is in.
    pub fn impl_index(&self) -> Option<u32> {
        self.impl_slot.map(|s| s.get() - 1)
    }
    /// The slot [`FnFact::impl_slot`] keeps for impl block `index`.
    pub fn impl_slot_of(index: Option<u32>) -> Option<std::num::NonZeroU32> {
        index.and_then(|i| std::num::NonZeroU32::new(i.checked_add(1)?))
    }
    pub fn requires(&self) -> Option<&RequiresFact> {
        self.extra.as_ref().and_then(|x| x.requires.as_deref())
    }
    pub fn ret_text(&self) -> Option<&crate::strings::StrSource> {
        self.extra.as_ref().and_then(|x| x.ret_text.as_ref())
    }
    pub fn routes(&self) -> &[RouteAttr] {
        self.extra.as_ref().map_or(&[], |x| &x.routes)
    }
    pub fn guard_values(&self) -> &[String] {
        self.extra.as_ref().map_or(&[], |x| &x.guard_values)
    }
    pub fn ret_builder(&self) -> Option<&DslQuery> {
        self.extra.as_ref().and_then(|x| x.ret_builder.as_deref())
    }
    pub fn rejects_none(&self) -> &[String] {
        self.extra.as_ref().map_or(&[], |x| &x.rejects_none)
    }
    /// The fn's rare facts, made on first use.
    pub fn extra_mut(&mut self) -> &mut FnExtra {
        self.extra.get_or_insert_with(Box::default)
    }
}

/// A fn's item path as its pieces (see [`FnFact::item`]): displayed, compared or hashed
/// without being joined into a string first.
#[derive(Debug, Clone, Copy)]
pub struct ItemPath<'a> {
    module: &'a [String],
    self_ty: Option<&'a str>,
    name: &'a str,
}

impl<'a> ItemPath<'a> {
    /// The path `module::name` of an item declared in `module` (a static, struct, const...).
    pub fn of(module: &'a [String], name: &'a str) -> Self {
        ItemPath {
            module,
            self_ty: None,
            name,
        }
    }

    /// The segments, in order (the last one is the fn's name).
    pub fn pieces(self) -> impl Iterator<Item = &'a str> {
        let name = (!self.name.is_empty()).then_some(self.name);
        self.module
            .iter()
            .map(String::as_str)
            .chain(self.self_ty)
            .chain(name)
    }

    /// Whether the joined path is `path`.
    pub fn is(self, path: &str) -> bool {
        let mut rest = path;
        for (i, p) in self.pieces().enumerate() {
            if i > 0 {
                match rest.strip_prefix("::") {
                    Some(r) => rest = r,
                    None => return false,
                }
            }
            match rest.strip_prefix(p) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
    }

    /// Writes the joined path to `out` (cleared first).
    pub fn write_to(self, out: &mut String) {
        out.clear();
        for (i, p) in self.pieces().enumerate() {
            if i > 0 {
                out.push_str("::");
            }
            out.push_str(p);
        }
    }
}

impl std::fmt::Display for ItemPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.pieces().enumerate() {
            if i > 0 {
                f.write_str("::")?;
            }
            f.write_str(p)?;
        }
        Ok(())
    }
}

crate::intern::interned! {
    /// A fn's parameters: most signatures repeat (`(&self, tenant: TenantId, id: Uuid)`).
    Params = list of ParamFact
}

impl FromIterator<ParamFact> for Params {
    fn from_iter<I: IntoIterator<Item = ParamFact>>(iter: I) -> Self {
        Params::of(iter.into_iter().collect())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParamFact {
    pub name: Option<crate::intern::Name>,
    pub ty: crate::intern::Name,
}

#[derive(Debug, Clone)]
pub struct RequiresFact {
    pub span: Span,
    pub scopes: Vec<ScopeFact>,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ScopeFact {
    /// Last path segment or the string's value.
    pub key: String,
    /// As written.
    pub display: String,
    pub is_path: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ConstFact {
    pub name: crate::intern::Name,
    pub module: crate::intern::Module,
    /// Shared with the thread's other consts of an equal value.
    pub value: SharedSource,
}

/// `use a::b::c as d;` -> alias `d`, path `a::b::c`.
#[derive(Debug, Clone)]
pub struct UseFact {
    pub module: crate::intern::Module,
    pub alias: crate::intern::Name,
    pub path: crate::intern::Module,
}

#[derive(Debug, Clone)]
pub struct EnumFact {
    pub name: crate::intern::Name,
    pub module: crate::intern::Module,
    pub variants: Vec<(crate::intern::Name, Span)>,
}

#[derive(Debug, Clone)]
pub struct StructFact {
    pub name: crate::intern::Name,
    pub module: crate::intern::Module,
    /// Field name (or index) and type as written.
    pub fields: Vec<(crate::intern::Name, crate::intern::Name)>,
    /// Field types as spaced tokens, parseable again (`Arc < dyn Cache >`), same order.
    pub field_types: Vec<crate::intern::Name>,
    /// Generic parameters with their bounds (`struct S<C: TenantCache>`), for fields typed by one.
    pub generics: super::Generics,
}

/// A static and its declared type as written (`Lazy<Cache<String,Plan>>`).
#[derive(Debug, Clone)]
pub struct StaticFact {
    pub name: crate::intern::Name,
    pub module: crate::intern::Module,
    pub ty: crate::intern::Name,
}

/// `type Name = Ty;` with the type as spaced tokens (parseable again).
#[derive(Debug, Clone)]
pub struct AliasFact {
    pub name: crate::intern::Name,
    pub module: crate::intern::Module,
    pub ty: crate::intern::Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BypassKind {
    Attribute,
    Macro,
}

/// A `#[tenant_bypass(..)]` or `tenant_bypass!(..)`.
#[derive(Debug, Clone)]
pub struct BypassFact {
    pub kind: BypassKind,
    /// The attribute or macro name (where TA901/TA902 sit).
    pub span: Span,
    /// What it covers.
    pub covers: Span,
    pub item: String,
    pub reason: Option<String>,
    /// Rule codes it is restricted to, None = all; unknown names are kept for the message.
    pub rules: Option<Vec<String>>,
    /// The arguments did not parse.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    /// The facts kept by the hundred thousand until the end of a run at scale: a fn fact per
    /// fn of the workspace (262k), a call fact per call a workspace fn may answer.
    #[test]
    fn the_facts_kept_by_the_hundred_thousand_keep_their_size() {
        let word = std::mem::size_of::<usize>();
        assert_eq!(std::mem::size_of::<super::FnFact>(), 12 * word);
        assert_eq!(std::mem::size_of::<super::CallFact>(), 5 * word);
    }

    #[test]
    fn equal_param_and_argument_lists_are_one_list() {
        use super::{ArgInfo, Args, ParamFact, Params};
        let param = |name: &str, ty: &str| ParamFact {
            name: Some(name.into()),
            ty: ty.into(),
        };
        let a = Params::of(vec![param("tenant", "TenantId"), param("id", "Uuid")]);
        let b: Params = [param("tenant", "TenantId"), param("id", "Uuid")]
            .into_iter()
            .collect();
        let c = Params::of(vec![param("tenant", "TenantId"), param("id", "i64")]);
        assert_eq!(a.as_ptr(), b.as_ptr());
        assert_eq!(a.len(), 2);
        assert_eq!(&*a[1].ty, "Uuid");
        assert_ne!(a, c);
        assert_eq!(&*c[1].ty, "i64");
        assert!(Params::of(Vec::new()).is_empty());

        let scoped = ArgInfo {
            scoped: true,
            ..Default::default()
        };
        let x = Args::of(vec![ArgInfo::default(), scoped.clone()]);
        let y = Args::of(vec![ArgInfo::default(), scoped.clone()]);
        assert_eq!(x.as_ptr(), y.as_ptr());
        assert_eq!(x.len(), 2);
        assert!(x[1].scoped && !x[0].scoped);
        assert_ne!(Args::of(vec![scoped.clone()]).as_ptr(), x.as_ptr());
    }

    #[test]
    fn equal_texts_are_one_text() {
        use crate::strings::{SharedSource, StrSource};
        let sql = || StrSource::Lit("SELECT * FROM invoices WHERE tenant_id = $1".into());
        let a = SharedSource::of(sql());
        let b = SharedSource::of(sql());
        let c = SharedSource::of(StrSource::Lit("SELECT * FROM invoices".into()));
        assert!(std::ptr::eq(&*a, &*b));
        assert_eq!(*a, sql());
        assert!(!std::ptr::eq(&*a, &*c));
        assert_ne!(a, c);
    }

    #[test]
    fn a_fn_keeps_its_impl_block_by_index() {
        for index in [None, Some(0), Some(7), Some(u32::MAX - 1)] {
            let f = super::FnFact {
                impl_slot: super::FnFact::impl_slot_of(index),
                ..Default::default()
            };
            assert_eq!(f.impl_index(), index);
        }
    }
}
