//! Phase 2: sea-orm entity paths to table names, through `use`, re-exports (a prelude's
//! `pub use super::users::Entity as User`, globs) and other workspace crates
//! (`lldap_domain_model::model::User`).

use crate::index::Index;
use foldhash::{HashMap, HashMapExt};
use std::cell::RefCell;

/// (file, module, path as written): where an entity path was looked up.
type Written = (usize, Vec<String>, String);

pub struct Entities {
    /// (package, entity module path) -> table.
    by_module: HashMap<(usize, String), String>,
    /// (package, last segment of the entity module) -> tables.
    by_name: HashMap<(usize, String), Vec<String>>,
    /// (package, module path) -> the `use`s written in it: (file, index in its `uses`).
    uses: HashMap<(usize, String), Vec<(usize, usize)>>,
    /// Crate name (as paths write it) -> package.
    crates: HashMap<String, usize>,
    /// Lookups already made: (file, module, path) -> table.
    memo: RefCell<HashMap<Written, Option<String>>>,
}

impl Entities {
    pub fn build(index: &Index<'_>) -> Entities {
        let mut by_module = HashMap::new();
        let mut by_name: HashMap<(usize, String), Vec<String>> = HashMap::new();
        let mut uses: HashMap<(usize, String), Vec<(usize, usize)>> = HashMap::new();
        for (fi, f) in index.files.iter().enumerate() {
            for e in &f.entities {
                by_module.insert((f.package, e.module.join("::")), e.table.clone());
                if let Some(last) = e.module.last() {
                    by_name
                        .entry((f.package, last.clone()))
                        .or_default()
                        .push(e.table.clone());
                }
            }
            for (ui, u) in f.uses.iter().enumerate() {
                uses.entry((f.package, u.module.join("::")))
                    .or_default()
                    .push((fi, ui));
            }
        }
        let crates = index
            .ws
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.replace('-', "_"), i))
            .collect();
        Entities {
            by_module,
            by_name,
            uses,
            crates,
            memo: RefCell::new(HashMap::new()),
        }
    }

    /// The table of an entity path written in `module` of `file` (`invoice::Entity`,
    /// `Invoice` from a prelude re-export, `Entity` inside the entity module), or of a column
    /// type path (`invoice::Column`, a prelude's `InvoiceColumn`).
    pub fn table(&self, index: &Index<'_>, file: usize, module: &[String], path: &str) -> String {
        let key = (file, module.to_vec(), path.to_string());
        let hit = self.memo.borrow().get(&key).cloned();
        let found = match hit {
            Some(found) => found,
            None => {
                let segs: Vec<String> = path.split("::").map(String::from).collect();
                let pkg = index.package_of(file);
                let found = self.lookup(index, pkg, file, module, &segs, 0);
                self.memo.borrow_mut().insert(key, found.clone());
                found
            }
        };
        if let Some(t) = found {
            return t;
        }
        self.by_name_fallback(index.package_of(file), path)
    }

    /// By name: `invoice::Entity` -> a unique entity module `invoice`; `Invoice` -> `invoice`.
    fn by_name_fallback(&self, pkg: usize, path: &str) -> String {
        let segs: Vec<&str> = path.split("::").collect();
        let n = segs.len();
        let name = if n >= 2 && matches!(segs[n - 1], "Entity" | "Column") {
            segs[n - 2].to_string()
        } else {
            let last = segs.last().copied().unwrap_or("");
            crate::sql::snake_case(last.strip_suffix("Column").unwrap_or(last))
        };
        match self.by_name.get(&(pkg, name.clone())) {
            Some(v) if v.len() == 1 => v[0].clone(),
            _ => name,
        }
    }

    fn lookup(
        &self,
        index: &Index<'_>,
        pkg: usize,
        file: usize,
        module: &[String],
        segs: &[String],
        depth: usize,
    ) -> Option<String> {
        if depth > 6 {
            return None;
        }
        for cand in index.candidates(file, module, segs) {
            // A path into another workspace crate.
            let (p, cand) = match cand.first().and_then(|c| self.crates.get(c)) {
                Some(&q) if q != pkg => (q, cand[1..].to_vec()),
                _ => (pkg, cand),
            };
            if let Some(t) = self.at(p, &cand) {
                return Some(t);
            }
            // A re-export (`pub use super::invoice::Entity as Invoice` in a prelude), or a glob
            // of the module that has it (`pub use prelude::*`).
            if cand.len() >= 2 {
                let (m, alias) = cand.split_at(cand.len() - 1);
                for &(fi, ui) in self.uses.get(&(p, m.join("::"))).into_iter().flatten() {
                    let u = &index.files[fi].uses[ui];
                    let target: Vec<String> = if u.alias == alias[0] {
                        u.path.to_vec()
                    } else if u.alias == "*" {
                        let mut t = u.path.to_vec();
                        t.push(alias[0].clone());
                        t
                    } else {
                        continue;
                    };
                    if target == segs {
                        continue;
                    }
                    if let Some(t) = self.lookup(index, p, fi, &u.module, &target, depth + 1) {
                        return Some(t);
                    }
                }
            }
        }
        None
    }

    /// The table of an absolute path in package `p` ending in `Entity` or `Column`.
    fn at(&self, p: usize, cand: &[String]) -> Option<String> {
        let last = cand.last()?;
        if last != "Entity" && last != "Column" {
            return None;
        }
        let m = cand[..cand.len() - 1].join("::");
        self.by_module.get(&(p, m)).cloned()
    }
}
