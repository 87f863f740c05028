//! Rows compared with the request's tenant after they were loaded: a load by id is scoped for
//! the fn that checks the row it gives, and leaves on a mismatch:
//!
//! * `if c.org_id != org_id { return Err(..) }` (or `bail!`, `Err(..)?`; `||` with other
//!   reasons to leave), `if c.org_id == org_id { .. } else { return Err(..) }`;
//! * `ensure!(c.org_id == org_id, ..)`, `assert!(..)`, `assert_eq!(c.org_id, org_id)`;
//! * `.filter(|c| c.org_id == org_id)` on the loaded `Option` (then `.ok_or(..)?`);
//! * a `match` whose guard compares the bound row (`Some(c) if c.org_id == org => c`, every
//!   other arm leaving; or an arm `Some(c) if c.org_id != org => return Err(..)`).
//!
//! The row's side is a configured tenant column of a row this fn fetched or a call returned;
//! the other side must carry the tenant (a tenant-named local or parameter, a tenant-typed one,
//! a field of the request's guard) and not be a field of a loaded row itself. Phase 1 records
//! each check as a [`RowCheck`]; phase 2 (`db::judge`) scopes a fetch checked in its own fn, and
//! a fetch its fn returns ([`FileFacts::returned_fetches`]) for each caller that checks it.
//!
//! [`FileFacts::returned_fetches`]: crate::extract::FileFacts::returned_fetches

use super::dsl::{fetched_row, fetched_span, query_at};
use super::handle::strip;
use super::{RowCheck, RowRef};
use crate::diagnostic::Span;
use crate::extract::{tenant::carries_tenant_at, Collector, Env, Walker};

pub struct RowChecks;

/// Checks whose row is a call not yet recorded as a query when the check is read (the walk
/// reaches a chain's receiver after the chain): resolved when the fn ends.
#[derive(Default)]
struct Pending {
    rows: Vec<(RowRef, Option<Span>)>,
}

impl Collector for RowChecks {
    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        if w.fns.is_empty() {
            return;
        }
        let env = w.env();
        let mut found: Vec<(RowRef, Option<Span>)> = Vec::new();
        match e {
            syn::Expr::If(i) if !matches!(&*i.cond, syn::Expr::Let(_)) => {
                if block_leaves(&i.then_branch) {
                    found.extend(mismatched(w, &i.cond, env, &[]).into_iter().map(no_span));
                }
                if let Some((_, els)) = &i.else_branch {
                    if leaves(els) {
                        found.extend(matched(w, &i.cond, env, &[]).into_iter().map(no_span));
                    }
                }
            }
            syn::Expr::MethodCall(m) if m.method == "filter" && m.args.len() == 1 => {
                if let syn::Expr::Closure(c) = strip(&m.args[0]) {
                    let names: Vec<String> = c.inputs.iter().flat_map(names_of).collect();
                    if !names.is_empty() && !matched(w, &c.body, env, &names).is_empty() {
                        found.extend(of(w, &m.receiver, env));
                    }
                }
            }
            syn::Expr::Match(m) if guarded(w, m, env) => {
                found.extend(of(w, &m.expr, env));
            }
            _ => {}
        }
        if found.is_empty() {
            return;
        }
        if let Some(p) = w.state::<Pending>() {
            p.rows.extend(found);
        }
    }

    fn mac<'ast>(&self, w: &mut Walker<'ast, '_>, m: &'ast syn::Macro) {
        if w.fns.is_empty() {
            return;
        }
        // Compared as an identifier: most macros are none of these (`println!`, `vec!`).
        let Some(id) = m.path.segments.last().map(|s| &s.ident) else {
            return;
        };
        if !["ensure", "assert", "ensure_eq", "assert_eq"]
            .iter()
            .any(|n| id == n)
        {
            return;
        }
        let name = id.to_string();
        let Some(args) = w.macro_list(m) else {
            return;
        };
        let env = w.env();
        let rows = match (name.as_str(), args.len()) {
            ("ensure" | "assert", n) if n >= 1 => matched(w, &args[0], env, &[]),
            (_, n) if n >= 2 => pair(w, &args[0], &args[1], env, &[]),
            _ => Vec::new(),
        };
        if rows.is_empty() {
            return;
        }
        if let Some(p) = w.state::<Pending>() {
            p.rows.extend(rows.into_iter().map(no_span));
        }
    }

    fn fn_end<'ast>(&self, w: &mut Walker<'ast, '_>) {
        let Some((fx, queries_from)) = w.fns.last().map(|f| (f.fn_index as u32, f.sites_from.0))
        else {
            return;
        };
        // The fetches whose row the fn returns (`Ok(model)`, `Ok(Some(row))`, the chain itself):
        // only a fn with a query site of its own has one.
        let returns: Vec<(&'ast syn::Expr, Env)> = if queries_from < w.facts.queries.len() {
            w.returns().to_vec()
        } else {
            Vec::new()
        };
        for (e, env) in returns {
            if let Some(RowRef::Fetch(i)) = fetched_row(w, unwrap_ok(e), env) {
                if !w.facts.returned_fetches.contains(&i) {
                    w.facts.returned_fetches.push(i);
                }
            }
        }
        let Some(p) = w.take_state::<Pending>() else {
            return;
        };
        for (row, span) in p.rows {
            let row = match span.and_then(|s| query_at(&w.facts.queries, s)) {
                Some(i) => RowRef::Fetch(i),
                None => row,
            };
            let check = RowCheck { fn_index: fx, row };
            if !w.facts.row_checks.contains(&check) {
                w.facts.row_checks.push(check);
            }
        }
    }
}

