//! Fuzz target: the SQL analyser alone, on every dialect (faster than `extract` for SQL bugs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenant_audit_engine::sql::{self, Dialect, Tenancy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let tenancy = Tenancy {
        columns: vec!["org_id".into(), "tenant_id".into()],
        overrides: [("orgs".to_string(), vec!["id".to_string()])]
            .into_iter()
            .collect(),
        global_tables: vec!["plans".into()],
        schema: Default::default(),
    };
    for d in [
        Dialect::Postgres,
        Dialect::MySql,
        Dialect::Sqlite,
        Dialect::Generic,
    ] {
        let _ = sql::analyze(text, d, &tenancy);
    }
});
