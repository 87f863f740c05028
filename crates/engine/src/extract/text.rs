//! Where a string expression's value comes from, as far as the fn shows: literals, `concat!`,
//! `include_str!`, locals through the value model (each definition that may reach the use,
//! growth by `+=`/`push_str` included), `if`/`match` branches, array and struct literals and
//! their parts (`for m in MIGRATIONS { m.sql }`); consts are left for phase 2, parameters for the
//! callers. `format!` is resolved when every hole is something SQL can hold statically (a
//! placeholder number, an IN-list of placeholders, a SET list of literal columns, a number, a
//! const or literal), and when the statement around its holes touches no table.

use super::values::{Env, Grow, Proj, Value};
use super::walk::Walker;
use crate::ast::{short, string_wrapped};
use crate::strings::{Step, StrSource};
use quote::ToTokens;

/// How deep a value is followed through locals before giving up.
const MAX_DEPTH: usize = 16;

/// How many expressions and local definitions one text is followed through before giving up.
/// Each `if` that appends to a text doubles the ways it can be built (`sql.push_str(..)` in 35
/// optional filters is 2^35 texts); phase 2 reads at most 16 of them anyway.
const MAX_TEXT_STEPS: u32 = 20_000;

/// The part of a text past [`MAX_TEXT_STEPS`]: never shown, the whole text is replaced.
fn given_up() -> StrSource {
    StrSource::Alt(Vec::new())
}

