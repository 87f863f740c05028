//! tenant-audit-engine: the analysis behind `cargo tenant-audit`.
//!
//! Data flows one way, in two phases, and no syntax tree outlives its file:
//! 1. **Extract** (parallel, one file at a time): read, `syn::parse_file`, one visitor walk that
//!    records the file's facts ([`extract`]), drop the tree.
//! 2. **Resolve and judge**: the [`index`] joins facts across files, each rule in [`rules`] turns
//!    them into [`diagnostic::Diagnostic`]s, the [`bypass`] pass marks what is covered, the
//!    result is sorted and handed to a renderer in [`render`].

pub mod baseline;
pub mod bypass;
pub mod cache;
pub mod config;
pub mod db;
pub mod diagnostic;
pub mod error;
pub mod extract;
pub mod frameworks;
pub mod index;
pub mod init;
pub mod render;
pub mod rules;
pub mod sql;
pub mod strings;
pub mod workspace;

use config::Config;
use diagnostic::{Diagnostic, Severity, Span};
use error::Result;
use extract::{FileFacts, ParseError};
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use workspace::{Selection, Workspace};

/// What to audit and how.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// A manifest path or a folder; empty = the current directory.
    pub path: PathBuf,
    pub selection: Selection,
    pub config: Option<PathBuf>,
    /// Report only findings in these files or folders (the whole workspace is still indexed).
    pub only: Vec<PathBuf>,
    /// `-D/-W/-A`: rule code -> severity (None = off), applied in order after the config.
    pub overrides: Vec<(String, Option<Severity>)>,
    /// Worker threads; None = rayon's default.
    pub threads: Option<usize>,
}

/// Counts of what was audited.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub parse_errors: usize,
    pub handlers: usize,
    pub queries: usize,
    pub cache_calls: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// Files the tool itself failed on (exit 2).
    #[serde(skip)]
    pub internal_errors: usize,
}

/// The result of an audit.
pub struct Report {
    pub root: PathBuf,
    pub config: Config,
    /// Sorted by file, line, column, code.
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
    pub bypasses: Vec<bypass::Bypass>,
    pub routes: Vec<frameworks::inventory::Route>,
}

impl Report {
    /// Findings not covered by a bypass.
    pub fn active(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.bypassed())
    }
}

/// Runs the whole audit.
pub fn audit(opts: &Options) -> Result<Report> {
    let ws = discover(opts)?;
    let explicit = opts.config.as_deref().map(config::absolute);
    let config = Config::discover(&ws.root, explicit.as_deref(), known())?;
    for (code, _) in &opts.overrides {
        if tenant_audit_syntax::find_rule(code).is_none() {
            return Err(error::Error::new(format!(
                "unknown rule `{code}` (see `cargo tenant-audit rules`)"
            )));
        }
    }
    let overrides: Vec<(String, Option<Severity>)> = opts
        .overrides
        .iter()
        .filter_map(|(c, s)| tenant_audit_syntax::find_rule(c).map(|r| (r.code.to_string(), *s)))
        .collect();
    let timings = std::env::var_os("TENANT_AUDIT_TIMINGS").is_some();
    let started = std::time::Instant::now();
    let files = extract_all(&ws, &config, opts.threads)?;
    let extracted = started.elapsed();
    let report = judge(&ws, config, &files, &overrides, &opts.only);
    let judged = started.elapsed();
    // Every file's facts are freed off the critical path: a CLI run exits before this thread
    // is done, a library caller gets its report without waiting for ~100k small frees.
    let _ = std::thread::Builder::new().spawn(move || drop(files));
    if timings {
        eprintln!(
            "tenant-audit timings: extract {:?}, judge {:?}",
            extracted,
            judged - extracted
        );
    }
    Ok(report)
}

/// The names config validation checks against.
fn known() -> config::Known<'static> {
    config::Known {
        frameworks: frameworks::KNOWN,
    }
}

/// The config that applies at `opts.path` (or `opts.config`), found without listing the
/// workspace's files: for `explain`.
pub fn nearest_config(opts: &Options) -> Result<Config> {
    let start = if opts.path.as_os_str().is_empty() {
        PathBuf::from(".")
    } else if opts.path.is_file() {
        opts.path
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_else(|| PathBuf::from("."))
    } else {
        opts.path.clone()
    };
    let explicit = opts.config.as_deref().map(config::absolute);
    Config::find_upward(&start, explicit.as_deref(), known())
}

/// The workspace to audit. Finding no Rust file at all is an error, never a clean run: it is
/// the wrong folder, or the files are all in places that are skipped.
fn discover(opts: &Options) -> Result<Workspace> {
    let ws = Workspace::discover(&opts.path, &opts.selection)?;
    if ws.files.is_empty() {
        let searched = if ws.packages.iter().all(|p| p.plain) {
            "the folder was read as plain files (it has no Cargo.toml)".to_string()
        } else {
            let names: Vec<&str> = ws.packages.iter().map(|p| p.name.as_str()).collect();
            format!(
                "searched the {} {}",
                if names.len() == 1 {
                    "package"
                } else {
                    "packages"
                },
                names.join(", ")
            )
        };
        return Err(error::Error::new(format!(
            "no Rust files found under {}",
            ws.root.display()
        ))
        .with_help(format!(
            "{searched}; `target/`, hidden folders and the members' tests/, benches/, examples/ and fixtures/ are skipped. Run it in the workspace, or point --manifest-path at its Cargo.toml"
        )));
    }
    Ok(ws)
}

