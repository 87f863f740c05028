//! The configuration as written: read from the spanned TOML tree by hand, so that every problem
//! of a file is reported (an unknown key, a wrong type, a bad entry in a list) and not only the
//! first one a deserializer would stop at. Every value keeps where it is written.
//!
//! The same types give the JSON Schema of the file (`cargo tenant-audit config-schema`,
//! [`super::schema`]): a field's doc comment is the description editors show for its key. A
//! `Spanned` field names its plain type for the schema with `#[schemars(with = "..")]`; a test
//! (tests/toolchain.rs) keeps the keys the reader accepts and the schema's the same.

use super::Problems;
use schemars::JsonSchema;
use std::collections::BTreeMap;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

pub type List = Option<Vec<Spanned<String>>>;

/// Configuration of cargo-tenant-audit (tenant-audit.toml). Every key is optional: each key you
/// set replaces that key's built-in default.
#[derive(Debug, Default, JsonSchema)]
#[schemars(title = "tenant-audit.toml", deny_unknown_fields)]
pub struct RawConfig {
    /// What carries the tenant: columns, identifiers, types, the schema and the tables that are
    /// never or differently tenant-owned.
    pub tenant: Option<RawTenant>,
    /// How SQL text is parsed.
    pub sql: Option<RawSql>,
    /// What makes an HTTP handler protected (TA101).
    pub handlers: Option<RawHandlers>,
    /// The valid permission scopes of `#[requires(..)]` (TA102, TA103).
    pub scopes: Option<RawScopes>,
    /// Custom cache interfaces and key builders (TA301).
    pub cache: Option<RawCache>,
    /// Severity of a rule, by code (TA202) or name (unanalyzable-query): error, warning, note
    /// or off.
    #[schemars(with = "Option<super::schema::Rules>")]
    pub rules: Option<Vec<(Spanned<String>, Spanned<String>)>>,
    /// Config-level bypasses: the findings of some rules in some files, items or routes are
    /// deliberate.
    pub bypass: Option<Vec<RawBypass>>,
}

/// `[tenant]`: what carries the tenant.
#[derive(Debug, Default, JsonSchema)]
#[schemars(rename = "Tenant", rename_all = "kebab-case", deny_unknown_fields)]
pub struct RawTenant {
    /// Columns that pin a row to one tenant. Default: tenant_id, org_id, organization_id,
    /// organisation_id, workspace_id.
    #[schemars(with = "Option<Vec<String>>")]
    pub columns: List,
    /// Extra names that carry the tenant in cache keys, such as `ctx.org_id` (the columns
    /// always count).
    #[schemars(with = "Option<Vec<String>>")]
    pub identifiers: List,
    /// Tenant types: a key or parameter of such a type carries the tenant. Default: the columns
    /// in CamelCase (OrgId, TenantId, ...).
    #[schemars(with = "Option<Vec<String>>")]
    pub types: List,
    /// Tables that are never tenant-owned. Default: the migration bookkeeping tables
    /// (schema_migrations, _sqlx_migrations, ...).
    #[schemars(with = "Option<Vec<String>>")]
    pub global_tables: List,
    /// SQL migration files or folders, relative to the workspace root. Default:
    /// <package>/migrations, <root>/migrations and the folders the code embeds
    /// (`sqlx::migrate!("..")`, `embed_migrations!("..")`); diesel `table!` and sea-orm entities
    /// are always read.
    #[schemars(with = "Option<Vec<String>>")]
    pub schema: List,
    /// Fns and methods (globs on the name) that are tenant-scoped by construction: a call to one
    /// is never flagged, and a DSL chain that passes through one is scoped.
    #[schemars(with = "Option<Vec<String>>")]
    pub scoped_fns: List,
    /// Tables scoped by another column than the tenant columns, by table name.
    #[schemars(with = "Option<BTreeMap<String, RawTable>>")]
    pub tables: Option<BTreeMap<Spanned<String>, RawTable>>,
}

