//! Configuration: discovery, the embedded defaults, validation with located errors.

mod raw;
pub mod schema;

use crate::diagnostic::{Pos, Severity, Span};
use crate::error::{Error, Result};
use globset::{Glob, GlobBuilder, GlobMatcher};
use raw::{List, RawBypass, RawConfig};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The embedded defaults (also the template `init` starts from).
pub const DEFAULT_TOML: &str = include_str!("default.toml");

/// File names tried at the workspace root, in order.
pub const CONFIG_FILES: &[&str] = &[
    "tenant-audit.toml",
    ".tenant-audit.toml",
    ".config/tenant-audit.toml",
];

/// Where the configuration came from.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    /// Path as shown in findings: relative to the workspace root when inside it.
    pub display: String,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct TenantConfig {
    pub columns: Vec<String>,
    pub identifiers: Vec<String>,
    pub types: Vec<String>,
    pub global_tables: Vec<String>,
    pub schema: Vec<String>,
    pub scoped_fns: Vec<GlobMatcher>,
    /// `[tenant.tables.X] column = ".."` / `columns = [..]`: table -> the columns any one of
    /// which scopes it.
    pub tables: BTreeMap<String, Vec<String>>,
}

impl TenantConfig {
    /// True when a fn or method name is tenant-scoped by construction.
    pub fn is_scoped_fn(&self, name: &str) -> bool {
        self.scoped_fns.iter().any(|g| g.is_match(name))
    }
}

#[derive(Debug, Clone, Default)]
pub struct HandlersConfig {
    /// Empty = detect per package.
    pub frameworks: Vec<String>,
    pub guards: Vec<String>,
    pub checks: Vec<String>,
    pub layers: Vec<String>,
    /// How many calls deep a check or guard value still protects a handler.
    pub check_depth: usize,
}

#[derive(Debug, Clone, Default)]
pub struct ScopesConfig {
    pub enum_name: Option<String>,
    /// Known scope strings with where they are written in the config file.
    pub known: Vec<(String, Span)>,
}

impl ScopesConfig {
    pub fn configured(&self) -> bool {
        self.enum_name.is_some() || !self.known.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct CacheConfig {
    pub interfaces: Vec<String>,
    pub scoped_methods: Vec<String>,
    pub global_methods: Vec<String>,
    pub key_builders: Vec<String>,
    /// Redis stream commands are judged as cache keys (default: they are queues, not judged).
    pub streams: bool,
}

/// What a `[[bypass]]` matches: a file, an item or a route.
#[derive(Debug, Clone)]
pub enum BypassTarget {
    /// File glob, relative to the workspace root (`src/jobs/**`).
    Path(GlobMatcher),
    /// Glob on the finding's item path (`api::public::*`): `*` is one path segment, `**` any.
    Item(GlobMatcher),
    /// Glob on the HTTP path of a handler's routes (`/auth/**`): `*` is one segment, `**` any;
    /// `methods` (upper-cased) restricts it to those methods.
    Route {
        matcher: GlobMatcher,
        methods: Option<Vec<String>>,
    },
}

/// A `[[bypass]]` entry.
#[derive(Debug, Clone)]
pub struct ConfigBypass {
    /// The glob as written.
    pub pattern: String,
    pub target: BypassTarget,
    /// Rule codes it is restricted to; None = all.
    pub rules: Option<Vec<&'static str>>,
    pub reason: Option<String>,
    /// Where the `[[bypass]]` header is in the config file.
    pub span: Span,
}

impl ConfigBypass {
    /// `path`, `item` or `route`: the key the glob is written under.
    pub fn by(&self) -> &'static str {
        match self.target {
            BypassTarget::Path(_) => "path",
            BypassTarget::Item(_) => "item",
            BypassTarget::Route { .. } => "route",
        }
    }

    /// The methods of a route bypass (None = every method, and for path and item bypasses).
    pub fn methods(&self) -> Option<&[String]> {
        match &self.target {
            BypassTarget::Route { methods, .. } => methods.as_deref(),
            _ => None,
        }
    }

    /// A path bypass covering this file (relative to the workspace root).
    pub fn matches_file(&self, file: &str) -> bool {
        matches!(&self.target, BypassTarget::Path(m) if m.is_match(file))
    }

    /// An item bypass covering this item path (`api::public::health`).
    pub fn matches_item(&self, item: &str) -> bool {
        matches!(&self.target, BypassTarget::Item(m) if !item.is_empty() && m.is_match(item.replace("::", "/")))
    }

    /// A route bypass covering this route: its path matches and, with `methods`, every method
    /// it serves is listed (a route for any method is covered only without `methods`).
    pub fn matches_route(&self, methods: &[String], path: Option<&str>) -> bool {
        let BypassTarget::Route {
            matcher,
            methods: allowed,
        } = &self.target
        else {
            return false;
        };
        let Some(path) = path else {
            return false;
        };
        let methods_ok = match allowed {
            None => true,
            Some(allowed) => {
                !methods.is_empty()
                    && methods
                        .iter()
                        .all(|m| allowed.iter().any(|a| a.eq_ignore_ascii_case(m)))
            }
        };
        methods_ok && matcher.is_match(path)
    }
}

/// A setting whose entries name something in the workspace: TA903 checks each entry the user
/// wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Columns,
    Types,
    GlobalTables,
    Schema,
    ScopedFns,
    /// `[tenant.tables.X]`: the table.
    Table,
    Guards,
    Checks,
    Layers,
    ScopeEnum,
    Interfaces,
    ScopedMethods,
    GlobalMethods,
    KeyBuilders,
}

