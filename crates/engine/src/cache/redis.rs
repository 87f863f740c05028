//! redis-rs: `Commands`/`AsyncCommands` key methods on clients, connections, connection managers
//! and pooled connections (deadpool-redis, bb8-redis, r2d2, mobc), `redis::pipe()` chains (each
//! key), `redis::cmd("GET").arg(key)` and `Cmd::get(key)`.
//!
//! Stream commands (XADD, XREAD, XDEL, XTRIM, XGROUP, ..) are queues, not caches: they are left
//! out unless `[cache] streams = true`. Bulk commands that ignore tenancy are findings of their
//! own: `FLUSHDB`/`FLUSHALL` and `SCAN` without `MATCH` always need a bypass, `KEYS` and
//! `SCAN .. MATCH` need the tenant in the pattern.

use super::types::plain_fact;
use super::{key, ArgFact, Family, Judged};
use crate::config::Config;
use crate::diagnostic::Span;
use crate::extract::{Collector, Walker};

pub struct Redis;

/// Key-taking commands shared by redis-rs and fred (first argument is a key, unless the
/// command is bulk: [`judge_command`]). Sorted.
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
    "flushall",
    "flushdb",
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
    "scan",
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
    "xack",
    "xadd",
    "xadd_map",
    "xadd_maxlen",
    "xadd_maxlen_map",
    "xadd_options",
    "xautoclaim_options",
    "xclaim",
    "xclaim_options",
    "xdel",
    "xgroup_create",
    "xgroup_create_mkstream",
    "xgroup_createconsumer",
    "xgroup_delconsumer",
    "xgroup_destroy",
    "xgroup_setid",
    "xinfo_consumers",
    "xinfo_groups",
    "xinfo_stream",
    "xlen",
    "xpending",
    "xpending_consumer_count",
    "xpending_count",
    "xrange",
    "xrange_all",
    "xrange_count",
    "xread",
    "xread_options",
    "xreadgroup",
    "xrevrange",
    "xrevrange_all",
    "xrevrange_count",
    "xtrim",
    "xtrim_options",
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
    "blpop",
    "brpop",
    "del",
    "exists",
    "mget",
    "pfcount",
    "sdiff",
    "sinter",
    "sunion",
    "touch",
    "unlink",
    "xread",
    "xread_options",
    "xreadgroup",
];
/// Commands taking `(key, value)` pairs.
const PAIRS: &[&str] = &["mset", "mset_multiple", "mset_nx", "msetnx"];
/// Commands taking two keys.
const TWO_KEYS: &[&str] = &["copy", "lmove", "rename", "rename_nx", "rpoplpush", "smove"];
/// Hash commands: the field after the key is a key too (`HGET plans {org_id}` keeps one entry
/// per tenant in a shared hash).
const HASH_FIELD: &[&str] = &[
    "hdel", "hexists", "hget", "hincr", "hincrby", "hmget", "hset", "hset_nx", "hsetnx",
];

/// A stream command (a method or a command name): a queue, not a cache, by default.
pub fn is_stream(method: &str) -> bool {
    method.len() > 2 && method.as_bytes()[0].eq_ignore_ascii_case(&b'x')
}

/// What a bulk command does to every tenant's keys, for its message.
fn bulk_note(op: &str, pattern: Option<&ArgFact>) -> String {
    match pattern {
        Some(p) => format!(
            "redis `{op}` pattern `{}` matches the keys of every tenant: put the tenant in the pattern, or bypass with a reason",
            p.text
        ),
        None if op == "SCAN" => format!(
            "redis `{op}` without MATCH walks the keys of every tenant: it needs a bypass with a reason"
        ),
        None => format!(
            "redis `{op}` deletes the keys of every tenant: it needs a bypass with a reason"
        ),
    }
}

/// A bulk command with no pattern (`FLUSHDB`, `SCAN` without `MATCH`): always global.
fn bulk(op: &str) -> Judged {
    Judged {
        op: op.to_string(),
        key: "*".into(),
        global: true,
        note: Some(bulk_note(op, None)),
        ..Judged::default()
    }
}

/// A pattern over the keys (`KEYS p`, `SCAN .. MATCH p`): fine when it carries the tenant.
fn pattern(op: &str, p: &ArgFact) -> Judged {
    Judged {
        note: Some(bulk_note(op, Some(p))),
        ..Judged::key(op, p)
    }
}

