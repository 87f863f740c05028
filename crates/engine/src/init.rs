//! `cargo tenant-audit init`: a starter config from what the workspace uses.

use crate::config::Config;
use crate::error::Result;
use crate::index::dialect_for;
use crate::sql::{Schema, Suggestion, SuggestionKind, TableSuggestion, Tenancy};
use crate::workspace::Workspace;
use crate::Options;
use std::path::PathBuf;

mod handlers;

pub struct Detected {
    pub root: PathBuf,
    pub toml: String,
    /// What was found, for the user.
    pub summary: Vec<String>,
    /// Findings per code (bypassed ones left out) with no config at all.
    pub before: Counts,
    /// The same with the config `toml` holds.
    pub after: Counts,
}

/// Findings per rule code, in code order.
pub type Counts = std::collections::BTreeMap<&'static str, usize>;

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

    let (schema, migrations) = load_schema(&ws, &defaults);
    let suggestion = Tenancy::suggest_tables(&schema, &defaults.tenant.columns);
    summary.push(format!(
        "migrations: {migrations} file(s), {} table(s)",
        schema.tables.len()
    ));
    if !suggestion.columns.is_empty() {
        summary.push(format!(
            "tenant column candidates: {}",
            suggestion.columns.join(", ")
        ));
    }
    let roots: Vec<String> = suggestion
        .tables
        .iter()
        .filter(|t| t.kind == SuggestionKind::Root)
        .map(|t| format!("{} (by {})", t.table, t.columns.join(", ")))
        .collect();
    if !roots.is_empty() {
        summary.push(format!("tenant root tables: {}", roots.join(", ")));
    }
    let children: Vec<String> = suggestion
        .tables
        .iter()
        .filter_map(|t| match &t.kind {
            SuggestionKind::Child { parents } => Some(format!(
                "{} ({} -> {})",
                t.table,
                t.columns.join(", "),
                parents.join(", ")
            )),
            SuggestionKind::Root => None,
        })
        .collect();
    if !children.is_empty() {
        summary.push(format!(
            "child tables (scoped by their parent's key): {}",
            children.join(", ")
        ));
    }
    if !suggestion.composite_children.is_empty() {
        let list: Vec<String> = suggestion
            .composite_children
            .iter()
            .map(|(t, key, parent)| format!("{t} (({}) -> {parent})", key.join(", ")))
            .collect();
        summary.push(format!(
            "child tables with a composite foreign key (no single column pins them; add an entry by hand): {}",
            list.join(", ")
        ));
    }
    if !suggestion.inheriting.is_empty() {
        summary.push(format!(
            "partitions and INHERITS children (judged as their parent): {}",
            suggestion.inheriting.join(", ")
        ));
    }
    let globals = suggestion.globals.clone();
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
    let cols: Vec<String> = if suggestion.columns.is_empty() {
        defaults.tenant.columns.clone()
    } else {
        suggestion.columns.clone()
    };
    let tables = tables_toml(&suggestion);
    let mut global_tables = defaults.tenant.global_tables.clone();
    global_tables.extend(globals);
    let fw: Vec<String> = frameworks.iter().map(|s| s.to_string()).collect();
    let found = handlers::candidates(&ws, opts)?;
    summary.extend(found.summary());
    let guards_hint = if found.authn.is_empty() {
        String::new()
    } else {
        format!(
            "\n# Extractors that may only authenticate (add those that also check a permission):\n# {}",
            list(&found.authn)
        )
    };
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

{tables}[handlers]
frameworks = [{fw}]
# Parameter types that prove a permission check, e.g. ["AdminUser"]; also auth types handed
# to a wrapper as values (`server_wrap(.., &auth::JwtAuth {{ .. }})`).{guards_hint}
guards = [{guards}]
# Calls in a handler (or a fn it calls) that check a permission, e.g. ["ensure_scope"].
checks = [{checks}]
# Middleware that checks permissions, e.g. ["require_scope"].
layers = [{layers}]

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
        tables = tables,
        guards = list(&found.guards()),
        checks = list(&found.checks),
        layers = list(&found.layers),
    );
    let before = counts(&ws, Config::defaults(), opts)?;
    let proposed = Config::from_str(&toml, "tenant-audit.toml", known())?;
    let after = counts(&ws, proposed, opts)?;
    Ok(Detected {
        root: ws.root,
        toml,
        summary,
        before,
        after,
    })
}

