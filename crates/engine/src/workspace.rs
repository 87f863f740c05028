//! Workspace discovery: the cargo workspaces under a folder, their packages (from `cargo metadata
//! --no-deps`, or the manifests when cargo is absent), dependencies and crate roots, and the
//! Rust and SQL files to audit. Which `.rs` files belong to a crate is decided by its module tree
//! during extraction ([`crate::extract`] records `mod x;` declarations); the listing here gives the
//! candidates, and the ones no crate reaches are reported as unreached.

use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use walkdir::WalkDir;

/// One package of the workspace (or the pseudo-package of a plain folder).
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    /// Absolute directory of the package.
    pub root: PathBuf,
    /// Dependency names (renames resolved to the package name) with their enabled features.
    pub deps: BTreeMap<String, Vec<String>>,
    /// True for a folder without Cargo.toml: a framework or driver is assumed in a file that
    /// names its crate (see [`crate::extract::FileCx::uses`]).
    pub plain: bool,
    /// Crate roots of the package's lib, bin and proc-macro targets (not tests, benches,
    /// examples or build scripts), absolute.
    pub targets: Vec<PathBuf>,
    /// What cargo calls the package and its targets (for `--format cargo`); empty for a plain folder.
    pub cargo: CargoIdentity,
}

/// A package as cargo names it in its JSON messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoIdentity {
    /// cargo's package id (`path+file:///work/svc#0.1.0`).
    pub id: String,
    pub version: String,
    pub manifest_path: PathBuf,
    pub targets: Vec<Target>,
}

/// One cargo target (lib, bin, ...), as `cargo metadata` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub kind: Vec<String>,
    pub crate_types: Vec<String>,
    /// Absolute path of the target's root file.
    pub src_path: PathBuf,
    pub edition: String,
    pub doc: bool,
    pub doctest: bool,
    pub test: bool,
}

impl Package {
    pub fn depends_on(&self, name: &str) -> bool {
        self.plain || self.deps.contains_key(name)
    }

    /// Does the package enable `feature` of dependency `dep`?
    pub fn dep_feature(&self, dep: &str, feature: &str) -> bool {
        self.deps
            .get(dep)
            .is_some_and(|f| f.iter().any(|x| x == feature))
    }
}

/// A Rust source file to audit.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub abs: PathBuf,
    /// Relative to the workspace root, `/`-separated.
    pub rel: String,
    pub package: usize,
    /// Module path of the file inside its crate (`src/api/users.rs` -> `api::users`): from the
    /// file's place in the module tree (`mod x;`, `#[path]`), else from its location.
    pub module: Vec<String>,
    /// The file is a crate root (lib, main, bin): its `mod x;` children sit beside it.
    pub crate_root: bool,
}

#[derive(Debug, Clone)]
pub struct Workspace {
    /// Paths in every output are relative to this: the folder audited.
    pub root: PathBuf,
    /// The cargo workspace's own root (its Cargo.toml's folder): config, migrations and
    /// `[workspace] exclude` are read here. Equal to `root` unless the folder audited holds
    /// several workspaces below it.
    pub manifest_root: PathBuf,
    pub packages: Vec<Package>,
    /// The packages selected for reporting (indexes into `packages`).
    pub selected: Vec<usize>,
    pub files: Vec<SourceFile>,
    /// Directories that belong to no package (excluded or nested projects): skipped.
    pub excluded: Vec<PathBuf>,
    /// True when files are what the crates' module trees reach (not a plain folder or a
    /// single file, where every listed file is audited).
    pub module_tree: bool,
}

/// How the user chose packages.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub packages: Vec<String>,
    pub workspace: bool,
    pub exclude: Vec<String>,
}

impl Workspace {
    /// A workspace of these packages (files not listed yet), honouring `[workspace] exclude`.
    fn of_packages(root: PathBuf, packages: Vec<Package>) -> Workspace {
        let excluded = excluded_dirs(&root);
        Workspace {
            manifest_root: root.clone(),
            root,
            packages,
            selected: Vec::new(),
            files: Vec::new(),
            excluded,
            module_tree: true,
        }
    }

