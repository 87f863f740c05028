//! tenant-audit-engine: the analysis behind `cargo tenant-audit`.
//!
//! Data flows one way, in two phases, and no syntax tree outlives its file:
//! 1. **Extract** (parallel, one file at a time): read, `syn::parse_file`, one visitor walk that
//!    records the file's facts ([`extract`]), drop the tree.
//! 2. **Resolve and judge**: the [`index`] joins facts across files, each rule in [`rules`] turns
//!    them into [`diagnostic::Diagnostic`]s, the [`bypass`] pass marks what is covered, the
//!    result is sorted and handed to a renderer in [`render`].

pub mod ast;
pub mod baseline;
pub mod bypass;
pub mod cache;
pub mod callgraph;
pub mod config;
pub mod db;
pub mod diagnostic;
pub mod error;
pub mod extract;
pub mod frameworks;
pub mod index;
pub mod init;
pub mod intern;
pub mod inventory;
pub mod phase1;
pub mod reach;
pub mod registry;
pub mod render;
pub mod rules;
pub mod sql;
pub mod strings;
pub mod workspace;

#[cfg(test)]
mod layering_tests;
#[cfg(test)]
pub(crate) mod test_support;

use config::Config;
use diagnostic::{Diagnostic, Severity, Span};
use error::Result;
use extract::FileFacts;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
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
    /// Worker threads of phase 1 and of the call graph; None = one per core, or
    /// `RAYON_NUM_THREADS` if set.
    pub threads: Option<usize>,
    /// Build the endpoint inventory (`Report::routes`, for `routes`); a check leaves it empty.
    pub inventory: bool,
    /// The caller exits once it has the report (the CLI): the facts, the index and the call
    /// graph are left to the operating system instead of being freed one by one (1-2% of a
    /// run's CPU time).
    /// A caller that audits again in the same process (the tests, a program embedding the
    /// engine) leaves it off.
    pub exits_after: bool,
}

/// Counts of what was audited.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub parse_errors: usize,
    pub handlers: usize,
    pub queries: usize,
    pub cache_calls: usize,
    /// Calls on receivers that look like caches but whose type could not be known: not
    /// judged (`cache::types::looks_like_cache`; `--verbose` lists them).
    pub unresolved_cache_receivers: usize,
    /// `.rs` files of the packages that no crate's module tree reaches (not audited).
    pub unreached_files: usize,
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
    pub routes: Vec<inventory::Route>,
    /// The files no crate's module tree reaches (relative paths, sorted).
    pub unreached: Vec<String>,
    /// Calls on receivers that look like caches but could not be typed: `file:line receiver`,
    /// sorted.
    pub unresolved_caches: Vec<String>,
    /// The workspaces' packages (renderers that name the package of a file: `--format cargo`).
    pub packages: Vec<workspace::Package>,
}

impl Report {
    /// One report of several workspaces audited on their own (their paths are all relative to
    /// the folder audited): findings, bypasses and routes together, counts added up.
    fn merge(mut reports: Vec<Report>) -> Report {
        if reports.len() > 1 {
            unmatched_in_every_sharer(&mut reports);
        }
        let mut first = reports.remove(0);
        for r in reports {
            first.diagnostics.extend(r.diagnostics);
            first.bypasses.extend(r.bypasses);
            first.routes.extend(r.routes);
            first.unreached.extend(r.unreached);
            first.unresolved_caches.extend(r.unresolved_caches);
            first.packages.extend(r.packages);
            let (a, b) = (&mut first.summary, r.summary);
            a.files += b.files;
            a.parse_errors += b.parse_errors;
            a.handlers += b.handlers;
            a.queries += b.queries;
            a.cache_calls += b.cache_calls;
            a.unresolved_cache_receivers += b.unresolved_cache_receivers;
            a.unreached_files += b.unreached_files;
            a.internal_errors += b.internal_errors;
        }
        let s = &mut first.summary;
        (s.errors, s.warnings, s.notes) = (0, 0, 0);
        for d in first.diagnostics.iter().filter(|d| !d.bypassed()) {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Note => s.notes += 1,
            }
        }
        first
            .diagnostics
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        first.routes.sort_by(|a, b| {
            (&a.path, &a.methods, &a.handler).cmp(&(&b.path, &b.methods, &b.handler))
        });
        first.unreached.sort();
        first.unresolved_caches.sort();
        first
    }

    /// Findings not covered by a bypass.
    pub fn active(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.bypassed())
    }
}

