//! Query sites: raw SQL and DSL chains.

use crate::diagnostic::Span;
use crate::strings::SharedSource;

/// One query site.
#[derive(Debug, Clone)]
pub struct QueryFact {
    /// `sqlx`, `tokio-postgres`, `rusqlite`, `diesel`, `sea-orm`.
    pub driver: &'static str,
    /// Where the finding sits: the macro, the `query(..)` call, the start of the DSL chain.
    pub span: Span,
    /// The item path the finding names; empty once the walk is done when it is the path of
    /// the fn at `fn_index` (read it with [`super::FileFacts::item_of`]).
    pub item: String,
    /// Index in `FileFacts::fns` of the fn the site is in (None outside any fn).
    pub fn_index: Option<u32>,
    /// The code the fingerprint is computed from.
    pub snippet: String,
    pub kind: QueryKind,
    /// The receiver is not known to be a database handle: the site only counts when its SQL
    /// resolves (phase 2) to text that reads as SQL.
    pub tentative: bool,
    /// The site is the driver's only if this type path (as written, with the module it is
    /// written in) names no item of the workspace: a crate's own `QueryBuilder` is not sqlx's.
    pub unless_local: Option<Box<LocalClaim>>,
}

/// A type path as written and the module it is written in (see [`QueryFact::unless_local`]).
pub type LocalClaim = (Vec<String>, Vec<String>);

#[derive(Debug, Clone)]
pub enum QueryKind {
    /// Raw SQL, resolved and parsed in phase 2; shared with the thread's other sites of an
    /// equal text.
    Sql(SharedSource),
    /// A DSL chain (diesel, sea-orm), judged in phase 2 against the schema (boxed: it is
    /// five times the size of raw SQL's source, and most sites are raw SQL).
    Dsl(Box<DslQuery>),
}

/// What a DSL chain does to which tables.
#[derive(Debug, Clone, Default)]
pub struct DslQuery {
    /// Table or entity path as the code names it (`invoices`, `invoice::Entity`): the chain's
    /// base (the FROM table, the UPDATE/DELETE/INSERT target).
    pub table: String,
    /// True when `table` (and every joined table and column qualifier) is a sea-orm entity
    /// path, resolved to its `table_name` in phase 2.
    pub entity: bool,
    /// Module the chain is written in (to resolve `table` through `use`).
    pub module: crate::intern::Module,
    pub op: DslOp,
    /// Each way the chain can be built (a filter added under an `if` makes two): each is
    /// judged. Empty for an insert.
    pub variants: Vec<DslVariant>,
    /// Fields set by an insert (struct literal or `ActiveModel { .. }`).
    pub inserted_fields: Option<Vec<String>>,
    /// The inserted value's struct type when its fields are not visible (resolved in phase 2).
    pub inserted_type: Option<String>,
    /// The insert can update an existing row (`on_conflict(..).do_update()`,
    /// `OnConflict::..update_column(..)`): it never creates a tenant.
    pub upsert: bool,
    /// Scoped by construction (`belonging_to`, `find_related`, a configured scoped fn).
    pub scoped_by: Option<String>,
    /// An `ActiveModel` update or delete: where its primary key's values come from.
    pub model_key: Option<ModelKey>,
    /// The chain starts at a call of the crate's own fn that returns a query builder
    /// (`eventtype::Entity::secure_find(org_id).filter(..).one(db)`, the fn returning
    /// `Self::find().filter(Column::OrgId.eq(org_id))`): the fn's name; `table` is the path it
    /// is called on. Phase 2 judges the builder the fn returns ([`FnExtra::ret_builder`]) and, when
    /// it is scoped, the chain is too; with no such fn it is no query site.
    ///
    /// [`FnExtra::ret_builder`]: crate::extract::FnExtra::ret_builder
    pub finder: Option<String>,
}

/// One way a DSL chain is built: its joins and the condition its rows meet.
#[derive(Debug, Clone, Default)]
pub struct DslVariant {
    pub joins: Vec<DslJoin>,
    /// Every `.filter(..)`, `or_filter(..)`, `find(..)` of the chain, ANDed / ORed as they run.
    pub filter: Cond,
}

/// A table joined to the chain (`inner_join(t.on(..))`, `left_join(t)`, sea-orm
/// `find_also_related(E)`, `join(JoinType::InnerJoin, Relation::X.def())`).
#[derive(Debug, Clone)]
pub struct DslJoin {
    /// Table (diesel) or entity path (sea-orm) as written.
    pub table: String,
    pub kind: JoinKind,
    /// The written ON condition; `None`: the schema's foreign key between the two tables
    /// (diesel `joinable!`, sea-orm relations).
    pub on: Option<Cond>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    /// The joined table is null-extended: its ON filters only it.
    Left,
    /// RIGHT or FULL: the ON filters nothing the audit relies on.
    Other,
}

/// A condition on a chain's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// All of them (empty: no condition).
    All(Vec<Cond>),
    /// Any of them, and what wrote the OR (`or_filter`, `.or(..)`, `Condition::any()`).
    Any(Vec<Cond>, &'static str),
    Atom(Atom),
}

