//! Shared text of the facts: every fact of a file keeps the same module path, and most of the
//! names the facts hold (call names, type texts, `use` segments) repeat thousands of times in a
//! workspace. [`Module`] is a module path shared by reference, interned per thread; [`Name`] is
//! a string interned once per process, so equal names are one text and compare by pointer. Both
//! read as what they hold (`&[String]`, `&str`) and hash and order like it.
//!
//! Every lookup first asks a small per-thread cache of the values looked up last ([`Recent`]):
//! at scale the tables hold hundreds of thousands of entries, and a probe that reaches them
//! misses the CPU's cache several times (table, entry, text).

use std::borrow::Borrow;
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

/// A module path (`["api", "users"]`), shared by every fact written in that module.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Module(Arc<Box<[String]>>);

thread_local! {
    static PATHS: RefCell<Table<Module>> = RefCell::new(Table::default());
}

impl Module {
    /// The path, interned per thread: `use std::collections::HashMap;` in a thousand files is
    /// one allocation.
    pub fn interned(v: &[String]) -> Module {
        PATHS.with(|paths| {
            paths.borrow_mut().get_or_insert(
                v,
                |m, v| **m == **v,
                |v| Module(Arc::new(Box::from(v))),
            )
        })
    }

    /// The path with one more segment (entering an inline `mod`).
    pub fn push(&mut self, segment: String) {
        let mut v = self.0.to_vec();
        v.push(segment);
        *self = v.into();
    }

    /// The path without its last segment (leaving an inline `mod`).
    pub fn pop(&mut self) -> Option<String> {
        let mut v = self.0.to_vec();
        let last = v.pop();
        *self = v.into();
        last
    }
}

