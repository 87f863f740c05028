//! Phase 1: every file read, parsed and walked once, in parallel, its syntax tree dropped after.
//! Over a workspace's module trees, each crate root (lib, bins) is extracted, then every file its
//! `mod x;` declarations name, as soon as its parent is done (rayon tasks, no barrier between
//! levels). A file reached twice keeps the smallest module path, so the result does not depend
//! on which task ran first.

use crate::config::Config;
use crate::diagnostic::Span;
use crate::error;
use crate::extract::{self, FileFacts, ModDecl, ParseError};
use crate::workspace::{rel_path, SourceFile, Workspace};
use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// What phase 1 gives: the files audited (sorted by path; `facts[i]` is `sources[i]`'s) and
/// the `.rs` files of the packages that no crate's module tree reaches.
pub struct Extracted {
    pub sources: Vec<SourceFile>,
    pub facts: Vec<FileFacts>,
    /// Paths relative to the workspace root, sorted.
    pub unreached: Vec<String>,
}

/// Phase 1 in parallel, on threads with room for deep syntax trees. A workspace's files are
/// what its crates' module trees reach, from each lib and bin root through `mod x;`
/// (`x.rs`, `x/mod.rs`, `#[path]`, inside inline modules; `#[cfg(test)] mod` is not followed):
/// each file is extracted as soon as its parent is. A plain folder or a single file is
/// extracted whole. The call facts no workspace fn can answer are dropped once every file is
/// in ([`crate::callgraph::drop_unresolvable`]).
pub fn extract_all(
    ws: &Workspace,
    config: &Config,
    threads: Option<usize>,
) -> error::Result<Extracted> {
    let mut out = extract_every_call(ws, config, threads)?;
    crate::callgraph::drop_unresolvable(&mut out.facts);
    Ok(out)
}

/// [`extract_all`] with every call fact kept.
pub(crate) fn extract_every_call(
    ws: &Workspace,
    config: &Config,
    threads: Option<usize>,
) -> error::Result<Extracted> {
    let pool = worker_pool(threads)?;
    if !ws.module_tree {
        let facts = pool.install(|| {
            ws.files
                .par_iter()
                .enumerate()
                .map(|(i, f)| extract_one(ws, config, f, i))
                .collect()
        });
        return Ok(Extracted {
            sources: ws.files.clone(),
            facts,
            unreached: Vec::new(),
        });
    }
    let tree = Tree::new(ws, config);
    pool.install(|| tree.walk());
    Ok(tree.finish())
}

/// How many threads a parallel step of phase 2 uses: as many as [`worker_pool`] starts.
/// `threads` if given (at least 1), else `RAYON_NUM_THREADS` if it is a number above 0 (as
/// rayon reads it), else one per core.
pub(crate) fn thread_count(threads: Option<usize>) -> usize {
    let from_env = || {
        std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
    };
    match threads {
        Some(n) => n.max(1),
        None => from_env()
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

pub(crate) fn worker_pool(threads: Option<usize>) -> error::Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(256 << 20);
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    builder
        .build()
        .map_err(|e| error::Error::new(format!("cannot start worker threads: {e}")))
}

pub(crate) fn extract_one(
    ws: &Workspace,
    config: &Config,
    file: &SourceFile,
    i: usize,
) -> FileFacts {
    let pkg = &ws.packages[file.package];
    let failed = |message: String, internal: bool| FileFacts {
        file: i,
        package: file.package,
        module: file.module.clone().into(),
        parse_error: Some(ParseError {
            span: Span::point(1, 1),
            message,
            internal,
        }),
        ..FileFacts::default()
    };
    let bytes = match std::fs::read(&file.abs) {
        Ok(b) => b,
        Err(e) => return failed(format!("cannot read the file: {e}"), false),
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return failed(
                format!(
                    "the file is not valid UTF-8 (byte {})",
                    e.utf8_error().valid_up_to()
                ),
                false,
            )
        }
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Test hook (debug builds only, never in release): panic on files whose name contains
        // the value of TENANT_AUDIT_TEST_PANIC, to prove a panic becomes TA001 and exit 2.
        #[cfg(debug_assertions)]
        if let Some(needle) = std::env::var_os("TENANT_AUDIT_TEST_PANIC") {
            if !needle.is_empty() && file.rel.contains(&*needle.to_string_lossy()) {
                panic!("deliberate test panic in {}", file.rel);
            }
        }
        extract::extract_file(config, crate::registry::plugins(), pkg, file, i, &text)
    }));
    // proc-macro2 keeps every parsed file's line table for the thread's lifetime: free it.
    proc_macro2::extra::invalidate_current_thread_spans();
    match result {
        Ok(f) => f,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            failed(format!("internal error: {what}"), true)
        }
    }
}

struct Tree<'w> {
    ws: &'w Workspace,
    config: &'w Config,
    /// Absolute path -> the module path it was (last) extracted with.
    claimed: Mutex<HashMap<PathBuf, Vec<String>>>,
    done: Mutex<Vec<(SourceFile, FileFacts)>>,
}

