//! Joins that pin a row without naming a tenant column: a table joined on a whole key (its
//! primary key or a unique key) to a scoped table, and a child table joined on its scope column
//! to the parent row it references.

use super::{Analyzer, Binding, ColEq, Kind, Scope};

/// Directed edges between bindings: if `.0` is scoped then `.1` is.
type Edges = Vec<(usize, usize)>;

impl Analyzer<'_> {
    /// Edges (scoped partner -> table it pins) from column equalities: `(key joins, child
    /// joins)`. Key joins: every column of a key of tenant-owned table `q` equals a column of
    /// one other binding `p`, in predicates that filter `q`; `q` then has at most one row per
    /// row of `p`. Child joins: a scope column of `c` (`[tenant.tables.c] column = "app_id"`)
    /// equals the column its foreign key references in `p` (or, with no foreign key known, the
    /// single-column primary key of `p`).
    pub(super) fn key_edges(&self, scope: &Scope<'_>, eqs: &[ColEq]) -> (Edges, Edges) {
        // Directed: (filtered binding, its column, partner, partner's column).
        let sides: Vec<(usize, &str, usize, &str)> = eqs
            .iter()
            .flat_map(|e| {
                [
                    e.filters_a
                        .then_some((e.a, e.a_col.as_str(), e.b, e.b_col.as_str())),
                    e.filters_b
                        .then_some((e.b, e.b_col.as_str(), e.a, e.a_col.as_str())),
                ]
            })
            .flatten()
            .filter(|(q, _, p, _)| q != p)
            .collect();
        let mut keys = Vec::new();
        for (q, b) in scope.bindings.iter().enumerate() {
            if b.kind != Kind::Table || b.tenant.is_none() {
                continue;
            }
            let Some(t) = self.tenancy.schema.table(&b.table) else {
                continue;
            };
            for key in t.keys() {
                for p in 0..scope.bindings.len() {
                    let joined = key.iter().all(|k| {
                        sides
                            .iter()
                            .any(|&(x, xc, y, _)| x == q && xc == k && y == p)
                    });
                    if p != q && joined && !keys.contains(&(p, q)) {
                        keys.push((p, q));
                    }
                }
            }
        }
        let mut children = Vec::new();
        for &(c, col, p, pcol) in &sides {
            let (bc, bp) = (&scope.bindings[c], &scope.bindings[p]);
            if self.tenant_col(bc, col) && self.references(bc, col, bp, pcol) {
                children.push((p, c));
            }
        }
        (keys, children)
    }

    /// Whether `child.col` refers to the row of `parent` whose `pcol` it equals.
    fn references(&self, child: &Binding, col: &str, parent: &Binding, pcol: &str) -> bool {
        if child.kind != Kind::Table || parent.kind != Kind::Table {
            return false;
        }
        let schema = &self.tenancy.schema;
        let Some(pt) = schema.table(&parent.table) else {
            return false;
        };
        let single_key = pt.primary_key() == [pcol];
        match schema.table(&child.table).and_then(|t| t.foreign_key(col)) {
            Some(fk) => {
                fk.table == parent.table
                    && match &fk.referenced {
                        Some(r) => r == pcol,
                        None => single_key,
                    }
            }
            None => single_key,
        }
    }
}
