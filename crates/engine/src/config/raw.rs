//! The configuration as written: deserialised with spans, unknown keys rejected.
//!
//! The same types give the JSON Schema of the file (`cargo tenant-audit config-schema`,
//! [`super::schema`]): a field's doc comment is the description editors show for its key. A
//! `Spanned` field names its plain type for the schema with `#[schemars(with = "..")]`.

use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

pub type List = Option<Vec<Spanned<String>>>;

/// Configuration of cargo-tenant-audit (tenant-audit.toml). Every key is optional: each key you
/// set replaces that key's built-in default.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "tenant-audit.toml")]
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
    pub rules: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    /// Config-level bypasses: the findings of some rules in some files are deliberate.
    #[schemars(with = "Option<Vec<RawBypass>>")]
    pub bypass: Option<Vec<Spanned<RawBypass>>>,
}

/// `[tenant]`: what carries the tenant.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "Tenant")]
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
    /// <package>/migrations and <root>/migrations; diesel `table!` and sea-orm entities are
    /// always read.
    #[schemars(with = "Option<Vec<String>>")]
    pub schema: List,
    /// Fns and methods (globs on the name) that are tenant-scoped by construction: a call to one
    /// is never flagged, and a DSL chain that passes through one is scoped.
    #[schemars(with = "Option<Vec<String>>")]
    pub scoped_fns: List,
    /// Tables scoped by another column than the tenant columns, by table name.
    pub tables: Option<BTreeMap<String, RawTable>>,
}

/// A table scoped by another column than the tenant columns.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Table")]
pub struct RawTable {
    /// The column that scopes this table: `id` for a table scoped by its own primary key (an
    /// organisations table), a parent key for a child table.
    pub column: String,
}

/// `[sql]`: how SQL text is parsed.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Sql")]
pub struct RawSql {
    /// SQL dialect: auto, postgres, mysql, sqlite or generic. auto (the default) chooses per
    /// package from its dependencies (rusqlite or sqlx "sqlite": sqlite, sqlx "mysql": mysql,
    /// else postgres).
    #[schemars(with = "Option<super::schema::Dialect>")]
    pub dialect: Option<Spanned<String>>,
}

/// `[handlers]`: what makes an HTTP handler protected.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Handlers")]
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
}

/// `[scopes]`: the valid permission scopes, from an enum, a list or both.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Scopes")]
pub struct RawScopes {
    /// The enum whose variants are the valid scopes (matched by a path's last segment).
    #[serde(rename = "enum")]
    #[schemars(with = "Option<String>")]
    pub enum_name: Option<Spanned<String>>,
    /// Scope strings that are valid besides the enum's variants, such as "incidents:read".
    #[schemars(with = "Option<Vec<String>>")]
    pub known: List,
}

/// `[cache]`: custom cache interfaces and key builders.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(rename = "Cache")]
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
}

/// One `[[bypass]]`: the findings of some rules in some files are deliberate; the reason says
/// why.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Bypass")]
pub struct RawBypass {
    /// File glob, relative to the workspace root, such as "src/jobs/**".
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// Rule codes or names it covers. Default: all rules.
    #[schemars(with = "Option<Vec<String>>")]
    pub rules: List,
    /// Why the bypass is right. Mandatory: a missing, empty or placeholder reason is TA901.
    #[schemars(with = "Option<String>")]
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
