//! Predicates: top-level AND-conjuncts of WHERE and ON, the tenant predicate tests, OR voiding,
//! and the judgement of a scope.

use sqlparser::ast::{BinaryOperator, Expr, InTarget};

use super::reason::Reason;
use super::visitors::{column_exprs, contains_or};
use super::{Analyzer, Res, Scope};

impl Analyzer<'_> {
    /// Decides which tenant-owned tables of `scope` are scoped, flags the others; returns
    /// whether the scope's rows are all pinned to a tenant.
    pub(super) fn judge(&mut self, scope: &Scope<'_>) -> bool {
        let n = scope.bindings.len();
        let mut scoped: Vec<bool> = scope.bindings.iter().map(|b| b.pre_scoped).collect();
        let mut edges = scope.edges.clone();
        let mut in_or = vec![false; n];
        let mut ambiguous: Vec<String> = Vec::new();
        for pred in &scope.preds {
            let can = |i: usize| pred.filterable.as_ref().is_none_or(|f| f.contains(&i));
            for c in conjuncts(pred.expr) {
                let mut pins = Vec::new();
                self.conjunct(scope, c, &mut pins, &mut edges, &mut ambiguous, &can);
                for i in pins {
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
            } else if let Some(col) = ambiguous.iter().find(|c| cols.contains(c)) {
                Reason::Ambiguous {
                    column: col.clone(),
                    qualifier: b.name.clone(),
                }
            } else if edges.iter().any(|&(_, to)| to == i) {
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
    pub(super) fn conjunct(
        &self,
        scope: &Scope<'_>,
        c: &Expr,
        pins: &mut Vec<usize>,
        edges: &mut Vec<(usize, usize)>,
        ambiguous: &mut Vec<String>,
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
                        self.equality(scope, a, b, pins, edges, ambiguous, can);
                    }
                }
                _ => self.equality(scope, left, right, pins, edges, ambiguous, can),
            },
            Expr::IsNotDistinctFrom(a, b) => {
                self.equality(scope, a, b, pins, edges, ambiguous, can)
            }
            Expr::In {
                expr,
                target,
                negated: false,
                ..
            } => match target {
                InTarget::List(list) if !list.is_empty() => {
                    self.pin_columns(scope, expr, pins, ambiguous)
                }
                InTarget::Subquery(_) | InTarget::Unnest(_) => {
                    self.pin_columns(scope, expr, pins, ambiguous)
                }
                // `IN (empty list)` matches nothing; SQLite `IN table` is not read as a filter.
                _ => {}
            },
            Expr::AnyOp {
                left,
                compare_op: BinaryOperator::Eq,
                ..
            } => self.pin_columns(scope, left, pins, ambiguous),
            _ => {}
        }
    }

    pub(super) fn pin_columns(
        &self,
        scope: &Scope<'_>,
        e: &Expr,
        pins: &mut Vec<usize>,
        ambiguous: &mut Vec<String>,
    ) {
        let items: Vec<&Expr> = match strip(e) {
            Expr::Tuple(v) => v.iter().collect(),
            other => vec![other],
        };
        for item in items {
            match self.resolve(scope, item) {
                Res::Local(i, col) if self.tenant_col(&scope.bindings[i], &col) => pins.push(i),
                Res::Ambiguous(col) if self.is_tenantish(&col) => ambiguous.push(col),
                _ => {}
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn equality(
        &self,
        scope: &Scope<'_>,
        a: &Expr,
        b: &Expr,
        pins: &mut Vec<usize>,
        edges: &mut Vec<(usize, usize)>,
        ambiguous: &mut Vec<String>,
        can: &dyn Fn(usize) -> bool,
    ) {
        let ra = self.resolve(scope, a);
        let rb = self.resolve(scope, b);
        for (x, y) in [(&ra, &rb), (&rb, &ra)] {
            match x {
                Res::Local(i, col) if self.tenant_col(&scope.bindings[*i], col) => match y {
                    Res::Local(j, col2) => {
                        if j != i && self.tenant_col(&scope.bindings[*j], col2) && can(*i) {
                            edges.push((*j, *i));
                        }
                    }
                    Res::Ambiguous(_) => {}
                    Res::Value => pins.push(*i),
                },
                Res::Ambiguous(col) if self.is_tenantish(col) => {
                    if matches!(y, Res::Value) {
                        ambiguous.push(col.clone());
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