impl Setting {
    /// The key as the user writes it: `[tenant] columns`.
    pub fn key(self) -> &'static str {
        match self {
            Setting::Columns => "[tenant] columns",
            Setting::Types => "[tenant] types",
            Setting::GlobalTables => "[tenant] global-tables",
            Setting::Schema => "[tenant] schema",
            Setting::ScopedFns => "[tenant] scoped-fns",
            Setting::Table => "[tenant.tables]",
            Setting::Guards => "[handlers] guards",
            Setting::Checks => "[handlers] checks",
            Setting::Layers => "[handlers] layers",
            Setting::ScopeEnum => "[scopes] enum",
            Setting::Interfaces => "[cache] interfaces",
            Setting::ScopedMethods => "[cache] scoped-methods",
            Setting::GlobalMethods => "[cache] global-methods",
            Setting::KeyBuilders => "[cache] key-builders",
        }
    }
}

/// One value written in the config file, and where.
#[derive(Debug, Clone)]
pub struct Entry {
    pub setting: Setting,
    pub value: String,
    pub span: Span,
}

/// What validation checks names against, handed in by the caller: config sits below the
/// framework registry and does not import it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// Framework names `[handlers] frameworks` accepts.
    pub frameworks: &'a [&'a str],
}

/// The validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub source: Option<ConfigSource>,
    pub tenant: TenantConfig,
    /// `None` = auto (per package).
    pub dialect: Option<crate::sql::Dialect>,
    pub handlers: HandlersConfig,
    pub scopes: ScopesConfig,
    pub cache: CacheConfig,
    /// Severity overrides by rule code; `None` = off.
    pub rules: BTreeMap<&'static str, Option<Severity>>,
    pub bypasses: Vec<ConfigBypass>,
    /// Every entry the config file writes that should name something in the workspace, with
    /// its place (none for the built-in defaults).
    pub entries: Vec<Entry>,
}

impl Config {
    /// The embedded defaults alone.
    pub fn defaults() -> Config {
        let mut p = Problems::new(None);
        let raw = embedded_defaults(&mut p);
        let config = validate(RawConfig::default(), raw, &mut p, Known::default());
        assert!(p.errors.is_empty(), "embedded default config is valid");
        config
    }

    /// Finds and loads the configuration for a workspace root (`explicit` = `--config`).
    pub fn discover(root: &Path, explicit: Option<&Path>, known: Known<'_>) -> Result<Config> {
        if let Some(path) = explicit {
            return Config::from_file(path, root, known);
        }
        for name in CONFIG_FILES {
            let path = root.join(name);
            // A directory where the file should be is an error, not "no config".
            if path.exists() {
                return Config::from_file(&path, root, known);
            }
        }
        let manifest = root.join("Cargo.toml");
        if manifest.is_file() {
            let text = read(&manifest)?;
            let source = ConfigSource {
                display: display_path(&manifest, root),
                text,
            };
            let mut p = Problems::new(Some(&source));
            let doc = p.parse(&source.text)?;
            if let Some(table) = raw::metadata(&mut p, doc.get_ref()) {
                let user = raw::read(&mut p, table);
                return finish(user, &source, p, known);
            }
            if let Some(e) = p.into_error() {
                return Err(e);
            }
        }
        Ok(Config::defaults())
    }

    /// The config that applies at `start` without discovering the workspace (for `explain`):
    /// the nearest folder upward with a config file, or the workspace root (a Cargo.toml with
    /// `[workspace]`), else the defaults.
    pub fn find_upward(start: &Path, explicit: Option<&Path>, known: Known<'_>) -> Result<Config> {
        let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
        if let Some(path) = explicit {
            return Config::from_file(path, &start, known);
        }
        for dir in start.ancestors() {
            let has_config = CONFIG_FILES.iter().any(|n| dir.join(n).exists());
            let workspace_root = std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|t| t.lines().any(|l| l.trim_start().starts_with("[workspace")));
            if has_config || workspace_root {
                return Config::discover(dir, None, known);
            }
        }
        Ok(Config::defaults())
    }

    pub fn from_file(path: &Path, root: &Path, known: Known<'_>) -> Result<Config> {
        if path.is_dir() {
            return Err(Error::in_file(
                "is a directory, expected a TOML config file",
                path,
            ));
        }
        let text = read(path)?;
        let display = display_path(path, root);
        Config::from_str(&text, &display, known)
    }

    /// Parses config text; `display` names the file in errors and findings. Every problem of
    /// the file is reported, each at its place.
    pub fn from_str(text: &str, display: &str, known: Known<'_>) -> Result<Config> {
        let source = ConfigSource {
            display: display.to_string(),
            text: text.to_string(),
        };
        let mut p = Problems::new(Some(&source));
        let doc = p.parse(text)?;
        // An empty file is most often a failed write or merge: say so rather than guess.
        if doc.get_ref().is_empty() {
            return Err(Error::at("the config file is empty", display, text, 0..0).with_help(
                "add settings (`cargo tenant-audit init` writes a starter file), or delete it to use the defaults",
            ));
        }
        let user = raw::read(&mut p, doc.get_ref());
        finish(user, &source, p, known)
    }

    /// Effective severity of a rule (None = off).
    pub fn severity(&self, code: &str, default: Severity) -> Option<Severity> {
        match self.rules.get(code) {
            Some(s) => *s,
            None => Some(default),
        }
    }

    /// The tenant types: configured, or the columns in CamelCase.
    pub fn tenant_types(&self) -> Vec<String> {
        if !self.tenant.types.is_empty() {
            return self.tenant.types.clone();
        }
        self.tenant.columns.iter().map(|c| camel_case(c)).collect()
    }

    /// Is `word` one of [`Config::tenant_types`]? Asked for every typed local and path the walk
    /// meets, so the list is not made.
    pub fn is_tenant_type(&self, word: &str) -> bool {
        if !self.tenant.types.is_empty() {
            return self.tenant.types.iter().any(|t| t == word);
        }
        self.tenant
            .columns
            .iter()
            .any(|c| word.chars().eq(camel_chars(c)))
    }

    /// Names that carry the tenant: identifiers plus columns.
    pub fn tenant_identifiers(&self) -> Vec<String> {
        let mut v = self.tenant.columns.clone();
        v.extend(self.tenant.identifiers.iter().cloned());
        v
    }
}

