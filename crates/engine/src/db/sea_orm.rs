//! sea-orm: entities (`DeriveEntityModel` structs: schema and entity module -> table), DSL
//! chains from `Entity::find()`, `find_by_id`, `find_related`, `update_many`, `delete_many`,
//! `delete_by_id`, `Entity::insert/update/delete(..)`, `ActiveModel { .. }` writes, and raw
//! `Statement::from_sql_and_values`/`from_string` (also inside `from_raw_sql`) and
//! `execute_unprepared`.

use super::driver::{uses_driver, SEA_ORM};
use super::dsl::{self, struct_literal_fields};
use super::evidence::sql_source;
use super::handle::{method_site, strip};
use super::site::{method_span, push_dsl, push_sql};
use super::{
    Atom, Cond, Driver, DriverSpec, DslJoin, DslOp, DslQuery, DslVariant, EntityFact, JoinKind,
    ModelKey, RowRef,
};
use crate::diagnostic::Span;
use crate::extract::{path_text, short, Collector, Walker};
use crate::sql::snake_case;

pub struct SeaOrm;

/// Calls that run a sea-orm query, each taking the connection.
const TERMINALS: &[&str] = &[
    "all",
    "one",
    "exec",
    "exec_with_returning",
    "exec_without_returning",
    "count",
    "paginate",
    "stream",
    "insert",
    "update",
    "save",
    "delete",
];

static SPEC: DriverSpec = DriverSpec {
    name: SEA_ORM,
    deps: &["sea-orm"],
    crates: &["sea_orm"],
    handle_types: &[
        "DatabaseConnection",
        "DatabaseTransaction",
        "ConnectionTrait",
        "TransactionTrait",
        "DbConn",
    ],
    sql_methods: &["execute_unprepared"],
};

impl Driver for SeaOrm {
    fn spec(&self) -> &'static DriverSpec {
        &SPEC
    }
}

impl Collector for SeaOrm {
    fn item<'ast>(&self, w: &mut Walker<'ast, '_>, i: &'ast syn::Item) {
        if !uses_driver(w, SEA_ORM) {
            return;
        }
        if let syn::Item::Enum(e) = i {
            if e.ident == "Relation" {
                relations(w, e);
            }
            return;
        }
        let syn::Item::Struct(s) = i else { return };
        let mut schema = crate::sql::Schema::default();
        schema.add_sea_orm_model(s);
        for (_, t) in std::mem::take(&mut schema.tables) {
            w.facts.entities.push(EntityFact {
                module: w.module.clone(),
                table: t.name.clone(),
            });
            w.facts.schema_tables.push(t);
        }
    }

    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        // Only calls make sites and pass rows: the other nodes cost no dependency lookup.
        if !matches!(e, syn::Expr::Call(_) | syn::Expr::MethodCall(_)) {
            return;
        }
        if !uses_driver(w, SEA_ORM) {
            return;
        }
        dsl::record_row_args(w, e);
        match e {
            syn::Expr::Call(c) => {
                let Some(path) = crate::ast::call_path(e) else {
                    return;
                };
                let n = path.len();
                if n >= 2
                    && path[n - 2] == "Statement"
                    && matches!(path[n - 1].as_str(), "from_sql_and_values" | "from_string")
                {
                    let Some(arg) = c.args.iter().nth(1) else {
                        return;
                    };
                    let src = sql_source(w, arg);
                    push_sql(
                        w,
                        SEA_ORM,
                        Span::from_pm2(crate::ast::expr_span(e)),
                        short(e),
                        src,
                        false,
                    );
                }
            }
            syn::Expr::MethodCall(m) => {
                if let Some(tentative) = method_site(w, m, SEA_ORM, &["execute_unprepared"], false)
                {
                    let src = sql_source(w, &m.args[0]);
                    push_sql(w, SEA_ORM, method_span(m), short(e), src, tentative);
                    return;
                }
                let method = m.method.to_string();
                if !TERMINALS.contains(&method.as_str()) || m.args.is_empty() {
                    return;
                }
                if let Some((start, q)) = read_chain(w, e) {
                    push_dsl(w, SEA_ORM, start, short(e), q);
                }
            }
            _ => {}
        }
    }

    fn fn_end<'ast>(&self, w: &mut Walker<'ast, '_>) {
        if uses_driver(w, SEA_ORM) {
            record_ret_builder(w);
        }
    }
}

