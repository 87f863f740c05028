//! Fuzz target: one file's extraction (parse + the one walk with every collector) and the SQL
//! analysis of the same bytes. A panic, an abort or a stack overflow is a bug (DESIGN.md §7).
//!
//! The engine runs extraction on threads with 256 MiB stacks (lib.rs `extract_all`), so this
//! target does the same; a stack overflow on such a thread is still a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tenant_audit_engine::config::Config;
use tenant_audit_engine::extract::extract_file;
use tenant_audit_engine::sql::{self, Dialect, Tenancy};
use tenant_audit_engine::workspace::{Package, SourceFile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.to_owned();
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || run(&text))
        .expect("spawn")
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p));
});

fn run(text: &str) {
    let config = Config::defaults();
    // A package that depends on every framework, driver and cache the tool knows, so every
    // collector runs.
    let deps: BTreeMap<String, Vec<String>> = [
        "axum", "actix-web", "rocket", "poem", "poem-openapi", "sqlx", "tokio-postgres",
        "deadpool-postgres", "rusqlite", "diesel", "sea-orm", "redis", "deadpool-redis", "fred",
        "moka", "mini-moka", "cached", "memcache",
    ]
    .iter()
    .map(|d| (d.to_string(), Vec::new()))
    .collect();
    let package = Package {
        name: "fuzz".into(),
        root: PathBuf::from("/fuzz"),
        deps,
        plain: false,
        targets: vec![PathBuf::from("/fuzz/src/lib.rs")],
        cargo: Default::default(),
    };
    let file = SourceFile {
        abs: PathBuf::from("/fuzz/src/lib.rs"),
        rel: "src/lib.rs".into(),
        package: 0,
        module: Vec::new(),
        crate_root: true,
    };
    let _ = extract_file(
        &config,
        tenant_audit_engine::registry::plugins(),
        &package,
        &file,
        0,
        text,
    );
    proc_macro2::extra::invalidate_current_thread_spans();
    for d in [
        Dialect::Postgres,
        Dialect::MySql,
        Dialect::Sqlite,
        Dialect::Generic,
    ] {
        let _ = sql::analyze(text, d, &tenancy());
    }
}

fn tenancy() -> Tenancy {
    Tenancy {
        columns: vec!["org_id".into(), "tenant_id".into()],
        overrides: [("orgs".to_string(), vec!["id".to_string()])]
            .into_iter()
            .collect(),
        global_tables: vec!["plans".into()],
        schema: Default::default(),
    }
}
