//! Where a string (SQL text, a const's value) comes from, and how phase 2 resolves it.

use std::path::Path;

/// A string value as the code builds it, before consts and files are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrSource {
    Lit(String),
    /// Pieces joined in order (`concat!`, `+`).
    Concat(Vec<StrSource>),
    /// One of several values (`if`/`match` branches).
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
}

impl StrSource {
    pub fn dynamic(what: impl Into<String>) -> StrSource {
        StrSource::Dynamic(what.into())
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

/// Reads `rel` against `base`, refusing nothing but missing files.
pub fn read_relative(base: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(base.join(rel)).ok()
}
