//! The one visitor walk of a file.

use super::facts::*;
use super::Collector;
use crate::config::Config;
use crate::diagnostic::Span;
use crate::strings::StrSource;
use crate::workspace::{Package, SourceFile};
use quote::ToTokens;
use std::any::Any;
use std::collections::{HashMap, HashSet};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

/// Macros whose bodies the walk does not re-parse (see `walk_macro`).
const OPAQUE_MACROS: &[&str] = &[
    "println",
    "print",
    "eprintln",
    "eprint",
    "format_args",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "todo",
    "unimplemented",
    "unreachable",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    "span",
    "trace_span",
    "debug_span",
    "info_span",
    "warn_span",
    "error_span",
    "matches",
    "stringify",
    "env",
    "option_env",
    "include_bytes",
    "cfg",
    "compile_error",
    "concat",
    "include_str",
    "line",
    "column",
    "file",
    "module_path",
    "bail",
    "ensure",
    "anyhow",
];

/// Deeper than this, the walk stops and the file is reported (TA001) instead of overflowing.
const MAX_DEPTH: usize = 1500;

/// What the walk knows about the file it is in.
pub struct FileCx<'a> {
    pub config: &'a Config,
    pub package: &'a Package,
    pub file: &'a SourceFile,
    collectors: &'static [&'static dyn Collector],
    /// [`FileCx::framework`] of the common names, computed once per file (asked per node).
    known_frameworks: [(&'static str, bool); 5],
}

impl<'a> FileCx<'a> {
    pub fn new(config: &'a Config, package: &'a Package, file: &'a SourceFile) -> FileCx<'a> {
        let mut cx = FileCx {
            config,
            package,
            file,
            collectors: super::all_collectors(),
            known_frameworks: [
                ("axum", false),
                ("actix-web", false),
                ("actix", false),
                ("rocket", false),
                ("poem", false),
            ],
        };
        for i in 0..cx.known_frameworks.len() {
            cx.known_frameworks[i].1 = cx.framework_uncached(cx.known_frameworks[i].0);
        }
        cx
    }

    /// Is this framework in use for the file's package (config, else Cargo.toml dependencies)?
    pub fn framework(&self, name: &str) -> bool {
        match self.known_frameworks.iter().find(|(n, _)| *n == name) {
            Some((_, on)) => *on,
            None => self.framework_uncached(name),
        }
    }

    fn framework_uncached(&self, name: &str) -> bool {
        let configured = &self.config.handlers.frameworks;
        if !configured.is_empty() {
            return configured.iter().any(|f| f == name);
        }
        let dep = match name {
            "actix" | "actix-web" => "actix-web",
            other => other,
        };
        self.package.depends_on(dep)
            || (name == "axum"
                && (self.package.depends_on("loco-rs") || self.package.depends_on("aide")))
            || (name == "poem" && self.package.depends_on("poem-openapi"))
    }

    /// Does the file's package depend on this crate (always true for plain folders)?
    pub fn uses(&self, dep: &str) -> bool {
        self.package.depends_on(dep)
    }
}

/// A local binding: a parameter or a `let`.
#[derive(Clone)]
pub struct Local<'ast> {
    pub name: String,
    pub ty: Option<&'ast syn::Type>,
    pub init: Option<&'ast syn::Expr>,
    pub is_param: bool,
}

/// The fn being walked.
pub struct FnScope<'ast> {
    /// Index into `facts.fns`.
    pub fn_index: usize,
    pub locals: Vec<Local<'ast>>,
    /// Per-collector scratch state for this fn, keyed by the collector's name.
    pub scratch: HashMap<&'static str, Box<dyn Any>>,
    /// The fn's body, when it has one.
    pub body: Option<&'ast syn::Block>,
}

pub struct Walker<'ast, 'a> {
    pub cx: &'a FileCx<'a>,
    pub facts: FileFacts,
    pub module: Vec<String>,
    impl_ty: Vec<Option<String>>,
    pub fns: Vec<FnScope<'ast>>,
    arena: &'ast typed_arena::Arena<syn::Expr>,
    /// Expressions a collector has already handled as part of a larger one (by address).
    consumed: HashSet<usize>,
    depth: usize,
    too_deep: bool,
    /// The conditional regions (`if` branches, `match` arms, loop bodies) enclosing the current
    /// node, outermost first, each with a unique id: code in a region entered after a value was
    /// created may not run.
    pub cond_regions: Vec<usize>,
    next_region: usize,
}

