//! What the driver collectors share: recognising database handles from what the code declares,
//! sniffing whether a string argument reads as SQL, recording sites, and reading DSL filters.

use super::{QueryFact, QueryKind};
use crate::diagnostic::Span;
use crate::extract::{short, type_text, Collector, Walker};
use crate::strings::StrSource;
use std::collections::HashMap;
use syn::spanned::Spanned;

pub const SQLX: &str = "sqlx";
pub const POSTGRES: &str = "tokio-postgres";
pub const RUSQLITE: &str = "rusqlite";
pub const DIESEL: &str = "diesel";
pub const SEA_ORM: &str = "sea-orm";

/// Does the text read as SQL (starts with a statement keyword, after comments and parens)?
pub fn reads_as_sql(text: &str) -> bool {
    let mut t = text.trim_start();
    loop {
        if let Some(rest) = t.strip_prefix("--") {
            t = rest
                .split_once('\n')
                .map(|x| x.1)
                .unwrap_or("")
                .trim_start();
        } else if let Some(rest) = t.strip_prefix("/*") {
            t = rest
                .split_once("*/")
                .map(|x| x.1)
                .unwrap_or("")
                .trim_start();
        } else if let Some(rest) = t.strip_prefix('(') {
            t = rest.trim_start();
        } else {
            break;
        }
    }
    let word: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    matches!(
        word.as_str(),
        "SELECT"
            | "INSERT"
            | "UPDATE"
            | "DELETE"
            | "WITH"
            | "MERGE"
            | "REPLACE"
            | "UPSERT"
            | "TRUNCATE"
            | "COPY"
            | "VALUES"
    )
}

/// How much the walk can see of a string argument before phase 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Its leading text reads as SQL.
    Sql,
    /// It is a const, static or file: phase 2 decides (the site is tentative).
    Later,
    /// Nothing says it is SQL.
    No,
}

/// Does a string argument read as SQL, as far as the walk can tell?
pub fn evidence<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Evidence {
    evidence_depth(w, e, 0)
}

fn evidence_depth<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr, depth: usize) -> Evidence {
    use syn::Expr;
    if depth > 12 {
        return Evidence::No;
    }
    if let Some(inner) = crate::extract::string_wrapped(e) {
        return evidence_depth(w, inner, depth + 1);
    }
    let text = |s: &str| {
        if reads_as_sql(s) {
            Evidence::Sql
        } else {
            Evidence::No
        }
    };
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => text(&s.value()),
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => {
            evidence_depth(w, &b.left, depth + 1)
        }
        Expr::If(i) => match i.then_branch.stmts.last() {
            Some(syn::Stmt::Expr(t, None)) => evidence_depth(w, t, depth + 1),
            _ => Evidence::No,
        },
        Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(t, None)) => evidence_depth(w, t, depth + 1),
            _ => Evidence::No,
        },
        Expr::Macro(m) => {
            let name = m
                .mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            match name.as_str() {
                "include_str" => Evidence::Later,
                "format" | "concat" => {
                    let first = m
                        .mac
                        .parse_body_with(
                            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
                        )
                        .ok()
                        .and_then(|l| l.into_iter().next());
                    match first {
                        Some(syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        })) => text(&s.value()),
                        _ => Evidence::No,
                    }
                }
                _ => Evidence::No,
            }
        }
        Expr::Path(p) if p.qself.is_none() => {
            if p.path.segments.len() == 1 {
                let name = p.path.segments[0].ident.to_string();
                if let Some(l) = w.local(&name) {
                    return match l.init {
                        Some(init) if !l.is_param => evidence_depth(w, init, depth + 1),
                        _ => Evidence::No,
                    };
                }
            }
            // A const or static: SCREAMING_CASE by convention.
            let last = p
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            if last.chars().any(|c| c.is_ascii_uppercase())
                && !last.chars().any(|c| c.is_ascii_lowercase())
            {
                Evidence::Later
            } else {
                Evidence::No
            }
        }
        _ => Evidence::No,
    }
}

/// Strips `&`, `*`, parens, `.await`, `?`.
pub fn strip(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Reference(r) => strip(&r.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip(&u.expr),
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        syn::Expr::Await(a) => strip(&a.base),
        syn::Expr::Try(t) => strip(&t.expr),
        other => other,
    }
}

