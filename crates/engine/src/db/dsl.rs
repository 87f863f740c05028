//! Reading diesel and sea-orm DSL chains: where a chain starts (through every definition of the
//! locals it was built in: each is a variant), its conditions as a tree of comparisons
//! ([`Cond`]), and which values are fields of a loaded row ([`RowRef`]).

use super::handle::strip;
use crate::diagnostic::Span;
use crate::extract::{type_text, Env, Value, Walker};
use crate::extract::{Atom, ColRef, Cond, DslQuery, RowRef};
use crate::sql::snake_case;
use syn::spanned::Spanned;

/// How many ways of building one chain are judged (each `if` that adds a filter doubles them).
const MAX_VARIANTS: usize = 8;

/// Fields set on a local before this point (`am.org_id = Set(..)`), back to its binding, with
/// the row each value is a field of.
pub fn assigned_fields(w: &Walker<'_, '_>, name: &str) -> Vec<(String, Option<RowRef>)> {
    let (Some(v), Some(l)) = (w.values(), w.local(name)) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Option<RowRef>)> = Vec::new();
    for d in v.history(l.def) {
        if let Value::SetField {
            field, expr, env, ..
        } = d.value
        {
            if !out.iter().any(|(f, _)| f == field) {
                out.push((field.clone(), row_of(w, set_value(expr), *env, 0)));
            }
        }
    }
    out.reverse();
    out
}

/// `Set(x)`, `ActiveValue::Set(x)`, `ActiveValue::set(x)`: `x`; anything else as it is.
pub fn set_value(e: &syn::Expr) -> &syn::Expr {
    if let syn::Expr::Call(c) = strip(e) {
        let last = crate::ast::last_segment(&c.func);
        if c.args.len() == 1 && last.as_deref().is_some_and(|l| l == "Set" || l == "set") {
            return &c.args[0];
        }
    }
    e
}

/// What the filter-like calls of a chain add to its condition: `filter`, `or_filter`, diesel
/// `find`, and configured scoped fns (`scoped_by`).
pub fn apply_calls<'ast>(
    w: &Walker<'ast, '_>,
    cond: &mut Cond,
    scoped_by: &mut Option<String>,
    calls: &[(&'ast syn::ExprMethodCall, Env)],
) {
    for &(c, env) in calls {
        let method = c.method.to_string();
        match method.as_str() {
            "filter" | "and_where" | "and_filter" => {
                if let Some(a) = c.args.first() {
                    let next = condition(w, a, env, 0);
                    *cond = std::mem::take(cond).and(next);
                }
            }
            "or_filter" | "or_where" => {
                if let Some(a) = c.args.first() {
                    let next = condition(w, a, env, 0);
                    let how = if method == "or_filter" {
                        "or_filter"
                    } else {
                        "or_where"
                    };
                    *cond = Cond::Any(vec![std::mem::take(cond), next], how);
                }
            }
            // diesel `find(id)`: the primary key bound.
            "find" if c.args.len() == 1 => {
                let row = row_of(w, &c.args[0], env, 0);
                *cond = std::mem::take(cond).and(Cond::Atom(Atom::Key { row }));
            }
            _ if w.cx.config.tenant.is_scoped_fn(&method) => {
                scoped_by.get_or_insert(method);
            }
            _ => {}
        }
    }
}

/// A filter expression as a condition tree.
pub fn condition<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr, env: Env, depth: usize) -> Cond {
    use syn::Expr;
    if depth > 16 {
        return Cond::Atom(Atom::Opaque);
    }
    let all = |parts: Vec<Cond>| Cond::All(parts);
    match strip(e) {
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            let arg = m.args.first();
            match method.as_str() {
                "and" => all(vec![
                    condition(w, &m.receiver, env, depth + 1),
                    arg.map_or(Cond::default(), |a| condition(w, a, env, depth + 1)),
                ]),
                "or" => Cond::Any(
                    vec![
                        condition(w, &m.receiver, env, depth + 1),
                        arg.map_or(Cond::Atom(Atom::Opaque), |a| {
                            condition(w, a, env, depth + 1)
                        }),
                    ],
                    ".or(..)",
                ),
                "eq" | "eq_any" | "is_in" | "eq_all" | "equals" => {
                    let Some(a) = arg else {
                        return Cond::Atom(Atom::Opaque);
                    };
                    match (column_of(&m.receiver), column_arg(w, a, env)) {
                        (Some(l), Some(r)) => Cond::Atom(Atom::Cols(l, r)),
                        (Some(col), None) => Cond::Atom(Atom::Value {
                            col,
                            row: row_of(w, a, env, 0),
                            key: is_id_field(a),
                        }),
                        (None, Some(col)) => Cond::Atom(Atom::Value {
                            col,
                            row: None,
                            key: false,
                        }),
                        (None, None) => Cond::Atom(Atom::Opaque),
                    }
                }
                "ne" | "ne_all" | "lt" | "le" | "gt" | "ge" | "gte" | "lte" | "like" | "ilike"
                | "not_like" | "not_ilike" | "between" | "not_between" | "is_not_null"
                | "contains" | "starts_with" | "ends_with" | "is_not_in" | "ne_any"
                | "similar_to" => {
                    let mut cols: Vec<ColRef> = column_of(&m.receiver).into_iter().collect();
                    cols.extend(m.args.iter().filter_map(|a| column_arg(w, a, env)));
                    if cols.is_empty() {
                        Cond::Atom(Atom::Opaque)
                    } else {
                        Cond::Atom(Atom::Rejects(cols))
                    }
                }
                "add" | "add_option" => condition_builder(w, strip(e), env, depth),
                "into_condition" | "into" | "clone" | "to_owned" | "into_expr"
                | "into_simple_expr" => condition(w, &m.receiver, env, depth + 1),
                _ => Cond::Atom(Atom::Opaque),
            }
        }
        Expr::Call(c) => {
            // `Some(x)` in `add_option`, `and(a, b)`.
            match crate::extract::last_segment(&c.func).as_deref() {
                Some("Some") if c.args.len() == 1 => condition(w, &c.args[0], env, depth + 1),
                Some("and") => all(c
                    .args
                    .iter()
                    .map(|a| condition(w, a, env, depth + 1))
                    .collect()),
                Some("or") => Cond::Any(
                    c.args
                        .iter()
                        .map(|a| condition(w, a, env, depth + 1))
                        .collect(),
                    ".or(..)",
                ),
                _ => Cond::Atom(Atom::Opaque),
            }
        }
        Expr::If(i) => {
            let then = match i.then_branch.stmts.last() {
                Some(syn::Stmt::Expr(t, None)) => condition(w, t, env, depth + 1),
                _ => return Cond::Atom(Atom::Opaque),
            };
            let els = match &i.else_branch {
                Some((_, x)) => condition(w, x, env, depth + 1),
                None => return Cond::Atom(Atom::Opaque),
            };
            Cond::Any(vec![then, els], "an `if`")
        }
        Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(t, None)) => condition(w, t, env, depth + 1),
            _ => Cond::Atom(Atom::Opaque),
        },
        Expr::Path(p) if p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            let defs = w.locals_at(&name, env);
            if defs.is_empty() || defs.iter().any(|l| l.is_param || l.init.is_none()) {
                return Cond::Atom(Atom::Opaque);
            }
            let mut alts: Vec<Cond> = defs
                .iter()
                .filter_map(|l| l.init.map(|i| condition(w, i, l.env, depth + 1)))
                .collect();
            if alts.len() == 1 {
                alts.pop().unwrap_or_default()
            } else {
                Cond::Any(alts, "an `if`")
            }
        }
        _ => Cond::Atom(Atom::Opaque),
    }
}

