//! Where a string (SQL text, a const's value) comes from, and how phase 2 resolves it.

use std::path::Path;

crate::intern::interned! {
    /// A string value shared by the facts that hold an equal one (see [`crate::intern::Shared`]):
    /// a const's value, a query's SQL.
    SharedSource = one StrSource
}

/// A string value as the code builds it, before consts and files are known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StrSource {
    Lit(String),
    /// Pieces joined in order (`concat!`, `+`, `sql += ..`).
    Concat(Vec<StrSource>),
    /// One of several values (`if`/`match` branches, every definition that may reach a use).
    Alt(Vec<StrSource>),
    /// A path to a const or static: (path as written, module of the use site).
    Const(Vec<String>, crate::intern::Module),
    /// `include_str!` / `query_file!` path, relative to the file (`include_str!`) or package root.
    File {
        path: String,
        relative_to_file: bool,
    },
    /// Not resolvable statically; the text says what was dynamic (`format!`, "parameter `sql`").
    Dynamic(String),
    /// Parameter `index` (receiver excluded) of the fn the value is in: what its callers pass.
    /// Alone it resolves as dynamic, `what` saying how it is used (`parameter `sql``); a query
    /// site judges it through the callers ([`StrSource::substitute`]).
    Param {
        index: usize,
        what: String,
    },
    /// An array, slice or `vec!` literal: each element, in turn, when iterated.
    Array(Vec<StrSource>),
    /// A struct or tuple literal: its fields by name (`0`, `1`.. for a tuple).
    Struct(Vec<(String, StrSource)>),
    /// A part of a value: `m.sql`, the element a `for` loop binds (`for m in MIGRATIONS`).
    Project(Box<StrSource>, Vec<Step>),
    /// What a call on `line` of the fn the value is in returns (`partition_ddl("file_list")`):
    /// the text a workspace fn of that name returns, with what the call passes (phase 2, with
    /// the call graph). Alone it resolves as dynamic, `what` saying which call it is.
    Returned {
        line: u32,
        callee: crate::intern::Name,
        what: String,
    },
}

/// One step of a [`StrSource::Project`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// Any element of an array.
    Elem,
    /// A field of a struct (or a tuple position, as `0`, `1`..).
    Field(String),
}

impl StrSource {
    pub fn dynamic(what: impl Into<String>) -> StrSource {
        StrSource::Dynamic(what.into())
    }

    /// Whether a parameter of the fn is part of the value (it is then judged through callers).
    pub fn has_params(&self) -> bool {
        self.any_leaf(&|l| matches!(l, StrSource::Param { .. }))
    }

    /// Whether any leaf (see [`StrSource::map_leaves`]) is one `f` accepts.
    pub fn any_leaf(&self, f: &dyn Fn(&StrSource) -> bool) -> bool {
        match self {
            StrSource::Concat(v) | StrSource::Alt(v) | StrSource::Array(v) => {
                v.iter().any(|x| x.any_leaf(f))
            }
            StrSource::Struct(fs) => fs.iter().any(|(_, v)| v.any_leaf(f)),
            StrSource::Project(inner, _) => inner.any_leaf(f),
            leaf => f(leaf),
        }
    }

    /// The value with what each parameter says of itself (for the message when no caller
    /// passes it) rewritten by `f`.
    pub fn describe_params(&self, f: &dyn Fn(&str) -> String) -> StrSource {
        self.map_leaves(&|leaf| match leaf {
            StrSource::Param { index, what } => Some(StrSource::Param {
                index: *index,
                what: f(what),
            }),
            _ => None,
        })
    }

    /// The value with each parameter replaced by what `arg` gives for it (`None`: left as is).
    pub fn substitute(&self, arg: &dyn Fn(usize) -> Option<StrSource>) -> StrSource {
        self.map_leaves(&|leaf| match leaf {
            StrSource::Param { index, .. } => arg(*index),
            _ => None,
        })
    }

    /// Whether a call's returned value is part of the value ([`StrSource::Returned`]).
    pub fn has_returned(&self) -> bool {
        self.any_leaf(&|l| matches!(l, StrSource::Returned { .. }))
    }

