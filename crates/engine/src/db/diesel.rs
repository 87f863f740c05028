//! diesel (and diesel-async): `table!` schemas, DSL chains ending in `load`, `get_result(s)`,
//! `first`, `execute`.. (from `invoices`, `invoices::table`, `diesel::update(..)`,
//! `diesel::delete(..)`, `diesel::insert_into(..)`, `X::belonging_to(..)`), and `sql_query(..)`.

use super::driver::{uses_driver, DIESEL};
use super::dsl::{self, local_type_name, struct_literal_fields};
use super::evidence::{evidence, sql_source, Evidence};
use super::handle::strip;
use super::site::{push_dsl, push_sql};
use super::{Driver, DriverSpec, DslJoin, DslOp, DslQuery, DslVariant, JoinKind};
use crate::diagnostic::Span;
use crate::extract::{short, Collector, Walker};
use crate::sql::snake_case;

pub struct Diesel;

/// Calls that run a diesel query (`RunQueryDsl`), each taking the connection.
const TERMINALS: &[&str] = &[
    "load",
    "load_iter",
    "load_stream",
    "get_result",
    "get_results",
    "first",
    "execute",
];

/// Methods only a diesel query has (to tell `invoices.load(conn)` from other `load`s).
const DSL_METHODS: &[&str] = &[
    "filter",
    "or_filter",
    "find",
    "select",
    "order",
    "order_by",
    "then_order_by",
    "limit",
    "offset",
    "inner_join",
    "left_join",
    "left_outer_join",
    "into_boxed",
    "distinct",
    "group_by",
    "count",
    "set",
    "values",
    "on_conflict",
    "do_update",
    "do_nothing",
    "returning",
    "for_update",
    "single_value",
];

static SPEC: DriverSpec = DriverSpec {
    name: DIESEL,
    deps: &["diesel", "diesel-async"],
    crates: &["diesel", "diesel_async"],
    handle_types: &[
        "PgConn",
        "SqliteConn",
        "MysqlConnection",
        "PgConnectionManager",
        "AsyncPgConnection",
        "DbConnection",
    ],
    sql_methods: &[],
};

impl Driver for Diesel {
    fn spec(&self) -> &'static DriverSpec {
        &SPEC
    }
}

impl Collector for Diesel {
    fn mac<'ast>(&self, w: &mut Walker<'ast, '_>, m: &'ast syn::Macro) {
        if !uses_driver(w, DIESEL) {
            return;
        }
        let segs: Vec<String> = crate::extract::segments(&m.path);
        let last = segs.last().map(String::as_str);
        if !(segs.len() == 1 || segs[0] == "diesel") {
            return;
        }
        match last {
            Some("table") => {
                let mut schema = crate::sql::Schema::default();
                schema.add_diesel_table_macro(&m.tokens);
                w.facts
                    .schema_tables
                    .extend(std::mem::take(&mut schema.tables).into_values());
            }
            // `joinable!(child -> parent (fk))`, written after the file's `table!`s: a foreign
            // key of a table this file declares (never a table of its own).
            Some("joinable") => {
                let mut schema = crate::sql::Schema::default();
                for t in std::mem::take(&mut w.facts.schema_tables) {
                    schema.merge_table(t);
                }
                let known: Vec<String> = schema.tables.keys().cloned().collect();
                schema.add_diesel_joinable(&m.tokens);
                schema.tables.retain(|name, _| known.contains(name));
                w.facts.schema_tables = schema.tables.into_values().collect();
            }
            _ => {}
        }
    }

    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        // Only calls make sites and pass rows: the other nodes cost no dependency lookup.
        if !matches!(e, syn::Expr::Call(_) | syn::Expr::MethodCall(_)) {
            return;
        }
        if !uses_driver(w, DIESEL) {
            return;
        }
        if !uses_driver(w, super::driver::SEA_ORM) {
            dsl::record_row_args(w, e);
        }
        match e {
            syn::Expr::Call(c) => {
                let Some(path) = crate::ast::call_path(e) else {
                    return;
                };
                if path.last().map(String::as_str) != Some("sql_query") {
                    return;
                }
                let Some(arg) = c.args.first() else { return };
                let ok = path[0] == "diesel"
                    || w.facts.uses.iter().any(|u| {
                        u.path.first().is_some_and(|k| k == "diesel")
                            && (u.alias == "sql_query" || u.alias == "*")
                    })
                    || evidence(w, arg) != Evidence::No;
                if !ok || w.cx.config.tenant.is_scoped_fn("sql_query") {
                    return;
                }
                let src = sql_source(w, arg);
                push_sql(
                    w,
                    DIESEL,
                    Span::from_pm2(crate::ast::expr_span(e)),
                    short(e),
                    src,
                    false,
                );
            }
            syn::Expr::MethodCall(m) => {
                let method = m.method.to_string();
                if !TERMINALS.contains(&method.as_str()) || m.args.len() != 1 {
                    return;
                }
                if let Some(q) = read_chain(w, e) {
                    let (start, q) = q;
                    push_dsl(w, DIESEL, start, short(e), q);
                }
            }
            _ => {}
        }
    }
}

