//! Driver identity: which database driver a type, a crate path or a package's dependencies
//! name, from the registry's [`DriverSpec`]s ([`super::DRIVERS`]).

use super::{DriverSpec, DRIVERS};
use crate::extract::Walker;

pub const SQLX: &str = "sqlx";
pub const POSTGRES: &str = "tokio-postgres";
pub const RUSQLITE: &str = "rusqlite";
pub const DIESEL: &str = "diesel";
pub const SEA_ORM: &str = "sea-orm";

/// Type names too generic to tell a driver by themselves (`Client`, `Pool`): the file's imports
/// decide, else its most likely driver.
const GENERIC_HANDLES: &[&str] = &[
    "Client",
    "Transaction",
    "Connection",
    "Pool",
    "Object",
    "PooledConnection",
];

fn spec(name: &str) -> Option<&'static DriverSpec> {
    DRIVERS.iter().map(|d| d.spec()).find(|s| s.name == name)
}

/// The database driver a type names, if any (`PgPool`, `&mut PgConnection`,
/// `deadpool_postgres::Client`, `Arc<Mutex<rusqlite::Connection>>`, `DatabaseConnection`).
pub fn type_driver(w: &Walker<'_, '_>, ty: &str) -> Option<&'static str> {
    let idents: Vec<&str> = ty
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|s| !s.is_empty())
        .collect();
    for id in &idents {
        let hit = DRIVERS
            .iter()
            .map(|d| d.spec())
            .find(|s| s.crates.contains(id) || s.handle_types.contains(id));
        if let Some(s) = hit {
            return Some(s.name);
        }
    }
    for (k, id) in idents.iter().enumerate() {
        if !GENERIC_HANDLES.contains(id) {
            continue;
        }
        // `reqwest::Client`, `db::Pool`: a path into another crate or a module of this one is
        // not a driver's type (a driver's path was matched above).
        if k > 0 && idents[k - 1].starts_with(|c: char| c.is_ascii_lowercase()) {
            return None;
        }
        return match imported_from(w, id) {
            Some(found) => found,
            None => Some(default_driver(w)),
        };
    }
    None
}

/// The driver of a crate as paths name it (`tokio_postgres`).
pub fn crate_driver(krate: &str) -> Option<&'static str> {
    DRIVERS
        .iter()
        .map(|d| d.spec())
        .find(|s| s.crates.contains(&krate))
        .map(|s| s.name)
}

/// Where a name is imported from in this file: `Some(Some(driver))` from a driver's crate
/// (`use rusqlite::Connection`), `Some(None)` from anywhere else (`use reqwest::Client`, the
/// crate's own module), `None` when it is not imported.
fn imported_from(w: &Walker<'_, '_>, name: &str) -> Option<Option<&'static str>> {
    let mut found = None;
    for u in w.facts.uses.iter().filter(|u| u.alias == name) {
        match u.path.first().and_then(|k| crate_driver(k)) {
            Some(d) => return Some(Some(d)),
            None => found = Some(None),
        }
    }
    found
}

/// The driver this file most likely talks to: its imports, then its package's dependencies.
pub fn default_driver(w: &Walker<'_, '_>) -> &'static str {
    drivers_in_use(w).first().copied().unwrap_or(POSTGRES)
}

/// Drivers this file may use, most likely first: its imports, then its package's
/// dependencies in registry order.
pub fn drivers_in_use(w: &Walker<'_, '_>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for u in &w.facts.uses {
        if let Some(d) = u.path.first().and_then(|k| crate_driver(k)) {
            if !out.contains(&d) {
                out.push(d);
            }
        }
    }
    // In a plain folder, `uses` says whether the file names the crate.
    for s in DRIVERS.iter().map(|d| d.spec()) {
        if w.cx.uses_any(s.deps) && !out.contains(&s.name) {
            out.push(s.name);
        }
    }
    out
}

/// Is the driver's crate in use for this file's package?
pub fn uses_driver(w: &Walker<'_, '_>, driver: &str) -> bool {
    spec(driver).is_some_and(|s| w.cx.uses_any(s.deps))
}

/// Methods that take SQL text as their first argument, per driver (for untyped receivers).
pub fn driver_methods(driver: &str) -> &'static [&'static str] {
    spec(driver).map_or(&[], |s| s.sql_methods)
}

/// What a type path as written names, as far as the file's `use`s tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// The library's own type (`sqlx::QueryBuilder`, or imported from it).
    Library,
    /// Something else: the crate's own type, or another crate's.
    Other,
    /// Not imported here: the library's when no item of the workspace has that path (phase 2).
    Unresolved,
}

/// Does `path` (a type as written in the module being walked) name a type of crate `krate`?
pub fn identity(w: &Walker<'_, '_>, path: &[String], krate: &str) -> Identity {
    let Some(first) = path.first() else {
        return Identity::Unresolved;
    };
    if first == krate {
        return Identity::Library;
    }
    if matches!(first.as_str(), "crate" | "self" | "super" | "Self") {
        return Identity::Other;
    }
    let here = |u: &&crate::extract::UseFact| u.module == w.module;
    if let Some(u) = w.facts.uses.iter().filter(here).find(|u| u.alias == *first) {
        return if u.path.first().is_some_and(|k| k == krate) {
            Identity::Library
        } else {
            Identity::Other
        };
    }
    if w.facts
        .uses
        .iter()
        .filter(here)
        .any(|u| u.alias == "*" && u.path.first().is_some_and(|k| k == krate))
    {
        return Identity::Library;
    }
    Identity::Unresolved
}
