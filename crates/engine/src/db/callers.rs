//! SQL handed to a helper (DESIGN.md §8.2): a query site whose text is, or holds, a parameter
//! of its fn (`fn run(pool, sql: &str) { sqlx::query(sql) }`, `format!("INSERT INTO {table} ..")`,
//! `for stmt in migration.apply_sql`) is judged with what every caller passes there. The
//! finding stays at the site and names the first caller that passes unscoped (or unreadable)
//! SQL; a fn no caller of the workspace reaches is judged alone, its parameter dynamic.

use crate::callgraph::{CallGraph, Passed, ThroughCallers};
use crate::extract::ArgInfo;
use crate::index::{FnId, Index};
use crate::sql::Unscoped;
use crate::strings::StrSource;
use std::collections::BTreeSet;

/// How many calls up a parameter is followed (a caller passing on its own parameter, or a value
/// made from one, counts one more).
const DEPTH: usize = 4;

/// What the SQL of a site (or of one caller's version of it) says.
#[derive(Debug, Clone, Default)]
pub struct SqlJudgement {
    /// Every table the texts touch.
    pub tables: Vec<String>,
    pub unscoped: Vec<Unscoped>,
    pub dynamic: Option<String>,
    pub parse_error: Option<String>,
    /// Every text that resolved (tentative sites count only when one reads as SQL).
    pub texts: Vec<String>,
    /// The caller whose SQL this is (file, line), when judged through callers.
    pub caller: Option<(usize, u32)>,
}

impl SqlJudgement {
    fn fine(&self) -> bool {
        self.unscoped.is_empty() && self.dynamic.is_none() && self.parse_error.is_none()
    }
}

/// Judges SQL texts of a site in package `pkg`.
pub fn judge_texts(
    index: &Index<'_>,
    pkg: usize,
    resolved: crate::strings::Resolved,
) -> SqlJudgement {
    let mut j = SqlJudgement {
        dynamic: resolved.dynamic,
        ..SqlJudgement::default()
    };
    let mut parsed = false;
    for text in &resolved.texts {
        match index.analyze_sql(pkg, text) {
            Ok(a) => {
                parsed = true;
                for t in a.tables {
                    if !j.tables.contains(&t) {
                        j.tables.push(t);
                    }
                }
                for u in a.unscoped {
                    if !j.unscoped.iter().any(|x| x.table == u.table) {
                        j.unscoped.push(u);
                    }
                }
            }
            Err(e) => {
                j.parse_error.get_or_insert(e.message);
            }
        }
    }
    // One way of building the text parses and another does not (`UPDATE t SET` with none of
    // its optional assignments pushed): that way fails at the database too, it reads no row.
    if parsed && resolved.texts.len() > 1 {
        j.parse_error = None;
    }
    j.texts = resolved.texts;
    j
}