    /// Discovers every cargo workspace at or below `start`: a manifest path or a folder with a
    /// Cargo.toml is one workspace; a folder without one holds the workspaces found below it
    /// (not in `target/` or hidden folders; a package inside a found workspace's folder belongs
    /// to it, member or not), each audited on its own with paths relative to `start`. With no
    /// manifest anywhere, the folder is audited as plain files.
    pub fn discover_all(start: &Path, selection: &Selection) -> Result<Vec<Workspace>> {
        let dir = if start.as_os_str().is_empty() {
            Path::new(".")
        } else {
            start
        };
        if dir.is_dir() && !dir.join("Cargo.toml").is_file() {
            let abs = dir
                .canonicalize()
                .map_err(|e| Error::in_file(format!("cannot open: {e}"), dir))?;
            let roots = workspace_roots(&abs);
            if !roots.is_empty() {
                let mut out = Vec::new();
                let mut found = vec![false; selection.packages.len()];
                for manifest in roots {
                    let mut ws = from_cargo(&manifest).or_else(|_| from_manifests(&manifest))?;
                    ws.root = abs.clone();
                    for (i, name) in selection.packages.iter().enumerate() {
                        found[i] |= ws.packages.iter().any(|p| &p.name == name);
                    }
                    let sel = Selection {
                        packages: selection
                            .packages
                            .iter()
                            .filter(|n| ws.packages.iter().any(|p| &p.name == *n))
                            .cloned()
                            .collect(),
                        ..selection.clone()
                    };
                    let none_wanted = !selection.packages.is_empty() && sel.packages.is_empty();
                    ws.select(&sel, true)?;
                    if none_wanted {
                        ws.selected.clear();
                    }
                    ws.list_files();
                    out.push(ws);
                }
                if let Some(i) = found.iter().position(|f| !f) {
                    return Err(Error::new(format!(
                        "package `{}` is not a member of any workspace under {}",
                        selection.packages[i],
                        abs.display()
                    )));
                }
                return Ok(out);
            }
        }
        Ok(vec![Workspace::discover(start, selection)?])
    }

