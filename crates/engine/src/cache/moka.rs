//! moka (`sync`, `future`, `SegmentedCache`) and mini-moka: keyed reads, writes and
//! invalidations. A `Cache<K, V>` whose declared `K` contains a tenant type is scoped by type;
//! `invalidate_all` takes no key and is fine.

use super::Family;
use crate::extract::Collector;

pub struct Moka;

/// Methods whose first argument is the key. Sorted.
const KEY_METHODS: &[&str] = &[
    "contains_key",
    "entry",
    "entry_by_ref",
    "get",
    "get_with",
    "get_with_by_ref",
    "get_with_if",
    "insert",
    "invalidate",
    "optionally_get_with",
    "optionally_get_with_by_ref",
    "remove",
    "try_get_with",
    "try_get_with_by_ref",
];

impl Collector for Moka {}

impl Family for Moka {
    fn name(&self) -> &'static str {
        "moka"
    }
    fn crates(&self) -> &'static [&'static str] {
        &["moka", "mini_moka"]
    }
    fn deps(&self) -> &'static [&'static str] {
        &["moka", "mini-moka"]
    }
    fn glob_types(&self) -> &'static [&'static str] {
        &["Cache", "SegmentedCache"]
    }
    fn key_arg(&self, _n: usize) -> Option<usize> {
        Some(0)
    }
    fn key_methods(&self) -> &'static [&'static str] {
        KEY_METHODS
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_methods_are_sorted() {
        let mut v = super::KEY_METHODS.to_vec();
        v.sort_unstable();
        assert_eq!(v, super::KEY_METHODS);
    }
}