impl<'ast> Walker<'ast, '_> {
    /// An expression as the messages of a text show it ([`short`]); nothing while sketching
    /// (see [`Walker::sketch`]), when only the text's leaves are looked at.
    fn shown(&self, e: &syn::Expr) -> String {
        if self.sketch.get() {
            String::new()
        } else {
            short(e)
        }
    }

    /// [`Walker::shown`] in backquotes, as a text's message names an expression; nothing while
    /// sketching.
    fn quoted(&self, e: &syn::Expr) -> String {
        if self.sketch.get() {
            String::new()
        } else {
            format!("`{}`", short(e))
        }
    }

    /// Where a string expression's value comes from, evaluated here.
    pub fn str_source(&self, e: &'ast syn::Expr) -> StrSource {
        self.str_source_at(e, self.env())
    }

    /// [`Walker::str_source`] of an expression evaluated at `env` (a value's own point).
    pub fn str_source_at(&self, e: &'ast syn::Expr, env: Env) -> StrSource {
        if self.text_steps.get().is_some() {
            return self.str_source_depth(e, env, 0);
        }
        self.text_steps.set(Some(0));
        let src = self.str_source_depth(e, env, 0);
        let steps = self.text_steps.replace(None).unwrap_or(0);
        if steps > MAX_TEXT_STEPS {
            return StrSource::dynamic(format!(
                "`{}`, a text built in more ways than the audit follows (each `if` that adds to it doubles them)",
                short(e)
            ));
        }
        src
    }

    /// Counts one step of the text being worked out: false once there have been too many. The
    /// rest of the text is then given up, unread ([`given_up`]), and [`Walker::str_source_at`]
    /// replaces the whole text by one that says why.
    fn text_step(&self) -> bool {
        match self.text_steps.get() {
            Some(n) => {
                self.text_steps.set(Some(n.saturating_add(1)));
                n < MAX_TEXT_STEPS
            }
            None => true,
        }
    }

    fn str_source_depth(&self, e: &'ast syn::Expr, env: Env, depth: usize) -> StrSource {
        use syn::Expr;
        if depth > MAX_DEPTH {
            return StrSource::dynamic("an expression too deep to follow");
        }
        if !self.text_step() {
            return given_up();
        }
        if let Some(inner) = string_wrapped(e) {
            return self.str_source_depth(inner, env, depth + 1);
        }
        match e {
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Str(s) => StrSource::Lit(s.value()),
                syn::Lit::Char(c) => StrSource::Lit(c.value().to_string()),
                _ => StrSource::dynamic(self.quoted(e)),
            },
            Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(inner, None)) => self.str_source_depth(inner, env, depth + 1),
                _ => StrSource::dynamic(self.quoted(e)),
            },
            Expr::If(i) => {
                let mut alts = Vec::new();
                if let Some(syn::Stmt::Expr(t, None)) = i.then_branch.stmts.last() {
                    alts.push(self.str_source_depth(t, env, depth + 1));
                } else {
                    return StrSource::dynamic(self.quoted(e));
                }
                match &i.else_branch {
                    Some((_, els)) => alts.push(self.str_source_depth(els, env, depth + 1)),
                    None => return StrSource::dynamic(self.quoted(e)),
                }
                StrSource::Alt(alts)
            }
            Expr::Match(m) => StrSource::Alt(
                m.arms
                    .iter()
                    .filter(|a| !diverges(&a.body))
                    .map(|a| self.str_source_depth(&a.body, env, depth + 1))
                    .collect(),
            ),
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => StrSource::Concat(vec![
                self.str_source_depth(&b.left, env, depth + 1),
                self.str_source_depth(&b.right, env, depth + 1),
            ]),
            Expr::Array(a) => StrSource::Array(
                a.elems
                    .iter()
                    .map(|x| self.str_source_depth(x, env, depth + 1))
                    .collect(),
            ),
            Expr::Tuple(t) => StrSource::Struct(
                t.elems
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (i.to_string(), self.str_source_depth(x, env, depth + 1)))
                    .collect(),
            ),
            Expr::Struct(s) => StrSource::Struct(
                s.fields
                    .iter()
                    .map(|f| {
                        let name = match &f.member {
                            syn::Member::Named(n) => n.to_string(),
                            syn::Member::Unnamed(i) => i.index.to_string(),
                        };
                        (name, self.str_source_depth(&f.expr, env, depth + 1))
                    })
                    .collect(),
            ),
            Expr::Field(f) => {
                let step = match &f.member {
                    syn::Member::Named(n) => Step::Field(n.to_string()),
                    syn::Member::Unnamed(i) => Step::Field(i.index.to_string()),
                };
                project(self.str_source_depth(&f.base, env, depth + 1), vec![step])
            }
            // `STEPS[i]`: any element (the index is not read).
            Expr::Index(x) => project(
                self.str_source_depth(&x.expr, env, depth + 1),
                vec![Step::Elem],
            ),
            // `Some("..")`, `Ok(..)`: the value inside (a `let Some(x) = ..` projects through it).
            Expr::Call(c)
                if c.args.len() == 1
                    && crate::ast::last_segment(&c.func)
                        .is_some_and(|n| matches!(n.as_str(), "Some" | "Ok")) =>
            {
                self.str_source_depth(&c.args[0], env, depth + 1)
            }
            // Iterating an array as it is: `MIGRATIONS.iter()`, `m.sql.iter().copied()`, some
            // of its elements (`.rev()`, `.filter(..)`).
            Expr::MethodCall(m)
                if matches!(
                    (m.method.to_string().as_str(), m.args.len()),
                    (
                        "iter" | "into_iter" | "copied" | "cloned" | "unwrap" | "as_slice" | "rev",
                        0
                    ) | ("filter" | "skip" | "take" | "skip_while" | "take_while", 1)
                ) =>
            {
                self.str_source_depth(&m.receiver, env, depth + 1)
            }
            // One element of it: `MIGRATIONS.iter().find(|m| ..)`, `.first()`, `.last()`.
            Expr::MethodCall(m)
                if matches!(
                    (m.method.to_string().as_str(), m.args.len()),
                    ("first" | "last" | "next", 0) | ("find" | "nth" | "get", 1)
                ) =>
            {
                project(
                    self.str_source_depth(&m.receiver, env, depth + 1),
                    vec![Step::Elem],
                )
            }
            // A lazy static's initialiser, `Lazy::new(|| ..)`, `LazyLock::new(|| ..)`: what
            // the closure returns.
            Expr::Closure(c) if c.inputs.is_empty() => {
                self.str_source_depth(&c.body, env, depth + 1)
            }
            // `cleanup_sql: None`: no text at all (a loop over it runs no statement).
            Expr::Path(p) if p.path.is_ident("None") => StrSource::Alt(Vec::new()),
            Expr::Macro(m) => self.macro_str_source_at(&m.mac, env, depth),
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
                // A method's receiver: its text is whatever the caller calls the method on.
                if segs.len() == 1 && segs[0] == "self" {
                    if let Some(f) = self.current_fn() {
                        return StrSource::dynamic(format!(
                            "`self`, the value `{}` is called on (the audit does not follow a method's receiver to its callers)",
                            f.name
                        ));
                    }
                }
                let mut segs = segs;
                // `Self::TABLE` in an impl is that type's const; in a trait's default method it
                // is every implementor's (phase 2).
                if segs.len() == 2 && segs[0] == "Self" {
                    if let (Some(ty), false) = (
                        self.self_ty(),
                        self.current_fn().is_some_and(|f| f.in_trait),
                    ) {
                        segs[0] = ty.to_string();
                    }
                }
                StrSource::Const(segs, self.module.clone())
            }
            Expr::MethodCall(m) if sea_query_build(m) => StrSource::dynamic(format!(
                "a sea-query builder statement (`{}`), which the audit does not read: write the SQL as a literal the audit can judge, cover the site with a `tenant_bypass` (attribute, `tenant_bypass!` or a `[[bypass]]` entry) whose reason says why it is safe, or set `TA202 = \"note\"` under `[rules]` when the workspace builds its SQL this way",
                self.shown(e)
            )),
            // What a workspace fn returns, with what this call passes (phase 2).
            Expr::Call(c) if self.current_fn().is_some() => match crate::ast::last_segment(&c.func)
            {
                Some(callee) => returned(e, callee, self.quoted(e)),
                None => StrSource::dynamic(self.quoted(e)),
            },
            // A method of the fn's own type (`self.ddl(..)`); other method calls are most
            // often the standard library's (`.join(..)`, `.collect()`).
            Expr::MethodCall(m)
                if self.current_fn().is_some()
                    && matches!(crate::ast::peel(&m.receiver), Expr::Path(p) if p.path.is_ident("self")) =>
            {
                returned(e, m.method.to_string(), self.quoted(e))
            }
            _ => StrSource::dynamic(self.quoted(e)),
        }
    }

    /// The string a local holds at `env`: one source per definition that may reach it.
    fn local_str_source(&self, name: &str, env: Env, depth: usize) -> Option<StrSource> {
        if !self.text_step() {
            return Some(given_up());
        }
        let values = self.values()?;
        let defs = values.lookup(name, env);
        if defs.is_empty() {
            return None;
        }
        let mut alts: Vec<StrSource> = defs
            .iter()
            .map(|d| match d.value {
                Value::Param => match d.binding.param {
                    Some(index) => StrSource::Param {
                        index,
                        what: format!("parameter `{name}`"),
                    },
                    None => StrSource::dynamic(format!("parameter `{name}`")),
                },
                Value::Expr(x, at) => self.str_source_depth(x, *at, depth + 1),
                Value::Part(x, at, proj) => project(
                    self.str_source_depth(x, *at, depth + 1),
                    steps_of(proj),
                ),
                Value::Elem(x, at, proj) => {
                    let mut steps = vec![Step::Elem];
                    steps.extend(steps_of(proj));
                    project(self.str_source_depth(x, *at, depth + 1), steps)
                }
                Value::Grown {
                    prev,
                    how: how @ (Grow::AddAssign | Grow::Method("push_str" | "push")),
                    tail: Some(tail),
                    env: at,
                } => {
                    let before = self
                        .local_str_source(name, *prev, depth + 1)
                        .unwrap_or_else(|| StrSource::dynamic(format!("`{name}`")));
                    let written = || match how {
                        Grow::AddAssign => format!("`{name} += {}`", self.shown(tail)),
                        _ => format!("`{name}.push_str({})`", self.shown(tail)),
                    };
                    let added = match self.str_source_depth(tail, *at, depth + 1) {
                        StrSource::Dynamic(what) => {
                            StrSource::dynamic(format!("{} ({what})", written()))
                        }
                        other if other.has_returned() => {
                            let written = written();
                            retell(&other, &|what| format!("{written} ({what})"))
                        }
                        StrSource::Param { index, what } => StrSource::Param {
                            index,
                            what: format!(
                                "{}, which splices {what} into the SQL text (SQL injection if a request supplies it)",
                                written()
                            ),
                        },
                        other => other,
                    };
                    StrSource::Concat(vec![before, added])
                }
                Value::Grown {
                    how: Grow::Write(m),
                    ..
                } => StrSource::dynamic(format!("`{m}!({name}, ..)`")),
                Value::Grown {
                    how: Grow::Method(m),
                    ..
                } => StrSource::dynamic(format!("`{name}.{m}(..)`")),
                _ => StrSource::dynamic(format!("`{name}`")),
            })
            .collect();
        Some(if alts.len() == 1 {
            alts.pop().unwrap_or(StrSource::Lit(String::new()))
        } else {
            StrSource::Alt(alts)
        })
    }

    fn macro_str_source_at(&self, mac: &'ast syn::Macro, env: Env, depth: usize) -> StrSource {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let args = || self.macro_list(mac);
        match name.as_str() {
            "concat" => match args() {
                Some(list) => StrSource::Concat(
                    list.iter()
                        .map(|a| match a {
                            syn::Expr::Lit(l) => match &l.lit {
                                syn::Lit::Str(s) => StrSource::Lit(s.value()),
                                other => StrSource::Lit(other.to_token_stream().to_string()),
                            },
                            syn::Expr::Macro(m) => self.macro_str_source_at(&m.mac, env, depth + 1),
                            other => StrSource::dynamic(self.quoted(other)),
                        })
                        .collect(),
                ),
                None => StrSource::dynamic("`concat!(..)`"),
            },
            "include_str" => match args().and_then(|a| a.first()) {
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
                Some(list) => self.format_source(list, env, depth),
                None => StrSource::dynamic("`format!`"),
            },
            "vec" => match args() {
                Some(list) => StrSource::Array(
                    list.iter()
                        .map(|x| self.str_source_depth(x, env, depth + 1))
                        .collect(),
                ),
                None => StrSource::dynamic("`vec!`"),
            },
            _ => StrSource::dynamic(format!("`{name}!`")),
        }
    }

    /// `format!(lit, args..)`: the literal pieces and, for each hole, what SQL can hold there.
    fn format_source(
        &self,
        list: &'ast syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
        env: Env,
        depth: usize,
    ) -> StrSource {
        let mut args = list.iter();
        let Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(fmt),
            ..
        })) = args.next()
        else {
            return StrSource::dynamic("`format!`");
        };
        let Some(pieces) = parse_format(&fmt.value()) else {
            return StrSource::dynamic("`format!`");
        };
        let mut positional: Vec<&'ast syn::Expr> = Vec::new();
        let mut named: Vec<(String, &'ast syn::Expr)> = Vec::new();
        for a in args {
            match a {
                syn::Expr::Assign(asg) => {
                    let key = match &*asg.left {
                        syn::Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
                        _ => None,
                    };
                    match key {
                        Some(k) => named.push((k, &*asg.right)),
                        None => return StrSource::dynamic("`format!`"),
                    }
                }
                other => positional.push(other),
            }
        }
        let mut next = 0;
        let mut out: Vec<StrSource> = Vec::new();
        // The skeleton: the literal with every hole that is not literal text read as `x`.
        let mut skeleton = String::new();
        let mut unresolved: Option<String> = None;
        let mut returned = false;
        let mut before = String::new();
        for piece in pieces {
            let hole = match piece {
                Piece::Text(t) => {
                    skeleton.push_str(&t);
                    before.push_str(&t);
                    out.push(StrSource::Lit(t));
                    continue;
                }
                Piece::Hole(h) => h,
            };
            let arg: Option<&'ast syn::Expr> = match &hole {
                HoleArg::Next => {
                    next += 1;
                    positional.get(next - 1).copied()
                }
                HoleArg::Index(i) => positional.get(*i).copied(),
                HoleArg::Name(n) => match named.iter().find(|(k, _)| k == n) {
                    Some((_, e)) => Some(*e),
                    None => syn::parse_str::<syn::Expr>(n).ok().map(|e| self.alloc(e)),
                },
            };
            let Some(arg) = arg else {
                return StrSource::dynamic("`format!`");
            };
            let src = self.hole_source(&before, arg, env, depth);
            match &src {
                StrSource::Lit(t) => skeleton.push_str(t),
                _ => skeleton.push('x'),
            }
            let src = match src {
                StrSource::Dynamic(what) => {
                    unresolved.get_or_insert_with(|| what.clone());
                    StrSource::Dynamic(what)
                }
                // Known only if phase 2 finds the fn: until then, as unresolved as a value.
                other if other.has_returned() => {
                    returned = true;
                    retell(&other, &|what| format!("`format!` that {what}"))
                }
                other => other,
            };
            before.clear();
            out.push(src);
        }
        let tableless = || crate::sql::is_tableless(&skeleton, crate::sql::Dialect::Generic);
        match unresolved {
            None if returned && tableless() => StrSource::Lit(skeleton),
            None => StrSource::Concat(out),
            // `SAVEPOINT {}`, `SET LOCAL app.user = {}`, `PRAGMA table_info({})`: whatever fills
            // the holes, the statement reads and writes no row.
            Some(_) if tableless() => StrSource::Lit(skeleton),
            Some(what) => StrSource::dynamic(format!("`format!` that {what}")),
        }
    }

    /// What SQL text a `format!` hole holds, written after `before` (the literal since the
    /// previous hole): a source, or `Dynamic` with what the hole splices in (for the message).
    fn hole_source(&self, before: &str, arg: &'ast syn::Expr, env: Env, depth: usize) -> StrSource {
        let trimmed = before.trim_end();
        // `$1`, `?1`: a placeholder's number, whatever counts it.
        if before.ends_with('$') || before.ends_with('?') {
            return StrSource::Lit("1".into());
        }
        if let Some(list) = self.placeholder_list(arg, env, 0) {
            return StrSource::Lit(list);
        }
        if ends_with_word(trimmed, "set") {
            if let Some(first) = self.set_list(arg, env) {
                return StrSource::Lit(first);
            }
        }
        if self.is_number(arg, env, 0) {
            return StrSource::Lit("1".into());
        }
        let src = self.str_source_depth(arg, env, depth + 1);
        // Something dynamic inside (`format!("sp_{}", i)` of a loop's index): what it is.
        let src = match first_dynamic(&src) {
            Some(what) if !matches!(src, StrSource::Dynamic(_)) => StrSource::Dynamic(what),
            _ => src,
        };
        match src {
            StrSource::Param { index, what } => StrSource::Param {
                index,
                what: format!(
                    "`format!` that splices {what} into the SQL text (SQL injection if a request supplies it)"
                ),
            },
            StrSource::Dynamic(_) => StrSource::dynamic(self.splice(arg, env)),
            // What a workspace fn returns, if phase 2 finds one; else what the hole splices.
            other if other.has_returned() => {
                let spliced = self.splice(arg, env);
                retell(&other, &|_| spliced.clone())
            }
            other => other,
        }
    }

    /// What a `format!` hole that is not known splices into the SQL text (for the message).
    fn splice(&self, arg: &'ast syn::Expr, env: Env) -> String {
        let shown = self.shown(arg);
        match self.param_origin(arg, env, 0) {
            Some(p) => format!(
                "splices `{shown}` (from parameter `{p}`) into the SQL text: SQL injection if a request supplies it"
            ),
            None => format!("splices `{shown}` into the SQL text"),
        }
    }

    /// An IN-list of placeholders joined at run time (`ids.iter().map(|_| "?").join(",")`,
    /// `vec!["?"; n].join(", ")`, `(1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")`),
    /// or of numbers (`ids: &[i64]` mapped with `to_string`): one element, as SQL text.
    fn placeholder_list(&self, e: &'ast syn::Expr, env: Env, depth: usize) -> Option<String> {
        if depth > 4 {
            return None;
        }
        match crate::ast::peel(e) {
            syn::Expr::Path(p) => {
                let id = p.path.get_ident()?;
                let defs = crate::intern::with_text(id, |name| self.locals_at(name, env));
                let [only] = defs.as_slice() else { return None };
                self.placeholder_list(only.init?, only.env, depth + 1)
            }
            syn::Expr::MethodCall(m) if m.method == "join" && m.args.len() == 1 => {
                crate::ast::lit_str(&m.args[0])?;
                self.list_element(&m.receiver, env, 0)
            }
            _ => None,
        }
    }

    /// The element an iterator chain ending in `join` yields, when it is fixed SQL text.
    fn list_element(&self, e: &'ast syn::Expr, env: Env, depth: usize) -> Option<String> {
        if depth > 8 {
            return None;
        }
        match crate::ast::peel(e) {
            syn::Expr::MethodCall(m) => match m.method.to_string().as_str() {
                "map" => {
                    let syn::Expr::Closure(c) = m.args.first()? else {
                        return None;
                    };
                    if let Some(text) = self.pure_text(&c.body, env) {
                        return placeholder_like(&text).then_some(text);
                    }
                    // `|id| id.to_string()` over integers.
                    let to_string = matches!(crate::ast::peel(&c.body), syn::Expr::MethodCall(b)
                        if b.method == "to_string" && b.args.is_empty());
                    (to_string && self.iterates_numbers(&m.receiver, env)).then(|| "1".to_string())
                }
                "collect" | "take" | "iter" | "into_iter" | "cloned" | "copied" | "chain"
                | "skip" | "rev" | "enumerate" => self.list_element(&m.receiver, env, depth + 1),
                _ => None,
            },
            syn::Expr::Macro(mac) if mac.mac.path.is_ident("vec") => {
                // `vec!["?"; n]`
                let elem = mac
                    .mac
                    .parse_body_with(|input: syn::parse::ParseStream<'_>| {
                        let e: syn::Expr = input.parse()?;
                        input.parse::<syn::Token![;]>()?;
                        let _: syn::Expr = input.parse()?;
                        Ok(e)
                    })
                    .ok()?;
                let text = crate::ast::lit_str(&elem)?;
                placeholder_like(&text).then_some(text)
            }
            syn::Expr::Repeat(r) => {
                let text = crate::ast::lit_str(&r.expr)?;
                placeholder_like(&text).then_some(text)
            }
            syn::Expr::Call(c) => {
                let last = crate::ast::last_segment(&c.func)?;
                if last == "repeat" || last == "repeat_n" {
                    let text = crate::ast::lit_str(c.args.first()?)?;
                    return placeholder_like(&text).then_some(text);
                }
                None
            }
            syn::Expr::Path(p) => {
                let id = p.path.get_ident()?;
                let defs = crate::intern::with_text(id, |name| self.locals_at(name, env));
                let [only] = defs.as_slice() else { return None };
                self.list_element(only.init?, only.env, depth + 1)
            }
            _ => None,
        }
    }

    /// Whether an iterator's source is a local or parameter declared as integers
    /// (`ids: &[i64]`, `Vec<u32>`), or a range.
    fn iterates_numbers(&self, e: &'ast syn::Expr, env: Env) -> bool {
        let mut cur = crate::ast::peel(e);
        for _ in 0..8 {
            match cur {
                syn::Expr::MethodCall(m)
                    if matches!(
                        m.method.to_string().as_str(),
                        "iter" | "into_iter" | "copied" | "cloned"
                    ) =>
                {
                    cur = crate::ast::peel(&m.receiver)
                }
                syn::Expr::Range(_) => return true,
                syn::Expr::Path(p) => {
                    let Some(id) = p.path.get_ident() else {
                        return false;
                    };
                    return self
                        .local_at(&id.to_string(), env)
                        .and_then(|l| l.ty)
                        .is_some_and(|t| numeric_type(&crate::ast::type_text(t), true));
                }
                _ => return false,
            }
        }
        false
    }

    /// A SET list joined from a local `Vec` every push of which (in this fn) is a literal
    /// assignment: `parts.push(format!("name = ${}", n))`. The first one, as SQL text.
    fn set_list(&self, e: &'ast syn::Expr, env: Env) -> Option<String> {
        let syn::Expr::MethodCall(m) = crate::ast::peel(e) else {
            return None;
        };
        if m.method != "join" || m.args.len() != 1 {
            return None;
        }
        let syn::Expr::Path(p) = crate::ast::peel(&m.receiver) else {
            return None;
        };
        let name = p.path.get_ident()?.to_string();
        let body = self.fns.last()?.body?;
        let mut pushes = Pushes {
            name: &name,
            args: Vec::new(),
        };
        syn::visit::Visit::visit_block(&mut pushes, body);
        let mut first = None;
        for a in pushes.args {
            let text = self.pure_text(a, env)?;
            // `col = $1`, `col = col || $2`, `col = NULL`: a column assigned.
            let (col, _) = text.split_once('=')?;
            let col = col.trim();
            if col.is_empty()
                || !col
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '"')
            {
                return None;
            }
            first.get_or_insert(text);
        }
        first
    }

    /// The text of an expression when it is fixed: literals and `format!`s of placeholders only.
    fn pure_text(&self, e: &'ast syn::Expr, env: Env) -> Option<String> {
        let src = self.str_source_depth(e, env, MAX_DEPTH / 2);
        let mut texts = Vec::new();
        if !pure(&src, &mut texts) {
            return None;
        }
        texts.into_iter().next()
    }

    /// A number: an integer literal, a local or parameter declared as a number, `x.len()`,
    /// arithmetic of those.
    fn is_number(&self, e: &'ast syn::Expr, env: Env, depth: usize) -> bool {
        if depth > 6 {
            return false;
        }
        match crate::ast::peel(e) {
            syn::Expr::Lit(l) => matches!(l.lit, syn::Lit::Int(_) | syn::Lit::Float(_)),
            syn::Expr::Binary(b) => {
                self.is_number(&b.left, env, depth + 1) && self.is_number(&b.right, env, depth + 1)
            }
            syn::Expr::Cast(c) => numeric_type(&crate::ast::type_text(&c.ty), false),
            // Every branch a number: `if big { (h >> 1) as i64 } else { h as i64 }`.
            syn::Expr::If(i) => {
                let then = match i.then_branch.stmts.last() {
                    Some(syn::Stmt::Expr(t, None)) => self.is_number(t, env, depth + 1),
                    _ => false,
                };
                then && i
                    .else_branch
                    .as_ref()
                    .is_some_and(|(_, e)| self.is_number(e, env, depth + 1))
            }
            syn::Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(t, None)) => self.is_number(t, env, depth + 1),
                _ => false,
            },
            syn::Expr::Match(m) => {
                !m.arms.is_empty()
                    && m.arms
                        .iter()
                        .all(|a| diverges(&a.body) || self.is_number(&a.body, env, depth + 1))
            }
            syn::Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => true,
            syn::Expr::Path(p) => {
                let Some(id) = p.path.get_ident() else {
                    return false;
                };
                let Some(l) = self.local_at(&id.to_string(), env) else {
                    return false;
                };
                if let Some(t) = l.ty {
                    return numeric_type(&crate::ast::type_text(t), false);
                }
                match l.init {
                    Some(init) => self.is_number(init, l.env, depth + 1),
                    None => false,
                }
            }
            _ => false,
        }
    }

    /// The parameter a value is made from, when the fn shows it (`term`, `term.trim()`,
    /// `if let Some(t) = term.filter(..)`).
    fn param_origin(&self, e: &'ast syn::Expr, env: Env, depth: usize) -> Option<String> {
        if depth > 6 {
            return None;
        }
        let mut cur = crate::ast::peel(e);
        loop {
            match cur {
                syn::Expr::MethodCall(m) => cur = crate::ast::peel(&m.receiver),
                syn::Expr::Field(f) => cur = crate::ast::peel(&f.base),
                _ => break,
            }
        }
        let syn::Expr::Path(p) = cur else { return None };
        let name = p.path.get_ident()?.to_string();
        for l in self.locals_at(&name, env) {
            if l.param.is_some() {
                return Some(name);
            }
            let from = self.values().and_then(|v| match v.def(l.def).value {
                Value::Expr(x, at) | Value::Part(x, at, _) | Value::Elem(x, at, _) => {
                    Some((*x, *at))
                }
                _ => None,
            });
            if let Some((x, at)) = from {
                if let Some(p) = self.param_origin(x, at, depth + 1) {
                    return Some(p);
                }
            }
        }
        None
    }
}

