//! The configuration as written: read from the spanned TOML tree by hand, so that every problem
//! of a file is reported (an unknown key, a wrong type, a bad entry in a list) and not only the
//! first one a deserializer would stop at. Every value keeps where it is written.

use super::Problems;
use std::collections::BTreeMap;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

pub type List = Option<Vec<Spanned<String>>>;

#[derive(Debug, Default)]
pub struct RawConfig {
    pub tenant: Option<RawTenant>,
    pub sql: Option<RawSql>,
    pub handlers: Option<RawHandlers>,
    pub scopes: Option<RawScopes>,
    pub cache: Option<RawCache>,
    pub rules: Option<Vec<(Spanned<String>, Spanned<String>)>>,
    pub bypass: Option<Vec<RawBypass>>,
}

#[derive(Debug, Default)]
pub struct RawTenant {
    pub columns: List,
    pub identifiers: List,
    pub types: List,
    pub global_tables: List,
    pub schema: List,
    pub scoped_fns: List,
    pub tables: Option<BTreeMap<Spanned<String>, RawTable>>,
}

#[derive(Debug)]
pub struct RawTable {
    pub column: Spanned<String>,
}

#[derive(Debug, Default)]
pub struct RawSql {
    pub dialect: Option<Spanned<String>>,
}

#[derive(Debug, Default)]
pub struct RawHandlers {
    pub frameworks: List,
    pub guards: List,
    pub checks: List,
    pub layers: List,
}

#[derive(Debug, Default)]
pub struct RawScopes {
    pub enum_name: Option<Spanned<String>>,
    pub known: List,
}

#[derive(Debug, Default)]
pub struct RawCache {
    pub interfaces: List,
    pub scoped_methods: List,
    pub global_methods: List,
    pub key_builders: List,
}

#[derive(Debug)]
pub struct RawBypass {
    /// The `[[bypass]]` header.
    pub header: std::ops::Range<usize>,
    pub path: Option<Spanned<String>>,
    pub item: Option<Spanned<String>>,
    pub route: Option<Spanned<String>>,
    pub methods: List,
    pub rules: List,
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
                    let mut column = None;
                    for (ck, cv) in tt.iter() {
                        match ck.get_ref().as_ref() {
                            "column" => column = string(p, cv),
                            _ => unknown(p, "tenant.tables.*", ck, &["column"]),
                        }
                    }
                    match column {
                        Some(column) => {
                            out.insert(
                                Spanned::new(name.span(), name.get_ref().to_string()),
                                RawTable { column },
                            );
                        }
                        None if tt.get("column").is_none() => p.error(
                            format!(
                                "`[tenant.tables.{}]` needs `column = \"..\"`: the column that scopes this table",
                                name.get_ref()
                            ),
                            tv.span(),
                        ),
                        None => {}
                    }
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
    let [frameworks, guards, checks, layers] = list_section(
        p,
        t,
        "handlers",
        ["frameworks", "guards", "checks", "layers"],
    );
    RawHandlers {
        frameworks,
        guards,
        checks,
        layers,
    }
}

fn cache(p: &mut Problems<'_>, t: &DeTable<'_>) -> RawCache {
    let [interfaces, scoped_methods, global_methods, key_builders] = list_section(
        p,
        t,
        "cache",
        [
            "interfaces",
            "scoped-methods",
            "global-methods",
            "key-builders",
        ],
    );
    RawCache {
        interfaces,
        scoped_methods,
        global_methods,
        key_builders,
    }
}

/// A section of string lists only: each key's list, in the order of `keys`.
fn list_section<const N: usize>(
    p: &mut Problems<'_>,
    t: &DeTable<'_>,
    section: &str,
    keys: [&str; N],
) -> [List; N] {
    let mut out: [List; N] = std::array::from_fn(|_| None);
    for (k, v) in t.iter() {
        match keys.iter().position(|x| *x == k.get_ref().as_ref()) {
            Some(i) => out[i] = list(p, v),
            None => unknown(p, section, k, &keys),
        }
    }
    out
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
