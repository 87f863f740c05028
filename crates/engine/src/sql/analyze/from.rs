//! FROM and JOIN: the bindings of a scope (tables, derived tables, CTEs, table functions), the
//! join constraints that link them, and how a column reference resolves to one of them.

use sqlparser::ast::{
    Expr, Ident, JoinConstraint, JoinOperator, Query, TableAlias, TableFactor, TableWithJoins,
};

use super::{Analyzer, Binding, ColEq, Kind, Pred, Res, Scope, Skip};
use crate::sql::norm_ident;
use crate::sql::schema::{bare_table_name, object_name};

impl Analyzer<'_> {
    pub(super) fn push_table(
        &mut self,
        scope: &mut Scope<'_>,
        full: &str,
        alias: Option<&TableAlias>,
    ) {
        self.note_table(&bare_table_name(full));
        let b = self.table_binding(full, alias.map(|a| &a.name));
        scope.bindings.push(b);
    }

    /// The binding of base table `full` (bare or qualified) under `alias`.
    pub(super) fn table_binding(&self, full: &str, alias: Option<&Ident>) -> Binding {
        let bare = bare_table_name(full);
        Binding {
            name: alias
                .map(|a| norm_ident(&a.value))
                .unwrap_or_else(|| bare.clone()),
            kind: Kind::Table,
            tenant: self.tenancy.tenant_columns(full),
            columns: self.tenancy.schema.table(&bare).map(|t| t.columns.clone()),
            table: bare,
            pre_scoped: false,
        }
    }

    pub(super) fn table_with_joins<'q>(
        &mut self,
        twj: &'q TableWithJoins,
        scope: &mut Scope<'q>,
        skip: &mut Skip,
    ) {
        let start = scope.bindings.len();
        self.factor(&twj.relation, scope, skip);
        for j in &twj.joins {
            let left_end = scope.bindings.len();
            self.factor(&j.relation, scope, skip);
            let right_end = scope.bindings.len();
            let lefts: Vec<usize> = (start..left_end).collect();
            let rights: Vec<usize> = (left_end..right_end).collect();
            use JoinOperator as J;
            let (constraint, filterable) = match &j.join_operator {
                J::Left(c) | J::LeftOuter(c) => (Some(c), Some(rights.clone())),
                J::Right(c) | J::RightOuter(c) => (Some(c), Some(lefts.clone())),
                J::FullOuter(c) => (Some(c), Some(Vec::new())),
                J::Join(c)
                | J::Inner(c)
                | J::CrossJoin(c)
                | J::Semi(c)
                | J::LeftSemi(c)
                | J::RightSemi(c)
                | J::Anti(c)
                | J::LeftAnti(c)
                | J::RightAnti(c)
                | J::StraightJoin(c) => (Some(c), None),
                J::AsOf { constraint, .. } => (Some(constraint), None),
                _ => (None, None),
            };
            match constraint {
                Some(JoinConstraint::On(e)) => scope.preds.push(Pred {
                    expr: e,
                    filterable,
                }),
                Some(JoinConstraint::Using(names)) => {
                    for n in names {
                        if let Some(col) = last_ident(n) {
                            self.link(scope, &lefts, &rights, &col, &filterable);
                        }
                    }
                }
                Some(JoinConstraint::Natural) => {
                    let cols: Vec<String> =
                        self.tenancy.columns.iter().map(|c| norm_ident(c)).collect();
                    for col in cols {
                        if lefts
                            .iter()
                            .any(|&l| self.could_have(&scope.bindings[l], &col))
                            && rights
                                .iter()
                                .any(|&r| self.could_have(&scope.bindings[r], &col))
                        {
                            self.link(scope, &lefts, &rights, &col, &filterable);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// `USING (col)`: join equalities between the left and right items on `col`.
    pub(super) fn link(
        &self,
        scope: &mut Scope<'_>,
        lefts: &[usize],
        rights: &[usize],
        col: &str,
        filterable: &Option<Vec<usize>>,
    ) {
        let can = |i: usize| filterable.as_ref().is_none_or(|f| f.contains(&i));
        for &r in rights {
            for &l in lefts {
                let (bl, br) = (&scope.bindings[l], &scope.bindings[r]);
                if self.tenant_col(bl, col) && self.tenant_col(br, col) {
                    if can(r) {
                        scope.edges.push((l, r));
                    }
                    if can(l) {
                        scope.edges.push((r, l));
                    }
                }
                if self.could_have(bl, col) && self.could_have(br, col) {
                    scope.col_eqs.push(ColEq {
                        a: l,
                        a_col: col.to_string(),
                        b: r,
                        b_col: col.to_string(),
                        filters_a: can(l),
                        filters_b: can(r),
                    });
                }
            }
        }
        let owner = lefts
            .iter()
            .chain(rights)
            .copied()
            .find(|&i| self.could_have(&scope.bindings[i], col));
        if let Some(o) = owner {
            scope.merged.push((col.to_string(), o));
        }
    }

    pub(super) fn factor<'q>(
        &mut self,
        tf: &'q TableFactor,
        scope: &mut Scope<'q>,
        skip: &mut Skip,
    ) {
        match tf {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                let mut full = object_name(name);
                let mut alias = alias.as_ref();
                // sqlparser reads Postgres `FROM ONLY orders` as table `only` aliased `orders`.
                if let (Some(a), [part]) = (alias, name.0.as_slice()) {
                    let only = part.as_ident().is_some_and(|i| {
                        i.quote_style.is_none() && i.value.eq_ignore_ascii_case("only")
                    });
                    if only && !a.explicit && a.columns.is_empty() {
                        full = a.name.value.clone();
                        alias = None;
                    }
                }
                let alias = alias.cloned();
                if args.is_some() {
                    scope.bindings.push(function_binding(&alias, &full));
                    return;
                }
                let cte = if name.0.len() == 1 {
                    let n = norm_ident(&full);
                    self.ctes.iter().rev().find(|c| c.name == n)
                } else {
                    None
                };
                if let Some(cte) = cte {
                    let out = cte.out.clone();
                    scope.bindings.push(Binding {
                        name: alias
                            .as_ref()
                            .map(|a| norm_ident(&a.name.value))
                            .unwrap_or_else(|| cte.name.clone()),
                        kind: Kind::Derived,
                        table: String::new(),
                        tenant: None,
                        columns: alias_columns(alias.as_ref()).or(out.columns),
                        pre_scoped: out.scoped,
                    });
                } else {
                    self.push_table(scope, &full, alias.as_ref());
                }
            }
            TableFactor::Derived {
                subquery, alias, ..
            } => {
                skip.insert(&**subquery as *const Query);
                let out = self.query(subquery);
                scope.bindings.push(Binding {
                    name: alias
                        .as_ref()
                        .map(|a| norm_ident(&a.name.value))
                        .unwrap_or_default(),
                    kind: Kind::Derived,
                    table: String::new(),
                    tenant: None,
                    columns: alias_columns(alias.as_ref()).or(out.columns),
                    pre_scoped: out.scoped,
                });
            }
            TableFactor::NestedJoin {
                table_with_joins, ..
            } => self.table_with_joins(table_with_joins, scope, skip),
            TableFactor::Pivot { table, .. }
            | TableFactor::Unpivot { table, .. }
            | TableFactor::MatchRecognize { table, .. } => self.factor(table, scope, skip),
            TableFactor::Function { name, alias, .. } => {
                scope
                    .bindings
                    .push(function_binding(alias, &object_name(name)));
            }
            TableFactor::TableFunction { alias, .. }
            | TableFactor::UNNEST { alias, .. }
            | TableFactor::JsonTable { alias, .. }
            | TableFactor::OpenJsonTable { alias, .. } => {
                scope.bindings.push(function_binding(alias, ""));
            }
            _ => scope.bindings.push(function_binding(&None, "")),
        }
    }

    /// `col` is a tenant column of `b` (a tenant-owned table's, or a configured tenant column
    /// a derived table or CTE may carry).
    pub(super) fn tenant_col(&self, b: &Binding, col: &str) -> bool {
        match b.kind {
            Kind::Table => b
                .tenant
                .as_ref()
                .is_some_and(|t| t.iter().any(|c| c == col)),
            Kind::Derived => {
                self.is_configured(col)
                    && b.columns
                        .as_ref()
                        .is_none_or(|cs| cs.iter().any(|c| c == col))
            }
            Kind::Function => false,
        }
    }

    pub(super) fn is_configured(&self, col: &str) -> bool {
        self.tenancy.columns.iter().any(|c| norm_ident(c) == col)
    }

    pub(super) fn is_tenantish(&self, col: &str) -> bool {
        self.is_configured(col)
            || self
                .tenancy
                .overrides
                .values()
                .flatten()
                .any(|c| norm_ident(c) == col)
    }

    /// Whether an unqualified `col` could be a column of `b` (see the module docs).
    pub(super) fn could_have(&self, b: &Binding, col: &str) -> bool {
        match (&b.kind, &b.columns) {
            (_, Some(cols)) => cols.iter().any(|c| c == col),
            (Kind::Table, None) => {
                if self.is_configured(col) {
                    self.tenant_col(b, col)
                } else {
                    true
                }
            }
            (Kind::Derived, None) => true,
            (Kind::Function, None) => false,
        }
    }

    pub(super) fn resolve(&self, scope: &Scope<'_>, e: &Expr) -> Res {
        let mut e = e;
        loop {
            match e {
                Expr::Nested(inner) => e = inner,
                Expr::Cast { expr, .. } => e = expr,
                _ => break,
            }
        }
        match e {
            Expr::Identifier(id) => {
                if id.value.starts_with('@') {
                    return Res::Value;
                }
                let col = norm_ident(&id.value);
                if scope.bindings.len() == 1 {
                    return Res::Local(0, col);
                }
                if let Some((_, i)) = scope.merged.iter().find(|(c, _)| *c == col) {
                    return Res::Local(*i, col);
                }
                let cands: Vec<usize> = (0..scope.bindings.len())
                    .filter(|&i| self.could_have(&scope.bindings[i], &col))
                    .collect();
                match cands.len() {
                    0 => Res::Value,
                    1 => Res::Local(cands[0], col),
                    _ => Res::Ambiguous(col),
                }
            }
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                let col = norm_ident(&parts[parts.len() - 1].value);
                let qual = norm_ident(&parts[parts.len() - 2].value);
                match scope.bindings.iter().rposition(|b| b.name == qual) {
                    Some(i) => Res::Local(i, col),
                    None => Res::Value,
                }
            }
            _ => Res::Value,
        }
    }
}

pub(super) fn last_ident(n: &sqlparser::ast::ObjectName) -> Option<String> {
    n.0.last()
        .and_then(|p| p.as_ident())
        .map(|i: &Ident| norm_ident(&i.value))
}

pub(super) fn alias_columns(alias: Option<&TableAlias>) -> Option<Vec<String>> {
    let a = alias?;
    if a.columns.is_empty() {
        None
    } else {
        Some(
            a.columns
                .iter()
                .map(|c| norm_ident(&c.name.value))
                .collect(),
        )
    }
}

pub(super) fn function_binding(alias: &Option<TableAlias>, fallback: &str) -> Binding {
    let name = alias
        .as_ref()
        .map(|a| norm_ident(&a.name.value))
        .unwrap_or_else(|| bare_table_name(fallback));
    let columns = alias_columns(alias.as_ref()).or_else(|| {
        // Postgres names the single column of a scalar function after its alias.
        alias.as_ref().map(|_| vec![name.clone()])
    });
    Binding {
        name,
        kind: Kind::Function,
        table: String::new(),
        tenant: None,
        columns,
        pre_scoped: false,
    }
}
