//! Phase 2: the workspace index that joins facts across files — paths to fns, const names to
//! SQL text, schema to tables.

use crate::config::Config;
use crate::extract::{FileFacts, FnFact, ItemPath, UseFact};
use crate::intern::Module;
use crate::sql::{self, Dialect, Schema, Tenancy};
use crate::strings::{self, Lookup, StrSource};
use crate::workspace::Workspace;
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;

mod paths;
use paths::{Filed, PathTable};

/// (file, the module's path and a first segment, or `*` for the glob imports, joined by `::`)
/// -> the paths that segment may stand for.
type Memo = HashMap<MemoKey, Bases>;
/// A [`Memo`] key: (file, `module::first`).
type MemoKey = (u32, Box<str>);

crate::intern::interned! {
    /// What the first segment of a path may stand for ([`Index::first_bases`]): most segments
    /// stand for nothing or for one path, which the files of a module share.
    Bases = list of Module
}
/// Per package: SQL text -> its analysis (looked up by `&str`, no text made for a hit).
type SqlMemo = Vec<HashMap<String, Result<sql::Analysis, sql::SqlParseError>>>;

/// What kind of item an [`ItemRef`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKind {
    Static,
    Struct,
    Enum,
    Alias,
}

/// A static, struct, enum or type alias by file and position in that file's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemRef {
    pub file: usize,
    pub kind: ItemKind,
    pub index: usize,
}

/// A [`FnId`] as the fn maps keep it, half as wide (one per fn, twice).
#[derive(Debug, Clone, Copy)]
struct PackedFn {
    file: u32,
    index: u32,
}

impl PackedFn {
    fn of(id: FnId) -> PackedFn {
        PackedFn {
            file: narrow(id.file),
            index: narrow(id.index),
        }
    }

    fn id(self) -> FnId {
        FnId {
            file: self.file as usize,
            index: self.index as usize,
        }
    }
}

impl Filed for PackedFn {
    fn path(self, files: &[FileFacts]) -> ItemPath<'_> {
        files[self.file as usize].fns[self.index as usize].item()
    }
}

/// An [`ItemRef`] as the item maps keep it, half as wide.
#[derive(Debug, Clone, Copy)]
struct PackedItem {
    file: u32,
    index: u32,
    kind: ItemKind,
}

impl PackedItem {
    fn of(r: ItemRef) -> PackedItem {
        PackedItem {
            file: narrow(r.file),
            index: narrow(r.index),
            kind: r.kind,
        }
    }

    fn id(self) -> ItemRef {
        ItemRef {
            file: self.file as usize,
            kind: self.kind,
            index: self.index as usize,
        }
    }
}

impl Filed for PackedItem {
    fn path(self, files: &[FileFacts]) -> ItemPath<'_> {
        let (module, name) = declared(files, self.id());
        ItemPath::of(module, name)
    }
}

/// The module and name item `r` is declared with.
fn declared(files: &[FileFacts], r: ItemRef) -> (&[String], &str) {
    let f = &files[r.file];
    let i = r.index;
    match r.kind {
        ItemKind::Static => (&f.statics[i].module, &f.statics[i].name),
        ItemKind::Struct => (&f.structs[i].module, &f.structs[i].name),
        ItemKind::Enum => (&f.enums[i].module, &f.enums[i].name),
        ItemKind::Alias => (&f.aliases[i].module, &f.aliases[i].name),
    }
}

/// A const by file and position in that file's facts.
#[derive(Debug, Clone, Copy)]
struct PackedConst {
    file: u32,
    index: u32,
}

impl PackedConst {
    fn value(self, files: &[FileFacts]) -> &StrSource {
        &files[self.file as usize].consts[self.index as usize].value
    }
}

impl Filed for PackedConst {
    fn path(self, files: &[FileFacts]) -> ItemPath<'_> {
        let c = &files[self.file as usize].consts[self.index as usize];
        ItemPath::of(&c.module, &c.name)
    }
}

