//! Predicates: top-level AND-conjuncts of WHERE and ON, the tenant predicate tests, OR voiding,
//! and the judgement of a scope.

use sqlparser::ast::{BinaryOperator, Expr, InTarget, Query};

use super::reason::Reason;
use super::visitors::{column_exprs, contains_or};
use super::{Analyzer, ColEq, Res, Scope};

/// What the conjuncts of a scope say, gathered before the judgement.
#[derive(Default)]
struct Evidence {
    /// Bindings a tenant predicate pins (taken after each conjunct).
    pins: Vec<usize>,
    /// Directed tenant-column join edges: if `.0` is scoped then `.1` is.
    edges: Vec<(usize, usize)>,
    /// Unqualified tenant columns that more than one binding could have.
    ambiguous: Vec<String>,
    /// Every column equality between two bindings.
    eqs: Vec<ColEq>,
    /// Subqueries a binding's tenant column is compared to.
    sources: Vec<(*const Query, usize)>,
}

impl Analyzer<'_> {
    /// Decides which tenant-owned tables of `scope` are scoped, flags the others; returns
    /// whether the scope's rows are all pinned to a tenant.
    pub(super) fn judge(&mut self, scope: &Scope<'_>) -> bool {
        let n = scope.bindings.len();
        let mut scoped: Vec<bool> = scope.bindings.iter().map(|b| b.pre_scoped).collect();
        let mut ev = Evidence {
            edges: scope.edges.clone(),
            eqs: scope.col_eqs.clone(),
            ..Evidence::default()
        };
        let mut in_or = vec![false; n];
        for pred in &scope.preds {
            let can = |i: usize| pred.filterable.as_ref().is_none_or(|f| f.contains(&i));
            for c in conjuncts(pred.expr) {
                self.conjunct(scope, c, &mut ev, &can);
                for i in std::mem::take(&mut ev.pins) {
                    if can(i) {
                        scoped[i] = true;
                    }
                }
                if contains_or(c) {
                    for (i, col) in self.column_refs(scope, c) {
                        if self.tenant_col(&scope.bindings[i], &col) {
                            in_or[i] = true;
                        }
                    }
                }
            }
        }
        for (q, i) in std::mem::take(&mut ev.sources) {
            if scoped[i] {
                let table = scope.bindings[i].table.clone();
                self.tenant_sources.push((q, table));
            }
        }
        let (key_edges, child_edges) = self.key_edges(scope, &ev.eqs);
        let mut edges = ev.edges;
        edges.extend(child_edges);
        // Edges on tenant columns (the reason below names them); key edges come after.
        let tenant_edges = edges.len();
        edges.extend(key_edges);
        // Propagate along join equalities.
        let mut changed = true;
        while changed {
            changed = false;
            for &(from, to) in &edges {
                if scoped[from] && !scoped[to] {
                    scoped[to] = true;
                    changed = true;
                }
            }
        }
        let mut relevant = false;
        let mut all = true;
        for (i, b) in scope.bindings.iter().enumerate() {
            if b.pre_scoped {
                relevant = true;
            }
            let Some(cols) = &b.tenant else { continue };
            relevant = true;
            if scoped[i] {
                continue;
            }
            all = false;
            let reason = if in_or[i] {
                Reason::OnlyInOr {
                    table: b.table.clone(),
                }
            } else if let Some(col) = ev.ambiguous.iter().find(|c| cols.contains(c)) {
                Reason::Ambiguous {
                    column: col.clone(),
                    qualifier: b.name.clone(),
                }
            } else if edges[..tenant_edges].iter().any(|&(_, to)| to == i) {
                Reason::JoinedToUnscoped {
                    table: b.table.clone(),
                }
            } else {
                Reason::NoPredicate
            };
            let table = b.table.clone();
            self.flag(&table, reason);
        }
        relevant && all
    }

    /// Evidence from one top-level conjunct.
    fn conjunct(
        &self,
        scope: &Scope<'_>,
        c: &Expr,
        ev: &mut Evidence,
        can: &dyn Fn(usize) -> bool,
    ) {
        match c {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq | BinaryOperator::Spaceship,
                right,
            } => match (strip(left), strip(right)) {
                (Expr::Tuple(l), Expr::Tuple(r)) if l.len() == r.len() => {
                    for (a, b) in l.iter().zip(r) {
                        self.equality(scope, a, b, ev, can);
                    }
                }
                _ => self.equality(scope, left, right, ev, can),
            },
            Expr::IsNotDistinctFrom(a, b) => self.equality(scope, a, b, ev, can),
            Expr::In {
                expr,
                target,
                negated: false,
                ..
            } => match target {
                InTarget::List(list) if !list.is_empty() => self.pin_columns(scope, expr, ev),
                InTarget::Subquery(q) => {
                    self.pin_columns(scope, expr, ev);
                    note_source(ev, q);
                }
                InTarget::Unnest(_) => self.pin_columns(scope, expr, ev),
                // `IN (empty list)` matches nothing; SQLite `IN table` is not read as a filter.
                _ => {}
            },
            Expr::AnyOp {
                left,
                compare_op: BinaryOperator::Eq,
                ..
            } => self.pin_columns(scope, left, ev),
            _ => {}
        }
    }

    fn pin_columns(&self, scope: &Scope<'_>, e: &Expr, ev: &mut Evidence) {
        let items: Vec<&Expr> = match strip(e) {
            Expr::Tuple(v) => v.iter().collect(),
            other => vec![other],
        };
        for item in items {
            match self.resolve(scope, item) {
                Res::Local(i, col) if self.tenant_col(&scope.bindings[i], &col) => ev.pins.push(i),
                Res::Ambiguous(col) if self.is_tenantish(&col) => ev.ambiguous.push(col),
                _ => {}
            }
        }
    }

    fn equality(
        &self,
        scope: &Scope<'_>,
        a: &Expr,
        b: &Expr,
        ev: &mut Evidence,
        can: &dyn Fn(usize) -> bool,
    ) {
        let ra = self.resolve(scope, a);
        let rb = self.resolve(scope, b);
        if let (Res::Local(i, ci), Res::Local(j, cj)) = (&ra, &rb) {
            if i != j {
                ev.eqs.push(ColEq {
                    a: *i,
                    a_col: ci.clone(),
                    b: *j,
                    b_col: cj.clone(),
                    filters_a: can(*i),
                    filters_b: can(*j),
                });
            }
        }
        for (x, y) in [(&ra, &rb), (&rb, &ra)] {
            match x {
                Res::Local(i, col) if self.tenant_col(&scope.bindings[*i], col) => match y {
                    Res::Local(j, col2) => {
                        if j != i && self.tenant_col(&scope.bindings[*j], col2) && can(*i) {
                            ev.edges.push((*j, *i));
                        }
                    }
                    Res::Ambiguous(_) => {}
                    Res::Value => {
                        ev.pins.push(*i);
                        let other = if std::ptr::eq(x, &ra) { b } else { a };
                        if let Expr::Subquery(q) = strip(other) {
                            ev.sources.push((&**q as *const Query, *i));
                        }
                    }
                },
                Res::Ambiguous(col) if self.is_tenantish(col) => {
                    if matches!(y, Res::Value) {
                        ev.ambiguous.push(col.clone());
                    }
                }
                _ => {}
            }
        }
    }

    /// Column references in `e` (not inside its subqueries) that resolve to this scope.
    pub(super) fn column_refs(&self, scope: &Scope<'_>, e: &Expr) -> Vec<(usize, String)> {
        column_exprs(e)
            .iter()
            .filter_map(|x| match self.resolve(scope, x) {
                Res::Local(i, c) => Some((i, c)),
                _ => None,
            })
            .collect()
    }
}

/// Top-level AND-conjuncts (through parentheses), iteratively.
pub(super) fn conjuncts(e: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Nested(inner) => stack.push(inner),
            Expr::BinaryOp {
                left,
                op: BinaryOperator::And,
                right,
            } => {
                stack.push(right);
                stack.push(left);
            }
            other => out.push(other),
        }
    }
    out
}

pub(super) fn strip(e: &Expr) -> &Expr {
    let mut e = e;
    while let Expr::Nested(inner) = e {
        e = inner;
    }
    e
}

/// The bindings the last `pin_columns` pinned take their tenant from subquery `q`.
fn note_source(ev: &mut Evidence, q: &Query) {
    let pinned: Vec<usize> = ev.pins.clone();
    for i in pinned {
        ev.sources.push((q as *const Query, i));
    }
}