/// The `enum Relation` beside an entity's model (sea-orm codegen writes it after the model):
/// its `belongs_to` relations are the model table's foreign keys. A target entity of another
/// file is named by its module; phase 2 maps it to its table.
fn relations(w: &mut Walker<'_, '_>, e: &syn::ItemEnum) {
    let Some(table) = w
        .facts
        .entities
        .iter()
        .rev()
        .find(|x| x.module == w.module)
        .map(|x| x.table.clone())
    else {
        return;
    };
    let local: Vec<(String, String)> = w
        .facts
        .entities
        .iter()
        .filter_map(|x| Some((x.module.last()?.clone(), x.table.clone())))
        .collect();
    let mut schema = crate::sql::Schema::default();
    for t in std::mem::take(&mut w.facts.schema_tables) {
        schema.merge_table(t);
    }
    schema.add_sea_orm_relations(&table, e, |m| {
        local.iter().find(|(l, _)| l == m).map(|(_, t)| t.clone())
    });
    w.facts.schema_tables = schema.tables.into_values().collect();
}

/// `invoice::ActiveModel` -> `invoice::Entity`.
fn entity_of_model_path(p: &syn::Path) -> String {
    let mut segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
    if let Some(last) = segs.last_mut() {
        *last = "Entity".into();
    }
    segs.join("::")
}

fn read_chain<'ast>(
    w: &mut Walker<'ast, '_>,
    e: &'ast syn::Expr,
) -> Option<(&'ast syn::Expr, DslQuery)> {
    if let Some(found) = typed_active_model(w, e) {
        return found;
    }
    dsl::read_variants(w, e, true, read_variant)
}

/// `let mut am: invoice::ActiveModel = ..; am.org_id = Set(..); am.insert(db)` (or `.update`,
/// `.delete`): `None` when `e` is not that; `Some(None)` when it is but is no site.
#[allow(clippy::type_complexity)]
fn typed_active_model<'ast>(
    w: &Walker<'ast, '_>,
    e: &'ast syn::Expr,
) -> Option<Option<(&'ast syn::Expr, DslQuery)>> {
    let (b0, calls0) = crate::ast::method_chain(e);
    let syn::Expr::Path(p) = strip(b0) else {
        return None;
    };
    let name = p.path.get_ident()?.to_string();
    let l = w.local(&name)?;
    // The value the local was made from, back through field sets (`am.name = Set(..)`).
    let origin = w.origin(&l);
    let literal = origin.is_some_and(|(i, _)| matches!(strip(i), syn::Expr::Struct(_)));
    let (Some(ty), false) = (l.ty, literal) else {
        return None;
    };
    let Some(syn::Type::Path(tp)) = common_type(ty) else {
        return None;
    };
    if tp.path.segments.last()?.ident != "ActiveModel" {
        return None;
    }
    let terminal = calls0.last()?.method.to_string();
    // An active model handed in by the caller: made there from a row it loaded.
    let from = match (origin, l.param) {
        (Some((i, env)), _) => dsl::converted_row(w, i, env),
        (None, Some(index)) => Some(Some(RowRef::Param {
            ty: "ActiveModel".into(),
            name: name.clone(),
            index,
        })),
        (None, None) => None,
    };
    let Some(op) = active_op(&terminal, from.is_some()) else {
        return Some(None);
    };
    let mut q = DslQuery {
        module: w.module.clone(),
        entity: true,
        op,
        table: entity_of_model_path(&tp.path),
        ..DslQuery::default()
    };
    let fields = dsl::assigned_fields(w, &name);
    if op == DslOp::Insert {
        q.inserted_fields = Some(fields.into_iter().map(|(f, _)| f).collect());
    } else {
        q.model_key = Some(ModelKey { fields, from });
    }
    Some(Some((b0, q)))
}

/// The key of an `ActiveModel { .. }` literal written to: its `Set` fields and its `..rest`.
fn literal_key<'ast>(
    w: &Walker<'ast, '_>,
    s: &'ast syn::ExprStruct,
    env: crate::extract::Env,
) -> ModelKey {
    let fields = s
        .fields
        .iter()
        .filter_map(|f| match &f.member {
            syn::Member::Named(n) => Some((
                n.to_string(),
                dsl::row_of(w, dsl::set_value(&f.expr), env, 0),
            )),
            _ => None,
        })
        .collect();
    let from = s
        .rest
        .as_deref()
        .and_then(|r| dsl::converted_row(w, r, env));
    ModelKey { fields, from }
}