impl<'ast, 'a> Walker<'ast, 'a> {
    pub fn new(
        cx: &'a FileCx<'a>,
        facts: FileFacts,
        arena: &'ast typed_arena::Arena<syn::Expr>,
    ) -> Self {
        Walker {
            cx,
            module: facts.module.clone(),
            facts,
            impl_ty: Vec::new(),
            fns: Vec::new(),
            arena,
            consumed: HashSet::new(),
            depth: 0,
            too_deep: false,
            cond_regions: Vec::new(),
            next_region: 0,
        }
    }

    pub fn walk_file(&mut self, file: &'ast syn::File) {
        self.visit_file(file);
    }

    pub fn finish(mut self) -> FileFacts {
        if self.too_deep && self.facts.parse_error.is_none() {
            self.facts.parse_error = Some(ParseError {
                span: Span::point(1, 1),
                message: format!(
                    "nesting deeper than {MAX_DEPTH} levels; the file was only partly audited"
                ),
                internal: false,
            });
        }
        // Every file's facts live until the end of the run: drop the growth slack of the
        // vectors (a quarter of the facts' memory on the benchmark corpus).
        let f = &mut self.facts;
        for fact in &mut f.fns {
            fact.calls.shrink_to_fit();
            fact.params.shrink_to_fit();
            fact.attrs.shrink_to_fit();
        }
        f.fns.shrink_to_fit();
        f.routers.shrink_to_fit();
        f.queries.shrink_to_fit();
        f.caches.shrink_to_fit();
        f.consts.shrink_to_fit();
        f.uses.shrink_to_fit();
        f.enums.shrink_to_fit();
        f.structs.shrink_to_fit();
        f.bypasses.shrink_to_fit();
        self.facts
    }

    // ----- helpers for collectors -------------------------------------------------------------

    /// Item path of something at the current position: module, impl type, name.
    pub fn item_path(&self, name: &str) -> String {
        let mut parts: Vec<&str> = self.module.iter().map(String::as_str).collect();
        if let Some(Some(t)) = self.impl_ty.last() {
            parts.push(t);
        }
        if !name.is_empty() {
            parts.push(name);
        }
        parts.join("::")
    }

    /// Item path of the innermost enclosing fn (or the module).
    pub fn current_item(&self) -> String {
        match self.fns.last() {
            Some(f) => self.facts.fns[f.fn_index].item.clone(),
            None => self.item_path(""),
        }
    }

    pub fn current_fn(&self) -> Option<&FnFact> {
        self.fns.last().map(|f| &self.facts.fns[f.fn_index])
    }

    pub fn self_ty(&self) -> Option<&str> {
        self.impl_ty.last().and_then(|t| t.as_deref())
    }

