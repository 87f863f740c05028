//! Parsing query text: the tokenizer's size limit, the requested dialect, then the generic one.

use sqlparser::ast::Statement;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::SqlParseError;
use crate::sql::schema::MAX_STATEMENT_TOKENS;
use crate::sql::Dialect;

/// Parses with `dialect`, retrying with the generic dialect when that fails; when both fail, the
/// error carries the first parser's message.
pub(super) fn parse_with_retry(
    sql: &str,
    dialect: Dialect,
) -> Result<Vec<Statement>, SqlParseError> {
    match parse(sql, dialect) {
        Ok(s) => Ok(s),
        Err(first) if dialect != Dialect::Generic => {
            parse(sql, Dialect::Generic).map_err(|_| first)
        }
        Err(e) => Err(e),
    }
}

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
