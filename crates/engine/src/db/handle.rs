//! Is a receiver a database handle, and of which driver: from what the code declares
//! (parameters, lets, `self` fields declared in this file, constructors, pool getters).

use super::driver::{driver_methods, drivers_in_use, type_driver};
use super::evidence::{evidence, Evidence};
use crate::extract::{type_text, Env, Walker};

/// The expression without `&`, `*`, parentheses, `.await` and `?`.
pub use crate::ast::peel as strip;

/// The driver of the database handle an expression evaluates to, from declared types and
/// constructors: parameters, lets, `self`/struct fields declared in this file, `pool.get()`,
/// `pool.begin()`, `conn.transaction()`, `Connection::open(..)`, through `&`, `Arc`, locks.
pub fn handle_of<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> Option<&'static str> {
    handle_depth(w, e, w.env(), 0)
}

const PASS_THROUGH: &[&str] = &[
    "unwrap",
    "expect",
    "as_ref",
    "as_mut",
    "clone",
    "deref",
    "deref_mut",
    "borrow",
    "borrow_mut",
    "lock",
    "read",
    "write",
    "get",
    "get_mut",
    "acquire",
    "begin",
    "try_begin",
    "transaction",
    "savepoint",
    "unchecked_transaction",
    "get_conn",
    "get_connection",
    "begin_transaction",
    "build_transaction",
    "start",
    "detach",
    "try_get",
    "get_owned",
    "acquire_owned",
    "connect",
    "connect_lazy",
    "connect_with",
    "open",
    "open_in_memory",
    "build",
    "create_pool",
    "into_inner",
    "as_inner",
];

fn handle_depth<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
    env: Env,
    depth: usize,
) -> Option<&'static str> {
    use syn::Expr;
    if depth > 10 {
        return None;
    }
    match e {
        Expr::Reference(r) => handle_depth(w, &r.expr, env, depth + 1),
        Expr::Unary(u) => handle_depth(w, &u.expr, env, depth + 1),
        Expr::Paren(p) => handle_depth(w, &p.expr, env, depth + 1),
        Expr::Group(g) => handle_depth(w, &g.expr, env, depth + 1),
        Expr::Await(a) => handle_depth(w, &a.base, env, depth + 1),
        Expr::Try(t) => handle_depth(w, &t.expr, env, depth + 1),
        Expr::MethodCall(m) if PASS_THROUGH.contains(&m.method.to_string().as_str()) => {
            handle_depth(w, &m.receiver, env, depth + 1)
        }
        Expr::Call(c) => {
            let Expr::Path(p) = &*c.func else { return None };
            let segs: Vec<String> = crate::extract::segments(&p.path);
            let ctor = segs.last().is_some_and(|s| {
                matches!(
                    s.as_str(),
                    "connect"
                        | "connect_lazy"
                        | "connect_with"
                        | "new"
                        | "open"
                        | "open_in_memory"
                        | "open_with_flags"
                        | "builder"
                        | "create_pool"
                        | "from_config"
                )
            });
            if segs.len() >= 2 && ctor {
                let ty = segs[..segs.len() - 1].join("::");
                type_driver(w, &ty)
            } else if segs.first().is_some_and(|s| s == "Arc" || s == "Mutex") {
                c.args
                    .first()
                    .and_then(|a| handle_depth(w, a, env, depth + 1))
            } else {
                None
            }
        }
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            let l = w.local_at(&name, env)?;
            if let Some(ty) = l.ty {
                return type_driver(w, &type_text(ty));
            }
            l.init.and_then(|i| handle_depth(w, i, l.env, depth + 1))
        }
        Expr::Field(f) => {
            let syn::Member::Named(field) = &f.member else {
                return None;
            };
            let owner: Option<String> = match strip(&f.base) {
                Expr::Path(p) if p.path.is_ident("self") => w.self_ty().map(String::from),
                Expr::Path(p) if p.path.segments.len() == 1 => {
                    let name = p.path.segments[0].ident.to_string();
                    w.local_at(&name, env).and_then(|l| l.ty).map(type_text)
                }
                _ => None,
            };
            let owner = owner?;
            let field = field.to_string();
            // The owner's type names a struct declared in this file: take the field's type.
            let idents: Vec<&str> = owner
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|s| !s.is_empty())
                .collect();
            w.facts
                .structs
                .iter()
                .filter(|s| idents.contains(&s.name.as_str()))
                .find_map(|s| s.fields.iter().find(|(n, _)| *n == field))
                .and_then(|(_, ty)| type_driver(w, ty))
        }
        _ => None,
    }
}