/// The database driver a type names, if any (`PgPool`, `&mut PgConnection`,
/// `deadpool_postgres::Client`, `Arc<Mutex<rusqlite::Connection>>`, `DatabaseConnection`).
pub fn type_driver(w: &Walker<'_, '_>, ty: &str) -> Option<&'static str> {
    let idents: Vec<&str> = ty
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|s| !s.is_empty())
        .collect();
    for id in &idents {
        let d = match *id {
            "sqlx" | "PgPool" | "MySqlPool" | "SqlitePool" | "AnyPool" | "PgConnection"
            | "MySqlConnection" | "SqliteConnection" | "AnyConnection" | "PoolConnection"
            | "PgPoolOptions" | "SqlitePoolOptions" | "MySqlPoolOptions" | "PgTransaction"
            | "Executor" | "PgExecutor" | "SqliteExecutor" | "MySqlExecutor" | "Acquire"
            | "Postgres" | "Sqlite" | "MySql" => Some(SQLX),
            "tokio_postgres"
            | "deadpool_postgres"
            | "postgres"
            | "bb8_postgres"
            | "GenericClient"
            | "PostgresConnectionManager" => Some(POSTGRES),
            "rusqlite" | "SqliteConnectionManager" | "r2d2_sqlite" | "Savepoint" => Some(RUSQLITE),
            "sea_orm"
            | "DatabaseConnection"
            | "DatabaseTransaction"
            | "ConnectionTrait"
            | "TransactionTrait"
            | "DbConn" => Some(SEA_ORM),
            "PgConn"
            | "SqliteConn"
            | "MysqlConnection"
            | "PgConnectionManager"
            | "diesel"
            | "diesel_async"
            | "AsyncPgConnection"
            | "DbConnection" => Some(DIESEL),
            _ => None,
        };
        if d.is_some() {
            return d;
        }
    }
    for id in &idents {
        if matches!(
            *id,
            "Client" | "Transaction" | "Connection" | "Pool" | "Object" | "PooledConnection"
        ) {
            return Some(imported_from(w, id).unwrap_or_else(|| default_driver(w)));
        }
    }
    None
}

fn crate_driver(krate: &str) -> Option<&'static str> {
    match krate {
        "sqlx" => Some(SQLX),
        "tokio_postgres" | "deadpool_postgres" | "postgres" | "bb8_postgres" => Some(POSTGRES),
        "rusqlite" | "r2d2_sqlite" => Some(RUSQLITE),
        "sea_orm" => Some(SEA_ORM),
        "diesel" | "diesel_async" => Some(DIESEL),
        _ => None,
    }
}

/// The driver crate a name is imported from in this file (`use rusqlite::Connection`).
fn imported_from(w: &Walker<'_, '_>, name: &str) -> Option<&'static str> {
    w.facts
        .uses
        .iter()
        .filter(|u| u.alias == name)
        .find_map(|u| u.path.first().and_then(|k| crate_driver(k)))
}

/// The driver this file most likely talks to: its imports, then its package's dependencies.
pub fn default_driver(w: &Walker<'_, '_>) -> &'static str {
    drivers_in_use(w).first().copied().unwrap_or(POSTGRES)
}