/// sea-orm `Condition::all().add(..).add(..)` / `Condition::any()..`.
fn condition_builder<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> Cond {
    let (base, calls) = crate::ast::method_chain(e);
    let any = crate::ast::call_path(base).is_some_and(|p| p.last().is_some_and(|s| s == "any"));
    let mut parts = Vec::new();
    for c in calls {
        match (c.method.to_string().as_str(), c.args.first()) {
            ("add", Some(a)) => parts.push(condition(w, a, env, depth + 1)),
            // Added only when present: nothing to rely on.
            ("add_option", Some(_)) => parts.push(Cond::Atom(Atom::Opaque)),
            _ => {}
        }
    }
    if any {
        Cond::Any(parts, "Condition::any()")
    } else {
        Cond::All(parts)
    }
}

/// The column a DSL expression names: diesel `org_id`, `invoices::org_id`,
/// `invoices::dsl::org_id`; sea-orm `invoice::Column::OrgId`, `InvoiceColumn::OrgId` (a prelude
/// alias), `Column::OrgId`, `Expr::col(Column::OrgId)`, `(Alias, Column::OrgId)`. Lenient: for
/// the receiver of a comparison, which is a column whenever it reads as one.
pub fn column_of(e: &syn::Expr) -> Option<ColRef> {
    use syn::Expr;
    match strip(e) {
        Expr::Path(p) => {
            let segs: Vec<String> = crate::extract::segments(&p.path);
            let last = segs.last()?;
            let n = segs.len();
            if n >= 2 && segs[n - 2].ends_with("Column") {
                // `project::Column::WorkspaceId`, `UserColumn::UserId`; bare `Column::X` is
                // the entity of the module it is written in.
                let qualifier =
                    (segs[n - 2] != "Column" || n > 2).then(|| segs[..n - 1].join("::"));
                Some(ColRef {
                    table: qualifier,
                    column: snake_case(last),
                })
            } else if last.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                // `OrgId` from `use invoice::Column::*`-style imports.
                Some(ColRef {
                    table: None,
                    column: snake_case(last),
                })
            } else {
                Some(ColRef {
                    table: diesel_table(&segs),
                    column: last.clone(),
                })
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

/// The table a diesel column path names: `invoices` of `invoices::org_id`,
/// `schema::invoices::dsl::org_id`; `None` for a bare column, and for one named through the
/// `dsl` module alone (`use schema::invoices::dsl; dsl::org_id`).
fn diesel_table(segs: &[String]) -> Option<String> {
    let n = segs.len();
    match n {
        0 | 1 => None,
        _ if segs[n - 2] == "dsl" => (n >= 3).then(|| segs[n - 3].clone()),
        _ => Some(segs[n - 2].clone()),
    }
}

/// The column a comparison's argument names, strictly: a value that only looks like a path
/// (a local, an enum variant, a const) is a value.
fn column_arg<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<ColRef> {
    use syn::Expr;
    match strip(e) {
        Expr::Path(p) if p.qself.is_none() => {
            let segs: Vec<String> = crate::extract::segments(&p.path);
            let last = segs.last()?;
            let n = segs.len();
            if n >= 2 && segs[n - 2].ends_with("Column") {
                return column_of(e);
            }
            let lower = last
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
            if !lower {
                return None;
            }
            if n == 1 {
                // A bare name is a column (diesel `use ..::dsl::*`) unless it is a local.
                return w.local_at(last, env).is_none().then(|| ColRef {
                    table: None,
                    column: last.clone(),
                });
            }
            // `users::uuid`: not a local's field, not `crate::x` / `self::x` / `Self::x`.
            let first = &segs[0];
            let value_path = w.local_at(first, env).is_some()
                || matches!(first.as_str(), "crate" | "self" | "super" | "Self");
            (!value_path).then(|| column_of(e)).flatten()
        }
        Expr::Call(c) => {
            let path = crate::ast::call_path(strip(e))?;
            (path.len() >= 2 && path[path.len() - 2] == "Expr" && path[path.len() - 1] == "col")
                .then(|| c.args.last().and_then(column_of))
                .flatten()
        }
        Expr::Tuple(t) if t.elems.len() == 2 => column_arg(w, &t.elems[1], env),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "into_expr" | "into_simple_expr" | "nullable" | "assume_not_null"
            ) =>
        {
            column_arg(w, &m.receiver, env)
        }
        _ => None,
    }
}

/// The loaded row a value is a field of: `&self.uuid` in a model's impl, `ws.id` of a parameter
/// `ws: &workspace::Model`, `e.id` of a local loaded by a fetch in this fn.
pub fn row_of<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> Option<RowRef> {
    if depth > 4 {
        return None;
    }
    let e = value_inner(e);
    // `let uuid = self.uuid.clone();` then `uuid.eq(uuid)`: the local's value.
    if let syn::Expr::Path(p) = e {
        let name = p.path.get_ident()?.to_string();
        let defs = w.locals_at(&name, env);
        let [only] = defs.as_slice() else {
            return None;
        };
        if only.is_param {
            // A key the callers pass (`fn end_usage(id: i32)`): judged with what they pass.
            return only.param.map(RowRef::Passed);
        }
        // `let id = ws.id`, `if let Some(id) = ws.usage_id`.
        return match w.values()?.def(only.def).value {
            Value::Expr(x, at) | Value::Part(x, at, _) => row_of(w, x, *at, depth + 1),
            _ => None,
        };
    }
    if let syn::Expr::If(_) | syn::Expr::Match(_) = e {
        return branch_rows(w, e, env, depth);
    }
    let syn::Expr::Field(f) = e else { return None };
    let base = value_inner(&f.base);
    if is_call(base) {
        // `new_usage(..).await?.id`: a field of what the call returns.
        return fetched(w, base, env, None, depth + 1);
    }
    let syn::Expr::Path(p) = base else {
        return None;
    };
    let name = p.path.get_ident()?.to_string();
    if name == "self" {
        let ty = w.self_ty()?;
        if w.current_fn().is_some_and(|f| f.in_trait) {
            return None;
        }
        return Some(RowRef::SelfOf(ty.to_string()));
    }
    row_origin(w, &name, env, depth)
}

/// The row a value taken in branches is a field of (`if let Some(u) = ws.usage_id { u } else {
/// new_usage(..).await?.id }`): each branch that gives a value must give a field of a row;
/// a branch that leaves (`return`, `bail!`) gives none. One row, or [`RowRef::Each`].
fn branch_rows<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> Option<RowRef> {
    // (the branch's block, its tail, what an `if let` / arm pattern binds and from what).
    let mut tails: Vec<(&'ast syn::Block, Option<(&'ast syn::Pat, &'ast syn::Expr)>)> = Vec::new();
    let mut arms: Vec<(&'ast syn::Expr, Option<(&'ast syn::Pat, &'ast syn::Expr)>)> = Vec::new();
    match e {
        syn::Expr::If(i) => {
            let bound = match &*i.cond {
                syn::Expr::Let(l) => Some((&*l.pat, &*l.expr)),
                _ => None,
            };
            tails.push((&i.then_branch, bound));
            let (_, els) = i.else_branch.as_ref()?;
            arms.push((els, None));
        }
        syn::Expr::Match(m) => {
            for a in &m.arms {
                arms.push((&a.body, Some((&a.pat, &*m.expr))));
            }
        }
        _ => return None,
    }
    let mut rows: Vec<RowRef> = Vec::new();
    let mut one = |row: Option<RowRef>| -> Option<()> {
        let row = row?;
        if !rows.contains(&row) {
            rows.push(row);
        }
        Some(())
    };
    for (block, bound) in tails {
        if crate::extract::block_diverges(block) {
            continue;
        }
        one(block_row(w, block, bound, env, depth))?;
    }
    for (x, bound) in arms {
        if crate::extract::diverges(x) {
            continue;
        }
        let row = match x {
            syn::Expr::Block(b) => block_row(w, &b.block, bound, env, depth),
            syn::Expr::If(_) | syn::Expr::Match(_) => branch_rows(w, x, env, depth + 1),
            other => tail_row(w, other, &[], bound, env, depth),
        };
        one(row)?;
    }
    match rows.len() {
        0 => None,
        1 => rows.pop(),
        _ => Some(RowRef::Each(rows)),
    }
}

/// The row a block's tail is a field of (its own `let`s read from the syntax: the value model
/// hides them after the block).
fn block_row<'ast>(
    w: &Walker<'ast, '_>,
    b: &'ast syn::Block,
    bound: Option<(&'ast syn::Pat, &'ast syn::Expr)>,
    env: Env,
    depth: usize,
) -> Option<RowRef> {
    let Some(syn::Stmt::Expr(tail, None)) = b.stmts.last() else {
        return None;
    };
    tail_row(w, tail, &b.stmts, bound, env, depth)
}

/// The row `tail` is (a field of), with the `let`s of `stmts` and what `bound` binds.
fn tail_row<'ast>(
    w: &Walker<'ast, '_>,
    tail: &'ast syn::Expr,
    stmts: &'ast [syn::Stmt],
    bound: Option<(&'ast syn::Pat, &'ast syn::Expr)>,
    env: Env,
    depth: usize,
) -> Option<RowRef> {
    if depth > 4 {
        return None;
    }
    let tail = value_inner(tail);
    let (name, field) = match tail {
        syn::Expr::Path(p) => (p.path.get_ident()?.to_string(), false),
        syn::Expr::Field(f) => match value_inner(&f.base) {
            syn::Expr::Path(p) => (p.path.get_ident()?.to_string(), true),
            _ => return row_of(w, tail, env, depth + 1),
        },
        syn::Expr::If(_) | syn::Expr::Match(_) => return branch_rows(w, tail, env, depth + 1),
        other => return row_of(w, other, env, depth + 1),
    };
    // A `let` of the block (the last one of that name).
    for s in stmts.iter().rev() {
        if let syn::Stmt::Local(l) = s {
            let binds = crate::extract::values::pattern_bindings(&l.pat)
                .iter()
                .any(|(n, proj, _)| *n == name && proj.is_empty());
            if binds {
                let init = &l.init.as_ref()?.expr;
                return if field {
                    fetched(w, init, env, None, depth + 1)
                } else {
                    row_of(w, init, env, depth + 1)
                };
            }
        }
    }
    // What the `if let` / arm pattern binds: `Some(u)` of `ws.usage_id` is that field.
    if let Some((pat, from)) = bound {
        let binds = crate::extract::values::pattern_bindings(pat)
            .iter()
            .any(|(n, _, _)| *n == name);
        if binds {
            return if field {
                fetched(w, from, env, None, depth + 1)
            } else {
                row_of(w, from, env, depth + 1)
            };
        }
    }
    row_of(w, tail, env, depth + 1)
}

/// Records the arguments of a call that are loaded rows or fields of one (`&ws`, `ws.usage_id`,
/// `&self.uuid`), for keys and rows judged through callers (phase 2).
pub fn record_row_args<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
    if w.fns.is_empty() {
        return;
    }
    let args = match e {
        syn::Expr::Call(c) => &c.args,
        syn::Expr::MethodCall(m) => &m.args,
        _ => return,
    };
    // Most arguments are neither a field nor a local: nothing to look up, nothing to name.
    if !args
        .iter()
        .any(|a| matches!(value_inner(a), syn::Expr::Field(_) | syn::Expr::Path(_)))
    {
        return;
    }
    let callee = match e {
        syn::Expr::Call(c) => match crate::ast::last_segment(&c.func) {
            Some(name) => name,
            None => return,
        },
        syn::Expr::MethodCall(m) => m.method.to_string(),
        _ => return,
    };
    let env = w.env();
    let line = crate::ast::start_line(e) as u32;
    for (i, a) in args.iter().enumerate() {
        let row = match value_inner(a) {
            // A field of a row (`ws.usage_id`): the row it is a field of.
            syn::Expr::Field(_) => row_of(w, a, env, 0),
            // A whole row (`mark_running(db, &ws)`); a parameter handed on is in the call's own
            // facts (`ArgInfo::param`).
            syn::Expr::Path(p) => p.path.get_ident().and_then(|id| {
                let name = id.to_string();
                let local = w.local_at(&name, env)?;
                if local.is_param {
                    return None;
                }
                // `let id = ws.id` / `Some(id) = ws.parent_id`: a field; else the row itself;
                // else an active model made from one (`let mut am: ActiveModel = ws.into()`,
                // fields set since).
                row_of(w, a, env, 0)
                    .or_else(|| row_origin(w, &name, env, 0))
                    .or_else(|| {
                        let (init, at) = w.origin(&local)?;
                        converted_row(w, init, at).flatten()
                    })
            }),
            _ => None,
        };
        if let Some(row) = row.filter(|r| !matches!(r, RowRef::Passed(_))) {
            w.facts.row_args.push(crate::extract::RowArg {
                line,
                callee: callee.clone(),
                index: i as u16,
                row,
            });
        }
    }
}

/// `row.into()`, `row.into_active_model()`, `ActiveModel::from(row)`, `row.clone().into()`:
/// the row an active model is made from (`Some(None)`: a value the audit cannot trace).
pub fn converted_row<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
) -> Option<Option<RowRef>> {
    let inner = match strip(e) {
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(m.method.to_string().as_str(), "into" | "into_active_model") =>
        {
            &m.receiver
        }
        syn::Expr::Call(c)
            if c.args.len() == 1
                && crate::ast::last_segment(&c.func).as_deref() == Some("from") =>
        {
            &c.args[0]
        }
        _ => return None,
    };
    let mut cur = strip(inner);
    while let syn::Expr::MethodCall(m) = cur {
        if m.args.is_empty() && matches!(m.method.to_string().as_str(), "clone" | "to_owned") {
            cur = strip(&m.receiver);
        } else {
            break;
        }
    }
    let syn::Expr::Path(p) = cur else {
        return Some(None);
    };
    let Some(id) = p.path.get_ident() else {
        return Some(None);
    };
    Some(row_origin(w, &id.to_string(), env, 0))
}

