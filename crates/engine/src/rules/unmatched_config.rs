use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::config::{Config, Entry, Setting};
use crate::diagnostic::Severity;
use crate::frameworks::RouterOp;
use crate::index::Index;
use foldhash::{HashSet, HashSetExt};
use std::collections::{BTreeMap, BTreeSet};

pub struct UnmatchedConfig;

static META: RuleMeta = RuleMeta {
    code: "TA903",
    name: "unmatched-config",
    default_severity: Severity::Warning,
    summary: "a config entry that matches nothing in the workspace",
    docs: r#"## What it does
Checks every entry the config file writes against the workspace and reports the ones that match
nothing: a `[tenant] columns` entry no table of the schema has (only when a schema is found), a
`schema` path that does not exist or holds no `.sql` file, a `global-tables` entry or a
`[tenant.tables.X]` that the schema does not define and no query touches, and a guard, check,
layer, tenant type, key builder, scoped fn, cache interface or method, or scope enum that no code
names. The finding sits at the entry in the config file. Entries equal to a built-in default
(the migration bookkeeping tables) are never reported. A config read by several workspaces (one
at the top of a checkout whose workspaces sit in folders of their own) is matched against all of
them: an entry is reported, once, only when no workspace has what it names.

The schema is the one the audit read: a column TA903 reports as missing from every table is
missing from what the audit judges queries by, even when the database has it (a migration the
reader did not understand), and that is worth knowing too.

## Why is this bad?
A typo in the config switches a check off without a word: `columns = ["org_idd"]` makes every
table look unowned, `checks = ["ensure_scpoe"]` protects nothing, `schema = ["migratoins"]`
drops the schema. The run stays green and the gate is open.

## Example
```toml
[tenant]
columns = ["org_idd"]        # no table has `org_idd`

[handlers]
checks = ["enforce_*"]       # checks are names, not globs: nothing is called `enforce_*`
```

## How to fix
Correct the entry (the finding suggests the closest name the workspace has), or remove it. A
finding on an entry that is right (a name only a macro expands to) can be turned off with
`[rules] unmatched-config = "off"`.
"#,
};

impl Rule for UnmatchedConfig {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleCx<'_, '_>) {
        let config = cx.index.config;
        let Some(source) = &config.source else {
            return;
        };
        if config.entries.is_empty() {
            return;
        }
        let defaults = Config::defaults();
        // First only the names the entries ask about; every name of the workspace (for the
        // suggestions) only when an entry matches nothing.
        let wanted = Wanted::of(&config.entries);
        let matched = |e: &Entry, named: &Named| unmatched(e, named, cx.index, &defaults).is_none();
        // After each file: whether every entry that names code has its name (a schema path is
        // a look at the disk, asked once at the end).
        let all_named = |named: &Named| {
            config
                .entries
                .iter()
                .filter(|e| e.setting != Setting::Schema)
                .all(|e| matched(e, named))
        };
        let mut named = Named::collect(cx, Some(&wanted), Some(&all_named));
        if !config.entries.iter().all(|e| matched(e, &named)) {
            named = Named::collect(cx, None, None);
        }
        let mut findings = Vec::new();
        for e in &config.entries {
            let Some((why, closest)) = unmatched(e, &named, cx.index, &defaults) else {
                continue;
            };
            let what = match e.setting {
                Setting::Table => format!("`[tenant.tables.{}]`", e.value),
                s => format!("`{}` entry `{}`", s.key(), e.value),
            };
            let help = match closest {
                Some(c) => format!("did you mean `{c}`? Correct the entry or remove it"),
                None => "correct the entry or remove it".to_string(),
            };
            findings.push(Finding {
                span: e.span,
                message: format!("{what} matches nothing: {why}"),
                item: e.setting.key().to_string(),
                snippet: e.value.clone(),
                label: Some("matches nothing".into()),
                help: Some(help),
            });
        }
        for f in findings {
            cx.report_at(&META, source.display.clone(), f);
        }
    }
}