/// Drivers this file may use, most likely first.
pub fn drivers_in_use(w: &Walker<'_, '_>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for u in &w.facts.uses {
        if let Some(d) = u.path.first().and_then(|k| crate_driver(k)) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    let pkg = w.cx.package;
    if !pkg.plain {
        for (dep, d) in [
            ("sqlx", SQLX),
            ("tokio-postgres", POSTGRES),
            ("deadpool-postgres", POSTGRES),
            ("postgres", POSTGRES),
            ("bb8-postgres", POSTGRES),
            ("rusqlite", RUSQLITE),
            ("sea-orm", SEA_ORM),
            ("diesel", DIESEL),
            ("diesel-async", DIESEL),
        ] {
            if pkg.deps.contains_key(dep) && !out.contains(&d) {
                out.push(d);
            }
        }
    } else {
        for d in [POSTGRES, RUSQLITE, SQLX, SEA_ORM, DIESEL] {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

/// Is the driver's crate in use for this file's package?
pub fn uses_driver(w: &Walker<'_, '_>, driver: &str) -> bool {
    match driver {
        SQLX => w.cx.uses("sqlx"),
        POSTGRES => {
            w.cx.uses("tokio-postgres")
                || w.cx.uses("deadpool-postgres")
                || w.cx.uses("postgres")
                || w.cx.uses("bb8-postgres")
        }
        RUSQLITE => w.cx.uses("rusqlite"),
        DIESEL => w.cx.uses("diesel") || w.cx.uses("diesel-async"),
        SEA_ORM => w.cx.uses("sea-orm"),
        _ => false,
    }
}

/// The driver of the database handle an expression evaluates to, from declared types and
/// constructors: parameters, lets, `self`/struct fields declared in this file, `pool.get()`,
/// `pool.begin()`, `conn.transaction()`, `Connection::open(..)`, through `&`, `Arc`, locks.
pub fn handle_of<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Option<&'static str> {
    handle_depth(w, e, 0)
}

const PASS_THROUGH: &[&str] = &[
    "unwrap",
    "expect",
    "as_ref",
    "as_mut",
    "clone",
    "deref",
    "deref_mut",
    "borrow",
    "borrow_mut",
    "lock",
    "read",
    "write",
    "get",
    "get_mut",
    "acquire",
    "begin",
    "try_begin",
    "transaction",
    "savepoint",
    "unchecked_transaction",
    "get_conn",
    "get_connection",
    "begin_transaction",
    "build_transaction",
    "start",
    "detach",
    "try_get",
    "get_owned",
    "acquire_owned",
    "connect",
    "connect_lazy",
    "connect_with",
    "open",
    "open_in_memory",
    "build",
    "create_pool",
    "into_inner",
    "as_inner",
];

fn handle_depth<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    depth: usize,
) -> Option<&'static str> {
    use syn::Expr;
    if depth > 10 {
        return None;
    }
    match e {
        Expr::Reference(r) => handle_depth(w, &r.expr, depth + 1),
        Expr::Unary(u) => handle_depth(w, &u.expr, depth + 1),
        Expr::Paren(p) => handle_depth(w, &p.expr, depth + 1),
        Expr::Group(g) => handle_depth(w, &g.expr, depth + 1),
        Expr::Await(a) => handle_depth(w, &a.base, depth + 1),
        Expr::Try(t) => handle_depth(w, &t.expr, depth + 1),
        Expr::MethodCall(m) if PASS_THROUGH.contains(&m.method.to_string().as_str()) => {
            handle_depth(w, &m.receiver, depth + 1)
        }
        Expr::Call(c) => {
            let Expr::Path(p) = &*c.func else { return None };
            let segs: Vec<String> = crate::extract::segments(&p.path);
            let ctor = segs.last().is_some_and(|s| {
                matches!(
                    s.as_str(),
                    "connect"
                        | "connect_lazy"
                        | "connect_with"
                        | "new"
                        | "open"
                        | "open_in_memory"
                        | "open_with_flags"
                        | "builder"
                        | "create_pool"
                        | "from_config"
                )
            });
            if segs.len() >= 2 && ctor {
                let ty = segs[..segs.len() - 1].join("::");
                type_driver(w, &ty)
            } else if segs.first().is_some_and(|s| s == "Arc" || s == "Mutex") {
                c.args.first().and_then(|a| handle_depth(w, a, depth + 1))
            } else {
                None
            }
        }
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            let l = w.local(&name)?;
            if let Some(ty) = l.ty {
                return type_driver(w, &type_text(ty));
            }
            l.init.and_then(|i| handle_depth(w, i, depth + 1))
        }
        Expr::Field(f) => {
            let syn::Member::Named(field) = &f.member else {
                return None;
            };
            let owner: Option<String> = match strip(&f.base) {
                Expr::Path(p) if p.path.is_ident("self") => w.self_ty().map(String::from),
                Expr::Path(p) if p.path.segments.len() == 1 => {
                    let name = p.path.segments[0].ident.to_string();
                    w.local(&name).and_then(|l| l.ty).map(type_text)
                }
                _ => None,
            };
            let owner = owner?;
            let field = field.to_string();
            // The owner's type names a struct declared in this file: take the field's type.
            let idents: Vec<&str> = owner
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|s| !s.is_empty())
                .collect();
            w.facts
                .structs
                .iter()
                .filter(|s| idents.contains(&s.name.as_str()))
                .find_map(|s| s.fields.iter().find(|(n, _)| *n == field))
                .and_then(|(_, ty)| type_driver(w, ty))
        }
        _ => None,
    }
}

