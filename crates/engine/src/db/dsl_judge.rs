//! Phase 2 for DSL chains (diesel, sea-orm): the same rule as for SQL (`sql::analyze`), on the
//! chain's tables and conditions. Every tenant-owned table of the chain — the base and each
//! joined one — must be pinned, in every way the chain can be built and in every branch of
//! its ORs:
//!
//! * by a comparison of one of its scope columns with a value (`.filter(t::org_id.eq(o))`, in a
//!   `.filter` or in the ON of its join), or a key of it that contains a scope column bound to
//!   values (`find_by_id(id)` where the scope column is the key or in the composite key);
//! * by a tenant-column equality with a pinned table, a key join (every column of one of its
//!   keys equated to a pinned table's columns) or a child join, as in SQL; diesel joins without
//!   `.on(..)` and sea-orm relations join on the schema's foreign key (`joinable!`, `belongs_to`);
//! * by construction (`belonging_to`, `find_related`, a configured scoped fn: the base);
//! * by a key whose values are fields of a loaded row: `diesel::delete(t.filter(t::uuid.eq(&self.uuid)))`
//!   in the row's own impl, `ActiveModel { id: Set(ws.id), .. }` with `ws: &workspace::Model`, or a
//!   row fetched in the same fn: as scoped as the fetch that loaded the row. A row from a
//!   parameter or `self` was loaded by a caller, whose fetch is judged where it is.
//!
//! A LEFT JOIN's ON holds only where its table has a row: its conditions pin the joined table,
//! and pin others only in the branches where a condition that is false on NULL requires that row
//! (`.filter(uo::status.eq(..))`, `groups::access_all.eq(true)` in one arm of an OR). A RIGHT or
//! FULL join's ON is relied on for nothing. An OR whose every branch pins the table pins it
//! (`ciphers::user_uuid.eq(me)` OR a membership row of `me` joined on the organization); an
//! OR with one unpinned branch voids the filter.

use super::{Atom, ColRef, Cond, DslQuery, JoinKind, ModelKey, RowRef};
use crate::sql::{Tenancy, Unscoped};

/// More disjuncts than this: the ORs are dropped (which only loses scoping).
const MAX_DISJUNCTS: usize = 64;

/// What the judge needs from phase 2 beyond the tenancy.
pub struct DslCx<'a> {
    pub tenancy: &'a Tenancy,
    /// A table or entity path as written -> its table.
    pub table: &'a dyn Fn(&str) -> String,
    /// A column qualifier as written -> its table (`project::Column` -> `projects`).
    pub qualifier: &'a dyn Fn(&str) -> String,
    /// Whether the row a value is a field of was loaded by a scoped fetch: `Err(why)` if not.
    pub trusted: &'a dyn Fn(&RowRef) -> Result<(), String>,
}