/// `src` with what each call's returned text says of itself, for when phase 2 finds no text,
/// rewritten by `f`.
fn retell(src: &StrSource, f: &dyn Fn(&str) -> String) -> StrSource {
    src.map_leaves(&|leaf| match leaf {
        StrSource::Returned { line, callee, what } => Some(StrSource::Returned {
            line: *line,
            callee: callee.clone(),
            what: f(what),
        }),
        _ => None,
    })
}

/// A call's returned text, found in phase 2 by the call's line and callee name; `what` is the
/// call as messages name it.
fn returned(e: &syn::Expr, callee: String, what: String) -> StrSource {
    use syn::spanned::Spanned;
    StrSource::Returned {
        line: e.span().start().line as u32,
        callee: callee.into(),
        what,
    }
}

/// `Query::select()..build(PostgresQueryBuilder)` (or `.to_string(..)`, `.build_any(..)`): a
/// sea-query statement rendered by a backend's query builder.
fn sea_query_build(m: &syn::ExprMethodCall) -> bool {
    matches!(
        m.method.to_string().as_str(),
        "build" | "to_string" | "build_any" | "build_collect" | "build_collect_any"
    ) && m.args.iter().any(|a| match crate::ast::peel(a) {
        syn::Expr::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident.to_string().ends_with("QueryBuilder")),
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => p
                .path
                .segments
                .iter()
                .any(|s| s.ident.to_string().ends_with("QueryBuilder")),
            _ => false,
        },
        _ => false,
    })
}

