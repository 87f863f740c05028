//! Phase 2 for caches: receivers that are fields or statics typed in other files are decided
//! from every file's structs and statics, and keys that are parameters of their fn are judged
//! through the fn's callers.

use super::types::CacheType;
use super::types::{classify, owner_name, TypeEnv};
use super::{CacheFact, Pending, PendingRoot, FAMILIES};
use crate::extract::{FileFacts, StructFact};
use crate::index::Index;
use std::collections::HashMap;

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
                        out.push((fi, fact));
                    }
                }
            }
        }
    }
    scoped_by_callers(index, &mut out);
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

/// Decides pending receivers from every file's structs and statics.
pub struct Phase2<'i, 'a> {
    index: &'i Index<'a>,
    /// Per package: struct name -> (file, index in `structs`).
    structs: Vec<HashMap<String, Vec<(usize, usize)>>>,
    /// Per package: static name -> (file, index in `statics`).
    statics: Vec<HashMap<String, Vec<(usize, usize)>>>,
}

impl<'i, 'a> Phase2<'i, 'a> {
    pub fn new(index: &'i Index<'a>) -> Phase2<'i, 'a> {
        let n = index.ws.packages.len();
        let mut structs = vec![HashMap::<String, Vec<(usize, usize)>>::new(); n];
        let mut statics = vec![HashMap::<String, Vec<(usize, usize)>>::new(); n];
        for (fi, f) in index.files.iter().enumerate() {
            if f.package >= n {
                continue;
            }
            for (si, s) in f.structs.iter().enumerate() {
                structs[f.package]
                    .entry(s.name.clone())
                    .or_default()
                    .push((fi, si));
            }
            for (si, s) in f.statics.iter().enumerate() {
                statics[f.package]
                    .entry(s.name.clone())
                    .or_default()
                    .push((fi, si));
            }
        }
        Phase2 {
            index,
            structs,
            statics,
        }
    }

    fn pick(
        &self,
        table: &HashMap<String, Vec<(usize, usize)>>,
        file: usize,
        module: &[String],
        path: &[String],
        module_of: impl Fn(&FileFacts, usize) -> Vec<String>,
    ) -> Vec<(usize, usize)> {
        let Some(name) = path.last() else {
            return Vec::new();
        };
        let Some(all) = table.get(name) else {
            return Vec::new();
        };
        if all.len() == 1 {
            return all.clone();
        }
        let cands = self.index.candidates(file, module, path);
        let mut best: Vec<(usize, usize)> = all
            .iter()
            .copied()
            .filter(|(fi, si)| {
                let mut p = module_of(&self.index.files[*fi], *si);
                p.push(name.clone());
                cands.contains(&p)
            })
            .collect();
        let rest: Vec<(usize, usize)> = all.iter().copied().filter(|x| !best.contains(x)).collect();
        best.extend(rest);
        best
    }

    /// The cache type of a pending receiver, if it is one.
    pub fn receiver(&mut self, file: usize, p: &Pending) -> Option<CacheType> {
        let pkg = self.index.package_of(file);
        // (type text, file it is written in, module it is written in)
        let (mut ty, mut tfile, mut tmodule) = match &p.root {
            PendingRoot::Type(t) => (t.clone(), file, p.module.clone()),
            PendingRoot::Static(path) => {
                let hits = self.pick(&self.statics[pkg], file, &p.module, path, |f, i| {
                    f.statics[i].module.clone()
                });
                let (fi, si) = *hits.first()?;
                let s = &self.index.files[fi].statics[si];
                (s.ty.clone(), fi, s.module.clone())
            }
        };
        for field in &p.fields {
            let parsed: syn::Type = syn::parse_str(&ty).ok()?;
            let name = owner_name(&parsed)?;
            let hits = self.pick(&self.structs[pkg], tfile, &tmodule, &[name], |f, i| {
                f.structs[i].module.clone()
            });
            let found = hits.iter().find_map(|(fi, si)| {
                let s: &StructFact = &self.index.files[*fi].structs[*si];
                let i = s.fields.iter().position(|(n, _)| n == field)?;
                let ty = s.field_types.get(i).unwrap_or(&s.fields[i].1);
                Some((ty.clone(), *fi, s.module.clone()))
            })?;
            (ty, tfile, tmodule) = found;
        }
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
