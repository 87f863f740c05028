//! `cargo tenant-audit init`: a starter config from what the workspace uses.

use crate::config::Config;
use crate::error::Result;
use crate::index::dialect_for;
use crate::sql::{Schema, Tenancy};
use crate::workspace::Workspace;
use crate::Options;
use std::path::PathBuf;

pub struct Detected {
    pub root: PathBuf,
    pub toml: String,
    /// What was found, for the user.
    pub summary: Vec<String>,
}

pub fn detect(opts: &Options) -> Result<Detected> {
    let ws = Workspace::discover(&opts.path, &opts.selection)?;
    let defaults = Config::defaults();
    let mut summary = Vec::new();

    let mut frameworks = Vec::new();
    for p in &ws.packages {
        for (dep, name) in [
            ("axum", "axum"),
            ("actix-web", "actix-web"),
            ("rocket", "rocket"),
            ("poem", "poem"),
        ] {
            if p.deps.contains_key(dep) && !frameworks.contains(&name) {
                frameworks.push(name);
            }
        }
    }
    summary.push(format!(
        "frameworks: {}",
        if frameworks.is_empty() {
            "none detected".to_string()
        } else {
            frameworks.join(", ")
        }
    ));

    let mut schema = Schema::default();
    let mut migrations = 0;
    for (i, p) in ws.packages.iter().enumerate() {
        let dialect = dialect_for(&defaults, p);
        for m in ws.migrations(i, &[]) {
            if let Ok(text) = std::fs::read_to_string(&m) {
                schema.apply_migration(&text, dialect);
                migrations += 1;
            }
        }
    }
    let (columns, globals) = Tenancy::suggest(&schema, &defaults.tenant.columns);
    summary.push(format!(
        "migrations: {migrations} file(s), {} table(s)",
        schema.tables.len()
    ));
    if !columns.is_empty() {
        summary.push(format!("tenant column candidates: {}", columns.join(", ")));
    }
    if !globals.is_empty() {
        summary.push(format!(
            "tables without a tenant column (proposed global): {}",
            globals.join(", ")
        ));
    }

    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let cols: Vec<String> = if columns.is_empty() {
        defaults.tenant.columns.clone()
    } else {
        columns
    };
    let mut global_tables = defaults.tenant.global_tables.clone();
    global_tables.extend(globals);
    let fw: Vec<String> = frameworks.iter().map(|s| s.to_string()).collect();
    let toml = format!(
        r#"# cargo-tenant-audit configuration (written by `cargo tenant-audit init`).
# Every key is optional; see README.md "Configuration" for the full reference.

[tenant]
# Columns that pin a row to one tenant.
columns = [{cols}]
# Tables that are never tenant-owned.
global-tables = [{globals}]
# Extra names that carry the tenant in cache keys, e.g. ["ctx.org_id"].
identifiers = []
# Functions that are tenant-scoped by construction (globs), e.g. ["secure_find*"].
scoped-fns = []

[handlers]
frameworks = [{fw}]
# Parameter types that prove a permission check, e.g. ["AdminUser"].
guards = []
# Calls in a handler body that check a permission, e.g. ["ensure_scope"].
checks = []
# Middleware that checks permissions, e.g. ["require_scope"].
layers = []

# [scopes]
# enum = "Scope"

[rules]
# TA202 = "warning"

# [[bypass]]
# path = "src/jobs/**"
# rules = ["TA201"]
# reason = "nightly cross-tenant rollup"
"#,
        cols = list(&cols),
        globals = list(&global_tables),
        fw = list(&fw),
    );
    Ok(Detected {
        root: ws.root,
        toml,
        summary,
    })
}
