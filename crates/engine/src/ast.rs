//! Syntax helpers every phase-1 module shares: paths, types and expressions as text, method
//! chains, string literals, patterns. Depends on `syn` and `quote` only.

use quote::ToTokens;

use crate::intern::Name;

/// The expression inside a wrapper that keeps a string's value: `&x`, `*x`, `(x)`, `x.to_string()`,
/// `x.into()`, `String::from(x)`, `AssertSqlSafe(x)`, `Cow::Borrowed(x)`.
pub fn string_wrapped(e: &syn::Expr) -> Option<&syn::Expr> {
    use syn::Expr;
    match e {
        Expr::Paren(p) => Some(&p.expr),
        Expr::Group(g) => Some(&g.expr),
        Expr::Reference(r) => Some(&r.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => Some(&u.expr),
        Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "to_string" | "to_owned" | "into" | "as_str" | "as_ref" | "clone" | "deref"
                ) =>
        {
            Some(&m.receiver)
        }
        Expr::Call(c) if c.args.len() == 1 => match last_segment(&c.func).as_deref() {
            Some("from" | "new" | "AssertSqlSafe" | "Cow" | "Borrowed" | "Owned") => {
                Some(&c.args[0])
            }
            _ => None,
        },
        _ => None,
    }
}

/// The name bound by a simple pattern (`x`, `mut x`, `Path(x)`, `State(x)`).
pub fn pat_ident(p: &syn::Pat) -> Option<String> {
    pat_idents(p).into_iter().next()
}

/// [`pat_ident`] as a [`Name`]: a plain or typed identifier pattern read without a `String`.
pub fn pat_name(p: &syn::Pat) -> Option<Name> {
    match p {
        syn::Pat::Ident(i) => Some(Name::of(&i.ident)),
        syn::Pat::Type(t) => pat_name(&t.pat),
        other => pat_ident(other).map(Into::into),
    }
}

/// Every name bound by a pattern.
pub fn pat_idents(p: &syn::Pat) -> Vec<String> {
    let mut out = Vec::new();
    collect_pat(p, &mut out, 0);
    out
}

fn collect_pat(p: &syn::Pat, out: &mut Vec<String>, depth: usize) {
    if depth > 32 {
        return;
    }
    match p {
        syn::Pat::Ident(i) => out.push(i.ident.to_string()),
        syn::Pat::Type(t) => collect_pat(&t.pat, out, depth + 1),
        syn::Pat::Reference(r) => collect_pat(&r.pat, out, depth + 1),
        syn::Pat::TupleStruct(t) => t.elems.iter().for_each(|e| collect_pat(e, out, depth + 1)),
        syn::Pat::Tuple(t) => t.elems.iter().for_each(|e| collect_pat(e, out, depth + 1)),
        syn::Pat::Struct(s) => s
            .fields
            .iter()
            .for_each(|f| collect_pat(&f.pat, out, depth + 1)),
        syn::Pat::Paren(pp) => collect_pat(&pp.pat, out, depth + 1),
        _ => {}
    }
}

