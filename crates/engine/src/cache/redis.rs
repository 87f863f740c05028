//! redis-rs: `Commands`/`AsyncCommands` key methods on clients, connections, connection managers
//! and pooled connections (deadpool-redis, bb8-redis, r2d2, mobc), `redis::pipe()` chains (each
//! key), `redis::cmd("GET").arg(key)` and `Cmd::get(key)`.

use super::types::plain_fact;
use super::{key, ArgFact, Family, Judged};
use crate::config::Config;
use crate::diagnostic::Span;
use crate::extract::{Collector, Walker};
use syn::spanned::Spanned;

pub struct Redis;

/// Key-taking commands shared by redis-rs and fred (first argument is a key). Sorted.
pub const KEY_METHODS: &[&str] = &[
    "append",
    "bitcount",
    "blpop",
    "brpop",
    "copy",
    "decr",
    "decr_by",
    "del",
    "dump",
    "exists",
    "expire",
    "expire_at",
    "geo_add",
    "geo_dist",
    "geo_pos",
    "geo_radius",
    "get",
    "get_del",
    "get_ex",
    "getbit",
    "getdel",
    "getex",
    "getrange",
    "getset",
    "hdel",
    "hexists",
    "hget",
    "hgetall",
    "hincr",
    "hincrby",
    "hkeys",
    "hlen",
    "hmget",
    "hmset",
    "hscan",
    "hscan_match",
    "hset",
    "hset_multiple",
    "hset_nx",
    "hsetnx",
    "hvals",
    "incr",
    "incr_by",
    "incrby",
    "key_type",
    "keys",
    "lindex",
    "linsert",
    "llen",
    "lmove",
    "lpop",
    "lpos",
    "lpush",
    "lpush_exists",
    "lrange",
    "lrem",
    "lset",
    "ltrim",
    "mget",
    "mset",
    "mset_multiple",
    "mset_nx",
    "msetnx",
    "persist",
    "pexpire",
    "pexpire_at",
    "pfadd",
    "pfcount",
    "pset_ex",
    "psetex",
    "pttl",
    "rename",
    "rename_nx",
    "rpop",
    "rpoplpush",
    "rpush",
    "rpush_exists",
    "sadd",
    "scan_match",
    "scard",
    "sdiff",
    "set",
    "set_ex",
    "set_nx",
    "set_options",
    "setbit",
    "setex",
    "setnx",
    "setrange",
    "sinter",
    "sismember",
    "smembers",
    "smismember",
    "smove",
    "spop",
    "srandmember",
    "srem",
    "sscan",
    "strlen",
    "sunion",
    "touch",
    "ttl",
    "unlink",
    "xadd",
    "xlen",
    "xrange",
    "xrevrange",
    "xtrim",
    "zadd",
    "zadd_multiple",
    "zcard",
    "zcount",
    "zincr",
    "zincrby",
    "zrange",
    "zrange_withscores",
    "zrangebyscore",
    "zrank",
    "zrem",
    "zremrangebyscore",
    "zrevrange",
    "zrevrange_withscores",
    "zrevrangebyscore",
    "zrevrank",
    "zscan",
    "zscore",
];

/// Commands whose first argument may be a list of keys (each checked).
const MULTI_KEY: &[&str] = &[
    "blpop", "brpop", "del", "exists", "mget", "pfcount", "sdiff", "sinter", "sunion", "touch",
    "unlink",
];
/// Commands taking `(key, value)` pairs.
const PAIRS: &[&str] = &["mset", "mset_multiple", "mset_nx", "msetnx"];
/// Commands taking two keys.
const TWO_KEYS: &[&str] = &["copy", "lmove", "rename", "rename_nx", "rpoplpush", "smove"];

/// The keys of a redis-style command call, judged (shared with fred).
pub fn judge_command(method: &str, args: &[ArgFact], op: &str) -> Vec<Judged> {
    if KEY_METHODS.binary_search(&method).is_err() {
        return Vec::new();
    }
    let Some(first) = args.first() else {
        return Vec::new();
    };
    if PAIRS.contains(&method) && !first.elems.is_empty() {
        return first
            .elems
            .iter()
            .map(|pair| Judged::key(op, pair.elems.first().unwrap_or(pair)))
            .collect();
    }
    if MULTI_KEY.contains(&method) && !first.elems.is_empty() {
        return first.elems.iter().map(|k| Judged::key(op, k)).collect();
    }
    let mut out = vec![Judged::key(op, first)];
    if TWO_KEYS.contains(&method) {
        if let Some(second) = args.get(1) {
            out.push(Judged::key(op, second));
        }
    }
    out
}