fn narrow(n: usize) -> u32 {
    u32::try_from(n).expect("fewer than 2^32 files and facts per file")
}

/// A fn by file and position in that file's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FnId {
    pub file: usize,
    pub index: usize,
}

pub struct Index<'a> {
    pub ws: &'a Workspace,
    pub config: &'a Config,
    pub files: &'a [FileFacts],
    /// Per package: item path -> fns with that path (the path read from the facts).
    fns: Vec<PathTable<'a, PackedFn>>,
    /// Per package: fn name -> fns with that name.
    fns_by_name: Vec<HashMap<&'a str, Refs<PackedFn>>>,
    /// Per package: const path -> the consts with that path (the last one filed is the one).
    consts: Vec<PathTable<'a, PackedConst>>,
    consts_by_name: Vec<HashMap<&'a str, Vec<&'a StrSource>>>,
    /// Per package: what is tenant-owned.
    pub tenancy: Vec<Tenancy>,
    pub dialects: Vec<Dialect>,
    /// Migrations that could not be read: (path, message).
    pub schema_problems: Vec<(String, String)>,
    crate_names: Vec<String>,
    /// Per package: `module::alias` of every `use` -> the paths it may stand for.
    reexports: Vec<HashMap<String, Vec<Module>>>,
    /// Per package: item path -> statics, structs, enums and type aliases with that path.
    items: Vec<PathTable<'a, PackedItem>>,
    /// Per package: item name -> the same.
    items_by_name: Vec<HashMap<&'a str, Refs<PackedItem>>>,
    /// What the first segment of a path (or `*`: the glob imports) stands for, per (file,
    /// module, name), already computed.
    memo: std::sync::Mutex<Memo>,
    /// Per (package, SQL text): its analysis. The same text is often built at many sites and
    /// through many callers.
    sql_memo: std::sync::Mutex<SqlMemo>,
}