impl Deref for Module {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

impl Borrow<[String]> for Module {
    fn borrow(&self) -> &[String] {
        &self.0
    }
}

impl AsRef<[String]> for Module {
    fn as_ref(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Debug for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Vec<String>> for Module {
    fn from(v: Vec<String>) -> Self {
        Module(Arc::new(v.into_boxed_slice()))
    }
}

impl From<&[String]> for Module {
    fn from(v: &[String]) -> Self {
        Module(Arc::new(Box::from(v)))
    }
}

impl PartialEq<[String]> for Module {
    fn eq(&self, other: &[String]) -> bool {
        **self == *other
    }
}

impl PartialEq<&[String]> for Module {
    fn eq(&self, other: &&[String]) -> bool {
        **self == **other
    }
}

impl PartialEq<Vec<String>> for Module {
    fn eq(&self, other: &Vec<String>) -> bool {
        **self == **other
    }
}

impl PartialEq<Module> for Vec<String> {
    fn eq(&self, other: &Module) -> bool {
        **self == **other
    }
}

impl PartialEq<Module> for [String] {
    fn eq(&self, other: &Module) -> bool {
        *self == **other
    }
}

impl<'a> IntoIterator for &'a Module {
    type Item = &'a String;
    type IntoIter = std::slice::Iter<'a, String>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// A list of facts shared by reference, interned per thread in `table`: the parameter lists of
/// a workspace's fns repeat (`(&self, tenant: TenantId, id: Uuid)`), and each fn holding its
/// own copy was a tenth of the facts at scale. One pointer wide; the empty list allocates
/// nothing. Reads as the slice it holds.
pub struct List<T: 'static>(Option<Arc<Box<[T]>>>);

impl<T: PartialEq + std::hash::Hash + 'static> List<T> {
    /// The list equal to `items`, from the thread's `table` (added the first time).
    pub(crate) fn interned(
        table: &'static std::thread::LocalKey<RefCell<Table<List<T>>>>,
        items: Vec<T>,
    ) -> List<T> {
        if items.is_empty() {
            return List(None);
        }
        table.with(|t| {
            t.borrow_mut().get_or_insert(
                items,
                |l, items| **l == **items,
                |items| List(Some(Arc::new(items.into_boxed_slice()))),
            )
        })
    }
}

impl<T> Clone for List<T> {
    fn clone(&self) -> Self {
        List(self.0.clone())
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List(None)
    }
}

impl<T> Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.0.as_deref().map_or(&[], |b| b)
    }
}

impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: PartialEq> PartialEq for List<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Declares `$name`, a [`List`] of `$item` (`list of`) or a [`Shared`] `$item` (`one`),
/// interned in a table of its own per thread, made by `$name::of(..)`.
macro_rules! interned {
    ($(#[$doc:meta])* $name:ident = list of $item:ty) => {
        $crate::intern::interned!(@ $(#[$doc])* $name, List, Vec<$item>, $item);
    };
    ($(#[$doc:meta])* $name:ident = one $item:ty) => {
        $crate::intern::interned!(@ $(#[$doc])* $name, Shared, $item, $item);
    };
    (@ $(#[$doc:meta])* $name:ident, $kind:ident, $made_of:ty, $item:ty) => {
        $(#[$doc])*
        pub type $name = $crate::intern::$kind<$item>;

        const _: () = {
            thread_local! {
                static TABLE: std::cell::RefCell<$crate::intern::Table<$name>> =
                    std::cell::RefCell::new(Default::default());
            }
            impl $crate::intern::$kind<$item> {
                /// The value equal to `v`, shared with the thread's other facts that hold it.
                pub fn of(v: $made_of) -> $name {
                    $crate::intern::$kind::interned(&TABLE, v)
                }
            }
        };
    };
}
pub(crate) use interned;

/// A value shared by reference, interned per thread in `table` (see [`interned`]): a const's
/// value or a query's SQL written the same in many places. One pointer wide; reads as the value.
pub struct Shared<T: 'static>(Arc<T>);

impl<T: PartialEq + std::hash::Hash + 'static> Shared<T> {
    /// The value equal to `v`, from the thread's `table` (added the first time).
    pub(crate) fn interned(
        table: &'static std::thread::LocalKey<RefCell<Table<Shared<T>>>>,
        v: T,
    ) -> Shared<T> {
        table.with(|t| {
            t.borrow_mut()
                .get_or_insert(v, |s, v| *s.0 == *v, |v| Shared(Arc::new(v)))
        })
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (*self.0).fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        *self.0 == *other.0
    }
}

impl<T: Eq> Eq for Shared<T> {}

/// Slots of a [`Recent`] cache (a power of two).
const RECENT: usize = 8192;

/// The values a thread looked up last, by hash: a direct-mapped cache in front of an interning
/// table. The names of a file repeat close together (its types, fields, methods); the cache
/// answers them from memory that stays in the CPU's cache, where the whole table, hundreds of
/// thousands of entries at scale, misses it on nearly every probe.
struct Recent<T>(Box<[(u64, Option<T>)]>);

impl<T: Clone> Recent<T> {
    fn new() -> Self {
        Recent(std::iter::repeat_with(|| (0, None)).take(RECENT).collect())
    }

    fn slot(h: u64) -> usize {
        (h >> 20) as usize & (RECENT - 1)
    }

    /// The value of hash `h` that `is` accepts, if it was looked up last in its slot.
    fn get(&self, h: u64, is: impl Fn(&T) -> bool) -> Option<T> {
        match &self.0[Self::slot(h)] {
            (seen, Some(v)) if *seen == h && is(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn put(&mut self, h: u64, v: &T) {
        self.0[Self::slot(h)] = (h, Some(v.clone()));
    }
}

/// The hash every interning table and [`Recent`] cache files a value by.
pub(crate) fn hash<K: std::hash::Hash + ?Sized>(key: &K) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(key)
}

/// The value of hash `h` in `all` that `is` accepts for `key`, made from `key` by `make` and
/// added the first time (an owned key is moved into the value, never copied).
fn find_or_insert<T: Clone, K>(
    all: &mut hashbrown::HashTable<(u64, T)>,
    h: u64,
    key: K,
    is: impl Fn(&T, &K) -> bool,
    make: impl FnOnce(K) -> T,
) -> T {
    if let Some((_, v)) = all.find(h, |(seen, v)| *seen == h && is(v, &key)) {
        return v.clone();
    }
    let v = make(key);
    all.insert_unique(h, (h, v.clone()), |(seen, _)| *seen);
    v
}

/// A per-thread interning table: every value made, by hash, behind a [`Recent`] cache.
pub(crate) struct Table<T> {
    recent: Recent<T>,
    all: hashbrown::HashTable<(u64, T)>,
}

impl<T: Clone> Default for Table<T> {
    fn default() -> Self {
        Table {
            recent: Recent::new(),
            all: hashbrown::HashTable::new(),
        }
    }
}

impl<T: Clone> Table<T> {
    /// The value equal to `key` (`is` tells), made from it by `make` the first time.
    fn get_or_insert<K: std::hash::Hash>(
        &mut self,
        key: K,
        is: impl Fn(&T, &K) -> bool,
        make: impl FnOnce(K) -> T,
    ) -> T {
        let h = hash(&key);
        if let Some(v) = self.recent.get(h, |v| is(v, &key)) {
            return v;
        }
        let v = find_or_insert(&mut self.all, h, key, is, make);
        self.recent.put(h, &v);
        v
    }
}

/// An interned string: equal names share one text, process-wide, so two names are equal when
/// they point at the same place. One pointer wide and free to clone: facts hold names by the
/// million, copy them into phase 2's maps, and a reference count would touch memory each time.
///
/// The texts live as long as the process, in an arena that only grows: each distinct name is
/// kept once (its length and bytes; a few MB for a 3M-line workspace), and a process that
/// audits again reuses the names it has.
#[derive(Clone)]
pub struct Name(std::ptr::NonNull<u8>);

// SAFETY: a name points at bytes that are written once, before the name exists, and are never
// written again or freed (see `Shard::keep`); reading them from any thread is sound.
unsafe impl Send for Name {}
unsafe impl Sync for Name {}

/// Shards of the process-wide table (a power of two): threads that miss their cache at once
/// rarely wait on each other.
const SHARDS: usize = 16;

/// One shard of the process-wide table of names, with the arena its texts are kept in.
struct Shard {
    names: hashbrown::HashTable<(u64, Name)>,
    /// What is left of the current chunk of the arena.
    free: &'static mut [u8],
}

static TABLE: [Mutex<Shard>; SHARDS] = [const {
    Mutex::new(Shard {
        names: hashbrown::HashTable::new(),
        free: &mut [],
    })
}; SHARDS];

/// Bytes of a chunk of the arena.
const CHUNK: usize = 64 << 10;

/// Bytes before a name's text in the arena: its length.
const LEN: usize = std::mem::size_of::<usize>();

impl Shard {
    /// `s` kept in the arena (`free`, what is left of its chunk): its length, then its bytes.
    fn keep(free: &mut &'static mut [u8], s: &str) -> Name {
        let need = LEN + s.len();
        if free.len() < need {
            let chunk = vec![0u8; need.max(CHUNK)].into_boxed_slice();
            *free = Box::leak(chunk);
        }
        let (place, rest) = std::mem::take(free).split_at_mut(need);
        *free = rest;
        place[..LEN].copy_from_slice(&s.len().to_ne_bytes());
        place[LEN..].copy_from_slice(s.as_bytes());
        // The pointer is made from the whole place, so it may read all of it.
        Name(std::ptr::NonNull::from(place).cast())
    }
}

thread_local! {
    /// The names this thread looked up last: most lookups are answered here, without a lock.
    static RECENT_NAMES: RefCell<Recent<Name>> = RefCell::new(Recent::new());
}

impl Name {
    pub fn new(s: &str) -> Name {
        let h = hash(s);
        RECENT_NAMES.with(|recent| {
            if let Some(n) = recent.borrow().get(h, |n| n.as_str() == s) {
                return n;
            }
            let n = Name::shared(h, s);
            recent.borrow_mut().put(h, &n);
            n
        })
    }

    /// The process-wide name of `s` (hash `h`), kept the first time.
    fn shared(h: u64, s: &str) -> Name {
        let shard = &TABLE[(h >> 40) as usize & (SHARDS - 1)];
        let mut shard = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Shard { names, free } = &mut *shard;
        find_or_insert(
            names,
            h,
            s,
            |n, s| n.as_str() == *s,
            |s| Shard::keep(free, s),
        )
    }

    /// The name of a value's text (an identifier): printed into a buffer kept per thread, so a
    /// name seen before costs no allocation.
    pub fn of(v: &impl fmt::Display) -> Name {
        with_text(v, Name::new)
    }

    pub fn as_str(&self) -> &str {
        let p = self.0.as_ptr();
        // SAFETY: `p` points at a place `Shard::keep` filled with a length and that many bytes
        // of a `str`, in leaked memory that is never written again or freed.
        unsafe {
            let len = usize::from_ne_bytes(p.cast::<[u8; LEN]>().read_unaligned());
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(p.add(LEN), len))
        }
    }
}

impl PartialEq for Name {
    /// Equal texts are one place (the table keeps each once).
    fn eq(&self, other: &Name) -> bool {
        self.0 == other.0
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// Runs `f` on a value's text (an identifier) printed into a buffer kept per thread: a test on
/// a name that is rarely kept costs no allocation. Calls may nest (see [`with_buffer`]).
pub fn with_text<R>(v: &impl fmt::Display, f: impl FnOnce(&str) -> R) -> R {
    use std::fmt::Write;
    with_buffer(
        |s| {
            let _ = write!(s, "{v}");
        },
        f,
    )
}

/// Runs `f` on the text `fill` writes into a buffer kept per thread (empty when `fill` gets
/// it). Calls may nest: an inner one writes into a buffer of its own.
pub fn with_buffer<R>(fill: impl FnOnce(&mut String), f: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static BUF: std::cell::Cell<String> = const { std::cell::Cell::new(String::new()) };
    }
    let mut s = BUF.with(|b| b.take());
    s.clear();
    fill(&mut s);
    let r = f(&s);
    BUF.with(|b| b.set(s));
    r
}

impl Default for Name {
    fn default() -> Self {
        Name::new("")
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name::new(s)
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name::new(&s)
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Self {
        Name::new(s)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use foldhash::HashSet;

    #[test]
    fn equal_names_share_one_allocation() {
        let a = Name::new("fetch_all");
        let b = Name::from(String::from("fetch_all"));
        assert_eq!(a, b);
        assert_eq!(a.as_str().as_ptr(), b.as_str().as_ptr());
        assert_eq!(a, "fetch_all");
        assert_eq!("fetch_all", a);
        assert_ne!(Name::new("bind"), a);
    }

    #[test]
    fn names_made_on_other_threads_are_the_same_name() {
        let here = Name::new("delete_invoice");
        let there = std::thread::spawn(|| Name::new("delete_invoice"))
            .join()
            .unwrap();
        assert_eq!(here, there);
        assert_eq!(here.as_str().as_ptr(), there.as_str().as_ptr());
        let other = std::thread::spawn(|| Name::new("delete_invoices"))
            .join()
            .unwrap();
        assert_ne!(here, other);
        assert_eq!(other, "delete_invoices");
    }

    #[test]
    fn names_of_every_length_read_back_as_written() {
        // Past the end of an arena chunk, and longer than one.
        let texts: Vec<String> = (0..2000)
            .map(|i| "x".repeat(i % 97) + &i.to_string())
            .chain([String::new(), "é∂".repeat(40_000)])
            .collect();
        let names: Vec<Name> = texts.iter().map(|t| Name::new(t)).collect();
        for (t, n) in texts.iter().zip(&names) {
            assert_eq!(n.as_str(), t);
            assert_eq!(Name::new(t), *n);
        }
        assert_eq!(Name::default(), "");
    }

    #[test]
    fn names_hash_and_order_like_their_text() {
        let set: HashSet<Name> = ["b", "a"].into_iter().map(Name::new).collect();
        assert!(set.contains("a"));
        let mut v = vec![Name::new("b"), Name::new("a")];
        v.sort();
        assert_eq!(v, ["a", "b"]);
    }

    #[test]
    fn interned_paths_share_one_allocation() {
        let v = vec!["std".to_string(), "collections".to_string()];
        let (a, b) = (Module::interned(&v), Module::interned(&v.clone()));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, v);
    }

    #[test]
    fn a_module_reads_and_compares_as_its_path() {
        let mut m = Module::from(vec!["api".to_string()]);
        let shared = m.clone();
        m.push("users".into());
        assert_eq!(m, vec!["api".to_string(), "users".to_string()]);
        assert_eq!(shared.len(), 1, "a clone is not changed by a push");
        assert_eq!(m.join("::"), "api::users");
        assert_eq!(m.pop().as_deref(), Some("users"));
        assert_eq!(m, shared);
        let set: HashSet<Module> = [m.clone()].into_iter().collect();
        let key: &[String] = &["api".to_string()];
        assert!(set.contains(key));
    }
}