/// The idents of a path: `axum::routing::get` -> ["axum", "routing", "get"].
pub fn segments(p: &syn::Path) -> Vec<String> {
    p.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// [`segments`] as an interned [`Module`], the segments printed into buffers kept per thread:
/// a path seen before costs no allocation.
pub fn path_module(p: &syn::Path) -> crate::intern::Module {
    use std::fmt::Write;
    thread_local! {
        static BUF: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|b| {
        let mut b = b.borrow_mut();
        let n = p.segments.len();
        if b.len() < n {
            b.resize_with(n, String::new);
        }
        for (s, seg) in b.iter_mut().zip(&p.segments) {
            s.clear();
            let _ = write!(s, "{}", seg.ident);
        }
        crate::intern::Module::interned(&b[..n])
    })
}

/// The span of an expression's tokens, as `Spanned::span` gives it (its first token's joined
/// to its last's), read from the tree for the common kinds instead of from its printed tokens.
pub fn expr_span(e: &syn::Expr) -> proc_macro2::Span {
    match (first_token(e), last_span(e, 0)) {
        (Ok(a), Some(b)) => a.join(b).unwrap_or(a),
        _ => syn::spanned::Spanned::span(e),
    }
}

fn last_span(e: &syn::Expr, depth: usize) -> Option<proc_macro2::Span> {
    use syn::Expr;
    if depth > 64 {
        return None;
    }
    match e {
        Expr::Path(p) if p.attrs.is_empty() && p.qself.is_none() => {
            let last = p.path.segments.last()?;
            match &last.arguments {
                syn::PathArguments::None => Some(last.ident.span()),
                syn::PathArguments::AngleBracketed(a) => Some(a.gt_token.span),
                syn::PathArguments::Parenthesized(_) => None,
            }
        }
        Expr::MethodCall(m) if m.attrs.is_empty() => Some(m.paren_token.span.join()),
        Expr::Call(c) if c.attrs.is_empty() => Some(c.paren_token.span.join()),
        Expr::Field(f) if f.attrs.is_empty() => Some(match &f.member {
            syn::Member::Named(i) => i.span(),
            syn::Member::Unnamed(i) => i.span,
        }),
        Expr::Try(t) if t.attrs.is_empty() => Some(t.question_token.span),
        Expr::Await(a) if a.attrs.is_empty() => Some(a.await_token.span),
        Expr::Reference(r) if r.attrs.is_empty() => last_span(&r.expr, depth + 1),
        Expr::Paren(p) if p.attrs.is_empty() => Some(p.paren_token.span.join()),
        Expr::Lit(l) if l.attrs.is_empty() => Some(l.lit.span()),
        _ => None,
    }
}

/// A path as text without spaces: `axum::routing::get`.
pub fn path_text(p: &syn::Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// A type as written, without spaces: `Extension<AuthUser>`.
pub fn type_text(t: &syn::Type) -> String {
    let mut out = TokenOut::new(String::new(), false);
    out.ty(t);
    out.s
}

/// A type as spaced tokens, as `to_token_stream().to_string()` prints it
/// (`Arc < Mutex < Pool > >`, `& 'a mut T`), without making the tokens.
pub fn type_tokens(t: &syn::Type) -> String {
    let mut out = TokenOut::new(String::new(), true);
    out.ty(t);
    out.s
}

/// [`type_text`] as a [`Name`], printed into a buffer kept per thread: a type seen before costs
/// no allocation.
pub fn type_name(t: &syn::Type) -> Name {
    type_interned(t, false)
}

/// [`type_tokens`] as a [`Name`], printed into a buffer kept per thread.
pub fn type_tokens_name(t: &syn::Type) -> Name {
    type_interned(t, true)
}

fn type_interned(t: &syn::Type, spaced: bool) -> Name {
    crate::intern::with_buffer(
        |s| {
            let mut out = TokenOut::new(std::mem::take(s), spaced);
            out.ty(t);
            *s = out.s;
        },
        Name::new,
    )
}

/// Writes a type's or an expression's tokens as their printed stream would (spaced), or with
/// every space removed (tight): the common kinds directly ([`TokenOut::ty`],
/// [`TokenOut::expr`]), anything else through its tokens. Spaced follows proc-macro2's printing: a space between two tokens
/// unless the first is a punct joined to the next (`::`, `->`, a lifetime's `'`), none inside
/// a group's `(`, `[` and before its closing delimiter.
struct TokenOut {
    s: String,
    spaced: bool,
    /// No space before the next token (start of the text or of a group, after a joined punct).
    glue: bool,
}

impl TokenOut {
    /// Prints into `s` (empty: the start of a text).
    fn new(s: String, spaced: bool) -> TokenOut {
        TokenOut {
            s,
            spaced,
            glue: true,
        }
    }

    fn gap(&mut self) {
        if self.spaced && !self.glue {
            self.s.push(' ');
        }
        self.glue = false;
    }

    fn tok(&mut self, t: &str) {
        self.gap();
        self.s.push_str(t);
    }

    fn ident(&mut self, i: &proc_macro2::Ident) {
        use std::fmt::Write;
        self.gap();
        let _ = write!(self.s, "{i}");
    }

    fn lifetime(&mut self, l: &syn::Lifetime) {
        self.tok("'");
        self.glue = true;
        self.ident(&l.ident);
    }

    fn open(&mut self, d: &str) {
        self.tok(d);
        self.glue = true;
    }

    fn close(&mut self, d: &str) {
        self.s.push_str(d);
        self.glue = false;
    }

    fn tokens(&mut self, t: &dyn ToTokens) {
        let text = t.to_token_stream().to_string();
        if self.spaced {
            self.tok(&text);
        } else {
            self.gap();
            self.s.extend(text.chars().filter(|&c| c != ' '));
        }
    }

    fn ty(&mut self, t: &syn::Type) {
        use syn::Type;
        match t {
            Type::Path(p) if p.qself.is_none() => self.path(&p.path),
            Type::Reference(r) => {
                self.tok("&");
                if let Some(l) = &r.lifetime {
                    self.lifetime(l);
                }
                if r.mutability.is_some() {
                    self.tok("mut");
                }
                self.ty(&r.elem);
            }
            Type::Ptr(p) => {
                self.tok("*");
                self.tok(if p.mutability.is_some() {
                    "mut"
                } else {
                    "const"
                });
                self.ty(&p.elem);
            }
            Type::Tuple(tu) => {
                self.open("(");
                for pair in tu.elems.pairs() {
                    self.ty(pair.value());
                    if pair.punct().is_some() {
                        self.tok(",");
                    }
                }
                self.close(")");
            }
            Type::Slice(sl) => {
                self.open("[");
                self.ty(&sl.elem);
                self.close("]");
            }
            Type::Paren(p) => {
                self.open("(");
                self.ty(&p.elem);
                self.close(")");
            }
            Type::Never(_) => self.tok("!"),
            Type::Infer(_) => self.tok("_"),
            Type::TraitObject(o) if o.bounds.iter().all(plain_bound) => {
                if o.dyn_token.is_some() {
                    self.tok("dyn");
                }
                self.bounds(&o.bounds);
            }
            Type::ImplTrait(i) if i.bounds.iter().all(plain_bound) => {
                self.tok("impl");
                self.bounds(&i.bounds);
            }
            other => self.tokens(other),
        }
    }

    /// An expression's tokens as they print (spaced): the common kinds directly, any other
    /// through its tokens.
    fn expr(&mut self, e: &syn::Expr) {
        use syn::Expr;
        match e {
            Expr::Path(p) if p.attrs.is_empty() && p.qself.is_none() => self.path(&p.path),
            Expr::Lit(l) if l.attrs.is_empty() => self.tokens(&l.lit),
            Expr::Field(f) if f.attrs.is_empty() => {
                self.expr(&f.base);
                self.tok(".");
                match &f.member {
                    syn::Member::Named(i) => self.ident(i),
                    syn::Member::Unnamed(i) => self.tok(&i.index.to_string()),
                }
            }
            Expr::MethodCall(m) if m.attrs.is_empty() => {
                self.expr(&m.receiver);
                self.tok(".");
                self.ident(&m.method);
                if let Some(t) = &m.turbofish {
                    self.tokens(t);
                }
                self.args(&m.args);
            }
            Expr::Call(c) if c.attrs.is_empty() => {
                self.expr(&c.func);
                self.args(&c.args);
            }
            Expr::Reference(r) if r.attrs.is_empty() => {
                self.tok("&");
                if r.mutability.is_some() {
                    self.tok("mut");
                }
                self.expr(&r.expr);
            }
            Expr::Paren(p) if p.attrs.is_empty() => {
                self.open("(");
                self.expr(&p.expr);
                self.close(")");
            }
            Expr::Try(t) if t.attrs.is_empty() => {
                self.expr(&t.expr);
                self.tok("?");
            }
            Expr::Await(a) if a.attrs.is_empty() => {
                self.expr(&a.base);
                self.tok(".");
                self.tok("await");
            }
            Expr::Macro(m) if m.attrs.is_empty() && !m.mac.tokens.is_empty() => {
                let (open, close) = match m.mac.delimiter {
                    syn::MacroDelimiter::Paren(_) => ("(", ")"),
                    syn::MacroDelimiter::Bracket(_) => ("[", "]"),
                    syn::MacroDelimiter::Brace(_) => return self.tokens(e),
                };
                self.path(&m.mac.path);
                self.tok("!");
                self.open(open);
                self.tokens(&m.mac.tokens);
                self.close(close);
            }
            other => self.tokens(other),
        }
    }

    /// `(a, b)`: call arguments.
    fn args(&mut self, args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>) {
        self.open("(");
        for pair in args.pairs() {
            self.expr(pair.value());
            if pair.punct().is_some() {
                self.tok(",");
            }
        }
        self.close(")");
    }

    fn bounds(
        &mut self,
        bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
    ) {
        for pair in bounds.pairs() {
            match pair.value() {
                syn::TypeParamBound::Lifetime(l) => self.lifetime(l),
                syn::TypeParamBound::Trait(t) => self.path(&t.path),
                other => self.tokens(*other),
            }
            if pair.punct().is_some() {
                self.tok("+");
            }
        }
    }

    fn path(&mut self, p: &syn::Path) {
        if p.leading_colon.is_some() {
            self.tok("::");
        }
        for pair in p.segments.pairs() {
            let seg = pair.value();
            self.ident(&seg.ident);
            match &seg.arguments {
                syn::PathArguments::None => {}
                syn::PathArguments::AngleBracketed(a) => {
                    if a.colon2_token.is_some() {
                        self.tok("::");
                    }
                    self.tok("<");
                    for arg in a.args.pairs() {
                        match arg.value() {
                            syn::GenericArgument::Type(t) => self.ty(t),
                            syn::GenericArgument::Lifetime(l) => self.lifetime(l),
                            syn::GenericArgument::AssocType(at) if at.generics.is_none() => {
                                self.ident(&at.ident);
                                self.tok("=");
                                self.ty(&at.ty);
                            }
                            other => self.tokens(*other),
                        }
                        if arg.punct().is_some() {
                            self.tok(",");
                        }
                    }
                    self.tok(">");
                }
                syn::PathArguments::Parenthesized(args) => self.tokens(args),
            }
            if pair.punct().is_some() {
                self.tok("::");
            }
        }
    }
}

/// A bound printed directly: a lifetime, or a trait path without `?`, `for<..>` or parentheses.
fn plain_bound(b: &syn::TypeParamBound) -> bool {
    match b {
        syn::TypeParamBound::Lifetime(_) => true,
        syn::TypeParamBound::Trait(t) => {
            t.paren_token.is_none()
                && t.lifetimes.is_none()
                && matches!(t.modifier, syn::TraitBoundModifier::None)
        }
        _ => false,
    }
}

pub fn last_segment_ident(e: &syn::Expr) -> Option<&proc_macro2::Ident> {
    match e {
        syn::Expr::Path(p) => p.path.segments.last().map(|s| &s.ident),
        syn::Expr::Paren(p) => last_segment_ident(&p.expr),
        syn::Expr::Group(g) => last_segment_ident(&g.expr),
        _ => None,
    }
}

/// The last path segment of a callee expression (`users::list` -> `list`).
pub fn last_segment(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Expr::Paren(p) => last_segment(&p.expr),
        syn::Expr::Group(g) => last_segment(&g.expr),
        _ => None,
    }
}

/// Does the expression's text start with `String::` (`String::new()`, `String::from(x)
/// .to_lowercase()`, `String::with_capacity(n) + ..`)? Read down the leftmost sub-expression,
/// as [`short`]`(e).starts_with("String::")` would say, without printing it.
pub fn starts_with_string_path(e: &syn::Expr) -> bool {
    use syn::Expr;
    let path = |p: &syn::Path| {
        p.leading_colon.is_none()
            && p.segments.first().is_some_and(|s| {
                s.ident == "String"
                    && (p.segments.len() >= 2
                        || matches!(&s.arguments, syn::PathArguments::AngleBracketed(a) if a.colon2_token.is_some()))
            })
    };
    match leftmost(e) {
        Expr::Path(p) => p.attrs.is_empty() && p.qself.is_none() && path(&p.path),
        Expr::Macro(m) => m.attrs.is_empty() && path(&m.mac.path),
        Expr::Struct(s) => s.attrs.is_empty() && s.qself.is_none() && path(&s.path),
        _ => false,
    }
}

/// The sub-expression an expression's first token belongs to, down its left side (a method
/// call's receiver, a call's callee, a field's base, a binary's or assignment's left operand,
/// a range's start); an expression with attributes is its own.
pub fn leftmost(e: &syn::Expr) -> &syn::Expr {
    use syn::Expr;
    let mut cur = e;
    loop {
        cur = match cur {
            Expr::MethodCall(m) if m.attrs.is_empty() => &m.receiver,
            Expr::Call(c) if c.attrs.is_empty() => &c.func,
            Expr::Field(f) if f.attrs.is_empty() => &f.base,
            Expr::Await(a) if a.attrs.is_empty() => &a.base,
            Expr::Try(t) if t.attrs.is_empty() => &t.expr,
            Expr::Index(i) if i.attrs.is_empty() => &i.expr,
            Expr::Cast(c) if c.attrs.is_empty() => &c.expr,
            Expr::Binary(b) if b.attrs.is_empty() => &b.left,
            Expr::Assign(a) if a.attrs.is_empty() => &a.left,
            Expr::Range(syn::ExprRange {
                attrs,
                start: Some(s),
                ..
            }) if attrs.is_empty() => s,
            other => return other,
        };
    }
}

/// An expression as short text for messages (whitespace folded, at most 80 chars). The common
/// expressions (paths, fields, calls, method calls, literals, references, `?`, `.await`,
/// macros) are printed directly, as their tokens would print, without making the tokens.
pub fn short(e: &syn::Expr) -> String {
    let mut out = TokenOut::new(String::new(), true);
    out.expr(e);
    cut(fold_spaces(&out.s))
}

/// [`short`] of anything that has tokens.
pub fn short_tokens(e: &dyn ToTokens) -> String {
    cut(tokens_text(&e.to_token_stream()))
}

/// At most 80 chars.
fn cut(s: String) -> String {
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// Tokens as compact text: `format!("org:{}", org_id)`.
pub fn tokens_text(t: &proc_macro2::TokenStream) -> String {
    fold_spaces(&t.to_string())
}

/// Printed tokens with the spaces around punctuation taken out (`tokens_text`).
fn fold_spaces(raw: &str) -> String {
    // Bytes, not chars: every byte tested is ASCII, and a multi-byte char's bytes never are.
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut from = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b' ' {
            let prev = if i > 0 { b[i - 1] } else { b' ' };
            let next = b.get(i + 1).copied().unwrap_or(b' ');
            let tight = matches!(prev, b'.' | b'(' | b'[' | b'&' | b'!' | b':' | b'<' | b'#')
                || matches!(
                    next,
                    b'.' | b'('
                        | b')'
                        | b'['
                        | b']'
                        | b','
                        | b':'
                        | b'?'
                        | b';'
                        | b'!'
                        | b'<'
                        | b'>'
                )
                || prev == b'>' && next == b'(';
            if tight && !(prev == b',' || next == b'=' || prev == b'=') {
                out.push_str(&raw[from..i]);
                from = i + 1;
            }
        }
    }
    out.push_str(&raw[from..]);
    out
}

/// A string literal's value.
pub fn lit_str(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        syn::Expr::Reference(r) => lit_str(&r.expr),
        syn::Expr::Paren(p) => lit_str(&p.expr),
        _ => None,
    }
}