/// Is the argument a prepared statement rather than SQL text (a `let` from `prepare*`, a value
/// of a `Statement` type, a field or a call we cannot see into)?
pub fn is_statement_like<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> bool {
    use syn::Expr;
    match strip(e) {
        Expr::Lit(_) | Expr::Macro(_) | Expr::Binary(_) | Expr::If(_) | Expr::Match(_) => false,
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            let lname = name.to_ascii_lowercase();
            match w.local(&name) {
                Some(l) => {
                    if let Some(ty) = l.ty {
                        let t = type_text(ty);
                        return t.contains("Statement") || t.contains("ToStatement");
                    }
                    match l.init {
                        Some(init) => {
                            let i = strip(init);
                            match i {
                                Expr::MethodCall(m) => {
                                    m.method.to_string().starts_with("prepare")
                                        || !matches!(
                                            m.method.to_string().as_str(),
                                            "to_string" | "to_owned" | "into" | "clone" | "as_str"
                                        ) && (lname.contains("stmt")
                                            || lname.contains("statement"))
                                }
                                Expr::Field(_) => true,
                                _ => false,
                            }
                        }
                        None => lname.contains("stmt") || lname.contains("statement"),
                    }
                }
                None => false,
            }
        }
        Expr::Field(_) | Expr::Index(_) => true,
        Expr::MethodCall(m) => !matches!(
            m.method.to_string().as_str(),
            "to_string" | "to_owned" | "into" | "as_str" | "as_ref" | "clone" | "join"
        ),
        _ => false,
    }
}

/// A span from the start of `a` to the end of `b`.
pub fn span_between(a: proc_macro2::Span, b: proc_macro2::Span) -> Span {
    let s = Span::from_pm2(a);
    let e = Span::from_pm2(b);
    Span {
        start: s.start,
        end: e.end,
    }
}

/// The span of a method call from its name to its closing paren (`query(..)`).
pub fn method_span(m: &syn::ExprMethodCall) -> Span {
    span_between(m.method.span(), m.paren_token.span.close())
}

/// Records an SQL query site.
pub fn push_sql(
    w: &mut Walker<'_, '_>,
    driver: &'static str,
    span: Span,
    snippet: String,
    src: StrSource,
    tentative: bool,
) {
    let item = w.current_item();
    w.facts.queries.push(QueryFact {
        driver,
        span,
        item,
        snippet,
        kind: QueryKind::Sql(src),
        tentative,
    });
}

/// Where the SQL of an argument comes from: [`Walker::str_source`], except that a local that
/// the fn mutates (`sql.push_str(..)`, `sql += ..`, `write!(sql, ..)`) is dynamic.
pub fn sql_source<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> StrSource {
    if let Some(how) = mutated(w, e) {
        return StrSource::Dynamic(how);
    }
    w.str_source(e)
}

/// A method call site on a handle: decides whether `m` is a query site of `driver`.
/// Returns `Some(tentative)` for a site.
pub fn method_site<'ast>(
    w: &Walker<'ast, '_>,
    m: &'ast syn::ExprMethodCall,
    driver: &'static str,
    methods: &[&str],
    typed_needs_text: bool,
) -> Option<bool> {
    let method = m.method.to_string();
    if !methods.contains(&method.as_str()) {
        return None;
    }
    let arg = m.args.first()?;
    if w.cx.config.tenant.is_scoped_fn(&method) {
        return None;
    }
    match handle_of(w, &m.receiver) {
        Some(d) if d == driver => {
            if typed_needs_text {
                match evidence(w, arg) {
                    Evidence::No if is_statement_like(w, arg) || !string_typed(w, arg) => None,
                    _ => Some(false),
                }
            } else if is_statement_like(w, arg) {
                None
            } else {
                Some(false)
            }
        }
        Some(_) => None,
        None => {
            let ev = evidence(w, arg);
            if ev == Evidence::No {
                return None;
            }
            let first = drivers_in_use(w)
                .into_iter()
                .find(|d| driver_methods(d).contains(&method.as_str()));
            if first != Some(driver) {
                return None;
            }
            Some(ev == Evidence::Later)
        }
    }
}