/// Validates a user config against the defaults; the problems of both reading and validating
/// come out together, sorted by place.
fn finish(
    user: RawConfig,
    source: &ConfigSource,
    mut p: Problems<'_>,
    known: Known<'_>,
) -> Result<Config> {
    let mut d = Problems::new(None);
    let defaults = embedded_defaults(&mut d);
    let mut config = validate(user, defaults, &mut p, known);
    match p.into_error() {
        Some(e) => Err(e),
        None => {
            config.source = Some(source.clone());
            Ok(config)
        }
    }
}

fn embedded_defaults(p: &mut Problems<'_>) -> RawConfig {
    let doc = toml::de::DeTable::parse(DEFAULT_TOML).expect("embedded default config parses");
    raw::read(p, doc.get_ref())
}

/// `org_id` -> `OrgId`.
pub fn camel_case(s: &str) -> String {
    camel_chars(s).collect()
}

/// The characters of [`camel_case`]`(s)`.
fn camel_chars(s: &str) -> impl Iterator<Item = char> + '_ {
    s.split('_').filter(|p| !p.is_empty()).flat_map(|p| {
        let mut c = p.chars();
        let first = c.next().into_iter().flat_map(char::to_uppercase);
        first.chain(c)
    })
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::in_file(format!("cannot read config: {e}"), path))
}

fn display_path(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

const REFERENCE_HELP: &str =
    "see the configuration reference in README.md (`cargo tenant-audit init` writes a starter file)";

/// The problems of one config file, collected so that all of them are reported at once.
pub(crate) struct Problems<'a> {
    source: Option<&'a ConfigSource>,
    errors: Vec<(usize, Error)>,
}

impl<'a> Problems<'a> {
    fn new(source: Option<&'a ConfigSource>) -> Problems<'a> {
        Problems {
            source,
            errors: Vec::new(),
        }
    }

    /// Parses the TOML document; syntax errors (all that the parser recovers from) stop here.
    fn parse<'t>(&mut self, text: &'t str) -> Result<Spanned<toml::de::DeTable<'t>>> {
        let (doc, errors) = toml::de::DeTable::parse_recoverable(text);
        for e in &errors {
            self.error(e.message().trim().to_string(), e.span().unwrap_or(0..0));
        }
        match std::mem::take(&mut self.errors)
            .into_iter()
            .map(|(_, e)| e)
            .collect::<Vec<_>>()
        {
            errors if errors.is_empty() => Ok(doc),
            errors => Err(Error::many(errors).expect("not empty")),
        }
    }

    pub(crate) fn error(&mut self, message: String, range: Range<usize>) {
        let start = range.start;
        let e = match self.source {
            Some(s) => Error::at(message, &s.display, &s.text, range),
            None => Error::new(message),
        };
        self.errors.push((start, e.with_help(REFERENCE_HELP)));
    }

    /// The 1-based place of a byte range of the config text.
    fn span(&self, range: Range<usize>) -> Span {
        let Some(s) = self.source else {
            return Span::default();
        };
        let pos = |offset: usize| {
            let (l, c) = crate::error::line_col(&s.text, offset);
            Pos {
                line: l as u32,
                column: c as u32,
            }
        };
        Span {
            start: pos(range.start),
            end: pos(range.end),
        }
    }

    /// All problems as one error, in the order they appear in the file.
    fn into_error(mut self) -> Option<Error> {
        self.errors.sort_by_key(|(start, _)| *start);
        Error::many(self.errors.into_iter().map(|(_, e)| e).collect())
    }
}

/// The user's list, or the default one when the user did not write the key.
fn pick(user: List, default: List) -> Vec<Spanned<String>> {
    user.or(default).unwrap_or_default()
}