/// Phase 1 over every file, in parallel, on threads with room for deep syntax trees.
pub fn extract_all(
    ws: &Workspace,
    config: &Config,
    threads: Option<usize>,
) -> Result<Vec<FileFacts>> {
    let pool = worker_pool(threads)?;
    Ok(pool.install(|| {
        (0..ws.files.len())
            .into_par_iter()
            .map(|i| extract_one(ws, config, i))
            .collect()
    }))
}

/// The parse floor the audit is measured against (`--parse-only`, scripts/bench.sh): the same
/// discovery, thread pool and reading as [`audit`], then `syn::parse_file` on every file in
/// parallel and nothing else. Returns the number of files that parsed.
pub fn parse_floor(opts: &Options) -> Result<usize> {
    let ws = discover(opts)?;
    let pool = worker_pool(opts.threads)?;
    Ok(pool.install(|| {
        ws.files
            .par_iter()
            .map(|file| {
                let Ok(bytes) = std::fs::read(&file.abs) else {
                    return 0;
                };
                let Ok(text) = String::from_utf8(bytes) else {
                    return 0;
                };
                let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
                let ok = syn::parse_file(text).is_ok() as usize;
                proc_macro2::extra::invalidate_current_thread_spans();
                ok
            })
            .sum()
    }))
}

fn worker_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(256 << 20);
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    builder
        .build()
        .map_err(|e| error::Error::new(format!("cannot start worker threads: {e}")))
}

fn extract_one(ws: &Workspace, config: &Config, i: usize) -> FileFacts {
    let file = &ws.files[i];
    let pkg = &ws.packages[file.package];
    let failed = |message: String, internal: bool| FileFacts {
        file: i,
        package: file.package,
        module: file.module.clone(),
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
        extract::extract_file(config, pkg, file, i, &text)
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

/// Phase 2: index, rules, bypasses, sort.
pub fn judge(
    ws: &Workspace,
    config: Config,
    files: &[FileFacts],
    overrides: &[(String, Option<Severity>)],
    only: &[PathBuf],
) -> Report {
    let index = index::Index::build(ws, &config, files);
    // The three cross-file joins are independent: run them side by side.
    let (endpoints, queries, caches) = std::thread::scope(|scope| {
        let queries = scope.spawn(|| db::judge::judge_all(&index));
        let caches = scope.spawn(|| cache::resolve(&index));
        let endpoints = frameworks::endpoints::endpoints(&index);
        let queries = queries
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        let caches = caches
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (endpoints, queries, caches)
    });
    let mut cx = rules::RuleCx {
        index: &index,
        endpoints: &endpoints,
        queries: &queries,
        caches: &caches,
        overrides,
        out: Vec::new(),
    };
    for rule in rules::RULES {
        rule.check(&mut cx);
    }
    let cache_calls = caches.len();
    let usage = bypass::apply(&index, &endpoints, &mut cx.out);
    for rule in rules::RULES {
        rule.check_bypasses(&mut cx, &usage);
    }
    let mut diagnostics = cx.out;

    // Report only what the user asked about: selected packages, given paths.
    let selected_files: std::collections::HashSet<&str> = ws
        .files
        .iter()
        .filter(|f| ws.selected.contains(&f.package))
        .map(|f| f.rel.as_str())
        .collect();
    let all_files: std::collections::HashSet<&str> =
        ws.files.iter().map(|f| f.rel.as_str()).collect();
    let only_rel: Vec<String> = only
        .iter()
        .map(|p| workspace::rel_arg(&ws.root, p))
        .collect();
    diagnostics.retain(|d| {
        let in_source = all_files.contains(d.file.as_str());
        let selected = !in_source || selected_files.contains(d.file.as_str());
        let wanted = only_rel.is_empty()
            || only_rel
                .iter()
                .any(|p| p.is_empty() || d.file == *p || d.file.starts_with(&format!("{p}/")));
        selected && wanted
    });
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup_by(|a, b| {
        a.code == b.code && a.file == b.file && a.span == b.span && a.message == b.message
    });
    diagnostic::number_repeats(&mut diagnostics);

    let mut summary = Summary {
        files: files.len(),
        parse_errors: files.iter().filter(|f| f.parse_error.is_some()).count(),
        internal_errors: files
            .iter()
            .filter(|f| f.parse_error.as_ref().is_some_and(|e| e.internal))
            .count(),
        handlers: frameworks::endpoints::by_handler(&endpoints).len(),
        queries: files.iter().map(|f| f.queries.len()).sum(),
        cache_calls,
        ..Summary::default()
    };
    for d in diagnostics.iter().filter(|d| !d.bypassed()) {
        match d.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Note => summary.notes += 1,
        }
    }
    let routes = frameworks::inventory::build(&index, &endpoints, &usage);
    Report {
        root: ws.root.clone(),
        diagnostics,
        summary,
        bypasses: usage.bypasses,
        routes,
        config,
    }
}
