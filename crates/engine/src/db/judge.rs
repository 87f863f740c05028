//! Phase 2 for queries: resolves each site's SQL (consts, files, branches), parses it, and
//! decides which tenant-owned tables are unscoped. Computed once; TA201 and TA202 read it.

use super::dsl_judge::DslCx;
use super::entities::Entities;
use super::{DslQuery, QueryKind, RowRef};
use crate::callgraph::CallGraph;
use crate::extract::Callee;
use crate::index::{FnId, Index, ItemKind};
use crate::sql::reads_as_sql;
use crate::sql::Unscoped;
use foldhash::{HashMap, HashMapExt};
use std::cell::RefCell;

/// The judgement of one query site.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub file: usize,
    /// Index into the file's `queries`.
    pub query: usize,
    /// Every table the query touches (bare, lower-cased), scoped or not; interned, a verdict
    /// a query (43k at scale) and a few table names among them all.
    pub tables: Vec<crate::intern::Name>,
    pub unscoped: Vec<Unscoped>,
    /// What made the SQL impossible to resolve.
    pub dynamic: Option<String>,
    /// The SQL parser's complaint.
    pub parse_error: Option<String>,
    /// The SQL is a parameter of the site's fn: the first caller (file, line) whose SQL is
    /// unscoped or unreadable.
    pub caller: Option<(usize, u32)>,
    /// A write keyed by a row of this file's query at that index, itself unscoped: the write
    /// is unscoped only because the load is (reported once, at the load).
    pub keyed_by_load: Option<usize>,
}

/// Table names as a verdict keeps them.
fn names(tables: Vec<String>) -> Vec<crate::intern::Name> {
    tables.into_iter().map(crate::intern::Name::from).collect()
}

/// Why a write keyed by a row of an unscoped fetch of its fn is unscoped (the start of it).
const LOAD_NOT_SCOPED: &str = "it is keyed by a row loaded by a query that is not scoped either";

pub fn judge_all(index: &Index<'_>, graph: &CallGraph) -> Vec<Verdict> {
    let j = Judge {
        index,
        graph,
        entities: Entities::build(index),
        dsl: RefCell::new(HashMap::new()),
        rows: RefCell::new(HashMap::new()),
        trust: RefCell::new(HashMap::new()),
    };
    // Sized once: at scale a vector grown by doubling held a third more than it needed.
    let mut out = Vec::with_capacity(index.files.iter().map(|f| f.queries.len()).sum());
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
    /// (file, fn, row) -> whether the row was loaded by a scoped fetch.
    trust: RefCell<HashMap<TrustKey, Result<(), String>>>,
}

