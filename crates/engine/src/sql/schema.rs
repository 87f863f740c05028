//! The database schema as far as tenancy needs it (table -> column names), loaded from SQL
//! migrations, diesel `table!` macros and sea-orm entities, and [`Tenancy`], which decides which
//! tables are tenant-owned and by which columns.

use std::collections::BTreeMap;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use sqlparser::ast::{
    AlterTableOperation, CreateTableLikeKind, ObjectName, ObjectType, RenameTableNameKind,
    Statement,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{norm_ident, Dialect};

/// One table: its bare name and its columns, lower-cased and unquoted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<String>,
}

impl Table {
    pub fn has_column(&self, column: &str) -> bool {
        let column = norm_ident(column);
        self.columns.contains(&column)
    }

    fn add_column(&mut self, column: &str) {
        let column = norm_ident(column);
        if !column.is_empty() && !self.columns.contains(&column) {
            self.columns.push(column);
        }
    }
}

/// Tables by bare, lower-cased name (schema prefix dropped). Empty means "no schema found".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
}

/// Schemas whose tables are system catalogs, never tenant-owned.
pub(crate) const SYSTEM_SCHEMAS: &[&str] = &[
    "pg_catalog",
    "information_schema",
    "mysql",
    "performance_schema",
    "sys",
    "pg_toast",
];

/// Tables that are system catalogs whatever schema they are named in.
const SYSTEM_TABLES: &[&str] = &[
    "sqlite_master",
    "sqlite_schema",
    "sqlite_temp_master",
    "sqlite_temp_schema",
    "sqlite_sequence",
    "sqlite_stat1",
];

/// Statements with more tokens than this are not parsed (sqlparser builds left-deep trees for
/// long operator chains, which overflow the stack when dropped); see `analyze`.
pub(crate) const MAX_STATEMENT_TOKENS: usize = 40_000;