impl Default for Cond {
    fn default() -> Self {
        Cond::All(Vec::new())
    }
}

impl Cond {
    /// `self AND other`.
    pub fn and(self, other: Cond) -> Cond {
        match self {
            Cond::All(mut v) => {
                v.push(other);
                Cond::All(v)
            }
            one => Cond::All(vec![one, other]),
        }
    }
}

/// One comparison of a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Atom {
    /// `col = value` (`eq`, `eq_any`, `is_in`): pins the column to the value; `row` when the
    /// value is a field of a row loaded elsewhere (`&self.uuid`, `ws.id`), `key` when that field
    /// is the row's id (`ws.id`: the rows that belong to it, as diesel's `belonging_to`).
    Value {
        col: ColRef,
        row: Option<RowRef>,
        key: bool,
    },
    /// `a = b` between two columns.
    Cols(ColRef, ColRef),
    /// A comparison false on NULL (`lt`, `like`, `is_not_null`, `ne`..): the tables of these
    /// columns have a row (a LEFT JOIN that must match).
    Rejects(Vec<ColRef>),
    /// The primary key of the base table bound to values (`find(id)`, `find_by_id(id)`,
    /// `delete_by_id(id)`); `row` when the value is a loaded row's field.
    Key { row: Option<RowRef> },
    /// Something the audit cannot read: it scopes nothing and requires no row.
    Opaque,
}

/// A column as written: its qualifier (`invoices` of `invoices::org_id`, `project::Column` of
/// `project::Column::WorkspaceId`; `None` unqualified) and its name (snake case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColRef {
    pub table: Option<String>,
    pub column: String,
}

/// A value taken from a row the code loaded: a write keyed by it is as scoped as the fetch that
/// loaded the row (judged where that fetch is).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RowRef {
    /// A field of `self` in an impl of this type (a diesel model struct, a sea-orm `Model`).
    SelfOf(String),
    /// A field of parameter `index`, declared as `ty` (its last path segment: `Model`,
    /// `Cipher`), bound as `name` (a destructured parameter, `OrgWithApp { app }: OrgWithApp`,
    /// binds a field of `ty` named like it). Judged through the callers: each must pass a row it
    /// loaded; an entry point's (no caller) is what its framework extracted.
    Param {
        ty: String,
        name: String,
        index: usize,
    },
    /// A row fetched in the same fn by the query site at this index of the file's queries.
    Fetch(u32),
    /// A row fetched through this configured scoped fn.
    Scoped(String),
    /// The value is parameter `index` of the fn (`find_by_id(id)` with `id: Uuid`): what its
    /// callers pass (a field of a row each loaded, see [`RowArg`]).
    Passed(usize),
    /// A row returned by the call at `line` to `callee` (its last path segment or method name):
    /// a fn of the workspace declared to return a row (`-> Result<workspace::Model>`), whose
    /// own query is judged where it is; `part` picks a tuple element (`let (user, ws) = ..`).
    Returned {
        line: u32,
        callee: String,
        part: Option<usize>,
    },
    /// One of these, by the branch taken (`if let Some(u) = ws.usage_id { u } else {
    /// new_usage(..).await?.id }`): each must be trusted.
    Each(Vec<RowRef>),
}

/// A row whose tenant column the fn compares with the request's tenant and leaves on a
/// mismatch (`if c.org_id != org_id { return Err(..) }`, `ensure!(c.org_id == org, ..)`,
/// `.filter(|c| c.org_id == org_id).ok_or(..)?`, a match guard): the load is scoped for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCheck {
    /// Index in `FileFacts::fns` of the fn that checks.
    pub fn_index: u32,
    /// The checked row: a fetch of this fn, or what a call returns.
    pub row: RowRef,
}

/// An argument of a call that is a field of a loaded row (`end_usage(txn, ws.usage_id, ..)`),
/// or a parameter of the calling fn itself bound into a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowArg {
    /// Line of the call (as [`super::CallFact::line`]).
    pub line: u32,
    /// The called fn's or method's last path segment.
    pub callee: String,
    /// Position of the argument (receiver excluded).
    pub index: u16,
    pub row: RowRef,
}

/// Where an `ActiveModel` update's or delete's key comes from.
#[derive(Debug, Clone, Default)]
pub struct ModelKey {
    /// Fields it sets (`id: Set(x)`, `am.id = Set(x)`), with the row each value is a field of.
    pub fields: Vec<(String, Option<RowRef>)>,
    /// The whole model is made from a loaded row (`..row.into()`, `let am: ActiveModel =
    /// row.into()`, `row.into_active_model()`); `Some(None)`: from a value the audit cannot trace.
    pub from: Option<Option<RowRef>>,
}

/// A sea-orm entity module and the table it maps (`entities::invoice` -> `invoices`).
#[derive(Debug, Clone)]
pub struct EntityFact {
    pub module: crate::intern::Module,
    pub table: String,
}

/// What a DSL chain does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DslOp {
    #[default]
    Select,
    Update,
    Delete,
    Insert,
}
