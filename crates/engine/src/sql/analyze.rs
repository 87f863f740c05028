//! Which table references in a SQL text lack a tenant predicate (DESIGN.md §4 "Queries").
//!
//! # The rule
//!
//! Each SELECT, UPDATE, DELETE and MERGE is a *scope*: the tables of its FROM/JOIN (UPDATE
//! target and `FROM`, DELETE `FROM` and `USING`) plus its WHERE and JOIN ON predicates. Every
//! tenant-owned table in a scope must be *scoped*:
//!
//! * directly, by a top-level AND-conjunct of WHERE or of a JOIN ON: `col = <expr>` (either
//!   side; also `<=>` and `IS NOT DISTINCT FROM`, and element-wise for row values
//!   `(org_id, id) = ($1, $2)`), `col IN (..)` (list or subquery, not `NOT IN`), `col = ANY(..)`
//!   / `SOME(..)`, where `col` is one of the table's tenant columns and `<expr>` is not a column
//!   of the same scope (a placeholder, literal, function, subquery or outer column);
//! * or through a join equality `a.col = b.col` (ON or WHERE), `USING (col)` or `NATURAL JOIN`,
//!   on tenant columns of both tables, to a table of the same scope that is scoped (transitively);
//!   a derived table or CTE whose own body is fully scoped counts as a scoped partner.
//!
//! A predicate in the ON of an outer join only filters the table(s) on its null-extended side
//! (LEFT JOIN: the joined table; RIGHT JOIN: the tables before it; FULL JOIN: none).
//! An OR above a predicate voids it. Columns in the select list, ORDER BY, GROUP BY, HAVING or
//! in strings count for nothing. Subqueries (WHERE, select list, FROM, HAVING, ...), CTE bodies
//! and every UNION/INTERSECT/EXCEPT branch are scopes of their own. A CTE name in FROM is not a
//! table; table-valued functions, `UNNEST` and `VALUES` are not tables.
//!
//! INSERT into a tenant-owned table must name one of its tenant columns in its column list (or
//! MySQL `SET` list); `INSERT .. SELECT` also needs its SELECT scoped; `ON CONFLICT .. DO UPDATE`
//! adds nothing to check. Non-DML statements have no tables to flag (`EXPLAIN` and `PREPARE`
//! are looked through, `DECLARE .. CURSOR FOR` and `COPY (query)` are analysed; `COPY t TO`
//! reads every row of `t`; `COPY t FROM` must list a tenant column, like INSERT).
//!
//! # Unqualified columns
//!
//! An unqualified column belongs to (1) the one table-like item of the scope when there is only
//! one; else (2) the table a `USING`/`NATURAL` join merged the column into; else (3) the only item
//! that *could* have it: a table the schema defines could have exactly its columns; a table the
//! schema does not define could have any non-tenant column, and a configured tenant column only
//! when it is tenant-owned (a global or system table is assumed not to carry the tenant column);
//! a derived table or CTE could have its projected names (anything when it projects `*`); a
//! table function only its alias columns. With two or more candidates the column is ambiguous
//! and scopes nothing (the reason says to qualify it); with none it is an outer reference.

use std::collections::HashSet;
use std::fmt;
use std::ops::ControlFlow;

use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, CopySource, Delete, Expr, FromTable, Ident, Insert,
    JoinConstraint, JoinOperator, Merge, Query, Select, SelectItem, SetExpr, Statement, TableAlias,
    TableFactor, TableObject, TableWithJoins, Update, UpdateTableFromKind, Visit, Visitor,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::schema::{bare_table_name, object_name, Tenancy, MAX_STATEMENT_TOKENS};
use super::{norm_ident, Dialect};

/// A tenant-owned table that a statement does not pin to one tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unscoped {
    /// Bare, lower-cased table name.
    pub table: String,
    /// Why, e.g. "no tenant predicate", "`orders` is filtered only inside an OR",
    /// "INSERT does not set `org_id`".
    pub reason: String,
}

/// The result of analysing one SQL text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Number of statements parsed.
    pub statements: usize,
    /// Every table referenced (bare, lower-cased, first-seen order, deduplicated); CTE names,
    /// derived tables and table functions are not tables.
    pub tables: Vec<String>,
    /// Unscoped tenant-owned tables, one per table name (first reason kept), in first-seen order.
    pub unscoped: Vec<Unscoped>,
}

/// SQL the parser rejected (with the requested dialect and with the generic one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlParseError {
    /// The first parser's message, without sqlparser's `sql parser error: ` prefix.
    pub message: String,
}

impl fmt::Display for SqlParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SqlParseError {}

/// Analyses `sql` (one or more statements; comments and `$1` / `?` / `?1` / `:name` / `@name`
/// placeholders allowed) parsed with `dialect`, retrying with the generic dialect when that
/// fails; when both fail, the error carries the first parser's message. Never panics.
pub fn analyze(sql: &str, dialect: Dialect, tenancy: &Tenancy) -> Result<Analysis, SqlParseError> {
    let statements = match parse(sql, dialect) {
        Ok(s) => s,
        Err(first) if dialect != Dialect::Generic => {
            parse(sql, Dialect::Generic).map_err(|_| first)?
        }
        Err(e) => return Err(e),
    };
    let mut an = Analyzer {
        tenancy,
        ctes: Vec::new(),
        tables: Vec::new(),
        unscoped: Vec::new(),
        depth: 0,
        too_deep: false,
    };
    for s in &statements {
        an.statement(s);
    }
    if an.too_deep {
        return Err(SqlParseError {
            message: format!("query nested more than {MAX_DEPTH} levels deep"),
        });
    }
    Ok(Analysis {
        statements: statements.len(),
        tables: an.tables,
        unscoped: an.unscoped,
    })
}

/// Deeper query nesting than this is refused (sqlparser's own limit is lower).
const MAX_DEPTH: usize = 200;

fn parse(sql: &str, dialect: Dialect) -> Result<Vec<Statement>, SqlParseError> {
    let d = dialect.parser_dialect();
    let tokens = Tokenizer::new(d.as_ref(), sql)
        .tokenize_with_location()
        .map_err(|e| SqlParseError {
            message: e.to_string(),
        })?;
    let significant = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .count();
    if significant > MAX_STATEMENT_TOKENS {
        // Long operator chains become left-deep trees that sqlparser cannot drop without
        // overflowing the stack: refuse them up front.
        return Err(SqlParseError {
            message: format!(
                "SQL too long to analyse ({significant} tokens, limit {MAX_STATEMENT_TOKENS})"
            ),
        });
    }
    Parser::new(d.as_ref())
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| {
            let m = e.to_string();
            SqlParseError {
                message: m
                    .strip_prefix("sql parser error: ")
                    .unwrap_or(&m)
                    .to_string(),
            }
        })
}