/// A method chain `base.m1(a).m2(b)` as (base, [(m1, args), (m2, args)]) innermost first.
pub fn method_chain(e: &syn::Expr) -> (&syn::Expr, Vec<&syn::ExprMethodCall>) {
    let mut calls = Vec::new();
    let mut cur = e;
    loop {
        match cur {
            syn::Expr::MethodCall(m) => {
                calls.push(m);
                cur = &m.receiver;
            }
            syn::Expr::Await(a) => cur = &a.base,
            syn::Expr::Try(t) => cur = &t.expr,
            syn::Expr::Paren(p) => cur = &p.expr,
            _ => break,
        }
    }
    calls.reverse();
    (cur, calls)
}

/// The callee path of a call expression (`Router::new()` -> ["Router", "new"]).
pub fn call_path(e: &syn::Expr) -> Option<Vec<String>> {
    match e {
        syn::Expr::Call(c) => match &*c.func {
            syn::Expr::Path(p) => Some(segments(&p.path)),
            _ => None,
        },
        _ => None,
    }
}

/// The expression without `&`, `*`, parentheses, `.await` and `?`.
pub fn peel(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Reference(r) => peel(&r.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => peel(&u.expr),
        syn::Expr::Paren(p) => peel(&p.expr),
        syn::Expr::Group(g) => peel(&g.expr),
        syn::Expr::Await(a) => peel(&a.base),
        syn::Expr::Try(t) => peel(&t.expr),
        other => other,
    }
}

