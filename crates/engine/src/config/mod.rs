//! Configuration: discovery, the embedded defaults, validation with located errors.

mod raw;

use crate::diagnostic::{Severity, Span};
use crate::error::{Error, Result};
use globset::{Glob, GlobMatcher};
use raw::{List, RawConfig};
use std::collections::BTreeMap;
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
}

/// A `[[bypass]]` entry.
#[derive(Debug, Clone)]
pub struct ConfigBypass {
    pub pattern: String,
    pub matcher: GlobMatcher,
    /// Rule codes it is restricted to; None = all.
    pub rules: Option<Vec<&'static str>>,
    pub reason: Option<String>,
    /// Where the `[[bypass]]` header is in the config file.
    pub span: Span,
}

/// The validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub source: Option<ConfigSource>,
    pub tenant: TenantConfig,
    /// `None` = auto (per package).
    pub dialect: Option<String>,
    pub handlers: HandlersConfig,
    pub scopes: ScopesConfig,
    pub cache: CacheConfig,
    /// Severity overrides by rule code; `None` = off.
    pub rules: BTreeMap<&'static str, Option<Severity>>,
    pub bypasses: Vec<ConfigBypass>,
}

impl Config {
    /// The embedded defaults alone.
    pub fn defaults() -> Config {
        let raw: RawConfig =
            toml::from_str(DEFAULT_TOML).expect("embedded default config is valid");
        validate(RawConfig::default(), raw, None).expect("embedded default config is valid")
    }

    /// Finds and loads the configuration for a workspace root (`explicit` = `--config`).
    pub fn discover(root: &Path, explicit: Option<&Path>) -> Result<Config> {
        if let Some(path) = explicit {
            return Config::from_file(path, root);
        }
        for name in CONFIG_FILES {
            let path = root.join(name);
            // A directory where the file should be is an error, not "no config".
            if path.exists() {
                return Config::from_file(&path, root);
            }
        }
        let manifest = root.join("Cargo.toml");
        if manifest.is_file() {
            let text = read(&manifest)?;
            let display = display_path(&manifest, root);
            let parsed: raw::Manifest =
                toml::from_str(&text).map_err(|e| toml_error(&e, &display, &text))?;
            let from_ws = parsed
                .workspace
                .and_then(|w| w.metadata)
                .and_then(|m| m.tenant_audit);
            let from_pkg = parsed
                .package
                .and_then(|p| p.metadata)
                .and_then(|m| m.tenant_audit);
            if let Some(raw) = from_ws.or(from_pkg) {
                return Config::from_raw(raw, Some(ConfigSource { display, text }));
            }
        }
        Ok(Config::defaults())
    }

    pub fn from_file(path: &Path, root: &Path) -> Result<Config> {
        if path.is_dir() {
            return Err(Error::in_file(
                "is a directory, expected a TOML config file",
                path,
            ));
        }
        let text = read(path)?;
        let display = display_path(path, root);
        Config::from_str(&text, &display)
    }

    /// Parses config text; `display` names the file in errors and findings.
    pub fn from_str(text: &str, display: &str) -> Result<Config> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&e, display, text))?;
        // An empty file is most often a failed write or merge: say so rather than guess.
        if text.parse::<toml::Table>().is_ok_and(|t| t.is_empty()) {
            return Err(Error::at("the config file is empty", display, text, 0..0).with_help(
                "add settings (`cargo tenant-audit init` writes a starter file), or delete it to use the defaults",
            ));
        }
        Config::from_raw(
            raw,
            Some(ConfigSource {
                display: display.to_string(),
                text: text.to_string(),
            }),
        )
    }

    fn from_raw(user: RawConfig, source: Option<ConfigSource>) -> Result<Config> {
        let defaults: RawConfig = toml::from_str(DEFAULT_TOML).expect("embedded default config");
        validate(user, defaults, source)
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

    /// Names that carry the tenant: identifiers plus columns.
    pub fn tenant_identifiers(&self) -> Vec<String> {
        let mut v = self.tenant.columns.clone();
        v.extend(self.tenant.identifiers.iter().cloned());
        v
    }
}

