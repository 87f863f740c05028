//! The commands: each builds engine options, runs the engine, renders, returns the exit code.

use crate::args::{CheckArgs, Cli, Command, FailOn, InitArgs, ListArgs, ListFormat, WorkspaceArgs};
use crate::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use tenant_audit_engine::baseline::Baseline;
use tenant_audit_engine::diagnostic::Severity;
use tenant_audit_engine::error::{Error, Result};
use tenant_audit_engine::render::{self, cargo::Rendered, Format, RenderOptions};
use tenant_audit_engine::{audit, rules, Options, Report};

pub fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        None => check(cli.check),
        Some(Command::Check(a)) => check(*a),
        Some(Command::Rules) => list_rules(),
        Some(Command::Explain {
            rule,
            manifest_path,
            config,
        }) => explain(
            &rule,
            &Options {
                path: manifest_path.unwrap_or_default(),
                config,
                ..Options::default()
            },
        ),
        Some(Command::Bypasses(a)) => bypasses(a),
        Some(Command::Routes(a)) => routes(a),
        Some(Command::Init(a)) => init(a),
        Some(Command::ConfigSchema) => {
            write_stdout(tenant_audit_engine::config_schema_text().as_bytes())
        }
        Some(Command::Completions { shell }) => completions(shell),
    }
}