/// Where a row reference was judged: (file, fn index in the file, the reference).
type TrustKey = (usize, Option<u32>, RowRef);

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
                let expanded = q.fn_index.filter(|_| src.has_returned()).map(|fx| {
                    let f = FnId {
                        file: fi,
                        index: fx as usize,
                    };
                    super::callers::expand_returned(index, self.graph, f, src)
                });
                let src = expanded.as_ref().unwrap_or(src);
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
                v.tables = names(j.tables);
                v.unscoped = j.unscoped;
                v.dynamic = j.dynamic;
                v.parse_error = j.parse_error;
                v.caller = j.caller;
                let select = !j.texts.is_empty()
                    && j.texts.iter().all(|t| {
                        let head = t.trim_start().get(..6).unwrap_or("");
                        head.eq_ignore_ascii_case("select")
                    });
                if select {
                    self.checked(fi, qi, &mut v);
                }
            }
            QueryKind::Dsl(d) => {
                if let Some(done) = self.dsl.borrow().get(&(fi, qi)) {
                    return Some(done.clone());
                }
                let mut d = (**d).clone();
                if d.op == super::DslOp::Insert && d.inserted_fields.is_none() {
                    d.inserted_fields = d
                        .inserted_type
                        .as_deref()
                        .and_then(|t| struct_fields(index, pkg, t));
                    if d.inserted_fields.is_none() {
                        // The inserted value is not visible: nothing to judge.
                        let table = self.table(fi, &d, &d.table);
                        v.tables.push(table.to_ascii_lowercase().into());
                        return Some(v);
                    }
                }
                let (tables, unscoped) = self.judge_chain(fi, q.fn_index, &mut d, depth)?;
                v.tables = names(tables);
                v.unscoped = unscoped;
                if d.op == super::DslOp::Select {
                    self.checked(fi, qi, &mut v);
                }
                if !v.unscoped.is_empty()
                    && v.unscoped
                        .iter()
                        .all(|u| u.reason.contains(LOAD_NOT_SCOPED))
                {
                    v.keyed_by_load = self.unscoped_load(fi, &d, depth);
                }
                self.dsl.borrow_mut().insert((fi, qi), v.clone());
            }
        }
        Some(v)
    }

    /// A fetch whose row is compared with the request's tenant after it is loaded
    /// (`db::rows`): in its own fn, or, when its fn returns the row, by every caller. A fetch
    /// some callers check and one does not stays unscoped, naming that caller.
    fn checked(&self, fi: usize, qi: usize, v: &mut Verdict) {
        if v.unscoped.is_empty() {
            return;
        }
        let index = self.index;
        let f = &index.files[fi];
        let Some(fx) = f.queries[qi].fn_index else {
            return;
        };
        let me = RowRef::Fetch(qi as u32);
        if f.row_checks.iter().any(|c| c.fn_index == fx && c.row == me) {
            v.unscoped.clear();
            return;
        }
        if !f.returned_fetches.contains(&(qi as u32)) {
            return;
        }
        let fid = FnId {
            file: fi,
            index: fx as usize,
        };
        let mut callers = self.graph.callers(fid).to_vec();
        callers.sort_by_key(|e| (index.rel(e.call.file), self.graph.call(index, e.call).line));
        let mut checking = 0;
        let mut first_unchecked = None;
        for e in &callers {
            let call = self.graph.call(index, e.call);
            let name = match &call.callee {
                Callee::Path(segs) => segs.last().map(String::as_str),
                Callee::Method { name, .. } => Some(name.as_str()),
            };
            let checks = index.files[e.caller.file].row_checks.iter().any(|c| {
                c.fn_index == e.caller.index as u32
                    && matches!(&c.row, RowRef::Returned { line, callee, .. }
                        if *line == call.line && Some(callee.as_str()) == name)
            });
            if checks {
                checking += 1;
            } else if first_unchecked.is_none() {
                first_unchecked = Some((e.call.file, call.line));
            }
        }
        match first_unchecked {
            None if checking > 0 => v.unscoped.clear(),
            Some((file, line)) if checking > 0 => {
                let callers = if checking == 1 {
                    "1 caller compares".to_string()
                } else {
                    format!("{checking} callers compare")
                };
                for u in &mut v.unscoped {
                    u.reason.push_str(&format!(
                        "; {callers} the row's tenant with the request's, but the caller at {}:{line} does not",
                        index.rel(file)
                    ));
                }
            }
            _ => {}
        }
    }

    /// The unscoped fetch of the same fn whose row keys this write (see
    /// [`Verdict::keyed_by_load`]).
    fn unscoped_load(&self, fi: usize, d: &DslQuery, depth: usize) -> Option<usize> {
        let mut rows: Vec<&RowRef> = Vec::new();
        if let Some(k) = &d.model_key {
            rows.extend(k.fields.iter().filter_map(|(_, r)| r.as_ref()));
            if let Some(Some(r)) = &k.from {
                rows.push(r);
            }
        }
        for v in &d.variants {
            atoms_rows(&v.filter, &mut rows);
        }
        let mut fetches = Vec::new();
        while let Some(r) = rows.pop() {
            match r {
                RowRef::Fetch(i) => fetches.push(*i as usize),
                RowRef::Each(v) => rows.extend(v),
                _ => {}
            }
        }
        fetches.sort_unstable();
        fetches.into_iter().find(|&i| {
            depth < 4
                && self
                    .query(fi, i, depth + 1)
                    .is_some_and(|v| !v.unscoped.is_empty())
        })
    }

    /// A table or entity path of a chain as its table.
    fn table(&self, fi: usize, d: &DslQuery, path: &str) -> String {
        if d.entity {
            self.entities.table(self.index, fi, &d.module, path)
        } else {
            path.to_string()
        }
    }

    /// Judges DSL chain `d` of fn `fx` in file `fi` ([`super::dsl_judge::judge`]). A chain
    /// started by the crate's own finder has the finder's table as its base, pinned when the
    /// builder the finder returns is (`d.scoped_by` is set then), else the message says the
    /// finder does not scope it either. `None` when that finder is no fn of the crate returning
    /// a builder: the chain is no query.
    fn judge_chain(
        &self,
        fi: usize,
        fx: Option<u32>,
        d: &mut DslQuery,
        depth: usize,
    ) -> Option<(Vec<String>, Vec<Unscoped>)> {
        let mut builder = None;
        if d.finder.is_some() {
            let (table, scoped) = self.finder(fi, d, depth)?;
            if scoped.is_ok() {
                d.scoped_by = d.finder.clone();
            }
            builder = Some((table, scoped));
        }
        let d = &*d;
        let table = |path: &str| match &builder {
            Some((t, _)) if path == d.table => t.clone(),
            _ => self.table(fi, d, path),
        };
        let qualifier = |path: &str| self.qualifier(fi, d, path);
        let trusted = |r: &RowRef| self.trusted(fi, fx, r, depth);
        let index = self.index;
        let cx = DslCx {
            tenancy: &index.tenancy[index.package_of(fi)],
            table: &table,
            qualifier: &qualifier,
            trusted: &trusted,
        };
        let (tables, mut unscoped) = super::dsl_judge::judge(d, &cx);
        if let Some((_, Err(why))) = &builder {
            for u in &mut unscoped {
                u.reason = format!("{}; {why}", u.reason);
            }
        }
        Some((tables, unscoped))
    }

    /// The finder a chain starts with ([`DslQuery::finder`]): the table of the builder it returns
    /// and whether that builder is scoped (`Err`: why not, for the chain's message), judged
    /// where it is written (a finder built on another is followed, four deep). `None` when the
    /// called fn is not the crate's or returns no query builder.
    fn finder(
        &self,
        fi: usize,
        d: &DslQuery,
        depth: usize,
    ) -> Option<(String, Result<(), String>)> {
        let name = d.finder.as_deref()?;
        let index = self.index;
        let mut segs: Vec<String> = if d.table.is_empty() {
            Vec::new()
        } else {
            d.table.split("::").map(String::from).collect()
        };
        segs.push(name.to_string());
        let id = index.resolve_fn(fi, &d.module, &segs)?;
        let mut b = index.func(id).ret_builder()?.clone();
        if depth >= 4 {
            let table = self.table(id.file, &b, &b.table).to_ascii_lowercase();
            return Some((table, Err(format!("`{name}` is not followed further"))));
        }
        let fx = Some(id.index as u32);
        let (tables, unscoped) = self.judge_chain(id.file, fx, &mut b, depth + 1)?;
        // The base table comes first.
        let table = tables.into_iter().next().unwrap_or_default();
        let scoped = match unscoped.first() {
            None => Ok(()),
            Some(u) => Err(format!(
                "`{name}`, which starts the query, does not scope `{}` either",
                u.table
            )),
        };
        Some((table, scoped))
    }

    /// A sea-orm column qualifier (`project::Column`, `UserColumn`) as its table.
    fn qualifier(&self, fi: usize, d: &DslQuery, path: &str) -> String {
        self.entities.table(self.index, fi, &d.module, path)
    }

    /// Whether a row was loaded by a scoped fetch (or elsewhere: a parameter, `self`).
    fn trusted(&self, fi: usize, fx: Option<u32>, r: &RowRef, depth: usize) -> Result<(), String> {
        let key = (fi, fx, r.clone());
        if let Some(hit) = self.trust.borrow().get(&key) {
            return hit.clone();
        }
        let found = self.trusted_uncached(fi, fx, r, depth);
        self.trust.borrow_mut().insert(key, found.clone());
        found
    }

    fn trusted_uncached(
        &self,
        fi: usize,
        fx: Option<u32>,
        r: &RowRef,
        depth: usize,
    ) -> Result<(), String> {
        let index = self.index;
        let pkg = index.package_of(fi);
        match r {
            RowRef::Passed(p) => {
                let Some(f) = fx else {
                    return Err("it is keyed by a parameter".into());
                };
                let fid = FnId {
                    file: fi,
                    index: f as usize,
                };
                let name = index
                    .func(fid)
                    .params
                    .get(*p)
                    .and_then(|x| x.name.as_deref().map(str::to_string))
                    .unwrap_or_else(|| format!("#{p}"));
                if depth >= 4 {
                    return Err(format!("it is keyed by parameter `{name}`"));
                }
                let mut seen = std::collections::BTreeSet::new();
                match self.key_through(fid, *p, 3, depth, &mut seen) {
                    Ok(()) => Ok(()),
                    Err((None, _)) => Err(format!(
                        "it is keyed by parameter `{name}`, which no caller of the workspace passes"
                    )),
                    Err((Some((file, line)), why)) => Err(format!(
                        "it is keyed by parameter `{name}`, and the caller at {}:{line} passes {why}",
                        index.rel(file)
                    )),
                }
            }
            RowRef::Returned { line, callee, part } => {
                let caller = fx.map(|f| FnId {
                    file: fi,
                    index: f as usize,
                });
                for e in caller.map_or(&[][..], |c| self.graph.callees(c)) {
                    let call = self.graph.call(index, e.call);
                    let name = match &call.callee {
                        Callee::Path(segs) => segs.last().map(String::as_str),
                        Callee::Method { name, .. } => Some(name.as_str()),
                    };
                    if call.line != *line || name != Some(callee.as_str()) {
                        continue;
                    }
                    let callee_fn = index.func(e.callee);
                    let ret = callee_fn.ret.as_deref();
                    // `-> Option<Self>` of a model's own finder.
                    let ty = ret.and_then(|t| returned_type(t, *part)).map(|t| {
                        match (t.as_str(), &callee_fn.self_ty) {
                            ("Self", Some(owner)) => owner.to_string(),
                            _ => t,
                        }
                    });
                    if ty.is_some_and(|t| self.is_row_type(index.package_of(e.callee.file), &t)) {
                        return Ok(());
                    }
                }
                Err(format!(
                    "it is keyed by a field of what `{callee}(..)` returns, which is not known to be a row loaded from the database"
                ))
            }
            RowRef::Scoped(_) => Ok(()),
            RowRef::Each(rows) => rows
                .iter()
                .try_for_each(|row| self.trusted(fi, fx, row, depth + 1)),
            RowRef::SelfOf(ty) | RowRef::Param { ty, .. } => {
                let field = match r {
                    RowRef::Param { name, .. } => self.field_type(pkg, ty, name),
                    _ => None,
                };
                if !(self.is_row_type(pkg, ty) || field.is_some_and(|f| self.is_row_type(pkg, &f)))
                {
                    return Err(format!(
                        "it is keyed by a field of a `{ty}`, which is not known to be a row loaded from the database"
                    ));
                }
                // A row parameter is what its callers pass: each must pass a row it loaded. An
                // entry point's (no caller) is what its framework extracted.
                let (RowRef::Param { name, index: p, .. }, Some(f)) = (r, fx) else {
                    return Ok(());
                };
                let fid = FnId {
                    file: fi,
                    index: f as usize,
                };
                let mut seen = std::collections::BTreeSet::new();
                match self.key_through(fid, *p, 3, depth, &mut seen) {
                    Ok(()) | Err((None, _)) => Ok(()),
                    Err((Some((file, line)), why)) => Err(format!(
                        "it is keyed by a field of parameter `{name}`, and the caller at {}:{line} passes {why}",
                        index.rel(file)
                    )),
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
                    Err(format!("{LOAD_NOT_SCOPED} (line {line})"))
                }
            }
        }
    }

    /// Whether every caller of `f` passes, for its parameter `p`, a field of a row it loaded (or
    /// its own parameter, whose callers do; at most `up` calls up). The first that does not:
    /// where (None: `f` has no caller) and what it passes.
    fn key_through(
        &self,
        f: FnId,
        p: usize,
        up: usize,
        depth: usize,
        seen: &mut std::collections::BTreeSet<(FnId, usize)>,
    ) -> Result<(), (Option<(usize, u32)>, String)> {
        if !seen.insert((f, p)) {
            return Ok(());
        }
        let index = self.index;
        let mut callers = self.graph.callers(f).to_vec();
        callers.sort_by_key(|e| (index.rel(e.call.file), self.graph.call(index, e.call).line));
        if callers.is_empty() {
            return Err((None, String::new()));
        }
        for e in callers {
            let call = self.graph.call(index, e.call);
            let at = Some((e.call.file, call.line));
            if let Some(q) = call.args.get(p).and_then(|a| a.param) {
                if up == 0 {
                    return Err((
                        at,
                        "a parameter handed on further than the audit follows".into(),
                    ));
                }
                match self.key_through(e.caller, q as usize, up - 1, depth, seen) {
                    Ok(()) => continue,
                    Err((None, _)) => {
                        return Err((at, "a parameter of its own that no caller passes".into()))
                    }
                    Err(wrong) => return Err(wrong),
                }
            }
            let callee = match &call.callee {
                Callee::Path(segs) => segs.last().map(String::as_str),
                Callee::Method { name, .. } => Some(name.as_str()),
            };
            let row = index.files[e.caller.file].row_args.iter().find(|r| {
                r.line == call.line && Some(r.callee.as_str()) == callee && r.index as usize == p
            });
            let Some(r) = row else {
                return Err((
                    at,
                    "a value that is not a loaded row or a field of one".into(),
                ));
            };
            if let Err(why) = self.trusted(
                e.caller.file,
                Some(e.caller.index as u32),
                &r.row,
                depth + 1,
            ) {
                return Err((at, why.trim_start_matches("it is keyed by ").to_string()));
            }
        }
        Ok(())
    }

    /// The type (last path segment) of field `field` of the package's struct `ty`.
    fn field_type(&self, pkg: usize, ty: &str, field: &str) -> Option<String> {
        let found = self.index.items_named(pkg, ty, &[ItemKind::Struct]);
        let [one] = found.as_slice() else {
            return None;
        };
        let s = &self.index.files[one.file].structs[one.index];
        let (_, t) = s.fields.iter().find(|(n, _)| n == field)?;
        t.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|x| !x.is_empty())
            .rfind(|x| !matches!(*x, "Option" | "Vec" | "Box" | "Arc"))
            .map(String::from)
    }

    /// A sea-orm `Model` (or `ActiveModel`), or a struct of the package whose fields (two or
    /// more) are exactly the columns of one table of the schema (a diesel `Queryable` model).
    fn is_row_type(&self, pkg: usize, ty: &str) -> bool {
        if ty == "Model" || ty == "ActiveModel" {
            return true;
        }
        let key = (pkg, ty.to_string());
        if let Some(hit) = self.rows.borrow().get(&key) {
            return *hit;
        }
        let fields = struct_fields(self.index, pkg, ty).unwrap_or_default();
        let schema = &self.index.tenancy[pkg].schema;
        // Exactly a table's columns: a `Queryable` mirror of it, not a request body that shares
        // some of its names.
        let row = fields.len() >= 2
            && schema
                .tables
                .values()
                .any(|t| t.columns.len() == fields.len() && fields.iter().all(|f| t.has_column(f)));
        self.rows.borrow_mut().insert(key, row);
        row
    }
}

