//! Phase 2 for queries: resolves each site's SQL (consts, files, branches), parses it, and
//! decides which tenant-owned tables are unscoped. Computed once; TA201 and TA202 read it.

use super::evidence::reads_as_sql;
use super::{DslQuery, QueryKind};
use crate::callgraph::CallGraph;
use crate::index::{FnId, Index, ItemKind};
use crate::sql::{self, Unscoped};
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
    let entities = Entities::build(index);
    let mut out = Vec::new();
    for (fi, f) in index.files.iter().enumerate() {
        let pkg = f.package;
        let tenancy = &index.tenancy[pkg];
        for (qi, q) in f.queries.iter().enumerate() {
            if let Some(claim) = &q.unless_local {
                let (path, module) = &**claim;
                let kinds = [ItemKind::Struct, ItemKind::Enum, ItemKind::Alias];
                if !index.resolve_item(fi, module, path, &kinds).is_empty() {
                    // The crate's own type of that name: not the driver's.
                    continue;
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
                            graph,
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
                        continue;
                    }
                    v.tables = j.tables;
                    v.unscoped = j.unscoped;
                    v.dynamic = j.dynamic;
                    v.parse_error = j.parse_error;
                    v.caller = j.caller;
                }
                QueryKind::Dsl(d) => {
                    let mut d = d.clone();
                    if d.entity {
                        d.table = entities.table(index, fi, &d.module, &d.table);
                    }
                    v.tables.push(d.table.to_ascii_lowercase());
                    if d.op == super::DslOp::Insert && d.inserted_fields.is_none() {
                        d.inserted_fields = d
                            .inserted_type
                            .as_deref()
                            .and_then(|t| struct_fields(index, pkg, t));
                        if d.inserted_fields.is_none() {
                            // The inserted value is not visible: nothing to judge.
                            out.push(v);
                            continue;
                        }
                    }
                    if let Some(u) = judge_dsl(&d, tenancy) {
                        v.unscoped.push(u);
                    }
                }
            }
            out.push(v);
        }
    }
    out
}

/// Fields of a struct named `name` declared in the package (unique by name).
fn struct_fields(index: &Index<'_>, pkg: usize, name: &str) -> Option<Vec<String>> {
    let mut found = index
        .files
        .iter()
        .filter(|f| f.package == pkg)
        .flat_map(|f| f.structs.iter())
        .filter(|s| s.name == name);
    let s = found.next()?;
    if found.next().is_some() {
        return None;
    }
    Some(s.fields.iter().map(|(n, _)| n.clone()).collect())
}

/// sea-orm entity paths -> table names, per package.
struct Entities {
    /// (package, entity module path) -> table.
    by_module: HashMap<(usize, String), String>,
    /// (package, last segment of the entity module) -> tables.
    by_name: HashMap<(usize, String), Vec<String>>,
}

impl Entities {
    fn build(index: &Index<'_>) -> Entities {
        let mut by_module = HashMap::new();
        let mut by_name: HashMap<(usize, String), Vec<String>> = HashMap::new();
        for f in index.files {
            for e in &f.entities {
                by_module.insert((f.package, e.module.join("::")), e.table.clone());
                if let Some(last) = e.module.last() {
                    by_name
                        .entry((f.package, last.clone()))
                        .or_default()
                        .push(e.table.clone());
                }
            }
        }
        Entities { by_module, by_name }
    }

    /// The table of an entity path written in `module` of `file` (`invoice::Entity`,
    /// `Invoice` from a prelude re-export, `Entity` inside the entity module).
    fn table(&self, index: &Index<'_>, file: usize, module: &[String], path: &str) -> String {
        let pkg = index.package_of(file);
        let segs: Vec<String> = path.split("::").map(String::from).collect();
        if let Some(t) = self.lookup(index, pkg, file, module, &segs, 0) {
            return t;
        }
        // By name: `invoice::Entity` -> a unique entity module `invoice`.
        let name = if segs.len() >= 2 && segs.last().is_some_and(|s| s == "Entity") {
            segs[segs.len() - 2].clone()
        } else {
            crate::sql::snake_case(segs.last().map(String::as_str).unwrap_or(""))
        };
        match self.by_name.get(&(pkg, name.clone())) {
            Some(v) if v.len() == 1 => v[0].clone(),
            _ => name,
        }
    }

    fn lookup(
        &self,
        index: &Index<'_>,
        pkg: usize,
        file: usize,
        module: &[String],
        segs: &[String],
        depth: usize,
    ) -> Option<String> {
        if depth > 4 {
            return None;
        }
        for cand in index.candidates(file, module, segs) {
            if cand.last().is_some_and(|s| s == "Entity") {
                let m = cand[..cand.len() - 1].join("::");
                if let Some(t) = self.by_module.get(&(pkg, m)) {
                    return Some(t.clone());
                }
            }
            // A re-export (`pub use super::invoice::Entity as Invoice` in a prelude).
            if cand.len() >= 2 {
                let (m, alias) = cand.split_at(cand.len() - 1);
                for (fi, f) in index.files.iter().enumerate() {
                    if f.package != pkg {
                        continue;
                    }
                    for u in &f.uses {
                        if u.alias == alias[0] && u.module == m && u.path != segs {
                            if let Some(t) =
                                self.lookup(index, pkg, fi, &u.module, &u.path, depth + 1)
                            {
                                return Some(t);
                            }
                        }
                    }
                }
            }
        }
        None
    }
}

/// A DSL chain is scoped when it filters a tenant column on the AND path (or inserts it).
pub fn judge_dsl(d: &DslQuery, tenancy: &sql::Tenancy) -> Option<Unscoped> {
    let table = d.table.to_ascii_lowercase();
    let cols = tenancy.tenant_columns(&table)?;
    if d.scoped_by.is_some() {
        return None;
    }
    let has = |list: &[String]| {
        list.iter()
            .any(|f| cols.iter().any(|c| c.eq_ignore_ascii_case(f)))
    };
    let unscoped = |reason: String| {
        Some(Unscoped {
            table: table.clone(),
            reason,
        })
    };
    if let Some(fields) = &d.inserted_fields {
        if has(fields) {
            return None;
        }
        return unscoped(format!("the insert does not set `{}`", cols.join("` or `")));
    }
    if has(&d.filter_columns) {
        return None;
    }
    match &d.voided_by {
        Some(v) if has(&d.voided_columns) => {
            unscoped(format!("the tenant filter is voided by `{v}`"))
        }
        _ => unscoped(format!("no `.filter(..)` on `{}`", cols.join("` or `"))),
    }
}