/// The arguments of a `name!(a, b, ..)` macro as expressions, when its body reads that way.
pub fn macro_args(
    mac: &syn::Macro,
) -> Option<syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>> {
    mac.parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()
}

/// The macros that embed a migration folder (sqlx's `migrate!`, diesel's and refinery's
/// `embed_migrations!`), by their last path segment.
pub const MIGRATION_MACROS: [&str; 2] = ["migrate", "embed_migrations"];

/// The migration folder a macro embeds, as written (from the package root, as sqlx and diesel
/// resolve it): `sqlx::migrate!("db/migrations")`, diesel's and refinery's
/// `embed_migrations!("..")`. `name` is the macro's last path segment, `args` its arguments.
pub fn embedded_migration_dir(
    name: &str,
    args: &syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>,
) -> Option<String> {
    if !MIGRATION_MACROS.contains(&name) {
        return None;
    }
    match args.first() {
        Some(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(dir),
            ..
        })) => Some(dir.value()),
        _ => None,
    }
}

/// Every migration folder the macros of `file` embed ([`embedded_migration_dir`]), in order.
pub fn embedded_migration_dirs(file: &syn::File) -> Vec<String> {
    struct Dirs(Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for Dirs {
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            let name = mac.path.segments.last().map(|s| s.ident.to_string());
            if let (Some(name), Some(args)) = (name, macro_args(mac)) {
                if let Some(dir) = embedded_migration_dir(&name, &args) {
                    self.0.push(dir);
                }
            }
            syn::visit::visit_macro(self, mac);
        }
    }
    let mut dirs = Dirs(Vec::new());
    syn::visit::Visit::visit_file(&mut dirs, file);
    dirs.0
}

