//! Item path -> the fns with that path, in a table of four bytes a path: the table holds the
//! index of a slot, the slot the fns, and the path is read from the slot's first fn's facts. At
//! scale a workspace has hundreds of thousands of fns, and a map holding each path beside its
//! fns (a text reference and a small vector, forty bytes, in a table twice the size it needs
//! when it has just grown) was the index's largest allocation.

use super::{PackedFn, Refs};
use crate::extract::FileFacts;
use crate::intern::hash;

#[derive(Clone)]
pub(super) struct FnPaths<'a> {
    files: &'a [FileFacts],
    table: hashbrown::HashTable<u32>,
    slots: Vec<Refs<PackedFn>>,
}

/// The item path of fn `id`.
fn path_of_fn(files: &[FileFacts], id: PackedFn) -> &str {
    let id = id.id();
    files[id.file].fns[id.index].item.as_str()
}

/// The item path of slot `s`: its first fn's.
fn path_of<'a>(files: &'a [FileFacts], slots: &[Refs<PackedFn>], s: u32) -> &'a str {
    path_of_fn(files, slots[s as usize][0])
}

impl<'a> FnPaths<'a> {
    pub(super) fn new(files: &'a [FileFacts]) -> Self {
        FnPaths {
            files,
            table: hashbrown::HashTable::new(),
            slots: Vec::new(),
        }
    }

    /// Files fn `id` by its item path.
    pub(super) fn add(&mut self, id: PackedFn) {
        let FnPaths {
            files,
            table,
            slots,
        } = self;
        let path = path_of_fn(files, id);
        let found = {
            let slots = &*slots;
            match table.entry(
                hash(path),
                |&s| path_of(files, slots, s) == path,
                |&s| hash(path_of(files, slots, s)),
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
            None => slots.push(smallvec::smallvec![id]),
        }
    }

    /// The fns with item path `path`.
    pub(super) fn get(&self, path: &str) -> Option<&Refs<PackedFn>> {
        self.table
            .find(hash(path), |&s| path_of(self.files, &self.slots, s) == path)
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
                .map(|i| FnFact {
                    item: i.to_string(),
                    ..FnFact::default()
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
        let mut m = FnPaths::new(&files);
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
        let mut m = FnPaths::new(&files);
        for index in 0..items.len() {
            m.add(PackedFn::of(FnId { file: 0, index }));
        }
        for (index, item) in items.iter().enumerate() {
            assert_eq!(ids(m.get(item)), [(0, index)]);
        }
    }
}