/// Judges the SQL of site `src` (written in fn `f`, file `file`) through the callers of `f`.
/// `None` when no caller of the workspace calls `f`: the site is judged alone.
pub fn through_callers(
    index: &Index<'_>,
    graph: &CallGraph,
    f: FnId,
    src: &StrSource,
) -> Option<SqlJudgement> {
    let pkg = index.package_of(f.file);
    let src = index.inline_str(f.file, src);
    let mut seen = BTreeSet::new();
    let mut tables = Vec::new();
    let mut texts = Vec::new();
    match walk(
        index,
        graph,
        pkg,
        f,
        &src,
        DEPTH,
        &mut seen,
        &mut tables,
        &mut texts,
    ) {
        ThroughCallers::NoCallers => None,
        ThroughCallers::Fine => Some(SqlJudgement {
            tables,
            texts,
            ..SqlJudgement::default()
        }),
        ThroughCallers::Wrong { file, line, why } => {
            let mut j = why.unwrap_or_else(|| SqlJudgement {
                dynamic: Some("a parameter handed on further than the audit follows".into()),
                ..SqlJudgement::default()
            });
            j.caller.get_or_insert((file, line));
            for t in tables {
                if !j.tables.contains(&t) {
                    j.tables.push(t);
                }
            }
            j.texts.extend(texts);
            Some(j)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn walk(
    index: &Index<'_>,
    graph: &CallGraph,
    pkg: usize,
    f: FnId,
    src: &StrSource,
    depth: usize,
    seen: &mut BTreeSet<FnId>,
    tables: &mut Vec<String>,
    texts: &mut Vec<String>,
) -> ThroughCallers<SqlJudgement> {
    if !seen.insert(f) {
        // Recursion: this path adds nothing new.
        return ThroughCallers::Fine;
    }
    let param = first_param(src).unwrap_or(0);
    let mut judge = |caller: FnId, call: &crate::extract::CallFact, _: Option<&ArgInfo>| {
        let passed = src.substitute(&|i| Some(argument(index, graph, caller, call.args.get(i))));
        if passed.has_params() {
            if depth == 0 {
                return Passed::Wrong(SqlJudgement {
                    dynamic: Some("a parameter handed on further than the audit follows".into()),
                    ..SqlJudgement::default()
                });
            }
            return match walk(
                index,
                graph,
                pkg,
                caller,
                &passed,
                depth - 1,
                seen,
                tables,
                texts,
            ) {
                ThroughCallers::Fine => Passed::Fine,
                // A fn that hands the value on but that nothing calls: its parameter is dynamic.
                ThroughCallers::NoCallers => Passed::Wrong(judge_texts(
                    index,
                    pkg,
                    index.resolve_str(caller.file, &passed),
                )),
                ThroughCallers::Wrong { file, line, why } => {
                    let mut j = why.unwrap_or_default();
                    j.caller.get_or_insert((file, line));
                    Passed::Wrong(j)
                }
            };
        }
        let j = judge_texts(index, pkg, index.resolve_str(caller.file, &passed));
        for t in &j.tables {
            if !tables.contains(t) {
                tables.push(t.clone());
            }
        }
        texts.extend(j.texts.iter().cloned());
        if j.fine() {
            Passed::Fine
        } else {
            Passed::Wrong(j)
        }
    };
    graph.through_callers(index, f, param, 0, &mut judge)
}

/// `src` (a value in fn `f`) with each call's returned text ([`StrSource::Returned`]) replaced
/// by what the workspace fn it calls returns, that fn's parameters replaced by what the call
/// passes: `sqlx::query(&partition_ddl("file_list"))` is judged as the `CREATE TABLE` that
/// call makes. A call to no workspace fn, or to one whose text is not known, stays dynamic.
pub fn expand_returned(
    index: &Index<'_>,
    graph: &CallGraph,
    f: FnId,
    src: &StrSource,
) -> StrSource {
    expand(index, graph, f, src, DEPTH)
}

fn expand(
    index: &Index<'_>,
    graph: &CallGraph,
    f: FnId,
    src: &StrSource,
    depth: usize,
) -> StrSource {
    if depth == 0 || !src.has_returned() {
        return src.clone();
    }
    src.map_leaves(&|leaf| {
        let StrSource::Returned { line, callee, .. } = leaf else {
            return None;
        };
        let mut alts = Vec::new();
        for e in graph.callees(f) {
            let call = graph.call(index, e.call);
            let name = match &call.callee {
                crate::extract::Callee::Path(segs) => segs.last().map(String::as_str),
                crate::extract::Callee::Method { name, .. } => Some(name.as_str()),
            };
            if call.line != *line || name != Some(callee.as_str()) {
                continue;
            }
            let text = index.func(e.callee).ret_text()?;
            let text = index.inline_str(e.callee.file, text);
            let text = expand(index, graph, e.callee, &text, depth - 1);
            alts.push(text.substitute(&|i| Some(argument(index, graph, f, call.args.get(i)))));
        }
        match alts.len() {
            0 => None,
            1 => alts.pop(),
            _ => Some(StrSource::Alt(alts)),
        }
    })
}

/// What a caller passes in one argument place, as text relative to the caller's fn.
fn argument(
    index: &Index<'_>,
    graph: &CallGraph,
    caller: FnId,
    arg: Option<&ArgInfo>,
) -> StrSource {
    let Some(a) = arg else {
        return StrSource::dynamic("an argument the audit cannot read");
    };
    if let Some(p) = a.param {
        let name = index
            .func(caller)
            .params
            .get(p as usize)
            .and_then(|x| x.name.as_deref().map(str::to_string))
            .unwrap_or_else(|| format!("#{p}"));
        return StrSource::Param {
            index: p as usize,
            what: format!("parameter `{name}`"),
        };
    }
    match &a.text {
        Some(t) => expand(
            index,
            graph,
            caller,
            &index.inline_str(caller.file, t),
            DEPTH,
        ),
        None => StrSource::dynamic("an argument the audit cannot read"),
    }
}

fn first_param(src: &StrSource) -> Option<usize> {
    match src {
        StrSource::Param { index, .. } => Some(*index),
        StrSource::Concat(v) | StrSource::Alt(v) | StrSource::Array(v) => {
            v.iter().find_map(first_param)
        }
        StrSource::Struct(f) => f.iter().find_map(|(_, v)| first_param(v)),
        StrSource::Project(inner, _) => first_param(inner),
        _ => None,
    }
}