/// The names config validation checks against.
fn known() -> crate::config::Known<'static> {
    crate::config::Known {
        frameworks: crate::registry::framework_names(),
    }
}

/// The audit of the workspace with `config`: findings per code, bypassed ones left out.
fn counts(ws: &Workspace, config: Config, opts: &Options) -> Result<Counts> {
    let mut ws = ws.clone();
    let extracted = crate::phase1::extract_all(&ws, &config, opts.threads)?;
    ws.files = extracted.sources;
    let report = crate::judge(
        &ws,
        config,
        &extracted.facts,
        &[],
        &crate::Options::default(),
    );
    let mut out = Counts::new();
    for d in report.active() {
        *out.entry(d.code).or_insert(0) += 1;
    }
    Ok(out)
}

/// `TA101 3, TA201 1`; `none` when empty.
pub fn describe_counts(c: &Counts) -> String {
    if c.is_empty() {
        return "none".into();
    }
    c.iter()
        .map(|(code, n)| format!("{code} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The schema `init` reads: every migration file once (packages usually share one folder), from
/// `migrations/` and the folders the code embeds (`sqlx::migrate!("..")`), as the audit reads them,
/// with the dialect of the first package that lists it, then diesel `table!` and sea-orm
/// entities from the Rust files that mention them. Returns it with the number of migrations.
fn load_schema(ws: &Workspace, config: &Config) -> (Schema, usize) {
    let mut schema = Schema::default();
    let mut seen = std::collections::BTreeSet::new();
    // The migration folders the code embeds (`sqlx::migrate!("..")`), per package, as the audit
    // reads them.
    let mut embedded: Vec<Vec<String>> = vec![Vec::new(); ws.packages.len()];
    // (the file's module name, its syntax) for the files that declare a schema.
    let mut files = Vec::new();
    for f in &ws.files {
        let Ok(text) = std::fs::read_to_string(&f.abs) else {
            continue;
        };
        let embeds = crate::ast::MIGRATION_MACROS
            .iter()
            .any(|m| text.contains(&format!("{m}!")));
        let declares = ["table!", "joinable!", "DeriveEntityModel"]
            .iter()
            .any(|m| text.contains(m));
        if !embeds && !declares {
            continue;
        }
        let Ok(file) = syn::parse_file(&text) else {
            continue;
        };
        if embeds {
            embedded[f.package].extend(crate::ast::embedded_migration_dirs(&file));
        }
        if declares {
            files.push((f.module.last().cloned().unwrap_or_default(), file));
        }
    }
    for (i, p) in ws.packages.iter().enumerate() {
        let dialect = dialect_for(config, p);
        let dirs = ws.schema_dirs(i, &[], embedded[i].iter().map(String::as_str));
        for m in dirs
            .iter()
            .flat_map(|d| crate::workspace::migration_files(d))
        {
            let key = m.canonicalize().unwrap_or_else(|_| m.clone());
            if !seen.insert(key) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&m) {
                schema.apply_migration(&text, dialect);
            }
        }
    }
    let migrations = seen.len();
    // Entity module -> its table, for the relations that name it.
    let mut entities = std::collections::BTreeMap::new();
    let mut joinables = Vec::new();
    for (module, file) in &files {
        rust_schema(&file.items, &mut schema, &mut joinables);
        if let Some(t) = sea_orm_table(&file.items) {
            entities.insert(module.clone(), t);
        }
    }
    for (_, file) in &files {
        relations(&file.items, &mut schema, &entities);
    }
    for j in &joinables {
        schema.add_diesel_joinable(j);
    }
    (schema, migrations)
}

/// diesel `table!` invocations and sea-orm models among `items` (inline modules included);
/// `joinable!` invocations are kept for when every table is known.
fn rust_schema(
    items: &[syn::Item],
    schema: &mut Schema,
    joinables: &mut Vec<proc_macro2::TokenStream>,
) {
    for item in items {
        match item {
            syn::Item::Macro(m) => match m.mac.path.segments.last() {
                Some(s) if s.ident == "table" => schema.add_diesel_table_macro(&m.mac.tokens),
                Some(s) if s.ident == "joinable" => joinables.push(m.mac.tokens.clone()),
                _ => {}
            },
            syn::Item::Struct(s) => schema.add_sea_orm_model(s),
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    rust_schema(inner, schema, joinables);
                }
            }
            _ => {}
        }
    }
}