/// A table scoped by other columns than the tenant columns: `column` or `columns`, not both.
#[derive(Debug, JsonSchema)]
#[schemars(rename = "Table", deny_unknown_fields)]
#[schemars(extend("oneOf" = [{"required": ["column"]}, {"required": ["columns"]}]))]
pub struct RawTable {
    /// The column that scopes this table: `id` for a table scoped by its own primary key (an
    /// organisations table), a parent key for a child table (`app_id` of `app_version`).
    #[schemars(with = "Option<String>")]
    pub column: Option<Spanned<String>>,
    /// Several columns, any one of which scopes the table (a link table by
    /// `collection_uuid` or `user_uuid`; a two-party table by grantor or grantee).
    #[schemars(with = "Option<Vec<String>>")]
    pub columns: List,
}

/// `[sql]`: how SQL text is parsed.
#[derive(Debug, Default, JsonSchema)]
#[schemars(rename = "Sql", deny_unknown_fields)]
pub struct RawSql {
    /// SQL dialect: auto, postgres, mysql, sqlite or generic. auto (the default) chooses per
    /// package from its dependencies (rusqlite or sqlx "sqlite": sqlite, sqlx "mysql": mysql,
    /// else postgres).
    #[schemars(with = "Option<super::schema::Dialect>")]
    pub dialect: Option<Spanned<String>>,
}

/// `[handlers]`: what makes an HTTP handler protected.
#[derive(Debug, Default, JsonSchema)]
#[schemars(rename = "Handlers", deny_unknown_fields)]
pub struct RawHandlers {
    /// Web frameworks to read. Default: detected from each package's Cargo.toml dependencies.
    #[schemars(with = "Option<Vec<super::schema::Framework>>")]
    pub frameworks: List,
    /// Extractor types: a handler parameter of such a type is a permission declaration.
    #[schemars(with = "Option<Vec<String>>")]
    pub guards: List,
    /// Fns or methods (by last path segment): a call to one in the handler body is a
    /// permission declaration.
    #[schemars(with = "Option<Vec<String>>")]
    pub checks: List,
    /// Middleware names: a route layer or wrap whose expression names one covers its routes.
    #[schemars(with = "Option<Vec<String>>")]
    pub layers: List,
    /// How many calls from the handler a configured check (or a guard value handed to a call)
    /// still protects it: a call in the handler's own body is 1 (and always counts). Default: 3.
    #[schemars(rename = "check-depth", with = "Option<u8>", range(max = 16))]
    pub check_depth: Option<Spanned<usize>>,
}

/// `[scopes]`: the valid permission scopes, from an enum, a list or both.
#[derive(Debug, Default, JsonSchema)]
#[schemars(rename = "Scopes", deny_unknown_fields)]
pub struct RawScopes {
    /// The enum whose variants are the valid scopes (matched by a path's last segment).
    #[schemars(rename = "enum", with = "Option<String>")]
    pub enum_name: Option<Spanned<String>>,
    /// Scope strings that are valid besides the enum's variants, such as "incidents:read".
    #[schemars(with = "Option<Vec<String>>")]
    pub known: List,
}

/// `[cache]`: custom cache interfaces and key builders.
#[derive(Debug, Default, JsonSchema)]
#[schemars(rename = "Cache", rename_all = "kebab-case", deny_unknown_fields)]
pub struct RawCache {
    /// Custom cache traits or structs; `scoped-methods` and `global-methods` apply to receivers
    /// of these types.
    #[schemars(with = "Option<Vec<String>>")]
    pub interfaces: List,
    /// Methods of the cache interfaces that take the tenant.
    #[schemars(with = "Option<Vec<String>>")]
    pub scoped_methods: List,
    /// Methods of the cache interfaces that are global by design: each call needs a bypass.
    #[schemars(with = "Option<Vec<String>>")]
    pub global_methods: List,
    /// Fns that build tenant-scoped keys: a key built by one of these is scoped.
    #[schemars(with = "Option<Vec<String>>")]
    pub key_builders: List,
    /// Judge redis stream keys (XADD, XREAD, XDEL, XTRIM, XGROUP, ..) as cache keys. Default:
    /// false, streams are queues (a job queue shared by every tenant is by design).
    #[schemars(with = "Option<bool>")]
    pub streams: Option<Spanned<bool>>,
}