    /// The innermost local named `name`, visible at this point of the walk.
    pub fn local(&self, name: &str) -> Option<&Local<'ast>> {
        let f = self.fns.last()?;
        f.locals.iter().rev().find(|l| l.name == name)
    }

    /// Marks an expression as handled so collectors skip it when the walk reaches it.
    pub fn consume(&mut self, e: &syn::Expr) {
        self.consumed.insert(e as *const syn::Expr as usize);
    }

    pub fn is_consumed(&self, e: &syn::Expr) -> bool {
        self.consumed.contains(&(e as *const syn::Expr as usize))
    }

    /// Per-fn scratch state of a collector.
    pub fn scratch<T: Any + Default>(&mut self, key: &'static str) -> Option<&mut T> {
        let f = self.fns.last_mut()?;
        f.scratch
            .entry(key)
            .or_insert_with(|| Box::new(T::default()))
            .downcast_mut::<T>()
    }

    /// Takes a collector's scratch state out of the current fn.
    pub fn take_scratch<T: Any>(&mut self, key: &'static str) -> Option<T> {
        let f = self.fns.last_mut()?;
        f.scratch
            .remove(key)
            .and_then(|b| b.downcast::<T>().ok())
            .map(|b| *b)
    }

    /// Keeps an expression parsed from macro tokens alive as long as the syntax tree.
    pub fn alloc(&self, e: syn::Expr) -> &'ast syn::Expr {
        self.arena.alloc(e)
    }

    /// Where a string expression's value comes from (locals resolved, consts left for phase 2).
    pub fn str_source(&self, e: &'ast syn::Expr) -> StrSource {
        self.str_source_depth(e, 0)
    }

    fn str_source_depth(&self, e: &'ast syn::Expr, depth: usize) -> StrSource {
        use syn::Expr;
        if depth > 16 {
            return StrSource::dynamic("an expression too deep to follow");
        }
        if let Some(inner) = string_wrapped(e) {
            return self.str_source_depth(inner, depth + 1);
        }
        match e {
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Str(s) => StrSource::Lit(s.value()),
                _ => StrSource::dynamic(format!("`{}`", short(e))),
            },
            Expr::Block(b) => match b.block.stmts.last() {
                Some(syn::Stmt::Expr(inner, None)) => self.str_source_depth(inner, depth + 1),
                _ => StrSource::dynamic(format!("`{}`", short(e))),
            },
            Expr::If(i) => {
                let mut alts = Vec::new();
                if let Some(syn::Stmt::Expr(t, None)) = i.then_branch.stmts.last() {
                    alts.push(self.str_source_depth(t, depth + 1));
                } else {
                    return StrSource::dynamic(format!("`{}`", short(e)));
                }
                match &i.else_branch {
                    Some((_, els)) => alts.push(self.str_source_depth(els, depth + 1)),
                    None => return StrSource::dynamic(format!("`{}`", short(e))),
                }
                StrSource::Alt(alts)
            }
            Expr::Match(m) => StrSource::Alt(
                m.arms
                    .iter()
                    .map(|a| self.str_source_depth(&a.body, depth + 1))
                    .collect(),
            ),
            Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => StrSource::Concat(vec![
                self.str_source_depth(&b.left, depth + 1),
                self.str_source_depth(&b.right, depth + 1),
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
                    if let Some(local) = self.local(&segs[0]) {
                        return match local.init {
                            Some(init) if !local.is_param => self.str_source_depth(init, depth + 1),
                            _ if local.is_param => {
                                StrSource::dynamic(format!("parameter `{}`", segs[0]))
                            }
                            _ => StrSource::dynamic(format!("`{}`", segs[0])),
                        };
                    }
                }
                StrSource::Const(segs, self.module.clone())
            }
            _ => StrSource::dynamic(format!("`{}`", short(e))),
        }
    }

    fn macro_str_source(&self, mac: &syn::Macro) -> StrSource {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let args = || {
            mac.parse_body_with(
                syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
            )
            .ok()
        };
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

    /// Records a call name in the enclosing fn.
    fn record_call(&mut self, name: String) {
        if let Some(f) = self.fns.last() {
            let idx = f.fn_index;
            let calls = &mut self.facts.fns[idx].calls;
            if !calls.contains(&name) {
                calls.push(name);
            }
        }
    }

    /// [`Walker::record_call`] for an identifier, allocating only for a name not seen yet.
    fn record_call_ident(&mut self, name: &proc_macro2::Ident) {
        if let Some(f) = self.fns.last() {
            let idx = f.fn_index;
            let calls = &mut self.facts.fns[idx].calls;
            if !calls.iter().any(|c| name == c) {
                calls.push(name.to_string());
            }
        }
    }

    /// Starts a fn: records its fact, params and bypass/requires attributes.
    fn enter_fn(
        &mut self,
        attrs: &'ast [syn::Attribute],
        sig: &'ast syn::Signature,
        body: Option<&'ast syn::Block>,
        extent: Span,
    ) {
        let name = sig.ident.to_string();
        let mut fact = FnFact {
            name: name.clone(),
            item: self.item_path(&name),
            module: self.module.clone(),
            self_ty: self.self_ty().map(String::from),
            span: Span::from_pm2(sig.ident.span()),
            extent,
            ..FnFact::default()
        };
        let mut locals = Vec::new();
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                let pname = pat_ident(&pt.pat);
                fact.params.push(ParamFact {
                    name: pname.clone(),
                    ty: type_text(&pt.ty),
                });
                for n in pat_idents(&pt.pat) {
                    locals.push(Local {
                        name: n,
                        ty: Some(&pt.ty),
                        init: None,
                        is_param: true,
                    });
                }
            }
        }
        for attr in attrs {
            let path = attr.path();
            let last = path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            fact.attrs.push(AttrFact {
                name: last.clone(),
                path: path_text(path),
                span: attr_span(attr),
            });
            if last == "requires" {
                fact.requires = Some(requires_fact(attr));
            }
        }
        self.facts.fns.push(fact);
        self.fns.push(FnScope {
            fn_index: self.facts.fns.len() - 1,
            locals,
            scratch: HashMap::new(),
            body,
        });
        let collectors = self.cx.collectors;
        for c in collectors {
            c.fn_item(self, attrs, sig);
        }
    }

    fn exit_fn(&mut self) {
        let collectors = self.cx.collectors;
        for c in collectors {
            c.fn_end(self);
        }
        self.fns.pop();
    }

    /// Records `#[tenant_bypass(..)]` attributes of an item covering `extent`.
    fn bypass_attrs(&mut self, attrs: &[syn::Attribute], extent: Span, item: String) {
        for attr in attrs {
            if attr
                .path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "tenant_bypass")
            {
                let tokens = match &attr.meta {
                    syn::Meta::List(l) => l.tokens.clone(),
                    _ => proc_macro2::TokenStream::new(),
                };
                let span = attr_span(attr);
                let fact = match tenant_audit_syntax::parse_bypass(tokens) {
                    Ok(args) => bypass_fact(
                        BypassKind::Attribute,
                        span,
                        extent,
                        item.clone(),
                        &args,
                        None,
                    ),
                    Err(e) => BypassFact {
                        kind: BypassKind::Attribute,
                        span,
                        covers: extent,
                        item: item.clone(),
                        reason: None,
                        rules: None,
                        error: Some(e.to_string()),
                    },
                };
                self.facts.bypasses.push(fact);
            }
        }
    }

    /// A const or static: its value as a string source, for SQL text resolution in phase 2.
    fn record_const(&mut self, ident: &syn::Ident, expr: &'ast syn::Expr) {
        self.facts.consts.push(ConstFact {
            name: ident.to_string(),
            module: self.module.clone(),
            value: self.str_source(expr),
        });
    }

    fn enter_cond(&mut self) {
        self.next_region += 1;
        self.cond_regions.push(self.next_region);
    }

    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.too_deep = true;
            return false;
        }
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn walk_macro(&mut self, mac: &'ast syn::Macro) {
        let collectors = self.cx.collectors;
        for c in collectors {
            c.mac(self, mac);
        }
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        self.record_call(name.clone());
        if name == "tenant_bypass" {
            let span = Span::from_pm2(mac.path.span());
            let covers = Span::from_pm2(mac.span());
            let item = self.current_item();
            match tenant_audit_syntax::parse_bypass_macro(mac.tokens.clone()) {
                Ok((args, expr)) => {
                    self.facts.bypasses.push(bypass_fact(
                        BypassKind::Macro,
                        span,
                        covers,
                        item,
                        &args,
                        None,
                    ));
                    let e = self.alloc(expr);
                    self.visit_expr(e);
                }
                Err(err) => self.facts.bypasses.push(BypassFact {
                    kind: BypassKind::Macro,
                    span,
                    covers,
                    item,
                    reason: None,
                    rules: None,
                    error: Some(err.to_string()),
                }),
            }
            return;
        }
        // Macro bodies are token trees: re-parse the common `name!(expr, expr, ..)` shape so code
        // inside `tokio::try_join!`, `vec!`, `join!` is walked too. Formatting, logging and
        // assertion macros are most of the macros in real code and hold no query, cache call
        // or router: re-parsing them cost about a tenth of the audit (docs/performance.md).
        if OPAQUE_MACROS.contains(&name.as_str()) {
            return;
        }
        if let Ok(list) = mac.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        ) {
            for e in list {
                let e = self.alloc(e);
                self.visit_expr(e);
            }
        }
    }
}