/// The key of the active model an `Entity::update(am)` / `Entity::delete(am)` writes.
fn argument_key<'ast>(
    w: &Walker<'ast, '_>,
    arg: &'ast syn::Expr,
    env: crate::extract::Env,
) -> Option<ModelKey> {
    match strip(arg) {
        syn::Expr::Struct(s) => Some(literal_key(w, s, env)),
        syn::Expr::Path(p) => {
            let name = p.path.get_ident()?.to_string();
            let l = w.local_at(&name, env)?;
            match l.init.map(strip) {
                Some(syn::Expr::Struct(s)) => {
                    let mut k = literal_key(w, s, l.env);
                    k.fields.extend(dsl::assigned_fields(w, &name));
                    Some(k)
                }
                Some(init) => Some(ModelKey {
                    fields: dsl::assigned_fields(w, &name),
                    from: dsl::converted_row(w, init, l.env).or(Some(None)),
                }),
                None => None,
            }
        }
        other => dsl::converted_row(w, other, env).map(|from| ModelKey {
            fields: Vec::new(),
            from: Some(from),
        }),
    }
}

/// One way of building the chain.
fn read_variant<'ast>(w: &Walker<'ast, '_>, ch: &dsl::Chain<'ast>) -> Option<DslQuery> {
    let mut q = DslQuery {
        module: w.module.clone(),
        entity: true,
        op: DslOp::Select,
        ..DslQuery::default()
    };
    let mut v = DslVariant::default();
    let methods = ch.methods();
    let terminal = methods.last()?.method.to_string();
    let base = strip(ch.base);
    let mut calls: &[(&syn::ExprMethodCall, crate::extract::Env)] = &ch.calls;
    let from_raw = methods
        .iter()
        .any(|c| c.method == "from_raw_sql" || c.method == "find_by_statement");
    match base {
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let mut segs: Vec<String> = crate::extract::segments(&p.path);
            // `Self::find()` in `impl Entity`: the impl's type.
            if segs.len() >= 2 && segs[0] == "Self" {
                if let Some(t) = w.self_ty() {
                    segs[0] = t.to_string();
                }
            }
            let method = segs.last()?.as_str();
            q.table = segs[..segs.len() - 1].join("::");
            match method {
                // `scoped_services(org).all(db)`: a free fn of the crate returning a builder.
                _ if segs.len() == 1 => {
                    if !finder_call(&segs, &terminal, methods.last()?) {
                        return None;
                    }
                    q.finder = Some(method.to_string());
                }
                "find" => {}
                "find_by_id" | "delete_by_id" => {
                    if method == "delete_by_id" {
                        q.op = DslOp::Delete;
                    }
                    let row = c
                        .args
                        .first()
                        .and_then(|a| dsl::row_of(w, a, ch.base_env, 0));
                    v.filter = Cond::Atom(Atom::Key { row });
                }
                "update_many" => q.op = DslOp::Update,
                "delete_many" => q.op = DslOp::Delete,
                "insert" | "insert_many" => {
                    q.op = DslOp::Insert;
                    let arg = c.args.first()?;
                    q.inserted_fields = inserted(w, arg);
                    q.inserted_fields.as_ref()?;
                    q.upsert = methods.iter().any(|m| {
                        m.method == "on_conflict"
                            && m.args.first().is_some_and(|a| short(a).contains("update"))
                    });
                }
                "update" | "delete" => {
                    q.op = if method == "update" {
                        DslOp::Update
                    } else {
                        DslOp::Delete
                    };
                    q.model_key = c.args.first().and_then(|a| argument_key(w, a, ch.base_env));
                }
                // `x::ActiveModel::from(dto).insert(db)`: a `From` impl can only take the
                // tenant from the value it converts, so the fields of `dto`'s type decide.
                "from" if segs[segs.len() - 2] == "ActiveModel" => {
                    q.table = entity_of_model_path(&syn::Path {
                        leading_colon: None,
                        segments: p
                            .path
                            .segments
                            .iter()
                            .take(segs.len() - 1)
                            .cloned()
                            .collect(),
                    });
                    let from = dsl::converted_row(w, base, ch.base_env);
                    q.op = active_op(&terminal, from.is_some())?;
                    if q.op == DslOp::Insert {
                        q.inserted_type = c.args.first().and_then(|a| dsl::local_type_name(w, a));
                    } else {
                        q.model_key = Some(ModelKey {
                            fields: Vec::new(),
                            from,
                        });
                    }
                }
                // `eventtype::Entity::secure_find(org_id)`: a fn of the crate's that returns a
                // query builder (phase 2 finds it and judges what it returns).
                _ if finder_call(&segs, &terminal, methods.last()?) => {
                    q.finder = Some(method.to_string());
                }
                _ => return None,
            }
            // `find().from_raw_sql(stmt)`: the Statement is the site.
            if from_raw {
                return None;
            }
        }
        syn::Expr::Struct(s) if s.path.segments.last()?.ident == "ActiveModel" => {
            q.table = entity_of_model_path(&s.path);
            let key = literal_key(w, s, ch.base_env);
            q.op = active_op(&terminal, key.from.is_some())?;
            if q.op == DslOp::Insert {
                q.inserted_fields = struct_literal_fields(w, base).map(|(_, f)| f);
            } else {
                q.model_key = Some(key);
            }
        }
        syn::Expr::Path(p) if p.path.segments.len() == 1 && !ch.calls.is_empty() => {
            let first = methods[0];
            match first.method.to_string().as_str() {
                // `model.find_related(line::Entity)`: scoped through the loaded parent.
                "find_related" | "find_linked" => {
                    let arg = first.args.first()?;
                    let syn::Expr::Path(ap) = strip(arg) else {
                        return None;
                    };
                    q.table = path_text(&ap.path);
                    q.scoped_by = Some(first.method.to_string());
                    calls = &ch.calls[1..];
                }
                // `let am = row.into_active_model(); am.update(db)`: the row's own entity.
                "into_active_model" => {
                    let name = p.path.get_ident()?.to_string();
                    let row = dsl::row_origin(w, &name, ch.calls[0].1, 0);
                    let Some(RowRef::Fetch(i)) = row else {
                        return None;
                    };
                    let fetched = match &w.facts.queries.get(i as usize)?.kind {
                        super::QueryKind::Dsl(d) => d.table.clone(),
                        _ => return None,
                    };
                    q.table = fetched;
                    q.op = active_op(&terminal, true)?;
                    if q.op == DslOp::Insert {
                        return None;
                    }
                    q.model_key = Some(ModelKey {
                        fields: Vec::new(),
                        from: Some(row),
                    });
                    return Some(q);
                }
                _ => return None,
            }
        }
        _ => return None,
    }
    if ch.calls.len() == 1 && q.op == DslOp::Select && !matches!(base, syn::Expr::Call(_)) {
        return None;
    }
    if q.op == DslOp::Insert {
        return Some(q);
    }
    v.joins.extend(calls.iter().filter_map(|(c, _)| join_of(c)));
    dsl::apply_calls(w, &mut v.filter, &mut q.scoped_by, calls);
    q.variants.push(v);
    Some(q)
}