    /// The value with each leaf (anything but a concatenation, alternatives, an array, a struct
    /// or a projection) replaced by what `f` gives for it (`None`: left as is).
    pub fn map_leaves(&self, f: &dyn Fn(&StrSource) -> Option<StrSource>) -> StrSource {
        let all = |v: &[StrSource]| v.iter().map(|x| x.map_leaves(f)).collect();
        match self {
            StrSource::Concat(v) => StrSource::Concat(all(v)),
            StrSource::Alt(v) => StrSource::Alt(all(v)),
            StrSource::Array(v) => StrSource::Array(all(v)),
            StrSource::Struct(fs) => StrSource::Struct(
                fs.iter()
                    .map(|(n, v)| (n.clone(), v.map_leaves(f)))
                    .collect(),
            ),
            StrSource::Project(inner, steps) => {
                StrSource::Project(Box::new(inner.map_leaves(f)), steps.clone())
            }
            leaf => f(leaf).unwrap_or_else(|| leaf.clone()),
        }
    }
}

/// What phase 2 made of a `StrSource`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Every possible text (several when branches differ).
    pub texts: Vec<String>,
    /// The first dynamic part met, if any.
    pub dynamic: Option<String>,
}

/// Looks up consts and files for the resolver.
pub trait Lookup {
    /// The value of a const/static named by `path` from `module`.
    fn constant(&self, path: &[String], module: &[String]) -> Option<&StrSource>;
    /// Reads a file for `include_str!` / `query_file!`.
    fn file(&self, path: &str, relative_to_file: bool) -> Option<String>;
    /// Every const named `name` in the crate (`Self::TABLE` in a trait's default method is each
    /// implementor's).
    fn constants_named(&self, _name: &str) -> Vec<&StrSource> {
        Vec::new()
    }
}

const MAX_ALTERNATIVES: usize = 16;
const MAX_DEPTH: usize = 32;

pub fn resolve(src: &StrSource, lookup: &dyn Lookup) -> Resolved {
    let mut out = Resolved::default();
    out.texts = go(src, lookup, &mut out.dynamic, 0);
    out
}

fn go(
    src: &StrSource,
    lookup: &dyn Lookup,
    dynamic: &mut Option<String>,
    depth: usize,
) -> Vec<String> {
    if depth > MAX_DEPTH {
        dynamic.get_or_insert_with(|| "a const that refers to itself".into());
        return Vec::new();
    }
    match src {
        StrSource::Lit(s) => vec![s.clone()],
        StrSource::Dynamic(what) => {
            dynamic.get_or_insert_with(|| what.clone());
            Vec::new()
        }
        StrSource::Param { what, .. } | StrSource::Returned { what, .. } => {
            dynamic.get_or_insert_with(|| what.clone());
            Vec::new()
        }
        StrSource::Array(_) | StrSource::Struct(_) => {
            dynamic.get_or_insert_with(|| "a value that is not a string".into());
            Vec::new()
        }
        StrSource::Project(inner, steps) => {
            let mut v = Vec::new();
            for part in project(inner, steps, lookup, dynamic, depth + 1) {
                v.extend(go(&part, lookup, dynamic, depth + 1));
            }
            v.truncate(MAX_ALTERNATIVES);
            v
        }
        StrSource::Alt(alts) => {
            let mut v = Vec::new();
            for a in alts {
                v.extend(go(a, lookup, dynamic, depth + 1));
            }
            v.truncate(MAX_ALTERNATIVES);
            v
        }
        StrSource::Concat(parts) => {
            let mut acc = vec![String::new()];
            for p in parts {
                let next = go(p, lookup, dynamic, depth + 1);
                if next.is_empty() {
                    return Vec::new();
                }
                let mut combined = Vec::new();
                for a in &acc {
                    for n in &next {
                        if combined.len() < MAX_ALTERNATIVES {
                            combined.push(format!("{a}{n}"));
                        }
                    }
                }
                acc = combined;
            }
            acc
        }
        StrSource::Const(path, module) => match lookup.constant(path, module) {
            Some(v) => go(v, lookup, dynamic, depth + 1),
            None if path.len() == 2 && path[0] == "Self" => {
                let all = lookup.constants_named(&path[1]);
                if all.is_empty() {
                    dynamic.get_or_insert_with(|| {
                        format!("`Self::{}`, which no impl in the crate sets", path[1])
                    });
                }
                let mut v = Vec::new();
                for c in all {
                    v.extend(go(c, lookup, dynamic, depth + 1));
                }
                v.truncate(MAX_ALTERNATIVES);
                v
            }
            None => {
                dynamic.get_or_insert_with(|| {
                    format!(
                        "`{}`, which is not a const or static found in the crate",
                        path.join("::")
                    )
                });
                Vec::new()
            }
        },
        StrSource::File {
            path,
            relative_to_file,
        } => match lookup.file(path, *relative_to_file) {
            Some(text) => vec![text],
            None => {
                dynamic.get_or_insert_with(|| format!("file `{path}`, which cannot be read"));
                Vec::new()
            }
        },
    }
}