fn bypass_fact(
    kind: BypassKind,
    span: Span,
    covers: Span,
    item: String,
    args: &tenant_audit_syntax::BypassArgs,
    error: Option<String>,
) -> BypassFact {
    BypassFact {
        kind,
        span,
        covers,
        item,
        reason: args.reason.as_ref().map(|r| r.value()),
        rules: args
            .rules
            .as_ref()
            .map(|r| r.iter().map(|l| l.value()).collect()),
        error,
    }
}

fn requires_fact(attr: &syn::Attribute) -> RequiresFact {
    let span = attr_span(attr);
    let tokens = match &attr.meta {
        syn::Meta::List(l) => l.tokens.clone(),
        _ => proc_macro2::TokenStream::new(),
    };
    match tenant_audit_syntax::parse_requires(tokens) {
        Ok(args) => RequiresFact {
            span,
            scopes: args
                .scopes
                .iter()
                .map(|s| ScopeFact {
                    key: s.key(),
                    display: s.display(),
                    is_path: matches!(s, tenant_audit_syntax::ScopeRef::Path(_)),
                    span: Span::from_pm2(s.span()),
                })
                .collect(),
            error: None,
        },
        Err(e) => RequiresFact {
            span,
            scopes: Vec::new(),
            error: Some(e.to_string()),
        },
    }
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .map(|l| {
                    let t = l.tokens.to_string();
                    t == "test"
                        || t.starts_with("test ")
                        || t.contains("(test") && !t.contains("not")
                })
                .unwrap_or(false)
    })
}

