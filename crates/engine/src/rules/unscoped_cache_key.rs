use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::diagnostic::Severity;

pub struct UnscopedCacheKey;

static META: RuleMeta = RuleMeta {
    code: "TA301",
    name: "unscoped-cache-key",
    default_severity: Severity::Error,
    summary: "a cache call whose key does not carry the tenant",
    docs: r#"## What it does
Finds cache calls — redis and deadpool-redis commands, `redis::cmd(..)` and pipelines, fred,
moka and mini-moka, `#[cached]`/`#[io_cached]`/`#[once]`, the `cached` stores (`SizedCache`,
`TimedCache`, .. `cache_get`/`cache_set`) and its `cached!`/`cached_key!` macros, memcache, and
the custom interfaces of `[cache] interfaces` — on receivers the code declares to be caches
(statics, fields and type aliases of any workspace crate, through `Lazy`, `OnceLock`,
`LazyLock`, `lazy_static!`, `Arc`, locks and generic bounds), and checks that each key
carries the tenant: a tenant identifier or field (`org_id`, `ctx.org_id`), a configured key
builder, or a key type containing a tenant type (`Cache<(OrgId, UserId), _>`). Global methods of a
custom interface always need a bypass.

A key made from a parameter of its fn (`read_cache(pool, key: &str)`, `format!("collab:{oid}")`)
is judged through every caller in the workspace's call graph, whatever the caller passes: an
inline `format!`, a local made by a key builder, a field, a trait method's argument (to the
impls). It is scoped when every caller passes the tenant there (callers that hand their own
parameter on are followed `[handlers] check-depth` calls up); the finding stays at the call and
names the first caller that passes the key without the tenant. A fn no code calls is judged
alone. Calls inside the impl of a configured cache interface are not findings: the interface's
callers are judged (its `scoped-methods`). A key whose declared type, or the cache's declared key
type, is a struct with a tenant field (`Cache<StreamParams, _>` with `StreamParams { org_id, .. }`)
is scoped.

Bulk commands that ignore tenancy are findings of their own: `FLUSHDB` and `FLUSHALL` and `SCAN`
without `MATCH` always need a bypass; `KEYS` and `SCAN .. MATCH` need the tenant in the pattern.
Redis streams (XADD, XREAD, XDEL, XTRIM, XGROUP, ..) are queues, not caches: their keys are judged
only with `[cache] streams = true`. Types of a cache crate that hold data (`StreamId`, replies,
options, values) are not receivers. A receiver whose type cannot be known but whose name says
`cache` or `redis` (`cache().get(k)`, an untyped closure parameter, a cache library no family
reads) is not judged: the summary counts it and `--verbose` lists it.

## Why is this bad?
A cache is a second database with no WHERE clause: the key is the only tenant boundary. A key
like `user:{id}` serves one tenant's cached data to another when ids collide or are guessed.

## Example
```rust
let profile: Option<String> = con.get(format!("user:{user_id}")).await?;
```

## How to fix
Put the tenant in the key: `format!("org:{org_id}:user:{user_id}")`, or build keys with a
configured key builder. A key that is global on purpose (feature flags) gets a bypass with a reason.
"#,
};

impl Rule for UnscopedCacheKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleCx<'_, '_>) {
        let help = help(cx);
        let mut findings = Vec::new();
        for &(fi, ref c) in cx.caches {
            let message = if c.global {
                c.note.clone().unwrap_or_else(|| {
                    format!(
                        "{} `{}` is a global cache method: it needs a bypass with a reason",
                        c.family, c.op
                    )
                })
            } else if !c.scoped {
                let what = c.note.clone().unwrap_or_else(|| {
                    format!(
                        "{} `{}` key `{}` does not contain the tenant",
                        c.family, c.op, c.key
                    )
                });
                match c.unscoped_caller.as_deref() {
                    Some((at, param)) if c.note.is_some() => {
                        format!("{what} (parameter `{param}` is passed without it at {at})")
                    }
                    Some((at, param)) => {
                        format!("{what}: parameter `{param}` is passed without it at {at}")
                    }
                    None => what,
                }
            } else {
                continue;
            };
            let label = if c.global {
                "global cache call"
            } else {
                "key without the tenant"
            };
            findings.push((
                fi,
                Finding {
                    span: c.span,
                    message,
                    item: cx.index.files[fi].item_of(c.fn_index, &c.item),
                    snippet: format!("{} {}", c.op, c.key),
                    label: Some(label.into()),
                    help: Some(help.clone()),
                },
            ));
        }
        for (fi, f) in findings {
            cx.report(&META, fi, f);
        }
    }
}

/// The fix, in the workspace's own terms: its tenant column and identifiers.
fn help(cx: &RuleCx<'_, '_>) -> String {
    let column = cx.tenant_column();
    let prefix = column.strip_suffix("_id").unwrap_or(column);
    let others: Vec<String> = cx
        .index
        .config
        .tenant
        .identifiers
        .iter()
        .take(3)
        .map(|i| format!("`{i}`"))
        .collect();
    let or = if others.is_empty() {
        String::new()
    } else {
        format!(", or {}", others.join(", "))
    };
    format!(
        "put the tenant in the key (e.g. `format!(\"{prefix}:{{{column}}}:..\")`{or}) or use a configured key builder; a deliberately global key needs `tenant_bypass!(reason = \"..\", ..)`"
    )
}