    /// Discovers the workspace at `start` (a manifest path, a folder with Cargo.toml, or a plain folder).
    pub fn discover(start: &Path, selection: &Selection) -> Result<Workspace> {
        let start = if start.as_os_str().is_empty() {
            Path::new(".")
        } else {
            start
        };
        if !start.exists() {
            return Err(Error::in_file("no such file or directory", start));
        }
        let start = start
            .canonicalize()
            .map_err(|e| Error::in_file(format!("cannot open: {e}"), start))?;
        if start.is_file() && start.extension().is_some_and(|e| e == "rs") {
            return Ok(single_file(&start));
        }
        let (dir, manifest) = if start.is_file() {
            if start.file_name().is_some_and(|n| n == "Cargo.toml") {
                (
                    start.parent().unwrap_or(Path::new("/")).to_path_buf(),
                    Some(start.clone()),
                )
            } else {
                return Err(Error::in_file("expected a Cargo.toml or a folder", &start));
            }
        } else {
            let m = start.join("Cargo.toml");
            (start.clone(), m.is_file().then_some(m))
        };
        let mut ws = match manifest {
            Some(m) => from_cargo(&m).or_else(|_| from_manifests(&m))?,
            None => Workspace {
                root: dir.clone(),
                manifest_root: dir.clone(),
                packages: vec![Package {
                    name: dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "files".into()),
                    root: dir.clone(),
                    deps: BTreeMap::new(),
                    plain: true,
                    targets: Vec::new(),
                    cargo: CargoIdentity::default(),
                }],
                selected: vec![0],
                files: Vec::new(),
                excluded: Vec::new(),
                module_tree: false,
            },
        };
        ws.select(selection, false)?;
        ws.list_files();
        Ok(ws)
    }

    /// Chooses the packages to report on. `nested`: one of several workspaces under the folder
    /// audited (an `--exclude` may name a package of another one).
    fn select(&mut self, sel: &Selection, nested: bool) -> Result<()> {
        let all: Vec<usize> = (0..self.packages.len()).collect();
        let mut chosen: Vec<usize> = if !sel.packages.is_empty() {
            let mut v = Vec::new();
            for name in &sel.packages {
                match self.packages.iter().position(|p| &p.name == name) {
                    Some(i) => v.push(i),
                    None => {
                        return Err(Error::new(format!(
                            "package `{name}` is not a member of the workspace at {}",
                            self.root.display()
                        ))
                        .with_help(format!(
                            "members: {}",
                            self.packages
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )))
                    }
                }
            }
            v
        } else {
            all
        };
        if !sel.exclude.is_empty() {
            for name in &sel.exclude {
                if !nested && !self.packages.iter().any(|p| &p.name == name) {
                    return Err(Error::new(format!(
                        "excluded package `{name}` is not a member of the workspace"
                    )));
                }
            }
            chosen.retain(|&i| !sel.exclude.contains(&self.packages[i].name));
        }
        self.selected = chosen;
        Ok(())
    }

    /// Lists the `.rs` files of every package (the whole workspace is indexed; selection only
    /// filters what is reported).
    fn list_files(&mut self) {
        let roots: Vec<PathBuf> = self.packages.iter().map(|p| p.root.clone()).collect();
        let mut files = Vec::new();
        for (pi, pkg) in self.packages.iter().enumerate() {
            let others: Vec<&PathBuf> = roots
                .iter()
                .filter(|r| *r != &pkg.root && r.starts_with(&pkg.root))
                .collect();
            let walker = WalkDir::new(&pkg.root)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    if e.depth() == 0 {
                        return true;
                    }
                    let name = e.file_name().to_string_lossy();
                    if e.file_type().is_dir() {
                        if name.starts_with('.') || name == "target" || name == "node_modules" {
                            return false;
                        }
                        let p = e.path();
                        if others.iter().any(|o| o.as_path() == p) {
                            return false;
                        }
                        if self.excluded.iter().any(|x| x == p) {
                            return false;
                        }
                        // A nested cargo project that is not a member is not ours to audit.
                        if !pkg.plain && p.join("Cargo.toml").is_file() {
                            return false;
                        }
                        // Test, bench and example code is not served: members skip it at their
                        // root, plain folders anywhere.
                        if (pkg.plain || e.depth() == 1)
                            && matches!(
                                name.as_ref(),
                                "tests" | "benches" | "examples" | "fixtures"
                            )
                        {
                            return false;
                        }
                    }
                    true
                });
            for entry in walker.flatten() {
                if !entry.file_type().is_file() && !entry.file_type().is_symlink() {
                    continue;
                }
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let rel = rel_path(&self.root, path);
                let module = module_path(&pkg.root, path);
                files.push(SourceFile {
                    abs: path.to_path_buf(),
                    rel,
                    package: pi,
                    crate_root: pkg.targets.iter().any(|t| t == path),
                    module,
                });
            }
        }
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        files.dedup_by(|a, b| a.rel == b.rel);
        self.files = files;
    }

    /// SQL migration files of a package (and of the workspace root), in name order.
    pub fn migrations(&self, package: usize, configured: &[String]) -> Vec<PathBuf> {
        self.migration_dirs(package, configured)
            .iter()
            .flat_map(|d| migration_files(d))
            .collect()
    }

    /// Where a package's migrations are looked for: the configured paths (files or folders,
    /// from the workspace root), else its own `migrations/` and the workspace's.
    pub fn migration_dirs(&self, package: usize, configured: &[String]) -> Vec<PathBuf> {
        let pkg = &self.packages[package];
        let mut dirs: Vec<PathBuf> = if configured.is_empty() {
            vec![
                pkg.root.join("migrations"),
                self.manifest_root.join("migrations"),
            ]
        } else {
            configured
                .iter()
                .map(|c| self.manifest_root.join(c))
                .collect()
        };
        dirs.dedup();
        dirs
    }

    /// Where a package's schema is read from: [`Self::migration_dirs`], then, when the config
    /// names no schema, the folders its code embeds (`sqlx::migrate!("..")`, `embed_migrations!`;
    /// `embedded` as written, from the package's root, as sqlx and diesel resolve them). The
    /// audit takes `embedded` from the facts, `init` from a scan of the files.
    pub fn schema_dirs<'a>(
        &self,
        package: usize,
        configured: &[String],
        embedded: impl IntoIterator<Item = &'a str>,
    ) -> Vec<PathBuf> {
        let mut dirs = self.migration_dirs(package, configured);
        if configured.is_empty() {
            for d in embedded {
                let dir = self.packages[package].root.join(d);
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
        dirs
    }

    pub fn rel(&self, path: &Path) -> String {
        rel_path(&self.root, path)
    }
}

/// The `.sql` files of one migrations path, in file-name order: the path itself if it is a file,
/// else every `.sql` file under it but the ones that undo a migration.
pub fn migration_files(d: &Path) -> Vec<PathBuf> {
    if d.is_file() {
        return vec![d.to_path_buf()];
    }
    let mut out = Vec::new();
    for e in WalkDir::new(d).sort_by_file_name().into_iter().flatten() {
        let p = e.path();
        if e.file_type().is_file() && p.extension().is_some_and(|x| x == "sql") {
            // sqlx `*.down.sql` and diesel `down.sql` undo a migration.
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            if name.ends_with(".down.sql") || name == "down.sql" {
                continue;
            }
            out.push(p.to_path_buf());
        }
    }
    out
}

/// One `.rs` file audited on its own (a plain package of one file, rooted at its folder).
fn single_file(file: &Path) -> Workspace {
    let root = file.parent().unwrap_or(Path::new("/")).to_path_buf();
    Workspace {
        packages: vec![Package {
            name: "file".into(),
            root: root.clone(),
            deps: BTreeMap::new(),
            plain: true,
            targets: Vec::new(),
            cargo: CargoIdentity::default(),
        }],
        selected: vec![0],
        files: vec![SourceFile {
            abs: file.to_path_buf(),
            rel: rel_path(&root, file),
            package: 0,
            module: Vec::new(),
            crate_root: true,
        }],
        excluded: Vec::new(),
        manifest_root: root.clone(),
        root,
        module_tree: false,
    }
}

/// The cargo workspace roots below `dir` (which has no Cargo.toml): every Cargo.toml not inside
/// `target/`, `node_modules/` or a hidden folder, shallowest first, except those inside the
/// folder of one already found (a member, or a nested package that belongs to no workspace of
/// its own here).
fn workspace_roots(dir: &Path) -> Vec<PathBuf> {
    let mut manifests: Vec<PathBuf> = WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 || !e.file_type().is_dir() {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            !(name.starts_with('.') || name == "target" || name == "node_modules")
        })
        .flatten()
        .filter(|e| e.file_type().is_file() && e.file_name() == "Cargo.toml")
        .map(|e| e.path().to_path_buf())
        .collect();
    manifests.sort_by_key(|m| (m.components().count(), m.clone()));
    let mut roots: Vec<PathBuf> = Vec::new();
    for m in manifests {
        let folder = m.parent().unwrap_or(dir);
        if roots
            .iter()
            .any(|r| folder.starts_with(r.parent().unwrap_or(dir)))
        {
            continue;
        }
        roots.push(m);
    }
    roots.sort();
    roots
}