impl<'a> Index<'a> {
    pub fn build(ws: &'a Workspace, config: &'a Config, files: &'a [FileFacts]) -> Index<'a> {
        let n = ws.packages.len();
        // Sized once: at scale a package has hundreds of thousands of fns, and a table grown
        // by doubling holds up to twice what it needs when the index is done.
        let (mut fn_counts, mut item_counts, mut const_counts) =
            (vec![0; n], vec![0; n], vec![0; n]);
        for f in files {
            fn_counts[f.package] += f.fns.len();
            item_counts[f.package] +=
                f.statics.len() + f.structs.len() + f.enums.len() + f.aliases.len();
            const_counts[f.package] += f.consts.len();
        }
        let mut fns: Vec<PathTable<'a, PackedFn>> = PathTable::per_package(files, &fn_counts);
        let mut items: Vec<PathTable<'a, PackedItem>> = PathTable::per_package(files, &item_counts);
        let mut consts: Vec<PathTable<'a, PackedConst>> =
            PathTable::per_package(files, &const_counts);
        let mut fns_by_name: Vec<HashMap<&'a str, Refs<PackedFn>>> = vec![HashMap::new(); n];
        let mut consts_by_name: Vec<HashMap<&'a str, Vec<&'a StrSource>>> = vec![HashMap::new(); n];
        let mut schemas: Vec<Schema> = (0..n).map(|_| Schema::default()).collect();
        let mut items_by_name: Vec<HashMap<&'a str, Refs<PackedItem>>> = vec![HashMap::new(); n];
        // Per package: last segment of a sea-orm entity module -> the tables it maps.
        let mut entity_tables: Vec<HashMap<&'a str, Vec<&'a str>>> = vec![HashMap::new(); n];
        for (fi, f) in files.iter().enumerate() {
            let p = f.package;
            for e in &f.entities {
                if let Some(last) = e.module.last() {
                    entity_tables[p]
                        .entry(last.as_str())
                        .or_default()
                        .push(e.table.as_str());
                }
            }
            let mut add = |kind: ItemKind, index: usize, name: &'a str| {
                let r = PackedItem::of(ItemRef {
                    file: fi,
                    kind,
                    index,
                });
                items[p].add(r);
                items_by_name[p].entry(name).or_default().push(r);
            };
            for (i, x) in f.statics.iter().enumerate() {
                add(ItemKind::Static, i, &x.name);
            }
            for (i, x) in f.structs.iter().enumerate() {
                add(ItemKind::Struct, i, &x.name);
            }
            for (i, x) in f.enums.iter().enumerate() {
                add(ItemKind::Enum, i, &x.name);
            }
            for (i, x) in f.aliases.iter().enumerate() {
                add(ItemKind::Alias, i, &x.name);
            }
            for (i, func) in f.fns.iter().enumerate() {
                if func.is_closure {
                    continue;
                }
                let id = PackedFn::of(FnId { file: fi, index: i });
                fns[p].add(id);
                fns_by_name[p]
                    .entry(func.name.as_str())
                    .or_default()
                    .push(id);
            }
            for (i, c) in f.consts.iter().enumerate() {
                consts[p].add(PackedConst {
                    file: narrow(fi),
                    index: narrow(i),
                });
                consts_by_name[p]
                    .entry(c.name.as_str())
                    .or_default()
                    .push(&*c.value);
            }
            for t in &f.schema_tables {
                schemas[p].merge_table(t.clone());
            }
        }
        fns.iter_mut().for_each(PathTable::filed);
        items.iter_mut().for_each(PathTable::filed);
        consts.iter_mut().for_each(PathTable::filed);
        let mut schema_problems = Vec::new();
        let mut dialects = Vec::new();
        // Packages usually share the root `migrations/`: walk each folder once, parse each set
        // of migrations once.
        let mut walked: HashMap<std::path::PathBuf, Vec<std::path::PathBuf>> = HashMap::new();
        let mut parsed: HashMap<(Vec<std::path::PathBuf>, Dialect), Schema> = HashMap::new();
        // The folders the code embeds (`sqlx::migrate!("..")`), per package.
        let mut embedded: Vec<Vec<&str>> = vec![Vec::new(); n];
        for f in files {
            embedded[f.package].extend(f.migration_dirs.iter().map(String::as_str));
        }
        for (p, schema) in schemas.iter_mut().enumerate() {
            let dialect = dialect_for(config, &ws.packages[p]);
            let mut list = Vec::new();
            let dirs = ws.schema_dirs(p, &config.tenant.schema, embedded[p].iter().copied());
            for d in dirs {
                let files = walked
                    .entry(d)
                    .or_insert_with_key(|d| crate::workspace::migration_files(d));
                list.extend(files.iter().cloned());
            }
            let from_migrations = parsed.entry((list.clone(), dialect)).or_insert_with(|| {
                let mut s = Schema::default();
                for m in &list {
                    match std::fs::read_to_string(m) {
                        Ok(text) => s.apply_migration(&text, dialect),
                        Err(e) => schema_problems.push((ws.rel(m), e.to_string())),
                    }
                }
                s
            });
            // diesel `table!` and sea-orm entities of the package's own files come on top.
            let own = std::mem::take(&mut schema.tables);
            *schema = from_migrations.clone();
            for t in own.into_values() {
                schema.merge_table(t);
            }
            retarget_relations(schema, &entity_tables[p]);
            dialects.push(dialect);
        }
        // Packages of one workspace usually share one database: a package that declares no schema
        // of its own (its queries live in a `domain-*` crate, its migrations in `api/`) is judged
        // against every table the workspace declares.
        let mut union = Schema::default();
        for s in &schemas {
            for (name, t) in &s.tables {
                union
                    .tables
                    .entry(name.clone())
                    .or_insert_with(|| t.clone());
            }
        }
        let tenancy = schemas
            .into_iter()
            .map(|schema| Tenancy {
                columns: config.tenant.columns.clone(),
                overrides: config
                    .tenant
                    .tables
                    .clone()
                    .into_iter()
                    .collect::<BTreeMap<_, _>>(),
                global_tables: config.tenant.global_tables.clone(),
                schema: if schema.is_empty() {
                    union.clone()
                } else {
                    schema
                },
            })
            .collect();
        let mut reexports: Vec<HashMap<String, Vec<Module>>> = vec![HashMap::new(); n];
        // The targets, one allocation per distinct path: a thousand files importing one path
        // share it.
        let mut paths: foldhash::HashSet<Module> = foldhash::HashSet::default();
        let mut intern = |v: Vec<String>| -> Module {
            if let Some(m) = paths.get(v.as_slice()) {
                return m.clone();
            }
            let m = Module::from(v);
            paths.insert(m.clone());
            m
        };
        for f in files {
            for u in &f.uses {
                if u.alias == "*" || u.path.is_empty() {
                    continue;
                }
                let key = path_key(&u.module, &u.alias);
                let targets = match u.path[0].as_str() {
                    "crate" => vec![intern(u.path[1..].to_vec())],
                    "self" => vec![intern(join(&u.module, &u.path[1..]))],
                    "super" => {
                        let mut m = u.module.to_vec();
                        let mut rest = &u.path[..];
                        while rest.first().is_some_and(|s| s == "super") {
                            m.pop();
                            rest = &rest[1..];
                        }
                        vec![intern(join(&m, rest))]
                    }
                    _ => vec![intern(join(&u.module, &u.path)), u.path.clone()],
                };
                reexports[f.package].entry(key).or_default().extend(targets);
            }
        }
        let crate_names = ws
            .packages
            .iter()
            .map(|p| p.name.replace('-', "_"))
            .collect();
        Index {
            ws,
            config,
            files,
            fns,
            fns_by_name,
            consts,
            consts_by_name,
            tenancy,
            dialects,
            schema_problems,
            crate_names,
            reexports,
            items,
            items_by_name,
            memo: std::sync::Mutex::new(HashMap::new()),
            sql_memo: std::sync::Mutex::new(vec![HashMap::new(); n]),
        }
    }