fn no_span(r: RowRef) -> (RowRef, Option<Span>) {
    (r, None)
}

/// The row an expression is (a fetch, a call's result, a local holding one), with the span of
/// the call when it is one (resolved to its query when the fn ends).
fn of<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr, env: Env) -> Option<(RowRef, Option<Span>)> {
    let row = fetched_row(w, e, env)?;
    let keep = matches!(row, RowRef::Fetch(_) | RowRef::Returned { .. });
    keep.then(|| (row, fetched_span(e)))
}

/// `Ok(x)`, `Some(x)`, `Ok(Some(x))`: `x`.
fn unwrap_ok(e: &syn::Expr) -> &syn::Expr {
    let mut cur = strip(e);
    for _ in 0..3 {
        match cur {
            syn::Expr::Call(c)
                if c.args.len() == 1
                    && crate::ast::last_segment(&c.func)
                        .is_some_and(|n| matches!(n.as_str(), "Ok" | "Some")) =>
            {
                cur = strip(&c.args[0]);
            }
            _ => break,
        }
    }
    cur
}

/// Names a closure parameter or pattern binds.
fn names_of(p: &syn::Pat) -> Vec<String> {
    crate::extract::values::pattern_bindings(p)
        .into_iter()
        .map(|(n, _, _)| n)
        .collect()
}

/// `match row { Some(c) if c.org_id == org => c, _ => return Err(..) }` or an arm
/// `Some(c) if c.org_id != org => return Err(..)`.
fn guarded<'ast>(w: &Walker<'ast, '_>, m: &'ast syn::ExprMatch, env: Env) -> bool {
    m.arms.iter().enumerate().any(|(k, a)| {
        let Some((_, g)) = &a.guard else {
            return false;
        };
        let names = names_of(&a.pat);
        if names.is_empty() {
            return false;
        }
        let leaving = leaves(&a.body);
        if leaving && !mismatched(w, g, env, &names).is_empty() {
            return true;
        }
        let others_leave = m
            .arms
            .iter()
            .enumerate()
            .all(|(j, o)| j == k || leaves(&o.body));
        others_leave && !matched(w, g, env, &names).is_empty()
    })
}

/// A branch or arm that leaves (`return`, `bail!`, `Err(..)?`), or gives an error
/// (`_ => Err(ApiError::Unauthorized)`).
fn leaves(body: &syn::Expr) -> bool {
    let is_err = |e: &syn::Expr| {
        matches!(strip(e), syn::Expr::Call(c)
            if crate::ast::last_segment(&c.func).as_deref() == Some("Err"))
    };
    match strip(body) {
        syn::Expr::Block(b) => block_leaves(&b.block),
        syn::Expr::Try(t) => is_err(&t.expr),
        other => crate::extract::diverges(other) || is_err(other),
    }
}