/// `base` projected by `steps` (steps on a projection add to it; a part of something dynamic
/// is that).
fn project(base: StrSource, steps: Vec<Step>) -> StrSource {
    if steps.is_empty() {
        return base;
    }
    match base {
        d @ StrSource::Dynamic(_) => d,
        StrSource::Project(inner, mut first) => {
            first.extend(steps);
            StrSource::Project(inner, first)
        }
        other => StrSource::Project(Box::new(other), steps),
    }
}

/// A destructuring pattern's path as projection steps: `Some(x)` / `Ok(x)` look through (their
/// value is the one inside, see `str_source_depth`), other variants pick nothing we model.
fn steps_of(proj: &[Proj]) -> Vec<Step> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < proj.len() {
        match &proj[i] {
            Proj::Variant(v) if matches!(v.as_str(), "Some" | "Ok") => {
                if proj.get(i + 1) == Some(&Proj::Index(0)) {
                    i += 1;
                }
            }
            Proj::Variant(v) => out.push(Step::Field(format!("variant {v}"))),
            Proj::Index(n) => out.push(Step::Field(n.to_string())),
            Proj::Field(f) => out.push(Step::Field(f.clone())),
            Proj::Elem => out.push(Step::Elem),
        }
        i += 1;
    }
    out
}

