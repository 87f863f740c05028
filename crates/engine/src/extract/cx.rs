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

/// Could a fn of this name be a permission check `init` proposes (`check_*`, `require_*`,
/// `ensure_*`, `can_*`, `enforce_*`, `authorize*`, in any case)? A fn keeps the names it calls
/// that pass this or name a configured check ([`crate::extract::FnFact::calls`]); `init` then
/// tells the checks among them by their words.
pub fn may_name_a_check(name: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "check_",
        "require_",
        "ensure_",
        "can_",
        "enforce_",
        "authorize",
    ];
    PREFIXES.iter().any(|p| {
        name.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    })
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
    /// In a plain folder (no Cargo.toml): the crates this file names (`sqlx::`, `use axum`),
    /// which stand for its dependencies.
    named: Option<Vec<String>>,
    /// [`FileCx::uses`] answers by the name asked: the registry asks with the same few
    /// names at every node.
    asked: std::cell::RefCell<Vec<(&'static str, bool)>>,
    /// [`FileCx::uses_any`] answers by the list asked.
    asked_any: std::cell::RefCell<Vec<(&'static [&'static str], bool)>>,
    /// The configured tenant identifiers as segment runs (`ctx.org` -> `["ctx", "org"]`).
    pub tenant_ids: Vec<Vec<String>>,
    /// The last segment of each configured guard type (`auth::AdminUser` -> `AdminUser`):
    /// every path, struct literal and call is compared with them.
    pub guard_names: Vec<&'a str>,
    /// The last segment of each configured check (`authz::require_role` -> `require_role`):
    /// the call names a fn keeps ([`crate::extract::FnFact::calls`]).
    pub check_names: Vec<&'a str>,
}

impl<'a> FileCx<'a> {
    pub fn new(
        config: &'a Config,
        package: &'a Package,
        file: &'a SourceFile,
        plugins: &'a Plugins,
        text: &str,
    ) -> FileCx<'a> {
        let named = package.plain.then(|| named_crates(text));
        let depends = |dep: &str| match &named {
            Some(list) => list.iter().any(|c| c == &dep.replace('-', "_")),
            None => package.depends_on(dep),
        };
        let mut frameworks = Vec::new();
        for spec in &plugins.frameworks {
            let on = if config.handlers.frameworks.is_empty() {
                spec.crates.iter().any(|c| depends(c))
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
            named,
            asked: std::cell::RefCell::new(Vec::new()),
            asked_any: std::cell::RefCell::new(Vec::new()),
            tenant_ids: super::tenant::identifiers(config),
            guard_names: config
                .handlers
                .guards
                .iter()
                .filter_map(|g| g.rsplit("::").next())
                .collect(),
            check_names: config
                .handlers
                .checks
                .iter()
                .filter_map(|c| c.rsplit("::").next())
                .collect(),
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

    /// Does the file's package depend on this crate? In a plain folder: does the file name it?
    pub fn uses(&self, dep: &'static str) -> bool {
        let same =
            |k: &&'static str| std::ptr::eq(k.as_ptr(), dep.as_ptr()) && k.len() == dep.len();
        if let Some((_, on)) = self.asked.borrow().iter().find(|(k, _)| same(k)) {
            return *on;
        }
        let on = self.depends(dep);
        self.asked.borrow_mut().push((dep, on));
        on
    }

    /// Does the file's package use any of these crates (a driver's or a family's list)?
    /// Remembered per list: collectors ask it at every node.
    pub fn uses_any(&self, deps: &'static [&'static str]) -> bool {
        let same = |k: &&'static [&'static str]| std::ptr::eq(*k, deps);
        if let Some((_, on)) = self.asked_any.borrow().iter().find(|(k, _)| same(k)) {
            return *on;
        }
        let on = deps.iter().any(|d| self.uses(d));
        self.asked_any.borrow_mut().push((deps, on));
        on
    }

    fn depends(&self, dep: &str) -> bool {
        match &self.named {
            Some(list) => {
                let krate = dep.replace('-', "_");
                list.contains(&krate)
            }
            None => self.package.depends_on(dep),
        }
    }
}

/// The crates a file names: the first segment of every `use` tree and of every `a::b` path
/// (`sqlx::query`, `use tokio_postgres::Client`), read from the text without parsing.
fn named_crates(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if ident(bytes[i]) && (i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            let start = i;
            while i < bytes.len() && ident(bytes[i]) {
                i += 1;
            }
            let word = &text[start..i];
            let path = text[i..].starts_with("::");
            let used = word == "use" || word == "extern";
            if used {
                // `use x::..`, `use x;`, `extern crate x;`
                let rest = text[i..].trim_start();
                let rest = rest
                    .strip_prefix("crate")
                    .map(str::trim_start)
                    .unwrap_or(rest);
                let name: String = rest
                    .trim_start_matches("::")
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && !out.contains(&name) {
                    out.push(name);
                }
            } else if path && !out.iter().any(|o| o == word) {
                out.push(word.to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{may_name_a_check, named_crates};

    #[test]
    fn names_a_check_may_have() {
        for name in [
            "check_role",
            "Require_Admin",
            "ENSURE_OWNER",
            "can_edit",
            "enforce_policy",
        ] {
            assert!(may_name_a_check(name), "{name}");
        }
        assert!(may_name_a_check("authorize"));
        assert!(may_name_a_check("authorized_user"));
        for name in [
            "checkout",
            "recheck_role",
            "can",
            "load",
            "requires",
            "ensure",
            "é_check",
        ] {
            assert!(!may_name_a_check(name), "{name}");
        }
    }

    #[test]
    fn crates_named_by_a_file() {
        let n = named_crates(
            "use tokio_postgres::Client;\nfn f() { sqlx::query(\"x\"); let a = b.execute(c); }\n",
        );
        assert!(n.contains(&"tokio_postgres".to_string()));
        assert!(n.contains(&"sqlx".to_string()));
        assert!(!n.contains(&"execute".to_string()));
        let n = named_crates("use axum::{Router, routing::get};");
        assert!(n.contains(&"axum".to_string()));
    }
}
