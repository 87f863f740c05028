//! Item path -> the fns with that path, in a table of four bytes a path: the table holds the
//! index of a slot, the slot the fns, and the path is read from the slot's first fn's facts
//! (fns keep no joined path: [`crate::extract::ItemPath`] compares its pieces; each slot keeps
//! its path's hash, for the table to grow). At scale a workspace has hundreds of thousands of
//! fns, and a map holding each path beside its fns (a text reference and a small vector, forty
//! bytes, in a table twice the size it needs when it has just grown) was the index's largest
//! allocation; the table and slots are sized once for the package's fns.
use super::{PackedFn, Refs};
use crate::extract::{FileFacts, ItemPath};
use crate::intern::hash;

#[derive(Clone)]
pub(super) struct FnPaths<'a> {
    files: &'a [FileFacts],
    table: hashbrown::HashTable<u32>,
    slots: Vec<Refs<PackedFn>>,
    /// Each slot's path's hash, for the table to grow without joining every path again.
    hashes: Vec<u64>,
    /// The path being filed, joined.
    buf: String,
}

/// The item path of fn `id`.
fn path_of_fn(files: &[FileFacts], id: PackedFn) -> ItemPath<'_> {
    let id = id.id();
    files[id.file].fns[id.index].item()
}

/// The item path of slot `s`: its first fn's.
fn path_of<'a>(files: &'a [FileFacts], slots: &[Refs<PackedFn>], s: u32) -> ItemPath<'a> {
    path_of_fn(files, slots[s as usize][0])
}

impl<'a> FnPaths<'a> {
    /// A table for at most `fns` fns.
    pub(super) fn new(files: &'a [FileFacts], fns: usize) -> Self {
        FnPaths {
            files,
            table: hashbrown::HashTable::with_capacity(fns),
            slots: Vec::with_capacity(fns),
            hashes: Vec::with_capacity(fns),
            buf: String::new(),
        }
    }

    /// Files fn `id` by its item path.
    pub(super) fn add(&mut self, id: PackedFn) {
        let FnPaths {
            files,
            table,
            slots,
            hashes,
            buf,
        } = self;
        path_of_fn(files, id).write_to(buf);
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
                    let next = u32::try_from(slots.len()).expect("fewer than 2^32 fn paths");
                    e.insert(next);
                    None
                }
            }
        };
        match found {
            Some(s) => slots[s as usize].push(id),
            None => {
                slots.push(smallvec::smallvec![id]);
                hashes.push(h);
            }
        }
    }

    /// Every fn is filed: the slots sized for one path a fn give back what they did not use.
    pub(super) fn filed(&mut self) {
        self.slots.shrink_to_fit();
        self.hashes.shrink_to_fit();
        self.buf = String::new();
    }

    /// The fns with item path `path`.
    pub(super) fn get(&self, path: &str) -> Option<&Refs<PackedFn>> {
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
    use crate::index::FnId;

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
        let mut m = FnPaths::new(&files, 0);
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
        let mut m = FnPaths::new(&files, 0);
        for index in 0..items.len() {
            m.add(PackedFn::of(FnId { file: 0, index }));
        }
        for (index, item) in items.iter().enumerate() {
            assert_eq!(ids(m.get(item)), [(0, index)]);
        }
    }
}