impl Schema {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// The table of that name (`orders`, `public.orders`, `"Orders"`; case-insensitive).
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(&bare_table_name(name))
    }

    fn table_mut(&mut self, name: &str) -> &mut Table {
        let name = bare_table_name(name);
        self.tables.entry(name.clone()).or_insert_with(|| Table {
            name,
            columns: Vec::new(),
        })
    }

    fn create_table(&mut self, name: &str, columns: &[String], if_not_exists: bool) {
        let key = bare_table_name(name);
        if key.is_empty() || (if_not_exists && self.tables.contains_key(&key)) {
            return;
        }
        let mut table = Table {
            name: key.clone(),
            columns: Vec::new(),
        };
        for c in columns {
            table.add_column(c);
        }
        self.tables.insert(key, table);
    }

    fn rename_table(&mut self, old: &str, new: &str) {
        let (old, new) = (bare_table_name(old), bare_table_name(new));
        if new.is_empty() {
            return;
        }
        if let Some(mut t) = self.tables.remove(&old) {
            t.name = new.clone();
            self.tables.insert(new, t);
        }
    }

    /// Applies one SQL migration file: `CREATE TABLE` (quoted names, `IF NOT EXISTS`,
    /// schema-qualified, `LIKE other`), `ALTER TABLE .. ADD [COLUMN]`, `DROP COLUMN`,
    /// `RENAME COLUMN`, `RENAME TO`, MySQL `CHANGE`/`RENAME TABLE`, and `DROP TABLE`.
    ///
    /// The file is split into statements at top-level `;` and each is parsed on its own (with
    /// `dialect`, then the generic dialect); a statement neither parses is scanned leniently for
    /// `CREATE TABLE name (col ...)` and `ALTER TABLE name ADD [COLUMN] col`. Statements it does
    /// not understand (functions, triggers, `DO` blocks, seeds...) are skipped. Never fails.
    pub fn apply_migration(&mut self, sql: &str, dialect: Dialect) {
        let tokens = match tokenize(sql, dialect) {
            Some(t) => t,
            None => {
                // Even the generic tokenizer failed (e.g. an unterminated string): fall back to
                // the lenient scan over a crude split of the text.
                for part in sql.split(';') {
                    if let Some(t) = tokenize(part, Dialect::Generic) {
                        self.lenient(&t);
                    }
                }
                return;
            }
        };
        for stmt in split_statements(tokens) {
            let significant = stmt.iter().filter(|t| !is_trivia(t)).count();
            if significant == 0 {
                continue;
            }
            if significant > MAX_STATEMENT_TOKENS {
                self.lenient(&stmt);
                continue;
            }
            let parsed =
                parse_tokens(&stmt, dialect).or_else(|| parse_tokens(&stmt, Dialect::Generic));
            match parsed {
                Some(statements) => {
                    for s in &statements {
                        self.apply_statement(s);
                    }
                }
                None => self.lenient(&stmt),
            }
        }
    }

    fn apply_statement(&mut self, stmt: &Statement) {
        match stmt {
            Statement::CreateTable(ct) => {
                let name = object_name(&ct.name);
                let mut columns: Vec<String> =
                    ct.columns.iter().map(|c| c.name.value.clone()).collect();
                if columns.is_empty() {
                    let like = match &ct.like {
                        Some(CreateTableLikeKind::Parenthesized(l)) => Some(&l.name),
                        Some(CreateTableLikeKind::Plain(l)) => Some(&l.name),
                        None => None,
                    };
                    if let Some(src) = like.or(ct.clone.as_ref()) {
                        if let Some(t) = self.table(&object_name(src)) {
                            columns = t.columns.clone();
                        }
                    } else if let Some(q) = &ct.query {
                        columns = super::analyze::query_output_columns(q).unwrap_or_default();
                    }
                }
                self.create_table(&name, &columns, ct.if_not_exists);
            }
            Statement::AlterTable(at) => {
                let mut name = object_name(&at.name);
                for op in &at.operations {
                    match op {
                        AlterTableOperation::AddColumn { column_def, .. } => {
                            self.table_mut(&name).add_column(&column_def.name.value);
                        }
                        AlterTableOperation::DropColumn { column_names, .. } => {
                            let t = self.table_mut(&name);
                            for c in column_names {
                                let c = norm_ident(&c.value);
                                t.columns.retain(|x| *x != c);
                            }
                        }
                        AlterTableOperation::RenameColumn {
                            old_column_name,
                            new_column_name,
                        } => rename_column(
                            self.table_mut(&name),
                            &old_column_name.value,
                            &new_column_name.value,
                        ),
                        AlterTableOperation::ChangeColumn {
                            old_name, new_name, ..
                        } => rename_column(self.table_mut(&name), &old_name.value, &new_name.value),
                        AlterTableOperation::RenameTable { table_name } => {
                            let new = match table_name {
                                RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => {
                                    object_name(n)
                                }
                            };
                            self.rename_table(&name, &new);
                            name = new;
                        }
                        _ => {}
                    }
                }
            }
            Statement::RenameTable(renames) => {
                for r in renames {
                    self.rename_table(&object_name(&r.old_name), &object_name(&r.new_name));
                }
            }
            Statement::Drop {
                object_type: ObjectType::Table,
                names,
                ..
            } => {
                for n in names {
                    self.tables.remove(&bare_table_name(&object_name(n)));
                }
            }
            _ => {}
        }
    }

    /// Token scan for `CREATE [..] TABLE [IF NOT EXISTS] name ( col .., CONSTRAINT .. )` and
    /// `ALTER TABLE [IF EXISTS] [ONLY] name ADD [COLUMN] [IF NOT EXISTS] col [, ADD ..]`.
    fn lenient(&mut self, tokens: &[Token]) {
        let toks: Vec<&Token> = tokens.iter().filter(|t| !is_trivia(t)).collect();
        let word = |i: usize| -> Option<String> {
            match toks.get(i) {
                Some(Token::Word(w)) if w.quote_style.is_none() => {
                    Some(w.value.to_ascii_uppercase())
                }
                _ => None,
            }
        };
        let first = word(0);
        if first.as_deref() == Some("CREATE") {
            let Some(mut i) = (1..toks.len().min(8)).find(|&i| word(i).as_deref() == Some("TABLE"))
            else {
                return;
            };
            i += 1;
            let mut if_not_exists = false;
            if word(i).as_deref() == Some("IF") {
                if_not_exists = true;
                i += 3;
            }
            let Some((name, next)) = scan_name(&toks, i) else {
                return;
            };
            if !matches!(toks.get(next), Some(Token::LParen)) {
                return;
            }
            let mut columns = Vec::new();
            let mut depth = 0usize;
            let mut at_item_start = true;
            for (k, t) in toks.iter().enumerate().skip(next) {
                match t {
                    Token::LParen => {
                        depth += 1;
                        continue;
                    }
                    Token::RParen => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                        continue;
                    }
                    Token::Comma if depth == 1 => {
                        at_item_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 1 && at_item_start {
                    at_item_start = false;
                    if let Token::Word(w) = t {
                        let constraint = w.quote_style.is_none()
                            && matches!(
                                w.value.to_ascii_uppercase().as_str(),
                                "CONSTRAINT"
                                    | "PRIMARY"
                                    | "FOREIGN"
                                    | "UNIQUE"
                                    | "CHECK"
                                    | "KEY"
                                    | "INDEX"
                                    | "EXCLUDE"
                                    | "FULLTEXT"
                                    | "SPATIAL"
                                    | "LIKE"
                                    | "PERIOD"
                            );
                        if !constraint {
                            columns.push(w.value.clone());
                        } else if w.value.eq_ignore_ascii_case("LIKE") {
                            // `(LIKE other INCLUDING ALL)`: copy the other table's columns.
                            if let Some((src, _)) = scan_name(&toks, k + 1) {
                                if let Some(src) = self.table(&src) {
                                    columns.extend(src.columns.iter().cloned());
                                }
                            }
                        }
                    }
                }
            }
            self.create_table(&name, &columns, if_not_exists);
        } else if first.as_deref() == Some("ALTER") && word(1).as_deref() == Some("TABLE") {
            let mut i = 2;
            if word(i).as_deref() == Some("IF") {
                i += 2;
            }
            if word(i).as_deref() == Some("ONLY") {
                i += 1;
            }
            let Some((name, mut i)) = scan_name(&toks, i) else {
                return;
            };
            loop {
                if word(i).as_deref() != Some("ADD") {
                    break;
                }
                i += 1;
                if word(i).as_deref() == Some("COLUMN") {
                    i += 1;
                }
                if word(i).as_deref() == Some("IF") {
                    i += 3;
                }
                match toks.get(i) {
                    Some(Token::Word(w)) => {
                        let is_constraint = w.quote_style.is_none()
                            && matches!(
                                w.value.to_ascii_uppercase().as_str(),
                                "CONSTRAINT"
                                    | "PRIMARY"
                                    | "FOREIGN"
                                    | "UNIQUE"
                                    | "CHECK"
                                    | "INDEX"
                                    | "KEY"
                            );
                        if !is_constraint {
                            self.table_mut(&name).add_column(&w.value);
                        }
                    }
                    _ => break,
                }
                // Skip to the next top-level comma.
                let mut depth = 0usize;
                while let Some(t) = toks.get(i) {
                    match t {
                        Token::LParen => depth += 1,
                        Token::RParen => depth = depth.saturating_sub(1),
                        Token::Comma if depth == 0 => break,
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
            }
        }
    }

    /// Reads a diesel `table!` invocation: the tokens inside `table! { ... }`. Handles several
    /// tables per invocation, `use ..;` lines, `#[sql_name = ".."]` on tables and columns,
    /// `schema.table`, an optional primary-key list, doc comments and `r#` identifiers.
    pub fn add_diesel_table_macro(&mut self, tokens: &TokenStream) {
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let mut i = 0;
        let mut sql_name: Option<String> = None;
        let mut name: Option<String> = None;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Ident(id) if id == "use" && name.is_none() => {
                    while i < trees.len()
                        && !matches!(&trees[i], TokenTree::Punct(p) if p.as_char() == ';')
                    {
                        i += 1;
                    }
                }
                TokenTree::Punct(p) if p.as_char() == '#' => {
                    if let Some(TokenTree::Group(g)) = trees.get(i + 1) {
                        if let Some(n) = sql_name_attr(&g.stream()) {
                            sql_name = Some(n);
                        }
                        i += 1;
                    }
                }
                TokenTree::Ident(id) => {
                    // `schema.table`: keep the last identifier.
                    name = Some(id.to_string());
                }
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                    if let Some(n) = sql_name.take().or(name.take()) {
                        let columns = diesel_columns(&g.stream());
                        self.create_table(&n, &columns, false);
                    }
                    name = None;
                }
                _ => {}
            }
            i += 1;
        }
    }

    /// Reads a sea-orm entity: a struct deriving `DeriveEntityModel` with
    /// `#[sea_orm(table_name = "..")]`. Columns are the field names, or their
    /// `#[sea_orm(column_name = "..")]`; fields marked `#[sea_orm(ignore)]` are skipped.
    /// Anything else is ignored.
    pub fn add_sea_orm_model(&mut self, item: &syn::ItemStruct) {
        let derives_model = item.attrs.iter().any(|a| {
            a.path().is_ident("derive")
                && a.meta
                    .require_list()
                    .map(|l| {
                        l.tokens
                            .clone()
                            .into_iter()
                            .any(|t| matches!(&t, TokenTree::Ident(i) if i == "DeriveEntityModel"))
                    })
                    .unwrap_or(false)
        });
        if !derives_model {
            return;
        }
        let Some(table) = item
            .attrs
            .iter()
            .filter_map(|a| sea_orm_attr(a, "table_name"))
            .next()
        else {
            return;
        };
        let mut columns = Vec::new();
        for field in &item.fields {
            let Some(ident) = &field.ident else { continue };
            let ignored = field.attrs.iter().any(|a| {
                a.path().is_ident("sea_orm")
                    && a.meta.require_list().is_ok_and(|l| {
                        l.tokens
                            .clone()
                            .into_iter()
                            .any(|t| matches!(&t, TokenTree::Ident(i) if i == "ignore"))
                    })
            });
            if ignored {
                continue;
            }
            let column = field
                .attrs
                .iter()
                .filter_map(|a| sea_orm_attr(a, "column_name"))
                .next()
                .unwrap_or_else(|| ident.to_string());
            columns.push(column);
        }
        self.create_table(&table, &columns, false);
    }
}