/// The keys of a redis-style command call, judged (shared with fred).
pub fn judge_command(method: &str, args: &[ArgFact], op: &str, config: &Config) -> Vec<Judged> {
    if KEY_METHODS.binary_search(&method).is_err() || (is_stream(method) && !config.cache.streams) {
        return Vec::new();
    }
    match (method, args.first()) {
        ("flushdb" | "flushall", _) | ("scan", None) => return vec![bulk(op)],
        ("keys" | "scan_match", Some(p)) => return vec![pattern(op, p)],
        // fred: `scan(pattern, count, type)`.
        ("scan", Some(p)) => return vec![pattern(op, p)],
        _ => {}
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
    let mut key = Judged::key(op, first);
    if HASH_FIELD.contains(&method) && !key.scoped {
        if let Some(field) = args.get(1) {
            key.scoped = field.scoped;
            key.params.extend(field.params.iter().copied());
        }
    }
    let mut out = vec![key];
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
    fn key_methods(&self) -> &'static [&'static str] {
        KEY_METHODS
    }
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
    fn is_key_method(&self, method: &str, config: &Config) -> bool {
        KEY_METHODS.binary_search(&method).is_ok() && (config.cache.streams || !is_stream(method))
    }
    fn judge(&self, method: &str, args: &[ArgFact], config: &Config) -> Vec<Judged> {
        judge_command(method, args, &command_name(method), config)
    }
}

/// Commands whose arguments hold no key.
const NO_KEY_CMDS: &[&str] = &[
    "ACL",
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
    "FUNCTION",
    "HELLO",
    "INFO",
    "LASTSAVE",
    "LATENCY",
    "MODULE",
    "MONITOR",
    "MULTI",
    "PING",
    "PSUBSCRIBE",
    "PUBLISH",
    "PUBSUB",
    "PUNSUBSCRIBE",
    "QUIT",
    "READONLY",
    "RESET",
    "ROLE",
    "SAVE",
    "SCRIPT",
    "SELECT",
    "SLOWLOG",
    "SUBSCRIBE",
    "TIME",
    "UNSUBSCRIBE",
    "WAIT",
];
const ALL_KEYS_CMDS: &[&str] = &[
    "DEL", "EXISTS", "MGET", "PFCOUNT", "SDIFF", "SINTER", "SUNION", "TOUCH", "UNLINK", "WATCH",
];
/// `XGROUP CREATE key ..`, `XINFO STREAM key`, `OBJECT ENCODING key`, `MEMORY USAGE key`.
const SUBCOMMAND_CMDS: &[&str] = &["MEMORY", "OBJECT", "XGROUP", "XINFO"];
const PAIR_CMDS: &[&str] = &["MSET", "MSETNX"];
const TWO_KEY_CMDS: &[&str] = &["COPY", "LMOVE", "RENAME", "RENAMENX", "RPOPLPUSH", "SMOVE"];
/// Hash commands whose second argument is a field (see [`HASH_FIELD`]).
const HASH_FIELD_CMDS: &[&str] = &[
    "HDEL",
    "HEXISTS",
    "HGET",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HMGET",
    "HSET",
    "HSETNX",
];

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
    w.cx.uses_any(Redis.deps())
}

/// What the arguments of a raw command are: the positions of its keys, or what makes it bulk.
enum Args {
    Keys(Vec<usize>),
    /// A pattern over the keys at this position (`KEYS p`, `SCAN c MATCH p`).
    Pattern(usize),
    /// Touches every tenant's keys (`FLUSHDB`, `SCAN` without `MATCH`).
    Bulk,
}