/// The row a local or parameter is: a parameter of a declared type, a local loaded by a fetch
/// (`let e = X::find_by_id(id).one(db).await?`, through `?`, `.ok_or(..)`, `Some(e)` patterns and
/// `for e in X::find()..all(db)`), or a row from a configured scoped fn. Every definition that
/// may reach `env` must agree.
pub fn row_origin(w: &Walker<'_, '_>, name: &str, env: Env, depth: usize) -> Option<RowRef> {
    row_origin_part(w, name, env, None, depth)
}

/// [`row_origin`] of element `part` of a tuple the local holds.
fn row_origin_part(
    w: &Walker<'_, '_>,
    name: &str,
    env: Env,
    part: Option<usize>,
    depth: usize,
) -> Option<RowRef> {
    if depth > 4 {
        return None;
    }
    let values = w.values()?;
    let defs = values.lookup(name, env);
    let mut found: Option<RowRef> = None;
    for d in &defs {
        let here = match d.value {
            Value::Param => {
                let index = d.binding.param?;
                let ty = type_text(d.binding.ty?);
                Some(RowRef::Param {
                    ty: last_type_segment(&ty)?,
                    name: name.to_string(),
                    index,
                })
            }
            Value::Expr(x, at) | Value::Elem(x, at, _) => fetched(w, x, *at, part, depth + 1),
            // `let (user, ws) = ..`: one element of what the call returns; `Some(ws)` patterns
            // look through.
            Value::Part(x, at, proj) => fetched(w, x, *at, tuple_part(proj).or(part), depth + 1),
            _ => None,
        };
        match (&found, here) {
            (_, None) => return None,
            (None, Some(h)) => found = Some(h),
            (Some(a), Some(h)) if *a == h => {}
            _ => return None,
        }
    }
    found
}