/// `org_id` -> `OrgId`.
pub fn camel_case(s: &str) -> String {
    s.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
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

fn toml_error(e: &toml::de::Error, display: &str, text: &str) -> Error {
    let range = e.span().unwrap_or(0..0);
    Error::at(e.message().trim().to_string(), display, text, range)
        .with_help("see the configuration reference in README.md (`cargo tenant-audit init` writes a starter file)")
}

struct Ctx<'a> {
    source: Option<&'a ConfigSource>,
}

impl Ctx<'_> {
    fn err(&self, message: String, range: std::ops::Range<usize>) -> Error {
        match self.source {
            Some(s) => Error::at(message, &s.display, &s.text, range),
            None => Error::new(message),
        }
    }

    fn span(&self, range: std::ops::Range<usize>) -> Span {
        match self.source {
            Some(s) => {
                let (l, c) = crate::error::line_col(&s.text, range.start);
                Span::point(l as u32, c as u32)
            }
            None => Span::default(),
        }
    }
}

fn pick(user: List, default: List) -> Vec<Spanned<String>> {
    user.or(default).unwrap_or_default()
}

fn plain(v: Vec<Spanned<String>>) -> Vec<String> {
    v.into_iter().map(|s| s.into_inner()).collect()
}

fn validate(user: RawConfig, defaults: RawConfig, source: Option<ConfigSource>) -> Result<Config> {
    let cx = Ctx {
        source: source.as_ref(),
    };
    let (ut, dt) = (
        user.tenant.unwrap_or_default(),
        defaults.tenant.unwrap_or_default(),
    );
    let mut scoped_fns = Vec::new();
    for g in pick(ut.scoped_fns, dt.scoped_fns) {
        let range = g.span();
        let glob = Glob::new(g.get_ref()).map_err(|e| {
            cx.err(
                format!("invalid glob `{}`: {}", g.get_ref(), e.kind()),
                range,
            )
        })?;
        scoped_fns.push(glob.compile_matcher());
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
        tables: table_scopes(&cx, ut.tables.unwrap_or_default())?,
    };
    if tenant.columns.is_empty() {
        return Err(Error::new(
            "`[tenant] columns` must name at least one tenant column",
        ));
    }

    let dialect = match user.sql.and_then(|s| s.dialect) {
        Some(d) => {
            let name = d.get_ref().to_ascii_lowercase();
            match name.as_str() {
                "auto" => None,
                "postgres" | "postgresql" | "mysql" | "sqlite" | "generic" => Some(name),
                _ => {
                    return Err(cx.err(
                        format!(
                            "unknown SQL dialect `{}`: expected auto, postgres, mysql, sqlite or generic",
                            d.get_ref()
                        ),
                        d.span(),
                    ))
                }
            }
        }
        None => None,
    };

    let (uh, dh) = (
        user.handlers.unwrap_or_default(),
        defaults.handlers.unwrap_or_default(),
    );
    let frameworks = pick(uh.frameworks, dh.frameworks);
    for f in &frameworks {
        if !crate::frameworks::KNOWN.contains(&f.get_ref().as_str()) {
            return Err(cx.err(
                format!(
                    "unknown framework `{}`: expected one of {}",
                    f.get_ref(),
                    crate::frameworks::KNOWN.join(", ")
                ),
                f.span(),
            ));
        }
    }
    let handlers = HandlersConfig {
        frameworks: plain(frameworks),
        guards: plain(pick(uh.guards, dh.guards)),
        checks: plain(pick(uh.checks, dh.checks)),
        layers: plain(pick(uh.layers, dh.layers)),
    };

    let us = user.scopes.unwrap_or_default();
    let scopes = ScopesConfig {
        enum_name: us.enum_name.map(|s| s.into_inner()),
        known: us
            .known
            .unwrap_or_default()
            .into_iter()
            .map(|s| {
                let span = cx.span(s.span());
                (s.into_inner(), span)
            })
            .collect(),
    };

    let (uc, dc) = (
        user.cache.unwrap_or_default(),
        defaults.cache.unwrap_or_default(),
    );
    let cache = CacheConfig {
        interfaces: plain(pick(uc.interfaces, dc.interfaces)),
        scoped_methods: plain(pick(uc.scoped_methods, dc.scoped_methods)),
        global_methods: plain(pick(uc.global_methods, dc.global_methods)),
        key_builders: plain(pick(uc.key_builders, dc.key_builders)),
    };

    let mut rules = BTreeMap::new();
    for (k, v) in user.rules.unwrap_or_default() {
        let rule = tenant_audit_syntax::find_rule(k.get_ref()).ok_or_else(|| {
            cx.err(
                format!(
                    "unknown rule `{}` (see `cargo tenant-audit rules`)",
                    k.get_ref()
                ),
                k.span(),
            )
        })?;
        let sev = match v.get_ref().as_str() {
            "off" | "allow" => None,
            other => Some(Severity::parse(other).ok_or_else(|| {
                cx.err(
                    format!("unknown severity `{other}`: expected error, warning, note or off"),
                    v.span(),
                )
            })?),
        };
        rules.insert(rule.code, sev);
    }

    let mut bypasses = Vec::new();
    for (i, b) in user.bypass.unwrap_or_default().into_iter().enumerate() {
        let header = header_span(&cx, i).unwrap_or_else(|| cx.span(b.span()));
        let b = b.into_inner();
        let glob = Glob::new(b.path.get_ref()).map_err(|e| {
            cx.err(
                format!("invalid glob `{}`: {}", b.path.get_ref(), e.kind()),
                b.path.span(),
            )
        })?;
        let rules = match b.rules {
            Some(list) => {
                let mut codes = Vec::new();
                for r in list {
                    let rule = tenant_audit_syntax::find_rule(r.get_ref()).ok_or_else(|| {
                        cx.err(
                            format!("unknown rule `{}` in [[bypass]]", r.get_ref()),
                            r.span(),
                        )
                    })?;
                    codes.push(rule.code);
                }
                Some(codes)
            }
            None => None,
        };
        bypasses.push(ConfigBypass {
            pattern: b.path.into_inner(),
            matcher: glob.compile_matcher(),
            rules,
            reason: b.reason.map(|r| r.into_inner()),
            span: header,
        });
    }

    Ok(Config {
        source,
        tenant,
        dialect,
        handlers,
        scopes,
        cache,
        rules,
        bypasses,
    })
}