/// Whether `Path::f(..)` at the base of a chain run by `terminal` may be a fn returning a query
/// builder: called on an entity (`x::Entity::f`, `Self::f` in its impl), or run by a select's
/// terminal that takes a connection, not a closure (`Iterator::all(|x| ..)` is no query).
fn finder_call(segs: &[String], terminal: &str, last: &syn::ExprMethodCall) -> bool {
    if segs.len() >= 2 && segs[segs.len() - 2] == "Entity" {
        return true;
    }
    matches!(terminal, "one" | "all" | "count" | "paginate" | "stream")
        && last.args.len() == 1
        && !matches!(strip(&last.args[0]), syn::Expr::Closure(_))
}

/// The query builder the fn being left returns without running it (`Self::find().filter(..)`,
/// another finder's with more filters), kept as the fn's [`crate::extract::FnExtra::ret_builder`].
fn record_ret_builder(w: &mut Walker<'_, '_>) {
    let Some(fn_index) = w.fns.last().map(|f| f.fn_index) else {
        return;
    };
    let mut found: Option<DslQuery> = None;
    for &(e, env) in w.returns() {
        let syn::Expr::MethodCall(m) = strip(e) else {
            continue;
        };
        if TERMINALS.iter().any(|t| m.method == t) {
            continue;
        }
        let Some((_, q)) = dsl::read_variants_at(w, e, env, true, read_variant) else {
            continue;
        };
        if q.op != DslOp::Select {
            continue;
        }
        match &mut found {
            None => found = Some(q),
            Some(f) if f.table == q.table && f.finder == q.finder => f.variants.extend(q.variants),
            // Builders of different tables: not one query.
            Some(_) => return,
        }
    }
    if let Some(q) = found {
        w.facts.fns[fn_index].extra_mut().ret_builder = Some(Box::new(q));
    }
}

