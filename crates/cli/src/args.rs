//! Arguments, shaped like cargo's own (`--manifest-path`, `-p`, `--workspace`, `--exclude`).

use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Static audit of multi-tenant Rust backends: handlers without a permission check, queries
/// without a tenant filter, cache keys without the tenant.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-tenant-audit",
    bin_name = "cargo tenant-audit",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage, config or I/O error.\nRun `cargo tenant-audit explain TA201` for a rule's documentation."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

impl Cli {
    /// PATHS that do not exist are usage errors, never a filter that matches nothing. Without a
    /// subcommand, a first word that is not a path is most often a mistyped subcommand
    /// (`route`, `chek`): say which one was probably meant.
    pub fn check_paths(&self) -> Result<(), clap::Error> {
        let (paths, implicit) = match &self.command {
            None => (&self.check.paths, true),
            Some(Command::Check(a)) => (&a.paths, false),
            Some(_) => return Ok(()),
        };
        let missing: Vec<&PathBuf> = paths.iter().filter(|p| !p.exists()).collect();
        let Some(first) = missing.first() else {
            return Ok(());
        };
        let mut cmd = Cli::command();
        let word = first
            .to_str()
            .filter(|w| !w.contains(['/', '\\', '.']) && !w.is_empty());
        if let (true, Some(word)) = (implicit && paths[0] == **first, word) {
            let names: Vec<String> = cmd
                .get_subcommands()
                .map(|s| s.get_name().to_string())
                .collect();
            let message = match tenant_audit_engine::error::closest(word, names.iter().map(String::as_str)) {
                Some(name) => format!("unrecognized subcommand `{word}`: did you mean `{name}`?"),
                None => format!(
                    "`{word}` is neither a subcommand nor an existing file or folder (subcommands: {})",
                    names.join(", ")
                ),
            };
            return Err(cmd.error(ErrorKind::InvalidSubcommand, message));
        }
        let list: Vec<String> = missing
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect();
        let (noun, verb) = if list.len() == 1 {
            ("path", "does")
        } else {
            ("paths", "do")
        };
        Err(cmd.error(
            ErrorKind::ValueValidation,
            format!(
                "{noun} {} {verb} not exist (PATHS are relative to the current directory)",
                list.join(", ")
            ),
        ))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit the workspace (the default command).
    Check(Box<CheckArgs>),
    /// Write a starter tenant-audit.toml from what the workspace uses.
    Init(InitArgs),
    /// List every rule: code, name, default severity.
    Rules,
    /// Print a rule's documentation.
    Explain {
        /// A rule code (TA201) or name (untenanted-query).
        rule: String,
        /// Where to look for the config whose settings are shown with the docs (default: the
        /// current directory's).
        #[arg(long, value_name = "PATH")]
        manifest_path: Option<PathBuf>,
        /// Config file to show the settings of.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// List every bypass with its reason and whether it is used.
    Bypasses(ListArgs),
    /// The endpoint inventory: method, path, handler and what protects it.
    Routes(ListArgs),
    /// Print the JSON Schema of tenant-audit.toml (for taplo / Even Better TOML).
    ConfigSchema,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) for
    /// `cargo-tenant-audit`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args, Clone, Default)]
pub struct WorkspaceArgs {
    /// Path to Cargo.toml (default: the current directory's workspace).
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Report on this package only (repeatable).
    #[arg(short = 'p', long = "package", value_name = "SPEC")]
    pub package: Vec<String>,
    /// Report on every workspace member (the default).
    #[arg(long, alias = "all")]
    pub workspace: bool,
    /// Leave this package out (with --workspace).
    #[arg(long, value_name = "SPEC")]
    pub exclude: Vec<String>,
    /// Config file (default: tenant-audit.toml, .tenant-audit.toml, .config/tenant-audit.toml,
    /// then [workspace.metadata.tenant-audit] / [package.metadata.tenant-audit]).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Worker threads, at least 1 (default: one per core).
    #[arg(short = 'j', long, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub threads: Option<usize>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct CheckArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Output format, repeatable; `FORMAT=FILE` writes to a file. human, short, json, sarif,
    /// github, cargo (cargo's JSON messages, for rust-analyzer: docs/editors.md).
    #[arg(long = "format", value_name = "FORMAT[=FILE]")]
    pub format: Vec<String>,
    /// cargo's flag, as clippy users type it: `json` is `--format cargo`;
    /// `json-diagnostic-short` and `json-diagnostic-rendered-ansi` choose how its `rendered`
    /// text is written; `human` and `short` are those formats. Comma-separated, repeatable.
    #[arg(long, value_name = "FMT", value_delimiter = ',')]
    pub message_format: Vec<String>,
    /// Fail (exit 1) on findings at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Treat a rule as an error (code or name, repeatable).
    #[arg(short = 'D', long = "deny", value_name = "RULE")]
    pub deny: Vec<String>,
    /// Treat a rule as a warning.
    #[arg(short = 'W', long = "warn", value_name = "RULE")]
    pub warn: Vec<String>,
    /// Turn a rule off.
    #[arg(short = 'A', long = "allow", value_name = "RULE")]
    pub allow: Vec<String>,
    /// Report only findings not recorded in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Files that cannot be parsed fail the run.
    #[arg(long)]
    pub strict: bool,
    /// No colours in the human output.
    #[arg(long)]
    pub no_color: bool,
    /// Also list on stderr the `.rs` files no crate's module tree reaches (not audited).
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Report only findings in files changed since this git ref (`git diff --name-only REF`).
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,
    /// SARIF: include bypassed findings, with `suppressions`.
    #[arg(long)]
    pub sarif_include_bypassed: bool,
    /// Benchmark floor: discover and read like an audit, run `syn::parse_file` on every file
    /// in parallel, and nothing else (scripts/bench.sh). Hidden: not for users.
    #[arg(long, hide = true)]
    pub parse_only: bool,
    /// Report only findings in these files or folders (the whole workspace is still indexed).
    #[arg(value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Note,
}

#[derive(Debug, Args, Clone)]
pub struct InitArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Overwrite an existing tenant-audit.toml.
    #[arg(long)]
    pub force: bool,
    /// Print the config and the finding counts without writing the file.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ListArgs {
    #[command(flatten)]
    pub ws: WorkspaceArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}
