//! The per-fn value model: what each local holds at each point of a fn.
//!
//! The walk records every binding event of a fn in order — a parameter, a `let` (also through
//! tuple, struct and tuple-struct patterns, `if let`, `match` arms and `for` patterns), a
//! reassignment (`r = r.route(..)`), an append (`sql += ".."`, `sql.push_str(..)`), a field set
//! (`am.org_id = Set(..)`) — as a tree of events: the branches of an `if`, the arms of a `match`,
//! a loop body and a `#[cfg(..)]` statement fork from the point before them and join after them.
//! A point of the fn is an [`Env`]; looking a name up at a point gives every definition that may
//! reach it ([`Values::lookup`]), the most recent one on each path.
//!
//! Values are expressions evaluated at the point of their definition ([`Value::Expr`] carries
//! that point), so a collector that follows a value into its expression looks the names inside
//! it up where they were bound, not where the value is used:
//! `let a = "x"; let b = a; let a = "y";` — `b` is `"x"`.
//!
//! No syntax is copied: values borrow the fn's syntax tree and die with the walk of the fn.

/// A point of a fn: every binding event before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Env(u32);

/// One definition (a binding or an assignment); stable for the fn's walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefId(u32);

/// A name bound by a parameter, a `let` or a pattern.
#[derive(Debug, Clone)]
pub struct Binding<'ast> {
    pub name: String,
    /// The declared type (`let x: T`, a typed parameter, `|x: T|`).
    pub ty: Option<&'ast syn::Type>,
    /// Position among the fn's parameters (receiver excluded).
    pub param: Option<usize>,
    /// A closure's parameter.
    pub closure_param: bool,
}

impl Binding<'_> {
    pub fn is_param(&self) -> bool {
        self.param.is_some() || self.closure_param
    }
}

/// How a destructuring pattern reaches a name: `let (a, (b, c)) = e` binds `c` at `[1, 1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proj {
    /// Tuple or tuple-struct position.
    Index(usize),
    /// Struct field.
    Field(String),
    /// Through an enum variant or tuple struct of this name (`Some(x)`, `Id::Ws(w)`), then the
    /// next projection.
    Variant(String),
    /// An element of a slice pattern.
    Elem,
}

/// How a string local grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grow {
    /// `s += e`
    AddAssign,
    /// `s.push_str(e)`, `s.push(c)`, `s.insert_str(..)`, `s.extend(..)`
    Method(&'static str),
    /// `write!(s, ..)`, `writeln!(s, ..)`
    Write(&'static str),
}

/// What a definition gives its binding.
#[derive(Debug, Clone)]
pub enum Value<'ast> {
    /// A parameter: what the callers pass.
    Param,
    /// Declared without a value, or bound by a form the model does not read.
    Unknown,
    /// This expression, evaluated at `Env` (the point just before the definition).
    Expr(&'ast syn::Expr, Env),
    /// A part of a destructured expression (`let (a, b) = e;` binds `a` to `e` at `[0]`).
    Part(&'ast syn::Expr, Env, Vec<Proj>),
    /// An element of what a `for` loop iterates, then the pattern's projection.
    Elem(&'ast syn::Expr, Env, Vec<Proj>),
    /// The binding's value at `prev`, grown by `tail` (evaluated at `env`; `None` for `write!`).
    Grown {
        prev: Env,
        how: Grow,
        tail: Option<&'ast syn::Expr>,
        env: Env,
    },
    /// The binding's value at `prev` with `field` set to `expr` (evaluated at `env`).
    SetField {
        prev: Env,
        field: String,
        expr: &'ast syn::Expr,
        env: Env,
    },
}

impl<'ast> Value<'ast> {
    /// The expression and its point, for a plain `Expr` value.
    pub fn expr(&self) -> Option<(&'ast syn::Expr, Env)> {
        match self {
            Value::Expr(e, env) => Some((e, *env)),
            _ => None,
        }
    }
}

/// A definition that reaches a point.
#[derive(Debug, Clone, Copy)]
pub struct Def<'v, 'ast> {
    pub id: DefId,
    pub binding: &'v Binding<'ast>,
    pub value: &'v Value<'ast>,
    /// True for an assignment to an existing binding (`x = ..`, `x += ..`), false for the
    /// binding itself.
    pub reassigned: bool,
}

#[derive(Debug)]
enum Event<'ast> {
    Start,
    /// A new binding (shadows earlier ones of its name).
    Bind {
        binding: u32,
        value: Value<'ast>,
    },
    /// A new value for an existing binding.
    Assign {
        binding: u32,
        value: Value<'ast>,
    },
    /// Paths that forked at `fork` meet again.
    Join {
        branches: Vec<Env>,
        fork: Env,
    },
    /// The end of a block: its own bindings are looked up from `to` (the block's entry) on.
    Hide {
        bindings: Vec<u32>,
        to: Env,
    },
}

#[derive(Debug)]
struct Node<'ast> {
    parent: Env,
    event: Event<'ast>,
}

/// Lookups give up past this many steps (a fn with thousands of statements): what was found
/// so far is the answer.
/// The definitions a lookup reaches: one or a few, kept inline (a lookup per name met).
type Reached = smallvec::SmallVec<[DefId; 4]>;

const MAX_STEPS: usize = 20_000;

/// The value model of one fn.
#[derive(Debug)]
pub struct Values<'ast> {
    bindings: Vec<Binding<'ast>>,
    nodes: Vec<Node<'ast>>,
    cur: Env,
    /// Open scopes (blocks, arms, closures): their entry and the bindings made in them.
    scopes: Vec<(Env, Vec<u32>)>,
}