/// A join call of a sea-orm select: `inner_join(E)`, `left_join(E)`, `find_also_related(E)`,
/// `find_with_related(E)` (LEFT JOINs), `join(JoinType::InnerJoin, a::Relation::B.def())`,
/// `join_rev(..)`. Its ON is the relation's foreign key (phase 2, from the schema).
fn join_of(c: &syn::ExprMethodCall) -> Option<DslJoin> {
    let method = c.method.to_string();
    let entity = |e: &syn::Expr| match strip(e) {
        syn::Expr::Path(p) => Some(path_text(&p.path)),
        _ => None,
    };
    let (table, kind) = match method.as_str() {
        "inner_join" => (entity(c.args.first()?)?, JoinKind::Inner),
        "left_join" | "find_also_related" | "find_with_related" => {
            (entity(c.args.first()?)?, JoinKind::Left)
        }
        "right_join" | "reverse_join" => (entity(c.args.first()?)?, JoinKind::Other),
        "join" | "join_rev" | "join_as" | "join_as_rev" if c.args.len() >= 2 => {
            let kind = match crate::ast::last_segment(&c.args[0]).as_deref() {
                Some("InnerJoin" | "Join") => JoinKind::Inner,
                Some("LeftJoin") => JoinKind::Left,
                _ => JoinKind::Other,
            };
            let (rel, rel_calls) = crate::ast::method_chain(strip(&c.args[c.args.len() - 1]));
            let syn::Expr::Path(rp) = strip(rel) else {
                return None;
            };
            let segs = crate::ast::segments(&rp.path);
            let n = segs.len();
            if n < 2 || segs[n - 2] != "Relation" {
                return None;
            }
            // `a::Relation::B` goes from `a::Entity` to the entity module `b` beside it.
            let from = if n > 2 {
                format!("{}::Entity", segs[..n - 2].join("::"))
            } else {
                "Entity".to_string()
            };
            let to = format!("{}::Entity", snake_case(&segs[n - 1]));
            let rev = rel_calls.iter().filter(|m| m.method == "rev").count() % 2 == 1;
            let backwards = method.ends_with("_rev") != rev;
            (if backwards { from } else { to }, kind)
        }
        _ => return None,
    };
    Some(DslJoin {
        table,
        kind,
        on: None,
    })
}

fn common_type(t: &syn::Type) -> Option<&syn::Type> {
    match t {
        syn::Type::Reference(r) => common_type(&r.elem),
        syn::Type::Paren(p) => common_type(&p.elem),
        other => Some(other),
    }
}

/// What an `ActiveModel` terminal does: `save` of a model made from a loaded row updates it.
fn active_op(terminal: &str, from_row: bool) -> Option<DslOp> {
    match terminal {
        "save" if from_row => Some(DslOp::Update),
        "insert" | "save" => Some(DslOp::Insert),
        "update" => Some(DslOp::Update),
        "delete" => Some(DslOp::Delete),
        _ => None,
    }
}

/// Fields an `Entity::insert(am)` sets: the literal's, or those assigned on the local.
fn inserted<'ast>(w: &Walker<'ast, '_>, arg: &'ast syn::Expr) -> Option<Vec<String>> {
    if let Some((_, f)) = struct_literal_fields(w, arg) {
        return Some(f);
    }
    if let syn::Expr::Path(p) = strip(arg) {
        let name = p.path.get_ident()?.to_string();
        let fields = dsl::assigned_fields(w, &name);
        if !fields.is_empty() {
            return Some(fields.into_iter().map(|(f, _)| f).collect());
        }
    }
    None
}