/// The line an expression starts on, as `Spanned::span(e).start().line` gives it, without
/// turning the expression into tokens: the first token's line (see [`first_token`]).
pub fn start_line(e: &syn::Expr) -> usize {
    match first_token(e) {
        Ok(span) => span.start().line,
        Err(leaf) => syn::spanned::Spanned::span(leaf).start().line,
    }
}

/// The span of an expression's first token, found down its leftmost sub-expression (a call's
/// callee, a method call's receiver, ..): a path's first segment, a reference's `&`, a
/// parenthesis, a literal, a macro's path. Any other leftmost sub-expression is given back
/// (its own tokens start with the expression's).
fn first_token(e: &syn::Expr) -> Result<proc_macro2::Span, &syn::Expr> {
    use syn::Expr;
    let path = |p: &syn::Path| match &p.leading_colon {
        Some(c) => Some(c.spans[0]),
        None => p.segments.first().map(|s| s.ident.span()),
    };
    let leaf = leftmost(e);
    let found = match leaf {
        Expr::Path(p) if p.attrs.is_empty() && p.qself.is_none() => path(&p.path),
        Expr::Paren(p) if p.attrs.is_empty() => Some(p.paren_token.span.open()),
        Expr::Reference(r) if r.attrs.is_empty() => Some(r.and_token.span),
        Expr::Lit(l) if l.attrs.is_empty() => Some(l.lit.span()),
        Expr::Macro(m) if m.attrs.is_empty() => path(&m.mac.path),
        _ => None,
    };
    found.ok_or(leaf)
}

