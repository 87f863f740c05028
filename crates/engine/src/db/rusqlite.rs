//! rusqlite: `Connection`/`Transaction`/`Savepoint` methods that take SQL text. A statement
//! prepared with `prepare`/`prepare_cached` is the site; its later `query`/`query_map`/
//! `query_row`/`execute` calls run what was already checked.

use super::driver::{uses_driver, RUSQLITE};
use super::evidence::sql_source;
use super::handle::method_site;
use super::site::{method_span, push_sql};
use super::{Driver, DriverSpec};
use crate::extract::{short, Collector, Walker};

pub struct Rusqlite;

/// Methods whose first argument is SQL text.
pub const METHODS: &[&str] = &[
    "execute",
    "execute_batch",
    "query_row",
    "query_row_and_then",
    "query_one",
    "prepare",
    "prepare_cached",
];

static SPEC: DriverSpec = DriverSpec {
    name: RUSQLITE,
    deps: &["rusqlite"],
    crates: &["rusqlite", "r2d2_sqlite"],
    handle_types: &["SqliteConnectionManager", "Savepoint"],
    sql_methods: METHODS,
};

impl Driver for Rusqlite {
    fn spec(&self) -> &'static DriverSpec {
        &SPEC
    }
}

impl Collector for Rusqlite {
    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        let syn::Expr::MethodCall(m) = e else { return };
        if !uses_driver(w, RUSQLITE) {
            return;
        }
        if let Some(tentative) = method_site(w, m, RUSQLITE, METHODS, false) {
            let src = sql_source(w, &m.args[0]);
            push_sql(w, RUSQLITE, method_span(m), short(e), src, tentative);
        }
    }
}