/// `set_ex` -> `SETEX`.
pub fn command_name(method: &str) -> String {
    method.replace('_', "").to_uppercase()
}

impl Family for Redis {
    fn name(&self) -> &'static str {
        "redis"
    }
    fn crates(&self) -> &'static [&'static str] {
        &[
            "redis",
            "deadpool_redis",
            "bb8_redis",
            "r2d2_redis",
            "mobc_redis",
            "redis_pool",
        ]
    }
    fn deps(&self) -> &'static [&'static str] {
        &[
            "redis",
            "deadpool-redis",
            "bb8-redis",
            "r2d2_redis",
            "r2d2-redis",
            "mobc-redis",
            "redis-pool",
        ]
    }
    fn bare_types(&self) -> &'static [&'static str] {
        &[
            "MultiplexedConnection",
            "ConnectionManager",
            "RedisConnectionManager",
            "ClusterConnection",
        ]
    }
    fn glob_types(&self) -> &'static [&'static str] {
        &["Connection", "Client", "Pipeline", "Pool", "ClusterClient"]
    }
    fn traits(&self) -> &'static [&'static str] {
        &[
            "Commands",
            "AsyncCommands",
            "ConnectionLike",
            "TypedCommands",
            "AsyncTypedCommands",
        ]
    }
    fn chaining(&self, last: &str) -> bool {
        matches!(last, "Pipeline" | "pipe")
    }
    fn constructor_fn(&self, path: &[String]) -> bool {
        path.len() == 2 && path[0] == "redis" && path[1] == "pipe"
    }
    fn is_key_method(&self, method: &str, _config: &Config) -> bool {
        KEY_METHODS.binary_search(&method).is_ok()
    }
    fn judge(&self, method: &str, args: &[ArgFact], _config: &Config) -> Vec<Judged> {
        judge_command(method, args, &command_name(method))
    }
}

/// Commands whose arguments hold no key.
const NO_KEY_CMDS: &[&str] = &[
    "AUTH",
    "BGSAVE",
    "CLIENT",
    "CLUSTER",
    "COMMAND",
    "CONFIG",
    "DBSIZE",
    "DISCARD",
    "ECHO",
    "EVAL",
    "EVALSHA",
    "EXEC",
    "FCALL",
    "FLUSHALL",
    "FLUSHDB",
    "HELLO",
    "INFO",
    "LASTSAVE",
    "MULTI",
    "PING",
    "PSUBSCRIBE",
    "PUBLISH",
    "QUIT",
    "READONLY",
    "SAVE",
    "SCRIPT",
    "SELECT",
    "SLOWLOG",
    "SUBSCRIBE",
    "TIME",
    "WAIT",
    "XREAD",
    "XREADGROUP",
];
const ALL_KEYS_CMDS: &[&str] = &[
    "DEL", "EXISTS", "MGET", "PFCOUNT", "SDIFF", "SINTER", "SUNION", "TOUCH", "UNLINK", "WATCH",
];
/// `XGROUP CREATE key ..`, `XINFO STREAM key`, `OBJECT ENCODING key`, `MEMORY USAGE key`.
const SUBCOMMAND_CMDS: &[&str] = &["MEMORY", "OBJECT", "XGROUP", "XINFO"];
const PAIR_CMDS: &[&str] = &["MSET", "MSETNX"];
const TWO_KEY_CMDS: &[&str] = &["COPY", "LMOVE", "RENAME", "RENAMENX", "RPOPLPUSH", "SMOVE"];

fn lit_str(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        syn::Expr::Reference(r) => lit_str(&r.expr),
        _ => None,
    }
}

fn uses_redis(w: &Walker<'_, '_>) -> bool {
    Redis.deps().iter().any(|d| w.cx.uses(d))
}

