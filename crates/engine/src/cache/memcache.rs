//! memcache (rust-memcache): `Client` methods taking a key; `gets` checks each key.

use super::{ArgFact, Family, Judged};
use crate::config::Config;
use crate::extract::Collector;

pub struct Memcache;

/// Sorted.
const KEY_METHODS: &[&str] = &[
    "add",
    "append",
    "cas",
    "decrement",
    "delete",
    "get",
    "gets",
    "increment",
    "prepend",
    "replace",
    "set",
    "touch",
];

impl Collector for Memcache {}

impl Family for Memcache {
    fn key_methods(&self) -> &'static [&'static str] {
        KEY_METHODS
    }
    fn name(&self) -> &'static str {
        "memcache"
    }
    fn crates(&self) -> &'static [&'static str] {
        &["memcache"]
    }
    fn deps(&self) -> &'static [&'static str] {
        &["memcache"]
    }
    fn constructor_fn(&self, path: &[String]) -> bool {
        path.len() == 2 && path[0] == "memcache" && path[1] == "connect"
    }
    fn is_key_method(&self, method: &str, _config: &Config) -> bool {
        KEY_METHODS.binary_search(&method).is_ok()
    }
    fn judge(&self, method: &str, args: &[ArgFact], config: &Config) -> Vec<Judged> {
        if !self.is_key_method(method, config) {
            return Vec::new();
        }
        let Some(first) = args.first() else {
            return Vec::new();
        };
        if method == "gets" && !first.elems.is_empty() {
            return first.elems.iter().map(|k| Judged::key(method, k)).collect();
        }
        vec![Judged::key(method, first)]
    }
}
