//! sqlx: the query macros (`query!`, `query_as!`, `query_scalar!`, `query_file*!`, their
//! `_unchecked` forms), the query functions (`query`, `query_as`, `query_as_with`,
//! `query_scalar`, `raw_sql`), `QueryBuilder` with its `push`/`push_bind`/`separated` calls in
//! the same fn, and `Executor` methods given SQL text (`pool.execute("..")`).

use super::driver::{identity, uses_driver, Identity, SQLX};
use super::evidence::{evidence, sql_source, Evidence};
use super::handle::{method_site, strip};
use super::site::{method_span, push_sql};
use super::{Driver, DriverSpec};
use crate::diagnostic::Span;
use crate::extract::{short, Collector, LocalClaim, Walker};
use crate::strings::StrSource;
use foldhash::HashMap;
use syn::spanned::Spanned;

pub struct Sqlx;

/// `Executor` methods that accept SQL text directly.
pub const EXECUTOR_METHODS: &[&str] = &[
    "execute",
    "execute_many",
    "fetch",
    "fetch_all",
    "fetch_one",
    "fetch_optional",
    "fetch_many",
];

const FUNCTIONS: &[&str] = &[
    "query",
    "query_as",
    "query_as_with",
    "query_scalar",
    "query_scalar_with",
    "query_with",
    "raw_sql",
];

/// Macro name -> index of its SQL (or file path) argument, and whether it names a file.
fn macro_sql_arg(name: &str) -> Option<(usize, bool)> {
    let base = name.strip_suffix("_unchecked").unwrap_or(name);
    match base {
        "query" | "query_scalar" => Some((0, false)),
        "query_as" => Some((1, false)),
        "query_file" | "query_file_scalar" => Some((0, true)),
        "query_file_as" => Some((1, true)),
        _ => None,
    }
}

/// Is `name` (a bare path segment) imported from sqlx in this file?
fn from_sqlx(w: &Walker<'_, '_>, name: &str) -> bool {
    w.facts
        .uses
        .iter()
        .any(|u| u.path.first().is_some_and(|k| k == "sqlx") && (u.alias == name || u.alias == "*"))
}

static SPEC: DriverSpec = DriverSpec {
    name: SQLX,
    deps: &["sqlx"],
    crates: &["sqlx"],
    handle_types: &[
        "PgPool",
        "MySqlPool",
        "SqlitePool",
        "AnyPool",
        "PgConnection",
        "MySqlConnection",
        "SqliteConnection",
        "AnyConnection",
        "PoolConnection",
        "PgPoolOptions",
        "SqlitePoolOptions",
        "MySqlPoolOptions",
        "PgTransaction",
        "Executor",
        "PgExecutor",
        "SqliteExecutor",
        "MySqlExecutor",
        "Acquire",
        "Postgres",
        "Sqlite",
        "MySql",
    ],
    sql_methods: EXECUTOR_METHODS,
};

impl Driver for Sqlx {
    fn spec(&self) -> &'static DriverSpec {
        &SPEC
    }
}