fn plain(v: Vec<Spanned<String>>) -> Vec<String> {
    v.into_iter().map(|s| s.into_inner()).collect()
}

/// Records the entries of a list the user wrote (the defaults have no place and are not
/// entries).
fn note(entries: &mut Vec<Entry>, p: &Problems<'_>, setting: Setting, user: &List) {
    for v in user.iter().flatten() {
        entries.push(Entry {
            setting,
            value: v.get_ref().clone(),
            span: p.span(v.span()),
        });
    }
}

fn validate(
    user: RawConfig,
    defaults: RawConfig,
    p: &mut Problems<'_>,
    known: Known<'_>,
) -> Config {
    let mut entries = Vec::new();
    let (ut, dt) = (
        user.tenant.unwrap_or_default(),
        defaults.tenant.unwrap_or_default(),
    );
    for (setting, list) in [
        (Setting::Columns, &ut.columns),
        (Setting::Types, &ut.types),
        (Setting::GlobalTables, &ut.global_tables),
        (Setting::Schema, &ut.schema),
        (Setting::ScopedFns, &ut.scoped_fns),
    ] {
        note(&mut entries, p, setting, list);
    }
    let mut scoped_fns = Vec::new();
    for g in pick(ut.scoped_fns, dt.scoped_fns) {
        match Glob::new(g.get_ref()) {
            Ok(glob) => scoped_fns.push(glob.compile_matcher()),
            Err(e) => p.error(
                format!("invalid glob `{}`: {}", g.get_ref(), e.kind()),
                g.span(),
            ),
        }
    }
    let columns_written = ut.columns.as_ref().map(|c| c.is_empty());
    let mut tables = BTreeMap::new();
    for (name, t) in ut.tables.unwrap_or_default() {
        let table = name.get_ref().to_ascii_lowercase();
        entries.push(Entry {
            setting: Setting::Table,
            value: table.clone(),
            span: p.span(name.span()),
        });
        // `column` or `columns`, not both, not neither; no empty list or name.
        let columns = match (t.column, t.columns) {
            (Some(_), Some(list)) => {
                let at = list.first().map(|c| c.span()).unwrap_or(name.span());
                p.error(
                    format!("`[tenant.tables.{}]` sets both `column` and `columns`: keep one (`columns` takes a list of one too)", name.get_ref()),
                    at,
                );
                continue;
            }
            (Some(c), None) => vec![c],
            (None, Some(list)) if list.is_empty() => {
                p.error(
                    format!(
                        "`[tenant.tables.{}] columns` is empty: name at least one column",
                        name.get_ref()
                    ),
                    name.span(),
                );
                continue;
            }
            (None, Some(list)) => list,
            (None, None) => continue,
        };
        let mut names = Vec::new();
        for c in columns {
            if c.get_ref().trim().is_empty() {
                p.error(
                    format!("`[tenant.tables.{}]` names an empty column", name.get_ref()),
                    c.span(),
                );
            } else {
                names.push(c.into_inner().to_ascii_lowercase());
            }
        }
        if !names.is_empty() {
            tables.insert(table, names);
        }
    }
    let tenant = TenantConfig {
        columns: plain(pick(ut.columns, dt.columns))
            .into_iter()
            .map(|c| c.to_ascii_lowercase())
            .collect(),
        identifiers: plain(pick(ut.identifiers, dt.identifiers)),
        types: plain(pick(ut.types, dt.types)),
        global_tables: plain(pick(ut.global_tables, dt.global_tables))
            .into_iter()
            .map(|c| c.to_ascii_lowercase())
            .collect(),
        schema: plain(pick(ut.schema, dt.schema)),
        scoped_fns,
        tables,
    };
    if columns_written == Some(true) {
        let at = entries_place(p, "columns");
        p.error(
            "`[tenant] columns` must name at least one tenant column".into(),
            at,
        );
    }

    let dialect = match user.sql.and_then(|s| s.dialect) {
        Some(d) => {
            let name = d.get_ref().to_ascii_lowercase();
            match crate::sql::Dialect::from_name(&name) {
                _ if name == "auto" => None,
                Some(dialect) => Some(dialect),
                None => {
                    p.error(
                        format!(
                            "unknown SQL dialect `{}`: expected auto, postgres, mysql, sqlite or generic",
                            d.get_ref()
                        ),
                        d.span(),
                    );
                    None
                }
            }
        }
        None => None,
    };

    let (uh, dh) = (
        user.handlers.unwrap_or_default(),
        defaults.handlers.unwrap_or_default(),
    );
    for (setting, list) in [
        (Setting::Guards, &uh.guards),
        (Setting::Checks, &uh.checks),
        (Setting::Layers, &uh.layers),
    ] {
        note(&mut entries, p, setting, list);
    }
    let frameworks = pick(uh.frameworks, dh.frameworks);
    for f in &frameworks {
        if !known.frameworks.contains(&f.get_ref().as_str()) {
            let hint = crate::error::closest(f.get_ref(), known.frameworks.iter().copied())
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            p.error(
                format!(
                    "unknown framework `{}`: {hint}expected one of {}",
                    f.get_ref(),
                    known.frameworks.join(", ")
                ),
                f.span(),
            );
        }
    }
    let handlers = HandlersConfig {
        frameworks: plain(frameworks),
        guards: plain(pick(uh.guards, dh.guards)),
        checks: plain(pick(uh.checks, dh.checks)),
        layers: plain(pick(uh.layers, dh.layers)),
        check_depth: uh
            .check_depth
            .or(dh.check_depth)
            .map_or(3, |d| d.into_inner()),
    };

    let us = user.scopes.unwrap_or_default();
    if let Some(e) = &us.enum_name {
        entries.push(Entry {
            setting: Setting::ScopeEnum,
            value: e.get_ref().clone(),
            span: p.span(e.span()),
        });
    }
    let scopes = ScopesConfig {
        enum_name: us.enum_name.map(|s| s.into_inner()),
        known: us
            .known
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                let span = p.span(s.span());
                (s.into_inner(), span)
            })
            .collect(),
    };

    let (uc, dc) = (
        user.cache.unwrap_or_default(),
        defaults.cache.unwrap_or_default(),
    );
    for (setting, list) in [
        (Setting::Interfaces, &uc.interfaces),
        (Setting::ScopedMethods, &uc.scoped_methods),
        (Setting::GlobalMethods, &uc.global_methods),
        (Setting::KeyBuilders, &uc.key_builders),
    ] {
        note(&mut entries, p, setting, list);
    }
    let cache = CacheConfig {
        interfaces: plain(pick(uc.interfaces, dc.interfaces)),
        scoped_methods: plain(pick(uc.scoped_methods, dc.scoped_methods)),
        global_methods: plain(pick(uc.global_methods, dc.global_methods)),
        key_builders: plain(pick(uc.key_builders, dc.key_builders)),
        streams: uc.streams.or(dc.streams).is_some_and(|s| s.into_inner()),
    };

    let mut rules = BTreeMap::new();
    for (k, v) in user.rules.unwrap_or_default() {
        let Some(rule) = rule_code(p, &k, "") else {
            continue;
        };
        match v.get_ref().as_str() {
            "off" | "allow" => {
                rules.insert(rule, None);
            }
            other => match Severity::parse(other) {
                Some(sev) => {
                    rules.insert(rule, Some(sev));
                }
                None => p.error(
                    format!("unknown severity `{other}`: expected error, warning, note or off"),
                    v.span(),
                ),
            },
        }
    }

    let bypasses = user
        .bypass
        .unwrap_or_default()
        .into_iter()
        .filter_map(|b| bypass(p, b))
        .collect();

    Config {
        source: None,
        tenant,
        dialect,
        handlers,
        scopes,
        cache,
        rules,
        bypasses,
        entries,
    }
}