    /// Items of `kinds` named `name` in package `pkg`, wherever they are declared.
    pub fn items_named(&self, pkg: usize, name: &str, kinds: &[ItemKind]) -> Vec<ItemRef> {
        self.items_by_name[pkg]
            .get(name)
            .map(|v| {
                v.iter()
                    .map(|r| r.id())
                    .filter(|r| kinds.contains(&r.kind))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The statics, structs, enums or type aliases (of `kinds`) a path written in `module` of
    /// `file` names: through `use`, re-exports and other workspace crates' names
    /// (`common::infra::SESSIONS`), and failing that, an item of that name unique in the
    /// package, then unique in the workspace.
    pub fn resolve_item(
        &self,
        file: usize,
        module: &[String],
        segments: &[String],
        kinds: &[ItemKind],
    ) -> Vec<ItemRef> {
        let pkg = self.package_of(file);
        let want = |v: &[PackedItem]| -> Vec<ItemRef> {
            v.iter()
                .map(|r| r.id())
                .filter(|r| kinds.contains(&r.kind))
                .collect()
        };
        for cand in self.candidates(file, module, segments) {
            if let Some(found) = self.lookup(&self.items, pkg, &cand) {
                let found = want(found);
                if !found.is_empty() {
                    return found;
                }
            }
        }
        let Some(name) = segments.last() else {
            return Vec::new();
        };
        if let Some(v) = self.items_by_name[pkg].get(name.as_str()) {
            let v = want(v);
            if v.len() == 1 {
                return v;
            }
        }
        let mut all = Vec::new();
        for m in &self.items_by_name {
            if let Some(v) = m.get(name.as_str()) {
                all.extend(want(v));
            }
        }
        if all.len() == 1 {
            return all;
        }
        Vec::new()
    }

    /// The module an item is declared in.
    pub fn item_module(&self, r: ItemRef) -> &[String] {
        declared(self.files, r).0
    }

    pub fn func(&self, id: FnId) -> &FnFact {
        &self.files[id.file].fns[id.index]
    }

    /// Path of a file relative to the workspace root.
    pub fn rel(&self, file: usize) -> &str {
        &self.ws.files[self.files[file].file].rel
    }

    pub fn package_of(&self, file: usize) -> usize {
        self.files[file].package
    }

    /// Candidate absolute item paths for `segments` written in `module` of `file`, most likely
    /// first, without repeats: the first segment through the module's `use`s (and re-exports
    /// behind them), the crate's own name, the module itself, the path as is, the module's glob
    /// imports.
    pub fn candidates(
        &self,
        file: usize,
        module: &[String],
        segments: &[String],
    ) -> Vec<Vec<String>> {
        let mut guard = Vec::new();
        self.candidates_guarded(file, module, segments, &mut guard)
    }

    fn candidates_guarded(
        &self,
        file: usize,
        module: &[String],
        segments: &[String],
        guard: &mut Vec<MemoKey>,
    ) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = Vec::new();
        let add = |p: Vec<String>, out: &mut Vec<Vec<String>>| {
            if !out.contains(&p) {
                out.push(p);
            }
        };
        let Some(first) = segments.first().map(String::as_str) else {
            return out;
        };
        match first {
            "crate" => add(segments[1..].to_vec(), &mut out),
            "self" => add(join(module, &segments[1..]), &mut out),
            "super" => {
                let mut m = module.to_vec();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    m.pop();
                    rest = &rest[1..];
                }
                add(join(&m, rest), &mut out);
            }
            _ => {
                for b in self.first_bases(file, module, first, guard).iter() {
                    add(join(b, &segments[1..]), &mut out);
                }
                add(join(module, segments), &mut out);
                add(segments.to_vec(), &mut out);
                // The glob imports (`use x::*`) are the uses named `*`.
                for g in self.first_bases(file, module, "*", guard).iter() {
                    add(join(g, segments), &mut out);
                }
            }
        }
        out
    }

    /// What the first segment of a path stands for in `module` of `file`: the crate's root for
    /// its own name, and every path a `use` of that name may name (`*`: the glob imports). Remembered per (file,
    /// module, name); a `use` chain that loops back stops where it started.
    fn first_bases(
        &self,
        file: usize,
        module: &[String],
        first: &str,
        guard: &mut Vec<MemoKey>,
    ) -> Bases {
        // One string: `first` is one segment.
        let key = (narrow(file), path_key(module, first).into_boxed_str());
        if let Some(hit) = self.lock_first().get(&key) {
            return hit.clone();
        }
        if guard.contains(&key) || guard.len() > 8 {
            return Bases::default();
        }
        guard.push(key.clone());
        let mut out: Vec<Module> = Vec::new();
        if first == self.crate_names[self.package_of(file)] {
            out.push(Module::interned(&[]));
        }
        for u in uses_for(&self.files[file].uses, module) {
            if u.alias == first {
                for b in self.candidates_guarded(file, &u.module, &u.path, guard) {
                    if !out.iter().any(|m| *m == b) {
                        out.push(Module::interned(&b));
                    }
                }
            }
        }
        guard.pop();
        let out = Bases::of(out);
        self.lock_first().insert(key, out.clone());
        out
    }

    fn lock_first(&self) -> std::sync::MutexGuard<'_, Memo> {
        self.memo.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves a fn path written in `module` of `file`: through `use`, `crate::`, `super::`,
    /// and, failing that, a fn of that name unique in the package.
    pub fn resolve_fn(&self, file: usize, module: &[String], segments: &[String]) -> Option<FnId> {
        let pkg = self.package_of(file);
        for cand in self.candidates(file, module, segments) {
            if let Some(ids) = self.lookup(&self.fns, pkg, &cand) {
                return ids.first().map(|p| p.id());
            }
        }
        let name = segments.last()?;
        let named = self.fns_by_name[pkg].get(name.as_str())?;
        let matching: Vec<FnId> = named
            .iter()
            .map(|p| p.id())
            .filter(|id| {
                let f = self.func(*id);
                let want = &segments[..segments.len() - 1];
                want.iter()
                    .all(|s| s == "crate" || s == "self" || s == "super")
                    || f.module.ends_with(want)
                    || f.self_ty.as_deref() == want.last().map(String::as_str)
            })
            .collect();
        if matching.len() == 1 {
            return Some(matching[0]);
        }
        None
    }

    /// An item by absolute path: in the package itself, or — when the path starts with the crate
    /// name of another member (`domain_billing::routes`) — in that member.
    /// `use` re-exports (`pub use blog::routes::blog_router;`) are followed.
    fn lookup<'m, T, M: PathLookup<T>>(
        &self,
        maps: &'m [M],
        pkg: usize,
        path: &[String],
    ) -> Option<&'m T> {
        self.lookup_depth(maps, pkg, path, 0)
    }

    fn lookup_depth<'m, T, M: PathLookup<T>>(
        &self,
        maps: &'m [M],
        pkg: usize,
        path: &[String],
        depth: usize,
    ) -> Option<&'m T> {
        if depth > 8 {
            return None;
        }
        let key = path.join("::");
        if let Some(v) = maps[pkg].get_path(key.as_str()) {
            return Some(v);
        }
        if let Some(targets) = self.reexports[pkg].get(&key) {
            for t in targets {
                if **t != *path {
                    if let Some(v) = self.lookup_depth(maps, pkg, t, depth + 1) {
                        return Some(v);
                    }
                }
            }
        }
        let (first, rest) = path.split_first()?;
        let other = self.crate_names.iter().position(|c| c == first)?;
        if other == pkg {
            return None;
        }
        self.lookup_depth(maps, other, rest, depth + 1)
    }

    /// The analysis of an SQL text of package `pkg`, with its dialect and tenancy; each text
    /// is analysed once.
    pub fn analyze_sql(&self, pkg: usize, text: &str) -> Result<sql::Analysis, sql::SqlParseError> {
        let memo = || self.sql_memo.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = memo()[pkg].get(text) {
            return hit.clone();
        }
        let a = sql::analyze(text, self.dialects[pkg], &self.tenancy[pkg]);
        memo()[pkg].insert(text.to_string(), a.clone());
        a
    }

    /// Resolves a string source to its possible texts.
    pub fn resolve_str(&self, file: usize, src: &StrSource) -> strings::Resolved {
        strings::resolve(src, &Resolver { index: self, file })
    }

    /// A string source written in `file` with its consts and files replaced by their values
    /// (see [`strings::inline`]).
    pub fn inline_str(&self, file: usize, src: &StrSource) -> StrSource {
        strings::inline(src, &Resolver { index: self, file })
    }
}