/// A local or parameter declared as a string (`sql: &str`, `let q: String`).
fn string_typed<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> bool {
    if let syn::Expr::Path(p) = strip(e) {
        if let Some(id) = p.path.get_ident() {
            if let Some(ty) = w.local(&id.to_string()).and_then(|l| l.ty) {
                let t = type_text(ty);
                return t.contains("str") || t.contains("String") || t.contains("Cow");
            }
        }
    }
    false
}

/// Methods that take SQL text as their first argument, per driver (for untyped receivers).
pub fn driver_methods(driver: &str) -> &'static [&'static str] {
    match driver {
        POSTGRES => super::postgres::METHODS,
        RUSQLITE => super::rusqlite::METHODS,
        SQLX => super::sqlx::EXECUTOR_METHODS,
        SEA_ORM => &["execute_unprepared"],
        _ => &[],
    }
}

// ----- mutations of SQL strings --------------------------------------------------------------

const MUTATIONS: &str = "db.mutations";

/// Mutated string locals of the current fn: binding key -> how.
type Mutated = HashMap<String, String>;

/// Records `sql.push_str(..)`, `sql += ..`, `write!(sql, ..)` on locals, for [`sql_source`].
pub struct Mutations;

fn binding_key(w: &Walker<'_, '_>, name: &str) -> Option<String> {
    let l = w.local(name)?;
    let at = l
        .init
        .map(|i| i as *const syn::Expr as usize)
        .or(l.ty.map(|t| t as *const syn::Type as usize))
        .unwrap_or(0);
    Some(format!("{name}@{at}"))
}

fn ident_of(e: &syn::Expr) -> Option<String> {
    match strip(e) {
        syn::Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    }
}

fn record_mutation(w: &mut Walker<'_, '_>, name: &str, how: String) {
    if let Some(key) = binding_key(w, name) {
        if let Some(m) = w.scratch::<Mutated>(MUTATIONS) {
            m.entry(key).or_insert(how);
        }
    }
}

fn mutated<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Option<String> {
    let mut cur = strip(e);
    while let syn::Expr::MethodCall(m) = cur {
        if m.args.is_empty()
            && matches!(
                m.method.to_string().as_str(),
                "as_str" | "as_ref" | "clone" | "to_string" | "to_owned" | "into"
            )
        {
            cur = strip(&m.receiver);
        } else {
            break;
        }
    }
    let name = ident_of(cur)?;
    let key = binding_key(w, &name)?;
    let f = w.fns.last()?;
    let m = f.scratch.get(MUTATIONS)?.downcast_ref::<Mutated>()?;
    m.get(&key).cloned()
}

