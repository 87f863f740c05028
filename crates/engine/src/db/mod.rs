//! Database layers: where queries are and what SQL or DSL chain they run. One file per driver,
//! listed in [`DRIVERS`]; what they share sits in one file per concern: [`driver`] (which
//! driver a type or crate names), [`handle`] (is a receiver a database handle), [`evidence`]
//! (does a string read as SQL, where its text comes from), [`site`] (recording a query site),
//! [`dsl`] (reading diesel/sea-orm chains and their conditions). Phase 2: [`judge`] (every
//! site), [`callers`] (SQL handed to helpers), [`dsl_judge`] (chains), [`entities`] (sea-orm
//! entity paths to tables).

pub mod callers;
pub mod diesel;
pub mod driver;
pub mod dsl;
pub mod dsl_judge;
pub mod entities;
pub mod evidence;
pub mod handle;
pub mod judge;
pub mod postgres;
pub mod rows;
pub mod rusqlite;
pub mod sea_orm;
pub mod site;
pub mod sqlx;

use crate::extract::Collector;

pub use crate::extract::{
    Atom, ColRef, Cond, DslJoin, DslOp, DslQuery, DslVariant, EntityFact, JoinKind, ModelKey,
    QueryFact, QueryKind, RowCheck, RowRef,
};

/// Collectors of the database layer that are no driver's: rows checked against the tenant.
pub static COLLECTORS: &[&dyn Collector] = &[&rows::RowChecks];

/// What the tool knows of one database driver.
#[derive(Debug)]
pub struct DriverSpec {
    /// The name in messages (`sqlx`, `tokio-postgres`).
    pub name: &'static str,
    /// Cargo dependencies that mean the package uses it.
    pub deps: &'static [&'static str],
    /// Crate names as paths start (`tokio_postgres`, `deadpool_postgres`).
    pub crates: &'static [&'static str],
    /// Type names distinctive enough to identify a handle of it (`PgPool`, `DatabaseConnection`).
    pub handle_types: &'static [&'static str],
    /// Methods that take SQL text as their first argument on a handle whose type is not seen.
    pub sql_methods: &'static [&'static str],
}

/// One database driver: its spec and the [`Collector`] that records its query sites.
pub trait Driver: Collector {
    fn spec(&self) -> &'static DriverSpec;
}

/// Every driver, in the order a file's likely driver is guessed and their collectors run.
/// A new driver is a file in this folder and a line here.
pub static DRIVERS: &[&dyn Driver] = &[
    &sqlx::Sqlx,
    &postgres::Postgres,
    &rusqlite::Rusqlite,
    &sea_orm::SeaOrm,
    &diesel::Diesel,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every driver has a fixture project: `fixtures/rules/untenanted-query/<name>-*` (by its
    /// name, a dependency, or a dependency's first word: `deadpool-docs`).
    #[test]
    fn every_driver_has_a_fixture_folder() {
        for d in DRIVERS {
            let s = d.spec();
            let mut names: Vec<&str> = vec![s.name];
            names.extend(s.deps.iter().copied());
            names.extend(s.deps.iter().filter_map(|d| d.split('-').next()));
            assert!(
                crate::test_support::has_fixture("untenanted-query", &names),
                "driver `{}` has no fixture project fixtures/rules/untenanted-query/{}-*",
                s.name,
                s.name
            );
        }
    }
}
