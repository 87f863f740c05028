//! The one visitor walk of a file: records the file's facts, keeps the value model of the fn
//! being walked ([`super::values`]), and calls every collector on every node.

use super::cx::FileCx;
use super::facts::*;
use super::items::*;
use super::values::{pattern_bindings, Binding, Def, DefId, Env, Grow, Value, Values};
use super::Collector;
use crate::ast::{last_segment_ident, type_text};
use crate::diagnostic::Span;
use std::any::{Any, TypeId};
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

/// What a name holds at a point of the fn: its most recent definition on the nearest path.
#[derive(Clone, Copy)]
pub struct Local<'ast> {
    pub ty: Option<&'ast syn::Type>,
    /// The value's expression, when the definition gives one (`let x = e`, `x = e`).
    pub init: Option<&'ast syn::Expr>,
    /// Where `init` is evaluated: look names inside it up there.
    pub env: Env,
    pub is_param: bool,
    /// Position among the fn's parameters, for a parameter of the fn (not of a closure).
    pub param: Option<usize>,
    pub def: DefId,
}

impl<'ast> Local<'ast> {
    fn of(d: &Def<'_, 'ast>) -> Local<'ast> {
        let (init, env) = match d.value {
            Value::Expr(e, env) => (Some(*e), *env),
            Value::Part(_, env, _) | Value::Elem(_, env, _) => (None, *env),
            Value::Grown { env, .. } | Value::SetField { env, .. } => (None, *env),
            Value::Param | Value::Unknown => (None, Env::default()),
        };
        Local {
            ty: d.binding.ty,
            init,
            env,
            is_param: d.binding.is_param(),
            param: d.binding.param,
            def: d.id,
        }
    }
}

/// Generic parameters of a fn with the paths of their trait bounds
/// (`fn f<C: AsyncCommands>(..) where D: TenantCache`).
pub type Generics = Vec<(String, Vec<Vec<String>>)>;

/// The fn being walked.
pub struct FnScope<'ast> {
    /// Index into `facts.fns`.
    pub fn_index: usize,
    /// What each local holds, at every point of the fn.
    pub values: Values<'ast>,
    /// The fn's body, when it has one.
    pub body: Option<&'ast syn::Block>,
    pub generics: Generics,
    /// What the fn returns: its tail expression and every `return e`, each with its point.
    pub returns: Vec<(&'ast syn::Expr, Env)>,
    /// Per-collector state: (collector's position in the registry, type) -> value.
    states: Vec<((usize, TypeId), Box<dyn Any>)>,
    /// Closures and async blocks being walked inside the fn (a `return` there is not the fn's).
    nested: usize,
    /// How many query sites and cache calls the file had when the fn started: the ones after
    /// are the fn's (unless a nested fn claimed them first).
    pub(crate) sites_from: (usize, usize),
    /// How many call facts the file had when the fn started (a `None` rejected after the fn
    /// called something protects nothing).
    calls_from: usize,
    /// The fn is declared to return a string: its returned text is recorded at its end.
    returns_text: bool,
}

