//! Reading diesel and sea-orm DSL chains: where a chain starts (through the locals it was built
//! in), and which columns its filters compare on the AND path.

use super::handle::strip;
use crate::extract::{type_text, Env, Value, Walker};
use crate::sql::snake_case;

/// Fields set on a local before this point (`am.org_id = Set(..)`), back to its binding.
pub fn assigned_fields(w: &Walker<'_, '_>, name: &str) -> Vec<String> {
    let (Some(v), Some(l)) = (w.values(), w.local(name)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in v.history(l.def) {
        if let Value::SetField { field, .. } = d.value {
            if !out.contains(field) {
                out.push(field.clone());
            }
        }
    }
    out.reverse();
    out
}

/// Applies `filter`, `or_filter` and configured scoped fns of a chain.
pub fn apply_filter_calls<'ast>(
    w: &Walker<'ast, '_>,
    f: &mut Filters,
    calls: &[&'ast syn::ExprMethodCall],
) {
    for c in calls {
        let method = c.method.to_string();
        match method.as_str() {
            "filter" | "and_where" | "and_filter" => {
                if let Some(a) = c.args.first() {
                    f.and(w, a);
                }
            }
            "or_filter" | "or_where" => {
                if let Some(a) = c.args.first() {
                    f.or(w, a, &method);
                }
            }
            _ if w.cx.config.tenant.is_scoped_fn(&method) => {
                f.scoped_by.get_or_insert(method);
            }
            _ => {}
        }
    }
}

/// Merges filters of a local the chain starts from.
pub fn merge(into: &mut Filters, from: Filters) {
    into.columns.extend(from.columns);
    into.voided.extend(from.voided);
    if from.voided_by.is_some() {
        into.voided_by = from.voided_by;
    }
    if from.scoped_by.is_some() {
        into.scoped_by = from.scoped_by;
    }
}

/// What the filters of a DSL chain establish.
#[derive(Debug, Default, Clone)]
pub struct Filters {
    pub columns: Vec<String>,
    pub voided_by: Option<String>,
    pub voided: Vec<String>,
    pub scoped_by: Option<String>,
}

impl Filters {
    /// `.filter(expr)`: ANDed with what came before.
    pub fn and<'ast>(&mut self, w: &Walker<'ast, '_>, e: &'ast syn::Expr) {
        let (and, or, kind) = conjuncts(w, e, w.env(), 0);
        self.columns.extend(and);
        if !or.is_empty() {
            self.voided.extend(or);
            self.voided_by
                .get_or_insert(kind.unwrap_or(".or(..)").to_string());
        }
    }

    /// `.or_filter(expr)`: ORed with everything before (voids it).
    pub fn or<'ast>(&mut self, w: &Walker<'ast, '_>, e: &'ast syn::Expr, how: &str) {
        let (and, or, _) = conjuncts(w, e, w.env(), 0);
        self.voided.append(&mut self.columns);
        self.voided.extend(and);
        self.voided.extend(or);
        self.voided_by = Some(how.to_string());
    }
}

/// Columns compared on the AND path of a filter expression, columns under an OR, and what the
/// OR was.
fn conjuncts<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> (Vec<String>, Vec<String>, Option<&'static str>) {
    use syn::Expr;
    let mut and = Vec::new();
    let mut or = Vec::new();
    let mut kind = None;
    if depth > 16 {
        return (and, or, kind);
    }
    match strip(e) {
        Expr::MethodCall(m) => {
            let method = m.method.to_string();
            match method.as_str() {
                "eq" | "eq_any" | "is_in" | "eq_all" => {
                    if let Some(c) = column_of(&m.receiver) {
                        and.push(c);
                    } else if let Some(c) = m.args.first().and_then(column_of) {
                        and.push(c);
                    }
                }
                "and" => {
                    let (a, o, k) = conjuncts(w, &m.receiver, env, depth + 1);
                    and.extend(a);
                    or.extend(o);
                    kind = kind.or(k);
                    if let Some(arg) = m.args.first() {
                        let (a, o, k) = conjuncts(w, arg, env, depth + 1);
                        and.extend(a);
                        or.extend(o);
                        kind = kind.or(k);
                    }
                }
                "or" => {
                    let (a, o, _) = conjuncts(w, &m.receiver, env, depth + 1);
                    or.extend(a);
                    or.extend(o);
                    if let Some(arg) = m.args.first() {
                        let (a, o, _) = conjuncts(w, arg, env, depth + 1);
                        or.extend(a);
                        or.extend(o);
                    }
                    kind = Some(".or(..)");
                }
                "add" | "add_option" => {
                    // sea-orm `Condition::all()/any().add(..)..`
                    let (base, calls) = crate::ast::method_chain(strip(e));
                    let any = crate::ast::call_path(base)
                        .is_some_and(|p| p.last().is_some_and(|s| s == "any"));
                    let mut cols = Vec::new();
                    let mut inner_or = Vec::new();
                    for c in calls {
                        if c.method == "add" || c.method == "add_option" {
                            if let Some(arg) = c.args.first() {
                                let (a, o, k) = conjuncts(w, arg, env, depth + 1);
                                cols.extend(a);
                                inner_or.extend(o);
                                kind = kind.or(k);
                            }
                        }
                    }
                    if any {
                        or.extend(cols);
                        or.extend(inner_or);
                        kind = Some("Condition::any()");
                    } else {
                        and.extend(cols);
                        or.extend(inner_or);
                    }
                }
                _ => {}
            }
        }
        Expr::Call(c) => {
            // `Some(x)` in add_option, `Cond::all()` alone: nothing; `and(a, b)`.
            if let Some(name) = crate::extract::last_segment(&c.func) {
                if name == "Some" || name == "and" {
                    for a in &c.args {
                        let (x, o, k) = conjuncts(w, a, env, depth + 1);
                        and.extend(x);
                        or.extend(o);
                        kind = kind.or(k);
                    }
                }
            }
        }
        Expr::Path(p) if p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            if let Some(l) = w.local_at(&name, env) {
                if let (false, Some(init)) = (l.is_param, l.init) {
                    return conjuncts(w, init, l.env, depth + 1);
                }
            }
        }
        _ => {}
    }
    (and, or, kind)
}