/// Is `arg` number `pos` (0-based) of command `cmd` a key? `prev` is the previous argument.
fn is_key_position(cmd: &str, pos: usize, prev: Option<&str>) -> bool {
    if NO_KEY_CMDS.contains(&cmd) {
        return false;
    }
    if cmd == "SCAN" {
        return prev.is_some_and(|p| p.eq_ignore_ascii_case("MATCH"));
    }
    if SUBCOMMAND_CMDS.contains(&cmd) {
        return pos == 1;
    }
    if cmd == "KEYS" {
        return pos == 0;
    }
    if ALL_KEYS_CMDS.contains(&cmd) {
        return true;
    }
    if PAIR_CMDS.contains(&cmd) {
        return pos.is_multiple_of(2);
    }
    if TWO_KEY_CMDS.contains(&cmd) {
        return pos < 2;
    }
    pos == 0
}

impl Collector for Redis {
    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        match e {
            syn::Expr::MethodCall(m) if m.method == "arg" && m.args.len() == 1 => {
                cmd_arg(w, e, m);
            }
            syn::Expr::Call(c) => cmd_ctor(w, e, c),
            _ => {}
        }
    }
}

/// `redis::cmd("GET").arg(key)` / `pipe.cmd("SET").arg(key).arg(v)`: one fact per key argument.
fn cmd_arg<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, m: &'ast syn::ExprMethodCall) {
    if !uses_redis(w) {
        return;
    }
    // Walk down to the command, counting the `.arg`s before this one.
    let mut pos = 0;
    let mut prev: Option<String> = None;
    let mut cur: &syn::Expr = &m.receiver;
    let cmd = loop {
        match cur {
            syn::Expr::MethodCall(mc) if mc.method == "arg" && mc.args.len() == 1 => {
                if pos == 0 {
                    prev = lit_str(&mc.args[0]);
                }
                pos += 1;
                cur = &mc.receiver;
            }
            syn::Expr::MethodCall(mc) if mc.method == "cmd" && mc.args.len() == 1 => {
                break lit_str(&mc.args[0]);
            }
            syn::Expr::Call(c) if c.args.len() == 1 => {
                let syn::Expr::Path(p) = &*c.func else {
                    return;
                };
                let segs: Vec<String> = crate::extract::segments(&p.path);
                // `cmd`, `redis::cmd`, `deadpool_redis::redis::cmd`, `bb8_redis::redis::cmd`.
                let ok = segs.last().is_some_and(|l| l == "cmd")
                    && segs[..segs.len() - 1]
                        .iter()
                        .all(|s| s == "redis" || Redis.crates().contains(&s.as_str()));
                if !ok {
                    return;
                }
                break lit_str(&c.args[0]);
            }
            syn::Expr::Paren(p) => cur = &p.expr,
            _ => return,
        }
    };
    let Some(cmd) = cmd else { return };
    let cmd = cmd.to_uppercase();
    if !cmd.chars().all(|c| c.is_ascii_alphabetic() || c == '.') {
        return;
    }
    if !is_key_position(&cmd, pos, prev.as_deref()) {
        return;
    }
    let arg = key::arg_fact(w, &m.args[0]);
    let item = w.current_item();
    let fact = plain_fact(
        "redis",
        Judged::key(cmd, &arg),
        Span::from_pm2(e.span()),
        item,
        &w.module,
    );
    w.facts.caches.push(fact);
}

/// `redis::Cmd::get(key)` and friends: a command built by its constructor.
fn cmd_ctor<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, c: &'ast syn::ExprCall) {
    let syn::Expr::Path(p) = &*c.func else {
        return;
    };
    let n = p.path.segments.len();
    if n < 2 || p.path.segments[n - 2].ident != "Cmd" || c.args.is_empty() {
        return;
    }
    let method = p.path.segments[n - 1].ident.to_string();
    if KEY_METHODS.binary_search(&method.as_str()).is_err() || !uses_redis(w) {
        return;
    }
    let args: Vec<ArgFact> = c.args.iter().map(|a| key::arg_fact(w, a)).collect();
    let item = w.current_item();
    for j in judge_command(&method, &args, &command_name(&method)) {
        let fact = plain_fact(
            "redis",
            j,
            Span::from_pm2(e.span()),
            item.clone(),
            &w.module,
        );
        w.facts.caches.push(fact);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_methods_are_sorted() {
        let mut v = KEY_METHODS.to_vec();
        v.sort_unstable();
        assert_eq!(v, KEY_METHODS);
    }
}