impl Default for Values<'_> {
    fn default() -> Self {
        Values::new()
    }
}

impl<'ast> Values<'ast> {
    pub fn new() -> Values<'ast> {
        Values {
            bindings: Vec::new(),
            nodes: vec![Node {
                parent: Env(0),
                event: Event::Start,
            }],
            cur: Env(0),
            scopes: Vec::new(),
        }
    }

    /// The current point.
    pub fn here(&self) -> Env {
        self.cur
    }

    fn push(&mut self, event: Event<'ast>) -> Env {
        self.nodes.push(Node {
            parent: self.cur,
            event,
        });
        self.cur = Env((self.nodes.len() - 1) as u32);
        self.cur
    }

    /// Binds a new name here.
    pub fn bind(&mut self, binding: Binding<'ast>, value: Value<'ast>) -> DefId {
        self.bindings.push(binding);
        let b = (self.bindings.len() - 1) as u32;
        if let Some((_, names)) = self.scopes.last_mut() {
            names.push(b);
        }
        DefId(self.push(Event::Bind { binding: b, value }).0)
    }

    /// Gives the binding `name` visible here a new value. Returns None when no local has that
    /// name (a static, a field of something else).
    pub fn assign(&mut self, name: &str, value: Value<'ast>) -> Option<DefId> {
        let binding = self.binding_of(name, self.cur)?;
        Some(DefId(self.push(Event::Assign { binding, value }).0))
    }

    fn binding_of(&self, name: &str, at: Env) -> Option<u32> {
        let mut out = Reached::new();
        self.reach(name, at, None, &mut out, &mut 0);
        out.first().map(|d| match &self.nodes[d.0 as usize].event {
            Event::Bind { binding, .. } | Event::Assign { binding, .. } => *binding,
            _ => unreachable!("reach returns definitions only"),
        })
    }

    /// Opens a scope (a block, a match arm, a closure): bindings made in it end with it.
    pub fn open(&mut self) {
        self.scopes.push((self.cur, Vec::new()));
    }

    /// Closes the innermost scope.
    pub fn close(&mut self) {
        if let Some((entry, names)) = self.scopes.pop() {
            if !names.is_empty() {
                self.push(Event::Hide {
                    bindings: names,
                    to: entry,
                });
            }
        }
    }

    /// Goes back to a point (the fork of a branch) to walk another path from it.
    pub fn reset(&mut self, to: Env) {
        self.cur = to;
    }

    /// Joins the paths that forked at `fork` and ended at `ends` (the live ones: a branch that
    /// returns is left out). With no live path the point stays at the fork.
    pub fn join(&mut self, fork: Env, ends: Vec<Env>) {
        let mut ends = ends;
        ends.dedup();
        match ends.as_slice() {
            [] => self.cur = fork,
            [one] => self.cur = *one,
            _ if ends.iter().all(|e| *e == fork) => self.cur = fork,
            _ => {
                self.cur = fork;
                self.push(Event::Join {
                    branches: ends,
                    fork,
                });
            }
        }
    }

    /// Every definition of `name` that may reach `at`: the most recent on each path, in the
    /// order the paths were walked. Empty when `name` is no local here.
    pub fn lookup(&self, name: &str, at: Env) -> Vec<Def<'_, 'ast>> {
        let mut ids = Reached::new();
        self.reach(name, at, None, &mut ids, &mut 0);
        ids.into_iter().map(|id| self.def(id)).collect()
    }

    /// The most recent definition of `name` reaching `at` on the nearest path.
    pub fn latest(&self, name: &str, at: Env) -> Option<Def<'_, 'ast>> {
        let mut ids = Reached::new();
        self.reach(name, at, None, &mut ids, &mut 0);
        ids.first().map(|id| self.def(*id))
    }

    pub fn def(&self, id: DefId) -> Def<'_, 'ast> {
        match &self.nodes[id.0 as usize].event {
            Event::Bind { binding, value } => Def {
                id,
                binding: &self.bindings[*binding as usize],
                value,
                reassigned: false,
            },
            Event::Assign { binding, value } => Def {
                id,
                binding: &self.bindings[*binding as usize],
                value,
                reassigned: true,
            },
            _ => unreachable!("a DefId names a definition"),
        }
    }

    /// The point just before a definition.
    pub fn before(&self, id: DefId) -> Env {
        self.nodes[id.0 as usize].parent
    }

    /// Every definition of the same binding as `id` on the way back from `at` (reassignments
    /// and growths included), most recent first, up to and including the binding itself.
    pub fn history(&self, id: DefId) -> Vec<Def<'_, 'ast>> {
        let d = self.def(id);
        let name = d.binding.name.as_str();
        let mut out = vec![d];
        let mut at = self.before(id);
        let mut guard = 0;
        while !matches!(out.last().map(|d| d.reassigned), Some(false) | None) && guard < 64 {
            guard += 1;
            match self.latest(name, at) {
                Some(prev) => {
                    at = self.before(prev.id);
                    out.push(prev);
                }
                None => break,
            }
        }
        out
    }

    /// Returns true when `name` is defined on every path from `at` back to `stop`.
    fn reach(
        &self,
        name: &str,
        mut at: Env,
        stop: Option<Env>,
        out: &mut Reached,
        steps: &mut usize,
    ) -> bool {
        loop {
            *steps += 1;
            if *steps > MAX_STEPS || Some(at) == stop {
                return false;
            }
            let node = &self.nodes[at.0 as usize];
            match &node.event {
                Event::Start => return false,
                Event::Bind { binding, .. } | Event::Assign { binding, .. }
                    if self.bindings[*binding as usize].name == name =>
                {
                    let id = DefId(at.0);
                    if !out.contains(&id) {
                        out.push(id);
                    }
                    return true;
                }
                Event::Join { branches, fork } => {
                    let mut all = true;
                    for b in branches {
                        if !self.reach(name, *b, Some(*fork), out, steps) {
                            all = false;
                        }
                    }
                    if all {
                        return true;
                    }
                    at = *fork;
                    continue;
                }
                Event::Hide { bindings, to }
                    if bindings
                        .iter()
                        .any(|b| self.bindings[*b as usize].name == name) =>
                {
                    at = *to;
                    continue;
                }
                _ => {}
            }
            at = node.parent;
        }
    }
}

