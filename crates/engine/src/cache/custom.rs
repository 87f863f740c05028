//! Custom cache interfaces (`[cache] interfaces`, seed 000's shape): on a receiver whose type is
//! one of them (struct, trait object, `impl` or generic bound), `scoped-methods` are fine when
//! an argument carries the tenant (for a map's `insert(key, value)`, the key: the first), and
//! `global-methods` always need a bypass.

use super::{ArgFact, Family, Judged};
use crate::config::Config;
use crate::extract::Collector;

pub struct Custom;

impl Collector for Custom {}

impl Family for Custom {
    fn name(&self) -> &'static str {
        "cache"
    }
    fn label(&self, last: &str) -> String {
        last.to_string()
    }
    /// A generic interface with a key and a value type (`RwHashMap<K, V>`) is keyed by `K`.
    fn key_arg(&self, n: usize) -> Option<usize> {
        (n >= 2).then_some(0)
    }
    fn owns_name(&self, last: &str, config: &Config) -> bool {
        config
            .cache
            .interfaces
            .iter()
            .any(|i| i == last || i.rsplit("::").next() == Some(last))
    }
    fn is_key_method(&self, method: &str, config: &Config) -> bool {
        !config.cache.interfaces.is_empty()
            && (config.cache.scoped_methods.iter().any(|m| m == method)
                || config.cache.global_methods.iter().any(|m| m == method))
    }
    fn judge(&self, method: &str, args: &[ArgFact], config: &Config) -> Vec<Judged> {
        let key = args
            .iter()
            .map(|a| a.text.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if config.cache.global_methods.iter().any(|m| m == method) {
            return vec![Judged {
                op: method.to_string(),
                key,
                global: true,
                ..Judged::default()
            }];
        }
        if config.cache.scoped_methods.iter().any(|m| m == method) {
            // Any argument may carry the tenant (`get(org, key)`), except for a map's
            // `insert(key, value)` (an interface that is a map alias: `RwHashMap`): a value
            // that carries the tenant does not scope its key.
            let keys = if method == "insert" {
                &args[..args.len().min(1)]
            } else {
                args
            };
            let mut params: Vec<usize> = keys.iter().flat_map(|a| a.params.clone()).collect();
            params.sort_unstable();
            params.dedup();
            return vec![Judged {
                op: method.to_string(),
                key,
                scoped: keys.iter().any(|a| a.scoped),
                params,
                key_tys: keys
                    .iter()
                    .filter_map(|a| a.ty.as_ref().map(ToString::to_string))
                    .collect(),
                key_fns: keys
                    .iter()
                    .filter_map(|a| a.made_by.as_ref().map(|p| p.to_vec()))
                    .collect(),
                ..Judged::default()
            }];
        }
        Vec::new()
    }
}
