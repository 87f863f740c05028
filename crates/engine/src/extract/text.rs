//! Where a string expression's value comes from, as far as the fn shows: literals, `concat!`,
//! `include_str!`, locals through the value model (each definition that may reach the use),
//! `if`/`match` branches; consts are left for phase 2, `format!` and parameters are dynamic.

use super::values::{Env, Grow, Value};
use super::walk::Walker;
use crate::ast::{short, string_wrapped};
use crate::strings::StrSource;
use quote::ToTokens;

impl<'ast> Walker<'ast, '_> {
    /// Where a string expression's value comes from, evaluated here.
    pub fn str_source(&self, e: &'ast syn::Expr) -> StrSource {
        self.str_source_at(e, self.env())
    }

    /// [`Walker::str_source`] of an expression evaluated at `env` (a value's own point).
    pub fn str_source_at(&self, e: &'ast syn::Expr, env: Env) -> StrSource {
        self.str_source_depth(e, env, 0)
    }

    fn str_source_depth(&self, e: &'ast syn::Expr, env: Env, depth: usize) -> StrSource {
        use syn::Expr;
        if depth > 16 {
            return StrSource::dynamic("an expression too deep to follow");
        }
        if let Some(inner) = string_wrapped(e) {
            return self.str_source_depth(inner, env, depth + 1);
        }
        match e {
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Str(s) => StrSource::Lit(s.value()),
                _ => StrSource::dynamic(format!("`{}`", short(e))),
            },
            Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(inner, None)) => self.str_source_depth(inner, env, depth + 1),
                _ => StrSource::dynamic(format!("`{}`", short(e))),
            },
            Expr::If(i) => {
                let mut alts = Vec::new();
                if let Some(syn::Stmt::Expr(t, None)) = i.then_branch.stmts.last() {
                    alts.push(self.str_source_depth(t, env, depth + 1));
                } else {
                    return StrSource::dynamic(format!("`{}`", short(e)));
                }
                match &i.else_branch {
                    Some((_, els)) => alts.push(self.str_source_depth(els, env, depth + 1)),
                    None => return StrSource::dynamic(format!("`{}`", short(e))),
                }
                StrSource::Alt(alts)
            }
            Expr::Match(m) => StrSource::Alt(
                m.arms
                    .iter()
                    .map(|a| self.str_source_depth(&a.body, env, depth + 1))
                    .collect(),
            ),
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => StrSource::Concat(vec![
                self.str_source_depth(&b.left, env, depth + 1),
                self.str_source_depth(&b.right, env, depth + 1),
            ]),
            Expr::Macro(m) => self.macro_str_source(&m.mac),
            Expr::Path(p) if p.qself.is_none() => {
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if segs.len() == 1 {
                    if let Some(src) = self.local_str_source(&segs[0], env, depth) {
                        return src;
                    }
                }
                StrSource::Const(segs, self.module.clone())
            }
            _ => StrSource::dynamic(format!("`{}`", short(e))),
        }
    }

    /// The string a local holds at `env`: one source per definition that may reach it.
    fn local_str_source(&self, name: &str, env: Env, depth: usize) -> Option<StrSource> {
        let values = self.values()?;
        let defs = values.lookup(name, env);
        if defs.is_empty() {
            return None;
        }
        let mut alts: Vec<StrSource> = defs
            .iter()
            .map(|d| match d.value {
                Value::Param => StrSource::dynamic(format!("parameter `{name}`")),
                Value::Expr(x, at) => self.str_source_depth(x, *at, depth + 1),
                Value::Grown {
                    prev,
                    how: Grow::AddAssign | Grow::Method("push_str" | "push"),
                    tail: Some(tail),
                    env: at,
                } => match self.local_str_source(name, *prev, depth + 1) {
                    Some(before) => {
                        StrSource::Concat(vec![before, self.str_source_depth(tail, *at, depth + 1)])
                    }
                    None => StrSource::dynamic(format!("`{name}`")),
                },
                _ => StrSource::dynamic(format!("`{name}`")),
            })
            .collect();
        Some(if alts.len() == 1 {
            alts.pop().unwrap_or(StrSource::Lit(String::new()))
        } else {
            StrSource::Alt(alts)
        })
    }

    pub(super) fn macro_str_source(&self, mac: &syn::Macro) -> StrSource {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let args = || crate::ast::macro_args(mac);
        match name.as_str() {
            "concat" => match args() {
                Some(list) => StrSource::Concat(
                    list.iter()
                        .map(|a| match a {
                            syn::Expr::Lit(l) => match &l.lit {
                                syn::Lit::Str(s) => StrSource::Lit(s.value()),
                                other => StrSource::Lit(other.to_token_stream().to_string()),
                            },
                            syn::Expr::Macro(m) => self.macro_str_source(&m.mac),
                            other => StrSource::dynamic(format!("`{}`", short(other))),
                        })
                        .collect(),
                ),
                None => StrSource::dynamic("`concat!(..)`"),
            },
            "include_str" => match args().as_ref().and_then(|a| a.first()) {
                Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                })) => StrSource::File {
                    path: s.value(),
                    relative_to_file: true,
                },
                _ => StrSource::dynamic("`include_str!(..)`"),
            },
            "format" => match args() {
                Some(list) if list.len() == 1 => match &list[0] {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) if !s.value().contains('{') => StrSource::Lit(s.value()),
                    _ => StrSource::dynamic("`format!`"),
                },
                _ => StrSource::dynamic("`format!`"),
            },
            _ => StrSource::dynamic(format!("`{name}!`")),
        }
    }
}