/// The tables the chain touches and the tenant-owned ones it leaves unscoped.
pub fn judge(d: &DslQuery, cx: &DslCx<'_>) -> (Vec<String>, Vec<Unscoped>) {
    let base = (cx.table)(&d.table).to_ascii_lowercase();
    let mut tables = vec![base.clone()];
    let mut unscoped: Vec<Unscoped> = Vec::new();
    let flag = |unscoped: &mut Vec<Unscoped>, table: &str, reason: String| {
        if !unscoped.iter().any(|u| u.table == table) {
            unscoped.push(Unscoped {
                table: table.to_string(),
                reason,
            });
        }
    };
    if let Some(fields) = &d.inserted_fields {
        let Some(cols) = cx.tenancy.tenant_columns(&base) else {
            return (tables, unscoped);
        };
        let sets = fields
            .iter()
            .any(|f| cols.iter().any(|c| c.eq_ignore_ascii_case(f)));
        // A new root row whose scope key the database generates creates a tenant; an upsert
        // can land on another tenant's row.
        let creates = !d.upsert && cx.tenancy.insert_generates_scope_key(&base, fields);
        if !sets && !creates {
            let reason = if d.upsert && cx.tenancy.insert_generates_scope_key(&base, fields) {
                format!(
                    "the insert does not set `{}`, and as an upsert it can update another tenant's row",
                    cols.join("` or `")
                )
            } else {
                format!("the insert does not set `{}`", cols.join("` or `"))
            };
            flag(&mut unscoped, &base, reason);
        }
        return (tables, unscoped);
    }
    let by_key = d.model_key.as_ref().map(|k| model_key(&base, k, cx));
    let base_pinned = d.scoped_by.is_some() || matches!(by_key, Some(Ok(())));
    for v in &d.variants {
        let mut chain = vec![Joined {
            table: base.clone(),
            kind: None,
            on: Vec::new(),
        }];
        for j in &v.joins {
            let t = (cx.table)(&j.table).to_ascii_lowercase();
            if !tables.contains(&t) {
                tables.push(t.clone());
            }
            chain.push(Joined {
                table: t,
                kind: Some(j.kind),
                on: Vec::new(),
            });
        }
        let (ons, disjuncts) = {
            let resolve = |c: &ColRef| column(d, &chain, c, cx);
            // ON conditions: as written, else the schema's foreign key to an earlier table.
            let ons: Vec<Vec<R>> = v
                .joins
                .iter()
                .enumerate()
                .map(|(i, j)| match &j.on {
                    Some(c) => conjuncts(c)
                        .iter()
                        .filter_map(|a| lower(a, &resolve))
                        .collect(),
                    None => foreign_key_on(&chain, i + 1, cx.tenancy),
                })
                .collect();
            let disjuncts =
                dnf(&v.filter, MAX_DISJUNCTS).unwrap_or_else(|| vec![conjuncts(&v.filter)]);
            let disjuncts: Vec<Vec<R>> = disjuncts
                .iter()
                .map(|d| d.iter().filter_map(|a| lower(a, &resolve)).collect())
                .collect();
            (ons, disjuncts)
        };
        for (i, on) in ons.into_iter().enumerate() {
            chain[i + 1].on = on;
        }
        for (t, joined) in chain.iter().enumerate() {
            let Some(scope) = cx.tenancy.tenant_columns(&joined.table) else {
                continue;
            };
            if joined.kind.is_none() && base_pinned {
                continue;
            }
            let pinned_everywhere = disjuncts
                .iter()
                .all(|facts| pinned(&chain, facts, t, base_pinned, cx));
            if pinned_everywhere {
                continue;
            }
            let reason = if t == 0 {
                match (&by_key, voided_by(&v.filter, d, &chain, &scope, cx)) {
                    (_, Some(how)) => format!("the tenant filter is voided by `{how}`"),
                    (Some(Err(why)), None) => why.clone(),
                    // Keyed by a value whose row the audit could not trust: why not.
                    _ => match untrusted_key(&v.filter, cx) {
                        Some(why) => {
                            format!("no `.filter(..)` on `{}`, and {why}", scope.join("` or `"))
                        }
                        None => format!("no `.filter(..)` on `{}`", scope.join("` or `")),
                    },
                }
            } else {
                format!(
                    "joined without a condition on `{}` (in its join or a `.filter(..)`)",
                    scope.join("` or `")
                )
            };
            flag(&mut unscoped, &joined.table, reason);
        }
    }
    if d.variants.is_empty() {
        if let (Some(Err(why)), Some(_)) = (&by_key, cx.tenancy.tenant_columns(&base)) {
            flag(&mut unscoped, &base, why.clone());
        }
    }
    (tables, unscoped)
}

/// A table of the chain: the base (`kind` None) or a joined one, with its ON.
struct Joined {
    table: String,
    kind: Option<JoinKind>,
    on: Vec<R>,
}

/// A column of a table of the chain (by position).
type Col = (usize, String);

/// An atom with its columns resolved to tables of the chain (by position).
#[derive(Debug, Clone)]
enum R {
    /// Column bound to a value; the row the value is a field of, and whether it is its id.
    Val(usize, String, Option<RowRef>, bool),
    Cols(Col, Col),
    /// Tables that must have a row.
    Rej(Vec<usize>),
    /// The base's primary key bound.
    Key(Option<RowRef>),
}

impl R {
    /// Tables the comparison is false for when they are null-extended.
    fn rejects(&self) -> Vec<usize> {
        match self {
            R::Val(t, ..) => vec![*t],
            R::Cols(a, b) => vec![a.0, b.0],
            R::Rej(v) => v.clone(),
            R::Key(_) => vec![0],
        }
    }
}

fn lower(a: &Atom, resolve: &dyn Fn(&ColRef) -> Option<usize>) -> Option<R> {
    match a {
        Atom::Value { col, row, key } => {
            Some(R::Val(resolve(col)?, col.column.clone(), row.clone(), *key))
        }
        Atom::Cols(x, y) => Some(R::Cols(
            (resolve(x)?, x.column.clone()),
            (resolve(y)?, y.column.clone()),
        )),
        Atom::Rejects(cols) => {
            let v: Vec<usize> = cols.iter().filter_map(resolve).collect();
            (!v.is_empty()).then_some(R::Rej(v))
        }
        Atom::Key { row } => Some(R::Key(row.clone())),
        Atom::Opaque => None,
    }
}