/// Is the argument a prepared statement rather than SQL text (a `let` from `prepare*`, a value
/// of a `Statement` type, a field or a call we cannot see into)?
pub fn is_statement_like<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> bool {
    use syn::Expr;
    match strip(e) {
        Expr::Lit(_) | Expr::Macro(_) | Expr::Binary(_) | Expr::If(_) | Expr::Match(_) => false,
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let name = p.path.segments[0].ident.to_string();
            let lname = name.to_ascii_lowercase();
            match w.local(&name) {
                Some(l) => {
                    if let Some(ty) = l.ty {
                        let t = type_text(ty);
                        return t.contains("Statement") || t.contains("ToStatement");
                    }
                    match l.init {
                        Some(init) => {
                            let i = strip(init);
                            match i {
                                Expr::MethodCall(m) => {
                                    m.method.to_string().starts_with("prepare")
                                        || !matches!(
                                            m.method.to_string().as_str(),
                                            "to_string" | "to_owned" | "into" | "clone" | "as_str"
                                        ) && (lname.contains("stmt")
                                            || lname.contains("statement"))
                                }
                                Expr::Field(_) => true,
                                _ => false,
                            }
                        }
                        None => lname.contains("stmt") || lname.contains("statement"),
                    }
                }
                None => false,
            }
        }
        Expr::Field(_) | Expr::Index(_) => true,
        Expr::MethodCall(m) => !matches!(
            m.method.to_string().as_str(),
            "to_string" | "to_owned" | "into" | "as_str" | "as_ref" | "clone" | "join"
        ),
        _ => false,
    }
}

/// A method call site on a handle: decides whether `m` is a query site of `driver`.
/// Returns `Some(tentative)` for a site.
pub fn method_site<'ast>(
    w: &Walker<'ast, '_>,
    m: &'ast syn::ExprMethodCall,
    driver: &'static str,
    methods: &[&str],
    typed_needs_text: bool,
) -> Option<bool> {
    // Compared as an identifier first: most method calls are no driver's.
    if !methods.iter().any(|x| m.method == x) {
        return None;
    }
    let method = m.method.to_string();
    let arg = m.args.first()?;
    if w.cx.config.tenant.is_scoped_fn(&method) {
        return None;
    }
    match handle_of(w, &m.receiver) {
        Some(d) if d == driver => {
            if typed_needs_text {
                match evidence(w, arg) {
                    Evidence::No if is_statement_like(w, arg) || !string_typed(w, arg) => None,
                    _ => Some(false),
                }
            } else if is_statement_like(w, arg) {
                None
            } else {
                Some(false)
            }
        }
        Some(_) => None,
        None => {
            let ev = evidence(w, arg);
            if ev == Evidence::No {
                return None;
            }
            let first = drivers_in_use(w)
                .into_iter()
                .find(|d| driver_methods(d).contains(&method.as_str()));
            if first != Some(driver) {
                return None;
            }
            Some(ev == Evidence::Later)
        }
    }
}

/// A local or parameter declared as a string (`sql: &str`, `let q: String`).
fn string_typed<'ast>(w: &Walker<'ast, '_>, e: &'ast syn::Expr) -> bool {
    if let syn::Expr::Path(p) = strip(e) {
        if let Some(id) = p.path.get_ident() {
            if let Some(ty) = w.local(&id.to_string()).and_then(|l| l.ty) {
                let t = type_text(ty);
                return t.contains("str") || t.contains("String") || t.contains("Cow");
            }
        }
    }
    false
}