/// The tuple element a pattern takes of a returned value, through `Some(..)`/`Ok(..)`:
/// `let (user, ws) = ..` -> 1 for `ws`; `Some((_folder, Some(alert)))` -> 1 for `alert`.
fn tuple_part(proj: &[crate::extract::values::Proj]) -> Option<usize> {
    use crate::extract::values::Proj;
    let mut rest = proj;
    loop {
        match rest {
            [Proj::Variant(v), Proj::Index(0), tail @ ..] if v == "Some" || v == "Ok" => {
                rest = tail
            }
            [Proj::Index(i), ..] => return Some(*i),
            _ => return None,
        }
    }
}

/// The fetch an expression's value comes from.
fn fetched<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    part: Option<usize>,
    depth: usize,
) -> Option<RowRef> {
    let cur = through_wrappers(e);
    if depth > 8 {
        return None;
    }
    // Branches that give rows: every one that gives something must agree (`if c { X::find()
    // ..all(db).await? } else { Vec::new() }`).
    let branches = |tails: Vec<&'ast syn::Expr>| -> Option<RowRef> {
        let mut found: Option<RowRef> = None;
        for t in tails {
            if no_rows(t) {
                continue;
            }
            let here = fetched(w, t, env, part, depth + 1)?;
            match &found {
                None => found = Some(here),
                Some(f) if *f == here => {}
                Some(_) => return None,
            }
        }
        found
    };
    match cur {
        syn::Expr::Path(p) => {
            let name = p.path.get_ident()?.to_string();
            row_origin_part(w, &name, env, part, depth + 1)
        }
        syn::Expr::If(i) => {
            let then = match i.then_branch.stmts.last() {
                Some(syn::Stmt::Expr(t, None)) => t,
                _ => return None,
            };
            let (_, els) = i.else_branch.as_ref()?;
            branches(vec![then, els])
        }
        syn::Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(t, None)) => branches(vec![t]),
            _ => None,
        },
        syn::Expr::Match(m) => branches(
            m.arms
                .iter()
                .map(|a| &*a.body)
                .filter(|b| !matches!(b, syn::Expr::Return(_) | syn::Expr::Macro(_)))
                .collect(),
        ),
        syn::Expr::MethodCall(mc) if mc.args.is_empty() && is_call(&mc.receiver) => {
            // A result passed through an extension (`.trace()?`, `.into_model()`): the call
            // that made it, when it is one; else this one.
            fetched(w, &mc.receiver, env, part, depth + 1).or_else(|| fetched_call(w, cur, part))
        }
        syn::Expr::MethodCall(_) | syn::Expr::Call(_) => fetched_call(w, cur, part),
        _ => None,
    }
}

