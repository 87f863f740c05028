//! Does a string read as SQL, as far as the walk can tell, and where its text comes from.

use crate::extract::{Env, Walker};
use crate::strings::StrSource;

use crate::sql::reads_as_sql;

/// How much the walk can see of a string argument before phase 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// Its leading text reads as SQL.
    Sql,
    /// It is a const, static or file: phase 2 decides (the site is tentative).
    Later,
    /// Nothing says it is SQL.
    No,
}

/// Does a string argument read as SQL, as far as the walk can tell?
pub fn evidence<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Evidence {
    evidence_depth(w, e, w.env(), 0)
}

fn evidence_depth<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> Evidence {
    use syn::Expr;
    if depth > 12 {
        return Evidence::No;
    }
    if let Some(inner) = crate::extract::string_wrapped(e) {
        return evidence_depth(w, inner, env, depth + 1);
    }
    let text = |s: &str| {
        if reads_as_sql(s) {
            Evidence::Sql
        } else {
            Evidence::No
        }
    };
    match e {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => text(&s.value()),
        Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => {
            evidence_depth(w, &b.left, env, depth + 1)
        }
        Expr::If(i) => match i.then_branch.stmts.last() {
            Some(syn::Stmt::Expr(t, None)) => evidence_depth(w, t, env, depth + 1),
            _ => Evidence::No,
        },
        Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(t, None)) => evidence_depth(w, t, env, depth + 1),
            _ => Evidence::No,
        },
        Expr::Macro(m) => {
            let name = m
                .mac
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            match name.as_str() {
                "include_str" => Evidence::Later,
                "format" | "concat" => {
                    let first = w.macro_list(&m.mac).and_then(|l| l.first());
                    match first {
                        Some(syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        })) => text(&s.value()),
                        _ => Evidence::No,
                    }
                }
                _ => Evidence::No,
            }
        }
        Expr::Path(p) if p.qself.is_none() => {
            if p.path.segments.len() == 1 {
                let name = p.path.segments[0].ident.to_string();
                if let Some(l) = w.local_at(&name, env) {
                    return match w.origin(&l) {
                        Some((init, at)) if !l.is_param => evidence_depth(w, init, at, depth + 1),
                        _ => Evidence::No,
                    };
                }
            }
            // A const or static: SCREAMING_CASE by convention.
            let last = p
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            if last.chars().any(|c| c.is_ascii_uppercase())
                && !last.chars().any(|c| c.is_ascii_lowercase())
            {
                Evidence::Later
            } else {
                Evidence::No
            }
        }
        _ => Evidence::No,
    }
}

/// Where the SQL of an argument comes from ([`Walker::str_source`]): growth by literals
/// (`sql += " AND id < $2"`, `sql.push_str(..)` under a `match`) is one text per way the fn can
/// build it; growth by anything else is dynamic.
pub fn sql_source<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> StrSource {
    w.str_source(e)
}