#[cfg(test)]
mod start_line_tests {
    use syn::spanned::Spanned;

    #[test]
    fn the_first_tokens_line_as_spanned_gives_it() {
        let src = "fn f() {\n    a\n        .b(c)\n        .await?;\n    crate::x::y(1)\n        .z;\n    (p\n    ).q();\n    &r.s;\n    \"lit\".len();\n    vec![1]\n        .len();\n    ::std::mem::take(&mut v)[0] as u8 + 1;\n    #[allow(x)] t.u();\n    <T as Tr>::m(w);\n}\n";
        let file = syn::parse_file(src).unwrap();
        let syn::Item::Fn(f) = &file.items[0] else {
            panic!()
        };
        let mut n = 0;
        for stmt in &f.block.stmts {
            let syn::Stmt::Expr(e, _) = stmt else {
                continue;
            };
            let mut stack = vec![e];
            while let Some(e) = stack.pop() {
                n += 1;
                assert_eq!(
                    super::start_line(e),
                    e.span().start().line,
                    "{}",
                    quote::quote!(#e)
                );
                match e {
                    syn::Expr::MethodCall(m) => stack.push(&m.receiver),
                    syn::Expr::Call(c) => stack.push(&c.func),
                    syn::Expr::Try(t) => stack.push(&t.expr),
                    syn::Expr::Await(a) => stack.push(&a.base),
                    syn::Expr::Field(x) => stack.push(&x.base),
                    syn::Expr::Binary(b) => stack.push(&b.left),
                    _ => {}
                }
            }
        }
        assert!(n > 15, "{n}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.rs` file of `fixtures/` that parses (some are not UTF-8 or do not parse, on
    /// purpose).
    fn each_fixture_file(mut f: impl FnMut(&syn::File)) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
            if entry.path().extension().is_some_and(|x| x == "rs") {
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                if let Ok(file) = syn::parse_file(&text) {
                    f(&file);
                }
            }
        }
    }

    /// Every expression of every fixture file (and a few written here) reads the same through
    /// the direct printer as through its tokens.
    #[test]
    fn short_prints_every_expression_as_its_tokens_do() {
        struct All(Vec<(String, String)>, usize);
        impl<'ast> syn::visit::Visit<'ast> for All {
            fn visit_expr(&mut self, e: &'ast syn::Expr) {
                self.1 += 1;
                let (direct, tokens) = (short(e), short_tokens(e));
                if direct != tokens {
                    self.0.push((direct, tokens));
                }
                syn::visit::visit_expr(self, e);
            }
        }
        let mut all = All(Vec::new(), 0);
        let own = r##"fn f() {
            let _ = (a.b.0).c::<u8>(&mut x, "s\"q", 'c', 1.5e3, b"x", r#"raw"#)?.await;
            let _ = format!("{}:{}", org, id) + &key[1..];
            let _ = vec![1, 2]; let _ = m!{ a b }; let _ = m!(); let _ = -x * !y;
            let _ = Foo { a: 1 }.bar(|x| x + 1, ::std::mem::take(&mut v), <T as Tr>::f());
            let _ = #[attr] call(x); let _ = x as u64; let _ = (a, b).0; let _ = [a; 3];
            let _ = if c { a } else { b }; let _ = async move { x.await }; let _ = &&*x;
        }"##;
        let own: syn::File = syn::parse_str(own).unwrap();
        syn::visit::Visit::visit_file(&mut all, &own);
        each_fixture_file(|file| syn::visit::Visit::visit_file(&mut all, file));
        assert!(all.1 > 5_000, "only {} expressions read", all.1);
        assert!(all.0.is_empty(), "{:#?}", &all.0[..all.0.len().min(10)]);
    }

    #[test]
    fn a_parameter_pattern_names_what_pat_ident_names() {
        let f: syn::ItemFn = syn::parse_str(
            "fn f(x: u8, mut y: T, (a, b): (u8, u8), Foo { c, .. }: Foo, _: T, ref z: &T, w @ Some(v): Option<u8>) {}",
        )
        .unwrap();
        let mut n = 0;
        for input in &f.sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                assert_eq!(pat_name(&pt.pat), pat_ident(&pt.pat).map(Name::from));
                n += 1;
            }
        }
        assert_eq!(n, 7);
        let p: syn::Pat = syn::parse_quote!(org_id);
        assert_eq!(pat_name(&p).as_deref(), Some("org_id"));
    }

    /// Every expression of every fixture file has the span `Spanned::span` gives it.
    #[test]
    fn an_expressions_span_is_the_span_of_its_tokens() {
        use crate::diagnostic::Span;
        struct All(Vec<String>, usize, usize);
        impl<'ast> syn::visit::Visit<'ast> for All {
            fn visit_expr(&mut self, e: &'ast syn::Expr) {
                self.1 += 1;
                if first_token(e).is_ok() && last_span(e, 0).is_some() {
                    self.2 += 1;
                }
                let (direct, tokens) = (
                    Span::from_pm2(expr_span(e)),
                    Span::from_pm2(syn::spanned::Spanned::span(e)),
                );
                if direct != tokens {
                    self.0
                        .push(format!("{}: {direct:?} != {tokens:?}", short_tokens(e)));
                }
                syn::visit::visit_expr(self, e);
            }
        }
        let mut all = All(Vec::new(), 0, 0);
        each_fixture_file(|file| syn::visit::Visit::visit_file(&mut all, file));
        assert!(all.2 > 5_000, "only {} of {} read directly", all.2, all.1);
        assert!(all.0.is_empty(), "{:#?}", &all.0[..all.0.len().min(10)]);
    }

    #[test]
    fn a_path_interned_through_the_buffers_is_its_segments() {
        // Longer, then shorter, then longer again: the buffers of a longer path are reused.
        for text in ["crate::db::users::find", "find", "r#type::Users", "a::b"] {
            let p: syn::Path = syn::parse_str(text).unwrap();
            let m = path_module(&p);
            assert_eq!(m, segments(&p), "{text}");
            assert_eq!(m, crate::intern::Module::interned(&segments(&p)));
        }
        let p: syn::Path = syn::parse_str("Repo::new").unwrap();
        assert_eq!(path_module(&p).join("::"), "Repo::new");
    }

    #[test]
    fn a_type_interned_through_the_buffer_prints_as_its_text() {
        for text in ["Arc<Mutex<Pool>>", "&'a mut T", "Vec<u8>", "u8"] {
            let t: syn::Type = syn::parse_str(text).unwrap();
            assert_eq!(type_name(&t), type_text(&t));
            assert_eq!(type_tokens_name(&t), type_tokens(&t));
        }
    }

    /// The direct printers write what the printed tokens say, spaced and with the spaces removed.
    #[test]
    fn type_text_is_the_tokens_without_spaces() {
        let types = [
            "Extension<AuthUser>",
            "&'a mut Vec<(u8, String,)>",
            "&mut (dyn Cache + Send + 'static)",
            "Box<dyn Fn(&str) -> Result<(), Error> + Send + Sync>",
            "impl Iterator<Item = &'a str> + '_",
            "*const [u8]",
            "*mut T",
            "::std::sync::Arc<tokio::sync::RwLock<HashMap<String, Vec<u64>>>>",
            "<T as Trait>::Assoc",
            "[u8; 32]",
            "fn(u8) -> u8",
            "!",
            "_",
            "(A)",
            "()",
            "Option<Box<dyn for<'b> Fn(&'b str)>>",
            "Vec::<u8>",
            "State<r#type::Db>",
            "dyn ?Sized",
            "Foo<N, { N + 1 }, \"a b\">",
            "Pin<Box<dyn Future<Output = T> + Send + 'a>>",
            "T::Err",
            "impl AsRef<str>",
            "Option<&'static str>",
            "HashMap<String, Vec<(i32, String)>>",
            "&[u8]",
            "Result<Json<Value>, (StatusCode, String)>",
            "web::Data<Pool<Postgres>>",
            "impl Fn(u8) -> u8 + Send",
            "&'a dyn Repo",
            "Box<dyn Error + Send + Sync + 'static>",
            "<Self as Trait>::Output",
        ];
        for text in types {
            let t: syn::Type = syn::parse_str(text).expect(text);
            let spaced = t.to_token_stream().to_string();
            assert_eq!(type_tokens(&t), spaced, "{text}");
            assert_eq!(type_text(&t), spaced.replace(' ', ""), "{text}");
        }
    }

    /// The structural test says what the printed text's start says.
    #[test]
    fn starts_with_string_path_reads_the_text_start() {
        let exprs = [
            "String::new()",
            "String::from(x).to_lowercase()",
            "String::with_capacity(n) + \"a\"",
            "String::new().len() as u32",
            "String::<>::new()",
            "(String::new())",
            "&String::new()",
            "string::new()",
            "::String::new()",
            "<String as Default>::default()",
            "format!(\"x\")",
            "String",
            "String::X { a: 1 }",
            "x = String::new()",
            "String::new()..",
            "Strings::new()",
            "r#String::new()",
            "a.b(String::new())",
        ];
        for text in exprs {
            let e: syn::Expr = syn::parse_str(text).expect(text);
            assert_eq!(
                starts_with_string_path(&e),
                short(&e).starts_with("String::"),
                "{text}"
            );
        }
    }
}