fn rename_column(t: &mut Table, old: &str, new: &str) {
    let (old, new) = (norm_ident(old), norm_ident(new));
    if let Some(c) = t.columns.iter_mut().find(|c| **c == old) {
        *c = new;
        let mut seen = Vec::new();
        t.columns.retain(|c| {
            let fresh = !seen.contains(c);
            seen.push(c.clone());
            fresh
        });
    } else {
        t.add_column(&new);
    }
}

/// `#[sea_orm(key = "value", ..)]` -> value.
fn sea_orm_attr(attr: &syn::Attribute, key: &str) -> Option<String> {
    if !attr.path().is_ident("sea_orm") {
        return None;
    }
    let list = attr.meta.require_list().ok()?;
    key_string_value(&list.tokens, key)
}

/// In a token list `a = "x", b, c = "y"`, the string value of `key`.
fn key_string_value(tokens: &TokenStream, key: &str) -> Option<String> {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for w in trees.windows(3) {
        if let (TokenTree::Ident(k), TokenTree::Punct(eq), TokenTree::Literal(lit)) =
            (&w[0], &w[1], &w[2])
        {
            if k == key && eq.as_char() == '=' {
                if let Ok(syn::Lit::Str(s)) =
                    syn::parse2::<syn::Lit>(TokenStream::from(TokenTree::Literal(lit.clone())))
                {
                    return Some(s.value());
                }
            }
        }
    }
    None
}