pub struct Walker<'ast, 'a> {
    pub cx: &'a FileCx<'a>,
    pub facts: FileFacts,
    pub module: crate::intern::Module,
    impl_ty: Vec<Option<String>>,
    /// The generics of the enclosing `impl` blocks (`impl<C: TenantCache> Svc<C>`): their
    /// methods' generics too.
    impl_generics: Vec<Generics>,
    /// For each entry of `impl_ty`: the impl block's index in `facts.impls`, or None in a trait.
    impl_index: Vec<Option<u32>>,
    pub fns: Vec<FnScope<'ast>>,
    arena: &'ast typed_arena::Arena<syn::Expr>,
    /// Expressions collectors have already handled as part of a larger one: address -> one bit
    /// per collector (the registry has fewer than 64, `registry::tests`).
    consumed: foldhash::HashMap<usize, u64>,
    /// Texts are being sketched: their leaves matter, not how messages show their parts
    /// ([`Walker::record_ret_text`] keeps few of the texts fns return).
    pub(super) sketch: std::cell::Cell<bool>,
    /// Steps taken to follow the text [`Walker::str_source_at`] is working out (None outside
    /// one): a text grown by many branches has exponentially many ways to be built.
    pub(super) text_steps: std::cell::Cell<Option<u32>>,
    /// The arguments of macros read as expressions (`format!`, `concat!`, `vec!`), by the
    /// macro's address: parsed once per file, kept in the arena.
    macro_lists: std::cell::RefCell<foldhash::HashMap<usize, Option<&'ast syn::ExprArray>>>,
    /// The collector being called.
    current: usize,
    /// Closures recorded as fns of their own (handlers registered as closures): address ->
    /// index in `facts.fns`; while one is walked, its calls are its own too.
    adopted: foldhash::HashMap<usize, usize>,
    adopted_stack: Vec<usize>,
    depth: usize,
    too_deep: bool,
    /// The conditional regions (`if` branches, `match` arms, loop bodies) enclosing the current
    /// node, outermost first, each with a unique id: code in a region entered after a value was
    /// created may not run.
    pub cond_regions: Vec<usize>,
    next_region: usize,
    /// Last path segments of the attributes on the file's fns, as met: `finish` files the ones
    /// not called into `FileFacts::called` (a list per fn was 90k attributes at scale, 86k of
    /// them `doc`, read only by name).
    attr_names: Vec<crate::intern::Name>,
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
            impl_generics: Vec::new(),
            impl_index: Vec::new(),
            fns: Vec::new(),
            arena,
            consumed: foldhash::HashMap::default(),
            sketch: std::cell::Cell::new(false),
            text_steps: std::cell::Cell::new(None),
            macro_lists: std::cell::RefCell::new(foldhash::HashMap::default()),
            current: 0,
            adopted: foldhash::HashMap::default(),
            adopted_stack: Vec::new(),
            depth: 0,
            too_deep: false,
            cond_regions: Vec::new(),
            next_region: 0,
            attr_names: Vec::new(),
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
        // A fn keeps the names it calls that may be a check, the file every name once
        // (`FnFact::calls`); each name is judged once per file.
        let checks = &self.cx.check_names;
        let mut judged = foldhash::HashMap::<crate::intern::Name, bool>::default();
        for fact in &mut f.fns {
            fact.calls.retain(|c| {
                *judged.entry(c.clone()).or_insert_with(|| {
                    f.called.push(c.clone());
                    checks.contains(&c.as_str()) || super::may_name_a_check(c)
                })
            });
            fact.calls.shrink_to_fit();
        }
        for a in std::mem::take(&mut self.attr_names) {
            judged.entry(a).or_insert_with_key(|a| {
                f.called.push(a.clone());
                false
            });
        }
        // A vector grown by pushes holds four elements at least: a cache call's one step
        // (`state.redis`).
        for c in &mut f.caches {
            if let Some(p) = &mut c.pending {
                p.steps.shrink_to_fit();
            }
        }
        for s in &mut f.structs {
            s.fields.shrink_to_fit();
            s.field_types.shrink_to_fit();
        }
        for e in &mut f.enums {
            e.variants.shrink_to_fit();
        }
        f.share_site_items();
        f.fns.shrink_to_fit();
        f.routers.shrink_to_fit();
        f.queries.shrink_to_fit();
        f.caches.shrink_to_fit();
        f.consts.shrink_to_fit();
        f.uses.shrink_to_fit();
        f.enums.shrink_to_fit();
        f.structs.shrink_to_fit();
        f.bypasses.shrink_to_fit();
        f.statics.shrink_to_fit();
        f.aliases.shrink_to_fit();
        f.mods.shrink_to_fit();
        f.calls.shrink_to_fit();
        f.called.shrink_to_fit();
        f.impls.shrink_to_fit();
        self.facts
    }

    /// Calls `hook` on every collector, in order, each knowing it is the current one.
    fn each(&mut self, mut hook: impl FnMut(&'a dyn Collector, &mut Self)) {
        let collectors = self.cx.collectors;
        for (i, c) in collectors.iter().enumerate() {
            self.current = i;
            hook(*c, self);
        }
    }

    // ----- helpers for collectors -------------------------------------------------------------

    /// Item path of something at the current position: module, impl type, name.
    pub fn item_path(&self, name: &str) -> String {
        let impl_ty = match self.impl_ty.last() {
            Some(Some(t)) => Some(t.as_str()),
            _ => None,
        };
        let name = (!name.is_empty()).then_some(name);
        let parts = || {
            self.module
                .iter()
                .map(String::as_str)
                .chain(impl_ty)
                .chain(name)
        };
        // One allocation of the exact size (the path is kept by the fn's fact).
        let len = parts()
            .map(|p| p.len() + 2)
            .sum::<usize>()
            .saturating_sub(2);
        let mut out = String::with_capacity(len);
        for (i, p) in parts().enumerate() {
            if i > 0 {
                out.push_str("::");
            }
            out.push_str(p);
        }
        out
    }

    /// Item path of the innermost enclosing fn (or the module).
    pub fn current_item(&self) -> String {
        match self.fns.last() {
            Some(f) => self.facts.fns[f.fn_index].item().to_string(),
            None => self.item_path(""),
        }
    }

    pub fn current_fn(&self) -> Option<&FnFact> {
        self.fns.last().map(|f| &self.facts.fns[f.fn_index])
    }

    pub fn self_ty(&self) -> Option<&str> {
        self.impl_ty.last().and_then(|t| t.as_deref())
    }

    /// The current point of the fn being walked.
    pub fn env(&self) -> Env {
        self.fns.last().map(|f| f.values.here()).unwrap_or_default()
    }

    /// What `name` holds here: its most recent definition on the nearest path.
    pub fn local(&self, name: &str) -> Option<Local<'ast>> {
        self.local_at(name, self.env())
    }

    /// What `name` holds at `env` (a value's own point: see [`Local::env`]).
    pub fn local_at(&self, name: &str, env: Env) -> Option<Local<'ast>> {
        let f = self.fns.last()?;
        f.values.latest(name, env).map(|d| Local::of(&d))
    }

    /// Every definition of `name` that may reach `env` (one per path: the branches of an
    /// `if`, the arms of a `match`, a loop that may not run).
    pub fn locals_at(&self, name: &str, env: Env) -> Vec<Local<'ast>> {
        match self.fns.last() {
            Some(f) => f.values.lookup(name, env).iter().map(Local::of).collect(),
            None => Vec::new(),
        }
    }

    /// The expression a local's value grew from: back through `+=`, `push_str` and field sets
    /// to the nearest definition that gives an expression (`let mut sql = String::from("..")`).
    pub fn origin(&self, l: &Local<'ast>) -> Option<(&'ast syn::Expr, Env)> {
        if let Some(e) = l.init {
            return Some((e, l.env));
        }
        let v = self.values()?;
        for d in v.history(l.def) {
            match d.value {
                Value::Expr(e, env) => return Some((e, *env)),
                Value::Grown { .. } | Value::SetField { .. } => continue,
                _ => return None,
            }
        }
        None
    }

    /// The value model of the fn being walked.
    pub fn values(&self) -> Option<&Values<'ast>> {
        self.fns.last().map(|f| &f.values)
    }

    /// The generics of the fn being walked.
    pub fn generics(&self) -> &[(String, Vec<Vec<String>>)] {
        self.fns.last().map_or(&[], |f| &f.generics)
    }

    /// What the fn being walked returns, with the point of each (read in `fn_end`).
    pub fn returns(&self) -> &[(&'ast syn::Expr, Env)] {
        self.fns.last().map_or(&[], |f| &f.returns)
    }

    /// Marks an expression as handled by the current collector, which then skips it when the
    /// walk reaches it (chains are read from their outermost call). Other collectors still see it.
    pub fn consume(&mut self, e: &syn::Expr) {
        *self
            .consumed
            .entry(e as *const syn::Expr as usize)
            .or_default() |= 1 << self.current;
    }

    /// The collectors that consumed `e`, one bit each.
    fn consumed_by(&self, e: &syn::Expr) -> u64 {
        self.consumed
            .get(&(e as *const syn::Expr as usize))
            .copied()
            .unwrap_or(0)
    }

    /// The current collector's state of type `T` for the fn being walked (created on first
    /// use, dropped at the fn's end unless taken in `fn_end`). A collector may keep several,
    /// one per type; no collector sees another's.
    pub fn state<T: Any + Default>(&mut self) -> Option<&mut T> {
        let key = (self.current, TypeId::of::<T>());
        let f = self.fns.last_mut()?;
        let i = match f.states.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                f.states.push((key, Box::new(T::default())));
                f.states.len() - 1
            }
        };
        f.states[i].1.downcast_mut::<T>()
    }

    /// The current collector's state of type `T`, if it made one in this fn.
    pub fn state_ref<T: Any>(&self) -> Option<&T> {
        let key = (self.current, TypeId::of::<T>());
        let f = self.fns.last()?;
        f.states
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, b)| b.downcast_ref::<T>())
    }

    /// Takes the current collector's state of type `T` out of the fn being walked.
    pub fn take_state<T: Any>(&mut self) -> Option<T> {
        let key = (self.current, TypeId::of::<T>());
        let f = self.fns.last_mut()?;
        let i = f.states.iter().position(|(k, _)| *k == key)?;
        f.states.swap_remove(i).1.downcast::<T>().ok().map(|b| *b)
    }

    /// Keeps an expression parsed from macro tokens alive as long as the syntax tree.
    pub fn alloc(&self, e: syn::Expr) -> &'ast syn::Expr {
        self.arena.alloc(e)
    }

    /// A macro's arguments as expressions (`name!(a, b, ..)`), when its body reads that way:
    /// parsed once, kept as long as the syntax tree.
    pub fn macro_list(
        &self,
        mac: &'ast syn::Macro,
    ) -> Option<&'ast syn::punctuated::Punctuated<syn::Expr, syn::Token![,]>> {
        let key = mac as *const syn::Macro as usize;
        if let Some(hit) = self.macro_lists.borrow().get(&key) {
            return hit.map(|a| &a.elems);
        }
        let list = crate::ast::macro_args(mac).map(|elems| {
            let e = self.alloc(syn::Expr::Array(syn::ExprArray {
                attrs: Vec::new(),
                bracket_token: Default::default(),
                elems,
            }));
            match e {
                syn::Expr::Array(a) => a,
                _ => unreachable!("allocated as an array"),
            }
        });
        self.macro_lists.borrow_mut().insert(key, list);
        list.map(|a| &a.elems)
    }

    /// Records a call name in the enclosing fn.
    fn record_call_name(&mut self, name: &crate::intern::Name) {
        if let Some(f) = self.fns.last() {
            let idx = f.fn_index;
            let calls = &mut self.facts.fns[idx].calls;
            if !calls.contains(name) {
                calls.push(name.clone());
            }
        }
    }

    /// [`Walker::record_call_name`] for an identifier, allocating only for a name not seen yet.
    fn record_call_ident(&mut self, name: &proc_macro2::Ident) {
        if let Some(f) = self.fns.last() {
            let idx = f.fn_index;
            let calls = &mut self.facts.fns[idx].calls;
            if !calls.iter().any(|c| name == c) {
                calls.push(crate::intern::Name::of(name));
            }
        }
    }

    /// Records a call for the call graph: a path call not obviously the standard library's, or
    /// a method call on a receiver whose type the fn shows; with its arguments when one is of
    /// interest (a parameter passed on, a tenant value, string text, a typed local).
    fn record_call_fact(&mut self, e: &'ast syn::Expr) {
        let Some(caller) = self.fns.last().map(|f| f.fn_index as u32) else {
            return;
        };
        let (callee, args) = match e {
            syn::Expr::Call(c) => {
                let syn::Expr::Path(p) = &*c.func else { return };
                // The standard library's roots are told by the first identifier, before any
                // text is made.
                if p.path
                    .segments
                    .first()
                    .is_none_or(|s| STD_ROOTS.iter().any(|r| s.ident == r))
                {
                    return;
                }
                (Callee::Path(crate::ast::path_module(&p.path)), &c.args)
            }
            syn::Expr::MethodCall(m) => {
                let Some(recv) = self.recv_ty(&m.receiver, 0) else {
                    return;
                };
                (
                    Callee::Method {
                        name: crate::intern::Name::of(&m.method),
                        recv,
                    },
                    &m.args,
                )
            }
            _ => return,
        };
        let infos: Vec<ArgInfo> = args.iter().map(|a| self.arg_info(a)).collect();
        let infos = if infos.iter().all(ArgInfo::is_empty) {
            crate::extract::Args::default()
        } else {
            crate::extract::Args::of(infos)
        };
        let line = crate::ast::start_line(e) as u32;
        if let Some(&closure) = self.adopted_stack.last() {
            self.facts.calls.push(CallFact {
                caller: closure as u32,
                callee: callee.clone(),
                line,
                args: infos.clone(),
            });
        }
        self.facts.calls.push(CallFact {
            caller,
            callee,
            line,
            args: infos,
        });
    }

    /// A configured guard type written as a value (struct literal, unit struct, tuple
    /// constructor), and a parameter's `None` turned into an error (`p.ok_or(..)?`).
    fn record_guard_value(&mut self, e: &'ast syn::Expr) {
        let guards = &self.cx.guard_names;
        // Compared as identifiers: a name is made only for a guard's.
        let named = |p: &syn::Path| -> Option<String> {
            let last = &p.segments.last()?.ident;
            guards.iter().any(|n| last == n).then(|| last.to_string())
        };
        let found = match e {
            syn::Expr::Struct(s) if !guards.is_empty() => named(&s.path),
            syn::Expr::Path(p) if !guards.is_empty() => named(&p.path).filter(|_| {
                p.path
                    .get_ident()
                    .is_none_or(|id| crate::intern::with_text(id, |n| self.local(n)).is_none())
            }),
            syn::Expr::Call(c) if !guards.is_empty() => match &*c.func {
                syn::Expr::Path(p) => named(&p.path),
                _ => None,
            },
            syn::Expr::Try(t) => {
                // `auth.ok_or(StatusCode::UNAUTHORIZED)?`
                if let syn::Expr::MethodCall(m) = &*t.expr {
                    if matches!(
                        m.method.to_string().as_str(),
                        "ok_or" | "ok_or_else" | "context" | "with_context"
                    ) {
                        self.reject_none(&m.receiver);
                    }
                }
                None
            }
            _ => None,
        };
        if let (Some(g), Some(f)) = (found, self.fns.last()) {
            // A handler closure holds its guard values too.
            let owners = [Some(f.fn_index), self.adopted_stack.last().copied()];
            for i in owners.into_iter().flatten() {
                let list = &mut self.facts.fns[i].extra_mut().guard_values;
                if !list.contains(&g) {
                    list.push(g.clone());
                }
            }
        }
    }

    /// Records that the parameter an expression is rooted in (`auth`, `auth.0`,
    /// `auth.as_ref()`) has its `None` rejected — when that happens before anything else: in
    /// the fn's own statements (not a branch, loop or closure) and before it calls a fn.
    fn reject_none(&mut self, e: &syn::Expr) {
        let Some(scope) = self.fns.last() else { return };
        let fi = scope.fn_index as u32;
        let first = scope.nested == 0
            && self.cond_regions.is_empty()
            && !self.facts.calls[scope.calls_from..]
                .iter()
                .any(|c| c.caller == fi && matches!(c.callee, Callee::Path(_)));
        if !first {
            return;
        }
        let mut cur = crate::ast::peel(e);
        loop {
            match cur {
                syn::Expr::Field(f) => cur = crate::ast::peel(&f.base),
                syn::Expr::MethodCall(m)
                    if m.args.is_empty()
                        && matches!(
                            m.method.to_string().as_str(),
                            "as_ref" | "as_deref" | "clone" | "take" | "as_mut"
                        ) =>
                {
                    cur = crate::ast::peel(&m.receiver)
                }
                _ => break,
            }
        }
        let syn::Expr::Path(p) = cur else { return };
        let Some(id) = p.path.get_ident() else { return };
        let name = id.to_string();
        if self.local(&name).is_some_and(|l| l.param.is_some()) {
            if let Some(f) = self.fns.last() {
                let list = &mut self.facts.fns[f.fn_index].extra_mut().rejects_none;
                if !list.contains(&name) {
                    list.push(name);
                }
            }
        }
    }

    /// Records that a closure is the fn `fn_index` of the facts (a handler registered as a
    /// closure): the calls in its body are its own too, for the call graph.
    pub fn adopt_closure(&mut self, c: &syn::ExprClosure, fn_index: usize) {
        self.adopted
            .insert(c as *const syn::ExprClosure as usize, fn_index);
    }

    /// The fn fact a closure was recorded as by [`Walker::adopt_closure`], if it was.
    pub fn adopted(&self, c: &syn::ExprClosure) -> Option<usize> {
        self.adopted
            .get(&(c as *const syn::ExprClosure as usize))
            .copied()
    }

    /// The receiver's type, as far as the fn shows it: `self`, a typed local or parameter, a
    /// local made by a constructor (`Svc::new(..)`), fields of those.
    fn recv_ty(&self, e: &'ast syn::Expr, depth: usize) -> Option<RecvTy> {
        if depth > 8 {
            return None;
        }
        match crate::ast::peel(e) {
            syn::Expr::Path(p) if p.path.is_ident("self") => Some(RecvTy::SelfValue),
            syn::Expr::Path(p) => {
                let id = p.path.get_ident()?;
                let l = crate::intern::with_text(id, |name| self.local(name))?;
                if let Some(t) = l.ty {
                    return Some(RecvTy::Type(crate::ast::type_tokens_name(t)));
                }
                let (init, _) = self.origin(&l)?;
                self.recv_ty(init, depth + 1)
            }
            syn::Expr::Field(f) => {
                let syn::Member::Named(field) = &f.member else {
                    return None;
                };
                match self.recv_ty(&f.base, depth + 1)? {
                    RecvTy::Field(mut path) => {
                        path.1.push(crate::intern::Name::of(field));
                        Some(RecvTy::Field(path))
                    }
                    other => Some(RecvTy::Field(Box::new((
                        other,
                        thin_vec::thin_vec![crate::intern::Name::of(field)],
                    )))),
                }
            }
            syn::Expr::Call(c) => {
                // `Svc::new(..)`, `Repo::from(..)`: the constructor's type.
                let syn::Expr::Path(p) = &*c.func else {
                    return None;
                };
                let segs = crate::ast::segments(&p.path);
                let n = segs.len();
                (n >= 2 && segs[n - 2].starts_with(|c: char| c.is_ascii_uppercase()))
                    .then(|| RecvTy::Type(segs[..n - 1].join("::").into()))
            }
            syn::Expr::MethodCall(m)
                if m.args.is_empty()
                    && matches!(
                        m.method.to_string().as_str(),
                        "clone" | "as_ref" | "as_mut" | "borrow" | "deref" | "to_owned"
                    ) =>
            {
                self.recv_ty(&m.receiver, depth + 1)
            }
            _ => None,
        }
    }

    /// What phase 2 may need of an argument (see [`ArgInfo`]).
    fn arg_info(&self, a: &'ast syn::Expr) -> ArgInfo {
        let mut info = ArgInfo::default();
        let inner = pass_through(a);
        if let syn::Expr::Path(p) = inner {
            if let Some(id) = p.path.get_ident() {
                if let Some(l) = crate::intern::with_text(id, |name| self.local(name)) {
                    info.param = l.param.map(|i| i as u16);
                    info.ty = l.ty.map(crate::ast::type_tokens_name);
                }
            }
        }
        // Closures, blocks and control flow are never a key or SQL text handed on; scanning
        // them would cost a tenth of the walk.
        let simple = !matches!(
            inner,
            syn::Expr::Closure(_)
                | syn::Expr::Async(_)
                | syn::Expr::Block(_)
                | syn::Expr::If(_)
                | syn::Expr::Match(_)
                | syn::Expr::Loop(_)
                | syn::Expr::ForLoop(_)
                | syn::Expr::While(_)
        );
        if simple && info.param.is_none() {
            info.scoped = super::tenant::carries_tenant(self, a);
        }
        if info.param.is_none() && string_like(inner) {
            let src = self.str_source(inner);
            if !matches!(src, crate::strings::StrSource::Dynamic(_)) {
                info.text = Some(Box::new(src));
            }
        } else if info.param.is_none() && matches!(inner, syn::Expr::Field(_) | syn::Expr::Index(_))
        {
            // A part of a table (`STEPS[i].up`, `last.down`): kept only when it is one of a
            // static table, a literal or a parameter, not of any local.
            let src = self.str_source(inner);
            if part_of_table(&src) {
                info.text = Some(Box::new(src));
            }
        }
        info
    }

    // ----- the value model ----------------------------------------------------------------------

    fn model(&mut self) -> Option<&mut Values<'ast>> {
        self.fns.last_mut().map(|f| &mut f.values)
    }

    /// Binds the names of a pattern to (parts of) a value made here.
    fn bind_pattern(&mut self, pat: &'ast syn::Pat, init: Option<&'ast syn::Expr>, elem: bool) {
        let Some(v) = self.model() else { return };
        let env = v.here();
        for (name, proj, ty) in pattern_bindings(pat) {
            let value = match init {
                None => Value::Unknown,
                Some(e) if elem => Value::Elem(e, env, proj),
                Some(e) if proj.is_empty() => Value::Expr(e, env),
                Some(e) => Value::Part(e, env, proj),
            };
            v.bind(
                Binding {
                    name,
                    ty,
                    param: None,
                    closure_param: false,
                },
                value,
            );
        }
    }

    /// Records what an assignment, a compound assignment or a growing call does to a local.
    fn record_effect(&mut self, e: &'ast syn::Expr) {
        match e {
            syn::Expr::Assign(a) => match strip_place(&a.left) {
                syn::Expr::Path(p) => {
                    if let Some(id) = p.path.get_ident() {
                        let name = id.to_string();
                        if let Some(v) = self.model() {
                            let env = v.here();
                            v.assign(&name, Value::Expr(&a.right, env));
                        }
                    }
                }
                syn::Expr::Field(f) => {
                    if let (Some(name), syn::Member::Named(field)) = (ident_of(&f.base), &f.member)
                    {
                        if let Some(v) = self.model() {
                            let env = v.here();
                            v.assign(
                                &name,
                                Value::SetField {
                                    prev: env,
                                    field: field.to_string(),
                                    expr: &a.right,
                                    env,
                                },
                            );
                        }
                    }
                }
                syn::Expr::Tuple(t) => {
                    for (i, x) in t.elems.iter().enumerate() {
                        if let Some(name) = ident_of(x) {
                            if let Some(v) = self.model() {
                                let env = v.here();
                                v.assign(
                                    &name,
                                    Value::Part(&a.right, env, vec![super::values::Proj::Index(i)]),
                                );
                            }
                        }
                    }
                }
                _ => {}
            },
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::AddAssign(_)) => {
                if let Some(name) = ident_of(&b.left) {
                    self.grow(&name, Grow::AddAssign, Some(&b.right));
                }
            }
            syn::Expr::MethodCall(m) => {
                let how = match m.method.to_string().as_str() {
                    "push_str" => Grow::Method("push_str"),
                    "insert_str" => Grow::Method("insert_str"),
                    "push" => Grow::Method("push"),
                    "extend" => Grow::Method("extend"),
                    _ => return,
                };
                let Some(name) = ident_of(&m.receiver) else {
                    return;
                };
                // `push`/`extend` grow a `Vec` as often as a `String`: only strings count.
                if matches!(how, Grow::Method("push" | "extend")) && !self.is_string_local(&name) {
                    return;
                }
                let tail = match how {
                    Grow::Method("insert_str") => m.args.iter().nth(1),
                    _ => m.args.first(),
                };
                self.grow(&name, how, tail);
            }
            _ => {}
        }
    }

    fn grow(&mut self, name: &str, how: Grow, tail: Option<&'ast syn::Expr>) {
        if let Some(v) = self.model() {
            let env = v.here();
            v.assign(
                name,
                Value::Grown {
                    prev: env,
                    how,
                    tail,
                    env,
                },
            );
        }
    }

    /// A local declared as a `String` or made from string text.
    fn is_string_local(&self, name: &str) -> bool {
        let Some(l) = self.local(name) else {
            return false;
        };
        if let Some(t) = l.ty {
            // A declared type says it: `String`, `&mut String`, `Cow<str>`; not `QueryBuilder<..>`.
            let t = type_text(t);
            return t.contains("String") || t.contains("Cow");
        }
        let Some(def) = self.values().map(|v| v.history(l.def)) else {
            return false;
        };
        let Some(first) = def.last() else {
            return false;
        };
        match first.value {
            Value::Expr(init, env) => {
                matches!(
                    self.sketched(|w| w.str_source_at(init, *env)),
                    crate::strings::StrSource::Lit(_) | crate::strings::StrSource::Concat(_)
                ) || matches!(crate::ast::peel(init), syn::Expr::Macro(_))
                    || crate::ast::starts_with_string_path(init)
            }
            _ => false,
        }
    }

    /// `f` with texts sketched: their leaves are what is looked at, not how messages show them
    /// (see [`Walker::sketch`]).
    fn sketched<R>(&self, f: impl FnOnce(&Self) -> R) -> R {
        let was = self.sketch.replace(true);
        let r = f(self);
        self.sketch.set(was);
        r
    }

    /// Walks one path of a branch from `fork`; returns where it ends, None when it always leaves.
    fn branch(&mut self, fork: Env, walk: impl FnOnce(&mut Self) -> bool) -> Option<Env> {
        if let Some(v) = self.model() {
            v.reset(fork);
        }
        let diverges = walk(self);
        (!diverges).then(|| self.env())
    }

    fn join(&mut self, fork: Env, ends: Vec<Env>) {
        if let Some(v) = self.model() {
            v.join(fork, ends);
        }
    }

    fn open_scope(&mut self) {
        if let Some(v) = self.model() {
            v.open();
        }
    }

    fn close_scope(&mut self) {
        if let Some(v) = self.model() {
            v.close();
        }
    }

    // ----- fns ----------------------------------------------------------------------------------

    /// Starts a fn: records its fact, params and bypass/requires attributes.
    fn enter_fn(
        &mut self,
        attrs: &'ast [syn::Attribute],
        sig: &'ast syn::Signature,
        body: Option<&'ast syn::Block>,
        extent: Span,
    ) {
        let name = crate::intern::Name::of(&sig.ident);
        let mut fact = FnFact {
            name,
            module: self.module.clone(),
            self_ty: self.self_ty().map(Into::into),
            impl_slot: FnFact::impl_slot_of(self.impl_index.last().copied().flatten()),
            in_trait: self.impl_ty.last().is_some_and(|t| t.is_some())
                && self.impl_index.last().is_some_and(|i| i.is_none()),
            span: Span::from_pm2(sig.ident.span()),
            extent,
            ret: ret_type(&sig.output).map(Into::into),
            ..FnFact::default()
        };
        let mut values = Values::new();
        let mut params = Vec::new();
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                let index = params.len();
                params.push(ParamFact {
                    name: crate::ast::pat_name(&pt.pat),
                    ty: crate::ast::type_name(&pt.ty),
                });
                for (n, _, _) in pattern_bindings(&pt.pat) {
                    values.bind(
                        Binding {
                            name: n,
                            ty: Some(&pt.ty),
                            param: Some(index),
                            closure_param: false,
                        },
                        Value::Param,
                    );
                }
            }
        }
        for attr in attrs {
            let path = attr.path();
            let last = path
                .segments
                .last()
                .map(|s| crate::intern::Name::of(&s.ident))
                .unwrap_or_default();
            if last == "requires" {
                fact.extra_mut().requires = Some(Box::new(requires_fact(attr)));
            }
            self.attr_names.push(last);
        }
        fact.params = crate::extract::Params::of(params);
        self.facts.fns.push(fact);
        self.fns.push(FnScope {
            fn_index: self.facts.fns.len() - 1,
            values,
            body,
            generics: {
                let mut g = generics(&sig.generics);
                if let Some(outer) = self.impl_generics.last() {
                    g.extend(
                        outer
                            .iter()
                            .filter(|(n, _)| g.iter().all(|(m, _)| m != n))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                }
                g
            },
            returns: Vec::new(),
            states: Vec::new(),
            nested: 0,
            sites_from: (self.facts.queries.len(), self.facts.caches.len()),
            calls_from: self.facts.calls.len(),
            returns_text: returns_text(&sig.output),
        });
        self.each(|c, w| c.fn_item(w, attrs, sig));
    }

    fn exit_fn(&mut self) {
        self.each(|c, w| c.fn_end(w));
        self.record_ret_text();
        if let Some(f) = self.fns.pop() {
            // The sites recorded since the fn started, that a nested fn did not claim, are its.
            let i = f.fn_index as u32;
            for q in &mut self.facts.queries[f.sites_from.0..] {
                q.fn_index.get_or_insert(i);
            }
            for c in &mut self.facts.caches[f.sites_from.1..] {
                c.fn_index.get_or_insert(i);
            }
        }
    }

    /// The text a fn declared to return a string returns (every `return` and its tail), kept
    /// when some of it is known.
    fn record_ret_text(&mut self) {
        let Some(f) = self.fns.last() else { return };
        if !f.returns_text || f.nested > 0 {
            return;
        }
        let fn_index = f.fn_index;
        let texts = |w: &Self| -> Vec<crate::strings::StrSource> {
            f.returns
                .iter()
                .map(|(e, env)| w.str_source_at(e, *env))
                .collect()
        };
        let sketched = self.sketched(texts);
        // Kept only when it may be SQL: a literal that reads as SQL or DDL, or a const or file phase 2
        // reads (most fns returning text return names and messages).
        let may_be_sql = |leaf: &crate::strings::StrSource| match leaf {
            crate::strings::StrSource::Lit(t) => crate::sql::reads_as_sql_or_ddl(t),
            crate::strings::StrSource::Const(..) | crate::strings::StrSource::File { .. } => true,
            _ => false,
        };
        if !sketched.iter().any(|a| a.any_leaf(&may_be_sql)) {
            return;
        }
        let mut alts = texts(self);
        let text = if alts.len() == 1 {
            alts.pop()
                .unwrap_or_else(|| crate::strings::StrSource::Alt(Vec::new()))
        } else {
            crate::strings::StrSource::Alt(alts)
        };
        self.facts.fns[fn_index].extra_mut().ret_text = Some(text);
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
            name: crate::intern::Name::of(&ident),
            module: self.module.clone(),
            value: crate::strings::SharedSource::of(self.str_source(expr)),
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
        self.each(|c, w| c.mac(w, mac));
        // Interned: macro names repeat (`println!`, `vec!`), a name seen before costs no text.
        let name = mac
            .path
            .segments
            .last()
            .map(|s| crate::intern::Name::of(&s.ident))
            .unwrap_or_default();
        if crate::ast::MIGRATION_MACROS.iter().any(|m| name == *m) {
            if let Some(dir) = self
                .macro_list(mac)
                .and_then(|args| crate::ast::embedded_migration_dir(name.as_str(), args))
            {
                self.facts.migration_dirs.push(dir);
            }
        }
        if name == "lazy_static" {
            for (ident, ty, expr) in lazy_statics(mac) {
                self.facts.statics.push(StaticFact {
                    name: crate::intern::Name::of(&ident),
                    module: self.module.clone(),
                    ty: ty.into(),
                });
                // Its value too, like a `static`'s: the syntax tree's arena keeps it.
                let expr = self.alloc(expr);
                self.record_const(&ident, expr);
            }
        }
        if name == "write" || name == "writeln" {
            // `write!(sql, ..)` grows the string local it writes to.
            if let Some(list) = crate::ast::macro_args(mac) {
                if let Some(var) = list.first().and_then(ident_of) {
                    let how = if name == "write" { "write" } else { "writeln" };
                    self.grow(&var, Grow::Write(how), None);
                }
            }
        }
        self.record_call_name(&name);
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
        if let Some(list) = self.macro_list(mac) {
            for e in list {
                self.visit_expr(e);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Walker<'ast, '_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        if !self.enter() {
            return;
        }
        self.each(|c, w| c.item(w, i));
        visit::visit_item(self, i);
        self.leave();
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_cfg_test(&m.attrs) {
            return;
        }
        let name = m.ident.to_string();
        if m.content.is_none() {
            let base = self.facts.module.len().min(self.module.len());
            self.facts.mods.push(ModDecl {
                name: name.clone(),
                path: path_attr(&m.attrs),
                inline: self.module[base..].to_vec(),
            });
        }
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
        self.impl_generics.push(generics(&i.generics));
        if let syn::Type::Path(p) = &*i.self_ty {
            self.facts.impls.push(ImplFact {
                self_ty: crate::intern::Module::interned(&crate::ast::segments(&p.path)),
                trait_: i
                    .trait_
                    .as_ref()
                    .map(|(_, t, _)| crate::intern::Module::interned(&crate::ast::segments(t))),
                module: self.module.clone(),
            });
            self.impl_index
                .push(Some((self.facts.impls.len() - 1) as u32));
        } else {
            self.impl_index.push(None);
        }
        let first = i
            .defaultness
            .map(|d| d.span)
            .or(i.unsafety.map(|u| u.span))
            .unwrap_or(i.impl_token.span);
        let extent = extent(&i.attrs, first, i.brace_token.span.close());
        self.bypass_attrs(&i.attrs, extent, self.item_path(""));
        self.each(|c, w| c.item_impl(w, i));
        visit::visit_item_impl(self, i);
        self.impl_ty.pop();
        self.impl_generics.pop();
        self.impl_index.pop();
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        self.impl_ty.push(Some(t.ident.to_string()));
        self.impl_index.push(None);
        let first = vis_span(&t.vis)
            .or(t.unsafety.map(|u| u.span))
            .or(t.auto_token.map(|a| a.span))
            .unwrap_or(t.trait_token.span);
        let extent = extent(&t.attrs, first, t.brace_token.span.close());
        self.bypass_attrs(&t.attrs, extent, self.item_path(""));
        visit::visit_item_trait(self, t);
        self.impl_ty.pop();
        self.impl_index.pop();
    }

    fn visit_item_const(&mut self, c: &'ast syn::ItemConst) {
        self.record_const(&c.ident, &c.expr);
        visit::visit_item_const(self, c);
    }

    fn visit_item_type(&mut self, t: &'ast syn::ItemType) {
        self.facts.aliases.push(AliasFact {
            name: crate::intern::Name::of(&t.ident),
            module: self.module.clone(),
            ty: crate::ast::type_tokens(&t.ty).into(),
        });
        visit::visit_item_type(self, t);
    }

    fn visit_item_static(&mut self, s: &'ast syn::ItemStatic) {
        self.facts.statics.push(StaticFact {
            name: crate::intern::Name::of(&s.ident),
            module: self.module.clone(),
            ty: crate::ast::type_tokens(&s.ty).into(),
        });
        self.record_const(&s.ident, &s.expr);
        visit::visit_item_static(self, s);
    }

    fn visit_impl_item_const(&mut self, c: &'ast syn::ImplItemConst) {
        // `impl Repo for Invoices { const TABLE: &str = ".."; }` is `Invoices::TABLE`.
        let ty = self.self_ty().map(String::from);
        if let Some(t) = &ty {
            self.module.push(t.clone());
        }
        self.record_const(&c.ident, &c.expr);
        if ty.is_some() {
            self.module.pop();
        }
        visit::visit_impl_item_const(self, c);
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        flatten_use(&u.tree, &mut prefix, &self.module, &mut self.facts.uses);
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        self.facts.enums.push(EnumFact {
            name: crate::intern::Name::of(&e.ident),
            module: self.module.clone(),
            variants: e
                .variants
                .iter()
                .map(|v| {
                    (
                        crate::intern::Name::of(&v.ident),
                        Span::from_pm2(v.ident.span()),
                    )
                })
                .collect(),
        });
        visit::visit_item_enum(self, e);
    }

    fn visit_item_struct(&mut self, s: &'ast syn::ItemStruct) {
        self.facts.structs.push(StructFact {
            name: crate::intern::Name::of(&s.ident),
            module: self.module.clone(),
            fields: s
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    (
                        f.ident
                            .as_ref()
                            .map(crate::intern::Name::of)
                            .unwrap_or_else(|| crate::intern::Name::of(&i)),
                        crate::ast::type_name(&f.ty),
                    )
                })
                .collect(),
            field_types: s
                .fields
                .iter()
                .map(|f| crate::ast::type_tokens_name(&f.ty))
                .collect(),
            generics: generics(&s.generics),
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

    fn visit_block(&mut self, b: &'ast syn::Block) {
        // The fn's own body: its tail is what the fn returns.
        let is_body = self
            .fns
            .last()
            .is_some_and(|f| f.nested == 0 && f.body.is_some_and(|x| std::ptr::eq(x, b)));
        self.open_scope();
        let n = b.stmts.len();
        for (k, s) in b.stmts.iter().enumerate() {
            if is_body && k + 1 == n {
                if let syn::Stmt::Expr(tail, None) = s {
                    let env = self.env();
                    if let Some(f) = self.fns.last_mut() {
                        f.returns.push((tail, env));
                    }
                }
            }
            if stmt_is_cfg(s) && !self.fns.is_empty() {
                // `#[cfg(feature = "x")] { r = r.route(..) }`: the statement may not be compiled in.
                let fork = self.env();
                self.visit_stmt(s);
                let end = self.env();
                self.join(fork, vec![end, fork]);
            } else {
                self.visit_stmt(s);
            }
        }
        if !is_body {
            self.close_scope();
        }
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        for a in &l.attrs {
            self.visit_attribute(a);
        }
        if let Some(init) = &l.init {
            self.visit_expr(&init.expr);
            if init.diverge.is_some() && binds_some(&l.pat) {
                // `let Some(u) = auth.0 else { return Err(..) };`
                self.reject_none(&init.expr);
            }
            if let Some((_, diverge)) = &init.diverge {
                // `let Some(x) = e else { return .. }`: the else always leaves.
                let fork = self.env();
                self.open_scope();
                self.visit_expr(diverge);
                self.close_scope();
                self.join(fork, vec![fork]);
            }
        }
        self.bind_pattern(&l.pat, l.init.as_ref().map(|i| &*i.expr), false);
    }

    fn visit_expr(&mut self, e: &'ast syn::Expr) {
        if !self.enter() {
            return;
        }
        let collectors = self.cx.collectors;
        let consumed = self.consumed_by(e);
        for (i, c) in collectors.iter().enumerate() {
            if consumed & (1 << i) == 0 {
                self.current = i;
                c.expr(self, e);
            }
        }
        match e {
            syn::Expr::Call(c) => {
                if let Some(name) = last_segment_ident(&c.func) {
                    self.record_call_ident(name);
                }
                self.record_call_fact(e);
            }
            syn::Expr::MethodCall(m) => {
                self.record_call_ident(&m.method);
                self.record_call_fact(e);
            }
            syn::Expr::Return(r) => {
                if let (Some(x), Some(f)) = (&r.expr, self.fns.last()) {
                    if f.nested == 0 {
                        let env = self.env();
                        if let Some(f) = self.fns.last_mut() {
                            f.returns.push((x, env));
                        }
                    }
                }
            }
            _ => {}
        }
        visit::visit_expr(self, e);
        self.record_effect(e);
        self.record_guard_value(e);
        self.leave();
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        // `if let P = e` / `while let P = e`: the names bind in the scope the caller opened.
        self.visit_expr(&l.expr);
        self.bind_pattern(&l.pat, Some(&l.expr), false);
    }

    fn visit_expr_if(&mut self, i: &'ast syn::ExprIf) {
        for a in &i.attrs {
            self.visit_attribute(a);
        }
        if let syn::Expr::MethodCall(mc) = &*i.cond {
            if mc.method == "is_none" && block_diverges(&i.then_branch) {
                self.reject_none(&mc.receiver);
            }
        }
        let fork = self.env();
        // `if cond { .. } else { return .. }`: the then-branch is the only way on, not optional.
        let else_diverges = i.else_branch.as_ref().is_some_and(|(_, e)| diverges(e));
        let mut ends = Vec::new();
        let then_end = self.branch(fork, |w| {
            w.open_scope();
            w.visit_expr(&i.cond);
            if !else_diverges {
                w.enter_cond();
            }
            w.visit_block(&i.then_branch);
            if !else_diverges {
                w.cond_regions.pop();
            }
            w.close_scope();
            block_diverges(&i.then_branch)
        });
        ends.extend(then_end);
        match &i.else_branch {
            Some((_, e)) => {
                let else_end = self.branch(fork, |w| {
                    w.enter_cond();
                    w.visit_expr(e);
                    w.cond_regions.pop();
                    diverges(e)
                });
                ends.extend(else_end);
            }
            None => ends.push(fork),
        }
        self.join(fork, ends);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        for a in &m.attrs {
            self.visit_attribute(a);
        }
        self.visit_expr(&m.expr);
        // `match auth { None => return Err(..), .. }`, or, as the fn's value,
        // `match auth { None => Err(..), Some(u) => .. }`.
        let is_tail = self.fns.last().is_some_and(|f| {
            f.returns
                .iter()
                .any(|(r, _)| matches!(r, syn::Expr::Match(x) if std::ptr::eq(x, m)))
        });
        if m.arms
            .iter()
            .any(|a| is_none_pat(&a.pat) && (diverges(&a.body) || is_tail && is_err_call(&a.body)))
        {
            self.reject_none(&m.expr);
        }
        let fork = self.env();
        // `match x { Some(o) => .., None => return .. }`: the one arm that goes on is not optional.
        let live = m.arms.iter().filter(|a| !diverges(&a.body)).count();
        let mut ends = Vec::new();
        for arm in &m.arms {
            let optional = live > 1 || diverges(&arm.body);
            let end = self.branch(fork, |w| {
                if optional {
                    w.enter_cond();
                }
                w.open_scope();
                for a in &arm.attrs {
                    w.visit_attribute(a);
                }
                w.visit_pat(&arm.pat);
                w.bind_pattern(&arm.pat, Some(&m.expr), false);
                if let Some((_, guard)) = &arm.guard {
                    w.visit_expr(guard);
                }
                w.visit_expr(&arm.body);
                w.close_scope();
                if optional {
                    w.cond_regions.pop();
                }
                diverges(&arm.body)
            });
            ends.extend(end);
        }
        self.join(fork, ends);
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        self.visit_expr(&f.expr);
        let fork = self.env();
        self.enter_cond();
        self.open_scope();
        self.visit_pat(&f.pat);
        self.bind_pattern(&f.pat, Some(&f.expr), true);
        self.visit_block(&f.body);
        self.close_scope();
        self.cond_regions.pop();
        let end = self.env();
        self.join(fork, vec![end, fork]);
    }

    fn visit_expr_while(&mut self, wh: &'ast syn::ExprWhile) {
        let fork = self.env();
        self.open_scope();
        self.visit_expr(&wh.cond);
        self.enter_cond();
        self.visit_block(&wh.body);
        self.cond_regions.pop();
        self.close_scope();
        let end = self.env();
        self.join(fork, vec![end, fork]);
    }

    fn visit_expr_loop(&mut self, l: &'ast syn::ExprLoop) {
        let fork = self.env();
        self.visit_block(&l.body);
        let end = self.env();
        self.join(fork, vec![end, fork]);
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        if let Some(f) = self.fns.last_mut() {
            f.nested += 1;
        }
        visit::visit_expr_async(self, a);
        if let Some(f) = self.fns.last_mut() {
            f.nested -= 1;
        }
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        // Closure parameters shadow outer names while the body is walked; what the body does to
        // outer locals may not happen (the closure may never run).
        let fork = self.env();
        self.open_scope();
        let adopted = self
            .adopted
            .get(&(c as *const syn::ExprClosure as usize))
            .copied();
        if let Some(i) = adopted {
            self.adopted_stack.push(i);
        }
        if let Some(f) = self.fns.last_mut() {
            f.nested += 1;
            for input in &c.inputs {
                let ty = match input {
                    syn::Pat::Type(t) => Some(&*t.ty),
                    _ => None,
                };
                for (n, _, _) in pattern_bindings(input) {
                    f.values.bind(
                        Binding {
                            name: n,
                            ty,
                            param: None,
                            closure_param: true,
                        },
                        Value::Param,
                    );
                }
            }
        }
        visit::visit_expr_closure(self, c);
        if adopted.is_some() {
            self.adopted_stack.pop();
        }
        if let Some(f) = self.fns.last_mut() {
            f.nested -= 1;
        }
        self.close_scope();
        let end = self.env();
        self.join(fork, vec![end, fork]);
    }
}

/// The local a place expression names (`x`, `*x`, `(x)`).
fn ident_of(e: &syn::Expr) -> Option<String> {
    match strip_place(e) {
        syn::Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        _ => None,
    }
}

fn strip_place(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip_place(&p.expr),
        syn::Expr::Group(g) => strip_place(&g.expr),
        syn::Expr::Reference(r) => strip_place(&r.expr),
        syn::Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => strip_place(&u.expr),
        other => other,
    }
}

/// A statement under `#[cfg(..)]` (not `cfg_attr`).
fn stmt_is_cfg(s: &syn::Stmt) -> bool {
    let attrs: &[syn::Attribute] = match s {
        syn::Stmt::Local(l) => &l.attrs,
        syn::Stmt::Macro(m) => &m.attrs,
        syn::Stmt::Expr(e, _) => expr_attrs(e),
        syn::Stmt::Item(_) => &[],
    };
    attrs.iter().any(|a| a.path().is_ident("cfg"))
}

fn expr_attrs(e: &syn::Expr) -> &[syn::Attribute] {
    use syn::Expr;
    match e {
        Expr::Block(b) => &b.attrs,
        Expr::Assign(a) => &a.attrs,
        Expr::MethodCall(m) => &m.attrs,
        Expr::Call(c) => &c.attrs,
        Expr::If(i) => &i.attrs,
        Expr::Match(m) => &m.attrs,
        Expr::Macro(m) => &m.attrs,
        Expr::ForLoop(f) => &f.attrs,
        Expr::Unsafe(u) => &u.attrs,
        Expr::Binary(b) => &b.attrs,
        _ => &[],
    }
}

/// Does this block always leave (its last statement returns, breaks, panics)?
fn block_diverges(b: &syn::Block) -> bool {
    match b.stmts.last() {
        Some(syn::Stmt::Expr(x, _)) => diverges(x),
        Some(syn::Stmt::Macro(m)) => is_diverging_macro(&m.mac),
        _ => false,
    }
}

/// A fn's return type worth keeping (see [`FnFact::ret`]).
/// `-> String`, `-> &str`, `-> Cow<str>`, a `Result`/`Option`/`Box` of one, or a `Vec`, slice
/// or array of them (statements a helper makes).
fn returns_text(out: &syn::ReturnType) -> bool {
    fn text(t: &syn::Type, depth: usize) -> bool {
        match t {
            syn::Type::Reference(r) => text(&r.elem, depth + 1),
            syn::Type::Paren(p) => text(&p.elem, depth + 1),
            syn::Type::Slice(s) => text(&s.elem, depth + 1),
            syn::Type::Array(a) => text(&a.elem, depth + 1),
            syn::Type::Path(p) if depth < 4 => {
                let Some(last) = p.path.segments.last() else {
                    return false;
                };
                // Compared as identifiers: no text is made.
                let id = &last.ident;
                if id == "String" || id == "str" {
                    return true;
                }
                if !["Cow", "Result", "Option", "Box", "Vec"]
                    .iter()
                    .any(|w| id == w)
                {
                    return false;
                }
                match &last.arguments {
                    syn::PathArguments::AngleBracketed(a) => a
                        .args
                        .iter()
                        .find_map(|g| match g {
                            syn::GenericArgument::Type(t) => Some(t),
                            _ => None,
                        })
                        .is_some_and(|t| text(t, depth + 1)),
                    _ => false,
                }
            }
            _ => false,
        }
    }
    match out {
        syn::ReturnType::Type(_, t) => text(t, 0),
        syn::ReturnType::Default => false,
    }
}

fn ret_type(out: &syn::ReturnType) -> Option<String> {
    const PLAIN: &[&str] = &[
        "bool",
        "char",
        "str",
        "String",
        "usize",
        "isize",
        "u8",
        "u16",
        "u32",
        "u64",
        "u128",
        "i8",
        "i16",
        "i32",
        "i64",
        "i128",
        "f32",
        "f64",
        "HashMap",
        "HashSet",
        "BTreeMap",
        "Value",
        "Json",
        "Response",
        "HttpResponse",
        "Redirect",
        "Html",
    ];
    let syn::ReturnType::Type(_, ty) = out else {
        return None;
    };
    // The type inside `Result`, `Option`, `Box`, `Arc`, `Vec` and references decides.
    let mut inner: &syn::Type = ty;
    loop {
        inner = match inner {
            syn::Type::Reference(r) => &r.elem,
            syn::Type::Path(p) => {
                let last = p.path.segments.last()?;
                if PLAIN.iter().any(|n| last.ident == n) {
                    return None;
                }
                let wraps = ["Result", "Option", "Box", "Arc", "Pin", "Vec"]
                    .iter()
                    .any(|w| last.ident == w);
                match (&last.arguments, wraps) {
                    (syn::PathArguments::AngleBracketed(a), true) => match a.args.first() {
                        Some(syn::GenericArgument::Type(t)) => t,
                        _ => return None,
                    },
                    _ => break,
                }
            }
            // A tuple may hold rows (`-> Result<(Model, Vec<Member>)>`).
            syn::Type::Tuple(t) if !t.elems.is_empty() => break,
            syn::Type::Paren(p) => &p.elem,
            _ => return None,
        };
    }
    Some(crate::ast::type_tokens(ty))
}

/// `fn f<C: AsyncCommands>(..) where D: TenantCache` -> `[(C, [[AsyncCommands]]), (D, ..)]`.
fn generics(g: &syn::Generics) -> Generics {
    let mut out: Generics = Vec::new();
    let mut add = |name: String, bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, _>| {
        let paths: Vec<Vec<String>> = bounds
            .iter()
            .filter_map(|b| match b {
                syn::TypeParamBound::Trait(t) => Some(crate::ast::segments(&t.path)),
                _ => None,
            })
            .collect();
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => v.extend(paths),
            None => out.push((name, paths)),
        }
    };
    for p in &g.params {
        if let syn::GenericParam::Type(t) = p {
            add(t.ident.to_string(), &t.bounds);
        }
    }
    if let Some(wc) = &g.where_clause {
        for pred in &wc.predicates {
            if let syn::WherePredicate::Type(t) = pred {
                if let syn::Type::Path(p) = &t.bounded_ty {
                    if let Some(id) = p.path.get_ident() {
                        add(id.to_string(), &t.bounds);
                    }
                }
            }
        }
    }
    out
}