/// The keys of command `cmd` with arguments `lits` (each literal's text, if it is one).
fn key_positions(cmd: &str, lits: &[Option<String>], streams: bool) -> Args {
    let is = |i: usize, word: &str| {
        lits.get(i)
            .and_then(|l| l.as_deref())
            .is_some_and(|l| l.eq_ignore_ascii_case(word))
    };
    let n = lits.len();
    match cmd {
        "FLUSHDB" | "FLUSHALL" => return Args::Bulk,
        "KEYS" => return Args::Pattern(0),
        "SCAN" => {
            return match (0..n).find(|i| is(*i, "MATCH")) {
                Some(i) if i + 1 < n => Args::Pattern(i + 1),
                _ => Args::Bulk,
            }
        }
        _ => {}
    }
    if is_stream(cmd) {
        if !streams {
            return Args::Keys(Vec::new());
        }
        if matches!(cmd, "XREAD" | "XREADGROUP") {
            // `.. STREAMS k1 k2 id1 id2`: the first half after STREAMS.
            let Some(s) = (0..n).find(|i| is(*i, "STREAMS")) else {
                return Args::Keys(Vec::new());
            };
            let rest = n - s - 1;
            return Args::Keys((s + 1..s + 1 + rest.div_ceil(2)).collect());
        }
    }
    let keys = (0..n)
        .filter(|&pos| {
            if NO_KEY_CMDS.contains(&cmd) {
                return false;
            }
            if SUBCOMMAND_CMDS.contains(&cmd) {
                return pos == 1;
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
        })
        .collect();
    Args::Keys(keys)
}

impl Collector for Redis {
    fn expr<'ast>(&self, w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
        match e {
            syn::Expr::MethodCall(m) if m.method == "arg" && m.args.len() == 1 => {
                cmd_chain(w, e);
            }
            // `redis::cmd("FLUSHALL")` / `pipe.cmd("FLUSHDB")` with no argument.
            syn::Expr::MethodCall(m) if m.method == "cmd" && m.args.len() == 1 => {
                cmd_chain(w, e);
            }
            syn::Expr::Call(c) => {
                if cmd_base(w, e).is_some() {
                    cmd_chain(w, e);
                } else {
                    cmd_ctor(w, e, c);
                }
            }
            _ => {}
        }
    }
}

/// The command of a chain's base: `redis::cmd("GET")`, `pipe.cmd("SET")` (any crate that
/// re-exports redis: `deadpool_redis::redis::cmd`).
fn cmd_base(w: &Walker<'_, '_>, e: &syn::Expr) -> Option<Option<String>> {
    match e {
        syn::Expr::MethodCall(mc) if mc.method == "cmd" && mc.args.len() == 1 => {
            Some(lit_str(&mc.args[0]))
        }
        syn::Expr::Call(c) if c.args.len() == 1 => {
            let syn::Expr::Path(p) = &*c.func else {
                return None;
            };
            // Most one-argument calls are not `cmd(..)`: no text made for them.
            if p.path.segments.last().is_none_or(|s| s.ident != "cmd") {
                return None;
            }
            let segs: Vec<String> = crate::extract::segments(&p.path);
            let redis = |s: &String| s == "redis" || Redis.crates().contains(&s.as_str());
            let ok = match segs.as_slice() {
                // A bare `cmd(..)` is redis's when imported from it (or glob-imported).
                [one] if one == "cmd" => w.facts.uses.iter().any(|u| {
                    u.module == w.module
                        && (u.alias == "cmd" || u.alias == "*")
                        && u.path.first().is_some_and(redis)
                }),
                [.., last] if last == "cmd" => segs[..segs.len() - 1].iter().all(redis),
                _ => false,
            };
            ok.then(|| lit_str(&c.args[0]))
        }
        _ => None,
    }
}

/// `redis::cmd("GET").arg(key)` / `pipe.cmd("SET").arg(key).arg(v)`: the whole chain, read
/// once from its outermost `.arg` (the walk reaches it first): one fact per key argument, or
/// one for a bulk command.
fn cmd_chain<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr) {
    if !uses_redis(w) {
        return;
    }
    // The `.arg(..)` calls, outermost first, down to the command.
    let mut calls: Vec<&'ast syn::Expr> = Vec::new();
    let mut cur: &'ast syn::Expr = e;
    let cmd = loop {
        match cur {
            syn::Expr::MethodCall(mc) if mc.method == "arg" && mc.args.len() == 1 => {
                calls.push(cur);
                cur = &mc.receiver;
            }
            syn::Expr::Paren(p) => cur = &p.expr,
            other => match cmd_base(w, other) {
                Some(cmd) => break cmd,
                None => return,
            },
        }
    };
    // The inner calls are part of this chain: not read again.
    for c in &calls[calls.len().min(1)..] {
        w.consume(c);
    }
    w.consume(cur);
    let Some(cmd) = cmd else { return };
    let cmd = cmd.to_uppercase();
    if !cmd.chars().all(|c| c.is_ascii_alphabetic() || c == '.') {
        return;
    }
    calls.reverse();
    let args: Vec<&syn::Expr> = calls
        .iter()
        .map(|c| match c {
            syn::Expr::MethodCall(mc) => &mc.args[0],
            _ => unreachable!("only `.arg(..)` calls are collected"),
        })
        .collect();
    let lits: Vec<Option<String>> = args.iter().map(|a| lit_str(a)).collect();
    let item = w.current_item();
    // A key's fact spans the chain up to its `.arg(..)`; a bulk command's the whole chain.
    let span_at =
        |i: usize| Span::from_pm2(crate::ast::expr_span(calls.get(i).copied().unwrap_or(e)));
    let judged: Vec<(usize, Judged)> = match key_positions(&cmd, &lits, w.cx.config.cache.streams) {
        Args::Bulk => vec![(calls.len().saturating_sub(1), bulk(&cmd))],
        Args::Pattern(i) => {
            let p = key::arg_fact(w, args[i]);
            vec![(i, pattern(&cmd, &p))]
        }
        Args::Keys(keys) => keys
            .into_iter()
            .map(|i| {
                let arg = key::arg_fact(w, args[i]);
                let mut j = Judged::key(cmd.clone(), &arg);
                if HASH_FIELD_CMDS.contains(&cmd.as_str()) && !j.scoped && i == 0 {
                    if let Some(field) = args.get(1) {
                        let f = key::arg_fact(w, field);
                        j.scoped = f.scoped;
                        j.params.extend(f.params);
                    }
                }
                (i, j)
            })
            .collect(),
    };
    for (i, j) in judged {
        let fact = plain_fact("redis", j, span_at(i), item.clone(), &w.module);
        w.facts.caches.push(fact);
    }
}

