//! Parsing query text: the tokenizer's size limit, the requested dialect, then the generic one;
//! then, for text both reject, the statements that touch no table are set aside and the rest is
//! parsed again; what still fails is named by its construct where it is a known parser gap.

use sqlparser::ast::Statement;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::SqlParseError;
use crate::sql::schema::MAX_STATEMENT_TOKENS;
use crate::sql::Dialect;

/// The `sqlparser` release this crate is built with (a test holds it to Cargo.lock), for
/// messages about what it cannot parse.
pub(crate) const SQLPARSER_VERSION: &str = "0.64";

/// What the text holds: the parsed statements, and how many statements that touch no table
/// (`PRAGMA ..`, `VACUUM INTO ?`) were set aside because the parser rejects them.
pub(super) struct Parsed {
    pub(super) statements: Vec<Statement>,
    pub(super) set_aside: usize,
}

/// Parses with `dialect`, retrying with the generic dialect when that fails. When both fail,
/// the statements that touch no table are set aside and the others parsed again; when that
/// fails too, the error carries the first parser's message, or names the construct when the
/// failing statement is a known gap of the parser.
pub(super) fn parse_with_retry(sql: &str, dialect: Dialect) -> Result<Parsed, SqlParseError> {
    let mut dialects = vec![dialect];
    if dialect != Dialect::Generic {
        dialects.push(Dialect::Generic);
    }
    let mut first = None;
    for &d in &dialects {
        match tokenize(sql, d).and_then(|t| parse(t, d)) {
            Ok(statements) => {
                return Ok(Parsed {
                    statements,
                    set_aside: 0,
                })
            }
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    let first = first.unwrap_or_else(|| SqlParseError {
        message: "cannot parse".into(),
    });
    let mut gap = None;
    for &d in &dialects {
        let Ok(tokens) = tokenize(sql, d) else {
            continue;
        };
        let mut kept: Vec<Vec<TokenWithSpan>> = Vec::new();
        let mut set_aside = 0;
        for part in split(tokens) {
            if touches_no_table(&part) {
                set_aside += 1;
            } else if !part.iter().all(|t| is_trivia(&t.token)) {
                kept.push(part);
            }
        }
        if set_aside > 0 {
            let mut joined = Vec::new();
            for part in &kept {
                joined.extend(part.iter().cloned());
                joined.push(TokenWithSpan::wrap(Token::SemiColon));
            }
            if let Ok(statements) = parse(joined, d) {
                return Ok(Parsed {
                    statements,
                    set_aside,
                });
            }
        }
        if gap.is_none() {
            gap = kept
                .iter()
                .find(|p| parse(p.to_vec(), d).is_err())
                .and_then(|p| known_gap(p));
        }
    }
    match gap {
        Some(construct) => Err(SqlParseError {
            message: format!(
                "sqlparser {SQLPARSER_VERSION} cannot parse {construct} (valid SQL the parser does not support yet)"
            ),
        }),
        None => Err(first),
    }
}

fn tokenize(sql: &str, dialect: Dialect) -> Result<Vec<TokenWithSpan>, SqlParseError> {
    let d = dialect.parser_dialect();
    Tokenizer::new(d.as_ref(), sql)
        .tokenize_with_location()
        .map(unqualify_operators)
        .map_err(|e| SqlParseError {
            message: e.to_string(),
        })
}

/// Postgres's schema-qualified operators, `OPERATOR(pg_catalog.=)` (and `OPERATOR(=)`), as the
/// bare operator they name. SQL written to be safe under any `search_path` spells every operator
/// so (`WHERE tenant_id OPERATOR(pg_catalog.=) $1`); the parser keeps a binary one as a custom
/// operator, which scopes nothing, and rejects a prefix one (`OPERATOR(pg_catalog.-) 2`).
/// Another schema's operator is left as it is: it may mean anything.
fn unqualify_operators(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let is_operator_word = |t: &Token| matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("OPERATOR"));
    if !tokens.iter().any(|t| is_operator_word(&t.token)) {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if is_operator_word(&tokens[i].token) {
            if let Some((op, next)) = qualified_operator(&tokens, i + 1) {
                out.push(tokens[op].clone());
                i = next;
                continue;
            }
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out
}

/// After `OPERATOR`, at `i`: `( [pg_catalog .] <op> )`, whitespace allowed between; the index of
/// `<op>` and of the token after `)`.
fn qualified_operator(tokens: &[TokenWithSpan], mut i: usize) -> Option<(usize, usize)> {
    let next = |i: &mut usize| -> Option<usize> {
        while matches!(tokens.get(*i)?.token, Token::Whitespace(_)) {
            *i += 1;
        }
        *i += 1;
        Some(*i - 1)
    };
    if tokens[next(&mut i)?].token != Token::LParen {
        return None;
    }
    let mut op = next(&mut i)?;
    if let Token::Word(w) = &tokens[op].token {
        let schema = w.quote_style.is_none() && w.value.eq_ignore_ascii_case("pg_catalog")
            || w.quote_style == Some('"') && w.value == "pg_catalog";
        if !schema || tokens[next(&mut i)?].token != Token::Period {
            return None;
        }
        op = next(&mut i)?;
    }
    if !is_operator(&tokens[op].token) || tokens[next(&mut i)?].token != Token::RParen {
        return None;
    }
    Some((op, i))
}

/// Whether a token is an operator (`=`, `<>`, `-`, `~~`, `@>`, ..): not a word, literal,
/// placeholder or punctuation.
fn is_operator(t: &Token) -> bool {
    !matches!(
        t,
        Token::EOF
            | Token::Word(_)
            | Token::Number(..)
            | Token::Whitespace(_)
            | Token::Placeholder(_)
            | Token::LParen
            | Token::RParen
            | Token::LBracket
            | Token::RBracket
            | Token::LBrace
            | Token::RBrace
            | Token::Comma
            | Token::Period
            | Token::SemiColon
            | Token::Colon
            | Token::DoubleColon
    ) && !t
        .to_string()
        .starts_with(|c: char| c.is_alphanumeric() || matches!(c, '\'' | '"' | '$' | '`' | '_'))
}

fn parse(tokens: Vec<TokenWithSpan>, dialect: Dialect) -> Result<Vec<Statement>, SqlParseError> {
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
    let d = dialect.parser_dialect();
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

/// Statements as token lists, split at `;` (the tokenizer keeps a `;` inside a string or a
/// dollar-quoted body in that token).
fn split(tokens: Vec<TokenWithSpan>) -> Vec<Vec<TokenWithSpan>> {
    let mut out = vec![Vec::new()];
    for t in tokens {
        if t.token == Token::SemiColon {
            out.push(Vec::new());
        } else if let Some(last) = out.last_mut() {
            last.push(t);
        }
    }
    out
}

fn is_trivia(t: &Token) -> bool {
    matches!(t, Token::Whitespace(_) | Token::EOF)
}

/// Upper-cased unquoted keywords, in order (quoted identifiers are names, never keywords).
fn keywords(tokens: &[TokenWithSpan]) -> Vec<String> {
    tokens
        .iter()
        .map(|t| &t.token)
        .filter(|t| !is_trivia(t))
        .map(|t| match t {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            _ => String::new(),
        })
        .collect()
}

/// Statements that read or write no table row, by their first keyword(s): session and
/// transaction control, and DDL (which, parsed, has no table to flag either).
const NO_TABLE: &[&[&str]] = &[
    &["PRAGMA"],
    &["VACUUM"],
    &["SET"],
    &["RESET"],
    &["BEGIN"],
    &["START", "TRANSACTION"],
    &["COMMIT"],
    &["END"],
    &["ROLLBACK"],
    &["ABORT"],
    &["SAVEPOINT"],
    &["RELEASE"],
    &["SHOW"],
    &["LISTEN"],
    &["UNLISTEN"],
    &["NOTIFY"],
    &["DISCARD"],
    &["DEALLOCATE"],
    &["CHECKPOINT"],
    &["ATTACH"],
    &["DETACH"],
    &["ALTER"],
    &["CREATE"],
    &["DROP"],
    &["COMMENT"],
    &["GRANT"],
    &["REVOKE"],
    &["REINDEX"],
    &["ANALYZE"],
    &["CLUSTER"],
    &["REFRESH"],
];

/// Words that bring a table's rows into a statement (`SET x = (SELECT ..)`): such a statement is
/// analysed like any other.
const READS_ROWS: &[&str] = &[
    "SELECT", "FROM", "JOIN", "INSERT", "UPDATE", "DELETE", "WITH",
];

/// Whether one statement (its tokens) is a literal statement that touches no table row:
/// `PRAGMA ..`, `VACUUM [INTO ?]`, `SET ..`, `BEGIN`, `COMMIT`, `ROLLBACK [TO SAVEPOINT x]`,
/// `SAVEPOINT x`, `RELEASE x`, `SHOW ..`, `LISTEN`/`NOTIFY`, `DISCARD`, `RESET`, DDL
/// (`ALTER INDEX IF EXISTS .. RENAME`, `ALTER TABLE .. ATTACH PARTITION`) and the like.
fn touches_no_table(tokens: &[TokenWithSpan]) -> bool {
    let kw = keywords(tokens);
    if kw.is_empty() {
        return false;
    }
    NO_TABLE
        .iter()
        .any(|start| kw.len() >= start.len() && kw[..start.len()] == **start)
        && !kw.iter().any(|k| READS_ROWS.contains(&k.as_str()))
}

/// Valid SQL the parser is known to reject, named by its construct.
fn known_gap(tokens: &[TokenWithSpan]) -> Option<&'static str> {
    let kw = keywords(tokens);
    let at = |w: &str| kw.iter().position(|k| k == w);
    let (insert, select) = (at("INSERT")?, at("SELECT")?);
    // `INSERT .. SELECT <list> ON CONFLICT ..` with no FROM/WHERE between: the parser takes the
    // `ON` for the select list's end and then trips over `CONFLICT`.
    let on = kw
        .windows(2)
        .position(|w| w[0] == "ON" && w[1] == "CONFLICT")?;
    let between = &kw[select..on];
    if insert < select && !between.iter().any(|k| k == "FROM" || k == "WHERE") {
        return Some("INSERT .. SELECT .. ON CONFLICT when the SELECT has no FROM");
    }
    None
}

/// Whether every statement of `sql` touches no table row (see [`touches_no_table`]); `false`
/// for text that does not tokenize or holds no statement.
pub fn is_tableless(sql: &str, dialect: Dialect) -> bool {
    let Ok(tokens) = tokenize(sql, dialect).or_else(|_| tokenize(sql, Dialect::Generic)) else {
        return false;
    };
    let parts: Vec<Vec<TokenWithSpan>> = split(tokens)
        .into_iter()
        .filter(|p| !p.iter().all(|t| is_trivia(&t.token)))
        .collect();
    !parts.is_empty() && parts.iter().all(|p| touches_no_table(p))
}