/// The value of a `#[path = ".."]` attribute.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// `lazy_static! { static ref NAME: Type = expr; .. }`: each static's name, type and value.
fn lazy_statics(m: &syn::Macro) -> Vec<(syn::Ident, String, syn::Expr)> {
    use syn::parse::{ParseStream, Parser};
    let parser = |input: ParseStream<'_>| -> syn::Result<Vec<(syn::Ident, String, syn::Expr)>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            input.call(syn::Attribute::parse_outer)?;
            let _: syn::Visibility = input.parse()?;
            let _: syn::Token![static] = input.parse()?;
            let _: syn::Token![ref] = input.parse()?;
            let name: syn::Ident = input.parse()?;
            let _: syn::Token![:] = input.parse()?;
            let ty: syn::Type = input.parse()?;
            let _: syn::Token![=] = input.parse()?;
            let value: syn::Expr = input.parse()?;
            let _: syn::Token![;] = input.parse()?;
            out.push((name, crate::ast::type_tokens(&ty), value));
        }
        Ok(out)
    };
    parser.parse2(m.tokens.clone()).unwrap_or_default()
}

/// First segments of a path call that is the standard library's or a prelude item's
/// (`Some(..)`, `String::from(..)`, `std::mem::take(..)`): never a workspace fn.
const STD_ROOTS: &[&str] = &[
    "std", "core", "alloc", "Some", "Ok", "Err", "Box", "Arc", "Rc", "String", "Vec", "Option",
    "Result", "HashMap", "HashSet", "BTreeMap", "BTreeSet", "Mutex", "RwLock", "Cow", "PathBuf",
    "Path", "Duration", "Instant", "format", "Default", "From", "Into", "Iterator", "drop",
];