/// The first dynamic part of a source, if it has one (it then cannot resolve).
fn first_dynamic(src: &StrSource) -> Option<String> {
    match src {
        StrSource::Dynamic(what) => Some(what.clone()),
        StrSource::Concat(v) | StrSource::Alt(v) | StrSource::Array(v) => {
            v.iter().find_map(first_dynamic)
        }
        StrSource::Struct(f) => f.iter().find_map(|(_, v)| first_dynamic(v)),
        StrSource::Project(inner, _) => first_dynamic(inner),
        _ => None,
    }
}

/// Literal text only (literals, concatenations and branches of them): every variant in `out`.
fn pure(src: &StrSource, out: &mut Vec<String>) -> bool {
    match src {
        StrSource::Lit(s) => {
            out.push(s.clone());
            true
        }
        StrSource::Concat(parts) => {
            let mut acc = vec![String::new()];
            for p in parts {
                let mut next = Vec::new();
                if !pure(p, &mut next) {
                    return false;
                }
                acc = acc
                    .iter()
                    .flat_map(|a| next.iter().map(move |n| format!("{a}{n}")))
                    .take(16)
                    .collect();
            }
            out.extend(acc);
            true
        }
        StrSource::Alt(alts) => alts.iter().all(|a| pure(a, out)),
        _ => false,
    }
}