/// The expression inside a wrapper that keeps a string's value: `&x`, `(x)`, `x.to_string()`,
/// `x.into()`, `String::from(x)`, `AssertSqlSafe(x)`, `Cow::Borrowed(x)`.
pub fn string_wrapped(e: &syn::Expr) -> Option<&syn::Expr> {
    use syn::Expr;
    match e {
        Expr::Paren(p) => Some(&p.expr),
        Expr::Group(g) => Some(&g.expr),
        Expr::Reference(r) => Some(&r.expr),
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
    t.to_token_stream().to_string().replace(' ', "")
}

/// The extent of an item from its first outer attribute (else `first`) to `last`, without
/// turning the whole item into tokens as `Spanned::span` does.
fn extent(attrs: &[syn::Attribute], first: proc_macro2::Span, last: proc_macro2::Span) -> Span {
    let start = attrs
        .iter()
        .find(|a| matches!(a.style, syn::AttrStyle::Outer))
        .map(|a| a.pound_token.span)
        .unwrap_or(first);
    let mut s = Span::from_pm2(start);
    s.end = Span::from_pm2(last).end;
    s
}

/// `#` to `]` of an attribute.
fn attr_span(a: &syn::Attribute) -> Span {
    extent(&[], a.pound_token.span, a.bracket_token.span.close())
}

fn vis_span(v: &syn::Visibility) -> Option<proc_macro2::Span> {
    match v {
        syn::Visibility::Public(p) => Some(p.span),
        syn::Visibility::Restricted(r) => Some(r.pub_token.span),
        syn::Visibility::Inherited => None,
    }
}

/// The first token of a signature (`const`, `async`, `unsafe`, `extern`, or `fn`).
fn sig_start(sig: &syn::Signature) -> proc_macro2::Span {
    sig.constness
        .map(|t| t.span)
        .or(sig.asyncness.map(|t| t.span))
        .or(sig.unsafety.map(|t| t.span))
        .or(sig.abi.as_ref().map(|a| a.extern_token.span))
        .unwrap_or(sig.fn_token.span)
}

fn last_segment_ident(e: &syn::Expr) -> Option<&proc_macro2::Ident> {
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

/// An expression as short text for messages (whitespace folded, at most 80 chars).
pub fn short(e: &dyn ToTokens) -> String {
    let s = tokens_text(&e.to_token_stream());
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// Tokens as compact text: `format!("org:{}", org_id)`.
pub fn tokens_text(t: &proc_macro2::TokenStream) -> String {
    let raw = t.to_string();
    let mut out = String::with_capacity(raw.len());
    let chars: Vec<char> = raw.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = if i > 0 { chars[i - 1] } else { ' ' };
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let tight = matches!(prev, '.' | '(' | '[' | '&' | '!' | ':' | '<' | '#')
                || matches!(
                    next,
                    '.' | '(' | ')' | '[' | ']' | ',' | ':' | '?' | ';' | '!' | '<' | '>'
                )
                || prev == '>' && next == '(';
            if tight && !(prev == ',' || next == '=' || prev == '=') {
                continue;
            }
        }
        out.push(c);
    }
    out
}

impl<'ast> Visit<'ast> for Walker<'ast, '_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        if !self.enter() {
            return;
        }
        let collectors = self.cx.collectors;
        for c in collectors {
            c.item(self, i);
        }
        visit::visit_item(self, i);
        self.leave();
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_cfg_test(&m.attrs) {
            return;
        }
        let name = m.ident.to_string();
        self.module.push(name);
        let item = self.item_path("");
        if m.content.is_some() {
            let first = vis_span(&m.vis)
                .or(m.unsafety.map(|u| u.span))
                .unwrap_or(m.mod_token.span);
            let last = match (&m.content, &m.semi) {
                (Some((brace, _)), _) => brace.span.close(),
                (None, Some(semi)) => semi.span,
                (None, None) => m.ident.span(),
            };
            self.bypass_attrs(&m.attrs, extent(&m.attrs, first, last), item);
        }
        visit::visit_item_mod(self, m);
        self.module.pop();
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if is_cfg_test(&f.attrs) {
            return;
        }
        let first = vis_span(&f.vis).unwrap_or_else(|| sig_start(&f.sig));
        let extent = extent(&f.attrs, first, f.block.brace_token.span.close());
        self.bypass_attrs(&f.attrs, extent, self.item_path(&f.sig.ident.to_string()));
        self.enter_fn(&f.attrs, &f.sig, Some(&f.block), extent);
        visit::visit_item_fn(self, f);
        self.exit_fn();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if is_cfg_test(&f.attrs) {
            return;
        }
        let first = vis_span(&f.vis)
            .or(f.defaultness.map(|d| d.span))
            .unwrap_or_else(|| sig_start(&f.sig));
        let extent = extent(&f.attrs, first, f.block.brace_token.span.close());
        self.bypass_attrs(&f.attrs, extent, self.item_path(&f.sig.ident.to_string()));
        self.enter_fn(&f.attrs, &f.sig, Some(&f.block), extent);
        visit::visit_impl_item_fn(self, f);
        self.exit_fn();
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        let last = match (&f.default, &f.semi_token) {
            (Some(b), _) => b.brace_token.span.close(),
            (None, Some(semi)) => semi.span,
            (None, None) => f.sig.paren_token.span.close(),
        };
        let extent = extent(&f.attrs, sig_start(&f.sig), last);
        self.bypass_attrs(&f.attrs, extent, self.item_path(&f.sig.ident.to_string()));
        self.enter_fn(&f.attrs, &f.sig, f.default.as_ref(), extent);
        visit::visit_trait_item_fn(self, f);
        self.exit_fn();
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if is_cfg_test(&i.attrs) {
            return;
        }
        let ty = match &*i.self_ty {
            syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        self.impl_ty.push(ty);
        let first = i
            .defaultness
            .map(|d| d.span)
            .or(i.unsafety.map(|u| u.span))
            .unwrap_or(i.impl_token.span);
        let extent = extent(&i.attrs, first, i.brace_token.span.close());
        self.bypass_attrs(&i.attrs, extent, self.item_path(""));
        let collectors = self.cx.collectors;
        for c in collectors {
            c.item_impl(self, i);
        }
        visit::visit_item_impl(self, i);
        self.impl_ty.pop();
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.impl_ty.push(Some(t.ident.to_string()));
        let first = vis_span(&t.vis)
            .or(t.unsafety.map(|u| u.span))
            .or(t.auto_token.map(|a| a.span))
            .unwrap_or(t.trait_token.span);
        let extent = extent(&t.attrs, first, t.brace_token.span.close());
        self.bypass_attrs(&t.attrs, extent, self.item_path(""));
        visit::visit_item_trait(self, t);
        self.impl_ty.pop();
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        self.record_const(&c.ident, &c.expr);
        visit::visit_item_const(self, c);
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        self.record_const(&s.ident, &s.expr);
        visit::visit_item_static(self, s);
    }

    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        self.record_const(&c.ident, &c.expr);
        visit::visit_impl_item_const(self, c);
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        flatten_use(&u.tree, &mut prefix, &self.module, &mut self.facts.uses);
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        self.facts.enums.push(EnumFact {
            name: e.ident.to_string(),
            module: self.module.clone(),
            variants: e
                .variants
                .iter()
                .map(|v| (v.ident.to_string(), Span::from_pm2(v.ident.span())))
                .collect(),
        });
        visit::visit_item_enum(self, e);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        self.facts.structs.push(StructFact {
            name: s.ident.to_string(),
            module: self.module.clone(),
            fields: s
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    (
                        f.ident
                            .as_ref()
                            .map(|i| i.to_string())
                            .unwrap_or_else(|| i.to_string()),
                        type_text(&f.ty),
                    )
                })
                .collect(),
            field_types: s
                .fields
                .iter()
                .map(|f| f.ty.to_token_stream().to_string())
                .collect(),
        });
        visit::visit_item_struct(self, s);
    }

    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        self.walk_macro(&m.mac);
    }

    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        self.walk_macro(&m.mac);
    }

    fn visit_expr_macro(&mut self, m: &'ast syn::ExprMacro) {
        self.walk_macro(&m.mac);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        let (ty, pat) = match &l.pat {
            syn::Pat::Type(t) => (Some(&*t.ty), &*t.pat),
            p => (None, p),
        };
        let names = pat_idents(pat);
        let simple = matches!(pat, syn::Pat::Ident(_));
        if let Some(scope) = self.fns.last_mut() {
            for n in names {
                scope.locals.push(Local {
                    name: n,
                    ty,
                    init: if simple {
                        l.init.as_ref().map(|i| &*i.expr)
                    } else {
                        None
                    },
                    is_param: false,
                });
            }
        }
    }

    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if !self.enter() {
            return;
        }
        if !self.is_consumed(e) {
            let collectors = self.cx.collectors;
            for c in collectors {
                c.expr(self, e);
            }
        }
        match e {
            syn::Expr::Call(c) => {
                if let Some(name) = last_segment_ident(&c.func) {
                    self.record_call_ident(name);
                }
            }
            syn::Expr::MethodCall(m) => self.record_call_ident(&m.method),
            _ => {}
        }
        visit::visit_expr(self, e);
        self.leave();
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        for a in &i.attrs {
            self.visit_attribute(a);
        }
        self.visit_expr(&i.cond);
        // `if cond { .. } else { return .. }`: the then-branch is the only way on, not optional.
        let else_diverges = i.else_branch.as_ref().is_some_and(|(_, e)| diverges(e));
        if !else_diverges {
            self.enter_cond();
        }
        self.visit_block(&i.then_branch);
        if !else_diverges {
            self.cond_regions.pop();
        }
        if let Some((_, e)) = &i.else_branch {
            self.enter_cond();
            self.visit_expr(e);
            self.cond_regions.pop();
        }
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        for a in &m.attrs {
            self.visit_attribute(a);
        }
        self.visit_expr(&m.expr);
        // `match x { Some(o) => .., None => return .. }`: the one arm that goes on is not optional.
        let live = m.arms.iter().filter(|a| !diverges(&a.body)).count();
        for arm in &m.arms {
            let optional = live > 1 || diverges(&arm.body);
            if optional {
                self.enter_cond();
            }
            self.visit_arm(arm);
            if optional {
                self.cond_regions.pop();
            }
        }
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        self.enter_cond();
        self.visit_pat(&f.pat);
        self.visit_block(&f.body);
        self.cond_regions.pop();
    }

    fn visit_expr_while(&mut self, wh: &'ast syn::ExprWhile) {
        self.visit_expr(&wh.cond);
        self.enter_cond();
        self.visit_block(&wh.body);
        self.cond_regions.pop();
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        // Closure parameters shadow outer names while the body is walked.
        let added = if let Some(scope) = self.fns.last_mut() {
            let before = scope.locals.len();
            for input in &c.inputs {
                let ty = match input {
                    syn::Pat::Type(t) => Some(&*t.ty),
                    _ => None,
                };
                for n in pat_idents(input) {
                    scope.locals.push(Local {
                        name: n,
                        ty,
                        init: None,
                        is_param: true,
                    });
                }
            }
            Some(before)
        } else {
            None
        };
        visit::visit_expr_closure(self, c);
        if let (Some(before), Some(scope)) = (added, self.fns.last_mut()) {
            scope.locals.truncate(before);
        }
    }
}