/// The row an expression is (a fetch of this fn, what a call returns, a local holding one).
pub(super) fn fetched_row<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
) -> Option<RowRef> {
    fetched(w, e, env, None, 0)
}

/// The span of the call an expression's row comes from (through `.await`, `?`, `.ok_or(..)`
/// and the adaptors [`fetched`] looks through), when it is a call.
pub(super) fn fetched_span(e: &syn::Expr) -> Option<Span> {
    let cur = through_wrappers(e);
    is_call(cur).then(|| Span::from_pm2(crate::ast::expr_span(cur)))
}

/// `e` without `.await`, `?`, `.ok_or(..)`, `.unwrap()`, `.into()` and the adaptors that pick
/// one of its rows.
fn through_wrappers(e: &syn::Expr) -> &syn::Expr {
    let mut cur = e;
    // Through `.await`, `?`, `.ok_or(..)`, `.unwrap()`, `.into()`..
    loop {
        match cur {
            syn::Expr::Await(a) => cur = &a.base,
            syn::Expr::Try(t) => cur = &t.expr,
            syn::Expr::Paren(p) => cur = &p.expr,
            syn::Expr::Reference(r) => cur = &r.expr,
            syn::Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "unwrap"
                        | "expect"
                        | "ok_or"
                        | "ok_or_else"
                        | "context"
                        | "with_context"
                        | "map_err"
                        | "ok"
                        | "into"
                        | "clone"
                        | "to_owned"
                        | "unwrap_or_default"
                        | "into_iter"
                        | "iter"
                ) =>
            {
                cur = &m.receiver
            }
            // One row picked from those fetched (`rows.into_iter().find(|r| ..)`,
            // `.first()`, `rows[0]`): as scoped as the fetch.
            syn::Expr::MethodCall(m) if picks_one(m) => cur = &m.receiver,
            syn::Expr::Index(i) => cur = &i.expr,
            _ => break,
        }
    }
    cur
}