/// Why an entry matches nothing (and the closest name the workspace has), or None when it
/// matches something.
fn unmatched(
    e: &Entry,
    named: &Named,
    index: &Index<'_>,
    defaults: &Config,
) -> Option<(String, Option<String>)> {
    let last = e.value.rsplit("::").next().unwrap_or(&e.value).trim();
    let has_schema = !named.schema.is_empty();
    match e.setting {
        Setting::Columns => {
            let column = e.value.to_ascii_lowercase();
            if !has_schema || named.schema.values().any(|cols| cols.contains(&column)) {
                return None;
            }
            let n = named.schema.len();
            let why = format!(
                "no table of the schema the audit read ({n} table{}) has this column",
                if n == 1 { "" } else { "s" }
            );
            Some((why, closest(&e.value, named.columns())))
        }
        Setting::GlobalTables | Setting::Table => {
            let table = bare_table(&e.value);
            let default = e.setting == Setting::GlobalTables
                && defaults
                    .tenant
                    .global_tables
                    .iter()
                    .any(|g| bare_table(g) == table);
            if !has_schema
                || default
                || named.schema.contains_key(&table)
                || named.queried.contains(&table)
            {
                return None;
            }
            Some((
                "the schema does not define this table and no query touches it".into(),
                closest(&table, named.schema.keys().map(String::as_str)),
            ))
        }
        Setting::Schema => {
            if !index
                .ws
                .migrations(0, std::slice::from_ref(&e.value))
                .is_empty()
            {
                return None;
            }
            let why = if index.ws.root.join(&e.value).exists() {
                "it holds no .sql file (diesel `table!` and sea-orm entities are read from the code without it)"
            } else {
                "no such file or folder under the workspace root"
            };
            Some((why.into(), None))
        }
        Setting::ScopedFns => {
            let glob = globset::Glob::new(&e.value).ok()?.compile_matcher();
            if named.fns.iter().any(|f| glob.is_match(f)) {
                return None;
            }
            Some((
                "no fn or method of the workspace has a matching name".into(),
                closest(&e.value, named.fns.iter().copied()),
            ))
        }
        Setting::Checks
        | Setting::KeyBuilders
        | Setting::ScopedMethods
        | Setting::GlobalMethods => {
            if named.fns.contains(last) {
                return None;
            }
            let why = if e.value.contains(['*', '?', '[']) {
                "no fn or method has this name (it is matched as a name, not as a glob)"
            } else {
                "no fn or method of the workspace has this name, and nothing calls it"
            };
            Some((why.into(), closest(last, named.fns.iter().copied())))
        }
        Setting::Guards | Setting::Types | Setting::Interfaces => {
            if named.types.contains(last)
                || named.fns.contains(last)
                || e.setting == Setting::Interfaces && named.cache_families.contains(last)
            {
                return None;
            }
            Some((
                "no code of the workspace names this type".into(),
                closest(last, named.types.iter().copied()),
            ))
        }
        Setting::Layers => {
            if named
                .layers
                .iter()
                .any(|l| crate::frameworks::protection::mentions(l, &e.value))
                || named.fns.contains(last)
                || named.types.contains(last)
            {
                return None;
            }
            Some((
                "no layer, wrap or fn of the workspace names it".into(),
                closest(last, named.fns.iter().copied()),
            ))
        }
        Setting::ScopeEnum => {
            if named.scope_enum_found {
                return None;
            }
            Some((
                "no enum of the workspace has this name (and module path)".into(),
                closest(last, named.enums.iter().map(String::as_str)),
            ))
        }
    }
}

fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    crate::error::closest(word, candidates).map(String::from)
}

/// `public.Plans` -> `plans`.
fn bare_table(name: &str) -> String {
    name.rsplit('.')
        .next()
        .unwrap_or(name)
        .trim_matches(|c| c == '"' || c == '`')
        .to_ascii_lowercase()
}

/// The names and tables the config's entries ask about: what [`unmatched`] looks up in
/// [`Named`] (the last segment of a name, a bare table name).
struct Wanted {
    names: HashSet<String>,
    tables: HashSet<String>,
    /// A `scoped-fns` glob is matched against every fn name.
    all_fns: bool,
}

impl Wanted {
    fn of(entries: &[Entry]) -> Wanted {
        let mut w = Wanted {
            names: HashSet::new(),
            tables: HashSet::new(),
            all_fns: false,
        };
        for e in entries {
            match e.setting {
                Setting::GlobalTables | Setting::Table => {
                    w.tables.insert(bare_table(&e.value));
                }
                Setting::ScopedFns => w.all_fns = true,
                _ => {
                    let last = e.value.rsplit("::").next().unwrap_or(&e.value).trim();
                    w.names.insert(last.to_string());
                }
            }
        }
        w
    }
}

/// What the workspace names, read from the facts here and nowhere else in this rule: the fact
/// types are being reshaped, and this is the one place that has to follow.
/// Names are borrowed from the facts: collecting them allocates nothing per name. Collected for
/// the [`Wanted`] names only, the sets answer every lookup [`unmatched`] makes for those entries
/// but hold too little for its suggestions.
struct Named<'i> {
    /// Names of fns and methods defined, last segments of every call, attribute names.
    fns: HashSet<&'i str>,
    /// Identifiers written in types (parameters, fields, statics, impl self types), and the
    /// names of structs, enums and `use` imports.
    types: HashSet<&'i str>,
    enums: BTreeSet<String>,
    /// Layer and wrap expressions, as written.
    layers: Vec<String>,
    /// Every table of the schema (all packages) and its columns.
    schema: BTreeMap<String, Vec<String>>,
    /// Tables the queries touch.
    queried: HashSet<String>,
    /// Cache families the calls were recognised as (custom interfaces by their name).
    cache_families: HashSet<String>,
    scope_enum_found: bool,
}