/// sea-orm relations name their target by its entity module (`belongs_to =
/// "super::app::Entity"` is read as `REFERENCES app`): a foreign key to a table the schema does
/// not have, named like an entity module of the package, references that entity's table.
fn retarget_relations(schema: &mut Schema, entity_tables: &HashMap<&str, Vec<&str>>) {
    let names: foldhash::HashSet<String> = schema.tables.keys().cloned().collect();
    for t in schema.tables.values_mut() {
        for fk in &mut t.foreign_keys {
            if names.contains(&fk.table) {
                continue;
            }
            if let Some([one]) = entity_tables.get(fk.table.as_str()).map(Vec::as_slice) {
                fk.table = one.to_string();
            }
        }
    }
}

fn uses_for<'u>(uses: &'u [UseFact], module: &'u [String]) -> impl Iterator<Item = &'u UseFact> {
    uses.iter().filter(move |u| u.module == module)
}

/// One fn or item per key, mostly: kept inline.
type Refs<T> = smallvec::SmallVec<[T; 1]>;

/// A map by item path (`a::b::c`), as [`Index::lookup`] reads the index's maps.
trait PathLookup<T> {
    fn get_path(&self, path: &str) -> Option<&T>;
}

impl<K: std::borrow::Borrow<str> + std::hash::Hash + Eq, T> PathLookup<T> for HashMap<K, T> {
    fn get_path(&self, path: &str) -> Option<&T> {
        self.get(path)
    }
}