/// One `[[bypass]]`: the findings of some rules in some files, items or routes are deliberate;
/// the reason says why. Exactly one of `path`, `item` and `route`.
#[derive(Debug, JsonSchema)]
#[schemars(rename = "Bypass", deny_unknown_fields)]
#[schemars(extend("oneOf" = [
    {"required": ["path"]},
    {"required": ["item"]},
    {"required": ["route"]}
]))]
pub struct RawBypass {
    /// The `[[bypass]]` header.
    #[schemars(skip)]
    pub header: std::ops::Range<usize>,
    /// File glob, relative to the workspace root, such as "src/jobs/**".
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
    /// Item path glob of the findings it covers, such as "api::public::*" (`*` one segment,
    /// `**` any number).
    #[schemars(with = "Option<String>")]
    pub item: Option<Spanned<String>>,
    /// Route path glob of the handlers it covers, such as "/auth/**": a handler is covered when
    /// every route it serves matches.
    #[schemars(with = "Option<String>")]
    pub route: Option<Spanned<String>>,
    /// With `route`: the HTTP methods it covers (default: all).
    #[schemars(with = "Option<Vec<String>>")]
    pub methods: List,
    /// Rule codes or names it covers. Default: all rules.
    #[schemars(with = "Option<Vec<String>>")]
    pub rules: List,
    /// Why the bypass is right. Mandatory: a missing, empty or placeholder reason is TA901.
    #[schemars(with = "Option<String>")]
    pub reason: Option<Spanned<String>>,
}

/// Reads the config tables of a tenant-audit.toml document.
pub fn read(p: &mut Problems<'_>, doc: &DeTable<'_>) -> RawConfig {
    let mut raw = RawConfig::default();
    for (key, value) in doc.iter() {
        match key.get_ref().as_ref() {
            "tenant" => raw.tenant = table(p, key, value).map(|t| tenant(p, t)),
            "sql" => {
                raw.sql = table(p, key, value).map(|t| {
                    let mut s = RawSql::default();
                    for (k, v) in t.iter() {
                        match k.get_ref().as_ref() {
                            "dialect" => s.dialect = string(p, v),
                            _ => unknown(p, "sql", k, &["dialect"]),
                        }
                    }
                    s
                })
            }
            "handlers" => raw.handlers = table(p, key, value).map(|t| handlers(p, t)),
            "scopes" => {
                raw.scopes = table(p, key, value).map(|t| {
                    let mut s = RawScopes::default();
                    for (k, v) in t.iter() {
                        match k.get_ref().as_ref() {
                            "enum" => s.enum_name = string(p, v),
                            "known" => s.known = list(p, v),
                            _ => unknown(p, "scopes", k, &["enum", "known"]),
                        }
                    }
                    s
                })
            }
            "cache" => raw.cache = table(p, key, value).map(|t| cache(p, t)),
            "rules" => {
                raw.rules = table(p, key, value).map(|t| {
                    t.iter()
                        .filter_map(|(k, v)| {
                            let sev = string(p, v)?;
                            Some((Spanned::new(k.span(), k.get_ref().to_string()), sev))
                        })
                        .collect()
                })
            }
            "bypass" => raw.bypass = bypasses(p, value),
            _ => unknown(
                p,
                "",
                key,
                &[
                    "tenant", "sql", "handlers", "scopes", "cache", "rules", "bypass",
                ],
            ),
        }
    }
    raw
}