/// The `enum Relation` next to a sea-orm model, read as the model's foreign keys.
fn relations(
    items: &[syn::Item],
    schema: &mut Schema,
    entities: &std::collections::BTreeMap<String, String>,
) {
    if let Some(table) = sea_orm_table(items) {
        for item in items {
            if let syn::Item::Enum(e) = item {
                if e.ident == "Relation" {
                    schema.add_sea_orm_relations(&table, e, |m| entities.get(m).cloned());
                }
            }
        }
    }
    for item in items {
        if let syn::Item::Mod(m) = item {
            if let Some((_, inner)) = &m.content {
                relations(inner, schema, entities);
            }
        }
    }
}

/// The table of the sea-orm model among `items` (`#[sea_orm(table_name = "..")]`).
fn sea_orm_table(items: &[syn::Item]) -> Option<String> {
    items.iter().find_map(|i| match i {
        syn::Item::Struct(s) => {
            let mut probe = Schema::default();
            probe.add_sea_orm_model(s);
            probe.tables.into_keys().next()
        }
        _ => None,
    })
}

/// The `[tenant.tables.X]` sections for the roots and child tables `init` found.
fn tables_toml(s: &Suggestion) -> String {
    let mut out = String::new();
    let entry = |t: &TableSuggestion| {
        let cols = &t.columns;
        if cols.len() == 1 {
            format!("[tenant.tables.{}]\ncolumn = {:?}", key(&t.table), cols[0])
        } else {
            let list: Vec<String> = cols.iter().map(|c| format!("{c:?}")).collect();
            format!(
                "[tenant.tables.{}]\ncolumns = [{}]",
                key(&t.table),
                list.join(", ")
            )
        }
    };
    let roots: Vec<&TableSuggestion> = s
        .tables
        .iter()
        .filter(|t| t.kind == SuggestionKind::Root)
        .collect();
    if !roots.is_empty() {
        out.push_str("# The tenant root table: a row is its own tenant, scoped by its key.\n");
        for t in roots {
            out.push_str(&entry(t));
            out.push_str("\n\n");
        }
    }
    let children: Vec<&TableSuggestion> = s
        .tables
        .iter()
        .filter(|t| t.kind != SuggestionKind::Root)
        .collect();
    if !children.is_empty() {
        out.push_str("# Child tables: no tenant column, but a NOT NULL foreign key to a tenant-owned table;\n# a query that binds that key (or joins it to a scoped parent) is scoped.\n");
        for t in children {
            let SuggestionKind::Child { parents } = &t.kind else {
                continue;
            };
            out.push_str(&entry(t));
            out.push_str(&format!("  # REFERENCES {}\n\n", parents.join(", ")));
        }
    }
    for (t, cols, parent) in &s.composite_children {
        out.push_str(&format!(
            "# `{t}` REFERENCES {parent} ({}): a composite key, no single column of it pins the row.\n# Name the column that does, if one does:\n# [tenant.tables.{}]\n# column = {:?}\n\n",
            cols.join(", "),
            key(t),
            cols.first().cloned().unwrap_or_default(),
        ));
    }
    out
}

/// A table name as a TOML key: bare when it can be, quoted otherwise.
fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}