/// Projects an expression along a pattern's path, where the expression's shape shows it:
/// `(a, b)` at `[1]` is `b`; `S { x, .. }` at `[x]` is its `x`; `Some(v)` at `[Some, 0]` is `v`.
/// Blocks, `if` and `match` project each tail. None when the shape does not show it.
pub fn project<'e>(e: &'e syn::Expr, path: &[Proj]) -> Vec<&'e syn::Expr> {
    let mut out = Vec::new();
    project_into(e, path, &mut out, 0);
    out
}

fn project_into<'e>(e: &'e syn::Expr, path: &[Proj], out: &mut Vec<&'e syn::Expr>, depth: usize) {
    use syn::Expr;
    if depth > 32 {
        return;
    }
    let Some((first, rest)) = path.split_first() else {
        out.push(e);
        return;
    };
    match e {
        Expr::Paren(p) => project_into(&p.expr, path, out, depth + 1),
        Expr::Group(g) => project_into(&g.expr, path, out, depth + 1),
        Expr::Block(b) => {
            if let Some(syn::Stmt::Expr(t, None)) = b.block.stmts.last() {
                project_into(t, path, out, depth + 1);
            }
        }
        Expr::If(i) => {
            if let Some(syn::Stmt::Expr(t, None)) = i.then_branch.stmts.last() {
                project_into(t, path, out, depth + 1);
            }
            if let Some((_, els)) = &i.else_branch {
                project_into(els, path, out, depth + 1);
            }
        }
        Expr::Match(m) => {
            for arm in &m.arms {
                project_into(&arm.body, path, out, depth + 1);
            }
        }
        _ => match (first, e) {
            (Proj::Index(i), Expr::Tuple(t)) => {
                if let Some(x) = t.elems.iter().nth(*i) {
                    project_into(x, rest, out, depth + 1);
                }
            }
            (Proj::Field(f), Expr::Struct(s)) => {
                for field in &s.fields {
                    if let syn::Member::Named(n) = &field.member {
                        if n == f {
                            project_into(&field.expr, rest, out, depth + 1);
                        }
                    }
                }
            }
            (Proj::Variant(v), Expr::Call(c)) => {
                let same = crate::ast::last_segment(&c.func).is_some_and(|n| n == *v);
                if let (true, Some(Proj::Index(i))) = (same, rest.first()) {
                    if let Some(x) = c.args.iter().nth(*i) {
                        project_into(x, &rest[1..], out, depth + 1);
                    }
                }
            }
            (Proj::Variant(v), Expr::Struct(s)) => {
                let same = s.path.segments.last().is_some_and(|x| x.ident == v);
                if same {
                    project_into(e, rest, out, depth + 1);
                }
            }
            (Proj::Field(_), Expr::Call(_)) | (Proj::Index(_), Expr::Struct(_)) => {}
            _ => {}
        },
    }
}