/// A PATHS argument (relative to the current directory, or absolute) as a path relative to the
/// workspace root: `/`-separated, no trailing `/`.
pub fn rel_arg(root: &Path, p: &Path) -> String {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let abs = abs.canonicalize().unwrap_or(abs);
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    rel_path(&root, &abs).trim_end_matches('/').to_string()
}

pub fn rel_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// `src/api/users.rs` -> `["api", "users"]`; `src/lib.rs`, `src/main.rs`, `mod.rs` collapse.
pub fn module_path(pkg_root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(pkg_root).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "src") {
        parts.remove(0);
    }
    if parts.first().is_some_and(|p| p == "bin") && parts.len() > 1 {
        parts.remove(0);
        parts.remove(0);
        return parts
            .into_iter()
            .map(|p| p.trim_end_matches(".rs").to_string())
            .filter(|p| p != "mod")
            .collect();
    }
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs").to_string();
        let crate_root = parts.is_empty() && matches!(stem.as_str(), "lib" | "main");
        if stem != "mod" && !crate_root {
            parts.push(stem);
        }
    }
    parts
}

fn from_cargo(manifest: &Path) -> Result<Workspace> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .map_err(|e| Error::new(format!("cannot run cargo: {e}")))?;
    if !out.status.success() {
        return Err(Error::new("cargo metadata failed"));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| Error::new(format!("cargo metadata: {e}")))?;
    let root = PathBuf::from(v["workspace_root"].as_str().unwrap_or("."));
    let members: BTreeSet<&str> = v["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(|m| m.as_str()).collect())
        .unwrap_or_default();
    let mut packages = Vec::new();
    for p in v["packages"].as_array().into_iter().flatten() {
        if !members.contains(p["id"].as_str().unwrap_or("")) {
            continue;
        }
        let manifest_path = PathBuf::from(p["manifest_path"].as_str().unwrap_or(""));
        let mut deps = BTreeMap::new();
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let name = d["name"].as_str().unwrap_or("").to_string();
            let features = d["features"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|f| f.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            deps.entry(name)
                .or_insert_with(Vec::new)
                .extend::<Vec<String>>(features);
        }
        let cargo = CargoIdentity {
            id: p["id"].as_str().unwrap_or("").to_string(),
            version: p["version"].as_str().unwrap_or("").to_string(),
            targets: p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(target_from_metadata)
                .collect(),
            manifest_path: manifest_path.clone(),
        };
        packages.push(Package {
            name: p["name"].as_str().unwrap_or("").to_string(),
            root: manifest_path
                .parent()
                .unwrap_or(Path::new("/"))
                .to_path_buf(),
            deps,
            plain: false,
            targets: served_roots(&cargo.targets),
            cargo,
        });
    }
    packages.sort_by(|a, b| a.root.cmp(&b.root));
    Ok(Workspace::of_packages(root, packages))
}