/// The inside of an attribute `[sql_name = "x"]` -> `x`.
fn sql_name_attr(tokens: &TokenStream) -> Option<String> {
    key_string_value(tokens, "sql_name")
}

/// Columns of a diesel table body: `#[..] name -> Type<..>, ...`.
fn diesel_columns(tokens: &TokenStream) -> Vec<String> {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let mut columns = Vec::new();
    let mut sql_name: Option<String> = None;
    let mut last_ident: Option<String> = None;
    let mut in_type = false;
    let mut angle = 0usize;
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Punct(p) if p.as_char() == '#' && !in_type => {
                if let Some(TokenTree::Group(g)) = trees.get(i + 1) {
                    if let Some(n) = sql_name_attr(&g.stream()) {
                        sql_name = Some(n);
                    }
                    i += 1;
                }
            }
            TokenTree::Punct(p)
                if p.as_char() == '-'
                    && !in_type
                    && matches!(trees.get(i + 1), Some(TokenTree::Punct(q)) if q.as_char() == '>') =>
            {
                if let Some(name) = sql_name.take().or(last_ident.take()) {
                    columns.push(name);
                }
                in_type = true;
                angle = 0;
                i += 1;
            }
            TokenTree::Punct(p) if in_type && p.as_char() == '<' => angle += 1,
            TokenTree::Punct(p) if in_type && p.as_char() == '>' => angle = angle.saturating_sub(1),
            TokenTree::Punct(p) if p.as_char() == ',' && angle == 0 => {
                in_type = false;
                last_ident = None;
                sql_name = None;
            }
            TokenTree::Ident(id) if !in_type => last_ident = Some(id.to_string()),
            _ => {}
        }
        i += 1;
    }
    columns
}

