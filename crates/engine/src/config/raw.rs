//! The configuration as written: deserialised with spans, unknown keys rejected.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub type List = Option<Vec<Spanned<String>>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub tenant: Option<RawTenant>,
    pub sql: Option<RawSql>,
    pub handlers: Option<RawHandlers>,
    pub scopes: Option<RawScopes>,
    pub cache: Option<RawCache>,
    pub rules: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    pub bypass: Option<Vec<Spanned<RawBypass>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawTenant {
    pub columns: List,
    pub identifiers: List,
    pub types: List,
    pub global_tables: List,
    pub schema: List,
    pub scoped_fns: List,
    pub tables: Option<BTreeMap<String, Spanned<RawTable>>>,
}

/// `[tenant.tables.X]`: `column = ".."` or `columns = [..]` (exactly one of them).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTable {
    pub column: Option<Spanned<String>>,
    pub columns: List,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSql {
    pub dialect: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHandlers {
    pub frameworks: List,
    pub guards: List,
    pub checks: List,
    pub layers: List,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScopes {
    #[serde(rename = "enum")]
    pub enum_name: Option<Spanned<String>>,
    pub known: List,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCache {
    pub interfaces: List,
    pub scoped_methods: List,
    pub global_methods: List,
    pub key_builders: List,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBypass {
    pub path: Spanned<String>,
    pub rules: List,
    pub reason: Option<Spanned<String>>,
}

/// `[workspace.metadata.tenant-audit]` / `[package.metadata.tenant-audit]` inside Cargo.toml.
#[derive(Debug, Default, Deserialize)]
pub struct Manifest {
    pub workspace: Option<MetadataHolder>,
    pub package: Option<MetadataHolder>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MetadataHolder {
    pub metadata: Option<Metadata>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Metadata {
    #[serde(rename = "tenant-audit")]
    pub tenant_audit: Option<RawConfig>,
}