impl<'w> Tree<'w> {
    pub(crate) fn new(ws: &'w Workspace, config: &'w Config) -> Tree<'w> {
        Tree {
            ws,
            config,
            claimed: Mutex::new(HashMap::new()),
            done: Mutex::new(Vec::new()),
        }
    }

    /// Extracts every file the crate roots reach.
    pub(crate) fn walk(&self) {
        rayon::scope(|s| {
            for (pi, pkg) in self.ws.packages.iter().enumerate() {
                for root in &pkg.targets {
                    let abs = normalize(root);
                    let file = SourceFile {
                        rel: rel_path(&self.ws.root, &abs),
                        abs,
                        package: pi,
                        module: Vec::new(),
                        crate_root: true,
                    };
                    s.spawn(move |s| self.visit(s, file));
                }
            }
        });
    }

    fn visit<'s>(&'s self, s: &rayon::Scope<'s>, file: SourceFile) {
        {
            let mut claimed = self.claimed.lock().unwrap_or_else(|p| p.into_inner());
            match claimed.get(&file.abs) {
                Some(m) if *m <= file.module => return,
                _ => {
                    claimed.insert(file.abs.clone(), file.module.clone());
                }
            }
        }
        let facts = extract_one(self.ws, self.config, &file, 0);
        let children = children(&file, &facts.mods, &self.ws.root);
        self.done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((file, facts));
        for child in children {
            s.spawn(move |s| self.visit(s, child));
        }
    }

    /// The files, sorted by path (each once, with its smallest module path), and the listed
    /// files that were not reached.
    pub(crate) fn finish(self) -> Extracted {
        let mut done = self.done.into_inner().unwrap_or_else(|p| p.into_inner());
        done.sort_by(|a, b| (&a.0.rel, &a.0.module).cmp(&(&b.0.rel, &b.0.module)));
        done.dedup_by(|later, first| later.0.abs == first.0.abs);
        let reached: BTreeSet<&Path> = done.iter().map(|(f, _)| f.abs.as_path()).collect();
        let mut unreached: Vec<String> = self
            .ws
            .files
            .iter()
            .filter(|f| !reached.contains(normalize(&f.abs).as_path()))
            .map(|f| f.rel.clone())
            .collect();
        unreached.sort();
        let mut sources = Vec::with_capacity(done.len());
        let mut facts = Vec::with_capacity(done.len());
        for (i, (src, mut f)) in done.into_iter().enumerate() {
            f.file = i;
            sources.push(src);
            facts.push(f);
        }
        Extracted {
            sources,
            facts,
            unreached,
        }
    }
}

/// The files `mod x;` declarations of `parent` name, that exist.
fn children(parent: &SourceFile, mods: &[ModDecl], root: &Path) -> Vec<SourceFile> {
    let dir = parent.abs.parent().unwrap_or(Path::new("/"));
    // A crate root or a `mod.rs` keeps its children beside it; `a.rs` keeps them in `a/`.
    let mod_rs = parent.crate_root || parent.abs.file_name().is_some_and(|n| n == "mod.rs");
    let base = if mod_rs {
        dir.to_path_buf()
    } else {
        dir.join(parent.abs.file_stem().unwrap_or_default())
    };
    let mut out = Vec::new();
    for m in mods {
        let mut inner = base.clone();
        for seg in &m.inline {
            inner.push(seg);
        }
        let candidates: Vec<PathBuf> = match &m.path {
            // `#[path]` outside inline modules is relative to the file's own folder.
            Some(p) if m.inline.is_empty() => vec![dir.join(p)],
            Some(p) => vec![inner.join(p)],
            None => vec![
                inner.join(format!("{}.rs", m.name)),
                inner.join(&m.name).join("mod.rs"),
            ],
        };
        let Some(abs) = candidates
            .into_iter()
            .map(|p| normalize(&p))
            .find(|p| p.is_file())
        else {
            continue;
        };
        let mut module = parent.module.clone();
        module.extend(m.inline.iter().cloned());
        module.push(m.name.clone());
        out.push(SourceFile {
            rel: rel_path(root, &abs),
            abs,
            package: parent.package,
            module,
            crate_root: false,
        });
    }
    out
}

/// `a/b/../c` -> `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(abs: &str, module: &[&str], root: bool) -> SourceFile {
        SourceFile {
            abs: PathBuf::from(abs),
            rel: String::new(),
            package: 0,
            module: module.iter().map(|s| s.to_string()).collect(),
            crate_root: root,
        }
    }

    fn decl(name: &str, path: Option<&str>, inline: &[&str]) -> ModDecl {
        ModDecl {
            name: name.into(),
            path: path.map(String::from),
            inline: inline.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn children_follow_the_compilers_rules() {
        let dir = tempfile_dir();
        let f = |rel: &str| {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        };
        f("src/lib.rs");
        f("src/api.rs");
        f("src/api/users.rs");
        f("src/db/mod.rs");
        f("src/db/pool.rs");
        f("src/other/place.rs");
        f("src/inline/nested.rs");
        let root = dir.to_string_lossy().to_string();
        let lib = src(&format!("{root}/src/lib.rs"), &[], true);
        let kids = children(
            &lib,
            &[
                decl("api", None, &[]),
                decl("db", None, &[]),
                decl("gone", None, &[]),
                decl("moved", Some("other/place.rs"), &[]),
                decl("nested", None, &["inline"]),
            ],
            &dir,
        );
        let got: Vec<(String, String)> = kids
            .iter()
            .map(|k| (k.rel.clone(), k.module.join("::")))
            .collect();
        assert_eq!(
            got,
            vec![
                ("src/api.rs".to_string(), "api".to_string()),
                ("src/db/mod.rs".into(), "db".into()),
                ("src/other/place.rs".into(), "moved".into()),
                ("src/inline/nested.rs".into(), "inline::nested".into()),
            ]
        );
        // `api.rs` keeps its children in `api/`; `db/mod.rs` beside it.
        let api = &kids[0];
        let users = children(api, &[decl("users", None, &[])], &dir);
        assert_eq!(users[0].rel, "src/api/users.rs");
        assert_eq!(users[0].module, vec!["api", "users"]);
        let pool = children(&kids[1], &[decl("pool", None, &[])], &dir);
        assert_eq!(pool[0].rel, "src/db/pool.rs");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "tenant-audit-tree-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn paths_normalize_without_the_file_system() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d.rs")),
            PathBuf::from("/a/c/d.rs")
        );
    }
}