/// The table a diesel path names: `invoices::table`, `invoices::dsl::invoices`,
/// `schema::invoices::table`, or `invoices` brought in by `use ..::dsl::*`.
fn table_of_path(w: &Walker<'_, '_>, e: &syn::Expr) -> Option<String> {
    let syn::Expr::Path(p) = strip(e) else {
        return None;
    };
    let segs: Vec<String> = crate::extract::segments(&p.path);
    let last = segs.last()?;
    if !last
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
    {
        return None;
    }
    if segs.len() >= 2 && last == "table" {
        return Some(segs[segs.len() - 2].clone());
    }
    if segs.len() >= 2 && segs[segs.len() - 2] == "dsl" {
        return Some(last.clone());
    }
    if segs.len() == 1 {
        if w.local(last).is_some() {
            return None;
        }
        // Imported by name or through a glob of a schema / dsl module.
        let imported = w.facts.uses.iter().any(|u| {
            (u.alias == *last && u.module == w.module)
                || (u.alias == "*"
                    && u.path
                        .iter()
                        .any(|s| s == "dsl" || s == "schema" || s.ends_with("schema")))
        });
        let known = w.facts.schema_tables.iter().any(|t| t.name == *last);
        return (imported || known || w.cx.package.plain).then(|| last.clone());
    }
    None
}

/// Reads a DSL chain ending in a terminal call: (where it starts, what it does), once per way
/// the chain may be built.
fn read_chain<'ast>(
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
) -> Option<(&'ast syn::Expr, DslQuery)> {
    dsl::read_variants(w, e, false, read_variant)
}