impl Collector for Mutations {
    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        match e {
            syn::Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "push_str" | "push" | "insert_str" | "extend"
                ) =>
            {
                if let Some(name) = ident_of(&m.receiver) {
                    // Only strings: a `Vec::push` on a local is not SQL text.
                    let is_string = w.local(&name).is_some_and(|l| {
                        l.ty.is_some_and(|t| type_text(t).contains("String"))
                            || l.init.is_some_and(|i| {
                                matches!(w.str_source(i), StrSource::Lit(_) | StrSource::Concat(_))
                                    || matches!(strip(i), syn::Expr::Macro(_))
                                    || crate::extract::short(i).starts_with("String::")
                            })
                    });
                    if is_string {
                        let how = format!("`{name}.{}(..)`", m.method);
                        record_mutation(w, &name, how);
                    }
                }
            }
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::AddAssign(_)) => {
                if let Some(name) = ident_of(&b.left) {
                    let how = format!("`{name} += {}`", short(&b.right));
                    record_mutation(w, &name, how);
                }
            }
            syn::Expr::Assign(a) => {
                if let Some(name) = ident_of(&a.left) {
                    let how = format!("`{name} = {}`", short(&a.right));
                    record_mutation(w, &name, how);
                    // `query = query.filter(..)`: the filters apply to the binding.
                    let (base, calls) = crate::frameworks::method_chain(strip(&a.right));
                    if ident_of(base).as_deref() == Some(name.as_str()) && !calls.is_empty() {
                        let mut f = Filters::default();
                        apply_filter_calls(w, &mut f, &calls);
                        if let Some(key) = binding_key(w, &name) {
                            if let Some(r) = w.scratch::<Reassigned>(REASSIGNED) {
                                merge(r.entry(key).or_default(), f);
                            }
                        }
                    }
                } else if let syn::Expr::Field(f) = &*a.left {
                    // `am.org_id = Set(..)`: a field set on a local.
                    if let (Some(name), syn::Member::Named(field)) = (ident_of(&f.base), &f.member)
                    {
                        if let Some(key) = binding_key(w, &name) {
                            if let Some(r) = w.scratch::<Assigned>(ASSIGNED) {
                                r.entry(key).or_default().push(field.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn mac<'ast>(&self, w: &mut Walker<'ast, '_>, m: &'ast syn::Macro) {
        let name = m
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if name == "write" || name == "writeln" {
            if let Ok(list) = m.parse_body_with(
                syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            ) {
                if let Some(first) = list.first() {
                    if let Some(var) = ident_of(first) {
                        record_mutation(w, &var, format!("`{name}!({var}, ..)`"));
                    }
                }
            }
        }
    }
}

// ----- DSL filters ---------------------------------------------------------------------------

const REASSIGNED: &str = "db.dsl_reassigned";
const ASSIGNED: &str = "db.assigned_fields";

/// Filters added by `query = query.filter(..)`, per binding.
type Reassigned = HashMap<String, Filters>;
/// Fields set by `am.field = ..`, per binding.
type Assigned = HashMap<String, Vec<String>>;

/// Filters added to a local DSL query by reassignment (`q = q.filter(..)`).
pub fn reassigned_filters(w: &Walker<'_, '_>, name: &str) -> Option<Filters> {
    let key = binding_key(w, name)?;
    let f = w.fns.last()?;
    f.scratch
        .get(REASSIGNED)?
        .downcast_ref::<Reassigned>()?
        .get(&key)
        .cloned()
}

/// Fields assigned on a local (`am.org_id = Set(..)`).
pub fn assigned_fields(w: &Walker<'_, '_>, name: &str) -> Vec<String> {
    let Some(key) = binding_key(w, name) else {
        return Vec::new();
    };
    w.fns
        .last()
        .and_then(|f| f.scratch.get(ASSIGNED))
        .and_then(|s| s.downcast_ref::<Assigned>())
        .and_then(|m| m.get(&key).cloned())
        .unwrap_or_default()
}

/// Applies `filter`, `or_filter` and configured scoped fns of a chain.
pub fn apply_filter_calls<'ast>(
    w: &Walker<'ast, '_>,
    f: &mut Filters,
    calls: &[&'ast syn::ExprMethodCall],
) {
    for c in calls {
        let method = c.method.to_string();
        match method.as_str() {
            "filter" | "and_where" | "and_filter" => {
                if let Some(a) = c.args.first() {
                    f.and(w, a);
                }
            }
            "or_filter" | "or_where" => {
                if let Some(a) = c.args.first() {
                    f.or(w, a, &method);
                }
            }
            _ if w.cx.config.tenant.is_scoped_fn(&method) => {
                f.scoped_by.get_or_insert(method);
            }
            _ => {}
        }
    }
}

/// Merges filters of a local the chain starts from.
pub fn merge(into: &mut Filters, from: Filters) {
    into.columns.extend(from.columns);
    into.voided.extend(from.voided);
    if from.voided_by.is_some() {
        into.voided_by = from.voided_by;
    }
    if from.scoped_by.is_some() {
        into.scoped_by = from.scoped_by;
    }
}

/// What the filters of a DSL chain establish.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    pub columns: Vec<String>,
    pub voided_by: Option<String>,
    pub voided: Vec<String>,
    pub scoped_by: Option<String>,
}

impl Filters {
    /// `.filter(expr)`: ANDed with what came before.
    pub fn and<'ast>(&mut self, w: &Walker<'ast, '_>, e: &'ast syn::Expr) {
        let (and, or, kind) = conjuncts(w, e, 0);
        self.columns.extend(and);
        if !or.is_empty() {
            self.voided.extend(or);
            self.voided_by
                .get_or_insert(kind.unwrap_or(".or(..)").to_string());
        }
    }

    /// `.or_filter(expr)`: ORed with everything before (voids it).
    pub fn or<'ast>(&mut self, w: &Walker<'ast, '_>, e: &'ast syn::Expr, how: &str) {
        let (and, or, _) = conjuncts(w, e, 0);
        self.voided.append(&mut self.columns);
        self.voided.extend(and);
        self.voided.extend(or);
        self.voided_by = Some(how.to_string());
    }
}

/// Columns compared on the AND path of a filter expression, columns under an OR, and what the
/// OR was.
fn conjuncts<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    depth: usize,
) -> (Vec<String>, Vec<String>, Option<&'static str>) {
    use syn::Expr;
    let mut and = Vec::new();
    let mut or = Vec::new();
    let mut kind = None;
    if depth > 16 {
        return (and, or, kind);
    }
    match strip(e) {
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            match method.as_str() {
                "eq" | "eq_any" | "is_in" | "eq_all" => {
                    if let Some(c) = column_of(&m.receiver) {
                        and.push(c);
                    } else if let Some(c) = m.args.first().and_then(column_of) {
                        and.push(c);
                    }
                }
                "and" => {
                    let (a, o, k) = conjuncts(w, &m.receiver, depth + 1);
                    and.extend(a);
                    or.extend(o);
                    kind = kind.or(k);
                    if let Some(arg) = m.args.first() {
                        let (a, o, k) = conjuncts(w, arg, depth + 1);
                        and.extend(a);
                        or.extend(o);
                        kind = kind.or(k);
                    }
                }
                "or" => {
                    let (a, o, _) = conjuncts(w, &m.receiver, depth + 1);
                    or.extend(a);
                    or.extend(o);
                    if let Some(arg) = m.args.first() {
                        let (a, o, _) = conjuncts(w, arg, depth + 1);
                        or.extend(a);
                        or.extend(o);
                    }
                    kind = Some(".or(..)");
                }
                "add" | "add_option" => {
                    // sea-orm `Condition::all()/any().add(..)..`
                    let (base, calls) = crate::frameworks::method_chain(strip(e));
                    let any = crate::frameworks::call_path(base)
                        .is_some_and(|p| p.last().is_some_and(|s| s == "any"));
                    let mut cols = Vec::new();
                    let mut inner_or = Vec::new();
                    for c in calls {
                        if c.method == "add" || c.method == "add_option" {
                            if let Some(arg) = c.args.first() {
                                let (a, o, k) = conjuncts(w, arg, depth + 1);
                                cols.extend(a);
                                inner_or.extend(o);
                                kind = kind.or(k);
                            }
                        }
                    }
                    if any {
                        or.extend(cols);
                        or.extend(inner_or);
                        kind = Some("Condition::any()");
                    } else {
                        and.extend(cols);
                        or.extend(inner_or);
                    }
                }
                _ => {}
            }
        }
        Expr::Call(c) => {
            // `Some(x)` in add_option, `Cond::all()` alone: nothing; `and(a, b)`.
            if let Some(name) = crate::extract::last_segment(&c.func) {
                if name == "Some" || name == "and" {
                    for a in &c.args {
                        let (x, o, k) = conjuncts(w, a, depth + 1);
                        and.extend(x);
                        or.extend(o);
                        kind = kind.or(k);
                    }
                }
            }
        }
        Expr::Path(p) if p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            if let Some(init) = w
                .local(&name)
                .and_then(|l| if l.is_param { None } else { l.init })
            {
                return conjuncts(w, init, depth + 1);
            }
        }
        _ => {}
    }
    (and, or, kind)
}

