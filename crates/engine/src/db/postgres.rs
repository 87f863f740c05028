//! tokio-postgres and deadpool-postgres (and `postgres`, bb8-postgres): `Client`/`Transaction`/
//! pooled `Object` methods that take SQL text. A statement prepared with `prepare*` is the site
//! (the finding sits at the prepare call); running it later (`client.query(&stmt, ..)`) is not a
//! second site.

use super::driver::{uses_driver, POSTGRES};
use super::evidence::sql_source;
use super::handle::method_site;
use super::site::{method_span, push_sql};
use super::{Driver, DriverSpec};
use crate::extract::{short, Collector, Walker};

pub struct Postgres;

/// Methods whose first argument is SQL text (or a prepared statement).
pub const METHODS: &[&str] = &[
    "query",
    "query_one",
    "query_opt",
    "query_raw",
    "query_typed",
    "query_typed_raw",
    "execute",
    "execute_raw",
    "batch_execute",
    "simple_query",
    "prepare",
    "prepare_cached",
    "prepare_typed",
    "prepare_typed_cached",
    "copy_in",
    "copy_out",
];

static SPEC: DriverSpec = DriverSpec {
    name: POSTGRES,
    deps: &[
        "tokio-postgres",
        "deadpool-postgres",
        "postgres",
        "bb8-postgres",
    ],
    crates: &[
        "tokio_postgres",
        "deadpool_postgres",
        "postgres",
        "bb8_postgres",
    ],
    handle_types: &["GenericClient", "PostgresConnectionManager"],
    sql_methods: METHODS,
};

impl Driver for Postgres {
    fn spec(&self) -> &'static DriverSpec {
        &SPEC
    }
}

impl Collector for Postgres {
    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        let syn::Expr::MethodCall(m) = e else { return };
        if !uses_driver(w, POSTGRES) {
            return;
        }
        if let Some(tentative) = method_site(w, m, POSTGRES, METHODS, false) {
            let src = sql_source(w, &m.args[0]);
            push_sql(w, POSTGRES, method_span(m), short(e), src, tentative);
        }
    }
}