/// Whether `text` ends with the word `word` (ASCII, any case).
fn ends_with_word(text: &str, word: &str) -> bool {
    let Some(at) = text.len().checked_sub(word.len()) else {
        return false;
    };
    let (head, tail) = match (text.get(..at), text.get(at..)) {
        (Some(h), Some(t)) => (h, t),
        _ => return false,
    };
    tail.eq_ignore_ascii_case(word)
        && !head
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// A placeholder as SQL writes it: `?`, `$1`, `?1`, `:name`, `@p1`, a tuple of them, or a number.
fn placeholder_like(text: &str) -> bool {
    let t = text.trim().trim_start_matches('(').trim_end_matches(')');
    !t.is_empty()
        && t.split(',').all(|p| {
            let p = p.trim();
            let rest = p
                .strip_prefix('$')
                .or_else(|| p.strip_prefix('?'))
                .or_else(|| p.strip_prefix(':'))
                .or_else(|| p.strip_prefix('@'));
            match rest {
                Some(r) => r.chars().all(|c| c.is_alphanumeric() || c == '_'),
                None => !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()),
            }
        })
}

/// A number type (`i64`, `&u32`, `usize`); with `elements`, a slice or `Vec` of them.
fn numeric_type(ty: &str, elements: bool) -> bool {
    const NUMBERS: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "f32", "f64",
    ];
    let t = ty.trim_start_matches('&').trim_start_matches("mut").trim();
    if elements {
        let inner = t
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .or_else(|| t.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')))
            .or_else(|| t.strip_prefix("&[").and_then(|r| r.strip_suffix(']')));
        return inner.is_some_and(|i| NUMBERS.contains(&i.trim()));
    }
    NUMBERS.contains(&t)
}