impl Collector for Sqlx {
    fn mac<'ast>(&self, w: &mut Walker<'ast, '_>, m: &'ast syn::Macro) {
        if !uses_driver(w, SQLX) {
            return;
        }
        let segs: Vec<String> = crate::extract::segments(&m.path);
        let Some(name) = segs.last() else { return };
        let Some((idx, file)) = macro_sql_arg(name) else {
            return;
        };
        if segs.len() == 1 && !from_sqlx(w, name) && !w.cx.package.plain {
            // A bare `query!` not imported from sqlx: only when the package has no other
            // macro of that name to mean (sqlx is a dependency, checked above).
            if w.facts.uses.iter().any(|u| u.alias == *name) {
                return;
            }
        } else if segs.len() > 1 && segs[0] != "sqlx" {
            return;
        }
        let span = Span::from_pm2(m.span());
        let snippet = crate::ast::short_tokens(m);
        let src = match w.macro_list(m).and_then(|a| a.iter().nth(idx)) {
            Some(arg) => {
                if file {
                    match crate::ast::lit_str(arg) {
                        Some(path) => StrSource::File {
                            path,
                            relative_to_file: false,
                        },
                        None => StrSource::dynamic(format!("`{}`", short(arg))),
                    }
                } else {
                    sql_source(w, arg)
                }
            }
            None => StrSource::dynamic(format!("`{name}!` arguments that do not parse")),
        };
        push_sql(w, SQLX, span, snippet, src, false);
    }

    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        // Only calls make sites: the other nodes cost no dependency lookup.
        if !matches!(e, syn::Expr::Call(_) | syn::Expr::MethodCall(_)) {
            return;
        }
        if !uses_driver(w, SQLX) {
            return;
        }
        match e {
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else { return };
                // Compared as identifiers: most calls are none of sqlx's.
                let n = p.path.segments.len();
                let Some(last) = p.path.segments.last().map(|s| &s.ident) else {
                    return;
                };
                if n >= 2
                    && p.path.segments[n - 2].ident == "QueryBuilder"
                    && (last == "new" || last == "with_arguments")
                {
                    builder_new(w, e, c);
                    note_passed(w, &c.args, last);
                    return;
                }
                note_passed(w, &c.args, last);
                if !FUNCTIONS.iter().any(|f| last == f) {
                    return;
                }
                let segs: Vec<String> = crate::extract::segments(&p.path);
                let Some(name) = segs.last() else { return };
                let Some(arg) = c.args.first() else { return };
                let ok = match segs.len() {
                    1 => {
                        from_sqlx(w, name)
                            || (w.cx.package.plain && evidence(w, arg) != Evidence::No)
                    }
                    _ => segs[0] == "sqlx",
                };
                if !ok || w.cx.config.tenant.is_scoped_fn(name) {
                    return;
                }
                let src = sql_source(w, arg);
                push_sql(
                    w,
                    SQLX,
                    Span::from_pm2(crate::ast::expr_span(e)),
                    short(e),
                    src,
                    false,
                );
            }
            syn::Expr::MethodCall(m) => {
                note_passed(w, &m.args, &m.method);
                if BUILDER_METHODS.iter().any(|b| m.method == b) && builder_chain(w, e) {
                    return;
                }
                if let Some(tentative) = method_site(w, m, SQLX, EXECUTOR_METHODS, true) {
                    let src = sql_source(w, &m.args[0]);
                    push_sql(w, SQLX, method_span(m), short(e), src, tentative);
                }
            }
            _ => {}
        }
    }

    fn fn_end<'ast>(&self, w: &mut Walker<'ast, '_>) {
        let Some(b) = w.take_state::<Builders>() else {
            return;
        };
        for mut qb in b.list {
            if let Some(callee) = qb.passed {
                qb.pieces.push(StrSource::dynamic(format!(
                    "`{}`, passed to `{callee}(..)` which may push more SQL",
                    qb.var.as_deref().unwrap_or("the QueryBuilder")
                )));
            }
            let src = if qb.pieces.len() == 1 {
                qb.pieces.pop().unwrap_or(StrSource::Lit(String::new()))
            } else {
                StrSource::Concat(qb.pieces)
            };
            w.facts.queries.push(super::QueryFact {
                driver: SQLX,
                span: qb.span,
                item: qb.item,
                snippet: qb.snippet,
                kind: super::QueryKind::Sql(crate::strings::SharedSource::of(src)),
                tentative: false,
                unless_local: qb.unless_local,
                fn_index: None,
            });
        }
    }
}

// ----- QueryBuilder --------------------------------------------------------------------------

const BUILDER_METHODS: &[&str] = &[
    "push",
    "push_bind",
    "push_unseparated",
    "push_bind_unseparated",
    "separated",
    "push_values",
    "push_tuples",
    "reset",
];

#[derive(Default)]
struct Builders {
    list: Vec<Builder>,
    /// Address of the `QueryBuilder::new(..)` call -> index in `list`.
    by_addr: HashMap<usize, usize>,
}

