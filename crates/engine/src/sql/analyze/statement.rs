//! The walk over statements and queries: each SELECT, UPDATE, DELETE and MERGE becomes a scope
//! (see `from`), judged by `predicates`; INSERT and COPY are checked for the tenant column.

use sqlparser::ast::{
    AssignmentTarget, CopySource, Delete, Expr, FromTable, Insert, Merge, OnConflict,
    OnConflictAction, OnInsert, Query, Select, SelectItem, SelectItemQualifiedWildcardKind,
    SetExpr, SqliteOnConflict, Statement, TableObject, Update, UpdateTableFromKind, Visit,
};

use super::from::alias_columns;
use super::from::last_ident;
use super::predicates::strip;
use super::reason::{Reason, Write};
use super::visitors::Finder;
use super::{Analyzer, Binding, CteInfo, Output, Pred, Scope, Skip, MAX_DEPTH};
use crate::sql::norm_ident;
use crate::sql::schema::{bare_table_name, object_name};

impl Analyzer<'_> {
    pub(super) fn statement(&mut self, s: &Statement) -> Output {
        match s {
            Statement::Query(q) => self.query(q),
            Statement::Insert(i) => self.insert(i),
            Statement::Update(u) => self.update(u),
            Statement::Delete(d) => self.delete(d),
            Statement::Merge(m) => self.merge(m),
            Statement::Explain { statement, .. } | Statement::Prepare { statement, .. } => {
                self.statement(statement)
            }
            Statement::Copy { source, to, .. } => self.copy(source, *to),
            Statement::Declare { stmts, .. } => {
                for d in stmts {
                    if let Some(q) = &d.for_query {
                        self.query(q);
                    }
                }
                Output::default()
            }
            _ => Output::default(),
        }
    }

    /// Analyses every query inside `node` that is not nested in another query of `node` and is
    /// not in `skip` (already analysed by the caller).
    pub(super) fn subqueries<V: Visit + ?Sized>(&mut self, node: &V, skip: &Skip) {
        let mut f = Finder {
            an: self,
            skip,
            depth: 0,
        };
        let _ = node.visit(&mut f);
    }

    pub(super) fn query(&mut self, q: &Query) -> Output {
        if self.depth >= MAX_DEPTH {
            self.too_deep = true;
            return Output::default();
        }
        self.depth += 1;
        let mark = self.ctes.len();
        if let Some(with) = &q.with {
            for cte in &with.cte_tables {
                let name = norm_ident(&cte.alias.name.value);
                if with.recursive {
                    // The self-reference of a recursive CTE is not a table; provisionally
                    // scoped (its base branch must be scoped anyway).
                    self.ctes.push(CteInfo {
                        name: name.clone(),
                        out: Output {
                            scoped: true,
                            columns: alias_columns(Some(&cte.alias)),
                        },
                    });
                }
                let mut out = self.query(&cte.query);
                if with.recursive {
                    self.ctes.pop();
                }
                if let Some(cols) = alias_columns(Some(&cte.alias)) {
                    out.columns = Some(cols);
                }
                self.ctes.push(CteInfo { name, out });
            }
        }
        let flagged = self.unscoped.len();
        let out = self.set_expr(&q.body);
        self.note_tenant_source(q, flagged);
        let skip = Skip::default();
        self.subqueries(&q.order_by, &skip);
        self.subqueries(&q.limit_clause, &skip);
        self.subqueries(&q.fetch, &skip);
        self.ctes.truncate(mark);
        self.depth -= 1;
        out
    }

    /// A subquery a tenant column is compared to, that leaves its own tables unscoped: the
    /// tables it flagged say whose tenant it was to give. Its row is picked by a value, not by
    /// the tenant, so the outer rows are any tenant's (as a key bound to a value pins a row of
    /// any tenant).
    fn note_tenant_source(&mut self, q: &Query, flagged: usize) {
        let Some(outer) = self
            .tenant_sources
            .iter()
            .find(|(p, _)| std::ptr::eq(*p, q))
            .map(|(_, t)| t.clone())
        else {
            return;
        };
        for u in &mut self.unscoped[flagged..] {
            let why = Reason::TenantFromSubquery {
                outer: outer.clone(),
                table: u.table.clone(),
            };
            u.reason = format!("{why} ({})", u.reason);
        }
    }

    /// UNION/INTERSECT/EXCEPT chains are walked iteratively (they can be long).
    pub(super) fn set_expr(&mut self, body: &SetExpr) -> Output {
        let mut stack = vec![body];
        let mut result: Option<Output> = None;
        while let Some(s) = stack.pop() {
            let out = match s {
                SetExpr::SetOperation { left, right, .. } => {
                    stack.push(right);
                    stack.push(left);
                    continue;
                }
                SetExpr::Select(sel) => self.select(sel),
                SetExpr::Query(q) => self.query(q),
                SetExpr::Values(v) => {
                    self.subqueries(v, &Skip::default());
                    Output::default()
                }
                SetExpr::Insert(st)
                | SetExpr::Update(st)
                | SetExpr::Delete(st)
                | SetExpr::Merge(st) => self.statement(st),
                SetExpr::Table(t) => {
                    // `TABLE name`: every row of the table.
                    let mut scope = Scope::default();
                    if let Some(name) = &t.table_name {
                        let full = match &t.schema_name {
                            Some(s) => format!("{}.{}", s.value, name.value),
                            None => name.value.clone(),
                        };
                        self.push_table(&mut scope, &full, None);
                    }
                    let scoped = self.judge(&scope);
                    Output {
                        scoped,
                        columns: None,
                    }
                }
            };
            result = Some(match result {
                None => out,
                Some(prev) => Output {
                    scoped: prev.scoped && out.scoped,
                    columns: prev.columns,
                },
            });
        }
        result.unwrap_or_default()
    }

    pub(super) fn select(&mut self, s: &Select) -> Output {
        let mut scope = Scope::default();
        let mut skip = Skip::default();
        for twj in &s.from {
            self.table_with_joins(twj, &mut scope, &mut skip);
        }
        if let Some(w) = &s.selection {
            scope.preds.push(Pred {
                expr: w,
                filterable: None,
            });
        }
        let scoped = self.judge(&scope);
        self.subqueries(s, &skip);
        Output {
            scoped,
            columns: list_columns(&s.projection, &scope.bindings),
        }
    }

    pub(super) fn insert(&mut self, i: &Insert) -> Output {
        let mut skip = Skip::default();
        let mut ok = false;
        let mut target = Vec::new();
        if let TableObject::TableName(name) = &i.table {
            let full = object_name(name);
            let bare = bare_table_name(&full);
            self.note_table(&bare);
            target.push(self.table_binding(&full, i.table_alias.as_ref().map(|a| &a.alias)));
            if let Some(cols) = self.tenancy.tenant_columns(&full) {
                let mut named: Vec<String> = i.columns.iter().filter_map(last_ident).collect();
                for a in &i.assignments {
                    match &a.target {
                        AssignmentTarget::ColumnName(n) => named.extend(last_ident(n)),
                        AssignmentTarget::Tuple(ns) => {
                            named.extend(ns.iter().filter_map(last_ident))
                        }
                    }
                }
                let upsert = i.replace_into
                    || matches!(i.or, Some(SqliteOnConflict::Replace))
                    || matches!(
                        &i.on,
                        Some(OnInsert::DuplicateKeyUpdate(_))
                            | Some(OnInsert::OnConflict(OnConflict {
                                action: OnConflictAction::DoUpdate(_),
                                ..
                            }))
                    );
                // A new row whose scope column is its primary key, left to the database: it
                // creates a tenant (or a root row); it cannot write another tenant's.
                ok = (!named.is_empty()
                    && !upsert
                    && self.tenancy.insert_generates_scope_key(&full, &named))
                    || self.check_columns(&bare, &cols, &named, Write::Insert);
            }
        }
        let mut source_scoped = true;
        if let Some(src) = &i.source {
            skip.insert(&**src as *const Query);
            let out = self.query(src);
            if !matches!(&*src.body, SetExpr::Values(_)) {
                source_scoped = out.scoped;
            }
        }
        self.subqueries(i, &skip);
        Output {
            scoped: ok && source_scoped,
            columns: returning_columns(i.returning.as_deref(), &target),
        }
    }

    /// A write into tenant-owned `bare` must name one of its tenant columns.
    pub(super) fn check_columns(
        &mut self,
        bare: &str,
        cols: &[String],
        named: &[String],
        write: Write,
    ) -> bool {
        if named.is_empty() {
            self.flag(
                bare,
                Reason::NoColumnList {
                    write,
                    table: bare.to_string(),
                    columns: cols.to_vec(),
                },
            );
            false
        } else if !cols.iter().any(|c| named.contains(c)) {
            self.flag(
                bare,
                Reason::DoesNotSet {
                    write,
                    columns: cols.to_vec(),
                },
            );
            false
        } else {
            true
        }
    }

    /// `COPY (query) TO`: the query; `COPY t TO`: every row of `t`; `COPY t FROM`: a write.
    pub(super) fn copy(&mut self, source: &CopySource, to: bool) -> Output {
        match source {
            CopySource::Query(q) => self.query(q),
            CopySource::Table {
                table_name,
                columns,
            } => {
                let full = object_name(table_name);
                let bare = bare_table_name(&full);
                self.note_table(&bare);
                if let Some(cols) = self.tenancy.tenant_columns(&full) {
                    if to {
                        self.flag(
                            &bare,
                            Reason::CopyTo {
                                table: bare.clone(),
                            },
                        );
                    } else {
                        let named: Vec<String> =
                            columns.iter().map(|c| norm_ident(&c.value)).collect();
                        self.check_columns(&bare, &cols, &named, Write::CopyFrom);
                    }
                }
                Output::default()
            }
        }
    }

    pub(super) fn update(&mut self, u: &Update) -> Output {
        let mut scope = Scope::default();
        let mut skip = Skip::default();
        self.table_with_joins(&u.table, &mut scope, &mut skip);
        if let Some(UpdateTableFromKind::BeforeSet(v) | UpdateTableFromKind::AfterSet(v)) = &u.from
        {
            for twj in v {
                self.table_with_joins(twj, &mut scope, &mut skip);
            }
        }
        self.finish_write(
            scope,
            u.selection.as_ref(),
            u.returning.as_deref(),
            u,
            &skip,
        )
    }

    pub(super) fn delete(&mut self, d: &Delete) -> Output {
        let mut scope = Scope::default();
        let mut skip = Skip::default();
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &d.from;
        for twj in from {
            self.table_with_joins(twj, &mut scope, &mut skip);
        }
        for twj in d.using.iter().flatten() {
            self.table_with_joins(twj, &mut scope, &mut skip);
        }
        self.finish_write(
            scope,
            d.selection.as_ref(),
            d.returning.as_deref(),
            d,
            &skip,
        )
    }

    /// The end of an UPDATE or DELETE: its WHERE is a predicate of its own scope, the scope is
    /// judged, and the subqueries anywhere in the statement are analysed on their own.
    pub(super) fn finish_write<'s, V: Visit + ?Sized>(
        &mut self,
        mut scope: Scope<'s>,
        selection: Option<&'s Expr>,
        returning: Option<&[SelectItem]>,
        node: &V,
        skip: &Skip,
    ) -> Output {
        if let Some(w) = selection {
            scope.preds.push(Pred {
                expr: w,
                filterable: None,
            });
        }
        let scoped = self.judge(&scope);
        self.subqueries(node, skip);
        Output {
            scoped,
            columns: returning_columns(returning, &scope.bindings),
        }
    }

    pub(super) fn merge(&mut self, m: &Merge) -> Output {
        let mut scope = Scope::default();
        let mut skip = Skip::default();
        self.factor(&m.table, &mut scope, &mut skip);
        self.factor(&m.source, &mut scope, &mut skip);
        scope.preds.push(Pred {
            expr: &m.on,
            filterable: None,
        });
        let scoped = self.judge(&scope);
        self.subqueries(m, &skip);
        Output {
            scoped,
            columns: None,
        }
    }
}