/// `src` with every const and file it names replaced by its value, so that it no longer depends
/// on the file it was written in (a query site's text and what its callers pass, joined).
pub fn inline(src: &StrSource, lookup: &dyn Lookup) -> StrSource {
    inline_depth(src, lookup, 0)
}

fn inline_depth(src: &StrSource, lookup: &dyn Lookup, depth: usize) -> StrSource {
    if depth > MAX_DEPTH {
        return StrSource::dynamic("a const that refers to itself");
    }
    let all = |v: &[StrSource]| -> Vec<StrSource> {
        v.iter()
            .map(|x| inline_depth(x, lookup, depth + 1))
            .collect()
    };
    match src {
        StrSource::Const(path, module) => match lookup.constant(path, module) {
            Some(v) => inline_depth(v, lookup, depth + 1),
            None if path.len() == 2 && path[0] == "Self" => {
                let found = lookup.constants_named(&path[1]);
                if found.is_empty() {
                    return StrSource::dynamic(format!(
                        "`Self::{}`, which no impl in the crate sets",
                        path[1]
                    ));
                }
                StrSource::Alt(
                    found
                        .into_iter()
                        .map(|c| inline_depth(c, lookup, depth + 1))
                        .collect(),
                )
            }
            None => {
                let mut d = None;
                go(src, lookup, &mut d, depth + 1);
                StrSource::Dynamic(d.unwrap_or_default())
            }
        },
        StrSource::File { .. } => {
            let mut d = None;
            match go(src, lookup, &mut d, depth + 1).pop() {
                Some(text) => StrSource::Lit(text),
                None => StrSource::Dynamic(d.unwrap_or_default()),
            }
        }
        StrSource::Concat(v) => StrSource::Concat(all(v)),
        StrSource::Alt(v) => StrSource::Alt(all(v)),
        StrSource::Array(v) => StrSource::Array(all(v)),
        StrSource::Struct(f) => StrSource::Struct(
            f.iter()
                .map(|(n, v)| (n.clone(), inline_depth(v, lookup, depth + 1)))
                .collect(),
        ),
        StrSource::Project(inner, steps) => StrSource::Project(
            Box::new(inline_depth(inner, lookup, depth + 1)),
            steps.clone(),
        ),
        other => other.clone(),
    }
}

