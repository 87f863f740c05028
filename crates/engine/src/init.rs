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
    let (extractors, middleware) = auth_candidates(&ws);
    if !extractors.is_empty() {
        summary.push(format!(
            "request extractors (guard candidates): {}",
            extractors.join(", ")
        ));
    }
    if !middleware.is_empty() {
        summary.push(format!(
            "middleware fns (layer candidates): {}",
            middleware.join(", ")
        ));
    }
    let hint = |found: &[String], what: &str| {
        if found.is_empty() {
            String::new()
        } else {
            format!("\n# Found in the code ({what}); list those that check a permission, not just a login:\n# {}", list(found))
        }
    };
    let guards_hint = hint(&extractors, "request extractors");
    let layers_hint = hint(&middleware, "middleware fns");
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
# Parameter types that prove a permission check, e.g. ["AdminUser"].{guards_hint}
guards = []
# Calls in a handler body that check a permission, e.g. ["ensure_scope"].
checks = []
# Middleware that checks permissions, e.g. ["require_scope"].{layers_hint}
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

/// Types with a `FromRequestParts`/`FromRequest` impl and fns passed to `from_fn*` / `wrap_fn`:
/// what a team's permission checks are usually built from. A text scan: `init` runs once.
fn auth_candidates(ws: &Workspace) -> (Vec<String>, Vec<String>) {
    let mut extractors = std::collections::BTreeSet::new();
    let mut middleware = std::collections::BTreeSet::new();
    for f in &ws.files {
        let Ok(text) = std::fs::read_to_string(&f.abs) else {
            continue;
        };
        for line in text.lines() {
            let t = line.trim();
            if t.starts_with("impl")
                && (t.contains("FromRequestParts") || t.contains("FromRequest"))
            {
                if let Some(after) = t.split(" for ").nth(1) {
                    let name: String = after
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    let name = name.rsplit("::").next().unwrap_or("").to_string();
                    if !name.is_empty() {
                        extractors.insert(name);
                    }
                }
            }
            for call in ["from_fn_with_state(", "from_fn(", "wrap_fn("] {
                let mut rest = t;
                while let Some(i) = rest.find(call) {
                    rest = &rest[i + call.len()..];
                    let args = rest.split(')').next().unwrap_or("");
                    let last = args
                        .rsplit(',')
                        .map(str::trim)
                        .find(|a| !a.is_empty())
                        .unwrap_or("");
                    let name = last.rsplit("::").next().unwrap_or("");
                    if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        middleware.insert(name.to_string());
                    }
                }
            }
        }
    }
    (
        extractors.into_iter().collect(),
        middleware.into_iter().collect(),
    )
}
