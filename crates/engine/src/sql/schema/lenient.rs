//! The token scan for migration statements the parser rejects: `CREATE TABLE` (columns, keys,
//! NOT NULL, REFERENCES, `LIKE`, `PARTITION OF`, `INHERITS`) and `ALTER TABLE .. ADD`.

use sqlparser::tokenizer::{Token, Word};

use super::{Schema, Table};

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

/// The significant tokens of one statement.
struct Toks<'a>(Vec<&'a Token>);

impl<'a> Toks<'a> {
    /// The unquoted keyword at `i`, upper-cased.
    fn word(&self, i: usize) -> Option<String> {
        match self.0.get(i) {
            Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn is(&self, i: usize, kw: &str) -> bool {
        self.word(i).as_deref() == Some(kw)
    }

    /// A possibly dotted, possibly quoted name starting at `i`; returns it and the next index.
    fn name(&self, mut i: usize) -> Option<(String, usize)> {
        let mut parts = Vec::new();
        loop {
            match self.0.get(i) {
                Some(Token::Word(w)) => parts.push(w.value.clone()),
                _ => return None,
            }
            i += 1;
            if matches!(self.0.get(i), Some(Token::Period)) {
                i += 1;
            } else {
                break;
            }
        }
        Some((parts.join("."), i))
    }

    /// The comma-separated items of the parenthesised list opening at `open`, and the index
    /// after its closing parenthesis.
    fn list(&self, open: usize) -> (Vec<std::ops::Range<usize>>, usize) {
        let mut items = Vec::new();
        let mut depth = 0usize;
        let mut start = open + 1;
        let mut i = open;
        while let Some(t) = self.0.get(i) {
            match t {
                Token::LParen => depth += 1,
                Token::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        items.push(start..i);
                        return (items, i + 1);
                    }
                }
                Token::Comma if depth == 1 => {
                    items.push(start..i);
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        items.push(start..i);
        (items, i)
    }

    /// The identifiers of a parenthesised name list at `open` (`(a, b)`), if there is one.
    fn names(&self, open: usize) -> Option<(Vec<String>, usize)> {
        if !matches!(self.0.get(open), Some(Token::LParen)) {
            return None;
        }
        let (items, next) = self.list(open);
        let names = items
            .into_iter()
            .filter_map(|r| match self.0.get(r.start) {
                Some(Token::Word(w)) if !r.is_empty() => Some(w.value.clone()),
                _ => None,
            })
            .collect();
        Some((names, next))
    }
}

/// Whether a table element starting with `w` is a constraint (or index), not a column.
fn starts_constraint(w: &Word) -> bool {
    w.quote_style.is_none()
        && CONSTRAINT_KEYWORDS
            .iter()
            .any(|k| w.value.eq_ignore_ascii_case(k))
}

impl Schema {
    /// Token scan for `CREATE [..] TABLE [IF NOT EXISTS] name ( col .., CONSTRAINT .. )`,
    /// `CREATE TABLE name PARTITION OF parent ..` and
    /// `ALTER TABLE [IF EXISTS] [ONLY] name ADD [COLUMN] [IF NOT EXISTS] col [, ADD ..]`.
    pub(super) fn lenient(&mut self, tokens: &[Token]) {
        let toks = Toks(
            tokens
                .iter()
                .filter(|t| !matches!(t, Token::Whitespace(_) | Token::EOF))
                .collect(),
        );
        if toks.is(0, "CREATE") {
            self.lenient_create(&toks);
        } else if toks.is(0, "ALTER") && toks.is(1, "TABLE") {
            self.lenient_alter(&toks);
        }
    }

    fn lenient_create(&mut self, toks: &Toks<'_>) {
        let Some(mut i) = (1..toks.0.len().min(8)).find(|&i| toks.is(i, "TABLE")) else {
            return;
        };
        i += 1;
        let mut if_not_exists = false;
        if toks.is(i, "IF") {
            if_not_exists = true;
            i += 3;
        }
        let Some((name, mut next)) = toks.name(i) else {
            return;
        };
        let mut t = Table::named(&name);
        let mut partition_of = None;
        if toks.is(next, "PARTITION") && toks.is(next + 1, "OF") {
            let Some((parent, after)) = toks.name(next + 2) else {
                return;
            };
            partition_of = Some(parent);
            next = after;
        }
        if matches!(toks.0.get(next), Some(Token::LParen)) {
            let (items, after) = toks.list(next);
            for item in items {
                self.lenient_element(toks, item, &mut t);
            }
            next = after;
        } else if partition_of.is_none() {
            return;
        }
        if let Some(parent) = partition_of {
            self.inherit_from(&mut t, &parent, true);
        }
        if toks.is(next, "INHERITS") {
            if let Some((parents, _)) = toks.names(next + 1) {
                for p in parents {
                    self.inherit_from(&mut t, &p, false);
                }
            }
        }
        self.insert_table(t, if_not_exists);
    }

    /// One element of a `CREATE TABLE` list: a column with its options, a table constraint, or
    /// `LIKE other`.
    fn lenient_element(&self, toks: &Toks<'_>, item: std::ops::Range<usize>, t: &mut Table) {
        let Some(Token::Word(w)) = toks.0.get(item.start) else {
            return;
        };
        if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("LIKE") {
            // `(LIKE other INCLUDING ALL)`: copy the other table's columns.
            if let Some((src, _)) = toks.name(item.start + 1) {
                if let Some(src) = self.table(&src) {
                    for c in &src.columns {
                        t.add_column(c);
                    }
                }
            }
        } else if starts_constraint(w) {
            lenient_constraint(toks, item, t);
        } else {
            t.add_column(&w.value);
            lenient_column_options(toks, item.start + 1..item.end, &w.value, t);
        }
    }

    fn lenient_alter(&mut self, toks: &Toks<'_>) {
        let mut i = 2;
        if toks.is(i, "IF") {
            i += 2;
        }
        if toks.is(i, "ONLY") {
            i += 1;
        }
        let Some((name, mut i)) = toks.name(i) else {
            return;
        };
        while toks.is(i, "ADD") {
            i += 1;
            if toks.is(i, "COLUMN") {
                i += 1;
            }
            if toks.is(i, "IF") {
                i += 3;
            }
            let Some(Token::Word(w)) = toks.0.get(i) else {
                break;
            };
            // The item runs to the next top-level comma.
            let mut end = i;
            let mut depth = 0usize;
            while let Some(t) = toks.0.get(end) {
                match t {
                    Token::LParen => depth += 1,
                    Token::RParen => depth = depth.saturating_sub(1),
                    Token::Comma if depth == 0 => break,
                    _ => {}
                }
                end += 1;
            }
            if starts_constraint(w) {
                lenient_constraint(toks, i..end, self.table_mut(&name));
            } else {
                for n in self.family(&name) {
                    let t = self.table_mut(&n);
                    t.add_column(&w.value);
                    lenient_column_options(toks, i + 1..end, &w.value, t);
                }
            }
            i = end + 1;
        }
    }
}

/// `NOT NULL`, `PRIMARY KEY`, `UNIQUE`, `REFERENCES t [(c)]` after a column's name and type.
fn lenient_column_options(toks: &Toks<'_>, r: std::ops::Range<usize>, column: &str, t: &mut Table) {
    let mut i = r.start;
    while i < r.end {
        if toks.is(i, "NOT") && toks.is(i + 1, "NULL") {
            t.set_not_null(column, true);
            i += 1;
        } else if toks.is(i, "PRIMARY") && toks.is(i + 1, "KEY") {
            t.set_primary_key(vec![column.to_string()], None);
            i += 1;
        } else if toks.is(i, "UNIQUE") {
            t.add_unique(vec![column.to_string()]);
        } else if toks.is(i, "REFERENCES") {
            if let Some((table, next)) = toks.name(i + 1) {
                let referenced = toks.names(next).map(|(n, _)| n).unwrap_or_default();
                t.add_foreign_key(None, &[column.to_string()], &table, &referenced);
            }
        }
        i += 1;
    }
}

/// `[CONSTRAINT name] PRIMARY KEY (..) | UNIQUE [KEY|INDEX] [name] (..) | FOREIGN KEY (..)
/// REFERENCES t [(..)]`; other constraints (CHECK, EXCLUDE, indexes) say nothing about keys.
fn lenient_constraint(toks: &Toks<'_>, r: std::ops::Range<usize>, t: &mut Table) {
    let mut i = r.start;
    let mut name = None;
    if toks.is(i, "CONSTRAINT") {
        if let Some(Token::Word(w)) = toks.0.get(i + 1) {
            name = Some(w.value.as_str());
        }
        i += 2;
    }
    let open = (i..r.end).find(|&k| matches!(toks.0.get(k), Some(Token::LParen)));
    let Some((columns, after)) = open.and_then(|k| toks.names(k)) else {
        return;
    };
    if toks.is(i, "PRIMARY") {
        t.set_primary_key(columns, name);
    } else if toks.is(i, "UNIQUE") {
        t.add_unique(columns);
    } else if toks.is(i, "FOREIGN") && toks.is(after, "REFERENCES") {
        if let Some((table, next)) = toks.name(after + 1) {
            let referenced = toks.names(next).map(|(n, _)| n).unwrap_or_default();
            t.add_foreign_key(name, &columns, &table, &referenced);
        }
    }
}