/// Target kinds whose code is the service: not tests, benches, examples or build scripts.
const SERVED_TARGETS: &[&str] = &[
    "lib",
    "rlib",
    "dylib",
    "cdylib",
    "staticlib",
    "proc-macro",
    "bin",
];

/// The root files of the targets that are the service.
fn served_roots(targets: &[Target]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = targets
        .iter()
        .filter(|t| t.kind.iter().any(|k| SERVED_TARGETS.contains(&k.as_str())))
        .map(|t| t.src_path.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn target_from_metadata(t: &serde_json::Value) -> Target {
    let strings = |key: &str| -> Vec<String> {
        t[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    };
    Target {
        name: t["name"].as_str().unwrap_or("").to_string(),
        kind: strings("kind"),
        crate_types: strings("crate_types"),
        src_path: PathBuf::from(t["src_path"].as_str().unwrap_or("")),
        edition: t["edition"].as_str().unwrap_or("2015").to_string(),
        doc: t["doc"].as_bool().unwrap_or(true),
        doctest: t["doctest"].as_bool().unwrap_or(true),
        test: t["test"].as_bool().unwrap_or(true),
    }
}

/// `[workspace] exclude = [..]` of the root manifest, as absolute directories.
fn excluded_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(root.join("Cargo.toml")) else {
        return Vec::new();
    };
    let Ok(v) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    v.get("workspace")
        .and_then(|w| w.get("exclude"))
        .and_then(|e| e.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(|x| root.join(x))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads the manifests directly (no cargo on PATH, e.g. in a pre-commit hook).
fn from_manifests(manifest: &Path) -> Result<Workspace> {
    let root = manifest.parent().unwrap_or(Path::new("/")).to_path_buf();
    let table = read_manifest(manifest)?;
    // `version.workspace = true` and friends read `[workspace.package]` of the root.
    let inherited = table
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.as_table());
    let mut packages = Vec::new();
    if table.contains_key("package") {
        packages.push(package_from(&table, &root, inherited));
    }
    if let Some(ws) = table.get("workspace").and_then(|w| w.as_table()) {
        for m in ws
            .get("members")
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
        {
            let Some(pattern) = m.as_str() else { continue };
            for dir in expand_member(&root, pattern) {
                let mf = dir.join("Cargo.toml");
                if let Ok(t) = read_manifest(&mf) {
                    if t.contains_key("package") {
                        packages.push(package_from(&t, &dir, inherited));
                    }
                }
            }
        }
    }
    packages.sort_by(|a, b| a.root.cmp(&b.root));
    packages.dedup_by(|a, b| a.root == b.root);
    Ok(Workspace::of_packages(root, packages))
}

fn read_manifest(path: &Path) -> Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::in_file(format!("cannot read manifest: {e}"), path))?;
    text.parse::<toml::Table>().map_err(|e| {
        Error::at(
            e.message().to_string(),
            &path.display().to_string(),
            &text,
            e.span().unwrap_or(0..0),
        )
    })
}

fn package_from(t: &toml::Table, dir: &Path, inherited: Option<&toml::Table>) -> Package {
    let name = t
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .to_string();
    let mut deps = BTreeMap::new();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(d) = t.get(section).and_then(|d| d.as_table()) else {
            continue;
        };
        for (key, spec) in d {
            let name = spec
                .get("package")
                .and_then(|p| p.as_str())
                .unwrap_or(key)
                .to_string();
            let features: Vec<String> = spec
                .get("features")
                .and_then(|f| f.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            deps.entry(name).or_insert_with(Vec::new).extend(features);
        }
    }
    let cargo = identity_from_manifest(t, dir, &name, inherited);
    Package {
        targets: served_roots(&cargo.targets),
        cargo,
        name,
        root: dir.to_path_buf(),
        deps,
        plain: false,
    }
}

/// cargo's view of a package read from its manifest alone (no cargo on PATH): the package id
/// cargo would give it, and the targets cargo would infer (`[lib]`, `[[bin]]`, `src/lib.rs`,
/// `src/main.rs`, `src/bin/*`).
fn identity_from_manifest(
    t: &toml::Table,
    dir: &Path,
    name: &str,
    inherited: Option<&toml::Table>,
) -> CargoIdentity {
    let package = t.get("package").and_then(|p| p.as_table());
    let field = |key: &str| -> Option<String> {
        let v = package?.get(key)?;
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            // `key.workspace = true`
            None => inherited?.get(key)?.as_str().map(String::from),
        }
    };
    let version = field("version").unwrap_or_else(|| "0.0.0".into());
    let edition = field("edition").unwrap_or_else(|| "2015".into());
    let target = |name: &str, kind: &str, path: PathBuf| Target {
        name: name.to_string(),
        kind: vec![kind.to_string()],
        crate_types: vec![kind.to_string()],
        src_path: path,
        edition: edition.clone(),
        doc: true,
        doctest: kind == "lib" || kind == "proc-macro",
        test: true,
    };
    let mut targets = Vec::new();
    let lib = t.get("lib").and_then(|l| l.as_table());
    let lib_path = lib
        .and_then(|l| l.get("path"))
        .and_then(|p| p.as_str())
        .map(|p| dir.join(p))
        .unwrap_or_else(|| dir.join("src/lib.rs"));
    if lib.is_some() || lib_path.is_file() {
        let proc_macro = lib
            .and_then(|l| l.get("proc-macro"))
            .and_then(|p| p.as_bool())
            .unwrap_or(false);
        let lib_name = lib
            .and_then(|l| l.get("name"))
            .and_then(|n| n.as_str())
            .map(String::from)
            .unwrap_or_else(|| name.replace('-', "_"));
        let kind = if proc_macro { "proc-macro" } else { "lib" };
        targets.push(target(&lib_name, kind, lib_path));
    }
    for b in t
        .get("bin")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
    {
        let Some(bin_name) = b.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        let path = match b.get("path").and_then(|p| p.as_str()) {
            Some(p) => dir.join(p),
            None if bin_name == name => dir.join("src/main.rs"),
            None => dir.join("src/bin").join(format!("{bin_name}.rs")),
        };
        targets.push(target(bin_name, "bin", path));
    }
    let mut auto = Vec::new();
    if dir.join("src/main.rs").is_file() {
        auto.push((name.to_string(), dir.join("src/main.rs")));
    }
    for e in WalkDir::new(dir.join("src/bin"))
        .min_depth(1)
        .max_depth(2)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        let p = e.path();
        let rel = p.strip_prefix(dir.join("src/bin")).unwrap_or(p);
        let stem = match rel.components().count() {
            1 if p.extension().is_some_and(|x| x == "rs") => p.file_stem(),
            2 if p.file_name().is_some_and(|n| n == "main.rs") => {
                rel.components().next().map(|c| c.as_os_str())
            }
            _ => None,
        };
        if let Some(stem) = stem {
            auto.push((stem.to_string_lossy().into_owned(), p.to_path_buf()));
        }
    }
    for (bin_name, path) in auto {
        if !targets
            .iter()
            .any(|t| t.name == bin_name && t.kind == ["bin"])
        {
            targets.push(target(&bin_name, "bin", path));
        }
    }
    CargoIdentity {
        id: package_id(dir, name, &version),
        version,
        manifest_path: dir.join("Cargo.toml"),
        targets,
    }
}

