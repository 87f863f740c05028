//! Phase 2 for queries: resolves each site's SQL (consts, files, branches), parses it, and
//! decides which tenant-owned tables are unscoped. Computed once; TA201 and TA202 read it.

use super::{DslQuery, QueryKind};
use crate::index::Index;
use crate::sql::{self, Unscoped};

/// The judgement of one query site.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub file: usize,
    /// Index into the file's `queries`.
    pub query: usize,
    pub unscoped: Vec<Unscoped>,
    /// What made the SQL impossible to resolve.
    pub dynamic: Option<String>,
    /// The SQL parser's complaint.
    pub parse_error: Option<String>,
}

pub fn judge_all(index: &Index<'_>) -> Vec<Verdict> {
    let mut out = Vec::new();
    for (fi, f) in index.files.iter().enumerate() {
        let pkg = f.package;
        let tenancy = &index.tenancy[pkg];
        let dialect = index.dialects[pkg];
        for (qi, q) in f.queries.iter().enumerate() {
            let mut v = Verdict {
                file: fi,
                query: qi,
                ..Verdict::default()
            };
            match &q.kind {
                QueryKind::Sql(src) => {
                    let resolved = index.resolve_str(fi, src);
                    v.dynamic = resolved.dynamic;
                    for text in &resolved.texts {
                        match sql::analyze(text, dialect, tenancy) {
                            Ok(a) => {
                                for u in a.unscoped {
                                    if !v.unscoped.iter().any(|x| x.table == u.table) {
                                        v.unscoped.push(u);
                                    }
                                }
                            }
                            Err(e) => {
                                v.parse_error.get_or_insert(e.message);
                            }
                        }
                    }
                }
                QueryKind::Dsl(d) => {
                    if let Some(u) = judge_dsl(d, tenancy) {
                        v.unscoped.push(u);
                    }
                }
            }
            out.push(v);
        }
    }
    out
}

/// A DSL chain is scoped when it filters a tenant column on the AND path (or inserts it).
pub fn judge_dsl(d: &DslQuery, tenancy: &sql::Tenancy) -> Option<Unscoped> {
    let table = d.table.to_ascii_lowercase();
    let cols = tenancy.tenant_columns(&table)?;
    if d.scoped_by.is_some() {
        return None;
    }
    let unscoped = |reason: String| {
        Some(Unscoped {
            table: d.table.clone(),
            reason,
        })
    };
    if let Some(fields) = &d.inserted_fields {
        if fields
            .iter()
            .any(|f| cols.iter().any(|c| c.eq_ignore_ascii_case(f)))
        {
            return None;
        }
        return unscoped(format!("the insert does not set `{}`", cols.join("` or `")));
    }
    let filtered = d
        .filter_columns
        .iter()
        .any(|f| cols.iter().any(|c| c.eq_ignore_ascii_case(f)));
    match (&d.voided_by, filtered) {
        (_, false) => unscoped(format!("no `.filter(..)` on `{}`", cols.join("` or `"))),
        (Some(v), true) => unscoped(format!("the tenant filter is voided by `{v}`")),
        (None, true) => None,
    }
}
