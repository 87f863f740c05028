//! Shared text of the facts: every fact of a file keeps the same module path, and most of the
//! names the facts hold (call names, type texts, `use` segments) repeat thousands of times in a
//! workspace. [`Module`] is a module path shared by reference; [`Name`] is a string interned
//! per thread, so equal names are one allocation. Both read as what they hold (`&[String]`,
//! `&str`) and compare, hash and order like it.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A module path (`["api", "users"]`), shared by every fact written in that module.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Module(Arc<Box<[String]>>);

/// An entry of the per-thread table of module paths, looked up by its segments.
#[derive(PartialEq, Eq, Hash)]
struct InternedPath(Arc<Box<[String]>>);

impl Borrow<[String]> for InternedPath {
    fn borrow(&self) -> &[String] {
        &self.0
    }
}

thread_local! {
    static PATHS: RefCell<foldhash::HashSet<InternedPath>> = RefCell::new(foldhash::HashSet::default());
}

impl Module {
    /// The path, interned per thread: `use std::collections::HashMap;` in a thousand files is
    /// one allocation.
    pub fn interned(v: &[String]) -> Module {
        PATHS.with(|paths| {
            let mut paths = paths.borrow_mut();
            if let Some(hit) = paths.get(v) {
                return Module(hit.0.clone());
            }
            let a: Arc<Box<[String]>> = Arc::new(Box::from(v));
            paths.insert(InternedPath(a.clone()));
            Module(a)
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

/// An interned string: equal names made on one thread share one allocation. The table lives as
/// long as the thread (phase 1's workers end with phase 1); the names live as long as a fact
/// holds them. One pointer wide (the text sits behind the shared box): facts hold names by the
/// million, and a fat `Arc<str>` would double what each costs.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<Box<str>>);

/// An entry of the per-thread table, looked up by its text.
#[derive(PartialEq, Eq, Hash)]
struct Interned(Arc<Box<str>>);

impl Borrow<str> for Interned {
    fn borrow(&self) -> &str {
        &self.0
    }
}

thread_local! {
    static NAMES: RefCell<foldhash::HashSet<Interned>> = RefCell::new(foldhash::HashSet::default());
    /// The empty name, which every defaulted fact holds.
    static EMPTY: Name = Name::new("");
}

impl Name {
    pub fn new(s: &str) -> Name {
        NAMES.with(|names| {
            let mut names = names.borrow_mut();
            if let Some(hit) = names.get(s) {
                return Name(hit.0.clone());
            }
            let a: Arc<Box<str>> = Arc::new(Box::from(s));
            names.insert(Interned(a.clone()));
            Name(a)
        })
    }

    /// The name of a value's text (an identifier): printed into a buffer kept per thread, so a
    /// name seen before costs no allocation.
    pub fn of(v: &impl fmt::Display) -> Name {
        with_text(v, Name::new)
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
        EMPTY.with(Name::clone)
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
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
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "fetch_all");
        assert_eq!("fetch_all", a);
        assert_ne!(Name::new("bind"), a);
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
