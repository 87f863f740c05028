//! sea-orm: entities (`DeriveEntityModel` structs: schema and entity module -> table), DSL
//! chains from `Entity::find()`, `find_by_id`, `find_related`, `update_many`, `delete_many`,
//! `delete_by_id`, `Entity::insert/update/delete(..)`, `ActiveModel { .. }` writes, and raw
//! `Statement::from_sql_and_values`/`from_string` (also inside `from_raw_sql`) and
//! `execute_unprepared`.

use super::driver::{uses_driver, SEA_ORM};
use super::dsl::{self, apply_filter_calls, struct_literal_fields, Filters};
use super::evidence::sql_source;
use super::handle::{method_site, strip};
use super::site::{method_span, push_dsl, push_sql};
use super::{Driver, DriverSpec, DslOp, DslQuery, EntityFact};
use crate::diagnostic::Span;
use crate::extract::{path_text, short, Collector, Walker};
use syn::spanned::Spanned;

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
        if !uses_driver(w, SEA_ORM) {
            return;
        }
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
                    push_sql(w, SEA_ORM, Span::from_pm2(e.span()), short(e), src, false);
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
    // `let mut am: invoice::ActiveModel = Default::default(); am.org_id = Set(..); am.insert(db)`
    let (b0, calls0) = crate::ast::method_chain(e);
    if let syn::Expr::Path(p) = strip(b0) {
        if let Some(id) = p.path.get_ident() {
            let name = id.to_string();
            if let Some(l) = w.local(&name) {
                let literal = l
                    .init
                    .is_some_and(|i| matches!(strip(i), syn::Expr::Struct(_)));
                if let (Some(ty), false) = (l.ty, literal) {
                    if let Some(syn::Type::Path(tp)) = common_type(ty) {
                        let terminal = calls0.last()?.method.to_string();
                        if tp.path.segments.last()?.ident == "ActiveModel" {
                            let op = active_op(&terminal)?;
                            if op != DslOp::Insert {
                                return None;
                            }
                            let q = DslQuery {
                                module: w.module.clone(),
                                entity: true,
                                op,
                                table: entity_of_model_path(&tp.path),
                                inserted_fields: Some(dsl::assigned_fields(w, &name)),
                                ..DslQuery::default()
                            };
                            return Some((b0, q));
                        }
                    }
                }
            }
        }
    }
    let ch = dsl::chain(w, e);
    let mut filters = Filters::default();
    let mut q = DslQuery {
        module: w.module.clone(),
        entity: true,
        op: DslOp::Select,
        ..DslQuery::default()
    };
    let terminal = ch.calls.last()?.method.to_string();
    let base = strip(ch.base);
    let start = ch.start;
    let mut calls: &[&syn::ExprMethodCall] = &ch.calls;
    match base {
        syn::Expr::Call(c) => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            let segs: Vec<String> = crate::extract::segments(&p.path);
            if segs.len() < 2 {
                return None;
            }
            let method = segs.last()?.as_str();
            q.table = segs[..segs.len() - 1].join("::");
            match method {
                "find" => {}
                "find_by_id" => {}
                "update_many" => q.op = DslOp::Update,
                "delete_many" => q.op = DslOp::Delete,
                "delete_by_id" => q.op = DslOp::Delete,
                "insert" | "insert_many" => {
                    q.op = DslOp::Insert;
                    let arg = c.args.first()?;
                    q.inserted_fields = inserted(w, arg);
                    q.inserted_fields.as_ref()?;
                }
                "update" => q.op = DslOp::Update,
                "delete" => q.op = DslOp::Delete,
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
                    q.op = active_op(&terminal)?;
                    if q.op != DslOp::Insert {
                        return None;
                    }
                    q.inserted_type = c.args.first().and_then(|a| dsl::local_type_name(w, a));
                }
                _ => return None,
            }
            // `find().from_raw_sql(stmt)`: the Statement is the site.
            if ch
                .calls
                .iter()
                .any(|c| c.method == "from_raw_sql" || c.method == "find_by_statement")
            {
                return None;
            }
        }
        syn::Expr::Struct(s) if s.path.segments.last()?.ident == "ActiveModel" => {
            q.table = entity_of_model_path(&s.path);
            q.op = active_op(&terminal)?;
            if q.op == DslOp::Insert {
                q.inserted_fields = struct_literal_fields(w, base).map(|(_, f)| f);
            }
        }
        syn::Expr::Path(p) if p.path.segments.len() == 1 && !ch.calls.is_empty() => {
            // `model.find_related(line::Entity)`: scoped through the loaded parent.
            let first = ch.calls[0];
            if first.method == "find_related" || first.method == "find_linked" {
                let arg = first.args.first()?;
                let syn::Expr::Path(ap) = strip(arg) else {
                    return None;
                };
                q.table = path_text(&ap.path);
                q.scoped_by = Some(first.method.to_string());
                calls = &ch.calls[1..];
            } else {
                return None;
            }
        }
        _ => return None,
    }
    if ch.calls.len() == 1 && q.op == DslOp::Select && !matches!(base, syn::Expr::Call(_)) {
        return None;
    }
    apply_filter_calls(w, &mut filters, calls);
    q.filter_columns = filters.columns;
    q.voided_columns = filters.voided;
    q.voided_by = filters.voided_by;
    if q.scoped_by.is_none() {
        q.scoped_by = filters.scoped_by;
    }
    Some((start, q))
}

fn common_type(t: &syn::Type) -> Option<&syn::Type> {
    match t {
        syn::Type::Reference(r) => common_type(&r.elem),
        syn::Type::Paren(p) => common_type(&p.elem),
        other => Some(other),
    }
}

/// What an `ActiveModel` terminal does.
fn active_op(terminal: &str) -> Option<DslOp> {
    match terminal {
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
            return Some(fields);
        }
    }
    None
}