impl<'i> Named<'i> {
    /// Reads the workspace's names; with `wanted`, only those, and only until `done` says
    /// they are all found (checked after each file).
    fn collect(
        cx: &RuleCx<'i, '_>,
        wanted: Option<&Wanted>,
        done: Option<&dyn Fn(&Named<'i>) -> bool>,
    ) -> Named<'i> {
        let mut n = Named {
            fns: HashSet::new(),
            types: HashSet::new(),
            enums: BTreeSet::new(),
            layers: Vec::new(),
            schema: BTreeMap::new(),
            queried: HashSet::new(),
            cache_families: HashSet::new(),
            scope_enum_found: false,
        };
        let name = |w: &str| wanted.is_none_or(|x| x.names.contains(w));
        let fn_name = |w: &str| wanted.is_none_or(|x| x.all_fns || x.names.contains(w));
        let words = |text: &'i str, into: &mut HashSet<&'i str>| {
            for w in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if !w.is_empty() && name(w) {
                    into.insert(w);
                }
            }
        };
        for e in cx.endpoints {
            n.layers.extend(e.layers.iter().cloned());
        }
        for t in &cx.index.tenancy {
            for (name, table) in &t.schema.tables {
                n.schema
                    .entry(name.clone())
                    .or_insert_with(|| table.columns.clone());
            }
        }
        if wanted.is_none_or(|w| !w.tables.is_empty()) {
            for v in cx.queries {
                let tables = v.tables.iter().map(|t| bare_table(t));
                n.queried
                    .extend(tables.filter(|t| wanted.is_none_or(|w| w.tables.contains(t))));
            }
        }
        for (_, c) in cx.caches {
            if name(&c.family) && !n.cache_families.contains(c.family.as_str()) {
                n.cache_families.insert(c.family.to_string());
            }
        }
        n.scope_enum_found =
            crate::frameworks::scopes::Scopes::load(cx.index).is_some_and(|s| s.enum_found);
        for f in cx.index.files {
            for func in &f.fns {
                if !func.is_closure && fn_name(&func.name) {
                    n.fns.insert(&func.name);
                }
                for p in &func.params {
                    words(&p.ty, &mut n.types);
                }
                // A guard written only as a value (`&auth_core::ServiceAuth`) is named too.
                let guards = func.guard_values().iter().map(String::as_str);
                n.types.extend(guards.filter(|g| name(g)));
                if let Some(t) = func.self_ty.as_deref().filter(|t| name(t)) {
                    n.types.insert(t);
                }
                for r in func.routes() {
                    n.layers.extend(r.wraps.iter().cloned());
                }
            }
            // Every name called in the file, and every attribute name on its fns.
            let called = f.called.iter().map(crate::intern::Name::as_str);
            n.fns.extend(called.filter(|c| fn_name(c)));
            for s in &f.structs {
                if name(&s.name) {
                    n.types.insert(&s.name);
                }
                for (_, ty) in &s.fields {
                    words(ty, &mut n.types);
                }
            }
            for e in &f.enums {
                if name(&e.name) {
                    n.types.insert(&e.name);
                }
                // Only the suggestions read the enums.
                if wanted.is_none() {
                    n.enums.insert(e.name.to_string());
                }
            }
            for s in &f.statics {
                words(&s.ty, &mut n.types);
            }
            for u in &f.uses {
                if name(&u.alias) {
                    n.types.insert(&u.alias);
                }
                let path = u.path.iter().map(String::as_str);
                n.types.extend(path.filter(|p| name(p)));
            }
            for r in &f.routers {
                for op in &r.ops {
                    match op {
                        RouterOp::Layer { text, .. } => n.layers.push(text.clone()),
                        RouterOp::Route { layers, .. } => n.layers.extend(layers.iter().cloned()),
                        _ => {}
                    }
                }
            }
            if done.is_some_and(|done| done(&n)) {
                break;
            }
        }
        n.layers.sort();
        n.layers.dedup();
        n
    }

    /// Every column of the schema, once.
    fn columns(&self) -> impl Iterator<Item = &str> {
        let all: BTreeSet<&str> = self.schema.values().flatten().map(String::as_str).collect();
        all.into_iter()
    }
}
