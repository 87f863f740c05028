//! Phase 2 for queries: resolves each site's SQL (consts, files, branches), parses it, and
//! decides which tenant-owned tables are unscoped. Computed once; TA201 and TA202 read it.

use super::dsl_judge::DslCx;
use super::entities::Entities;
use super::evidence::reads_as_sql;
use super::{DslQuery, QueryKind, RowRef};
use crate::callgraph::CallGraph;
use crate::index::{FnId, Index, ItemKind};
use crate::sql::Unscoped;
use std::cell::RefCell;
use std::collections::HashMap;

/// The judgement of one query site.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub file: usize,
    /// Index into the file's `queries`.
    pub query: usize,
    /// Every table the query touches (bare, lower-cased), scoped or not.
    pub tables: Vec<String>,
    pub unscoped: Vec<Unscoped>,
    /// What made the SQL impossible to resolve.
    pub dynamic: Option<String>,
    /// The SQL parser's complaint.
    pub parse_error: Option<String>,
    /// The SQL is a parameter of the site's fn: the first caller (file, line) whose SQL is
    /// unscoped or unreadable.
    pub caller: Option<(usize, u32)>,
}

pub fn judge_all(index: &Index<'_>, graph: &CallGraph) -> Vec<Verdict> {
    let j = Judge {
        index,
        graph,
        entities: Entities::build(index),
        dsl: RefCell::new(HashMap::new()),
        rows: RefCell::new(HashMap::new()),
    };
    let mut out = Vec::new();
    for (fi, f) in index.files.iter().enumerate() {
        for qi in 0..f.queries.len() {
            if let Some(v) = j.query(fi, qi, 0) {
                out.push(v);
            }
        }
    }
    out
}

struct Judge<'i, 'a> {
    index: &'i Index<'a>,
    graph: &'i CallGraph,
    entities: Entities,
    /// DSL verdicts already made (a write keyed by a fetched row asks for the fetch's).
    dsl: RefCell<HashMap<(usize, usize), Verdict>>,
    /// (package, type name) -> whether it is a row type (a `Model`, or a struct whose fields
    /// are all columns of one table).
    rows: RefCell<HashMap<(usize, String), bool>>,
}

impl Judge<'_, '_> {
    /// The verdict of query `qi` of file `fi`; `None` when it is no query site after all.
    fn query(&self, fi: usize, qi: usize, depth: usize) -> Option<Verdict> {
        let index = self.index;
        let f = &index.files[fi];
        let q = &f.queries[qi];
        let pkg = f.package;
        if let Some(claim) = &q.unless_local {
            let (path, module) = &**claim;
            let kinds = [ItemKind::Struct, ItemKind::Enum, ItemKind::Alias];
            if !index.resolve_item(fi, module, path, &kinds).is_empty() {
                // The crate's own type of that name: not the driver's.
                return None;
            }
        }
        let mut v = Verdict {
            file: fi,
            query: qi,
            ..Verdict::default()
        };
        match &q.kind {
            QueryKind::Sql(src) => {
                let through = match (src.has_params(), q.fn_index) {
                    (true, Some(fx)) => super::callers::through_callers(
                        index,
                        self.graph,
                        FnId {
                            file: fi,
                            index: fx as usize,
                        },
                        src,
                    ),
                    _ => None,
                };
                let j = through.unwrap_or_else(|| {
                    super::callers::judge_texts(index, pkg, index.resolve_str(fi, src))
                });
                if q.tentative && !j.texts.iter().any(|t| reads_as_sql(t)) {
                    // The receiver is not known to be a database handle and the text does
                    // not read as SQL: not a query site.
                    return None;
                }
                v.tables = j.tables;
                v.unscoped = j.unscoped;
                v.dynamic = j.dynamic;
                v.parse_error = j.parse_error;
                v.caller = j.caller;
            }
            QueryKind::Dsl(d) => {
                if let Some(done) = self.dsl.borrow().get(&(fi, qi)) {
                    return Some(done.clone());
                }
                let mut d = d.clone();
                if d.op == super::DslOp::Insert && d.inserted_fields.is_none() {
                    d.inserted_fields = d
                        .inserted_type
                        .as_deref()
                        .and_then(|t| struct_fields(index, pkg, t));
                    if d.inserted_fields.is_none() {
                        // The inserted value is not visible: nothing to judge.
                        let table = self.table(fi, &d, &d.table);
                        v.tables.push(table.to_ascii_lowercase());
                        return Some(v);
                    }
                }
                let table = |path: &str| self.table(fi, &d, path);
                let qualifier = |path: &str| self.qualifier(fi, &d, path);
                let trusted = |r: &RowRef| self.trusted(fi, r, depth);
                let cx = DslCx {
                    tenancy: &index.tenancy[pkg],
                    table: &table,
                    qualifier: &qualifier,
                    trusted: &trusted,
                };
                let (tables, unscoped) = super::dsl_judge::judge(&d, &cx);
                v.tables = tables;
                v.unscoped = unscoped;
                self.dsl.borrow_mut().insert((fi, qi), v.clone());
            }
        }
        Some(v)
    }