/// The column a DSL expression names: diesel `org_id`, `invoices::org_id`,
/// `invoices::dsl::org_id`; sea-orm `invoice::Column::OrgId`, `Expr::col(Column::OrgId)`,
/// `(Alias, Column::OrgId)`.
pub fn column_of(e: &syn::Expr) -> Option<String> {
    use syn::Expr;
    match strip(e) {
        Expr::Path(p) => {
            let segs: Vec<String> = crate::extract::segments(&p.path);
            let last = segs.last()?;
            if segs.len() >= 2 && segs[segs.len() - 2] == "Column" {
                Some(snake_case(last))
            } else if last.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                // `OrgId` from `use invoice::Column::*`-style imports.
                Some(snake_case(last))
            } else {
                Some(last.clone())
            }
        }
        Expr::Call(c) => c.args.last().and_then(column_of),
        Expr::Tuple(t) => t.elems.last().and_then(column_of),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "into_expr" | "into_simple_expr" | "nullable" | "assume_not_null"
            ) =>
        {
            column_of(&m.receiver)
        }
        _ => None,
    }
}

/// `OrgId` -> `org_id`.
pub fn snake_case(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Field names of a struct literal (`NewX { org_id, name: n, .. }`), or of the literal a local
/// was initialised with.
pub fn struct_literal_fields<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
) -> Option<(&'ast syn::ExprStruct, Vec<String>)> {
    let mut cur = strip(e);
    for _ in 0..4 {
        match cur {
            syn::Expr::Struct(s) => {
                let fields = s
                    .fields
                    .iter()
                    .filter_map(|f| match &f.member {
                        syn::Member::Named(n) => {
                            // sea-orm: `field: NotSet` does not set it.
                            let not_set = matches!(&f.expr, syn::Expr::Path(p)
                                if p.path.segments.last().is_some_and(|s| s.ident == "NotSet"));
                            (!not_set).then(|| n.to_string())
                        }
                        _ => None,
                    })
                    .collect();
                return Some((s, fields));
            }
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                cur = strip(w.local(&name)?.init?);
            }
            syn::Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "clone" | "into" | "into_active_model" | "to_owned"
                ) =>
            {
                cur = strip(&m.receiver);
            }
            _ => return None,
        }
    }
    None
}