/// The package id cargo (1.77 and later) gives a path package: `path+file:///abs/dir#0.1.0`,
/// with `name@` before the version when the folder is not named after the package.
pub fn package_id(dir: &Path, name: &str, version: &str) -> String {
    let path = dir.to_string_lossy().replace('\\', "/");
    // A Windows path (`C:/..`) gets the third slash of `file:///`.
    let mut url = String::from(if path.starts_with('/') {
        "path+file://"
    } else {
        "path+file:///"
    });
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            url.push(b as char);
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    if path.trim_end_matches('/').rsplit('/').next() == Some(name) {
        format!("{url}#{version}")
    } else {
        format!("{url}#{name}@{version}")
    }
}

/// Expands a workspace member pattern (`crates/*`, `api`) to directories.
fn expand_member(root: &Path, pattern: &str) -> Vec<PathBuf> {
    if !pattern.contains('*') && !pattern.contains('?') && !pattern.contains('[') {
        return vec![root.join(pattern)];
    }
    let Ok(glob) = globset::Glob::new(pattern) else {
        return Vec::new();
    };
    let m = glob.compile_matcher();
    let depth = pattern.split('/').count();
    let mut out: Vec<PathBuf> = WalkDir::new(root)
        .min_depth(depth)
        .max_depth(depth)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_dir())
        .filter(|e| m.is_match(rel_path(root, e.path())))
        .map(|e| e.path().to_path_buf())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths() {
        let r = Path::new("/p");
        assert!(module_path(r, Path::new("/p/src/lib.rs")).is_empty());
        assert!(module_path(r, Path::new("/p/src/main.rs")).is_empty());
        assert_eq!(module_path(r, Path::new("/p/src/api/mod.rs")), vec!["api"]);
        assert_eq!(
            module_path(r, Path::new("/p/src/api/users.rs")),
            vec!["api", "users"]
        );
        assert!(module_path(r, Path::new("/p/src/bin/tool.rs")).is_empty());
    }

    #[test]
    fn package_ids_as_cargo_writes_them() {
        assert_eq!(
            package_id(Path::new("/w/svc"), "svc", "0.1.0"),
            "path+file:///w/svc#0.1.0"
        );
        assert_eq!(
            package_id(Path::new("/w/my dir"), "svc", "1.2.3"),
            "path+file:///w/my%20dir#svc@1.2.3"
        );
        assert_eq!(
            package_id(Path::new("C:\\w\\svc"), "svc", "0.1.0"),
            "path+file:///C:/w/svc#0.1.0"
        );
    }

    /// Without cargo, the manifests give the same package ids and targets as `cargo metadata`.
    #[test]
    fn manifest_identity_matches_cargo_metadata() {
        let dir = tempfile_dir("ta-identity");
        let pkg = dir.join("member-dir");
        for (path, text) in [
            ("Cargo.toml", "[workspace]\nmembers = [\"member-dir\"]\n\n[workspace.package]\nversion = \"2.0.1\"\nedition = \"2021\"\n"),
            ("member-dir/Cargo.toml", "[package]\nname = \"svc-core\"\nversion.workspace = true\nedition.workspace = true\n\n[[bin]]\nname = \"extra\"\npath = \"tools/extra.rs\"\n"),
            ("member-dir/src/lib.rs", ""),
            ("member-dir/src/main.rs", "fn main() {}\n"),
            ("member-dir/src/bin/tool.rs", "fn main() {}\n"),
            ("member-dir/src/bin/multi/main.rs", "fn main() {}\n"),
            ("member-dir/tools/extra.rs", "fn main() {}\n"),
        ] {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let manifest = dir.join("Cargo.toml");
        let from_cargo = from_cargo(&manifest).expect("cargo metadata runs");
        let from_files = from_manifests(&manifest).unwrap();
        let sorted = |ws: &Workspace| {
            let mut c = ws.packages[0].cargo.clone();
            c.targets.sort_by(|a, b| a.name.cmp(&b.name));
            c
        };
        let (a, b) = (sorted(&from_cargo), sorted(&from_files));
        assert_eq!(a.id, package_id(&pkg, "svc-core", "2.0.1"));
        assert_eq!(a, b);
        let names: Vec<&str> = a.targets.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["extra", "multi", "svc-core", "svc_core", "tool"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir(prefix: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.canonicalize().unwrap()
    }
}