    /// A table or entity path of a chain as its table.
    fn table(&self, fi: usize, d: &DslQuery, path: &str) -> String {
        if d.entity {
            self.entities.table(self.index, fi, &d.module, path)
        } else {
            path.to_string()
        }
    }

    /// A sea-orm column qualifier (`project::Column`, `UserColumn`) as its table.
    fn qualifier(&self, fi: usize, d: &DslQuery, path: &str) -> String {
        self.entities.table(self.index, fi, &d.module, path)
    }

    /// Whether a row was loaded by a scoped fetch (or elsewhere: a parameter, `self`).
    fn trusted(&self, fi: usize, r: &RowRef, depth: usize) -> Result<(), String> {
        let index = self.index;
        let pkg = index.package_of(fi);
        match r {
            RowRef::Scoped(_) => Ok(()),
            RowRef::SelfOf(ty) | RowRef::Param(ty) => {
                if self.is_row_type(pkg, ty) {
                    Ok(())
                } else {
                    Err(format!(
                        "it is keyed by a field of a `{ty}`, which is not known to be a row loaded from the database"
                    ))
                }
            }
            RowRef::Fetch(i) => {
                let i = *i as usize;
                let line = index.files[fi]
                    .queries
                    .get(i)
                    .map_or(0, |q| q.span.start.line);
                let fine = depth < 4
                    && self
                        .query(fi, i, depth + 1)
                        .is_some_and(|v| v.unscoped.is_empty() && v.dynamic.is_none());
                if fine {
                    Ok(())
                } else {
                    Err(format!(
                        "it is keyed by a row loaded by a query that is not scoped either (line {line})"
                    ))
                }
            }
        }
    }

    /// A sea-orm `Model`, or a struct of the package whose fields (two or more) are all columns
    /// of one table of the schema (a diesel `Queryable` model).
    fn is_row_type(&self, pkg: usize, ty: &str) -> bool {
        if ty == "Model" {
            return true;
        }
        let key = (pkg, ty.to_string());
        if let Some(hit) = self.rows.borrow().get(&key) {
            return *hit;
        }
        let fields = struct_fields(self.index, pkg, ty).unwrap_or_default();
        let schema = &self.index.tenancy[pkg].schema;
        let row = fields.len() >= 2
            && schema
                .tables
                .values()
                .any(|t| fields.iter().all(|f| t.has_column(f)));
        self.rows.borrow_mut().insert(key, row);
        row
    }
}

/// Fields of a struct named `name` declared in the package (unique by name).
fn struct_fields(index: &Index<'_>, pkg: usize, name: &str) -> Option<Vec<String>> {
    let found = index.items_named(pkg, name, &[ItemKind::Struct]);
    let [one] = found.as_slice() else {
        return None;
    };
    let s = &index.files[one.file].structs[one.index];
    Some(s.fields.iter().map(|(n, _)| n.clone()).collect())
}
