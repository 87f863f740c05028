//! The registry: every framework, database driver and cache family the tool knows, and the
//! collectors the walk runs, in order. The lists themselves live with their kind
//! ([`crate::frameworks::FRAMEWORKS`], [`crate::db::DRIVERS`], [`crate::cache::FAMILIES`]):
//! a new one is one file in its folder and one line in its list; nothing here changes.

use crate::extract::{Collector, FrameworkSpec, Plugins};
use std::sync::OnceLock;

/// What the walk is handed: every collector, frameworks first, then drivers, then caches.
pub fn plugins() -> &'static Plugins {
    static PLUGINS: OnceLock<Plugins> = OnceLock::new();
    PLUGINS.get_or_init(|| {
        let mut collectors: Vec<&'static dyn Collector> = Vec::new();
        for f in crate::frameworks::FRAMEWORKS {
            collectors.push(*f as &dyn Collector);
        }
        for d in crate::db::DRIVERS {
            collectors.push(*d as &dyn Collector);
        }
        collectors.extend_from_slice(crate::db::COLLECTORS);
        collectors.extend_from_slice(crate::cache::COLLECTORS);
        Plugins {
            collectors,
            frameworks: framework_specs(),
        }
    })
}

/// Every framework's spec, in registry order.
pub fn framework_specs() -> Vec<&'static FrameworkSpec> {
    crate::frameworks::FRAMEWORKS
        .iter()
        .map(|f| f.spec())
        .collect()
}

/// The names `[handlers] frameworks` accepts.
pub fn framework_names() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| framework_specs().iter().map(|s| s.name).collect())
}

#[cfg(test)]
mod tests {
    /// Every cache family has a fixture folder `fixtures/rules/unscoped-cache-key/<name>`
    /// (the custom-interface family: `custom`).
    #[test]
    fn every_cache_family_has_a_fixture_folder() {
        for f in crate::cache::FAMILIES {
            let name = match f.name() {
                "cache" => "custom",
                other => other,
            };
            assert!(
                crate::test_support::has_fixture("unscoped-cache-key", &[name]),
                "cache family `{name}` has no fixture folder fixtures/rules/unscoped-cache-key/{name}"
            );
        }
    }

    /// The walk marks what each collector consumed with one bit of a `u64`.
    #[test]
    fn collectors_fit_the_walks_consumed_mask() {
        let n = super::plugins().collectors.len();
        assert!(n > 0 && n <= 64, "{n} collectors");
    }
}