/// An arm that always leaves (`return`, `break`, `continue`, `panic!`, `unreachable!`, `Err(..)?`).
fn diverges(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Return(_) | syn::Expr::Break(_) | syn::Expr::Continue(_) => true,
        syn::Expr::Macro(m) => m.mac.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "panic" | "unreachable" | "bail" | "todo" | "unimplemented"
            )
        }),
        syn::Expr::Block(b) => match b.block.stmts.last() {
            Some(syn::Stmt::Expr(t, _)) => diverges(t),
            Some(syn::Stmt::Macro(m)) => m.mac.path.segments.last().is_some_and(|s| {
                matches!(
                    s.ident.to_string().as_str(),
                    "panic" | "unreachable" | "bail"
                )
            }),
            _ => false,
        },
        _ => false,
    }
}

/// The arguments of every `<name>.push(arg)` in a fn body.
struct Pushes<'n, 'ast> {
    name: &'n str,
    args: Vec<&'ast syn::Expr>,
}

impl<'ast> syn::visit::Visit<'ast> for Pushes<'_, 'ast> {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if m.method == "push" && m.args.len() == 1 {
            if let syn::Expr::Path(p) = crate::ast::peel(&m.receiver) {
                if p.path.is_ident(self.name) {
                    self.args.push(&m.args[0]);
                }
            }
        }
        syn::visit::visit_expr_method_call(self, m);
    }
}

