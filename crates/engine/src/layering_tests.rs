//! The engine's modules import one way (docs/architecture.md, "Layers"): every `crate::x` path
//! in a module's code names a module of a lower layer. Read from the sources with syn, test
//! code (`#[cfg(test)]`) left out.

use std::collections::BTreeSet;
use std::path::Path;
use syn::visit::Visit;

/// Layers, lowest first. A module may use only modules of lower layers; modules of one layer
/// do not use each other.
const LAYERS: &[&[&str]] = &[
    &["intern"],
    &[
        "ast",
        "diagnostic",
        "error",
        "strings",
        "test_support",
        "sql",
    ],
    &["workspace", "config"],
    &["extract"],
    &["index"],
    &["callgraph"],
    &["frameworks", "db", "cache"],
    &["registry", "bypass", "reach"],
    &["rules", "inventory", "phase1"],
    // lib.rs itself: the pipeline and its types (`Options`, `Report`, `Summary`, `audit`).
    &[PIPELINE],
    &["render", "baseline", "init"],
];

/// What `crate::X` names when X is an item of lib.rs rather than a module.
const PIPELINE: &str = "(lib.rs)";

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Items of lib.rs by name: a path to one of them is a use of the pipeline layer.
fn root_item(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
        || matches!(name, "audit" | "judge" | "extract_all" | "parse_floor")
}

/// `crate::x` paths in the non-test code of a file.
#[derive(Default)]
struct CratePaths(BTreeSet<String>);

impl<'ast> Visit<'ast> for CratePaths {
    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if segs.len() >= 2 && segs[0] == "crate" {
            self.0.insert(segs[1].clone());
        }
        syn::visit::visit_path(self, p);
    }

    fn visit_use_tree(&mut self, t: &'ast syn::UseTree) {
        if let syn::UseTree::Path(p) = t {
            if p.ident == "crate" {
                match &*p.tree {
                    syn::UseTree::Path(q) => {
                        self.0.insert(q.ident.to_string());
                    }
                    syn::UseTree::Name(n) => {
                        self.0.insert(n.ident.to_string());
                    }
                    syn::UseTree::Group(g) => {
                        for item in &g.items {
                            match item {
                                syn::UseTree::Path(q) => {
                                    self.0.insert(q.ident.to_string());
                                }
                                syn::UseTree::Name(n) => {
                                    self.0.insert(n.ident.to_string());
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                return;
            }
        }
        syn::visit::visit_use_tree(self, t);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_test(&f.attrs) {
            syn::visit::visit_item_fn(self, f);
        }
    }
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg")
                && a.meta
                    .require_list()
                    .is_ok_and(|l| l.tokens.to_string() == "test"))
    })
}

/// The `crate::x` modules a top-level module's files use.
fn uses_of(src: &Path, module: &str) -> BTreeSet<String> {
    let mut files = Vec::new();
    let single = src.join(format!("{module}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let dir = src.join(module);
    if dir.is_dir() {
        for e in walkdir::WalkDir::new(&dir).into_iter().flatten() {
            if e.path().extension().is_some_and(|x| x == "rs") {
                files.push(e.path().to_path_buf());
            }
        }
    }
    let mut v = CratePaths::default();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("engine source");
        let file = syn::parse_file(&text).expect("engine source parses");
        v.visit_file(&file);
    }
    v.0.remove(module);
    v.0.into_iter()
        .map(|m| {
            if root_item(&m) {
                PIPELINE.to_string()
            } else {
                m
            }
        })
        .collect()
}

#[test]
fn modules_import_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    for (level, modules) in LAYERS.iter().enumerate() {
        for m in *modules {
            for used in uses_of(&src, m) {
                match layer(&used) {
                    Some(l) if l < level => {}
                    Some(l) => {
                        wrong.push(format!("`{m}` (layer {level}) uses `{used}` (layer {l})"))
                    }
                    None => wrong.push(format!("`{m}` uses `{used}`, which has no layer")),
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the module layering is broken:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let file = syn::parse_file(&lib).expect("lib.rs parses");
    for item in file.items {
        if let syn::Item::Mod(m) = item {
            let name = m.ident.to_string();
            // lib.rs's own tests (`#[cfg(test)] mod tests { .. }`) are test code, no module.
            let inline_test = m.content.is_some() && is_test(&m.attrs);
            if name == "layering_tests" || inline_test {
                continue;
            }
            assert!(
                layer(&name).is_some(),
                "module `{name}` has no layer in layering_tests::LAYERS"
            );
        }
    }
}
