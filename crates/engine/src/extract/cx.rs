//! What the walk knows about the file it is in, and what the registry plugs into it.

use super::Collector;
use crate::config::Config;
use crate::workspace::{Package, SourceFile};

/// What the walk needs to know of a web framework: each `frameworks::Framework` has one.
#[derive(Debug)]
pub struct FrameworkSpec {
    /// Its name in `[handlers] frameworks`, in messages and in the `routes` inventory.
    pub name: &'static str,
    /// Other names collectors may ask by (`actix` for `actix-web`).
    pub aliases: &'static [&'static str],
    /// Cargo dependencies that switch it on for a package.
    pub crates: &'static [&'static str],
}

/// What the registry hands to the walk: the collectors, in the order they run, and the
/// frameworks they may ask about.
pub struct Plugins {
    pub collectors: Vec<&'static dyn Collector>,
    pub frameworks: Vec<&'static FrameworkSpec>,
}

/// What the walk knows about the file it is in.
pub struct FileCx<'a> {
    pub config: &'a Config,
    pub package: &'a Package,
    pub file: &'a SourceFile,
    pub(super) collectors: &'a [&'static dyn Collector],
    /// Every framework name and alias with whether it is on for this file's package, computed
    /// once per file (collectors ask for every node).
    frameworks: Vec<(&'static str, bool)>,
}

impl<'a> FileCx<'a> {
    pub fn new(
        config: &'a Config,
        package: &'a Package,
        file: &'a SourceFile,
        plugins: &'a Plugins,
    ) -> FileCx<'a> {
        let mut frameworks = Vec::new();
        for spec in &plugins.frameworks {
            let on = if config.handlers.frameworks.is_empty() {
                spec.crates.iter().any(|c| package.depends_on(c))
            } else {
                config.handlers.frameworks.iter().any(|f| f == spec.name)
            };
            frameworks.push((spec.name, on));
            for a in spec.aliases {
                frameworks.push((a, on));
            }
        }
        FileCx {
            config,
            package,
            file,
            collectors: &plugins.collectors,
            frameworks,
        }
    }

    /// Is this framework (by name or alias) in use for the file's package (config, else
    /// Cargo.toml dependencies)?
    pub fn framework(&self, name: &str) -> bool {
        self.frameworks
            .iter()
            .find(|(n, _)| *n == name)
            .is_some_and(|(_, on)| *on)
    }

    /// Does the file's package depend on this crate (always true for plain folders)?
    pub fn uses(&self, dep: &str) -> bool {
        self.package.depends_on(dep)
    }
}
