//! SQL migrations: `CREATE TABLE`, `ALTER TABLE` and friends, parsed statement by statement, with
//! a lenient token scan for what the parser rejects.

use sqlparser::ast::{
    AlterTableOperation, CreateTableLikeKind, ObjectType, RenameTableNameKind, Statement,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{bare_table_name, object_name, Schema, Table, MAX_STATEMENT_TOKENS};
use crate::sql::{norm_ident, Dialect};

impl Schema {
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
                        columns = crate::sql::analyze::query_output_columns(q).unwrap_or_default();
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
                        let like = w.quote_style.is_none() && w.value.eq_ignore_ascii_case("LIKE");
                        if !like && !starts_constraint(w) {
                            columns.push(w.value.clone());
                        } else if like {
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
                        if !starts_constraint(w) {
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
}

/// Words that open a table constraint or index rather than a column definition, in a `CREATE
/// TABLE` list or after `ALTER TABLE .. ADD` (every dialect's, unquoted).
const CONSTRAINT_KEYWORDS: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "FOREIGN",
    "UNIQUE",
    "CHECK",
    "KEY",
    "INDEX",
    "EXCLUDE",
    "FULLTEXT",
    "SPATIAL",
    "PERIOD",
];

/// Whether a table element starting with `w` is a constraint (or index), not a column.
fn starts_constraint(w: &sqlparser::tokenizer::Word) -> bool {
    w.quote_style.is_none()
        && CONSTRAINT_KEYWORDS
            .iter()
            .any(|k| w.value.eq_ignore_ascii_case(k))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::schema::test_columns as cols;
    use crate::sql::Dialect;

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
}