/// What a query yields, as seen by an enclosing scope that uses it as a derived table or CTE.
#[derive(Clone, Debug, Default)]
struct Output {
    /// Every branch reads at least one tenant-owned table (or scoped CTE) and all of them are
    /// scoped: the rows belong to one tenant.
    scoped: bool,
    /// Output column names, `None` when unknown (`*`).
    columns: Option<Vec<String>>,
}

struct CteInfo {
    name: String,
    out: Output,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Table,
    Derived,
    Function,
}

#[derive(Debug)]
struct Binding {
    /// What qualifies its columns: the alias, else the bare table name ("" when none).
    name: String,
    kind: Kind,
    /// Bare table name, for base tables.
    table: String,
    /// Tenant columns when it is a tenant-owned base table.
    tenant: Option<Vec<String>>,
    /// Known columns (`None` = unknown).
    columns: Option<Vec<String>>,
    /// A derived table or CTE whose body is fully scoped.
    pre_scoped: bool,
}

/// A predicate (WHERE or ON) and which bindings it can filter (`None` = all).
struct Pred<'q> {
    expr: &'q Expr,
    filterable: Option<Vec<usize>>,
}

#[derive(Default)]
struct Scope<'q> {
    bindings: Vec<Binding>,
    /// Columns merged by `USING`/`NATURAL`: unqualified references resolve to this binding.
    merged: Vec<(String, usize)>,
    preds: Vec<Pred<'q>>,
    /// Directed: if `.0` is scoped then `.1` is.
    edges: Vec<(usize, usize)>,
}

enum Res {
    Local(usize, String),
    Ambiguous(String),
    /// Not a column of this scope: a value as far as this scope is concerned.
    Value,
}

struct Analyzer<'t> {
    tenancy: &'t Tenancy,
    ctes: Vec<CteInfo>,
    tables: Vec<String>,
    unscoped: Vec<Unscoped>,
    depth: usize,
    too_deep: bool,
}

type Skip = HashSet<*const Query>;

impl<'t> Analyzer<'t> {
    fn note_table(&mut self, t: &str) {
        if !self.tables.iter().any(|x| x == t) {
            self.tables.push(t.to_string());
        }
    }

    fn flag(&mut self, table: &str, reason: String) {
        if !self.unscoped.iter().any(|u| u.table == table) {
            self.unscoped.push(Unscoped {
                table: table.to_string(),
                reason,
            });
        }
    }

