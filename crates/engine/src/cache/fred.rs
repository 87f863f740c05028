//! fred: client and pool commands (`KeysInterface`, `HashesInterface`, ..) on `Client`/`Pool`
//! (fred 10) and `RedisClient`/`RedisPool` (older), each key judged as in redis.

use super::redis::{command_name, judge_command, KEY_METHODS};
use super::{ArgFact, Family, Judged};
use crate::config::Config;
use crate::extract::Collector;

pub struct Fred;

impl Collector for Fred {}

impl Family for Fred {
    fn key_methods(&self) -> &'static [&'static str] {
        KEY_METHODS
    }
    fn name(&self) -> &'static str {
        "fred"
    }
    fn crates(&self) -> &'static [&'static str] {
        &["fred"]
    }
    fn deps(&self) -> &'static [&'static str] {
        &["fred"]
    }
    fn bare_types(&self) -> &'static [&'static str] {
        &["RedisClient", "RedisPool", "FredClient"]
    }
    fn glob_types(&self) -> &'static [&'static str] {
        &[
            "Client",
            "Pool",
            "SubscriberClient",
            "Transaction",
            "Pipeline",
            "ExclusivePool",
            "DynamicPool",
        ]
    }
    fn traits(&self) -> &'static [&'static str] {
        &[
            "ClientLike",
            "KeysInterface",
            "HashesInterface",
            "ListInterface",
            "SetsInterface",
            "SortedSetsInterface",
            "StreamsInterface",
            "HyperloglogInterface",
            "GeoInterface",
        ]
    }
    fn is_key_method(&self, method: &str, config: &Config) -> bool {
        KEY_METHODS.binary_search(&method).is_ok()
            && (config.cache.streams || !super::redis::is_stream(method))
    }
    fn judge(&self, method: &str, args: &[ArgFact], config: &Config) -> Vec<Judged> {
        judge_command(method, args, &command_name(method), config)
    }
}