/// Where `key = ..` is written in the config text (for errors about a whole list).
fn entries_place(p: &Problems<'_>, key: &str) -> Range<usize> {
    let Some(s) = p.source else { return 0..0 };
    let mut offset = 0;
    for line in s.text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
            let col = line.len() - t.len();
            return offset + col..offset + col + key.len();
        }
        offset += line.len();
    }
    0..0
}

fn rule_code(p: &mut Problems<'_>, name: &Spanned<String>, place: &str) -> Option<&'static str> {
    match tenant_audit_syntax::find_rule(name.get_ref()) {
        Some(r) => Some(r.code),
        None => {
            p.error(
                format!(
                    "unknown rule `{}`{place} (see `cargo tenant-audit rules`)",
                    name.get_ref()
                ),
                name.span(),
            );
            None
        }
    }
}

/// HTTP methods a route bypass may list.
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// One `[[bypass]]`: exactly one of `path`, `item`, `route`; `methods` only with `route`.
fn bypass(p: &mut Problems<'_>, b: RawBypass) -> Option<ConfigBypass> {
    let header = b.header.clone();
    let given: Vec<(&str, Spanned<String>)> =
        [("path", b.path), ("item", b.item), ("route", b.route)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
    let rules = b.rules.map(|list| {
        list.iter()
            .filter_map(|r| rule_code(p, r, " in [[bypass]]"))
            .collect()
    });
    let mut methods = None;
    if let Some(list) = &b.methods {
        let mut ok = Vec::new();
        for m in list {
            let upper = m.get_ref().to_ascii_uppercase();
            if METHODS.contains(&upper.as_str()) {
                ok.push(upper);
            } else {
                p.error(
                    format!(
                        "unknown HTTP method `{}` in [[bypass]] methods: expected {}",
                        m.get_ref(),
                        METHODS.join(", ")
                    ),
                    m.span(),
                );
            }
        }
        methods = Some(ok);
    }
    let (by, glob) = match given.as_slice() {
        [one] => one.clone(),
        [] => {
            p.error(
                "a `[[bypass]]` needs one of `path` (file glob), `item` (item path glob) or `route` (HTTP path glob)".into(),
                header,
            );
            return None;
        }
        [_, second, ..] => {
            let names: Vec<&str> = given.iter().map(|(k, _)| *k).collect();
            p.error(
                format!(
                    "a `[[bypass]]` takes one of `path`, `item` or `route`; this one has {}: split it into one `[[bypass]]` each",
                    names.join(" and ")
                ),
                second.1.span(),
            );
            return None;
        }
    };
    if by != "route" {
        if let Some(list) = &b.methods {
            p.error(
                format!("`methods` goes with `route`, not with `{by}`"),
                list.first().map(|m| m.span()).unwrap_or(header.clone()),
            );
        }
    }
    let pattern = glob.get_ref().clone();
    let built = match by {
        "path" => Glob::new(&pattern),
        "item" => segment_glob(&pattern.replace("::", "/")),
        _ => segment_glob(&escape_braces(&pattern)),
    };
    let matcher = match built {
        Ok(g) => g.compile_matcher(),
        Err(e) => {
            p.error(
                format!("invalid glob `{pattern}`: {}", e.kind()),
                glob.span(),
            );
            return None;
        }
    };
    let target = match by {
        "path" => BypassTarget::Path(matcher),
        "item" => BypassTarget::Item(matcher),
        _ => BypassTarget::Route { matcher, methods },
    };
    Some(ConfigBypass {
        pattern,
        target,
        rules,
        reason: b.reason.map(|r| r.into_inner()),
        // A point, as TA902 and TA901 of a config bypass have always been reported.
        span: p.span(header.start..header.start),
    })
}

/// A glob whose `*` stays within one `/`-separated segment and `**` crosses them.
fn segment_glob(pattern: &str) -> std::result::Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// Route paths write parameters in braces (`/orgs/{org}`): they are literal, not alternations.
fn escape_braces(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        if matches!(c, '{' | '}') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Resolves a `--config` path relative to the working directory.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: Known<'static> = Known {
        frameworks: &["axum", "actix-web"],
    };

    fn parse(text: &str) -> Result<Config> {
        Config::from_str(text, "t.toml", KNOWN)
    }

    #[test]
    fn empty_file_is_an_error() {
        let e = parse("# nothing here\n\n").unwrap_err();
        assert_eq!(e.line_col(), Some((1, 1)));
        assert!(e.message.contains("empty"));
    }

    #[test]
    fn defaults_load() {
        let c = Config::defaults();
        assert!(c.tenant.columns.contains(&"org_id".to_string()));
        assert!(c.tenant_types().contains(&"OrgId".to_string()));
    }

    #[test]
    fn unknown_key_is_located() {
        let e = parse("[tenant]\ncolums = [\"org_id\"]\n").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 1)));
        assert!(e.message.contains("colums"), "{}", e.message);
    }

    #[test]
    fn wrong_type_is_located() {
        let e = parse("[tenant]\ncolumns = \"org_id\"\n").unwrap_err();
        assert_eq!(e.line_col().map(|p| p.0), Some(2));
    }

    #[test]
    fn bad_rule_and_severity() {
        let e = parse("[rules]\nTA999 = \"error\"\n").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 1)));
        let e = parse("[rules]\nTA201 = \"loud\"\n").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 9)));
        let c = parse("[rules]\nunanalyzable-query = \"off\"\n").unwrap();
        assert_eq!(c.rules.get("TA202"), Some(&None));
    }

    #[test]
    fn cache_streams_is_a_located_bool() {
        assert!(!Config::defaults().cache.streams);
        assert!(parse("[cache]\nstreams = true\n").unwrap().cache.streams);
        let e = parse("[cache]\nstreams = \"yes\"\n").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 11)));
        assert!(e.message.contains("true or false"), "{}", e.message);
    }

    #[test]
    fn bad_glob_is_located() {
        let e = parse("[[bypass]]\npath = \"src/[jobs\"\nreason = \"x y\"\n").unwrap_err();
        assert_eq!(e.line_col().map(|p| p.0), Some(2));
    }

    #[test]
    fn a_tenant_type_is_one_of_the_listed_types_or_a_column_in_camel_case() {
        let mut c = Config::defaults();
        c.tenant.types.clear();
        c.tenant.columns = ["org_id", "__workspace__uuid", "straße_id", "x"]
            .map(String::from)
            .to_vec();
        let types = c.tenant_types();
        assert_eq!(types, ["OrgId", "WorkspaceUuid", "StraßeId", "X"]);
        for w in [
            "OrgId",
            "WorkspaceUuid",
            "StraßeId",
            "X",
            "orgId",
            "Org",
            "OrgIdx",
            "",
            "Id",
        ] {
            assert_eq!(c.is_tenant_type(w), types.iter().any(|t| t == w), "{w}");
        }
        c.tenant.types = vec!["Tenant".into()];
        assert!(c.is_tenant_type("Tenant"));
        assert!(
            !c.is_tenant_type("OrgId"),
            "listed types replace the columns' names"
        );
    }

    #[test]
    fn user_overrides_defaults_per_key() {
        let c = parse("[tenant]\ncolumns = [\"account_id\"]\n").unwrap();
        assert_eq!(c.tenant.columns, vec!["account_id"]);
        assert!(c
            .tenant
            .global_tables
            .contains(&"_sqlx_migrations".to_string()));
        assert_eq!(c.tenant_types(), vec!["AccountId"]);
    }

    #[test]
    fn table_scope_column_or_columns() {
        let c = parse(
            "[tenant.tables.Memberships]\ncolumns = [\"collection_uuid\", \"User_uuid\"]\n[tenant.tables.orgs]\ncolumn = \"id\"\n",
        )
        .unwrap();
        assert_eq!(
            c.tenant.tables.get("memberships"),
            Some(&vec![
                "collection_uuid".to_string(),
                "user_uuid".to_string()
            ])
        );
        assert_eq!(c.tenant.tables.get("orgs"), Some(&vec!["id".to_string()]));
        let e = parse("[tenant.tables.orgs]\ncolumn = \"id\"\ncolumns = [\"id\"]\n").unwrap_err();
        assert!(e.message.contains("both"), "{}", e.message);
        assert_eq!(e.line_col(), Some((3, 12)));
        let e = parse("[tenant]\n[tenant.tables.orgs]\n").unwrap_err();
        assert!(e.message.contains("needs `column"), "{}", e.message);
        assert_eq!(e.line_col().map(|p| p.0), Some(2));
        let e = parse("[tenant.tables.orgs]\ncolumns = []\n").unwrap_err();
        assert!(e.message.contains("empty"), "{}", e.message);
        let e = parse("[tenant.tables.orgs]\ncolumn = \" \"\n").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 10)));
        // A misspelt key is reported where it is written (and the table also lacks its column).
        let e = parse("[tenant.tables.orgs]\ncolum = \"id\"\n").unwrap_err();
        let places: Vec<_> = std::iter::once(&e)
            .chain(e.also.iter())
            .map(|x| x.line_col())
            .collect();
        assert!(places.contains(&Some((2, 1))), "{places:?}");
    }

    #[test]
    fn bypass_header_span() {
        let c = parse(
            "[rules]\n\n[[bypass]]\npath = \"src/jobs/**\"\nrules = [\"TA201\"]\nreason = \"rollup\"\n",
        )
        .unwrap();
        assert_eq!(c.bypasses[0].span.start.line, 3);
        assert_eq!(c.bypasses[0].rules, Some(vec!["TA201"]));
    }

    /// (line, column, message) of every error, in order.
    fn problems(text: &str) -> Vec<(usize, usize, String)> {
        let e = parse(text).unwrap_err();
        e.all()
            .map(|e| {
                let (l, c) = e.line_col().expect("located");
                (l, c, e.message.clone())
            })
            .collect()
    }

    #[test]
    fn every_problem_of_a_file_is_reported() {
        let text = "[tenant]\ncolums = [\"org_id\"]\nschema = \"migrations\"\nscoped-fns = [\"a[\", 3]\n\n[sql]\ndialect = \"oracle\"\n\n[handlers]\nframeworks = [\"axun\"]\n\n[rules]\nTA999 = \"error\"\nTA201 = \"loud\"\n\n[cahce]\n";
        let got = problems(text);
        let places: Vec<(usize, usize)> = got.iter().map(|(l, c, _)| (*l, *c)).collect();
        assert_eq!(
            places,
            [
                (2, 1),
                (3, 10),
                (4, 15),
                (4, 21),
                (7, 11),
                (10, 15),
                (13, 1),
                (14, 9),
                (16, 2)
            ],
            "{got:#?}"
        );
        assert!(got[0].2.contains("did you mean `columns`?"), "{}", got[0].2);
        assert!(
            got[1]
                .2
                .contains("expected a list of strings, found string"),
            "{}",
            got[1].2
        );
        assert!(got[2].2.contains("invalid glob `a[`"), "{}", got[2].2);
        assert!(
            got[3].2.contains("expected a string, found integer"),
            "{}",
            got[3].2
        );
        assert!(got[5].2.contains("did you mean `axum`?"), "{}", got[5].2);
        assert!(
            got[8].2.contains("unknown key `cahce` at the top level"),
            "{}",
            got[8].2
        );
        // Display lists them all, one headline each.
        let shown = parse(text).unwrap_err().to_string();
        assert_eq!(shown.matches("t.toml:").count(), 9, "{shown}");
    }

    #[test]
    fn syntax_errors_are_located_and_stop_validation() {
        let got = problems("[tenant]\ncolumns = [\"org_id\"\n");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, 2);
    }

    #[test]
    fn frameworks_are_checked_against_the_names_the_caller_knows() {
        assert!(parse("[handlers]\nframeworks = [\"actix-web\"]\n").is_ok());
        let none = Known { frameworks: &[] };
        let e = Config::from_str("[handlers]\nframeworks = [\"axum\"]\n", "t.toml", none);
        assert!(e.is_err());
    }

    #[test]
    fn bypass_by_path_item_or_route() {
        let c = parse(
            "[[bypass]]\nitem = \"api::public::*\"\nreason = \"public pages\"\n\n[[bypass]]\nroute = \"/auth/**\"\nmethods = [\"get\", \"POST\"]\nrules = [\"TA101\"]\nreason = \"login is public\"\n\n[[bypass]]\nroute = \"/orgs/{org}/*\"\nreason = \"x y\"\n",
        )
        .unwrap();
        let [item, route, braces] = &c.bypasses[..] else {
            panic!("{:?}", c.bypasses)
        };
        assert_eq!(item.by(), "item");
        assert!(item.matches_item("api::public::health"));
        assert!(
            !item.matches_item("api::public::v2::health"),
            "`*` is one segment"
        );
        assert!(!item.matches_item("api::private::x"));
        assert!(!item.matches_file("api::public::health"));
        assert_eq!(route.by(), "route");
        assert_eq!(route.span.start.line, 5);
        let get = vec!["GET".to_string()];
        assert!(route.matches_route(&get, Some("/auth/login")));
        assert!(route.matches_route(&get, Some("/auth/oauth/callback")));
        assert!(!route.matches_route(&get, Some("/api/auth/login")));
        assert!(!route.matches_route(&["DELETE".to_string()], Some("/auth/login")));
        assert!(
            !route.matches_route(&[], Some("/auth/login")),
            "ANY is more than GET, POST"
        );
        assert!(!route.matches_route(&get, None));
        assert_eq!(
            route.methods(),
            Some(&["GET".to_string(), "POST".to_string()][..])
        );
        // Braces are route parameters, not alternations.
        assert!(braces.matches_route(&[], Some("/orgs/{org}/invoices")));
        assert!(!braces.matches_route(&[], Some("/orgs/org/invoices")));
    }

    #[test]
    fn a_bypass_needs_exactly_one_target() {
        let got = problems(
            "[[bypass]]\nreason = \"no target\"\n\n[[bypass]]\npath = \"src/**\"\nroute = \"/x\"\nreason = \"two\"\n\n[[bypass]]\npath = \"src/**\"\nmethods = [\"GET\"]\nreason = \"methods without route\"\n\n[[bypass]]\nroute = \"/x\"\nmethods = [\"FETCH\"]\nreason = \"bad method\"\n",
        );
        let places: Vec<(usize, usize)> = got.iter().map(|(l, c, _)| (*l, *c)).collect();
        assert_eq!(places, [(1, 1), (6, 9), (11, 12), (16, 12)], "{got:#?}");
        assert!(got[0].2.contains("needs one of `path`"), "{}", got[0].2);
        assert!(
            got[1].2.contains("this one has path and route"),
            "{}",
            got[1].2
        );
        assert!(
            got[2].2.contains("`methods` goes with `route`"),
            "{}",
            got[2].2
        );
        assert!(
            got[3].2.contains("unknown HTTP method `FETCH`"),
            "{}",
            got[3].2
        );
    }

    #[test]
    fn entries_keep_their_place() {
        let c = parse(
            "[tenant]\ncolumns = [\"org_id\", \"team_id\"]\n\n[tenant.tables.orgs]\ncolumn = \"id\"\n\n[handlers]\nguards = [\"AdminUser\"]\n",
        )
        .unwrap();
        let seen: Vec<(Setting, &str, u32, u32)> = c
            .entries
            .iter()
            .map(|e| {
                (
                    e.setting,
                    e.value.as_str(),
                    e.span.start.line,
                    e.span.start.column,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (Setting::Columns, "org_id", 2, 12),
                (Setting::Columns, "team_id", 2, 22),
                (Setting::Table, "orgs", 4, 16),
                (Setting::Guards, "AdminUser", 8, 11),
            ]
        );
        assert!(
            Config::defaults().entries.is_empty(),
            "defaults are no entries"
        );
    }

    #[test]
    fn config_in_cargo_metadata_is_read_with_places() {
        let dir = std::env::temp_dir().join(format!("ta-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"x\"\n\n[package.metadata.tenant-audit.handlers]\nguards = [\"Admin\"]\nchecks = 3\n",
        )
        .unwrap();
        let e = Config::discover(&dir, None, KNOWN).unwrap_err();
        assert_eq!(e.file.as_deref(), Some("Cargo.toml"));
        assert_eq!(e.line_col(), Some((6, 10)));
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"x\"\n\n[package.metadata.tenant-audit.handlers]\nguards = [\"Admin\"]\n",
        )
        .unwrap();
        let c = Config::discover(&dir, None, KNOWN).unwrap();
        assert_eq!(c.handlers.guards, ["Admin"]);
        assert_eq!(c.entries[0].span.start.line, 5);
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"x\"\n\n[package.metadata]\ntenant-audit = \"strict\"\n",
        )
        .unwrap();
        let e = Config::discover(&dir, None, KNOWN).unwrap_err();
        assert_eq!(e.line_col(), Some((5, 16)), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hostile_shapes_are_located_errors_not_panics() {
        for text in [
            "[[bypass]]\n[[bypass]]\nmethods = 1\n",
            "bypass = [1, {}]\n",
            "bypass = \"x\"\n",
            "[tenant.tables]\norgs = 1\n",
            "[tenant]\ntables = []\n",
            "[tenant.tables.orgs]\n",
            "rules = 3\n",
            "[rules]\nTA201 = 1\n",
            "tenant = 1\nsql = []\nscopes = true\ncache = 1.5\nhandlers = 1979-05-27\n",
            "[tenant]\ncolumns = []\n",
            "[[bypass]]\nroute = \"/a/[\"\nreason = \"x y\"\n",
            "[[bypass]]\nitem = \"a::{b\"\nreason = \"x y\"\n",
            "\u{feff}[tenant]\ncolumns = [\"ü\", 1]\n",
            "[tenant\n",
        ] {
            let e = parse(text).expect_err(text);
            for one in e.all() {
                assert!(one.line_col().is_some(), "{text:?}: {one}");
            }
        }
    }
}