/// `[tenant.tables.X]` entries: each gives `column` or `columns`, not both, not neither.
fn table_scopes(
    cx: &Ctx<'_>,
    tables: BTreeMap<String, Spanned<raw::RawTable>>,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for (name, t) in tables {
        let span = t.span();
        let t = t.into_inner();
        let columns = match (t.column, t.columns) {
            (Some(_), Some(list)) => {
                let range = list.first().map(|c| c.span()).unwrap_or(span);
                return Err(cx.err(
                    format!("`[tenant.tables.{name}]` sets both `column` and `columns`: keep one (`columns` takes a list of one too)"),
                    range,
                ));
            }
            (Some(c), None) => vec![c],
            (None, Some(list)) => list,
            (None, None) => {
                return Err(cx.err(
                    format!("`[tenant.tables.{name}]` needs `column = \"..\"` or `columns = [..]`: the column(s) that scope the table"),
                    span,
                ))
            }
        };
        if columns.is_empty() {
            return Err(cx.err(
                format!("`[tenant.tables.{name}] columns` is empty: name at least one column"),
                span,
            ));
        }
        let mut names = Vec::new();
        for c in columns {
            if c.get_ref().trim().is_empty() {
                return Err(cx.err(
                    format!("`[tenant.tables.{name}]` names an empty column"),
                    c.span(),
                ));
            }
            names.push(c.into_inner().to_ascii_lowercase());
        }
        out.insert(name.to_ascii_lowercase(), names);
    }
    Ok(out)
}

