//! The sqlparser visitors the walk uses; each stops at nested queries, which are scopes of their own.

use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, Expr, Query, Visit, Visitor};

use super::{Analyzer, Skip};

/// Finds the outermost queries below a node and analyses them.
pub(super) struct Finder<'a, 't> {
    pub(super) an: &'a mut Analyzer<'t>,
    pub(super) skip: &'a Skip,
    pub(super) depth: usize,
}

impl Visitor for Finder<'_, '_> {
    type Break = ();

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if self.depth == 0 && !self.skip.contains(&(q as *const Query)) {
            self.an.query(q);
        }
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}

/// Calls `f` on every expression of `node` that is not inside a nested query, until `f` breaks.
pub(super) fn top_level_exprs<V: Visit + ?Sized>(
    node: &V,
    f: impl FnMut(&Expr) -> ControlFlow<()>,
) -> ControlFlow<()> {
    struct TopLevel<F> {
        depth: usize,
        f: F,
    }
    impl<F: FnMut(&Expr) -> ControlFlow<()>> Visitor for TopLevel<F> {
        type Break = ();
        fn pre_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if self.depth == 0 {
                (self.f)(e)
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    node.visit(&mut TopLevel { depth: 0, f })
}

/// Identifier expressions outside subqueries (cloned: they are small).
pub(super) fn column_exprs(e: &Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    let _ = top_level_exprs(e, |x| {
        if matches!(x, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            out.push(x.clone());
        }
        ControlFlow::Continue(())
    });
    out
}

/// Whether `e` has an OR (outside subqueries).
pub(super) fn contains_or(e: &Expr) -> bool {
    top_level_exprs(e, |x| match x {
        Expr::BinaryOp {
            op: BinaryOperator::Or | BinaryOperator::Xor,
            ..
        } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}