/// The parts of `src` that `steps` pick: consts followed, alternatives distributed, an array's
/// elements for [`Step::Elem`], a struct's field for [`Step::Field`].
fn project(
    src: &StrSource,
    steps: &[Step],
    lookup: &dyn Lookup,
    dynamic: &mut Option<String>,
    depth: usize,
) -> Vec<StrSource> {
    let Some((step, rest)) = steps.split_first() else {
        return vec![src.clone()];
    };
    if depth > MAX_DEPTH {
        dynamic.get_or_insert_with(|| "a const that refers to itself".into());
        return Vec::new();
    }
    let mut out = Vec::new();
    let next = |part: &StrSource, out: &mut Vec<StrSource>, dynamic: &mut Option<String>| {
        out.extend(project(part, rest, lookup, dynamic, depth + 1));
    };
    match (src, step) {
        (StrSource::Const(path, module), _) => match lookup.constant(path, module) {
            Some(v) => return project(v, steps, lookup, dynamic, depth + 1),
            None => {
                go(src, lookup, dynamic, depth + 1);
            }
        },
        (StrSource::Alt(alts), _) => {
            for a in alts {
                out.extend(project(a, steps, lookup, dynamic, depth + 1));
            }
        }
        (StrSource::Project(inner, first), _) => {
            let mut all = first.clone();
            all.extend(steps.iter().cloned());
            return project(inner, &all, lookup, dynamic, depth + 1);
        }
        (StrSource::Array(items), Step::Elem) => {
            for i in items {
                next(i, &mut out, dynamic);
            }
        }
        (StrSource::Struct(fields), Step::Field(f)) => match fields.iter().find(|(n, _)| n == f) {
            Some((_, v)) => next(v, &mut out, dynamic),
            None => {
                dynamic.get_or_insert_with(|| format!("field `{f}` of a struct value"));
            }
        },
        (StrSource::Dynamic(_) | StrSource::Param { .. } | StrSource::Returned { .. }, _) => {
            go(src, lookup, dynamic, depth + 1);
        }
        (_, Step::Elem) => {
            dynamic.get_or_insert_with(|| "an element of a value that is not an array".into());
        }
        (_, Step::Field(f)) => {
            dynamic.get_or_insert_with(|| format!("field `{f}` of a value that is not a struct"));
        }
    }
    out.truncate(MAX_ALTERNATIVES);
    out
}

/// Reads `rel` against `base`, refusing nothing but missing files.
pub fn read_relative(base: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(base.join(rel)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Consts(Vec<(&'static str, StrSource)>);

    impl Lookup for Consts {
        fn constant(&self, path: &[String], _module: &[String]) -> Option<&StrSource> {
            self.0
                .iter()
                .find(|(n, _)| path.last().is_some_and(|l| l == n))
                .map(|(_, v)| v)
        }
        fn file(&self, _path: &str, _relative_to_file: bool) -> Option<String> {
            None
        }
    }

    fn lit(s: &str) -> StrSource {
        StrSource::Lit(s.into())
    }

    #[test]
    fn parts_of_a_static_table_of_structs() {
        // static M: &[Mig] = &[Mig { sql: &["a", "b"] }, Mig { sql: &["c"] }]
        let table = StrSource::Array(vec![
            StrSource::Struct(vec![(
                "sql".into(),
                StrSource::Array(vec![lit("a"), lit("b")]),
            )]),
            StrSource::Struct(vec![("sql".into(), StrSource::Array(vec![lit("c")]))]),
        ]);
        let lookup = Consts(vec![("M", table)]);
        // for m in M { for s in m.sql { .. s .. } }
        let m = StrSource::Project(
            Box::new(StrSource::Const(vec!["M".into()], Default::default())),
            vec![Step::Elem],
        );
        let s = StrSource::Project(Box::new(m), vec![Step::Field("sql".into()), Step::Elem]);
        assert_eq!(resolve(&s, &lookup).texts, ["a", "b", "c"]);
        // A field the struct does not have, an element of a string: dynamic.
        let bad = StrSource::Project(
            Box::new(StrSource::Const(vec!["M".into()], Default::default())),
            vec![Step::Elem, Step::Field("nope".into())],
        );
        assert!(resolve(&bad, &lookup).dynamic.is_some());
        let bad = StrSource::Project(Box::new(lit("x")), vec![Step::Elem]);
        assert!(resolve(&bad, &lookup).dynamic.is_some());
    }

    #[test]
    fn parameters_resolve_through_what_a_caller_passes() {
        let site = StrSource::Concat(vec![
            lit("INSERT INTO "),
            StrSource::Param {
                index: 1,
                what: "parameter `table`".into(),
            },
            lit(" (org_id) VALUES ($1)"),
        ]);
        assert!(site.has_params());
        let alone = resolve(&site, &Consts(vec![]));
        assert_eq!(alone.dynamic.as_deref(), Some("parameter `table`"));
        let passed = site.substitute(&|i| (i == 1).then(|| lit("invoices")));
        assert!(!passed.has_params());
        assert_eq!(
            resolve(&passed, &Consts(vec![])).texts,
            ["INSERT INTO invoices (org_id) VALUES ($1)"]
        );
    }
}