/// The place of the i-th `[[bypass]]` header in the config text.
fn header_span(cx: &Ctx<'_>, index: usize) -> Option<Span> {
    let source = cx.source?;
    let mut offset = 0;
    let mut seen = 0;
    for line in source.text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("[[bypass]]")
            || t.starts_with("[[tenant-audit.bypass]]")
            || t.contains(".tenant-audit.bypass]]")
        {
            if seen == index {
                let col = line.len() - t.len();
                return Some(cx.span(offset + col..offset + col + 1));
            }
            seen += 1;
        }
        offset += line.len();
    }
    None
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

    #[test]
    fn empty_file_is_an_error() {
        let e = Config::from_str("# nothing here\n\n", "t.toml").unwrap_err();
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
        let e = Config::from_str("[tenant]\ncolums = [\"org_id\"]\n", "t.toml").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 1)));
        assert!(e.message.contains("colums"), "{}", e.message);
    }

    #[test]
    fn wrong_type_is_located() {
        let e = Config::from_str("[tenant]\ncolumns = \"org_id\"\n", "t.toml").unwrap_err();
        assert_eq!(e.line_col().map(|p| p.0), Some(2));
    }

    #[test]
    fn bad_rule_and_severity() {
        let e = Config::from_str("[rules]\nTA999 = \"error\"\n", "t.toml").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 1)));
        let e = Config::from_str("[rules]\nTA201 = \"loud\"\n", "t.toml").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 9)));
        let c = Config::from_str("[rules]\nunanalyzable-query = \"off\"\n", "t.toml").unwrap();
        assert_eq!(c.rules.get("TA202"), Some(&None));
    }

    #[test]
    fn bad_glob_is_located() {
        let e = Config::from_str(
            "[[bypass]]\npath = \"src/[jobs\"\nreason = \"x y\"\n",
            "t.toml",
        )
        .unwrap_err();
        assert_eq!(e.line_col().map(|p| p.0), Some(2));
    }

    #[test]
    fn user_overrides_defaults_per_key() {
        let c = Config::from_str("[tenant]\ncolumns = [\"account_id\"]\n", "t.toml").unwrap();
        assert_eq!(c.tenant.columns, vec!["account_id"]);
        assert!(c
            .tenant
            .global_tables
            .contains(&"_sqlx_migrations".to_string()));
        assert_eq!(c.tenant_types(), vec!["AccountId"]);
    }

    #[test]
    fn table_scope_column_or_columns() {
        let c = Config::from_str(
            "[tenant.tables.Memberships]\ncolumns = [\"collection_uuid\", \"User_uuid\"]\n[tenant.tables.orgs]\ncolumn = \"id\"\n",
            "t.toml",
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
        let e = Config::from_str(
            "[tenant.tables.orgs]\ncolumn = \"id\"\ncolumns = [\"id\"]\n",
            "t.toml",
        )
        .unwrap_err();
        assert!(e.message.contains("both"), "{}", e.message);
        assert_eq!(e.line_col(), Some((3, 12)));
        let e = Config::from_str("[tenant]\n[tenant.tables.orgs]\n", "t.toml").unwrap_err();
        assert!(e.message.contains("needs `column"), "{}", e.message);
        assert_eq!(e.line_col().map(|p| p.0), Some(2));
        let e = Config::from_str("[tenant.tables.orgs]\ncolumns = []\n", "t.toml").unwrap_err();
        assert!(e.message.contains("empty"), "{}", e.message);
        let e = Config::from_str("[tenant.tables.orgs]\ncolumn = \" \"\n", "t.toml").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 10)));
        let e = Config::from_str("[tenant.tables.orgs]\ncolum = \"id\"\n", "t.toml").unwrap_err();
        assert_eq!(e.line_col(), Some((2, 1)));
    }

    #[test]
    fn bypass_header_span() {
        let c = Config::from_str(
            "[rules]\n\n[[bypass]]\npath = \"src/jobs/**\"\nrules = [\"TA201\"]\nreason = \"rollup\"\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(c.bypasses[0].span.start.line, 3);
        assert_eq!(c.bypasses[0].rules, Some(vec!["TA201"]));
    }
}