/// A method that picks one of the rows it is called on: `first()`, `last()`, `next()`, `pop()`,
/// `get(0)`, `find(|r| ..)`, `filter(|r| ..)` (a closure: diesel's `find(id)` and sea-orm's
/// `filter(col.eq(..))` are queries).
fn picks_one(m: &syn::ExprMethodCall) -> bool {
    match (m.method.to_string().as_str(), m.args.len()) {
        ("first" | "last" | "next" | "pop" | "next_back", 0) => true,
        ("find" | "filter", 1) => matches!(strip(&m.args[0]), syn::Expr::Closure(_)),
        ("get", 1) => matches!(strip(&m.args[0]), syn::Expr::Lit(_)),
        _ => false,
    }
}

/// The query recorded at a call's span: the chain (DSL), or where the SQL starts in it
/// (sqlx's `query_as(..).bind(..).fetch_one(db)`).
pub(super) fn query_at(queries: &[crate::extract::QueryFact], span: Span) -> Option<u32> {
    queries
        .iter()
        .position(|q| q.span == span)
        .or_else(|| {
            queries
                .iter()
                .rposition(|q| q.span.start == span.start && q.span.end <= span.end)
        })
        .map(|i| i as u32)
}

/// A call (after `.await` and `?`), or a method call on one.
fn is_call(e: &syn::Expr) -> bool {
    matches!(strip(e), syn::Expr::Call(_) | syn::Expr::MethodCall(_))
}