impl<R: Filed> PathLookup<Refs<R>> for PathTable<'_, R> {
    fn get_path(&self, path: &str) -> Option<&Refs<R>> {
        self.get(path)
    }
}

/// `module::name`, the key of an item path.
fn path_key(module: &[String], name: &str) -> String {
    let mut key =
        String::with_capacity(module.iter().map(|s| s.len() + 2).sum::<usize>() + name.len());
    for m in module {
        key.push_str(m);
        key.push_str("::");
    }
    key.push_str(name);
    key
}

fn join(a: &[String], b: &[String]) -> Vec<String> {
    let mut v = a.to_vec();
    v.extend(b.iter().cloned());
    v
}

/// The SQL dialect of a package: configured, else from its dependencies.
pub fn dialect_for(config: &Config, pkg: &crate::workspace::Package) -> Dialect {
    if let Some(d) = config.dialect {
        return d;
    }
    if pkg.plain {
        return Dialect::Postgres;
    }
    if pkg.deps.contains_key("rusqlite") || pkg.dep_feature("sqlx", "sqlite") {
        Dialect::Sqlite
    } else if pkg.dep_feature("sqlx", "mysql")
        || pkg.deps.contains_key("mysql")
        || pkg.deps.contains_key("mysql_async")
    {
        Dialect::MySql
    } else {
        Dialect::Postgres
    }
}

