//! The declared scopes: variants of `[scopes] enum` found in the workspace plus `[scopes] known`.

use crate::diagnostic::Span;
use crate::index::Index;

pub struct Scopes {
    /// (variant, file, place) of the configured enum, when found.
    pub variants: Vec<(String, usize, Span)>,
    pub enum_found: bool,
    pub known: Vec<(String, Span)>,
}

impl Scopes {
    pub fn load(index: &Index<'_>) -> Option<Scopes> {
        let cfg = &index.config.scopes;
        if !cfg.configured() {
            return None;
        }
        let mut variants = Vec::new();
        let mut enum_found = false;
        if let Some(name) = &cfg.enum_name {
            let segs: Vec<&str> = name.split("::").filter(|s| *s != "crate").collect();
            let last = segs.last().copied().unwrap_or("");
            let want_module = &segs[..segs.len().saturating_sub(1)];
            for (fi, f) in index.files.iter().enumerate() {
                for e in &f.enums {
                    if e.name == last
                        && (want_module.is_empty()
                            || e.module
                                .iter()
                                .map(String::as_str)
                                .eq(want_module.iter().copied()))
                    {
                        enum_found = true;
                        variants.extend(e.variants.iter().map(|(v, s)| (v.to_string(), fi, *s)));
                    }
                }
            }
        }
        Some(Scopes {
            variants,
            enum_found,
            known: cfg.known.clone(),
        })
    }

    /// Is the scope (by key, or as written) declared?
    pub fn contains(&self, key: &str, display: &str, is_path: bool) -> bool {
        let known = self.known.iter().any(|(k, _)| k == key || k == display);
        let variant = is_path && self.variants.iter().any(|(v, _, _)| v == key);
        known || variant
    }
}