/// What a write yields to an enclosing `WITH`: its RETURNING list, or no column at all (a
/// CTE over a write without RETURNING has no rows to join).
fn returning_columns(
    returning: Option<&[SelectItem]>,
    bindings: &[Binding],
) -> Option<Vec<String>> {
    match returning {
        Some(items) => list_columns(items, bindings),
        None => Some(Vec::new()),
    }
}

/// Names a select or RETURNING list yields over `bindings`: a wildcard stands for the columns
/// of the bindings it covers, when they are all known (`None` otherwise).
fn list_columns(items: &[SelectItem], bindings: &[Binding]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for item in items {
        let covered: Vec<&Binding> = match item {
            SelectItem::Wildcard(_) => bindings.iter().collect(),
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(n), _) => {
                let q = last_ident(n)?;
                bindings.iter().filter(|b| b.name == q).collect()
            }
            SelectItem::QualifiedWildcard(..) => return None,
            other => {
                out.extend(projection_columns(std::slice::from_ref(other))?);
                continue;
            }
        };
        if covered.is_empty() {
            return None;
        }
        for b in covered {
            out.extend(b.columns.clone()?);
        }
    }
    Some(out)
}

/// Names a select list yields (`None` when it has a wildcard).
fn projection_columns(items: &[SelectItem]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for item in items {
        match item {
            SelectItem::UnnamedExpr(e) => match strip(e) {
                Expr::Identifier(i) => out.push(norm_ident(&i.value)),
                Expr::CompoundIdentifier(parts) => {
                    if let Some(last) = parts.last() {
                        out.push(norm_ident(&last.value));
                    }
                }
                _ => {}
            },
            SelectItem::ExprWithAlias { alias, .. } => out.push(norm_ident(&alias.value)),
            SelectItem::ExprWithAliases { aliases, .. } => {
                out.extend(aliases.iter().map(|a| norm_ident(&a.value)))
            }
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => return None,
        }
    }
    Some(out)
}

/// Output column names of a query (first branch of a set operation), `None` when unknown.
pub(crate) fn query_output_columns(q: &Query) -> Option<Vec<String>> {
    let mut body: &SetExpr = &q.body;
    loop {
        match body {
            SetExpr::Select(s) => return projection_columns(&s.projection),
            SetExpr::Query(q) => body = &q.body,
            SetExpr::SetOperation { left, .. } => body = left,
            _ => return None,
        }
    }
}