/// `[workspace.metadata.tenant-audit]`, else `[package.metadata.tenant-audit]`, of a Cargo.toml
/// (a `tenant-audit` key there that is not a table is a problem, not "no config").
pub fn metadata<'t, 'i>(p: &mut Problems<'_>, doc: &'t DeTable<'i>) -> Option<&'t DeTable<'i>> {
    let mut inner = |outer: &str| -> Option<&'t DeTable<'i>> {
        let v = doc.get(outer)?.get_ref().as_table()?;
        let v = v.get("metadata")?.get_ref().as_table()?;
        let (key, value) = v.get_key_value("tenant-audit")?;
        table(p, key, value)
    };
    inner("workspace").or_else(|| inner("package"))
}

fn tenant(p: &mut Problems<'_>, t: &DeTable<'_>) -> RawTenant {
    let mut r = RawTenant::default();
    for (k, v) in t.iter() {
        match k.get_ref().as_ref() {
            "columns" => r.columns = list(p, v),
            "identifiers" => r.identifiers = list(p, v),
            "types" => r.types = list(p, v),
            "global-tables" => r.global_tables = list(p, v),
            "schema" => r.schema = list(p, v),
            "scoped-fns" => r.scoped_fns = list(p, v),
            "tables" => {
                let Some(tables) = table(p, k, v) else {
                    continue;
                };
                let mut out = BTreeMap::new();
                for (name, tv) in tables.iter() {
                    let Some(tt) = table(p, name, tv) else {
                        continue;
                    };
                    let (mut column, mut columns) = (None, None);
                    for (ck, cv) in tt.iter() {
                        match ck.get_ref().as_ref() {
                            "column" => column = string(p, cv),
                            "columns" => columns = list(p, cv),
                            _ => unknown(p, "tenant.tables.*", ck, &["column", "columns"]),
                        }
                    }
                    if column.is_none()
                        && columns.is_none()
                        && tt.get("column").is_none()
                        && tt.get("columns").is_none()
                    {
                        p.error(
                            format!(
                                "`[tenant.tables.{}]` needs `column = \"..\"` or `columns = [..]`: the column(s) that scope this table",
                                name.get_ref()
                            ),
                            tv.span(),
                        );
                        continue;
                    }
                    out.insert(
                        Spanned::new(name.span(), name.get_ref().to_string()),
                        RawTable { column, columns },
                    );
                }
                r.tables = Some(out);
            }
            _ => unknown(
                p,
                "tenant",
                k,
                &[
                    "columns",
                    "identifiers",
                    "types",
                    "global-tables",
                    "schema",
                    "scoped-fns",
                    "tables",
                ],
            ),
        }
    }
    r
}

fn handlers(p: &mut Problems<'_>, t: &DeTable<'_>) -> RawHandlers {
    const KEYS: [&str; 5] = ["frameworks", "guards", "checks", "layers", "check-depth"];
    let mut r = RawHandlers::default();
    for (k, v) in t.iter() {
        match k.get_ref().as_ref() {
            "frameworks" => r.frameworks = list(p, v),
            "guards" => r.guards = list(p, v),
            "checks" => r.checks = list(p, v),
            "layers" => r.layers = list(p, v),
            "check-depth" => match v.get_ref() {
                DeValue::Integer(i) => match i.as_str().parse::<i64>() {
                    Ok(n) if (0..=16).contains(&n) => {
                        r.check_depth = Some(Spanned::new(v.span(), n as usize))
                    }
                    _ => p.error(
                        "`check-depth` must be a whole number from 0 to 16".to_string(),
                        v.span(),
                    ),
                },
                other => p.error(
                    format!("expected a whole number, found {}", other.type_str()),
                    v.span(),
                ),
            },
            _ => unknown(p, "handlers", k, &KEYS),
        }
    }
    r
}