/// One config file read by several workspaces (a checkout's, above workspaces of its own: svix's
/// `server/`, `bridge/`, `svix-cli/`): an entry of it matches nothing (TA903) only when it
/// matches nothing in every one of them, and is then reported once.
fn unmatched_in_every_sharer(reports: &mut [Report]) {
    use rules::Rule;
    let code = rules::UnmatchedConfig.meta().code;
    let mut sharers: HashMap<String, usize> = HashMap::new();
    for r in reports.iter() {
        if let Some(src) = &r.config.source {
            *sharers.entry(src.display.clone()).or_default() += 1;
        }
    }
    let mut unmatched: HashMap<(String, Span), usize> = HashMap::new();
    for d in reports.iter().flat_map(|r| &r.diagnostics) {
        if d.code == code {
            *unmatched.entry((d.file.clone(), d.span)).or_default() += 1;
        }
    }
    let mut kept: HashSet<(String, Span)> = HashSet::new();
    for r in reports.iter_mut() {
        r.diagnostics.retain(|d| {
            let Some(&n) = sharers.get(&d.file) else {
                return true;
            };
            if d.code != code || n < 2 {
                return true;
            }
            let key = (d.file.clone(), d.span);
            unmatched[&key] == n && kept.insert(key)
        });
    }
}

/// Runs the whole audit: every cargo workspace at or below the path, each with its own index
/// and config, one report.
pub fn audit(opts: &Options) -> Result<Report> {
    let workspaces = discover(opts)?;
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
    let explicit = opts.config.as_ref().map(|p| config::absolute(p));
    let mut reports = Vec::new();
    let n = workspaces.len();
    for (i, ws) in workspaces.into_iter().enumerate() {
        let config = workspace_config(&ws, explicit.as_deref())?;
        let opts = workspace_options(opts, i, n);
        reports.push(audit_workspace(ws, config, &overrides, &opts)?);
    }
    Ok(Report::merge(reports))
}

/// The options the `i`th of `n` workspaces is audited with: only the last may leave its facts
/// to the operating system (`exits_after`). The others' are freed before the next one is
/// audited, so a folder of workspaces peaks at its largest, not at their sum.
fn workspace_options(opts: &Options, i: usize, n: usize) -> std::borrow::Cow<'_, Options> {
    if opts.exits_after && i + 1 < n {
        std::borrow::Cow::Owned(Options {
            exits_after: false,
            ..opts.clone()
        })
    } else {
        std::borrow::Cow::Borrowed(opts)
    }
}

/// The config of one workspace: `--config`; else its own (a config file or Cargo.toml metadata
/// at its root); else, for a workspace found below the folder audited, the folder's; else the
/// defaults. A config file's path is shown relative to the folder audited.
fn workspace_config(ws: &Workspace, explicit: Option<&std::path::Path>) -> Result<Config> {
    if let Some(p) = explicit {
        return Config::discover(&ws.root, Some(p), known());
    }
    let mut own = Config::discover(&ws.manifest_root, None, known())?;
    if ws.manifest_root == ws.root {
        return Ok(own);
    }
    if own.source.is_none() {
        return Config::discover(&ws.root, None, known());
    }
    if let Some(src) = &mut own.source {
        let prefix = workspace::rel_path(&ws.root, &ws.manifest_root);
        if !prefix.is_empty() && !src.display.starts_with('/') {
            src.display = format!("{prefix}/{}", src.display);
        }
    }
    Ok(own)
}

fn audit_workspace(
    mut ws: Workspace,
    config: Config,
    overrides: &[(String, Option<Severity>)],
    opts: &Options,
) -> Result<Report> {
    let timings = std::env::var_os("TENANT_AUDIT_TIMINGS").is_some();
    let started = std::time::Instant::now();
    let extracted = phase1::extract_all(&ws, &config, opts.threads)?;
    ws.files = extracted.sources;
    let files = extracted.facts;
    let extract_time = started.elapsed();
    let mut report = judge(&ws, config, &files, overrides, opts);
    report.summary.unreached_files = extracted.unreached.len();
    report.unreached = extracted.unreached;
    let judged = started.elapsed();
    if opts.exits_after {
        std::mem::forget(files);
    } else {
        // The caller gets its report without waiting for ~100k small frees.
        free_in_background(files);
    }
    if timings {
        eprintln!(
            "tenant-audit timings: extract {:?}, judge {:?}",
            extract_time,
            judged - extract_time
        );
    }
    Ok(report)
}