/// The declared type of a local or parameter, as its last path segment (`&NewInvoice` ->
/// `NewInvoice`, `Vec<NewInvoice>` -> `NewInvoice`).
pub fn local_type_name<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Option<String> {
    let syn::Expr::Path(p) = strip(e) else {
        return None;
    };
    let name = p.path.get_ident()?.to_string();
    let ty = type_text(w.local(&name)?.ty?);
    ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|s| !s.is_empty() && s.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .rfind(|s| !matches!(*s, "Vec" | "Option" | "Box" | "Arc" | "Rc" | "Cow"))
        .map(String::from)
}

/// `short` of any node, for snippets.
pub fn snippet(e: &dyn quote::ToTokens) -> String {
    short(e)
}

/// The start of an expression as a span (for DSL chains: where the chain starts).
pub fn start_span(e: &syn::Expr) -> Span {
    Span::from_pm2(e.span())
}

/// A DSL chain read from its outermost call, following locals it starts from
/// (`let q = invoices.filter(..); q.load(conn)`).
pub struct Chain<'ast> {
    /// What the chain starts from (a table path, `diesel::update(..)`, `Entity::find()`).
    pub base: &'ast syn::Expr,
    /// Method calls, innermost first.
    pub calls: Vec<&'ast syn::ExprMethodCall>,
    /// The expression whose start is the chain's start (where the finding sits).
    pub start: &'ast syn::Expr,
    /// Filters added to the locals on the way (`q = q.filter(..)`).
    pub pre: Filters,
    /// The chain came through a parameter (`fn f(q: BoxedQuery)`): its start is not visible.
    pub from_param: bool,
}

pub fn chain<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Chain<'ast> {
    chain_depth(w, e, 0)
}

fn chain_depth<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr, depth: usize) -> Chain<'ast> {
    let (base, calls) = crate::frameworks::method_chain(e);
    if depth < 6 {
        if let syn::Expr::Path(p) = strip(base) {
            if let Some(id) = p.path.get_ident() {
                let name = id.to_string();
                if let Some(l) = w.local(&name) {
                    if l.is_param {
                        return Chain {
                            base,
                            calls,
                            start: e,
                            pre: Filters::default(),
                            from_param: true,
                        };
                    }
                    if let Some(init) = l.init {
                        let mut inner = chain_depth(w, init, depth + 1);
                        if let Some(f) = reassigned_filters(w, &name) {
                            merge(&mut inner.pre, f);
                        }
                        inner.calls.extend(calls);
                        return inner;
                    }
                }
            }
        }
    }
    Chain {
        base,
        calls,
        start: e,
        pre: Filters::default(),
        from_param: false,
    }
}

/// Records a DSL query site, once per chain start.
pub fn push_dsl(
    w: &mut Walker<'_, '_>,
    driver: &'static str,
    start: &syn::Expr,
    snippet: String,
    q: super::DslQuery,
) {
    let span = Span::from_pm2(start.span());
    if w.facts
        .queries
        .iter()
        .any(|x| x.span == span && x.driver == driver)
    {
        return;
    }
    let item = w.current_item();
    w.facts.queries.push(QueryFact {
        driver,
        span,
        item,
        snippet,
        kind: QueryKind::Dsl(q),
        tentative: false,
    });
}
