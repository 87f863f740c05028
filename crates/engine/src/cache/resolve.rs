//! Phase 2 for caches: receivers that are fields or statics typed in other files are decided
//! from every file's structs and statics, and keys that are parameters of their fn are judged
//! through the fn's callers.

use super::types::CacheType;
use super::types::{classify, owner_name, TypeEnv};
use super::{CacheFact, Pending, PendingRoot, FAMILIES};
use crate::extract::StructFact;
use crate::index::{Index, ItemKind, ItemRef};

/// Every cache call of the workspace with pending receivers decided: `(file index, fact)`.
pub fn resolve(index: &Index<'_>) -> Vec<(usize, CacheFact)> {
    let mut out = Vec::new();
    let mut resolver = Phase2::new(index);
    for (fi, f) in index.files.iter().enumerate() {
        for c in &f.caches {
            match &c.pending {
                None => out.push((fi, c.clone())),
                Some(p) => {
                    let Some(ct) = resolver.receiver(fi, p) else {
                        continue;
                    };
                    let family = FAMILIES[ct.family];
                    for j in family.judge(&p.method, &p.args, index.config) {
                        let param = j.param.zip(p.fn_name.clone()).map(|(i, n)| (n, i));
                        let mut fact = ct.fact(j, c.span, c.item.clone());
                        fact.key_param = param;
                        fact.fn_index = c.fn_index;
                        out.push((fi, fact));
                    }
                }
            }
        }
    }
    scoped_by_callers(index, &mut out);
    // The types parsed here registered their text with proc-macro2's span table of this
    // thread; nothing parsed outlives the resolution.
    proc_macro2::extra::invalidate_current_thread_spans();
    out
}

/// A key that is a parameter of its fn (`read_cache(pool, key: &str)`) is scoped when every fn
/// that calls it passes a tenant-scoped argument in that place.
fn scoped_by_callers(index: &Index<'_>, out: &mut [(usize, CacheFact)]) {
    for (_, fact) in out.iter_mut() {
        let Some((name, param)) = &fact.key_param else {
            continue;
        };
        if fact.scoped || fact.global {
            continue;
        }
        let mut callers = 0;
        let mut scoped = 0;
        for f in index.files {
            for (fi, func) in f.fns.iter().enumerate() {
                if !func.calls.iter().any(|c| c == name) || func.item == fact.item {
                    continue;
                }
                callers += 1;
                let passes = f.scoped_args.iter().any(|a| {
                    a.caller == fi && &a.callee == name && a.scoped.get(*param) == Some(&true)
                });
                if passes {
                    scoped += 1;
                }
            }
        }
        if callers > 0 && scoped == callers {
            fact.scoped = true;
            fact.key_param = None;
        }
    }
}

/// Decides pending receivers from every crate's structs, statics and type aliases.
pub struct Phase2<'i, 'a> {
    index: &'i Index<'a>,
}

impl<'i, 'a> Phase2<'i, 'a> {
    pub fn new(index: &'i Index<'a>) -> Phase2<'i, 'a> {
        Phase2 { index }
    }

    /// Items of `kinds` a path written in `module` of `file` may name: the resolved ones, else
    /// every one of that name in the file's package (the first that fits wins).
    fn items(
        &self,
        file: usize,
        module: &[String],
        path: &[String],
        kinds: &[ItemKind],
    ) -> Vec<ItemRef> {
        let found = self.index.resolve_item(file, module, path, kinds);
        if !found.is_empty() {
            return found;
        }
        let Some(name) = path.last() else {
            return Vec::new();
        };
        self.index
            .items_named(self.index.package_of(file), name, kinds)
    }

    /// A type written in `module` of `file`, type aliases of the workspace followed
    /// (`pub type Cache = moka::future::Cache<String, Plan>`): the text and where it is written.
    fn unalias(
        &self,
        ty: String,
        file: usize,
        module: crate::intern::Module,
    ) -> (String, usize, crate::intern::Module) {
        let (mut ty, mut file, mut module) = (ty, file, module);
        for _ in 0..4 {
            let Ok(parsed) = syn::parse_str::<syn::Type>(&ty) else {
                break;
            };
            let syn::Type::Path(p) = &parsed else { break };
            let segs = crate::ast::segments(&p.path);
            let found = self
                .index
                .resolve_item(file, &module, &segs, &[ItemKind::Alias]);
            let Some(r) = found.first() else { break };
            let a = &self.index.files[r.file].aliases[r.index];
            (ty, file, module) = (a.ty.clone(), r.file, a.module.clone());
        }
        (ty, file, module)
    }

    /// The cache type of a pending receiver, if it is one.
    pub fn receiver(&mut self, file: usize, p: &Pending) -> Option<CacheType> {
        // (type text, file it is written in, module it is written in)
        let (mut ty, mut tfile, mut tmodule) = match &p.root {
            PendingRoot::Type(t) => (t.clone(), file, p.module.clone()),
            PendingRoot::Static(path) => {
                let r = *self
                    .items(file, &p.module, path, &[ItemKind::Static])
                    .first()?;
                let s = &self.index.files[r.file].statics[r.index];
                (s.ty.clone(), r.file, s.module.clone())
            }
        };
        for field in &p.fields {
            (ty, tfile, tmodule) = self.unalias(ty, tfile, tmodule);
            let parsed: syn::Type = syn::parse_str(&ty).ok()?;
            let owner = owner_path(&parsed)?;
            let hits = self.items(tfile, &tmodule, &owner, &[ItemKind::Struct]);
            let found = hits.iter().find_map(|r| {
                let s: &StructFact = &self.index.files[r.file].structs[r.index];
                let i = s.fields.iter().position(|(n, _)| n == field)?;
                let ty = s.field_types.get(i).unwrap_or(&s.fields[i].1);
                Some((ty.clone(), r.file, s.module.clone()))
            })?;
            (ty, tfile, tmodule) = found;
        }
        (ty, tfile, tmodule) = self.unalias(ty, tfile, tmodule);
        let parsed: syn::Type = syn::parse_str(&ty).ok()?;
        let env = TypeEnv {
            uses: &self.index.files[tfile].uses,
            module: &tmodule,
            pkg: &self.index.ws.packages[self.index.package_of(tfile)],
            config: self.index.config,
            generics: &[],
        };
        classify(&parsed, &env)
    }
}

/// The path of the struct a type names, wrappers and references looked through
/// (`State<crate::AppState>` -> `crate::AppState`).
fn owner_path(ty: &syn::Type) -> Option<Vec<String>> {
    let name = owner_name(ty)?;
    let mut found = None;
    find_owner(ty, &name, &mut found);
    found.or(Some(vec![name]))
}

fn find_owner(ty: &syn::Type, name: &str, out: &mut Option<Vec<String>>) {
    match ty {
        syn::Type::Reference(r) => find_owner(&r.elem, name, out),
        syn::Type::Paren(p) => find_owner(&p.elem, name, out),
        syn::Type::Group(g) => find_owner(&g.elem, name, out),
        syn::Type::Path(p) => {
            if p.path.segments.last().is_some_and(|s| s.ident == name) {
                *out = Some(crate::ast::segments(&p.path));
                return;
            }
            if let Some(syn::PathArguments::AngleBracketed(a)) =
                p.path.segments.last().map(|s| &s.arguments)
            {
                for g in &a.args {
                    if let syn::GenericArgument::Type(t) = g {
                        find_owner(t, name, out);
                        if out.is_some() {
                            return;
                        }
                    }
                }
            }
        }
        _ => {}
    }
}