/// The expression without `&`, `*`, parentheses and value-keeping calls (`.clone()`,
/// `.as_str()`, `.to_string()`, `.as_ref()`).
fn pass_through(e: &syn::Expr) -> &syn::Expr {
    match crate::ast::peel(e) {
        syn::Expr::MethodCall(m)
            if m.args.is_empty()
                && matches!(
                    m.method.to_string().as_str(),
                    "clone" | "as_str" | "as_ref" | "to_string" | "to_owned" | "as_mut"
                ) =>
        {
            pass_through(&m.receiver)
        }
        other => other,
    }
}

/// A projection of a static (SCREAMING_CASE), a literal table or a parameter: what a part of a
/// SQL table handed to a helper is made of.
fn part_of_table(src: &crate::strings::StrSource) -> bool {
    use crate::strings::StrSource as S;
    let S::Project(root, _) = src else {
        return false;
    };
    match &**root {
        S::Const(path, _) => path.last().is_some_and(|n| {
            n.chars().any(|c| c.is_ascii_uppercase()) && !n.chars().any(|c| c.is_ascii_lowercase())
        }),
        S::Param { .. } | S::Array(_) | S::Struct(_) => true,
        S::Alt(v) => v
            .iter()
            .all(|x| part_of_table(&S::Project(Box::new(x.clone()), Vec::new()))),
        _ => false,
    }
}