struct Resolver<'i, 'a> {
    index: &'i Index<'a>,
    file: usize,
}

impl Lookup for Resolver<'_, '_> {
    fn constant(&self, path: &[String], module: &[String]) -> Option<&StrSource> {
        let idx = self.index;
        let pkg = idx.package_of(self.file);
        for cand in idx.candidates(self.file, module, path) {
            if let Some(v) = idx.lookup(&idx.consts, pkg, &cand) {
                // Of consts with one path (`#[cfg]` variants), the last one filed.
                return v.last().map(|c| c.value(idx.files));
            }
        }
        // A name unique in the crate.
        match idx.consts_by_name[pkg].get(path.last()?.as_str()) {
            Some(v) if v.len() == 1 => Some(v[0]),
            _ => None,
        }
    }

    fn constants_named(&self, name: &str) -> Vec<&StrSource> {
        let pkg = self.index.package_of(self.file);
        self.index.consts_by_name[pkg]
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    fn file(&self, path: &str, relative_to_file: bool) -> Option<String> {
        let idx = self.index;
        let src = &idx.ws.files[idx.files[self.file].file];
        let base = if relative_to_file {
            src.abs.parent()?.to_path_buf()
        } else {
            idx.ws.packages[src.package].root.clone()
        };
        strings::read_relative(&base, path)
    }
}

/// What an [`Index`] owns rather than borrows from the facts (see [`Index::into_owned`]): kept
/// only to be dropped.
pub struct Owned {
    _reexports: Vec<HashMap<String, Vec<Module>>>,
    _memo: std::sync::Mutex<Memo>,
    _tenancy: Vec<Tenancy>,
    _sql_memo: std::sync::Mutex<SqlMemo>,
}

impl Index<'_> {
    /// The maps the index owns: re-exports, the path memo, the schemas and the SQL memo, most
    /// of its allocations (nested lists of small strings, ~30 ms to free on a 1,500-file
    /// workspace), to be freed off the critical path. The maps that borrow the facts are freed
    /// here.
    pub fn into_owned(self) -> Owned {
        let Index {
            reexports,
            memo,
            tenancy,
            sql_memo,
            ..
        } = self;
        Owned {
            _reexports: reexports,
            _memo: memo,
            _tenancy: tenancy,
            _sql_memo: sql_memo,
        }
    }
}
