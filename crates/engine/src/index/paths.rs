//! Item path -> the fns, items or consts with that path, in a table of four bytes a path: the
//! table holds the index of a slot, the slot the entries, and the path is read from the slot's
//! first entry's facts (facts keep no joined path: [`crate::extract::ItemPath`] compares its
//! pieces; each slot keeps its path's hash, for the table to grow). At scale a workspace has
//! hundreds of thousands of fns and items, and a map holding each path beside its entries (a
//! joined string or a text reference, and a small vector, in a table twice the size it needs
//! when it has just grown) was the index's largest allocation; the table and slots are sized
//! once for the package's entries.
use super::Refs;
use crate::extract::{FileFacts, ItemPath};
use crate::intern::hash;

/// An entry a [`PathTable`] files: a fact of one file, whose item path the facts give.
pub(super) trait Filed: Copy {
    fn path(self, files: &[FileFacts]) -> ItemPath<'_>;
}

#[derive(Clone)]
pub(super) struct PathTable<'a, R> {
    files: &'a [FileFacts],
    table: hashbrown::HashTable<u32>,
    slots: Vec<Refs<R>>,
    /// Each slot's path's hash, for the table to grow without joining every path again.
    hashes: Vec<u64>,
    /// The path being filed, joined.
    buf: String,
}

/// The item path of slot `s`: its first entry's.
fn path_of<'a, R: Filed>(files: &'a [FileFacts], slots: &[Refs<R>], s: u32) -> ItemPath<'a> {
    slots[s as usize][0].path(files)
}

impl<'a, R: Filed> PathTable<'a, R> {
    /// A table for at most `entries` entries.
    pub(super) fn new(files: &'a [FileFacts], entries: usize) -> Self {
        PathTable {
            files,
            table: hashbrown::HashTable::with_capacity(entries),
            slots: Vec::with_capacity(entries),
            hashes: Vec::with_capacity(entries),
            buf: String::new(),
        }
    }

    /// One table a package, for at most `counts[p]` entries of package `p`.
    pub(super) fn per_package(files: &'a [FileFacts], counts: &[usize]) -> Vec<Self> {
        counts.iter().map(|&c| PathTable::new(files, c)).collect()
    }

    /// Files `r` by its item path, after the entries of that path filed before it.
    pub(super) fn add(&mut self, r: R) {
        let PathTable {
            files,
            table,
            slots,
            hashes,
            buf,
        } = self;
        r.path(files).write_to(buf);
        let path = buf.as_str();
        let h = hash(path);
        let found = {
            let (slots, hashes) = (&*slots, &*hashes);
            match table.entry(
                h,
                |&s| path_of(files, slots, s).is(path),
                |&s| hashes[s as usize],
            ) {
                hashbrown::hash_table::Entry::Occupied(e) => Some(*e.get()),
                hashbrown::hash_table::Entry::Vacant(e) => {
                    let next = u32::try_from(slots.len()).expect("fewer than 2^32 item paths");
                    e.insert(next);
                    None
                }
            }
        };
        match found {
            Some(s) => slots[s as usize].push(r),
            None => {
                slots.push(smallvec::smallvec![r]);
                hashes.push(h);
            }
        }
    }

    /// Every entry is filed: the slots sized for one path an entry give back what they did not
    /// use.
    pub(super) fn filed(&mut self) {
        self.slots.shrink_to_fit();
        self.hashes.shrink_to_fit();
        self.buf = String::new();
    }