/// Drops `garbage` on a thread of its own, off the critical path; without a thread to spare, here.
fn free_in_background<T: Send + 'static>(garbage: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(garbage));
}

/// The JSON Schema of tenant-audit.toml, as `config-schema` prints it and
/// `tenant-audit.schema.json` holds it: the config's keys with the registry's rules and
/// frameworks spelled out.
pub fn config_schema_text() -> String {
    let rules = rules::RULES
        .iter()
        .map(|r| {
            let m = r.meta();
            (m.code, m.name, m.summary, m.default_severity.as_str())
        })
        .collect();
    config::schema::schema_text(&config::schema::Names {
        rules,
        frameworks: registry::framework_names().to_vec(),
    })
}

/// The names config validation checks against.
fn known() -> config::Known<'static> {
    config::Known {
        frameworks: registry::framework_names(),
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

/// The workspaces to audit. Finding no Rust file at all is an error, never a clean run: it is
/// the wrong folder, or the files are all in places that are skipped.
pub(crate) fn discover(opts: &Options) -> Result<Vec<Workspace>> {
    let all = Workspace::discover_all(&opts.path, &opts.selection)?;
    if all.iter().all(|ws| ws.files.is_empty()) {
        let ws = &all[0];
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
    Ok(all)
}

/// The parse floor the audit is measured against (`--parse-only`, scripts/bench.sh): the same
/// discovery, thread pool and reading as [`audit`], then `syn::parse_file` on every file in
/// parallel and nothing else: every file of every workspace below the path, as the audit reads
/// them. Returns the number of files that parsed.
pub fn parse_floor(opts: &Options) -> Result<usize> {
    let workspaces = discover(opts)?;
    let pool = phase1::worker_pool(opts.threads)?;
    Ok(pool.install(|| {
        workspaces
            .iter()
            .flat_map(|ws| &ws.files)
            .collect::<Vec<_>>()
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

/// Phase 2: index, rules, bypasses, sort. Of the options, it reads `only`, `inventory` and
/// `exits_after`.
pub fn judge(
    ws: &Workspace,
    config: Config,
    files: &[FileFacts],
    overrides: &[(String, Option<Severity>)],
    opts: &Options,
) -> Report {
    let (only, inventory) = (&opts.only, opts.inventory);
    let mut laps = Laps::new();
    let index = index::Index::build(ws, &config, files);
    laps.lap("index");
    let graph = callgraph::CallGraph::build(&index, phase1::thread_count(opts.threads));
    laps.lap("call graph");
    if laps.on {
        let args: usize = files
            .iter()
            .flat_map(|f| f.calls.iter())
            .map(|c| c.args.len())
            .sum();
        eprintln!(
            "tenant-audit timings: call graph: {} calls, {} resolved on {} thread(s), {} args kept",
            graph.calls, graph.resolved, graph.threads, args
        );
    }
    // The three cross-file joins are independent: run them side by side.
    let ((endpoints, te), (queries, tq), (caches, tc)) = std::thread::scope(|scope| {
        let queries = scope.spawn(|| Laps::time(|| db::judge::judge_all(&index, &graph)));
        let caches = scope.spawn(|| Laps::time(|| cache::resolve(&index, &graph)));
        let endpoints = Laps::time(|| frameworks::endpoints::endpoints(&index));
        let queries = queries
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        let caches = caches
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (endpoints, queries, caches)
    });
    laps.lap("endpoints + query verdicts + cache resolution");
    if laps.on {
        eprintln!(
            "tenant-audit timings: side by side: endpoints {te:?}, query verdicts {tq:?}, cache resolution {tc:?}"
        );
    }
    let cache::Resolved {
        calls: caches,
        unresolved,
    } = caches;
    let mut unresolved_caches: Vec<String> = unresolved
        .iter()
        .map(|(fi, span, name)| format!("{}:{} {name}", index.rel(*fi), span.start.line))
        .collect();
    unresolved_caches.sort();
    let mut cx = rules::RuleCx {
        index: &index,
        graph: &graph,
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
    laps.lap("rules + bypasses");

    // Report only what the user asked about: selected packages, given paths.
    let selected_files: foldhash::HashSet<&str> = ws
        .files
        .iter()
        .filter(|f| ws.selected.contains(&f.package))
        .map(|f| f.rel.as_str())
        .collect();
    let all_files: foldhash::HashSet<&str> = ws.files.iter().map(|f| f.rel.as_str()).collect();
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
    laps.lap("filter + sort");
    // Query and cache findings say which routes reach them.
    let reach = reach::Reach::build(&index, &graph, &endpoints);
    let file_of: foldhash::HashMap<&str, usize> = ws
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.rel.as_str(), i))
        .collect();
    for d in diagnostics.iter_mut() {
        if matches!(d.code, "TA201" | "TA202" | "TA301") {
            let f = file_of
                .get(d.file.as_str())
                .and_then(|fi| reach::fn_at(&index, *fi, d.span));
            d.reached_from = Some(reach.of(f));
        }
    }

    laps.lap("reach");

    let mut summary = Summary {
        files: files.len(),
        parse_errors: files.iter().filter(|f| f.parse_error.is_some()).count(),
        internal_errors: files
            .iter()
            .filter(|f| f.parse_error.as_ref().is_some_and(|e| e.internal))
            .count(),
        handlers: frameworks::endpoints::by_handler(&endpoints).len(),
        queries: queries.len(),
        cache_calls,
        unresolved_cache_receivers: unresolved_caches.len(),
        ..Summary::default()
    };
    for d in diagnostics.iter().filter(|d| !d.bypassed()) {
        match d.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Note => summary.notes += 1,
        }
    }
    let routes = if inventory {
        inventory::build(
            &index,
            &graph,
            &endpoints,
            &usage,
            &inventory::Sites {
                reach: &reach,
                queries: &queries,
                caches: &caches,
            },
        )
    } else {
        Vec::new()
    };
    laps.lap("inventory");
    if opts.exits_after {
        // The index and the call graph are as large as the facts (see `audit_workspace`).
        std::mem::forget(graph);
        std::mem::forget(index);
    } else {
        free_in_background((graph, index.into_owned()));
    }
    laps.lap("free");
    laps.print();
    Report {
        root: ws.root.clone(),
        diagnostics,
        summary,
        bypasses: usage.bypasses,
        routes,
        config,
        unreached: Vec::new(),
        unresolved_caches,
        packages: ws.packages.clone(),
    }
}

/// Phase 2's steps timed when `TENANT_AUDIT_TIMINGS` is set (printed to stderr, one line).
struct Laps {
    on: bool,
    last: std::time::Instant,
    steps: Vec<(&'static str, std::time::Duration)>,
}

impl Laps {
    /// `f`'s result and how long it took.
    fn time<T>(f: impl FnOnce() -> T) -> (T, std::time::Duration) {
        let t = std::time::Instant::now();
        let out = f();
        (out, t.elapsed())
    }

    fn new() -> Self {
        Laps {
            on: std::env::var_os("TENANT_AUDIT_TIMINGS").is_some(),
            last: std::time::Instant::now(),
            steps: Vec::new(),
        }
    }

    fn lap(&mut self, step: &'static str) {
        if self.on {
            let now = std::time::Instant::now();
            self.steps.push((step, now - self.last));
            self.last = now;
        }
    }

    fn print(&self) {
        if self.on {
            let steps: Vec<String> = self
                .steps
                .iter()
                .map(|(s, d)| format!("{s} {d:?}"))
                .collect();
            eprintln!("tenant-audit timings: judge: {}", steps.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_workspace_of_a_run_leaves_its_facts_to_the_os() {
        let exiting = Options {
            exits_after: true,
            ..Options::default()
        };
        let kept: Vec<bool> = (0..3)
            .map(|i| workspace_options(&exiting, i, 3).exits_after)
            .collect();
        assert_eq!(kept, [false, false, true]);
        assert!(workspace_options(&exiting, 0, 1).exits_after);
        let library = Options::default();
        assert!((0..3).all(|i| !workspace_options(&library, i, 3).exits_after));
    }
}