/// Completes `cargo-tenant-audit`: shells complete a program by its own name, and cargo's
/// completion does not reach into external subcommands.
fn completions(shell: clap_complete::Shell) -> Result<i32> {
    use clap::CommandFactory;
    use clap_complete::Shell;
    let mut cmd = Cli::command().bin_name(BIN);
    // Into a buffer: clap_complete panics when its writer fails (a closed pipe).
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut buf);
    let mut script = String::from_utf8_lossy(&buf).into_owned();
    match shell {
        // clap_complete spells the state of a hyphenated program one way in its dispatch loop
        // (`cargo__tenant__audit__subcmd__init`) and another in the arms that complete it
        // (`cargo__subcmd__tenant__subcmd__audit__subcmd__init`), so nothing after a subcommand
        // completes (clap-rs/clap#6421). Spell the arms as the loop does.
        Shell::Bash => {
            script = script.replace(&BIN.replace('-', "__subcmd__"), &BIN.replace('-', "__"));
        }
        // clap_complete's fish script completes options, not the values of positional
        // arguments (`completions <TAB>`): add those.
        Shell::Fish => {
            let cond = format!("__fish_{}_using_subcommand", BIN.replace('-', "_"));
            if script.contains(&cond) {
                for sub in cmd.get_subcommands() {
                    for arg in sub.get_positionals() {
                        let values: Vec<String> = arg
                            .get_possible_values()
                            .iter()
                            .filter(|v| !v.is_hide_set())
                            .map(|v| v.get_name().to_string())
                            .collect();
                        if !values.is_empty() {
                            script.push_str(&format!(
                                "complete -c {BIN} -n \"{cond} {}\" -f -a \"{}\"\n",
                                sub.get_name(),
                                values.join(" ")
                            ));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    write_stdout(script.as_bytes())
}

const BIN: &str = "cargo-tenant-audit";

fn write_stdout(bytes: &[u8]) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(io_err)?;
    Ok(EXIT_OK)
}

fn options(ws: &WorkspaceArgs) -> Options {
    tenant_audit_engine::Options {
        path: ws.manifest_path.clone().unwrap_or_default(),
        selection: tenant_audit_engine::workspace::Selection {
            packages: ws.package.clone(),
            workspace: ws.workspace,
            exclude: ws.exclude.clone(),
        },
        config: ws.config.clone(),
        threads: ws.threads,
        exits_after: true,
        ..Options::default()
    }
}

/// One requested output: a format and where it goes.
struct Output {
    format: Format,
    file: Option<PathBuf>,
}

fn outputs(specs: &[String], message_formats: &[String]) -> Result<Vec<Output>> {
    let mut outs = Vec::new();
    if let Some(format) = message_format(message_formats)? {
        outs.push(Output { format, file: None });
    }
    if specs.is_empty() && outs.is_empty() {
        return Ok(vec![Output {
            format: Format::Human,
            file: None,
        }]);
    }
    let formats: Result<Vec<Output>> = specs
        .iter()
        .map(|s| {
            let (name, file) = match s.split_once('=') {
                Some((n, f)) => (n, Some(PathBuf::from(f))),
                None => (s.as_str(), None),
            };
            let format = Format::parse(name).ok_or_else(|| {
                Error::new(format!(
                    "unknown format `{name}`: expected one of {}",
                    Format::NAMES.join(", ")
                ))
            })?;
            Ok(Output { format, file })
        })
        .collect();
    outs.extend(formats?);
    Ok(outs)
}

/// cargo's `--message-format` values, combined as cargo combines them: the `json-diagnostic-*`
/// variants imply `json` and choose how its `rendered` text is written.
fn message_format(values: &[String]) -> Result<Option<Format>> {
    let (mut json, mut short, mut ansi, mut plain) = (false, false, false, None);
    for v in values {
        match v.trim() {
            "json" => json = true,
            "json-diagnostic-short" => (json, short) = (true, true),
            "json-diagnostic-rendered-ansi" => (json, ansi) = (true, true),
            "human" => plain = Some(Format::Human),
            "short" => plain = Some(Format::Short),
            other => {
                return Err(Error::new(format!(
                    "unsupported --message-format `{other}`: expected json, json-diagnostic-short, json-diagnostic-rendered-ansi, human or short"
                )))
            }
        }
    }
    match (json, plain) {
        (true, Some(_)) => Err(Error::new(
            "--message-format: `human` and `short` cannot be combined with the json formats",
        )),
        (true, None) => Ok(Some(Format::Cargo(if short {
            Rendered::Short
        } else if ansi {
            Rendered::Ansi
        } else {
            Rendered::Plain
        }))),
        (false, p) => Ok(p),
    }
}

fn check(a: CheckArgs) -> Result<i32> {
    if a.parse_only {
        let opts = options(&a.ws);
        let parsed = tenant_audit_engine::parse_floor(&opts)?;
        eprintln!("parse-only: {parsed} file(s) parsed");
        return Ok(EXIT_OK);
    }
    let outs = outputs(&a.format, &a.message_format)?;
    let mut opts = options(&a.ws);
    let mut overrides = Vec::new();
    for (list, sev) in [
        (&a.deny, Some(Severity::Error)),
        (&a.warn, Some(Severity::Warning)),
        (&a.allow, None),
    ] {
        for r in list {
            overrides.push((r.clone(), sev));
        }
    }
    opts.overrides = overrides;
    if a.strict {
        opts.overrides.push(("TA001".into(), Some(Severity::Error)));
    }
    opts.only = a.paths.clone();
    let mut notes = Vec::new();
    if let Some(reference) = &a.changed_since {
        // A deleted file has no findings left to report: skipped, never an error.
        let (changed, deleted): (Vec<PathBuf>, Vec<PathBuf>) =
            changed_files(&opts.path, reference)?
                .into_iter()
                .partition(|p| p.exists());
        notes.push(format!(
            "reporting on {} file(s) changed since {reference}{}",
            changed.len(),
            if deleted.is_empty() {
                String::new()
            } else {
                format!(" ({} deleted, skipped)", deleted.len())
            }
        ));
        if changed.is_empty() {
            // Nothing changed: report nothing (an impossible path keeps the filter non-empty).
            opts.only.push(PathBuf::from("\u{0}none"));
        }
        opts.only.extend(changed);
    }
    let mut report = audit(&opts)?;

    if let Some(path) = &a.write_baseline {
        Baseline::from_findings(report.active()).write(path)?;
        notes.push(format!(
            "wrote {} finding(s) to the baseline {}",
            report.active().count(),
            path.display()
        ));
    }
    if let Some(path) = &a.baseline {
        let baseline = Baseline::read(path)?;
        // With PATHS or --changed-since, entries elsewhere are out of sight, not fixed.
        let scope: Vec<String> = opts
            .only
            .iter()
            .map(|p| tenant_audit_engine::workspace::rel_arg(&report.root, p))
            .collect();
        let fixed = baseline.filter_scoped(&mut report.diagnostics, |e| {
            scope.is_empty()
                || scope
                    .iter()
                    .any(|p| p.is_empty() || e.file == *p || e.file.starts_with(&format!("{p}/")))
        });
        recount(&mut report);
        notes.push(format!(
            "baseline {}: {} recorded finding(s) no longer occur{}",
            path.display(),
            fixed,
            if fixed > 0 {
                " (run with --write-baseline to prune it)"
            } else {
                ""
            }
        ));
    }

    if a.verbose {
        for f in &report.unreached {
            eprintln!("tenant-audit: not audited (no crate's module tree reaches it): {f}");
        }
        for c in &report.unresolved_caches {
            eprintln!("tenant-audit: not judged (a receiver that looks like a cache, of a type not known): {c}");
        }
    }
    // The notes (baseline, changed files) are in the human summary; without a human report on
    // stdout they go to stderr, so `--format json --baseline F` still says what was fixed.
    let human_on_stdout = outs
        .iter()
        .any(|o| o.format == Format::Human && o.file.is_none());
    if !human_on_stdout {
        for n in &notes {
            eprintln!("tenant-audit: {n}");
        }
    }
    let color =
        !a.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    let ropts = RenderOptions {
        color,
        include_bypassed: a.sarif_include_bypassed,
        notes,
        fail_on: Some(threshold(a.fail_on)),
    };
    for o in &outs {
        match &o.file {
            Some(path) => {
                let mut buf = Vec::new();
                render::render(o.format, &report, &ropts, &mut buf).map_err(io_err)?;
                std::fs::write(path, buf)
                    .map_err(|e| Error::in_file(format!("cannot write output: {e}"), path))?;
            }
            None => {
                // Buffered: stdout flushes at every newline, one write per line of a
                // pretty-printed document (40k writes for 2,500 findings) without it.
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                render::render(o.format, &report, &ropts, &mut out).map_err(io_err)?;
                out.flush().map_err(io_err)?;
            }
        }
    }
    Ok(exit_code(&report, a.fail_on))
}

/// Recomputes the severity counts after findings were filtered.
fn recount(report: &mut Report) {
    let s = &mut report.summary;
    s.errors = 0;
    s.warnings = 0;
    s.notes = 0;
    for d in report.diagnostics.iter().filter(|d| !d.bypassed()) {
        match d.severity {
            Severity::Error => s.errors += 1,
            Severity::Warning => s.warnings += 1,
            Severity::Note => s.notes += 1,
        }
    }
}

fn exit_code(report: &Report, fail_on: FailOn) -> i32 {
    if report.summary.internal_errors > 0 {
        eprintln!(
            "tenant-audit: the tool failed on {} file(s) (TA001 \"internal error\"); please report it",
            report.summary.internal_errors
        );
        return EXIT_ERROR;
    }
    let threshold = threshold(fail_on);
    if report.active().any(|d| d.severity >= threshold) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn threshold(fail_on: FailOn) -> Severity {
    match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Note => Severity::Note,
    }
}

fn io_err(e: std::io::Error) -> Error {
    Error::new(format!("cannot write output: {e}"))
}

/// Files changed since a git ref, relative to the current directory.
fn changed_files(start: &Path, reference: &str) -> Result<Vec<PathBuf>> {
    let dir = if start.as_os_str().is_empty() {
        PathBuf::from(".")
    } else if start.is_file() {
        start
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    } else {
        start.to_path_buf()
    };
    let top = std::process::Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .map_err(|e| Error::new(format!("--changed-since needs git: {e}")))?;
    if !top.status.success() {
        return Err(Error::new(format!(
            "--changed-since: {} is not in a git repository",
            dir.display()
        )));
    }
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["diff", "--name-only", reference, "--"])
        .output()
        .map_err(|e| Error::new(format!("--changed-since needs git: {e}")))?;
    if !out.status.success() {
        return Err(Error::new(format!(
            "--changed-since {reference}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| top.join(l))
        .collect())
}

fn list_rules() -> Result<i32> {
    println!("{:<6}  {:<22}  {:<8}  summary", "code", "name", "default");
    for r in rules::RULES {
        let m = r.meta();
        println!(
            "{:<6}  {:<22}  {:<8}  {}",
            m.code,
            m.name,
            m.default_severity.as_str(),
            m.summary
        );
    }
    Ok(EXIT_OK)
}

fn explain(rule: &str, opts: &Options) -> Result<i32> {
    let r = rules::find(rule).ok_or_else(|| {
        let names = rules::RULES
            .iter()
            .flat_map(|r| [r.meta().code, r.meta().name]);
        let hint = tenant_audit_engine::error::closest(rule, names)
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        Error::new(format!("unknown rule `{rule}`"))
            .with_help(format!("{hint}`cargo tenant-audit rules` lists every rule"))
    })?;
    let m = r.meta();
    println!(
        "# {} {} (default: {})\n",
        m.code, m.name, m.default_severity
    );
    println!("{}", m.docs.trim_end());
    // The examples are generic; the workspace's own settings follow. A config that does not
    // load is an error of the audit, not of the docs: say so and still print them.
    match tenant_audit_engine::nearest_config(opts) {
        Ok(config) => {
            let notes = rules::configured(m.code, &config);
            if !notes.is_empty() {
                println!("\n## In this workspace\n{}", notes.join("\n"));
            }
        }
        Err(e) => eprintln!(
            "tenant-audit: the config was not loaded, so its settings are not shown:\n{e}"
        ),
    }
    Ok(EXIT_OK)
}

fn bypasses(a: ListArgs) -> Result<i32> {
    let report = audit(&options(&a.ws))?;
    if a.format == ListFormat::Json {
        let v = serde_json::json!({"version": 1, "bypasses": report.bypasses});
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| Error::new(e.to_string()))?
        );
        return Ok(EXIT_OK);
    }
    if report.bypasses.is_empty() {
        println!("no bypasses");
        return Ok(EXIT_OK);
    }
    for b in &report.bypasses {
        let rules = b
            .rules
            .as_ref()
            .map(|r| r.join(", "))
            .unwrap_or_else(|| "all rules".into());
        let used = if b.used > 0 {
            format!("used ({})", b.used)
        } else {
            "UNUSED".into()
        };
        println!(
            "{}:{}  {:<9}  {}  [{}]  {}\n    reason: {}",
            b.file,
            b.line,
            format!("{:?}", b.origin).to_lowercase(),
            b.describe_target(),
            rules,
            used,
            b.reason.as_deref().unwrap_or("(none)")
        );
    }
    Ok(EXIT_OK)
}

fn routes(a: ListArgs) -> Result<i32> {
    let report = audit(&Options {
        inventory: true,
        ..options(&a.ws)
    })?;
    if a.format == ListFormat::Json {
        let v = serde_json::json!({"version": 1, "routes": report.routes});
        println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| Error::new(e.to_string()))?
        );
        return Ok(EXIT_OK);
    }
    let rows: Vec<[String; 5]> = report
        .routes
        .iter()
        .map(|r| {
            let flagged = r.reaches.iter().filter(|s| s.flagged).count();
            [
                if r.methods.is_empty() {
                    "ANY".into()
                } else {
                    r.methods.join(",")
                },
                r.path.clone().unwrap_or_else(|| "?".into()),
                format!("{} ({}:{})", r.handler, r.file, r.line),
                r.protection.clone().unwrap_or_else(|| "UNPROTECTED".into()),
                match (r.reaches.len(), flagged) {
                    (0, _) => "-".into(),
                    (n, 0) => n.to_string(),
                    (n, f) => format!("{n} ({f} flagged)"),
                },
            ]
        })
        .collect();
    let headers = ["METHOD", "PATH", "HANDLER", "PROTECTION", "REACHES"];
    let mut widths = headers.map(str::len);
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        )
    };
    println!("{}", line(headers));
    for r in &rows {
        println!("{}", line([&r[0], &r[1], &r[2], &r[3], &r[4]]));
    }
    let open = report
        .routes
        .iter()
        .filter(|r| r.protection.is_none())
        .count();
    println!("\n{} route(s), {} unprotected", report.routes.len(), open);
    Ok(EXIT_OK)
}

fn init(a: InitArgs) -> Result<i32> {
    let opts = options(&a.ws);
    let target = tenant_audit_engine::workspace::Workspace::discover(&opts.path, &opts.selection)?
        .root
        .join("tenant-audit.toml");
    if target.exists() && !a.force && !a.dry_run {
        return Err(Error::in_file(
            "already exists; pass --force to overwrite it",
            &target,
        ));
    }
    let found = tenant_audit_engine::init::detect(&opts)?;
    if a.dry_run {
        print!("{}", found.toml);
        println!();
    } else {
        std::fs::write(&target, &found.toml)
            .map_err(|e| Error::in_file(format!("cannot write: {e}"), &target))?;
    }
    for line in &found.summary {
        println!("{line}");
    }
    let counts = tenant_audit_engine::init::describe_counts;
    println!("findings with no config: {}", counts(&found.before));
    println!("findings with this config: {}", counts(&found.after));
    if !a.dry_run {
        println!("wrote {}", target.display());
    }
    Ok(EXIT_OK)
}