struct Builder {
    span: Span,
    snippet: String,
    item: String,
    var: Option<String>,
    pieces: Vec<StrSource>,
    binds: usize,
    passed: Option<String>,
    /// How many conditional regions enclosed the builder's creation: pushes inside a region
    /// entered later may not run.
    depth: usize,
    /// The region (its id) the last pushes were grouped under, and where that group starts.
    group: Option<(usize, usize)>,
    /// `QueryBuilder` written without an import: sqlx's unless the workspace has its own.
    unless_local: Option<Box<LocalClaim>>,
}

/// Is `QueryBuilder::new(..)` (its type path `ty`) sqlx's? `None`: another crate's or the
/// crate's own (`use crate::query::QueryBuilder`); `Some(claim)`: sqlx's, or unresolved here
/// with the claim phase 2 checks.
fn sqlx_builder(w: &Walker<'_, '_>, ty: &[String]) -> Option<Option<Box<LocalClaim>>> {
    match identity(w, ty, "sqlx") {
        Identity::Library => Some(None),
        Identity::Other => None,
        Identity::Unresolved => Some(Some(Box::new((ty.to_vec(), w.module.to_vec())))),
    }
}

fn addr(e: &syn::Expr) -> usize {
    e as *const syn::Expr as usize
}

fn builder_new<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, c: &'ast syn::ExprCall) {
    if w.state::<Builders>()
        .is_some_and(|b| b.by_addr.contains_key(&addr(e)))
    {
        return;
    }
    let ty: Vec<String> = match &*c.func {
        syn::Expr::Path(p) => {
            let segs = crate::ast::segments(&p.path);
            segs[..segs.len().saturating_sub(1)].to_vec()
        }
        _ => return,
    };
    let Some(unless_local) = sqlx_builder(w, &ty) else {
        return;
    };
    let first = match c.args.first() {
        Some(a) => sql_source(w, a),
        None => StrSource::Lit(String::new()),
    };
    let item = w.current_item();
    let qb = Builder {
        span: Span::from_pm2(crate::ast::expr_span(e)),
        snippet: short(e),
        item,
        var: None,
        pieces: vec![first],
        binds: 0,
        passed: None,
        depth: w.cond_regions.len(),
        group: None,
        unless_local,
    };
    if let Some(b) = w.state::<Builders>() {
        b.list.push(qb);
        let i = b.list.len() - 1;
        b.by_addr.insert(addr(e), i);
    } else {
        // Outside any fn (a const initialiser): record it right away.
        let src = qb.pieces[0].clone();
        push_sql(w, SQLX, qb.span, qb.snippet, src, false);
    }
}

/// The builder an expression refers to: the `new` call itself, or a local initialised with it
/// (or with `qb.separated(..)`).
fn builder_of<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, depth: usize) -> Option<usize> {
    if depth > 6 {
        return None;
    }
    let e = strip(e);
    match e {
        syn::Expr::Call(c) => {
            let path = crate::ast::call_path(e)?;
            if path.len() >= 2 && path[path.len() - 2] == "QueryBuilder" {
                builder_new(w, e, c);
                w.consume(e);
                return w.state::<Builders>()?.by_addr.get(&addr(e)).copied();
            }
            None
        }
        syn::Expr::MethodCall(m) if m.method == "separated" => {
            builder_of(w, &m.receiver, depth + 1)
        }
        syn::Expr::Path(p) => {
            let name = p.path.get_ident()?.to_string();
            let local = w.local(&name)?;
            let (init, _) = w.origin(&local)?;
            let i = builder_of(w, init, depth + 1)?;
            if let Some(b) = w.state::<Builders>() {
                if let Some(qb) = b.list.get_mut(i) {
                    qb.var.get_or_insert(name);
                }
            }
            Some(i)
        }
        _ => None,
    }
}