    fn statement(&mut self, s: &Statement) -> Output {
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
            Statement::Declare { stmts } => {
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
    fn subqueries<V: Visit + ?Sized>(&mut self, node: &V, skip: &Skip) {
        let mut f = Finder {
            an: self,
            skip,
            depth: 0,
        };
        let _ = node.visit(&mut f);
    }

    fn query(&mut self, q: &Query) -> Output {
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
        let out = self.set_expr(&q.body);
        let skip = Skip::new();
        self.subqueries(&q.order_by, &skip);
        self.subqueries(&q.limit_clause, &skip);
        self.subqueries(&q.fetch, &skip);
        self.ctes.truncate(mark);
        self.depth -= 1;
        out
    }

    /// UNION/INTERSECT/EXCEPT chains are walked iteratively (they can be long).
    fn set_expr(&mut self, body: &SetExpr) -> Output {
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
                    self.subqueries(v, &Skip::new());
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
                            Some(s) => format!("{s}.{name}"),
                            None => name.clone(),
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

    fn select(&mut self, s: &Select) -> Output {
        let mut scope = Scope::default();
        let mut skip = Skip::new();
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
            columns: projection_columns(&s.projection),
        }
    }

    fn insert(&mut self, i: &Insert) -> Output {
        let mut skip = Skip::new();
        let mut ok = false;
        if let TableObject::TableName(name) = &i.table {
            let full = object_name(name);
            let bare = bare_table_name(&full);
            self.note_table(&bare);
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
                ok = self.check_columns(&bare, &cols, &named, "INSERT");
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
            columns: None,
        }
    }

    /// A write into tenant-owned `bare` must name one of its tenant columns.
    fn check_columns(&mut self, bare: &str, cols: &[String], named: &[String], verb: &str) -> bool {
        let listed = cols.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>();
        if named.is_empty() {
            self.flag(
                bare,
                format!(
                    "{verb} into `{bare}` has no column list, so it cannot be seen to set {}",
                    listed.join(" or ")
                ),
            );
            false
        } else if !cols.iter().any(|c| named.contains(c)) {
            self.flag(bare, format!("{verb} does not set {}", listed.join(" or ")));
            false
        } else {
            true
        }
    }

    /// `COPY (query) TO`: the query; `COPY t TO`: every row of `t`; `COPY t FROM`: a write.
    fn copy(&mut self, source: &CopySource, to: bool) -> Output {
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
                            format!("COPY `{bare}` TO exports every tenant's rows"),
                        );
                    } else {
                        let named: Vec<String> =
                            columns.iter().map(|c| norm_ident(&c.value)).collect();
                        self.check_columns(&bare, &cols, &named, "COPY .. FROM");
                    }
                }
                Output::default()
            }
        }
    }

    fn update(&mut self, u: &Update) -> Output {
        let mut scope = Scope::default();
        let mut skip = Skip::new();
        self.table_with_joins(&u.table, &mut scope, &mut skip);
        if let Some(UpdateTableFromKind::BeforeSet(v) | UpdateTableFromKind::AfterSet(v)) = &u.from
        {
            for twj in v {
                self.table_with_joins(twj, &mut scope, &mut skip);
            }
        }
        self.finish_write(scope, u.selection.as_ref(), u, &skip)
    }

    fn delete(&mut self, d: &Delete) -> Output {
        let mut scope = Scope::default();
        let mut skip = Skip::new();
        let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) = &d.from;
        for twj in from {
            self.table_with_joins(twj, &mut scope, &mut skip);
        }
        for twj in d.using.iter().flatten() {
            self.table_with_joins(twj, &mut scope, &mut skip);
        }
        self.finish_write(scope, d.selection.as_ref(), d, &skip)
    }

    /// The end of an UPDATE or DELETE: its WHERE is a predicate of its own scope, the scope is
    /// judged, and the subqueries anywhere in the statement are analysed on their own.
    fn finish_write<'s, V: Visit + ?Sized>(
        &mut self,
        mut scope: Scope<'s>,
        selection: Option<&'s Expr>,
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
            columns: None,
        }
    }

    fn merge(&mut self, m: &Merge) -> Output {
        let mut scope = Scope::default();
        let mut skip = Skip::new();
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

    fn push_table(&mut self, scope: &mut Scope<'_>, full: &str, alias: Option<&TableAlias>) {
        let bare = bare_table_name(full);
        self.note_table(&bare);
        let tenant = self.tenancy.tenant_columns(full);
        let columns = self.tenancy.schema.table(&bare).map(|t| t.columns.clone());
        scope.bindings.push(Binding {
            name: alias
                .map(|a| norm_ident(&a.name.value))
                .unwrap_or_else(|| bare.clone()),
            kind: Kind::Table,
            table: bare,
            tenant,
            columns,
            pre_scoped: false,
        });
    }

    fn table_with_joins<'q>(
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
    fn link(
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
                if self.tenant_col(&scope.bindings[l], col)
                    && self.tenant_col(&scope.bindings[r], col)
                {
                    if can(r) {
                        scope.edges.push((l, r));
                    }
                    if can(l) {
                        scope.edges.push((r, l));
                    }
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

    fn factor<'q>(&mut self, tf: &'q TableFactor, scope: &mut Scope<'q>, skip: &mut Skip) {
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
    fn tenant_col(&self, b: &Binding, col: &str) -> bool {
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

    fn is_configured(&self, col: &str) -> bool {
        self.tenancy.columns.iter().any(|c| norm_ident(c) == col)
    }

    fn is_tenantish(&self, col: &str) -> bool {
        self.is_configured(col)
            || self
                .tenancy
                .overrides
                .values()
                .any(|c| norm_ident(c) == col)
    }

    /// Whether an unqualified `col` could be a column of `b` (see the module docs).
    fn could_have(&self, b: &Binding, col: &str) -> bool {
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

    fn resolve(&self, scope: &Scope<'_>, e: &Expr) -> Res {
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

    /// Decides which tenant-owned tables of `scope` are scoped, flags the others; returns
    /// whether the scope's rows are all pinned to a tenant.
    fn judge(&mut self, scope: &Scope<'_>) -> bool {
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
                format!("`{}` is filtered only inside an OR", b.table)
            } else if let Some(col) = ambiguous.iter().find(|c| cols.contains(c)) {
                format!(
                    "unqualified `{col}` is ambiguous between the tables of this query; qualify it as `{}.{col}`",
                    b.name
                )
            } else if edges.iter().any(|&(_, to)| to == i) {
                format!(
                    "`{}` is joined on its tenant column only to tables that are not scoped",
                    b.table
                )
            } else {
                "no tenant predicate".to_string()
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
            Expr::InList {
                expr,
                list,
                negated: false,
            } if !list.is_empty() => self.pin_columns(scope, expr, pins, ambiguous),
            Expr::InSubquery {
                expr,
                negated: false,
                ..
            }
            | Expr::InUnnest {
                expr,
                negated: false,
                ..
            } => self.pin_columns(scope, expr, pins, ambiguous),
            Expr::AnyOp {
                left,
                compare_op: BinaryOperator::Eq,
                ..
            } => self.pin_columns(scope, left, pins, ambiguous),
            _ => {}
        }
    }

    fn pin_columns(
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
    fn equality(
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
    fn column_refs(&self, scope: &Scope<'_>, e: &Expr) -> Vec<(usize, String)> {
        let mut v = ColumnCollector {
            exprs: Vec::new(),
            depth: 0,
        };
        let _ = e.visit(&mut v);
        v.exprs
            .iter()
            .filter_map(|x| match self.resolve(scope, x) {
                Res::Local(i, c) => Some((i, c)),
                _ => None,
            })
            .collect()
    }
}

/// Finds the outermost queries below a node and analyses them.
struct Finder<'a, 't> {
    an: &'a mut Analyzer<'t>,
    skip: &'a Skip,
    depth: usize,
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

/// Identifier expressions outside subqueries (cloned: they are small).
struct ColumnCollector {
    exprs: Vec<Expr>,
    depth: usize,
}

impl Visitor for ColumnCollector {
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
        if self.depth == 0 && matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
            self.exprs.push(e.clone());
        }
        ControlFlow::Continue(())
    }
}

/// Whether `e` has an OR (outside subqueries).
fn contains_or(e: &Expr) -> bool {
    struct OrFinder {
        depth: usize,
    }
    impl Visitor for OrFinder {
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
            match e {
                Expr::BinaryOp {
                    op: BinaryOperator::Or | BinaryOperator::Xor,
                    ..
                } if self.depth == 0 => ControlFlow::Break(()),
                _ => ControlFlow::Continue(()),
            }
        }
    }
    e.visit(&mut OrFinder { depth: 0 }).is_break()
}

/// Top-level AND-conjuncts (through parentheses), iteratively.
fn conjuncts(e: &Expr) -> Vec<&Expr> {
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

fn strip(e: &Expr) -> &Expr {
    let mut e = e;
    while let Expr::Nested(inner) = e {
        e = inner;
    }
    e
}

fn last_ident(n: &sqlparser::ast::ObjectName) -> Option<String> {
    n.0.last()
        .and_then(|p| p.as_ident())
        .map(|i: &Ident| norm_ident(&i.value))
}

fn alias_columns(alias: Option<&TableAlias>) -> Option<Vec<String>> {
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

fn function_binding(alias: &Option<TableAlias>, fallback: &str) -> Binding {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::sql::schema::Schema;

    fn tenancy() -> Tenancy {
        Tenancy {
            columns: [
                "tenant_id",
                "org_id",
                "organization_id",
                "organisation_id",
                "workspace_id",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            overrides: BTreeMap::new(),
            global_tables: vec!["plans".into(), "schema_migrations".into()],
            schema: Schema::default(),
        }
    }

    /// A tenancy whose schema comes from this migration.
    fn with_schema(migration: &str) -> Tenancy {
        let mut t = tenancy();
        t.schema.apply_migration(migration, Dialect::Postgres);
        t.overrides.insert("organisations".into(), "id".into());
        t
    }

    const SCHEMA: &str = "
        CREATE TABLE organisations (id uuid primary key, name text);
        CREATE TABLE users (id uuid, org_id uuid, email text);
        CREATE TABLE orders (id bigint, org_id uuid, user_id uuid, total int);
        CREATE TABLE items (id bigint, order_id bigint, org_id uuid, sku text);
        CREATE TABLE countries (code text, name text);
        CREATE TABLE notes (id bigint, order_id bigint, body text);
    ";

    fn run(sql: &str, dialect: Dialect, t: &Tenancy) -> Vec<String> {
        match analyze(sql, dialect, t) {
            Ok(a) => a.unscoped.into_iter().map(|u| u.table).collect(),
            Err(e) => panic!("parse error for {sql:?}: {}", e.message),
        }
    }

    /// Runs a table of `(sql, expected unscoped tables)`, reporting every mismatch at once.
    fn table(dialect: Dialect, t: &Tenancy, cases: &[(&str, &[&str])]) {
        let mut failures = Vec::new();
        for (sql, expected) in cases {
            match analyze(sql, dialect, t) {
                Ok(a) => {
                    let got: Vec<&str> = a.unscoped.iter().map(|u| u.table.as_str()).collect();
                    if got != *expected {
                        failures.push(format!(
                            "\n  SQL:      {sql}\n  expected: {expected:?}\n  got:      {got:?}\n  reasons:  {:?}",
                            a.unscoped.iter().map(|u| &u.reason).collect::<Vec<_>>()
                        ));
                    }
                }
                Err(e) => failures.push(format!("\n  SQL: {sql}\n  parse error: {}", e.message)),
            }
        }
        assert!(
            failures.is_empty(),
            "{} case(s) failed:{}",
            failures.len(),
            failures.join("")
        );
    }

    fn reason(sql: &str, t: &Tenancy, table: &str) -> String {
        let a =
            analyze(sql, Dialect::Postgres, t).unwrap_or_else(|e| panic!("{sql}: {}", e.message));
        a.unscoped
            .into_iter()
            .find(|u| u.table == table)
            .unwrap_or_else(|| panic!("`{table}` not flagged in {sql}"))
            .reason
    }

    #[test]
    fn select_basic() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("SELECT * FROM orders WHERE org_id = $1", &[]),
                ("SELECT * FROM orders WHERE $1 = org_id", &[]),
                ("SELECT * FROM orders WHERE id = $1", &["orders"]),
                ("SELECT * FROM orders", &["orders"]),
                ("SELECT * FROM orders WHERE tenant_id = $1 AND id = $2", &[]),
                (
                    "SELECT * FROM orders WHERE id = $2 AND (status = 'x' AND workspace_id = $1)",
                    &[],
                ),
                ("SELECT * FROM orders WHERE (org_id = $1)", &[]),
                ("SELECT * FROM orders WHERE org_id IN ($1, $2)", &[]),
                ("SELECT * FROM orders WHERE org_id NOT IN ($1)", &["orders"]),
                ("SELECT * FROM orders WHERE org_id = ANY($1)", &[]),
                ("SELECT * FROM orders WHERE org_id <> $1", &["orders"]),
                (
                    "SELECT * FROM orders WHERE org_id IS NOT DISTINCT FROM $1",
                    &[],
                ),
                ("SELECT * FROM orders WHERE org_id::text = $1", &[]),
                ("SELECT * FROM orders WHERE org_id = $1::uuid", &[]),
                (
                    "SELECT * FROM orders WHERE org_id = current_setting('app.org')::uuid",
                    &[],
                ),
                ("SELECT * FROM orders WHERE (org_id, id) = ($1, $2)", &[]),
                ("SELECT * FROM orders WHERE org_id = org_id", &["orders"]),
                ("SELECT * FROM orders WHERE org_id IS NOT NULL", &["orders"]),
                ("SELECT * FROM orders WHERE NOT (org_id = $1)", &["orders"]),
                ("SELECT 1", &[]),
                ("SELECT now()", &[]),
            ],
        );
    }

    #[test]
    fn select_list_order_by_and_strings_do_not_count() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("SELECT org_id, id FROM orders WHERE id = $1", &["orders"]),
                (
                    "SELECT * FROM orders WHERE id = $1 ORDER BY org_id",
                    &["orders"],
                ),
                (
                    "SELECT * FROM orders WHERE note = 'org_id = 1'",
                    &["orders"],
                ),
                (
                    "SELECT * FROM orders WHERE id = $1 GROUP BY org_id HAVING org_id = $2",
                    &["orders"],
                ),
                (
                    "SELECT * FROM orders WHERE id = $1 -- AND org_id = $2",
                    &["orders"],
                ),
                (
                    "SELECT * FROM orders WHERE id = $1 /* AND org_id = $2 */",
                    &["orders"],
                ),
            ],
        );
    }

    #[test]
    fn or_voids_the_predicate() {
        let t = tenancy();
        table(
            Dialect::Postgres,
            &t,
            &[
                (
                    "SELECT * FROM orders WHERE org_id = $1 OR public",
                    &["orders"],
                ),
                (
                    "SELECT * FROM orders WHERE (org_id = $1 OR public) AND id = $2",
                    &["orders"],
                ),
                (
                    "SELECT * FROM orders WHERE org_id = $1 AND (public OR id = $2)",
                    &[],
                ),
                (
                    "SELECT * FROM orders WHERE (org_id = $1 AND a) OR (org_id = $1 AND b)",
                    &["orders"],
                ),
            ],
        );
        assert_eq!(
            reason(
                "SELECT * FROM orders WHERE org_id = $1 OR public",
                &t,
                "orders"
            ),
            "`orders` is filtered only inside an OR"
        );
        assert_eq!(
            reason("SELECT * FROM orders", &t, "orders"),
            "no tenant predicate"
        );
    }

    #[test]
    fn aliases_and_qualified_names() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("SELECT o.id FROM orders o WHERE o.org_id = $1", &[]),
                ("SELECT o.id FROM orders AS o WHERE o.org_id = $1", &[]),
                ("SELECT * FROM public.orders WHERE org_id = $1", &[]),
                ("SELECT * FROM public.orders WHERE orders.org_id = $1", &[]),
                (
                    "SELECT * FROM public.orders WHERE public.orders.org_id = $1",
                    &[],
                ),
                ("SELECT * FROM public.orders", &["orders"]),
                ("SELECT * FROM ONLY orders WHERE org_id = $1", &[]),
                (
                    r#"SELECT * FROM "public"."Orders" WHERE "org_id" = $1"#,
                    &[],
                ),
                (r#"SELECT * FROM "orders" o WHERE o."org_id" = $1"#, &[]),
                (r#"SELECT * FROM "orders""#, &["orders"]),
                ("SELECT * FROM orders o WHERE x.org_id = $1", &["orders"]),
            ],
        );
    }

    #[test]
    fn joins() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.org_id = $1", &["items"]),
                (
                    "SELECT * FROM orders o JOIN items i ON i.order_id = o.id AND i.org_id = o.org_id WHERE o.org_id = $1",
                    &[],
                ),
                (
                    "SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.org_id = $1 AND i.org_id = o.org_id",
                    &[],
                ),
                (
                    "SELECT * FROM orders o JOIN items i ON i.order_id = o.id WHERE o.org_id = $1 AND i.org_id = $1",
                    &[],
                ),
                ("SELECT * FROM orders o JOIN items i USING (org_id) WHERE o.org_id = $1", &[]),
                ("SELECT * FROM orders JOIN items USING (org_id) WHERE org_id = $1", &[]),
                ("SELECT * FROM orders o JOIN items i ON i.org_id = o.org_id", &["orders", "items"]),
                (
                    "SELECT * FROM orders o JOIN items i ON i.order_id = o.id JOIN notes n ON n.org_id = i.org_id WHERE o.org_id = $1 AND i.org_id = o.org_id",
                    &[],
                ),
                ("SELECT * FROM orders o, items i WHERE o.org_id = $1 AND i.org_id = o.org_id", &[]),
                ("SELECT * FROM orders o CROSS JOIN items i WHERE o.org_id = $1", &["items"]),
                ("SELECT * FROM orders o JOIN items i ON i.org_id = $1 WHERE o.org_id = $1", &[]),
                (
                    "SELECT * FROM (orders o JOIN items i ON i.org_id = o.org_id) WHERE o.org_id = $1",
                    &[],
                ),
                ("SELECT * FROM orders o NATURAL JOIN items i WHERE o.org_id = $1", &[]),
            ],
        );
    }

    #[test]
    fn outer_join_on_filters_only_the_null_extended_side() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("SELECT * FROM orders o LEFT JOIN items i ON i.order_id = o.id AND i.org_id = $1 WHERE o.org_id = $1", &[]),
                ("SELECT * FROM orders o LEFT JOIN items i ON i.order_id = o.id AND o.org_id = $1", &["orders", "items"]),
                ("SELECT * FROM orders o LEFT JOIN items i ON i.order_id = o.id AND o.org_id = $1 AND i.org_id = $1", &["orders"]),
                ("SELECT * FROM orders o LEFT JOIN items i ON i.org_id = o.org_id WHERE o.org_id = $1", &[]),
                ("SELECT * FROM orders o RIGHT JOIN items i ON i.org_id = $1 AND o.org_id = $1", &["items"]),
                ("SELECT * FROM orders o FULL JOIN items i ON i.org_id = $1 AND o.org_id = $1", &["orders", "items"]),
            ],
        );
    }

    #[test]
    fn unqualified_columns_in_joins() {
        let t = tenancy();
        // No schema: both tables could have `org_id`, so an unqualified one is ambiguous.
        table(
            Dialect::Postgres,
            &t,
            &[
                ("SELECT * FROM orders JOIN customers ON customers.id = orders.customer_id WHERE org_id = $1", &["orders", "customers"]),
                // A global table is assumed not to carry the tenant column.
                ("SELECT * FROM orders JOIN plans ON plans.id = orders.plan_id WHERE org_id = $1", &[]),
                ("SELECT * FROM orders, generate_series(1, 3) g WHERE org_id = $1", &[]),
            ],
        );
        assert!(reason(
            "SELECT * FROM orders JOIN customers ON customers.id = orders.customer_id WHERE org_id = $1",
            &t,
            "orders"
        )
        .contains("ambiguous"));
        // With a schema: only `orders` has `org_id`... and `notes` has no tenant column at all.
        let s = with_schema(SCHEMA);
        table(
            Dialect::Postgres,
            &s,
            &[
                ("SELECT * FROM orders JOIN notes ON notes.order_id = orders.id WHERE org_id = $1", &[]),
                ("SELECT * FROM orders JOIN items ON items.order_id = orders.id WHERE org_id = $1", &["orders", "items"]),
                ("SELECT * FROM orders JOIN countries c ON c.code = orders.cc WHERE org_id = $1", &[]),
            ],
        );
    }

    #[test]
    fn subqueries() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("SELECT * FROM orders WHERE org_id = $1 AND user_id IN (SELECT id FROM users WHERE org_id = $1)", &[]),
                ("SELECT * FROM orders WHERE org_id = $1 AND user_id IN (SELECT id FROM users WHERE active)", &["users"]),
                ("SELECT * FROM orders WHERE org_id IN (SELECT org_id FROM memberships WHERE user_id = $1)", &["memberships"]),
                ("SELECT * FROM orders o WHERE o.org_id = $1 AND EXISTS (SELECT 1 FROM items i WHERE i.order_id = o.id)", &["items"]),
                (
                    "SELECT * FROM orders o WHERE o.org_id = $1 AND EXISTS (SELECT 1 FROM items i WHERE i.order_id = o.id AND i.org_id = o.org_id)",
                    &[],
                ),
                ("SELECT id, (SELECT count(*) FROM items WHERE items.order_id = orders.id) FROM orders WHERE org_id = $1", &["items"]),
                (
                    "SELECT id, (SELECT count(*) FROM items WHERE items.order_id = orders.id AND items.org_id = $1) FROM orders WHERE org_id = $1",
                    &[],
                ),
                ("SELECT * FROM (SELECT * FROM orders WHERE org_id = $1) o", &[]),
                ("SELECT * FROM (SELECT * FROM orders) o WHERE o.org_id = $1", &["orders"]),
                ("SELECT * FROM (SELECT * FROM orders WHERE org_id = $1) o JOIN items i ON i.org_id = o.org_id", &[]),
                ("SELECT * FROM (SELECT id FROM orders WHERE org_id = $1) o JOIN items i ON i.order_id = o.id", &["items"]),
                ("SELECT * FROM orders WHERE org_id = $1 AND total > (SELECT avg(total) FROM orders)", &["orders"]),
                ("SELECT * FROM orders WHERE org_id = $1 ORDER BY (SELECT max(id) FROM items)", &["items"]),
                ("SELECT * FROM orders o, LATERAL (SELECT * FROM items i WHERE i.order_id = o.id) x WHERE o.org_id = $1", &["items"]),
            ],
        );
    }

    #[test]
    fn ctes() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("WITH o AS (SELECT * FROM orders WHERE org_id = $1) SELECT * FROM o", &[]),
                ("WITH o AS (SELECT * FROM orders) SELECT * FROM o WHERE org_id = $1", &["orders"]),
                ("WITH o AS (SELECT * FROM orders WHERE org_id = $1) SELECT * FROM o JOIN items i ON i.org_id = o.org_id", &[]),
                ("WITH o AS (SELECT * FROM orders WHERE org_id = $1) SELECT * FROM o JOIN items i ON i.order_id = o.id", &["items"]),
                (
                    "WITH a AS (SELECT * FROM orders WHERE org_id = $1), b AS (SELECT * FROM a) SELECT * FROM b",
                    &[],
                ),
                (
                    "WITH RECURSIVE t AS (SELECT id FROM nodes WHERE org_id = $1 UNION ALL SELECT n.id FROM nodes n JOIN t ON n.parent_id = t.id) SELECT * FROM t",
                    &["nodes"],
                ),
                (
                    "WITH RECURSIVE t AS (SELECT id, org_id FROM nodes WHERE org_id = $1 UNION ALL SELECT n.id, n.org_id FROM nodes n JOIN t ON n.parent_id = t.id AND n.org_id = t.org_id) SELECT * FROM t",
                    &[],
                ),
                ("WITH orders AS (SELECT * FROM orders WHERE org_id = $1) SELECT * FROM orders", &[]),
                ("WITH d AS (DELETE FROM orders WHERE org_id = $1 RETURNING *) SELECT * FROM d", &[]),
                ("WITH d AS (DELETE FROM orders WHERE id = $1 RETURNING *) SELECT * FROM d", &["orders"]),
            ],
        );
    }

    #[test]
    fn set_operations() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("SELECT id FROM orders WHERE org_id = $1 UNION SELECT id FROM items WHERE org_id = $1", &[]),
                ("SELECT id FROM orders WHERE org_id = $1 UNION ALL SELECT id FROM items", &["items"]),
                ("SELECT id FROM orders INTERSECT SELECT id FROM items WHERE org_id = $1", &["orders"]),
                ("SELECT id FROM orders WHERE org_id = $1 EXCEPT SELECT id FROM items", &["items"]),
                ("(SELECT id FROM orders WHERE org_id = $1) UNION (SELECT id FROM items) ORDER BY id", &["items"]),
            ],
        );
    }

    #[test]
    fn long_union_chain_is_fine() {
        let sql = vec!["SELECT id FROM orders WHERE org_id = $1"; 2000].join(" UNION ALL ");
        let a = analyze(&sql, Dialect::Postgres, &tenancy()).unwrap();
        assert!(a.unscoped.is_empty());
    }

    #[test]
    fn update() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("UPDATE orders SET total = $1 WHERE id = $2 AND org_id = $3", &[]),
                ("UPDATE orders SET total = $1 WHERE id = $2", &["orders"]),
                ("UPDATE orders SET org_id = $1 WHERE id = $2", &["orders"]),
                ("UPDATE orders o SET total = 0 WHERE o.org_id = $1", &[]),
                ("UPDATE orders SET total = i.t FROM items i WHERE i.order_id = orders.id AND orders.org_id = $1", &["items"]),
                (
                    "UPDATE orders SET total = i.t FROM items i WHERE i.order_id = orders.id AND orders.org_id = $1 AND i.org_id = orders.org_id",
                    &[],
                ),
                ("UPDATE orders SET total = (SELECT sum(x) FROM items WHERE items.order_id = orders.id) WHERE org_id = $1", &["items"]),
                ("UPDATE orders SET total = 0 WHERE org_id = $1 OR id = $2", &["orders"]),
                ("UPDATE orders SET total = 0 WHERE org_id = $1 RETURNING id", &[]),
            ],
        );
    }

    #[test]
    fn delete() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("DELETE FROM orders WHERE id = $1 AND org_id = $2", &[]),
                ("DELETE FROM orders WHERE id = $1", &["orders"]),
                ("DELETE FROM orders", &["orders"]),
                ("DELETE FROM orders o USING items i WHERE i.order_id = o.id AND o.org_id = $1", &["items"]),
                (
                    "DELETE FROM orders o USING items i WHERE i.order_id = o.id AND o.org_id = $1 AND i.org_id = $1",
                    &[],
                ),
                ("DELETE FROM orders WHERE org_id = $1 AND id IN (SELECT order_id FROM items WHERE sku = $2)", &["items"]),
            ],
        );
    }

    #[test]
    fn insert() {
        let t = tenancy();
        table(
            Dialect::Postgres,
            &t,
            &[
                ("INSERT INTO orders (id, org_id, total) VALUES ($1, $2, $3)", &[]),
                ("INSERT INTO orders (id, total) VALUES ($1, $2)", &["orders"]),
                ("INSERT INTO orders VALUES ($1, $2, $3)", &["orders"]),
                ("INSERT INTO public.orders (id, org_id) VALUES ($1, $2)", &[]),
                (r#"INSERT INTO "orders" ("id", "org_id") VALUES ($1, $2)"#, &[]),
                ("INSERT INTO orders (id, org_id) SELECT id, org_id FROM drafts WHERE org_id = $1", &[]),
                ("INSERT INTO orders (id, org_id) SELECT id, org_id FROM drafts", &["drafts"]),
                ("INSERT INTO orders (id) SELECT id FROM drafts WHERE org_id = $1", &["orders"]),
                (
                    "INSERT INTO orders (id, org_id, total) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET total = EXCLUDED.total",
                    &[],
                ),
                ("INSERT INTO orders (id, org_id) VALUES ($1, $2) RETURNING id", &[]),
                ("INSERT INTO plans (id, name) VALUES ($1, $2)", &[]),
                ("INSERT INTO orders (id, org_id) VALUES ($1, (SELECT org_id FROM users WHERE id = $2))", &["users"]),
                ("INSERT INTO orders DEFAULT VALUES", &["orders"]),
            ],
        );
        assert_eq!(
            reason(
                "INSERT INTO orders (id, total) VALUES ($1, $2)",
                &with_schema(SCHEMA),
                "orders"
            ),
            "INSERT does not set `org_id`"
        );
        assert!(reason("INSERT INTO orders VALUES ($1)", &t, "orders").contains("no column list"));
    }

    #[test]
    fn mysql_placeholders_and_forms() {
        table(
            Dialect::MySql,
            &tenancy(),
            &[
                ("SELECT * FROM orders WHERE org_id = ? AND id = ?", &[]),
                ("SELECT * FROM orders WHERE id = ?", &["orders"]),
                ("SELECT * FROM `orders` WHERE `org_id` = ?", &[]),
                ("SELECT * FROM shop.orders o WHERE o.org_id = ? LIMIT 10", &[]),
                ("INSERT INTO orders SET id = ?, org_id = ?", &[]),
                ("INSERT INTO orders SET id = ?", &["orders"]),
                ("INSERT INTO orders (id, org_id) VALUES (?, ?) ON DUPLICATE KEY UPDATE id = id", &[]),
                ("REPLACE INTO orders (id, total) VALUES (?, ?)", &["orders"]),
                ("UPDATE orders o JOIN items i ON i.order_id = o.id SET o.total = 0 WHERE o.org_id = ?", &["items"]),
                ("DELETE o FROM orders o JOIN items i ON i.order_id = o.id WHERE o.org_id = ? AND i.org_id = ?", &[]),
                ("SELECT * FROM orders WHERE org_id <=> ?", &[]),
                ("SELECT * FROM orders WHERE org_id = @org", &[]),
            ],
        );
    }

    #[test]
    fn sqlite_placeholders() {
        table(
            Dialect::Sqlite,
            &tenancy(),
            &[
                ("SELECT * FROM orders WHERE org_id = ?1 AND id = ?2", &[]),
                ("SELECT * FROM orders WHERE org_id = :org AND id = :id", &[]),
                ("SELECT * FROM orders WHERE org_id = @org", &[]),
                ("SELECT * FROM orders WHERE org_id = $org", &[]),
                ("SELECT * FROM orders WHERE org_id = ?", &[]),
                ("SELECT * FROM orders WHERE id = ?1", &["orders"]),
                (
                    "INSERT OR REPLACE INTO orders (id, org_id) VALUES (?1, ?2)",
                    &[],
                ),
                ("SELECT name FROM sqlite_master WHERE type = 'table'", &[]),
                ("SELECT name FROM sqlite_schema", &[]),
            ],
        );
    }

    #[test]
    fn generic_dialect() {
        table(
            Dialect::Generic,
            &tenancy(),
            &[
                ("SELECT * FROM orders WHERE org_id = ? AND id = :id", &[]),
                ("SELECT * FROM orders WHERE org_id = $1", &[]),
                ("SELECT * FROM orders WHERE id = $1", &["orders"]),
            ],
        );
    }

    #[test]
    fn postgres_named_placeholder() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[("SELECT * FROM orders WHERE org_id = :org", &[])],
        );
    }

    #[test]
    fn multi_statement_and_dedupe() {
        let a = analyze(
            "BEGIN; SELECT * FROM orders WHERE id = $1; -- comment\n UPDATE orders SET x = 1 OR 2 WHERE org_id = $1 OR TRUE; DELETE FROM items; COMMIT;",
            Dialect::Postgres,
            &tenancy(),
        )
        .unwrap();
        assert_eq!(a.statements, 5);
        assert_eq!(a.tables, vec!["orders", "items"]);
        let got: Vec<(&str, &str)> = a
            .unscoped
            .iter()
            .map(|u| (u.table.as_str(), u.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("orders", "no tenant predicate"),
                ("items", "no tenant predicate")
            ]
        );
    }

    #[test]
    fn non_dml_statements_have_no_tables_to_flag() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("CREATE TABLE orders (id int, org_id uuid)", &[]),
                ("CREATE INDEX ON orders (org_id)", &[]),
                ("SET search_path TO app", &[]),
                ("SET LOCAL app.org_id = '1'", &[]),
                ("BEGIN", &[]),
                ("COMMIT", &[]),
                ("ALTER TABLE orders ADD COLUMN x int", &[]),
                ("DROP TABLE orders", &[]),
                ("TRUNCATE orders", &[]),
                ("CREATE VIEW v AS SELECT * FROM orders", &[]),
                ("LISTEN orders", &[]),
            ],
        );
    }

    #[test]
    fn explain_prepare_and_cursor_are_looked_through() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("EXPLAIN ANALYZE DELETE FROM orders", &["orders"]),
                ("EXPLAIN SELECT * FROM orders WHERE org_id = $1", &[]),
                (
                    "PREPARE q AS SELECT * FROM orders WHERE id = $1",
                    &["orders"],
                ),
                ("DECLARE c CURSOR FOR SELECT * FROM orders", &["orders"]),
                (
                    "COPY (SELECT * FROM orders WHERE org_id = $1) TO STDOUT",
                    &[],
                ),
                ("COPY (SELECT * FROM orders) TO STDOUT", &["orders"]),
                ("COPY orders TO STDOUT", &["orders"]),
                ("COPY orders (id, org_id) FROM STDIN", &[]),
                ("COPY plans TO STDOUT", &[]),
            ],
        );
    }

    #[test]
    fn system_global_functions_and_values_are_not_tables() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                ("SELECT * FROM plans", &[]),
                ("SELECT * FROM PLANS", &[]),
                ("SELECT * FROM public.schema_migrations", &[]),
                ("SELECT * FROM pg_catalog.pg_tables", &[]),
                ("SELECT * FROM pg_class", &[]),
                ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", &[]),
                ("SELECT * FROM generate_series(1, 10)", &[]),
                ("SELECT * FROM unnest($1::int[]) AS t(id)", &[]),
                ("SELECT * FROM (VALUES (1, 2), (3, 4)) AS v(a, b)", &[]),
                ("VALUES (1), (2)", &[]),
                ("SELECT * FROM orders o JOIN plans p ON p.id = o.plan_id WHERE o.org_id = $1", &[]),
                ("SELECT * FROM orders o, unnest($2::int[]) ids(id) WHERE o.id = ids.id AND o.org_id = $1", &[]),
            ],
        );
        let a = analyze(
            "SELECT * FROM pg_catalog.pg_tables, plans",
            Dialect::Postgres,
            &tenancy(),
        )
        .unwrap();
        assert_eq!(a.tables, vec!["pg_tables", "plans"]);
    }

    #[test]
    fn schema_driven_tenancy() {
        let t = with_schema(SCHEMA);
        table(
            Dialect::Postgres,
            &t,
            &[
                // `countries` and `notes` have no tenant column: not tenant-owned.
                ("SELECT * FROM countries", &[]),
                ("SELECT * FROM notes WHERE id = $1", &[]),
                // Not in the schema: tenant-owned by any configured column.
                ("SELECT * FROM invoices", &["invoices"]),
                ("SELECT * FROM invoices WHERE workspace_id = $1", &[]),
                // In the schema with `org_id`: only `org_id` scopes it.
                ("SELECT * FROM orders WHERE tenant_id = $1", &["orders"]),
                ("SELECT * FROM orders WHERE org_id = $1", &[]),
                // Override: organisations is scoped by its own id.
                ("SELECT * FROM organisations WHERE id = $1", &[]),
                ("SELECT * FROM organisations WHERE name = $1", &["organisations"]),
                ("SELECT * FROM organisations o JOIN users u ON u.org_id = o.id WHERE o.id = $1", &[]),
                ("SELECT * FROM organisations o JOIN users u ON u.email = o.name WHERE o.id = $1", &["users"]),
                ("UPDATE organisations SET name = $2 WHERE id = $1", &[]),
                ("INSERT INTO organisations (id, name) VALUES ($1, $2)", &[]),
                ("INSERT INTO organisations (name) VALUES ($1)", &["organisations"]),
            ],
        );
        assert_eq!(t.tenant_columns("orders"), Some(vec!["org_id".to_string()]));
        assert_eq!(
            t.tenant_columns("public.orders"),
            Some(vec!["org_id".to_string()])
        );
        assert_eq!(t.tenant_columns("countries"), None);
        assert_eq!(
            t.tenant_columns("ORGANISATIONS"),
            Some(vec!["id".to_string()])
        );
        assert_eq!(t.tenant_columns("information_schema.columns"), None);
        assert_eq!(t.tenant_columns("Plans"), None);
        assert_eq!(t.tenant_columns("unknown").map(|c| c.len()), Some(5));
    }

    #[test]
    fn parse_errors() {
        let t = tenancy();
        let e = analyze("SELEC * FROM orders", Dialect::Postgres, &t).unwrap_err();
        assert!(e.message.contains("Expected"), "{}", e.message);
        assert!(!e.message.starts_with("sql parser error"), "{}", e.message);
        assert!(analyze(
            "SELECT * FROM orders WHERE (org_id = $1",
            Dialect::MySql,
            &t
        )
        .is_err());
        assert!(analyze("SELECT 'unterminated", Dialect::Sqlite, &t).is_err());
        assert!(analyze("SELECT * FROM", Dialect::Generic, &t).is_err());
        // Empty text: no statements, no findings.
        assert_eq!(
            analyze("  -- nothing\n", Dialect::Postgres, &t)
                .unwrap()
                .statements,
            0
        );
    }

    #[test]
    fn retries_with_generic_dialect() {
        // Backtick identifiers are MySQL; Postgres rejects or misreads them, generic accepts.
        let t = tenancy();
        let a = analyze(
            "SELECT * FROM `orders` WHERE `org_id` = $1",
            Dialect::Postgres,
            &t,
        )
        .unwrap();
        assert_eq!(a.tables, vec!["orders"]);
        assert!(a.unscoped.is_empty());
    }

    #[test]
    fn merge_statement() {
        table(
            Dialect::Postgres,
            &tenancy(),
            &[
                (
                    "MERGE INTO orders o USING drafts d ON d.id = o.id AND o.org_id = $1 AND d.org_id = $1 WHEN MATCHED THEN UPDATE SET total = d.total",
                    &[],
                ),
                ("MERGE INTO orders o USING drafts d ON d.id = o.id WHEN MATCHED THEN DELETE", &["orders", "drafts"]),
            ],
        );
    }

    #[test]
    fn deep_input_does_not_overflow() {
        let t = tenancy();
        let long = format!(
            "SELECT * FROM orders WHERE {}",
            vec!["a = 1"; 100_000].join(" AND ")
        );
        assert!(analyze(&long, Dialect::Postgres, &t).is_err());
        let chain = format!(
            "SELECT * FROM orders WHERE org_id = $1 AND {}",
            vec!["a = 1"; 5_000].join(" AND ")
        );
        assert!(analyze(&chain, Dialect::Postgres, &t)
            .unwrap()
            .unscoped
            .is_empty());
        let ors = format!(
            "SELECT * FROM orders WHERE {}",
            vec!["org_id = 1"; 5_000].join(" OR ")
        );
        assert_eq!(run(&ors, Dialect::Postgres, &t), vec!["orders"]);
        let nested = format!("SELECT {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(analyze(&nested, Dialect::Postgres, &t).is_err());
        let subq = format!(
            "SELECT * FROM orders WHERE org_id = {}1{}",
            "(SELECT ".repeat(40),
            ")".repeat(40)
        );
        let _ = analyze(&subq, Dialect::Postgres, &t);
        for junk in [
            "",
            ";;;",
            "(",
            "'",
            "$$",
            "SELECT",
            "\u{0}",
            "ü SELECT",
            "WITH",
            "SELECT * FROM a JOIN",
        ] {
            let _ = analyze(junk, Dialect::Postgres, &t);
            let _ = analyze(junk, Dialect::Sqlite, &t);
        }
    }

    #[test]
    fn dialect_names() {
        assert_eq!(Dialect::from_name("postgres"), Some(Dialect::Postgres));
        assert_eq!(Dialect::from_name("MySQL"), Some(Dialect::MySql));
        assert_eq!(Dialect::from_name("sqlite"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::from_name("generic"), Some(Dialect::Generic));
        assert_eq!(Dialect::from_name("auto"), None);
        assert_eq!(Dialect::from_name("oracle"), None);
    }
}