/// A branch that gives no row at all (`Vec::new()`, `vec![]`, `None`, `Default::default()`).
fn no_rows(e: &syn::Expr) -> bool {
    match strip(e) {
        syn::Expr::Path(p) => p.path.is_ident("None"),
        syn::Expr::Macro(m) => m.mac.path.is_ident("vec") && m.mac.tokens.is_empty(),
        syn::Expr::Call(c) => {
            c.args.is_empty()
                && crate::ast::last_segment(&c.func)
                    .is_some_and(|n| matches!(n.as_str(), "new" | "default"))
        }
        _ => false,
    }
}

/// The row a call returns: a configured scoped fn's, a fetch recorded at its span, or what a
/// workspace fn returns (phase 2).
fn fetched_call<'ast>(
    w: &Walker<'ast, '_>,
    cur: &'ast syn::Expr,
    part: Option<usize>,
) -> Option<RowRef> {
    match cur {
        syn::Expr::MethodCall(_) => {
            let (base, calls) = crate::ast::method_chain(cur);
            let tenant = &w.cx.config.tenant;
            let scoped = base_name(base)
                .filter(|f| !f.is_empty() && tenant.is_scoped_fn(f))
                .or_else(|| {
                    calls
                        .iter()
                        .map(|c| c.method.to_string())
                        .find(|m| tenant.is_scoped_fn(m))
                });
            if let Some(f) = scoped {
                return Some(RowRef::Scoped(f));
            }
            let span = Span::from_pm2(crate::ast::expr_span(cur));
            if let Some(i) = query_at(&w.facts.queries, span) {
                return Some(RowRef::Fetch(i));
            }
            let syn::Expr::MethodCall(m) = cur else {
                return None;
            };
            Some(RowRef::Returned {
                line: cur.span().start().line as u32,
                callee: m.method.to_string(),
                part,
            })
        }
        syn::Expr::Call(c) => Some(RowRef::Returned {
            line: cur.span().start().line as u32,
            callee: crate::ast::last_segment(&c.func)?,
            part,
        }),
        _ => None,
    }
}

/// The name of the fn a chain starts with (`Endpoint::secure_find_by_id(..)` ->
/// `secure_find_by_id`), or its base's last segment.
fn base_name(base: &syn::Expr) -> Option<String> {
    match strip(base) {
        syn::Expr::Call(c) => crate::ast::last_segment(&c.func),
        _ => Some(String::new()),
    }
}

/// `x.id`, `x.uuid` (through `&` and `.clone()`): a row's own key, by the names keys have.
fn is_id_field(e: &syn::Expr) -> bool {
    matches!(value_inner(e), syn::Expr::Field(f)
        if matches!(&f.member, syn::Member::Named(n) if n == "id" || n == "uuid"))
}

/// The value without `&`, `*`, parentheses and value-keeping calls (`.clone()`, `.to_owned()`).
fn value_inner(e: &syn::Expr) -> &syn::Expr {
    match strip(e) {
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "clone" | "to_owned" | "as_ref" | "into" | "to_string" | "as_str"
                ) =>
        {
            value_inner(&m.receiver)
        }
        other => other,
    }
}

/// `&lapdev_db_entities::workspace::Model` -> `Model`; `Option<&Cipher>` -> `Cipher`.
fn last_type_segment(ty: &str) -> Option<String> {
    ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|s| !s.is_empty() && s.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .rfind(|s| !matches!(*s, "Vec" | "Option" | "Box" | "Arc" | "Rc" | "Cow"))
        .map(String::from)
}

/// Field names of a struct literal (`NewX { org_id, name: n, .. }`), or of the literal a local
/// was initialised with.
pub fn struct_literal_fields<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
) -> Option<(&'ast syn::ExprStruct, Vec<String>)> {
    let mut cur = strip(e);
    let mut env = w.env();
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
                let l = w.local_at(&name, env)?;
                cur = strip(l.init?);
                env = l.env;
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
    last_type_segment(&type_text(w.local(&name)?.ty?))
}