/// The column a DSL expression names: diesel `org_id`, `invoices::org_id`,
/// `invoices::dsl::org_id`; sea-orm `invoice::Column::OrgId`, `Expr::col(Column::OrgId)`,
/// `(Alias, Column::OrgId)`.
pub fn column_of(e: &syn::Expr) -> Option<String> {
    use syn::Expr;
    match strip(e) {
        Expr::Path(p) => {
            let segs: Vec<String> = crate::extract::segments(&p.path);
            let last = segs.last()?;
            if segs.len() >= 2 && segs[segs.len() - 2] == "Column" {
                Some(snake_case(last))
            } else if last.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
                // `OrgId` from `use invoice::Column::*`-style imports.
                Some(snake_case(last))
            } else {
                Some(last.clone())
            }
        }
        Expr::Call(c) => c.args.last().and_then(column_of),
        Expr::Tuple(t) => t.elems.last().and_then(column_of),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "into_expr" | "into_simple_expr" | "nullable" | "assume_not_null"
            ) =>
        {
            column_of(&m.receiver)
        }
        _ => None,
    }
}

/// Field names of a struct literal (`NewX { org_id, name: n, .. }`), or of the literal a local
/// was initialised with.
pub fn struct_literal_fields<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
) -> Option<(&'ast syn::ExprStruct, Vec<String>)> {
    let mut cur = strip(e);
    let mut env = w.env();
    for _ in 0..4 {
        match cur {
            syn::Expr::Struct(s) => {
                let fields = s
                    .fields
                    .iter()
                    .filter_map(|f| match &f.member {
                        syn::Member::Named(n) => {
                            // sea-orm: `field: NotSet` does not set it.
                            let not_set = matches!(&f.expr, syn::Expr::Path(p)
                                if p.path.segments.last().is_some_and(|s| s.ident == "NotSet"));
                            (!not_set).then(|| n.to_string())
                        }
                        _ => None,
                    })
                    .collect();
                return Some((s, fields));
            }
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                let l = w.local_at(&name, env)?;
                cur = strip(l.init?);
                env = l.env;
            }
            syn::Expr::MethodCall(m)
                if matches!(
                    m.method.to_string().as_str(),
                    "clone" | "into" | "into_active_model" | "to_owned"
                ) =>
            {
                cur = strip(&m.receiver);
            }
            _ => return None,
        }
    }
    None
}

/// The declared type of a local or parameter, as its last path segment (`&NewInvoice` ->
/// `NewInvoice`, `Vec<NewInvoice>` -> `NewInvoice`).
pub fn local_type_name<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Option<String> {
    let syn::Expr::Path(p) = strip(e) else {
        return None;
    };
    let name = p.path.get_ident()?.to_string();
    let ty = type_text(w.local(&name)?.ty?);
    ty.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|s| !s.is_empty() && s.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .rfind(|s| !matches!(*s, "Vec" | "Option" | "Box" | "Arc" | "Rc" | "Cow"))
        .map(String::from)
}

/// A DSL chain read from its outermost call, following locals it starts from
/// (`let q = invoices.filter(..); q.load(conn)`).
pub struct Chain<'ast> {
    /// What the chain starts from (a table path, `diesel::update(..)`, `Entity::find()`).
    pub base: &'ast syn::Expr,
    /// Method calls, innermost first.
    pub calls: Vec<&'ast syn::ExprMethodCall>,
    /// The expression whose start is the chain's start (where the finding sits).
    pub start: &'ast syn::Expr,
    /// The chain came through a parameter (`fn f(q: BoxedQuery)`): its start is not visible.
    pub from_param: bool,
}

pub fn chain<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Chain<'ast> {
    chain_depth(w, e, w.env(), 0)
}

fn chain_depth<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> Chain<'ast> {
    let (base, calls) = crate::ast::method_chain(e);
    if depth < 6 {
        if let syn::Expr::Path(p) = strip(base) {
            if let Some(id) = p.path.get_ident() {
                let name = id.to_string();
                if let Some(l) = w.local_at(&name, env) {
                    if l.is_param {
                        return Chain {
                            base,
                            calls,
                            start: e,
                            from_param: true,
                        };
                    }
                    // `let q = invoices.filter(..)`, `q = q.filter(..)`: the chain goes on from
                    // the value the local holds, each step evaluated where it was made.
                    if let Some(init) = l.init {
                        let mut inner = chain_depth(w, init, l.env, depth + 1);
                        inner.calls.extend(calls);
                        return inner;
                    }
                }
            }
        }
    }
    Chain {
        base,
        calls,
        start: e,
        from_param: false,
    }
}