/// Text that may be SQL or a key: a literal, `format!`/`concat!`/`include_str!`, a local, a
/// const (SCREAMING_CASE path), `a + b`.
fn string_like(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(l) => matches!(l.lit, syn::Lit::Str(_)),
        syn::Expr::Macro(m) => m.mac.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "format" | "concat" | "include_str"
            )
        }),
        syn::Expr::Binary(b) => matches!(b.op, syn::BinOp::Add(_)),
        syn::Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let n = s.ident.to_string();
            p.path.segments.len() == 1
                || (n.chars().any(|c| c.is_ascii_uppercase())
                    && !n.chars().any(|c| c.is_ascii_lowercase()))
        }),
        _ => false,
    }
}

/// `Some(x)` (through `Option::Some`, `ref`s and type ascriptions).
fn binds_some(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::TupleStruct(t) => t.path.segments.last().is_some_and(|s| s.ident == "Some"),
        syn::Pat::Type(t) => binds_some(&t.pat),
        syn::Pat::Paren(pp) => binds_some(&pp.pat),
        _ => false,
    }
}

/// `Err(..)` (or `Result::Err(..)`).
fn is_err_call(e: &syn::Expr) -> bool {
    match crate::ast::peel(e) {
        syn::Expr::Call(c) => crate::ast::last_segment(&c.func).is_some_and(|n| n == "Err"),
        _ => false,
    }
}

/// `None` (or `Option::None`).
fn is_none_pat(p: &syn::Pat) -> bool {
    match p {
        syn::Pat::Ident(i) => i.ident == "None" && i.subpat.is_none(),
        syn::Pat::Path(pp) => pp.path.segments.last().is_some_and(|s| s.ident == "None"),
        _ => false,
    }
}