/// `schema.table` / `"Table"` / `[t]` / `` `t` `` -> `table`, lower-cased.
pub(crate) fn bare_table_name(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name).trim();
    let unquoted = last.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
    norm_ident(unquoted)
}

/// The dotted, unquoted text of an object name (`public.orders`).
pub(crate) fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|p| match p.as_ident() {
            Some(i) => i.value.clone(),
            None => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn is_trivia(t: &Token) -> bool {
    matches!(t, Token::Whitespace(_) | Token::EOF)
}

pub(crate) fn tokenize(sql: &str, dialect: Dialect) -> Option<Vec<Token>> {
    let d = dialect.parser_dialect();
    Tokenizer::new(d.as_ref(), sql).tokenize().ok().or_else(|| {
        Tokenizer::new(&sqlparser::dialect::GenericDialect {}, sql)
            .tokenize()
            .ok()
    })
}

/// Splits a token list at `;` tokens.
fn split_statements(tokens: Vec<Token>) -> Vec<Vec<Token>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for t in tokens {
        if t == Token::SemiColon {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(t);
        }
    }
    out.push(cur);
    out
}

fn parse_tokens(tokens: &[Token], dialect: Dialect) -> Option<Vec<Statement>> {
    let d = dialect.parser_dialect();
    Parser::new(d.as_ref())
        .with_tokens(tokens.to_vec())
        .parse_statements()
        .ok()
}

/// A possibly dotted, possibly quoted name starting at `i`; returns it and the next index.
fn scan_name(toks: &[&Token], mut i: usize) -> Option<(String, usize)> {
    let mut parts = Vec::new();
    loop {
        match toks.get(i) {
            Some(Token::Word(w)) => parts.push(w.value.clone()),
            _ => return None,
        }
        i += 1;
        if matches!(toks.get(i), Some(Token::Period)) {
            i += 1;
        } else {
            break;
        }
    }
    Some((parts.join("."), i))
}

/// What counts as tenant-owned and by which columns (built by the engine from config + schema).
#[derive(Clone, Debug, Default)]
pub struct Tenancy {
    /// Configured tenant columns, e.g. `["tenant_id", "org_id", ...]`.
    pub columns: Vec<String>,
    /// `[tenant.tables.X] column = "id"`: table -> the column that scopes it.
    pub overrides: BTreeMap<String, String>,
    /// Never tenant-owned (matched by bare table name, case-insensitive).
    pub global_tables: Vec<String>,
    pub schema: Schema,
}

impl Tenancy {
    /// `None` = not tenant-owned. `Some(cols)` = the columns any one of which scopes it.
    ///
    /// `table` may be bare or qualified (`orders`, `public.orders`, `pg_catalog.pg_class`).
    /// Global table or system schema/catalog -> `None`; override -> `Some([col])`; schema
    /// defines the table -> `Some(configured columns it has)` or `None` if it has none; schema
    /// does not define it, or schema empty -> `Some(all configured columns)` (`None` when no
    /// column is configured).
    pub fn tenant_columns(&self, table: &str) -> Option<Vec<String>> {
        if is_system_table(table) {
            return None;
        }
        let name = bare_table_name(table);
        if self
            .global_tables
            .iter()
            .any(|g| bare_table_name(g) == name)
        {
            return None;
        }
        if let Some((_, col)) = self
            .overrides
            .iter()
            .find(|(t, _)| bare_table_name(t) == name)
        {
            return Some(vec![norm_ident(col)]);
        }
        let configured: Vec<String> = self.columns.iter().map(|c| norm_ident(c)).collect();
        let cols = match self.schema.tables.get(&name) {
            Some(t) => configured
                .into_iter()
                .filter(|c| t.columns.contains(c))
                .collect(),
            None => configured,
        };
        if cols.is_empty() {
            None
        } else {
            Some(cols)
        }
    }