/// One way of building the chain.
fn read_variant<'ast>(w: &Walker<'ast, '_>, ch: &dsl::Chain<'ast>) -> Option<DslQuery> {
    let mut q = DslQuery {
        module: w.module.clone(),
        op: DslOp::Select,
        ..DslQuery::default()
    };
    let mut v = DslVariant::default();
    let base = strip(ch.base);
    let methods = ch.methods();
    let dsl_method = methods
        .iter()
        .any(|c| DSL_METHODS.contains(&c.method.to_string().as_str()));
    match base {
        syn::Expr::Path(_) => {
            q.table = table_of_path(w, base)?;
            let bare = matches!(base, syn::Expr::Path(p) if p.path.segments.len() == 1);
            if bare && !dsl_method && ch.calls.len() < 2 {
                // `x.first(conn)`: only when `x` is a known table.
                if !w.facts.schema_tables.iter().any(|t| t.name == q.table)
                    && !w.facts.uses.iter().any(|u| u.alias == q.table)
                {
                    return None;
                }
            }
        }
        syn::Expr::Call(c) => {
            let path = crate::ast::call_path(base)?;
            let name = path.last()?.as_str();
            let diesel_path = path.len() == 1 || path[0] == "diesel";
            match name {
                "update" | "delete" | "insert_into" | "replace_into" | "insert_or_ignore_into"
                    if diesel_path =>
                {
                    q.op = match name {
                        "update" => DslOp::Update,
                        "delete" => DslOp::Delete,
                        _ => DslOp::Insert,
                    };
                    q.upsert = name == "replace_into";
                    let target = c.args.first()?;
                    let inner = dsl::chain(w, target);
                    let t = strip(inner.base);
                    q.table = table_of_path(w, t)?;
                    dsl::apply_calls(w, &mut v.filter, &mut q.scoped_by, &inner.calls);
                }
                "belonging_to" if path.len() >= 2 => {
                    q.table = snake_case(&path[path.len() - 2]);
                    q.scoped_by = Some("belonging_to".into());
                }
                _ => return None,
            }
        }
        _ => return None,
    }
    for &(c, env) in &ch.calls {
        let kind = match c.method.to_string().as_str() {
            "inner_join" => JoinKind::Inner,
            "left_join" | "left_outer_join" => JoinKind::Left,
            _ => continue,
        };
        if let Some(arg) = c.args.first() {
            join_targets(w, arg, env, kind, &mut v.joins, 0);
        }
    }
    dsl::apply_calls(w, &mut v.filter, &mut q.scoped_by, &ch.calls);
    if q.op == DslOp::Insert {
        let values = methods.iter().find(|c| c.method == "values");
        match values.and_then(|c| c.args.first()) {
            Some(val) => {
                if let Some((_, fields)) = struct_literal_fields(w, val) {
                    q.inserted_fields = Some(fields);
                } else if let Some(cols) = tuple_columns(val) {
                    q.inserted_fields = Some(cols);
                } else if let Some(ty) = local_type_name(w, val) {
                    q.inserted_type = Some(ty);
                }
            }
            None => {
                if methods.iter().any(|c| c.method == "default_values") {
                    q.inserted_fields = Some(Vec::new());
                }
            }
        }
        q.upsert |= methods.iter().any(|c| c.method == "do_update");
        return Some(q);
    }
    q.variants.push(v);
    Some(q)
}

/// The tables a join call's argument adds: `users::table`, `users::table.on(cond)`,
/// `users::table.inner_join(posts::table)` (nested: null-extended with their parent when it is).
fn join_targets<'ast>(
    w: &Walker<'ast, '_>,
    arg: &'ast syn::Expr,
    env: crate::extract::Env,
    kind: JoinKind,
    out: &mut Vec<DslJoin>,
    depth: usize,
) {
    if depth > 4 {
        return;
    }
    let (base, calls) = crate::ast::method_chain(strip(arg));
    let Some(table) = table_of_path(w, strip(base)) else {
        return;
    };
    let mut on = None;
    let mut nested = Vec::new();
    for c in calls {
        let Some(a) = c.args.first() else { continue };
        match c.method.to_string().as_str() {
            "on" => on = Some(dsl::condition(w, a, env, 0)),
            "inner_join" => join_targets(w, a, env, kind, &mut nested, depth + 1),
            "left_join" | "left_outer_join" => {
                let k = if kind == JoinKind::Other {
                    JoinKind::Other
                } else {
                    JoinKind::Left
                };
                join_targets(w, a, env, k, &mut nested, depth + 1)
            }
            _ => {}
        }
    }
    out.push(DslJoin { table, kind, on });
    out.extend(nested);
}

/// `.values((org_id.eq(o), total.eq(t)))` or `.values(org_id.eq(o))`: the columns set.
fn tuple_columns(e: &syn::Expr) -> Option<Vec<String>> {
    let eq_col = |x: &syn::Expr| match strip(x) {
        syn::Expr::MethodCall(m) if m.method == "eq" => {
            dsl::column_of(&m.receiver).map(|c| c.column)
        }
        _ => None,
    };
    match strip(e) {
        syn::Expr::Tuple(t) => Some(t.elems.iter().filter_map(eq_col).collect()),
        other => eq_col(other).map(|c| vec![c]),
    }
}