/// The names a pattern binds, each with its projection and declared type.
pub fn pattern_bindings(p: &syn::Pat) -> Vec<(String, Vec<Proj>, Option<&syn::Type>)> {
    let mut out = Vec::new();
    collect(p, &mut Vec::new(), None, &mut out, 0);
    out
}

fn collect<'p>(
    p: &'p syn::Pat,
    path: &mut Vec<Proj>,
    ty: Option<&'p syn::Type>,
    out: &mut Vec<(String, Vec<Proj>, Option<&'p syn::Type>)>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    match p {
        syn::Pat::Ident(i) => {
            out.push((i.ident.to_string(), path.clone(), ty));
            if let Some((_, sub)) = &i.subpat {
                collect(sub, path, None, out, depth + 1);
            }
        }
        syn::Pat::Type(t) => collect(&t.pat, path, Some(&t.ty), out, depth + 1),
        syn::Pat::Reference(r) => collect(&r.pat, path, None, out, depth + 1),
        syn::Pat::Paren(pp) => collect(&pp.pat, path, ty, out, depth + 1),
        syn::Pat::Tuple(t) => {
            for (i, e) in t.elems.iter().enumerate() {
                path.push(Proj::Index(i));
                collect(e, path, None, out, depth + 1);
                path.pop();
            }
        }
        syn::Pat::TupleStruct(t) => {
            let name = t
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            for (i, e) in t.elems.iter().enumerate() {
                path.push(Proj::Variant(name.clone()));
                path.push(Proj::Index(i));
                collect(e, path, None, out, depth + 1);
                path.pop();
                path.pop();
            }
        }
        syn::Pat::Struct(s) => {
            let name = s
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            for f in &s.fields {
                let key = match &f.member {
                    syn::Member::Named(n) => Proj::Field(n.to_string()),
                    syn::Member::Unnamed(i) => Proj::Index(i.index as usize),
                };
                path.push(Proj::Variant(name.clone()));
                path.push(key);
                collect(&f.pat, path, None, out, depth + 1);
                path.pop();
                path.pop();
            }
        }
        syn::Pat::Slice(s) => {
            for e in &s.elems {
                path.push(Proj::Elem);
                collect(e, path, None, out, depth + 1);
                path.pop();
            }
        }
        syn::Pat::Or(o) => {
            // Every alternative binds the same names: the first one tells where.
            if let Some(first) = o.cases.first() {
                collect(first, path, ty, out, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(s: &str) -> &'static syn::Expr {
        Box::leak(Box::new(syn::parse_str::<syn::Expr>(s).unwrap()))
    }

    fn local(name: &str) -> Binding<'static> {
        Binding {
            name: name.into(),
            ty: None,
            param: None,
            closure_param: false,
        }
    }

    /// The texts of the expressions reaching `name` at `at`.
    fn texts(v: &Values<'_>, name: &str, at: Env) -> Vec<String> {
        v.lookup(name, at)
            .iter()
            .map(|d| match d.value {
                Value::Expr(e, _) => crate::ast::short(e),
                Value::Param => "param".into(),
                other => format!("{other:?}").chars().take(20).collect(),
            })
            .collect()
    }

    #[test]
    fn reassignment_replaces_and_sees_the_previous_value() {
        let mut v = Values::new();
        v.bind(local("r"), Value::Expr(expr("Router::new()"), v.here()));
        let before = v.here();
        let d = v
            .assign("r", Value::Expr(expr("r.route(\"/a\", get(a))"), before))
            .unwrap();
        assert_eq!(texts(&v, "r", v.here()), vec!["r.route(\"/a\", get(a))"]);
        // The `r` inside the new value is the one before the assignment.
        let Value::Expr(_, env) = v.def(d).value else {
            panic!()
        };
        assert_eq!(texts(&v, "r", *env), vec!["Router::new()"]);
    }

    #[test]
    fn branches_join_with_every_reaching_value() {
        let mut v = Values::new();
        v.bind(local("q"), Value::Expr(expr("\"SELECT 1\""), v.here()));
        let fork = v.here();
        // if c { q = "A" } else { q = "B" }
        v.open();
        v.assign("q", Value::Expr(expr("\"A\""), v.here()));
        v.close();
        let then_end = v.here();
        v.reset(fork);
        v.open();
        v.assign("q", Value::Expr(expr("\"B\""), v.here()));
        v.close();
        let else_end = v.here();
        v.join(fork, vec![then_end, else_end]);
        assert_eq!(texts(&v, "q", v.here()), vec!["\"A\"", "\"B\""]);
    }

    #[test]
    fn a_branch_that_does_not_assign_keeps_the_value_from_before() {
        let mut v = Values::new();
        v.bind(local("r"), Value::Expr(expr("base"), v.here()));
        let fork = v.here();
        v.open();
        v.assign("r", Value::Expr(expr("r.nest(x)"), v.here()));
        v.close();
        let then_end = v.here();
        // no else: the other path is the fork itself
        v.join(fork, vec![then_end, fork]);
        assert_eq!(texts(&v, "r", v.here()), vec!["r.nest(x)", "base"]);
    }

    #[test]
    fn a_branch_that_returns_is_left_out() {
        let mut v = Values::new();
        v.bind(local("x"), Value::Expr(expr("1"), v.here()));
        let fork = v.here();
        v.assign("x", Value::Expr(expr("2"), v.here()));
        // that branch returned: only the fork goes on
        v.join(fork, vec![fork]);
        assert_eq!(texts(&v, "x", v.here()), vec!["1"]);
    }

    #[test]
    fn shadowing_in_a_block_ends_with_the_block() {
        let mut v = Values::new();
        v.bind(local("a"), Value::Expr(expr("outer"), v.here()));
        v.open();
        v.bind(local("a"), Value::Expr(expr("inner"), v.here()));
        assert_eq!(texts(&v, "a", v.here()), vec!["inner"]);
        v.close();
        assert_eq!(texts(&v, "a", v.here()), vec!["outer"]);
        // A reassignment in a block is not hidden by its end.
        v.open();
        v.assign("a", Value::Expr(expr("changed"), v.here()));
        v.close();
        assert_eq!(texts(&v, "a", v.here()), vec!["changed"]);
    }

    #[test]
    fn shadowing_by_let_keeps_the_earlier_value_for_earlier_uses() {
        let mut v = Values::new();
        v.bind(local("a"), Value::Expr(expr("\"x\""), v.here()));
        let at_b = v.here();
        v.bind(local("b"), Value::Expr(expr("a"), at_b));
        v.bind(local("a"), Value::Expr(expr("\"y\""), v.here()));
        let b = v.latest("b", v.here()).unwrap();
        let Value::Expr(_, env) = b.value else {
            panic!()
        };
        assert_eq!(texts(&v, "a", *env), vec!["\"x\""]);
        assert_eq!(texts(&v, "a", v.here()), vec!["\"y\""]);
    }

    #[test]
    fn nested_branches() {
        let mut v = Values::new();
        v.bind(local("s"), Value::Expr(expr("s0"), v.here()));
        let f1 = v.here();
        // if a { if b { s = s1 } } else { s = s2 }
        let f2 = v.here();
        v.assign("s", Value::Expr(expr("s1"), v.here()));
        let e2 = v.here();
        v.join(f2, vec![e2, f2]);
        let then_end = v.here();
        v.reset(f1);
        v.assign("s", Value::Expr(expr("s2"), v.here()));
        let else_end = v.here();
        v.join(f1, vec![then_end, else_end]);
        assert_eq!(texts(&v, "s", v.here()), vec!["s1", "s2", "s0"]);
    }

    #[test]
    fn history_walks_back_to_the_binding() {
        let mut v = Values::new();
        v.bind(local("sql"), Value::Expr(expr("String::new()"), v.here()));
        let p = v.here();
        v.assign(
            "sql",
            Value::Grown {
                prev: p,
                how: Grow::AddAssign,
                tail: Some(expr("\" AND x\"")),
                env: p,
            },
        );
        let last = v.latest("sql", v.here()).unwrap();
        let h = v.history(last.id);
        assert_eq!(h.len(), 2);
        assert!(h[0].reassigned && !h[1].reassigned);
    }

    #[test]
    fn patterns_bind_with_their_projection() {
        let p: syn::Pat = syn::parse_quote!((key, Info { name, .. }, Some(x)));
        let b = pattern_bindings(&p);
        let names: Vec<&str> = b.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, ["key", "name", "x"]);
        assert_eq!(b[0].1, vec![Proj::Index(0)]);
        assert_eq!(
            b[1].1,
            vec![
                Proj::Index(1),
                Proj::Variant("Info".into()),
                Proj::Field("name".into())
            ]
        );
        assert_eq!(
            b[2].1,
            vec![Proj::Index(2), Proj::Variant("Some".into()), Proj::Index(0)]
        );
    }

    #[test]
    fn projection_follows_the_expression_shape() {
        let e = expr("match id { Id::Ws(w) => ((Scope::Ws(w), h), 1), Id::Org(o) => ((o, h), 2) }");
        let got: Vec<String> = project(e, &[Proj::Index(0)])
            .iter()
            .map(|x| crate::ast::short(x))
            .collect();
        assert_eq!(got, vec!["(Scope::Ws(w), h)", "(o, h)"]);
        let e = expr("Some(format!(\"org:{}\", org_id))");
        let got = project(e, &[Proj::Variant("Some".into()), Proj::Index(0)]);
        assert_eq!(got.len(), 1);
        let e = expr("S { a: 1, b: two }");
        let got = project(e, &[Proj::Variant("S".into()), Proj::Field("b".into())]);
        assert_eq!(crate::ast::short(got[0]), "two");
    }
}