    /// For `cargo tenant-audit init`: (tenant-column candidates, global-table candidates).
    ///
    /// Candidates are the configured column names found in the schema, then `*_id` columns that
    /// more than half of the tables share, most common first. Global-table candidates are the
    /// tables that have none of the candidates (empty when there is no candidate).
    pub fn suggest(schema: &Schema, columns: &[String]) -> (Vec<String>, Vec<String>) {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for t in schema.tables.values() {
            for c in &t.columns {
                *counts.entry(c.clone()).or_default() += 1;
            }
        }
        let total = schema.tables.len();
        let by_count = |names: Vec<String>| -> Vec<String> {
            let mut v: Vec<(usize, String)> = names
                .into_iter()
                .map(|n| (counts.get(&n).copied().unwrap_or(0), n))
                .collect();
            v.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            v.into_iter().map(|(_, n)| n).collect()
        };
        let mut configured: Vec<String> = Vec::new();
        for c in columns {
            let c = norm_ident(c);
            if counts.contains_key(&c) && !configured.contains(&c) {
                configured.push(c);
            }
        }
        let mut candidates = by_count(configured);
        let shared: Vec<String> = counts
            .iter()
            .filter(|(c, n)| c.ends_with("_id") && **n * 2 > total && !candidates.contains(c))
            .map(|(c, _)| c.clone())
            .collect();
        candidates.extend(by_count(shared));
        let globals = if candidates.is_empty() {
            Vec::new()
        } else {
            schema
                .tables
                .values()
                .filter(|t| !candidates.iter().any(|c| t.columns.contains(c)))
                .map(|t| t.name.clone())
                .collect()
        };
        (candidates, globals)
    }
}