    /// The entries with item path `path`, in the order filed.
    pub(super) fn get(&self, path: &str) -> Option<&Refs<R>> {
        self.table
            .find(hash(path), |&s| {
                path_of(self.files, &self.slots, s).is(path)
            })
            .map(|&s| &self.slots[s as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::FnFact;
    use crate::index::{FnId, PackedFn};

    fn file(items: &[&str]) -> FileFacts {
        FileFacts {
            fns: items
                .iter()
                .map(|i| {
                    let (module, name) = i.rsplit_once("::").unwrap_or(("", i));
                    let module: Vec<String> = module.split("::").map(String::from).collect();
                    FnFact {
                        name: name.into(),
                        module: module.into(),
                        ..FnFact::default()
                    }
                })
                .collect(),
            ..FileFacts::default()
        }
    }

    fn ids(found: Option<&Refs<PackedFn>>) -> Vec<(usize, usize)> {
        found
            .map(|r| r.iter().map(|p| (p.id().file, p.id().index)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn fns_of_one_path_are_kept_in_the_order_filed() {
        let files = [file(&["a::f", "a::g"]), file(&["b::h", "a::f"])];
        let mut m = PathTable::new(&files, 0);
        for (fi, f) in files.iter().enumerate() {
            for index in 0..f.fns.len() {
                m.add(PackedFn::of(FnId { file: fi, index }));
            }
        }
        assert_eq!(ids(m.get("a::f")), [(0, 0), (1, 1)]);
        assert_eq!(ids(m.get("b::h")), [(1, 0)]);
        assert_eq!(ids(m.get("a::")), []);
        assert_eq!(ids(m.get("a::fg")), []);
    }

    #[test]
    fn every_path_is_found_after_the_table_grows() {
        let items: Vec<String> = (0..5000).map(|i| format!("m::f{i}")).collect();
        let refs: Vec<&str> = items.iter().map(String::as_str).collect();
        let files = [file(&refs)];
        let mut m = PathTable::new(&files, 0);
        for index in 0..items.len() {
            m.add(PackedFn::of(FnId { file: 0, index }));
        }
        for (index, item) in items.iter().enumerate() {
            assert_eq!(ids(m.get(item)), [(0, index)]);
        }
    }

    #[test]
    fn items_of_every_kind_and_consts_are_found_by_their_path() {
        use crate::extract::{ConstFact, StaticFact, StructFact};
        use crate::index::{ItemKind, PackedConst, PackedItem};
        let module = |m: &str| -> crate::intern::Module {
            m.split("::").map(String::from).collect::<Vec<_>>().into()
        };
        let files = [FileFacts {
            statics: vec![StaticFact {
                name: "X".into(),
                module: module("a::b"),
                ty: "u8".into(),
            }],
            structs: vec![StructFact {
                name: "X".into(),
                module: module("a::b"),
                fields: Vec::new(),
                field_types: Vec::new(),
                generics: Default::default(),
            }],
            consts: ["one", "two"]
                .iter()
                .map(|v| ConstFact {
                    name: "C".into(),
                    module: module("a"),
                    value: crate::strings::SharedSource::of(crate::strings::StrSource::Lit(
                        v.to_string(),
                    )),
                })
                .collect(),
            ..FileFacts::default()
        }];
        let mut items = PathTable::new(&files, 0);
        for (kind, index) in [(ItemKind::Static, 0), (ItemKind::Struct, 0)] {
            items.add(PackedItem::of(crate::index::ItemRef {
                file: 0,
                kind,
                index,
            }));
        }
        items.filed();
        let found: Vec<ItemKind> = items
            .get("a::b::X")
            .map(|r| r.iter().map(|p| p.id().kind).collect())
            .unwrap_or_default();
        assert_eq!(found, [ItemKind::Static, ItemKind::Struct]);
        assert!(items.get("a::X").is_none());
        assert!(items.get("a::b").is_none());
        let mut consts = PathTable::new(&files, 0);
        for index in 0..2 {
            consts.add(PackedConst { file: 0, index });
        }
        let values: Vec<String> = consts
            .get("a::C")
            .map(|r| r.iter().map(|c| format!("{:?}", c.value(&files))).collect())
            .unwrap_or_default();
        assert_eq!(values, [r#"Lit("one")"#, r#"Lit("two")"#]);
    }
}