fn block_leaves(b: &syn::Block) -> bool {
    crate::extract::block_diverges(b)
        || matches!(b.stmts.last(), Some(syn::Stmt::Expr(t, _)) if !matches!(strip(t), syn::Expr::Block(_)) && leaves(t))
}

/// Rows whose tenant differing from the request's makes `c` true.
fn mismatched<'ast>(
    w: &Walker<'ast, '_>,
    c: &'ast syn::Expr,
    env: Env,
    bound: &[String],
) -> Vec<RowRef> {
    compared(w, c, env, bound, true)
}

/// Rows whose tenant `c` being true pins to the request's.
fn matched<'ast>(
    w: &Walker<'ast, '_>,
    c: &'ast syn::Expr,
    env: Env,
    bound: &[String],
) -> Vec<RowRef> {
    compared(w, c, env, bound, false)
}

/// `mismatch`: rows whose tenant differing makes `c` true (`!=`, through `||`); else rows
/// whose tenant `c` being true pins (`==`, through `&&`). `!` swaps the two.
fn compared<'ast>(
    w: &Walker<'ast, '_>,
    c: &'ast syn::Expr,
    env: Env,
    bound: &[String],
    mismatch: bool,
) -> Vec<RowRef> {
    match strip(c) {
        syn::Expr::Binary(b) => match (b.op, mismatch) {
            (syn::BinOp::Ne(_), true) | (syn::BinOp::Eq(_), false) => {
                pair(w, &b.left, &b.right, env, bound)
            }
            (syn::BinOp::Or(_), true) | (syn::BinOp::And(_), false) => {
                let mut v = compared(w, &b.left, env, bound, mismatch);
                v.extend(compared(w, &b.right, env, bound, mismatch));
                v
            }
            _ => Vec::new(),
        },
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
            compared(w, &u.expr, env, bound, !mismatch)
        }
        syn::Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(t, None)) => compared(w, t, env, bound, mismatch),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// `row.<tenant col>` compared with the tenant, either way round. With `bound` (a closure's
/// parameter, an arm's binding), the row is that name: `Bound` (the caller knows which).
fn pair<'ast>(
    w: &Walker<'ast, '_>,
    a: &'ast syn::Expr,
    b: &'ast syn::Expr,
    env: Env,
    bound: &[String],
) -> Vec<RowRef> {
    for (row, tenant) in [(a, b), (b, a)] {
        let Some(r) = tenant_field_of(w, row, env, bound) else {
            continue;
        };
        if tenant_field_of(w, tenant, env, bound).is_some() {
            // Two rows compared: neither is the request's tenant.
            return Vec::new();
        }
        if carries_tenant_at(w, tenant, env) {
            return vec![r];
        }
    }
    Vec::new()
}

/// The row whose configured tenant column `e` reads (`c.org_id`, `&c.org_id`,
/// `c.org_id.clone()`), when `c` is a loaded row (or one of `bound`: a placeholder).
fn tenant_field_of<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    bound: &[String],
) -> Option<RowRef> {
    let mut cur = strip(e);
    while let syn::Expr::MethodCall(m) = cur {
        if m.args.is_empty()
            && matches!(
                m.method.to_string().as_str(),
                "clone" | "to_owned" | "as_ref" | "to_string" | "as_str" | "as_deref"
            )
        {
            cur = strip(&m.receiver);
        } else {
            break;
        }
    }
    let syn::Expr::Field(f) = cur else {
        return None;
    };
    let syn::Member::Named(col) = &f.member else {
        return None;
    };
    let col = col.to_string();
    let tenant = &w.cx.config.tenant;
    let is_tenant_col =
        tenant.columns.contains(&col) || tenant.tables.values().flatten().any(|c| *c == col);
    if !is_tenant_col {
        return None;
    }
    let base = strip(&f.base);
    if let syn::Expr::Path(p) = base {
        if let Some(id) = p.path.get_ident() {
            if bound.iter().any(|b| id == b) {
                // The caller knows which row the binding is.
                return Some(RowRef::Scoped(String::new()));
            }
        }
    }
    let row = fetched_row(w, base, env)?;
    matches!(row, RowRef::Fetch(_) | RowRef::Returned { .. }).then_some(row)
}