/// `pg_catalog.x`, `information_schema.x`, `sqlite_master`, unqualified `pg_*` catalogs...
pub(crate) fn is_system_table(table: &str) -> bool {
    let lower = table.to_lowercase();
    let parts: Vec<&str> = lower
        .split('.')
        .map(|p| p.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']'))
        .collect();
    let name = parts.last().copied().unwrap_or("");
    if parts.len() >= 2 && SYSTEM_SCHEMAS.contains(&parts[parts.len() - 2]) {
        return true;
    }
    SYSTEM_TABLES.contains(&name) || (parts.len() == 1 && name.starts_with("pg_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(s: &Schema, t: &str) -> Vec<String> {
        s.table(t)
            .unwrap_or_else(|| {
                panic!(
                    "no table `{t}` in {:?}",
                    s.tables.keys().collect::<Vec<_>>()
                )
            })
            .columns
            .clone()
    }

    #[test]
    fn migrations_apply_in_order() {
        let mut s = Schema::default();
        assert!(s.is_empty());
        s.apply_migration(
            r#"-- 0001_init.sql
            CREATE TABLE IF NOT EXISTS public.orgs (id UUID PRIMARY KEY, name TEXT NOT NULL);
            CREATE TABLE "Projects" (
                "Id" BIGSERIAL PRIMARY KEY,
                "org_id" UUID NOT NULL REFERENCES orgs(id),
                title TEXT,
                CONSTRAINT projects_title_uniq UNIQUE (org_id, title)
            );"#,
            Dialect::Postgres,
        );
        s.apply_migration(
            "ALTER TABLE projects ADD COLUMN archived BOOLEAN DEFAULT false;
             ALTER TABLE public.orgs ADD plan TEXT, ADD COLUMN IF NOT EXISTS region TEXT;
             CREATE TABLE IF NOT EXISTS orgs (only_this int);",
            Dialect::Postgres,
        );
        assert_eq!(cols(&s, "orgs"), ["id", "name", "plan", "region"]);
        assert_eq!(cols(&s, "projects"), ["id", "org_id", "title", "archived"]);
        assert_eq!(cols(&s, "PUBLIC.PROJECTS"), cols(&s, "projects"));
        s.apply_migration(
            "ALTER TABLE projects RENAME COLUMN title TO name;
             ALTER TABLE projects DROP COLUMN archived;
             ALTER TABLE orgs RENAME TO organisations;",
            Dialect::Postgres,
        );
        assert_eq!(cols(&s, "projects"), ["id", "org_id", "name"]);
        assert!(s.table("orgs").is_none());
        assert_eq!(cols(&s, "organisations"), ["id", "name", "plan", "region"]);
        s.apply_migration(
            "DROP TABLE IF EXISTS organisations CASCADE;",
            Dialect::Postgres,
        );
        assert!(s.table("organisations").is_none());
    }

    #[test]
    fn migrations_tolerate_what_they_do_not_understand() {
        let mut s = Schema::default();
        s.apply_migration(
            r#"
            CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
            CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$
            BEGIN NEW.updated_at = now(); RETURN NEW; END;
            $$ LANGUAGE plpgsql;
            DO $$ BEGIN IF NOT EXISTS (SELECT 1) THEN CREATE TYPE mood AS ENUM ('a'); END IF; END $$;
            CREATE TABLE tasks (id uuid, tenant_id uuid, body text) PARTITION BY HASH (tenant_id) WITH (fillfactor = 70) TABLESPACE fast ZZZ UNPARSEABLE;
            CREATE TRIGGER t BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION set_updated_at();
            INSERT INTO tasks (id, tenant_id) VALUES (uuid_generate_v4(), uuid_generate_v4());
            GRANT SELECT ON tasks TO app;
            ALTER TABLE tasks ADD COLUMN done bool, FROBNICATE;
            CREATE POLICY p ON tasks USING (tenant_id = current_setting('app.tenant')::uuid);
            "#,
            Dialect::Postgres,
        );
        assert_eq!(cols(&s, "tasks"), ["id", "tenant_id", "body", "done"]);
        // Garbage does not panic.
        for junk in [
            "",
            ";",
            "CREATE TABLE",
            "CREATE TABLE (",
            "ALTER TABLE x ADD",
            "'unterminated",
            "$$",
        ] {
            s.apply_migration(junk, Dialect::Postgres);
            s.apply_migration(junk, Dialect::Sqlite);
        }
    }

    #[test]
    fn mysql_and_sqlite_migrations() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE `invoices` (`id` INT AUTO_INCREMENT PRIMARY KEY, `workspace_id` INT NOT NULL, KEY idx_ws (`workspace_id`)) ENGINE=InnoDB;
             ALTER TABLE invoices CHANGE COLUMN total amount INT;
             RENAME TABLE invoices TO bills;",
            Dialect::MySql,
        );
        assert_eq!(cols(&s, "bills"), ["id", "workspace_id", "amount"]);
        s.apply_migration(
            "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL) STRICT;
             CREATE TRIGGER tr AFTER INSERT ON notes BEGIN UPDATE notes SET id = id WHERE id = NEW.id; END;
             ALTER TABLE notes ADD COLUMN body TEXT;",
            Dialect::Sqlite,
        );
        assert_eq!(cols(&s, "notes"), ["id", "org_id", "body"]);
    }

    #[test]
    fn create_table_like_and_as() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE a (id int, org_id uuid);
             CREATE TABLE b (LIKE a INCLUDING ALL);
             CREATE TABLE c AS SELECT id, org_id AS tenant FROM a;",
            Dialect::Postgres,
        );
        assert_eq!(cols(&s, "b"), ["id", "org_id"]);
        assert_eq!(cols(&s, "c"), ["id", "tenant"]);
    }

    #[test]
    fn diesel_table_macro() {
        let tokens: TokenStream = quote::quote! {
            use diesel::sql_types::*;
            use crate::schema::sql_types::Mood;

            /// Projects of an organisation.
            projects (id) {
                id -> Int4,
                org_id -> Uuid,
                #[sql_name = "type"]
                kind -> Nullable<Text>,
                r#ref -> Array<Nullable<Int4>>,
                mood -> Mood,
            }

            #[sql_name = "Members"]
            app.members (org_id, user_id) {
                org_id -> Uuid,
                user_id -> Uuid,
            }

            countries {
                code -> Text,
            }
        };
        let mut s = Schema::default();
        s.add_diesel_table_macro(&tokens);
        assert_eq!(
            cols(&s, "projects"),
            ["id", "org_id", "type", "ref", "mood"]
        );
        assert_eq!(cols(&s, "members"), ["org_id", "user_id"]);
        assert_eq!(cols(&s, "countries"), ["code"]);
        assert_eq!(s.tables.len(), 3);
    }

    #[test]
    fn sea_orm_model() {
        let item: syn::ItemStruct = syn::parse_quote! {
            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
            #[sea_orm(table_name = "projects", schema_name = "app")]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub id: Uuid,
                #[sea_orm(column_name = "OrgId", indexed)]
                pub organisation: Uuid,
                #[sea_orm(column_type = "Decimal(Some((10, 2)))", nullable)]
                pub price: Option<Decimal>,
                #[sea_orm(ignore)]
                pub cache: String,
                pub r#type: String,
            }
        };
        let mut s = Schema::default();
        s.add_sea_orm_model(&item);
        assert_eq!(cols(&s, "projects"), ["id", "orgid", "price", "type"]);

        let not_entity: syn::ItemStruct = syn::parse_quote! {
            #[derive(Debug)]
            #[sea_orm(table_name = "nope")]
            pub struct Model { pub id: i32 }
        };
        s.add_sea_orm_model(&not_entity);
        assert!(s.table("nope").is_none());
    }

    #[test]
    fn suggest_columns_and_globals() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE orgs (id uuid, name text);
             CREATE TABLE a (id int, account_id int, x int);
             CREATE TABLE b (id int, account_id int);
             CREATE TABLE c (id int, account_id int, user_id int);
             CREATE TABLE plans (id int, name text);",
            Dialect::Postgres,
        );
        let (cands, globals) = Tenancy::suggest(&s, &["org_id".to_string()]);
        assert_eq!(cands, ["account_id"]);
        assert_eq!(globals, ["orgs", "plans"]);

        s.apply_migration("ALTER TABLE a ADD COLUMN org_id uuid;", Dialect::Postgres);
        let (cands, _) = Tenancy::suggest(&s, &["tenant_id".to_string(), "org_id".to_string()]);
        assert_eq!(cands, ["org_id", "account_id"]);
        assert_eq!(Tenancy::suggest(&Schema::default(), &[]), (vec![], vec![]));
    }

    #[test]
    fn tenant_columns_rules() {
        let mut t = Tenancy {
            columns: vec!["org_id".into(), "tenant_id".into()],
            global_tables: vec!["Plans".into()],
            ..Tenancy::default()
        };
        t.overrides.insert("organisations".into(), "id".into());
        // No schema: every non-global table is tenant-owned by all configured columns.
        assert_eq!(
            t.tenant_columns("orders"),
            Some(vec!["org_id".into(), "tenant_id".into()])
        );
        assert_eq!(t.tenant_columns("plans"), None);
        assert_eq!(t.tenant_columns("public.PLANS"), None);
        assert_eq!(t.tenant_columns("pg_catalog.pg_class"), None);
        assert_eq!(t.tenant_columns("information_schema.tables"), None);
        assert_eq!(t.tenant_columns("sqlite_master"), None);
        assert_eq!(t.tenant_columns("performance_schema.events"), None);
        assert_eq!(t.tenant_columns("organisations"), Some(vec!["id".into()]));
        t.schema.apply_migration(
            "CREATE TABLE orders (id int, tenant_id int); CREATE TABLE tags (id int);",
            Dialect::Generic,
        );
        assert_eq!(t.tenant_columns("orders"), Some(vec!["tenant_id".into()]));
        assert_eq!(t.tenant_columns("tags"), None);
        assert_eq!(
            t.tenant_columns("undefined"),
            Some(vec!["org_id".into(), "tenant_id".into()])
        );
        let none = Tenancy::default();
        assert_eq!(none.tenant_columns("orders"), None);
    }
}