/// Does this `else` always leave (return, break, continue, panic, bail)?
fn diverges(e: &syn::Expr) -> bool {
    let last = match e {
        syn::Expr::Block(b) => b.block.stmts.last(),
        syn::Expr::Macro(m) => return is_diverging_macro(&m.mac),
        other => {
            return matches!(
                other,
                syn::Expr::Return(_) | syn::Expr::Break(_) | syn::Expr::Continue(_)
            )
        }
    };
    match last {
        Some(syn::Stmt::Expr(x, _)) => {
            matches!(
                x,
                syn::Expr::Return(_) | syn::Expr::Break(_) | syn::Expr::Continue(_)
            ) || matches!(x, syn::Expr::Macro(m) if is_diverging_macro(&m.mac))
        }
        Some(syn::Stmt::Macro(m)) => is_diverging_macro(&m.mac),
        _ => false,
    }
}

fn is_diverging_macro(m: &syn::Macro) -> bool {
    m.path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "panic" | "bail" | "unreachable" | "todo" | "unimplemented"
        )
    })
}

fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    module: &[String],
    out: &mut Vec<UseFact>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, module, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let name = n.ident.to_string();
            let mut path = prefix.clone();
            if name != "self" {
                path.push(name.clone());
            }
            let alias = if name == "self" {
                prefix.last().cloned().unwrap_or_default()
            } else {
                name
            };
            out.push(UseFact {
                module: module.to_vec(),
                alias,
                path,
            });
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push(UseFact {
                module: module.to_vec(),
                alias: r.rename.to_string(),
                path,
            });
        }
        syn::UseTree::Glob(_) => out.push(UseFact {
            module: module.to_vec(),
            alias: "*".into(),
            path: prefix.clone(),
        }),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, module, out);
            }
        }
    }
}