/// The table of the chain a column belongs to: its qualifier's, else the one table of the
/// chain the schema gives that column, else the base.
fn column(d: &DslQuery, chain: &[Joined], c: &ColRef, cx: &DslCx<'_>) -> Option<usize> {
    match &c.table {
        Some(q) => {
            let t = if d.entity {
                (cx.qualifier)(q)
            } else {
                q.clone()
            };
            let t = t.to_ascii_lowercase();
            chain.iter().position(|j| j.table == t)
        }
        None => {
            let has: Vec<usize> = chain
                .iter()
                .enumerate()
                .filter(|(_, j)| {
                    cx.tenancy
                        .schema
                        .table(&j.table)
                        .is_some_and(|t| t.has_column(&c.column))
                })
                .map(|(i, _)| i)
                .collect();
            match has.as_slice() {
                [one] => Some(*one),
                _ => Some(0),
            }
        }
    }
}

/// The ON of joined table `i` from the schema: its foreign keys to an earlier table, or an
/// earlier table's to it (diesel `joinable!`, sea-orm `belongs_to`).
fn foreign_key_on(chain: &[Joined], i: usize, tenancy: &Tenancy) -> Vec<R> {
    let schema = &tenancy.schema;
    let mut out = Vec::new();
    let pk_of = |t: &str| -> Option<String> {
        match schema.table(t)?.primary_key() {
            [one] => Some(one.clone()),
            _ => None,
        }
    };
    for k in 0..i {
        for (child, parent) in [(i, k), (k, i)] {
            let Some(ct) = schema.table(&chain[child].table) else {
                continue;
            };
            for fk in ct.foreign_keys() {
                if fk.table != chain[parent].table {
                    continue;
                }
                let Some(r) = fk
                    .referenced
                    .clone()
                    .or_else(|| pk_of(&chain[parent].table))
                else {
                    continue;
                };
                out.push(R::Cols((child, fk.column.clone()), (parent, r)));
            }
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}

/// Whether table `t` is pinned in one branch of the conditions (`facts`: its atoms).
fn pinned(chain: &[Joined], facts: &[R], t: usize, base_pinned: bool, cx: &DslCx<'_>) -> bool {
    let n = chain.len();
    // Which tables have a row: the base, inner joins, `t` itself (its rows are what is read),
    // and every LEFT-joined table a condition that is false on NULL needs.
    let mut present = vec![false; n];
    let mut all: Vec<R> = facts.to_vec();
    let add = |i: usize, present: &mut Vec<bool>, all: &mut Vec<R>| {
        if !present[i] {
            present[i] = true;
            if chain[i].kind != Some(JoinKind::Other) {
                all.extend(chain[i].on.iter().cloned());
            }
        }
    };
    for (i, j) in chain.iter().enumerate() {
        if matches!(j.kind, None | Some(JoinKind::Inner)) || i == t {
            add(i, &mut present, &mut all);
        }
    }
    let mut k = 0;
    while k < all.len() {
        for i in all[k].rejects() {
            if i < n && chain[i].kind != Some(JoinKind::Other) {
                add(i, &mut present, &mut all);
            }
        }
        k += 1;
    }
    let all = closure(all);
    let tenancy = cx.tenancy;
    let scope: Vec<Option<Vec<String>>> = chain
        .iter()
        .map(|j| tenancy.tenant_columns(&j.table))
        .collect();
    let is_scope = |i: usize, c: &str| scope[i].as_ref().is_some_and(|s| s.iter().any(|x| x == c));
    let mut pin = vec![false; n];
    pin[0] = base_pinned;
    for i in 0..n {
        if !present[i] {
            continue;
        }
        let table = &chain[i].table;
        let mut bound: Vec<String> = Vec::new();
        let mut from_rows: Vec<String> = Vec::new();
        for f in &all {
            match f {
                R::Val(x, c, row, key) if *x == i => {
                    if is_scope(i, c) {
                        pin[i] = true;
                    }
                    bound.push(c.clone());
                    if row.as_ref().is_some_and(|r| (cx.trusted)(r).is_ok()) {
                        from_rows.push(c.clone());
                        // The rows that belong to a loaded row (`compose_parent = ws.id`), as
                        // diesel's `belonging_to(&ws)`.
                        if *key {
                            pin[i] = true;
                        }
                    }
                }
                R::Key(row) if i == 0 => {
                    let pk: Vec<String> = tenancy
                        .schema
                        .table(table)
                        .map(|t| t.primary_key().to_vec())
                        .unwrap_or_default();
                    if row.as_ref().is_some_and(|r| (cx.trusted)(r).is_ok()) {
                        from_rows.extend(pk.iter().cloned());
                    }
                    bound.extend(pk);
                }
                _ => {}
            }
        }
        if tenancy.scoped_by_key(table, &bound) {
            pin[i] = true;
        }
        if let Some(tt) = tenancy.schema.table(table) {
            if tt.keys().any(|k| k.iter().all(|c| from_rows.contains(c))) {
                pin[i] = true;
            }
        }
    }
    // Joins that carry the tenant from a pinned table.
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let eqs: Vec<(&Col, &Col)> = all
        .iter()
        .filter_map(|f| match f {
            R::Cols(a, b) if a.0 != b.0 && present[a.0] && present[b.0] => Some((a, b)),
            _ => None,
        })
        .collect();
    for (a, b) in &eqs {
        if is_scope(a.0, &a.1) && is_scope(b.0, &b.1) {
            edges.push((a.0, b.0));
            edges.push((b.0, a.0));
        }
        for (c, p) in [(a, b), (b, a)] {
            if is_scope(c.0, &c.1)
                && references(tenancy, &chain[c.0].table, &c.1, &chain[p.0].table, &p.1)
            {
                edges.push((p.0, c.0));
            }
        }
    }
    for (q, joined) in chain.iter().enumerate() {
        let Some(tt) = tenancy.schema.table(&joined.table) else {
            continue;
        };
        for key in tt.keys() {
            for p in 0..n {
                if p == q {
                    continue;
                }
                let joined = key.iter().all(|k| {
                    eqs.iter().any(|(a, b)| {
                        (a.0 == q && a.1 == *k && b.0 == p) || (b.0 == q && b.1 == *k && a.0 == p)
                    })
                });
                if joined {
                    edges.push((p, q));
                }
            }
        }
    }
    let mut changed = true;
    while changed {
        changed = false;
        for &(from, to) in &edges {
            if pin[from] && !pin[to] {
                pin[to] = true;
                changed = true;
            }
        }
    }
    pin[t]
}

/// The facts with what equality gives besides: columns equal to one another are equal pairwise
/// (`c.uuid = cc.collection_uuid` and `uc.collection_uuid = cc.collection_uuid` give
/// `c.uuid = uc.collection_uuid`), and a column equal to one bound to a value is bound to it.
fn closure(facts: Vec<R>) -> Vec<R> {
    let mut cols: Vec<Col> = Vec::new();
    let id = |c: &Col, cols: &mut Vec<Col>| match cols.iter().position(|x| x == c) {
        Some(i) => i,
        None => {
            cols.push(c.clone());
            cols.len() - 1
        }
    };
    let mut links = Vec::new();
    for f in &facts {
        if let R::Cols(a, b) = f {
            let (i, j) = (id(a, &mut cols), id(b, &mut cols));
            links.push((i, j));
        }
    }
    if links.is_empty() {
        return facts;
    }
    // Union-find over the columns.
    let mut parent: Vec<usize> = (0..cols.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, j) in links {
        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
        parent[a] = b;
    }
    let classes: Vec<usize> = (0..cols.len()).map(|i| root(&mut parent, i)).collect();
    let mut out = facts.clone();
    for i in 0..cols.len() {
        for j in (i + 1)..cols.len() {
            if classes[i] == classes[j] && cols[i].0 != cols[j].0 {
                out.push(R::Cols(cols[i].clone(), cols[j].clone()));
            }
        }
    }
    for f in &facts {
        if let R::Val(t, c, row, key) = f {
            let Some(i) = cols.iter().position(|x| x.0 == *t && x.1 == *c) else {
                continue;
            };
            for (j, other) in cols.iter().enumerate() {
                if j != i && classes[j] == classes[i] {
                    out.push(R::Val(other.0, other.1.clone(), row.clone(), *key));
                }
            }
        }
    }
    out
}

/// Whether `child.col` refers to the row of `parent` whose `pcol` it equals (its foreign key,
/// or, with none declared, the parent's single-column primary key).
fn references(tenancy: &Tenancy, child: &str, col: &str, parent: &str, pcol: &str) -> bool {
    let schema = &tenancy.schema;
    let Some(pt) = schema.table(parent) else {
        return false;
    };
    let single_key = pt.primary_key() == [pcol];
    match schema.table(child).and_then(|t| t.foreign_key(col)) {
        Some(fk) => {
            fk.table == pt.name
                && match &fk.referenced {
                    Some(r) => r == pcol,
                    None => single_key,
                }
        }
        None => single_key,
    }
}

/// What voided a tenant filter of the base: the OR above a comparison of one of its scope
/// columns with a value, if there is one.
fn voided_by(
    c: &Cond,
    d: &DslQuery,
    chain: &[Joined],
    scope: &[String],
    cx: &DslCx<'_>,
) -> Option<&'static str> {
    match c {
        Cond::All(v) => v.iter().find_map(|x| voided_by(x, d, chain, scope, cx)),
        Cond::Any(v, how) => {
            let mentions = v.iter().any(|x| mentions_scope(x, d, chain, scope, cx));
            if mentions {
                Some(how)
            } else {
                None
            }
        }
        Cond::Atom(_) => None,
    }
}

fn mentions_scope(
    c: &Cond,
    d: &DslQuery,
    chain: &[Joined],
    scope: &[String],
    cx: &DslCx<'_>,
) -> bool {
    match c {
        Cond::All(v) | Cond::Any(v, _) => v.iter().any(|x| mentions_scope(x, d, chain, scope, cx)),
        Cond::Atom(Atom::Value { col, .. }) => {
            column(d, chain, col, cx) == Some(0) && scope.contains(&col.column)
        }
        Cond::Atom(_) => false,
    }
}

/// Why the first row-keyed comparison at the top of a condition (`find(id)`, `uuid.eq(id)`
/// with `id` a parameter) pins nothing: what the trust of its row says.
fn untrusted_key(c: &Cond, cx: &DslCx<'_>) -> Option<String> {
    conjuncts(c).into_iter().find_map(|a| match a {
        Atom::Key { row: Some(r) } | Atom::Value { row: Some(r), .. } => (cx.trusted)(r).err(),
        _ => None,
    })
}

/// The atoms ANDed at the top of a condition (ORs dropped).
fn conjuncts(c: &Cond) -> Vec<&Atom> {
    match c {
        Cond::All(v) => v.iter().flat_map(conjuncts).collect(),
        Cond::Atom(a) => vec![a],
        Cond::Any(..) => Vec::new(),
    }
}

/// The condition as ORed conjunctions of atoms, or `None` past `cap` of them.
fn dnf(c: &Cond, cap: usize) -> Option<Vec<Vec<&Atom>>> {
    match c {
        Cond::Atom(a) => Some(vec![vec![a]]),
        Cond::All(v) => {
            let mut acc: Vec<Vec<&Atom>> = vec![Vec::new()];
            for x in v {
                let next = dnf(x, cap)?;
                let mut combined = Vec::new();
                for a in &acc {
                    for b in &next {
                        if combined.len() >= cap {
                            return None;
                        }
                        let mut ab = a.clone();
                        ab.extend(b.iter().copied());
                        combined.push(ab);
                    }
                }
                acc = combined;
            }
            Some(acc)
        }
        Cond::Any(v, _) => {
            let mut out = Vec::new();
            for x in v {
                out.extend(dnf(x, cap)?);
                if out.len() > cap {
                    return None;
                }
            }
            Some(out)
        }
    }
}

/// An `ActiveModel` update or delete: `WHERE <primary key> = <its values>`. Scoped when the key
/// carries a scope column, or when every key column's value is a field of a row loaded by a
/// scoped fetch (or by a caller: a parameter or `self`).
fn model_key(table: &str, k: &ModelKey, cx: &DslCx<'_>) -> Result<(), String> {
    let tenancy = cx.tenancy;
    let Some(scope) = tenancy.tenant_columns(table) else {
        return Ok(());
    };
    let cols = scope.join("` or `");
    let pk: Vec<String> = tenancy
        .schema
        .table(table)
        .map(|t| t.primary_key().to_vec())
        .unwrap_or_default();
    if pk.is_empty() {
        return match &k.from {
            Some(Some(r)) => (cx.trusted)(r),
            _ => Err(format!(
                "the written row's key is not known to carry `{cols}`"
            )),
        };
    }
    let mut rows: Vec<Option<&RowRef>> = Vec::new();
    for c in &pk {
        match k.fields.iter().find(|(f, _)| f == c) {
            Some((_, row)) => rows.push(row.as_ref()),
            None => match &k.from {
                Some(row) => rows.push(row.as_ref()),
                None => {
                    return Err(format!(
                    "the write sets no value for its key `{c}`, and no `.filter(..)` on `{cols}`"
                ))
                }
            },
        }
    }
    if tenancy.scoped_by_key(table, &pk) {
        return Ok(());
    }
    for r in rows {
        match r {
            Some(r) => (cx.trusted)(r)?,
            None => {
                return Err(format!(
                    "it is written by its key `{}`, which does not carry `{cols}`",
                    pk.join("`, `")
                ))
            }
        }
    }
    Ok(())
}
