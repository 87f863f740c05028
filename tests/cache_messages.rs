//! What TA301 says: a key that is a parameter names the first caller that passes it without the
//! tenant; bulk commands and unresolved receivers are told apart.

use std::path::{Path, PathBuf};
use tenant_audit_engine::{audit, Options, Report};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rules/unscoped-cache-key")
        .join(name)
}

fn report(name: &str) -> Report {
    audit(&Options {
        path: fixture(name),
        ..Options::default()
    })
    .expect("audit runs")
}

/// (file:line, message) of every active TA301.
fn ta301(r: &Report) -> Vec<(String, String)> {
    r.active()
        .filter(|d| d.code == "TA301")
        .map(|d| {
            (
                format!("{}:{}", d.file, d.span.start.line),
                d.message.clone(),
            )
        })
        .collect()
}

fn message_at(all: &[(String, String)], at: &str) -> String {
    all.iter()
        .find(|f| f.0 == at)
        .unwrap_or_else(|| panic!("no TA301 at {at}: {all:#?}"))
        .1
        .clone()
}

#[test]
fn a_helper_key_names_its_first_unscoped_caller() {
    let all = ta301(&report("callers"));
    // `bump` has a scoped caller (api.rs:31) and an unscoped one (api.rs:36).
    let m = message_at(&all, "src/store.rs:16");
    assert!(
        m.ends_with("parameter `key` is passed without it at src/api.rs:36"),
        "{m}"
    );
    // Through a trait object to the impl.
    let m = message_at(&all, "src/lease.rs:42");
    assert!(m.ends_with("passed without it at src/api.rs:88"), "{m}");
    // A helper nobody calls is judged alone: no caller to name.
    let m = message_at(&all, "src/store.rs:44");
    assert_eq!(m, "redis `DEL` key `key` does not contain the tenant");
}

#[test]
fn receivers_that_look_like_caches_but_cannot_be_typed_are_counted() {
    let r = report("receivers");
    assert_eq!(
        r.unresolved_caches,
        [
            "crates/api/src/unknown.rs:10 cache",
            "crates/api/src/unknown.rs:15 cache",
            "crates/api/src/unknown.rs:21 LruCache",
        ],
    );
    assert_eq!(r.summary.unresolved_cache_receivers, 3);
    // The local memo map and a `HashMap` field named `cache` are typed: not counted.
    // Nor is a workspace type named like a cache (its methods are judged where they are), nor
    // a connection getter without arguments.
    let r = report("redis-wrappers");
    assert!(r.unresolved_caches.is_empty(), "{:?}", r.unresolved_caches);
}