#[cfg(test)]
mod extent_tests {
    use super::*;

    /// The cheap extents equal `Spanned::span` (which turns the whole item into tokens).
    #[test]
    fn extents_match_spanned() {
        let src = r#"
/// doc
#[inline]
pub(crate) async unsafe fn a() -> u8 { 1 }
const fn b() {}
#[tenant_bypass(reason = "x")]
pub mod m {
    #![allow(unused)]
    fn c() {}
}
mod n;
unsafe impl<T> Send for S<T> { fn d(&self) {} pub fn e() {} }
/// t
pub unsafe trait T { fn f(&self); fn g() { } }
extern "C" fn h() {}
"#;
        let file = syn::parse_file(src).unwrap();
        let mut checked = 0;
        let same = |ours: Span, theirs: proc_macro2::Span| {
            assert_eq!(ours, Span::from_pm2(theirs));
        };
        for item in &file.items {
            match item {
                syn::Item::Fn(f) => {
                    let first = vis_span(&f.vis).unwrap_or_else(|| sig_start(&f.sig));
                    same(
                        extent(&f.attrs, first, f.block.brace_token.span.close()),
                        f.span(),
                    );
                    checked += 1;
                }
                syn::Item::Mod(m) => {
                    let first = vis_span(&m.vis).unwrap_or(m.mod_token.span);
                    let last = match (&m.content, &m.semi) {
                        (Some((b, _)), _) => b.span.close(),
                        (_, Some(s)) => s.span,
                        _ => unreachable!(),
                    };
                    same(extent(&m.attrs, first, last), m.span());
                    checked += 1;
                }
                syn::Item::Impl(i) => {
                    let first = i.unsafety.map(|u| u.span).unwrap_or(i.impl_token.span);
                    same(
                        extent(&i.attrs, first, i.brace_token.span.close()),
                        i.span(),
                    );
                    for it in &i.items {
                        if let syn::ImplItem::Fn(f) = it {
                            let first = vis_span(&f.vis).unwrap_or_else(|| sig_start(&f.sig));
                            same(
                                extent(&f.attrs, first, f.block.brace_token.span.close()),
                                f.span(),
                            );
                            checked += 1;
                        }
                    }
                }
                syn::Item::Trait(t) => {
                    let first = vis_span(&t.vis).unwrap_or(t.trait_token.span);
                    same(
                        extent(&t.attrs, first, t.brace_token.span.close()),
                        t.span(),
                    );
                    for it in &t.items {
                        if let syn::TraitItem::Fn(f) = it {
                            let last = match (&f.default, &f.semi_token) {
                                (Some(b), _) => b.brace_token.span.close(),
                                (_, Some(s)) => s.span,
                                _ => unreachable!(),
                            };
                            same(extent(&f.attrs, sig_start(&f.sig), last), f.span());
                            checked += 1;
                        }
                    }
                }
                _ => {}
            }
            for a in match item {
                syn::Item::Fn(f) => &f.attrs[..],
                syn::Item::Mod(m) => &m.attrs[..],
                _ => &[],
            } {
                same(attr_span(a), a.span());
            }
        }
        assert_eq!(checked, 9);
    }
}