/// `redis::Cmd::get(key)` and friends: a command built by its constructor.
fn cmd_ctor<'ast>(w: &mut Walker<'ast, '_>, e: &'ast syn::Expr, c: &'ast syn::ExprCall) {
    let syn::Expr::Path(p) = &*c.func else {
        return;
    };
    let n = p.path.segments.len();
    if n < 2 || p.path.segments[n - 2].ident != "Cmd" {
        return;
    }
    let method = p.path.segments[n - 1].ident.to_string();
    if KEY_METHODS.binary_search(&method.as_str()).is_err() || !uses_redis(w) {
        return;
    }
    let args: Vec<ArgFact> = c.args.iter().map(|a| key::arg_fact(w, a)).collect();
    let item = w.current_item();
    for j in judge_command(&method, &args, &command_name(&method), w.cx.config) {
        let fact = plain_fact(
            "redis",
            j,
            Span::from_pm2(crate::ast::expr_span(e)),
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

    fn lits(args: &[&str]) -> Vec<Option<String>> {
        args.iter()
            .map(|a| (!a.starts_with('$')).then(|| a.to_string()))
            .collect()
    }

    #[test]
    fn raw_command_keys() {
        let keys = |cmd: &str, args: &[&str], streams: bool| match key_positions(
            cmd,
            &lits(args),
            streams,
        ) {
            Args::Keys(k) => format!("keys {k:?}"),
            Args::Pattern(i) => format!("pattern {i}"),
            Args::Bulk => "bulk".into(),
        };
        assert_eq!(keys("GET", &["$k"], false), "keys [0]");
        assert_eq!(keys("MSET", &["$a", "1", "$b", "2"], false), "keys [0, 2]");
        assert_eq!(keys("SCAN", &["$c", "MATCH", "$p"], false), "pattern 2");
        assert_eq!(keys("SCAN", &["$c", "COUNT", "100"], false), "bulk");
        assert_eq!(keys("FLUSHDB", &[], false), "bulk");
        assert_eq!(keys("KEYS", &["*"], false), "pattern 0");
        assert_eq!(keys("XADD", &["$s", "*", "f", "$v"], false), "keys []");
        assert_eq!(keys("XADD", &["$s", "*", "f", "$v"], true), "keys [0]");
        assert_eq!(
            keys("XGROUP", &["CREATE", "$s", "g", "$"], true),
            "keys [1]"
        );
        assert_eq!(
            keys(
                "XREAD",
                &["COUNT", "10", "STREAMS", "$a", "$b", "0", "0"],
                true
            ),
            "keys [3, 4]"
        );
        assert_eq!(keys("PING", &["$x"], true), "keys []");
        assert_eq!(
            keys("FUNCTION", &["LOAD", "REPLACE", "$lua"], true),
            "keys []"
        );
        assert_eq!(keys("ACL", &["SETUSER", "$user"], true), "keys []");
    }

    #[test]
    fn streams_are_told_by_name() {
        assert!(is_stream("xadd") && is_stream("XREADGROUP") && is_stream("xgroup_create"));
        assert!(!is_stream("expire") && !is_stream("xx"));
    }
}