/// Reads `qb.push(..).push_bind(..)..` from its outermost call. True when it was a builder.
fn builder_chain<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) -> bool {
    // Innermost first: collect the calls, consuming the inner ones.
    let mut calls: Vec<&'ast syn::ExprMethodCall> = Vec::new();
    let mut cur = e;
    loop {
        match cur {
            syn::Expr::MethodCall(m)
                if BUILDER_METHODS.contains(&m.method.to_string().as_str()) =>
            {
                calls.push(m);
                cur = &m.receiver;
            }
            syn::Expr::Paren(p) => cur = &p.expr,
            _ => break,
        }
    }
    let Some(i) = builder_of(w, cur, 0) else {
        return false;
    };
    calls.reverse();
    let dollar =
        !(w.cx.package.dep_feature("sqlx", "sqlite") || w.cx.package.dep_feature("sqlx", "mysql"));
    let mut pieces = Vec::new();
    let mut binds = w
        .state::<Builders>()
        .and_then(|b| b.list.get(i).map(|q| q.binds))
        .unwrap_or(0);
    let mut placeholder = || {
        binds += 1;
        if dollar {
            format!("${binds}")
        } else {
            "?".to_string()
        }
    };
    let mut reset = false;
    for m in &calls {
        if let syn::Expr::MethodCall(inner) = &*m.receiver {
            let _ = inner;
            w.consume(&m.receiver);
        }
        match m.method.to_string().as_str() {
            "push" | "push_unseparated" => {
                if let Some(a) = m.args.first() {
                    let src = match sql_source(w, a) {
                        StrSource::Dynamic(what) => {
                            StrSource::Dynamic(format!("`{}({})` ({what})", m.method, short(a)))
                        }
                        other if other.has_params() => other.describe_params(&|what| {
                            format!("`{}({})` ({what})", m.method, short(a))
                        }),
                        other => other,
                    };
                    pieces.push(src);
                }
            }
            "push_bind" | "push_bind_unseparated" => pieces.push(StrSource::Lit(placeholder())),
            "push_values" | "push_tuples" => {
                let p = placeholder();
                pieces.push(StrSource::Lit(format!(" VALUES ({p})")));
            }
            "reset" => {
                pieces.clear();
                reset = true;
            }
            _ => {}
        }
    }
    let regions = w.cond_regions.clone();
    if let Some(b) = w.state::<Builders>() {
        if let Some(qb) = b.list.get_mut(i) {
            if reset {
                qb.pieces.truncate(1);
                qb.group = None;
            }
            // Pushed under an `if`, a `match` arm or a loop entered after the builder was made:
            // the query also runs without it. Everything pushed in that outermost region is one
            // optional group, judged both with and without it (a tenant filter pushed only
            // sometimes fails open).
            match regions.get(qb.depth) {
                Some(&region) if !reset => {
                    let start = match qb.group {
                        Some((r, start)) if r == region => start,
                        _ => {
                            qb.pieces.push(StrSource::Alt(vec![
                                StrSource::Concat(Vec::new()),
                                StrSource::Lit(String::new()),
                            ]));
                            let start = qb.pieces.len() - 1;
                            qb.group = Some((region, start));
                            start
                        }
                    };
                    if let Some(StrSource::Alt(alts)) = qb.pieces.get_mut(start) {
                        if let Some(StrSource::Concat(group)) = alts.first_mut() {
                            group.extend(pieces);
                        }
                    }
                }
                _ => {
                    qb.group = None;
                    qb.pieces.extend(pieces);
                }
            }
            qb.binds = binds;
        }
    }
    true
}

/// A builder handed to another fn (`apply_filters(&mut qb, ..)`) may get SQL we cannot see.
fn note_passed<'ast>(
    w: &mut Walker<'ast, '_>,
    args: &'ast syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
    callee: &impl std::fmt::Display,
) {
    if w.fns
        .last()
        .is_none_or(|_| w.state_ref::<Builders>().is_none())
    {
        return;
    }
    for a in args {
        if let syn::Expr::Reference(r) = a {
            if r.mutability.is_some() {
                if let syn::Expr::Path(p) = &*r.expr {
                    if p.path.get_ident().is_some() {
                        if let Some(i) = builder_of(w, &r.expr, 0) {
                            if let Some(b) = w.state::<Builders>() {
                                b.list[i].passed.get_or_insert(callee.to_string());
                            }
                        }
                    }
                }
            }
        }
    }
}