fn cache(p: &mut Problems<'_>, t: &DeTable<'_>) -> RawCache {
    const KEYS: [&str; 5] = [
        "interfaces",
        "scoped-methods",
        "global-methods",
        "key-builders",
        "streams",
    ];
    let mut r = RawCache::default();
    for (k, v) in t.iter() {
        match k.get_ref().as_ref() {
            "interfaces" => r.interfaces = list(p, v),
            "scoped-methods" => r.scoped_methods = list(p, v),
            "global-methods" => r.global_methods = list(p, v),
            "key-builders" => r.key_builders = list(p, v),
            "streams" => match v.get_ref() {
                DeValue::Boolean(b) => r.streams = Some(Spanned::new(v.span(), *b)),
                other => p.error(
                    format!("expected true or false, found {}", other.type_str()),
                    v.span(),
                ),
            },
            _ => unknown(p, "cache", k, &KEYS),
        }
    }
    r
}

fn bypasses(p: &mut Problems<'_>, value: &Spanned<DeValue<'_>>) -> Option<Vec<RawBypass>> {
    let DeValue::Array(items) = value.get_ref() else {
        p.error(
            format!(
                "`bypass` must be an array of tables (`[[bypass]]`), found {}",
                value.get_ref().type_str()
            ),
            value.span(),
        );
        return None;
    };
    let mut out = Vec::new();
    for item in items.iter() {
        let DeValue::Table(t) = item.get_ref() else {
            p.error(
                format!(
                    "each bypass must be a table (`[[bypass]]`), found {}",
                    item.get_ref().type_str()
                ),
                item.span(),
            );
            continue;
        };
        let mut b = RawBypass {
            header: item.span(),
            path: None,
            item: None,
            route: None,
            methods: None,
            rules: None,
            reason: None,
        };
        for (k, v) in t.iter() {
            match k.get_ref().as_ref() {
                "path" => b.path = string(p, v),
                "item" => b.item = string(p, v),
                "route" => b.route = string(p, v),
                "methods" => b.methods = list(p, v),
                "rules" => b.rules = list(p, v),
                "reason" => b.reason = string(p, v),
                _ => unknown(
                    p,
                    "bypass",
                    k,
                    &["path", "item", "route", "methods", "rules", "reason"],
                ),
            }
        }
        out.push(b);
    }
    Some(out)
}

fn table<'t, 'i>(
    p: &mut Problems<'_>,
    key: &Spanned<std::borrow::Cow<'i, str>>,
    value: &'t Spanned<DeValue<'i>>,
) -> Option<&'t DeTable<'i>> {
    match value.get_ref() {
        DeValue::Table(t) => Some(t),
        other => {
            p.error(
                format!(
                    "`{}` must be a table, found {}",
                    key.get_ref(),
                    other.type_str()
                ),
                value.span(),
            );
            None
        }
    }
}

fn string(p: &mut Problems<'_>, value: &Spanned<DeValue<'_>>) -> Option<Spanned<String>> {
    match value.get_ref() {
        DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
        other => {
            p.error(
                format!("expected a string, found {}", other.type_str()),
                value.span(),
            );
            None
        }
    }
}

/// A list of strings; an entry of another type is one problem each, the others are kept.
fn list(p: &mut Problems<'_>, value: &Spanned<DeValue<'_>>) -> List {
    let DeValue::Array(items) = value.get_ref() else {
        p.error(
            format!(
                "expected a list of strings, found {}",
                value.get_ref().type_str()
            ),
            value.span(),
        );
        return None;
    };
    Some(items.iter().filter_map(|v| string(p, v)).collect())
}

fn unknown(
    p: &mut Problems<'_>,
    section: &str,
    key: &Spanned<std::borrow::Cow<'_, str>>,
    expected: &[&str],
) {
    let name = key.get_ref();
    let place = if section.is_empty() {
        "at the top level".to_string()
    } else {
        format!("in `[{section}]`")
    };
    let hint = match crate::error::closest(name, expected.iter().copied()) {
        Some(c) => format!("did you mean `{c}`? "),
        None => String::new(),
    };
    p.error(
        format!(
            "unknown key `{name}` {place}: {hint}expected one of {}",
            expected.join(", ")
        ),
        key.span(),
    );
}