/// A piece of a `format!` string.
#[derive(Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Hole(HoleArg),
}

/// Which argument a `{..}` hole takes.
#[derive(Debug, PartialEq, Eq)]
enum HoleArg {
    /// `{}`: the next positional one.
    Next,
    /// `{0}`
    Index(usize),
    /// `{name}`: a named argument, or the variable of that name.
    Name(String),
}

/// The pieces of a format string (`{{`/`}}` unescaped, specs after `:` dropped); None when it
/// does not read as one.
fn parse_format(s: &str) -> Option<Vec<Piece>> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(x) => inner.push(x),
                        None => return None,
                    }
                }
                let arg = inner.split(':').next().unwrap_or("").trim();
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Hole(if arg.is_empty() {
                    HoleArg::Next
                } else if let Ok(i) = arg.parse::<usize>() {
                    HoleArg::Index(i)
                } else {
                    HoleArg::Name(arg.to_string())
                }));
            }
            other => text.push(other),
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_strings_split_into_text_and_holes() {
        assert_eq!(
            parse_format("a {} b {x:?} {{c}} {1}").unwrap(),
            vec![
                Piece::Text("a ".into()),
                Piece::Hole(HoleArg::Next),
                Piece::Text(" b ".into()),
                Piece::Hole(HoleArg::Name("x".into())),
                Piece::Text(" {c} ".into()),
                Piece::Hole(HoleArg::Index(1)),
            ]
        );
        assert!(parse_format("a { b").is_none());
    }

    #[test]
    fn placeholders() {
        for p in ["?", "$1", "?3", ":id", "@p1", "($1, $2)", "7"] {
            assert!(placeholder_like(p), "{p}");
        }
        for p in ["name", "'x'", "", "$1 OR 1=1"] {
            assert!(!placeholder_like(p), "{p}");
        }
    }

    #[test]
    fn words_at_the_end_of_text() {
        assert!(ends_with_word("UPDATE chats SET", "set"));
        assert!(ends_with_word("set", "set"));
        assert!(!ends_with_word("UPDATE chats OFFSET", "set"));
        assert!(!ends_with_word("[Synthetics] 🟡", "set"));
        assert!(ends_with_word("🟡 SET", "set"));
        assert!(!ends_with_word("et", "set"));
    }

    #[test]
    fn number_types() {
        assert!(numeric_type("i64", false));
        assert!(numeric_type("&usize", false));
        assert!(!numeric_type("&str", false));
        assert!(numeric_type("&[i64]", true));
        assert!(numeric_type("Vec<u32>", true));
        assert!(!numeric_type("Vec<String>", true));
    }
}