/// A DSL chain read from its outermost call, following locals it starts from
/// (`let q = invoices.filter(..); q.load(conn)`).
pub struct Chain<'ast> {
    /// What the chain starts from (a table path, `diesel::update(..)`, `Entity::find()`).
    pub base: &'ast syn::Expr,
    /// Method calls, innermost first, each with the point its arguments are evaluated at.
    pub calls: Vec<(&'ast syn::ExprMethodCall, Env)>,
    /// The expression whose start is the chain's start (where the finding sits).
    pub start: &'ast syn::Expr,
    /// The chain came through a parameter (`fn f(q: BoxedQuery)`): its start is not visible.
    pub from_param: bool,
    /// Where `base` is evaluated (a local's value: where it was made).
    pub base_env: Env,
}

impl<'ast> Chain<'ast> {
    /// The calls without their points.
    pub fn methods(&self) -> Vec<&'ast syn::ExprMethodCall> {
        self.calls.iter().map(|(m, _)| *m).collect()
    }
}

/// The chain an expression ends, once per way the locals it goes through may have been built
/// (every definition that reaches: `if c { q = q.filter(..) }` gives two).
pub fn chains<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Vec<Chain<'ast>> {
    chains_at(w, e, w.env())
}

/// [`chains`] of an expression at point `env` of the fn (a returned expression, at the fn's end).
pub fn chains_at<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Vec<Chain<'ast>> {
    let mut out = chains_depth(w, e, env, 0);
    out.truncate(MAX_VARIANTS);
    out
}

/// Reads every way of building the chain `e` ends with `read`, and joins the ways that
/// agree on the base table and what is done to it: (where the chain starts, what it does).
/// Unless `from_params`, a chain that comes through a parameter is not read (its start is not
/// visible here; sea-orm's `model.find_related(..)` on a parameter is read).
pub fn read_variants<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    from_params: bool,
    read: impl Fn(&Walker<'ast, '_>, &Chain<'ast>) -> Option<DslQuery>,
) -> Option<(&'ast syn::Expr, DslQuery)> {
    read_variants_at(w, e, w.env(), from_params, read)
}

/// [`read_variants`] of an expression at point `env` of the fn.
pub fn read_variants_at<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    from_params: bool,
    read: impl Fn(&Walker<'ast, '_>, &Chain<'ast>) -> Option<DslQuery>,
) -> Option<(&'ast syn::Expr, DslQuery)> {
    let chains = chains_at(w, e, env);
    if !from_params && chains.iter().any(|c| c.from_param) {
        return None;
    }
    let mut q: Option<DslQuery> = None;
    let mut start = None;
    for ch in &chains {
        let Some(one) = read(w, ch) else {
            continue;
        };
        match &mut q {
            None => {
                start = Some(ch.start);
                q = Some(one);
            }
            Some(q) if q.table == one.table && q.op == one.op => {
                q.variants.extend(one.variants);
            }
            Some(_) => {}
        }
    }
    Some((start?, q?))
}

/// The first way [`chains`] gives.
pub fn chain<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Chain<'ast> {
    let mut all = chains_depth(w, e, w.env(), 0);
    all.truncate(1);
    all.pop().unwrap_or(Chain {
        base: e,
        calls: Vec::new(),
        start: e,
        from_param: false,
        base_env: w.env(),
    })
}

fn chains_depth<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> Vec<Chain<'ast>> {
    let (base, calls) = crate::ast::method_chain(e);
    let calls: Vec<(&'ast syn::ExprMethodCall, Env)> =
        calls.into_iter().map(|c| (c, env)).collect();
    if depth < 6 {
        if let syn::Expr::Path(p) = strip(base) {
            if let Some(id) = p.path.get_ident() {
                let name = id.to_string();
                let defs = w.locals_at(&name, env);
                if defs.iter().any(|l| l.is_param) {
                    return vec![Chain {
                        base,
                        calls,
                        start: e,
                        from_param: true,
                        base_env: env,
                    }];
                }
                // `let q = invoices.filter(..)`, `q = q.filter(..)`: the chain goes on from
                // each value the local may hold, each step evaluated where it was made.
                if !defs.is_empty() && defs.iter().all(|l| l.init.is_some()) {
                    let mut out = Vec::new();
                    for l in defs {
                        let Some(init) = l.init else { continue };
                        for mut inner in chains_depth(w, init, l.env, depth + 1) {
                            inner.calls.extend(calls.iter().copied());
                            out.push(inner);
                            if out.len() >= MAX_VARIANTS {
                                return out;
                            }
                        }
                    }
                    return out;
                }
            }
        }
    }
    vec![Chain {
        base,
        calls,
        start: e,
        from_param: false,
        base_env: env,
    }]
}
