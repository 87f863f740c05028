//! SQL migrations: `CREATE TABLE`, `ALTER TABLE` and friends, parsed statement by statement, with
//! a lenient token scan for what the parser rejects.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnOption, CreateTableLikeKind, Expr, Ident,
    IndexColumn, ObjectType, RenameTableNameKind, Statement, TableConstraint,
};
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::{bare_table_name, object_name, Schema, Table, MAX_STATEMENT_TOKENS};
use crate::sql::Dialect;

impl Schema {
    /// Applies one SQL migration file: `CREATE TABLE` (quoted names, `IF NOT EXISTS`,
    /// schema-qualified, `LIKE other`), `ALTER TABLE .. ADD [COLUMN]`, `DROP COLUMN`,
    /// `RENAME COLUMN`, `RENAME TO`, MySQL `CHANGE`/`RENAME TABLE`, and `DROP TABLE`.
    ///
    /// The file is split into statements at top-level `;` and each is parsed on its own (with
    /// `dialect`, then the generic dialect); a statement neither parses is scanned leniently for
    /// `CREATE TABLE name (col ...)` and `ALTER TABLE name ADD [COLUMN] col`. Statements it does
    /// not understand (functions, triggers, `DO` blocks, seeds...) are skipped. A file that
    /// holds both directions (dbmate `-- migrate:down`, goose `-- +goose Down`, sql-migrate
    /// `-- +migrate Down`) is read up to its down section. Never fails.
    pub fn apply_migration(&mut self, sql: &str, dialect: Dialect) {
        let sql = up_section(sql);
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
            if self.do_block(&stmt, dialect) {
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

    /// A Postgres `DO $$ .. $$` block: the `CREATE TABLE` and `ALTER TABLE` statements in its
    /// body (under `IF .. THEN`, `BEGIN .. EXCEPTION`) are applied; the rest of the procedural
    /// code is skipped. Returns whether `stmt` was one.
    fn do_block(&mut self, stmt: &[Token], dialect: Dialect) -> bool {
        let mut toks = stmt.iter().filter(|t| !is_trivia(t));
        if !matches!(toks.next(), Some(Token::Word(w)) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("DO"))
        {
            return false;
        }
        for t in toks {
            let Token::DollarQuotedString(body) = t else {
                continue;
            };
            let Some(tokens) = tokenize(&body.value, dialect) else {
                continue;
            };
            for part in split_statements(tokens) {
                // The statement starts at its first CREATE or ALTER (after BEGIN, THEN, ..).
                let start = part.iter().position(|t| {
                    matches!(t, Token::Word(w) if w.quote_style.is_none()
                        && (w.value.eq_ignore_ascii_case("CREATE") || w.value.eq_ignore_ascii_case("ALTER")))
                });
                if let Some(start) = start {
                    let part = &part[start..];
                    match parse_tokens(part, dialect)
                        .or_else(|| parse_tokens(part, Dialect::Generic))
                    {
                        Some(statements) => {
                            for s in &statements {
                                self.apply_statement(s);
                            }
                        }
                        None => self.lenient(part),
                    }
                }
            }
        }
        true
    }

    fn apply_statement(&mut self, stmt: &Statement) {
        match stmt {
            Statement::CreateTable(ct) => {
                let mut t = Table::named(&object_name(&ct.name));
                for c in &ct.columns {
                    t.add_column(&c.name.value);
                    for o in &c.options {
                        column_option(&mut t, &c.name.value, o.name.as_ref(), &o.option);
                    }
                }
                for k in &ct.constraints {
                    table_constraint(&mut t, k);
                }
                if ct.columns.is_empty() {
                    let like = match &ct.like {
                        Some(CreateTableLikeKind::Parenthesized(l)) => Some(&l.name),
                        Some(CreateTableLikeKind::Plain(l)) => Some(&l.name),
                        None => None,
                    };
                    if let Some(src) = like.or(ct.clone.as_ref()) {
                        if let Some(src) = self.table(&object_name(src)) {
                            t.columns = src.columns.clone();
                        }
                    } else if let Some(q) = &ct.query {
                        t.columns =
                            crate::sql::analyze::query_output_columns(q).unwrap_or_default();
                    }
                }
                if let Some(parent) = &ct.partition_of {
                    self.inherit_from(&mut t, &object_name(parent), true);
                }
                for parent in ct.inherits.iter().flatten() {
                    self.inherit_from(&mut t, &object_name(parent), false);
                }
                self.insert_table(t, ct.if_not_exists);
            }
            Statement::CreateIndex(ix) if ix.unique && ix.predicate.is_none() => {
                let columns: Option<Vec<String>> = ix
                    .columns
                    .iter()
                    .map(|c| expr_column(&c.column.expr))
                    .collect();
                if let Some(columns) = columns {
                    self.table_mut(&object_name(&ix.table_name))
                        .add_unique(columns);
                }
            }
            Statement::AlterTable(at) => {
                let mut name = object_name(&at.name);
                for op in &at.operations {
                    self.alter(&mut name, op);
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
                cascade,
                ..
            } => {
                for n in names {
                    self.drop_table(&object_name(n), *cascade);
                }
            }
            _ => {}
        }
    }

    /// One `ALTER TABLE name` operation. Column changes reach the tables that inherit from
    /// `name` too (Postgres propagates them to partitions and `INHERITS` children).
    fn alter(&mut self, name: &mut String, op: &AlterTableOperation) {
        match op {
            AlterTableOperation::AddColumn { column_def, .. } => {
                for n in self.family(name) {
                    let t = self.table_mut(&n);
                    t.add_column(&column_def.name.value);
                    for o in &column_def.options {
                        column_option(t, &column_def.name.value, o.name.as_ref(), &o.option);
                    }
                }
            }
            AlterTableOperation::AddConstraint { constraint, .. } => {
                table_constraint(self.table_mut(name), constraint);
            }
            AlterTableOperation::DropColumn { column_names, .. } => {
                for n in self.family(name) {
                    let t = self.table_mut(&n);
                    for c in column_names {
                        t.drop_column(&c.value);
                    }
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                for n in self.family(name) {
                    self.table_mut(&n)
                        .rename_column(&old_column_name.value, &new_column_name.value);
                }
            }
            AlterTableOperation::ChangeColumn {
                old_name,
                new_name,
                options,
                ..
            } => {
                let t = self.table_mut(name);
                t.rename_column(&old_name.value, &new_name.value);
                for o in options {
                    column_option(t, &new_name.value, None, o);
                }
            }
            AlterTableOperation::ModifyColumn {
                col_name, options, ..
            } => {
                let t = self.table_mut(name);
                for o in options {
                    column_option(t, &col_name.value, None, o);
                }
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let not_null = match op {
                    AlterColumnOperation::SetNotNull => true,
                    AlterColumnOperation::DropNotNull => false,
                    _ => return,
                };
                for n in self.family(name) {
                    self.table_mut(&n)
                        .set_not_null(&column_name.value, not_null);
                }
            }
            AlterTableOperation::DropPrimaryKey { .. } => self.table_mut(name).key.clear(),
            AlterTableOperation::DropConstraint { name: c, .. }
            | AlterTableOperation::DropForeignKey { name: c, .. } => {
                self.table_mut(name).drop_constraint(&c.value)
            }
            AlterTableOperation::AttachPartitionOf { partition, .. } => {
                let parent = bare_table_name(name);
                let child = bare_table_name(&object_name(partition));
                if let Some(mut t) = self.tables.remove(&child) {
                    self.inherit_from(&mut t, &parent, true);
                    self.tables.insert(child, t);
                }
            }
            AlterTableOperation::RenameTable { table_name } => {
                let new = match table_name {
                    RenameTableNameKind::As(n) | RenameTableNameKind::To(n) => object_name(n),
                };
                self.rename_table(name, &new);
                *name = new;
            }
            _ => {}
        }
    }
}

/// The text before a down section, for files that hold both directions.
fn up_section(sql: &str) -> &str {
    let mut offset = 0;
    for line in sql.split_inclusive('\n') {
        let t = line.trim().to_ascii_lowercase();
        let marker = t.strip_prefix("--").map(str::trim);
        if matches!(
            marker,
            Some("migrate:down" | "+goose down" | "+migrate down")
        ) {
            return &sql[..offset];
        }
        offset += line.len();
    }
    sql
}

/// A column option: NOT NULL / NULL, PRIMARY KEY, UNIQUE, REFERENCES (`name`: its
/// `CONSTRAINT name`, if any).
fn column_option(t: &mut Table, column: &str, name: Option<&Ident>, o: &ColumnOption) {
    let name = name.map(|n| n.value.as_str());
    match o {
        ColumnOption::NotNull => t.set_not_null(column, true),
        ColumnOption::Null => t.set_not_null(column, false),
        ColumnOption::PrimaryKey(pk) => {
            let name = pk.name.as_ref().map(|n| n.value.as_str()).or(name);
            t.set_primary_key(vec![column.to_string()], name)
        }
        ColumnOption::Unique(_) => t.add_unique(vec![column.to_string()]),
        ColumnOption::ForeignKey(fk) => {
            let referenced: Vec<String> = fk
                .referred_columns
                .iter()
                .map(|c| c.value.clone())
                .collect();
            let name = fk.name.as_ref().map(|n| n.value.as_str()).or(name);
            t.add_foreign_key(
                name,
                &[column.to_string()],
                &object_name(&fk.foreign_table),
                &referenced,
            );
        }
        _ => {}
    }
}

/// A table constraint: PRIMARY KEY (..), UNIQUE (..), FOREIGN KEY (..) REFERENCES t (..).
fn table_constraint(t: &mut Table, c: &TableConstraint) {
    match c {
        TableConstraint::PrimaryKey(pk) => {
            if let Some(cols) = index_columns(&pk.columns) {
                t.set_primary_key(cols, pk.name.as_ref().map(|n| n.value.as_str()));
            }
        }
        TableConstraint::Unique(u) => {
            if let Some(cols) = index_columns(&u.columns) {
                t.add_unique(cols);
            }
        }
        TableConstraint::ForeignKey(fk) => {
            let columns: Vec<String> = fk.columns.iter().map(|c| c.value.clone()).collect();
            let referenced: Vec<String> = fk
                .referred_columns
                .iter()
                .map(|c| c.value.clone())
                .collect();
            t.add_foreign_key(
                fk.name.as_ref().map(|n| n.value.as_str()),
                &columns,
                &object_name(&fk.foreign_table),
                &referenced,
            );
        }
        _ => {}
    }
}

/// The column names of an index, `None` when one of them is an expression.
fn index_columns(columns: &[IndexColumn]) -> Option<Vec<String>> {
    columns
        .iter()
        .map(|c| expr_column(&c.column.expr))
        .collect()
}

fn expr_column(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(i) => Some(i.value.clone()),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::schema::test_columns as cols;
    use crate::sql::Dialect;

    fn fk(s: &Schema, t: &str, c: &str) -> Option<(String, Option<String>)> {
        s.table(t)?
            .foreign_key(c)
            .map(|f| (f.table.clone(), f.referenced.clone()))
    }

    #[test]
    fn keys_not_null_and_foreign_keys() {
        let mut s = Schema::default();
        s.apply_migration(
            r#"CREATE TABLE workspace (workspace_id UUID PRIMARY KEY, name TEXT);
            CREATE TABLE app (
                id BIGSERIAL,
                workspace_id UUID NOT NULL REFERENCES workspace,
                slug TEXT NOT NULL UNIQUE,
                CONSTRAINT app_pk PRIMARY KEY (id)
            );
            CREATE TABLE app_version (
                app_id BIGINT NOT NULL REFERENCES app (id) ON DELETE CASCADE,
                version INT NOT NULL,
                note_id BIGINT,
                PRIMARY KEY (app_id, version),
                FOREIGN KEY (note_id) REFERENCES public.notes (id)
            );
            CREATE UNIQUE INDEX app_version_note ON app_version (note_id);
            CREATE UNIQUE INDEX app_live ON app (workspace_id, slug) WHERE live;
            CREATE INDEX app_ws ON app (workspace_id);"#,
            Dialect::Postgres,
        );
        let ws = s.table("workspace").unwrap();
        assert_eq!(ws.primary_key(), ["workspace_id"]);
        assert!(ws.is_not_null("workspace_id"));
        assert!(!ws.is_not_null("name"));
        let app = s.table("app").unwrap();
        assert_eq!(app.primary_key(), ["id"]);
        assert_eq!(app.unique_keys(), [vec!["slug".to_string()]]);
        assert!(app.is_not_null("id") && app.is_not_null("workspace_id"));
        assert_eq!(
            fk(&s, "app", "workspace_id"),
            Some(("workspace".into(), None))
        );
        let v = s.table("app_version").unwrap();
        assert_eq!(v.primary_key(), ["app_id", "version"]);
        assert_eq!(v.unique_keys(), [vec!["note_id".to_string()]]);
        assert_eq!(
            fk(&s, "app_version", "app_id"),
            Some(("app".into(), Some("id".into())))
        );
        assert_eq!(
            fk(&s, "app_version", "note_id"),
            Some(("notes".into(), Some("id".into())))
        );
        assert!(v.is_not_null("app_id") && !v.is_not_null("note_id"));
        assert_eq!(v.keys().count(), 2);
    }

    #[test]
    fn alter_table_keys_and_constraints() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE app (id BIGINT, workspace_id UUID);
             CREATE TABLE app_version (id BIGINT, app_id BIGINT);
             ALTER TABLE app ADD PRIMARY KEY (id);
             ALTER TABLE app ALTER COLUMN workspace_id SET NOT NULL;
             ALTER TABLE app_version ADD CONSTRAINT fk_app FOREIGN KEY (app_id) REFERENCES app (id);
             ALTER TABLE app_version ADD COLUMN owner_id BIGINT NOT NULL REFERENCES users (id);
             ALTER TABLE app_version ADD CONSTRAINT v_uniq UNIQUE (app_id, id);
             ALTER TABLE app_version ALTER COLUMN app_id SET NOT NULL;",
            Dialect::Postgres,
        );
        let app = s.table("app").unwrap();
        assert_eq!(app.primary_key(), ["id"]);
        assert!(app.is_not_null("workspace_id"));
        let v = s.table("app_version").unwrap();
        assert_eq!(
            fk(&s, "app_version", "app_id"),
            Some(("app".into(), Some("id".into())))
        );
        assert_eq!(
            fk(&s, "app_version", "owner_id"),
            Some(("users".into(), Some("id".into())))
        );
        assert!(v.is_not_null("app_id") && v.is_not_null("owner_id"));
        assert_eq!(
            v.unique_keys(),
            [vec!["app_id".to_string(), "id".to_string()]]
        );
        s.apply_migration(
            "ALTER TABLE app_version RENAME COLUMN app_id TO application_id;
             ALTER TABLE app RENAME TO application;
             ALTER TABLE app_version DROP COLUMN owner_id;
             ALTER TABLE app_version ALTER COLUMN application_id DROP NOT NULL;
             ALTER TABLE application DROP CONSTRAINT IF EXISTS x;",
            Dialect::Postgres,
        );
        assert_eq!(
            fk(&s, "app_version", "application_id"),
            Some(("application".into(), Some("id".into())))
        );
        let v = s.table("app_version").unwrap();
        assert_eq!(v.foreign_keys().len(), 1);
        assert!(!v.is_not_null("application_id"));
        assert_eq!(
            v.unique_keys(),
            [vec!["application_id".to_string(), "id".to_string()]]
        );
    }

    #[test]
    fn tables_and_columns_created_in_do_blocks() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE af_user (uid BIGINT PRIMARY KEY);
            DO $$
            BEGIN
                -- create table to store collab embeddings
                CREATE TABLE IF NOT EXISTS af_collab_embeddings (
                    fragment_id TEXT NOT NULL PRIMARY KEY,
                    oid TEXT NOT NULL REFERENCES af_collab (oid),
                    content TEXT
                );
                IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE column_name = 'workspace_id') THEN
                    ALTER TABLE af_user ADD COLUMN workspace_id UUID NOT NULL;
                END IF;
                IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 't') THEN
                    CREATE TYPE t AS (a TEXT);
                END IF;
            EXCEPTION WHEN others THEN
                RAISE NOTICE 'ignored';
            END $$;
            DO $body$ BEGIN ALTER TABLE af_user ADD COLUMN name TEXT; END $body$ LANGUAGE plpgsql;",
            Dialect::Postgres,
        );
        assert_eq!(
            cols(&s, "af_collab_embeddings"),
            ["fragment_id", "oid", "content"]
        );
        let e = s.table("af_collab_embeddings").unwrap();
        assert_eq!(e.primary_key(), ["fragment_id"]);
        assert_eq!(
            e.foreign_key("oid").map(|f| f.table.as_str()),
            Some("af_collab")
        );
        assert_eq!(cols(&s, "af_user"), ["uid", "workspace_id", "name"]);
        assert!(s.table("af_user").unwrap().is_not_null("workspace_id"));
    }

    #[test]
    fn down_sections_are_not_applied() {
        for (marker, up) in [
            ("-- migrate:down", "-- migrate:up"),
            ("-- +goose Down", "-- +goose Up"),
            ("-- +migrate Down", "-- +migrate Up"),
        ] {
            let mut s = Schema::default();
            s.apply_migration(
                &format!("{up}\nCREATE TABLE chunks (id INT, team_id INT);\n\n{marker}\nDROP TABLE chunks;\n"),
                Dialect::Postgres,
            );
            assert_eq!(cols(&s, "chunks"), ["id", "team_id"], "{marker}");
        }
    }

    #[test]
    fn dropped_constraints_are_gone() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE a (id INT PRIMARY KEY);
             CREATE TABLE e (oid TEXT NOT NULL REFERENCES a (id), k INT, CONSTRAINT e_pk PRIMARY KEY (oid));
             CREATE TABLE m (msg_id TEXT NOT NULL, dest_id TEXT NOT NULL);
             ALTER TABLE m ADD CONSTRAINT fk_m_dest FOREIGN KEY (dest_id) REFERENCES a (id);
             ALTER TABLE m ADD CONSTRAINT fk_m_msg FOREIGN KEY (msg_id) REFERENCES a (id);
             ALTER TABLE e DROP CONSTRAINT e_oid_fkey;
             ALTER TABLE e DROP CONSTRAINT e_pk;
             ALTER TABLE m DROP CONSTRAINT fk_m_dest;
             ALTER TABLE a DROP CONSTRAINT a_pkey;",
            Dialect::Postgres,
        );
        assert!(s.table("e").unwrap().foreign_keys().is_empty());
        assert!(s.table("e").unwrap().primary_key().is_empty());
        assert!(s.table("a").unwrap().primary_key().is_empty());
        let m = s.table("m").unwrap();
        assert_eq!(m.foreign_keys().len(), 1);
        assert_eq!(m.foreign_keys()[0].column, "msg_id");
        s.apply_migration(
            "CREATE TABLE x (a INT, CONSTRAINT x_a FOREIGN KEY (a) REFERENCES a (id)) ZZZ;
             ALTER TABLE x DROP CONSTRAINT x_a;",
            Dialect::Postgres,
        );
        assert!(
            s.table("x").unwrap().foreign_keys().is_empty(),
            "lenient names too"
        );
    }

    #[test]
    fn partitions_and_inherits_take_the_parents_columns() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE af_collab (oid TEXT NOT NULL, workspace_id UUID NOT NULL REFERENCES af_workspace, blob BYTEA, PRIMARY KEY (oid, workspace_id)) PARTITION BY LIST (partition_key);
             CREATE TABLE af_collab_document PARTITION OF af_collab FOR VALUES IN (0);
             CREATE TABLE af_collab_folder PARTITION OF af_collab DEFAULT;
             CREATE TABLE events (id BIGINT, tenant_id UUID NOT NULL);
             CREATE TABLE audit_events (actor TEXT) INHERITS (events);
             ALTER TABLE af_collab ADD COLUMN deleted_at TIMESTAMPTZ;
             CREATE TABLE af_collab_detached (LIKE af_collab);
             ALTER TABLE af_collab ATTACH PARTITION af_collab_detached FOR VALUES IN (9);",
            Dialect::Postgres,
        );
        for part in ["af_collab_document", "af_collab_folder"] {
            assert_eq!(
                cols(&s, part),
                ["oid", "workspace_id", "blob", "deleted_at"],
                "{part}"
            );
            let t = s.table(part).unwrap();
            assert_eq!(t.parents(), ["af_collab"]);
            assert_eq!(t.primary_key(), ["oid", "workspace_id"]);
            assert!(t.is_not_null("workspace_id"));
            assert_eq!(
                fk(&s, part, "workspace_id"),
                Some(("af_workspace".into(), None))
            );
        }
        assert_eq!(
            s.table("af_collab_detached").unwrap().parents(),
            ["af_collab"]
        );
        assert_eq!(cols(&s, "audit_events"), ["id", "tenant_id", "actor"]);
        assert!(s.table("af_collab_document").unwrap().partition);
        assert!(!s.table("audit_events").unwrap().partition);
        let a = s.table("audit_events").unwrap();
        assert_eq!(a.parents(), ["events"]);
        // INHERITS takes columns and NOT NULL, not keys.
        assert!(a.is_not_null("tenant_id"));
        assert!(a.primary_key().is_empty());
    }

    #[test]
    fn dropping_a_partitioned_table_drops_its_partitions() {
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE c (oid TEXT, workspace_id UUID) PARTITION BY LIST (k);
             CREATE TABLE c_doc PARTITION OF c FOR VALUES IN (0);
             CREATE TABLE c_log (x INT) INHERITS (c);
             DROP TABLE c;
             CREATE TABLE c_new (oid UUID PRIMARY KEY, workspace_id UUID NOT NULL);
             ALTER TABLE c_new RENAME TO c;",
            Dialect::Postgres,
        );
        assert!(s.table("c_doc").is_none());
        // INHERITS children survive a plain DROP (Postgres refuses it; the schema keeps them).
        assert!(s.table("c_log").is_some());
        assert_eq!(s.table("c").unwrap().primary_key(), ["oid"]);
        s.apply_migration("DROP TABLE c CASCADE;", Dialect::Postgres);
        assert!(s.table("c_log").is_none());
    }

    #[test]
    fn lenient_scan_reads_keys_and_partitions() {
        // Each statement has a tail the parsers reject, so only the token scan reads them.
        let mut s = Schema::default();
        s.apply_migration(
            "CREATE TABLE app (id BIGINT PRIMARY KEY, workspace_id UUID NOT NULL REFERENCES workspace (workspace_id), slug TEXT UNIQUE) ZZZ;
             CREATE TABLE app_version (app_id BIGINT NOT NULL, n INT, CONSTRAINT pk PRIMARY KEY (app_id, n), CONSTRAINT fk FOREIGN KEY (app_id) REFERENCES app (id), UNIQUE (n)) ZZZ;
             CREATE TABLE app_part PARTITION OF app FOR VALUES IN (1) ZZZ;
             CREATE TABLE app_child (extra INT) INHERITS (app) ZZZ;
             ALTER TABLE app ADD COLUMN owner BIGINT NOT NULL REFERENCES users, FROBNICATE;
             ALTER TABLE app_version ADD CONSTRAINT u2 UNIQUE (app_id), FROBNICATE;",
            Dialect::Postgres,
        );
        let app = s.table("app").unwrap();
        assert_eq!(app.primary_key(), ["id"]);
        assert_eq!(app.unique_keys(), [vec!["slug".to_string()]]);
        assert!(app.is_not_null("workspace_id") && app.is_not_null("owner"));
        assert_eq!(
            fk(&s, "app", "workspace_id"),
            Some(("workspace".into(), Some("workspace_id".into())))
        );
        assert_eq!(fk(&s, "app", "owner"), Some(("users".into(), None)));
        let v = s.table("app_version").unwrap();
        assert_eq!(v.primary_key(), ["app_id", "n"]);
        assert_eq!(
            v.unique_keys(),
            [vec!["n".to_string()], vec!["app_id".to_string()]]
        );
        assert_eq!(
            fk(&s, "app_version", "app_id"),
            Some(("app".into(), Some("id".into())))
        );
        assert_eq!(
            cols(&s, "app_part"),
            ["id", "workspace_id", "slug", "owner"]
        );
        assert_eq!(s.table("app_part").unwrap().primary_key(), ["id"]);
        // A column added to the parent later lands after the child's own.
        assert_eq!(
            cols(&s, "app_child"),
            ["id", "workspace_id", "slug", "extra", "owner"]
        );
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
}