/// The rows the comparisons of a condition take values from.
fn atoms_rows<'a>(c: &'a super::Cond, out: &mut Vec<&'a RowRef>) {
    match c {
        super::Cond::All(v) | super::Cond::Any(v, _) => v.iter().for_each(|x| atoms_rows(x, out)),
        super::Cond::Atom(super::Atom::Value { row: Some(r), .. })
        | super::Cond::Atom(super::Atom::Key { row: Some(r) }) => out.push(r),
        super::Cond::Atom(_) => {}
    }
}

/// The type a declared return type holds (`Result<Option<workspace::Model>>` -> `Model`; with
/// `part`, that element of a tuple), as its last path segment.
fn returned_type(ty: &str, part: Option<usize>) -> Option<String> {
    let t: syn::Type = syn::parse_str(ty).ok()?;
    let mut cur = &t;
    let mut part = part;
    for _ in 0..8 {
        match cur {
            syn::Type::Reference(r) => cur = &r.elem,
            syn::Type::Paren(p) => cur = &p.elem,
            syn::Type::Tuple(tup) => {
                cur = tup.elems.iter().nth(part.take()?)?;
            }
            syn::Type::Path(p) => {
                let last = p.path.segments.last()?;
                let name = last.ident.to_string();
                let wrapper = matches!(
                    name.as_str(),
                    "Result" | "Option" | "Box" | "Arc" | "Vec" | "ApiResult" | "DbResult"
                );
                if !wrapper {
                    return part.is_none().then_some(name);
                }
                let syn::PathArguments::AngleBracketed(a) = &last.arguments else {
                    return None;
                };
                cur = a.args.iter().find_map(|g| match g {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })?;
            }
            _ => return None,
        }
    }
    None
}

/// Fields of a struct named `name` declared in the package (unique by name).
fn struct_fields(index: &Index<'_>, pkg: usize, name: &str) -> Option<Vec<String>> {
    let found = index.items_named(pkg, name, &[ItemKind::Struct]);
    let [one] = found.as_slice() else {
        return None;
    };
    let s = &index.files[one.file].structs[one.index];
    Some(s.fields.iter().map(|(n, _)| n.to_string()).collect())
}
