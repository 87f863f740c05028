//! A deterministic generator of a synthetic multi-tenant Rust workspace: the corpus
//! `scripts/bench.sh` audits and parses to compare the audit with the parse floor.
//!
//! The workspace has several packages, each with its own web framework and drivers: axum, sqlx
//! and redis; actix-web + tokio-postgres + moka, rocket + diesel + redis, poem + sea-orm + moka, a
//! worker (rusqlite, sqlx, redis; no handlers), a data package (diesel `table!` schema and
//! sea-orm entities) and a core library with no handlers, queries or caches at all (most real
//! code looks like that). Queries are scoped and unscoped, some read their SQL from consts in
//! another module; there are SQL migrations, long files and many tiny ones.
//!
//! Same [`Config`] (seed, lines, files), same bytes: the generator uses its own tiny PRNG and
//! iterates nothing unordered.

use std::fmt::Write as _;
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub seed: u64,
    /// Approximate number of lines of Rust in all.
    pub lines: usize,
    /// Approximate number of `.rs` files.
    pub files: usize,
    /// 0: the classic seven-package workspace. N > 0: the scale workspace, N replicas of the
    /// seven packages (`svc01/api-axum`, ...), a `shared` crate every one of them depends on (SQL
    /// consts, key statics, query, cache and check fns called across crates) and a `monolith`
    /// axum crate with 30% of the files.
    pub crates: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            lines: 600_000,
            files: 1_500,
            crates: 0,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub files: usize,
    pub lines: usize,
    pub rs_files: usize,
    pub rs_lines: usize,
}

/// SplitMix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// True with probability `pct` percent.
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const ENTITIES: &[&str] = &[
    "invoice",
    "project",
    "user",
    "team",
    "member",
    "payment",
    "subscription",
    "report",
    "document",
    "comment",
    "ticket",
    "incident",
    "asset",
    "order",
    "shipment",
    "product",
    "customer",
    "contract",
    "webhook",
    "audit_event",
];
const GLOBAL_TABLES: &[&str] = &["plans", "currencies", "feature_flags"];
const AREAS: &[&str] = &[
    "api", "domain", "services", "util", "models", "jobs", "billing", "search", "export", "admin",
];
const WORDS: &[&str] = &[
    "amount", "total", "count", "label", "status", "owner", "created", "updated", "limit",
    "offset", "score", "weight", "name", "title", "state", "kind", "index", "value", "budget",
    "quota",
];
const TYPES: &[&str] = &["u32", "u64", "i64", "f64", "String", "bool", "usize"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Axum,
    Actix,
    Rocket,
    Poem,
    Worker,
    Data,
    Core,
}

impl Kind {
    fn web(self) -> bool {
        matches!(self, Kind::Axum | Kind::Actix | Kind::Rocket | Kind::Poem)
    }
    fn has_queries(self) -> bool {
        !matches!(self, Kind::Core)
    }
    fn manifest_deps(self) -> &'static str {
        match self {
            Kind::Axum => "axum = \"0.8\"\nsqlx = { version = \"0.8\", features = [\"postgres\", \"macros\"] }\nredis = { version = \"1\", features = [\"aio\"] }\ntokio = \"1\"\n",
            Kind::Actix => "actix-web = \"4\"\ntokio-postgres = \"0.7\"\nmoka = { version = \"0.12\", features = [\"future\"] }\n",
            Kind::Rocket => "rocket = \"0.5\"\ndiesel = { version = \"2\", features = [\"postgres\"] }\nredis = \"1\"\n",
            Kind::Poem => "poem = \"3\"\nsea-orm = \"1\"\nmoka = { version = \"0.12\", features = [\"future\"] }\n",
            Kind::Worker => "rusqlite = \"0.32\"\nsqlx = { version = \"0.8\", features = [\"postgres\"] }\nredis = \"1\"\n",
            Kind::Data => "diesel = { version = \"2\", features = [\"postgres\"] }\nsea-orm = \"1\"\n",
            Kind::Core => "serde = \"1\"\n",
        }
    }
}

/// Packages: name, kind, share of the files (percent).
const PACKAGES: &[(&str, Kind, usize)] = &[
    ("api-axum", Kind::Axum, 16),
    ("api-actix", Kind::Actix, 12),
    ("api-rocket", Kind::Rocket, 10),
    ("api-poem", Kind::Poem, 10),
    ("worker", Kind::Worker, 10),
    ("data", Kind::Data, 8),
    ("core", Kind::Core, 34),
];

/// Every file of the corpus, as (relative path, content), in a fixed order.
pub fn generate(cfg: &Config) -> Vec<(String, String)> {
    let mut rng = Rng(cfg.seed ^ 0x7E4A_47D1_7000_0001);
    let mut out: Vec<(String, String)> = Vec::new();

    // Per-file line budgets: many tiny files, a few long ones, the rest in between.
    let n = cfg.files.max(PACKAGES.len() * 3);
    let weights: Vec<f64> = (0..n)
        .map(|_| {
            let r = rng.below(100);
            if r < 25 {
                0.02 + rng.below(5) as f64 * 0.01
            } else if r < 28 {
                6.0 + rng.below(60) as f64 * 0.1
            } else {
                0.3 + rng.below(170) as f64 * 0.01
            }
        })
        .collect();
    let total_w: f64 = weights.iter().sum();
    let budgets: Vec<usize> = weights
        .iter()
        .map(|w| ((w / total_w) * cfg.lines as f64).max(4.0) as usize)
        .collect();

    let packages = layout(cfg.crates);
    let total_share: usize = packages.iter().map(|p| p.share).sum();

    // Root manifest, config, migrations.
    let mut members = String::new();
    if cfg.crates > 0 {
        members.push_str("\"shared\", ");
    }
    for p in &packages {
        let _ = write!(members, "\"{}\", ", p.dir);
    }
    out.push((
        "Cargo.toml".into(),
        format!(
            "[workspace]\nmembers = [{}]\nresolver = \"2\"\n",
            members.trim_end_matches(", ")
        ),
    ));
    out.push((
        "tenant-audit.toml".into(),
        format!(
            "[tenant]\ncolumns = [\"org_id\"]\nglobal-tables = [{}]\nschema = [\"migrations\"]\n\n[handlers]\nguards = [\"AdminUser\"]\nchecks = [\"ensure_scope\"]\n\n[scopes]\nenum = \"Scope\"\n",
            GLOBAL_TABLES
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ));
    for (i, e) in ENTITIES.iter().enumerate() {
        out.push((
            format!("migrations/{:04}_{e}s.sql", i + 1),
            migration(e, &mut rng),
        ));
    }
    for (i, t) in GLOBAL_TABLES.iter().enumerate() {
        out.push((
            format!("migrations/{:04}_{t}.sql", ENTITIES.len() + i + 1),
            format!("CREATE TABLE {t} (\n    id BIGSERIAL PRIMARY KEY,\n    code TEXT NOT NULL UNIQUE,\n    label TEXT NOT NULL\n);\n"),
        ));
    }

    if cfg.crates > 0 {
        gen_shared(&mut out);
    }
    // Split the files among the packages.
    let mut next = 0usize;
    for (pi, p) in packages.iter().enumerate() {
        let count = if pi + 1 == packages.len() {
            n.saturating_sub(next).max(3)
        } else {
            (n * p.share / total_share).max(3)
        };
        let end = (next + count).min(budgets.len());
        let start = next.min(end.saturating_sub(3));
        next += count;
        gen_package(p, &budgets[start..end], &mut rng, &mut out);
    }
    out
}

/// One package of the workspace.
struct Package {
    /// Its folder, relative to the workspace root.
    dir: String,
    /// Its package name.
    name: String,
    kind: Kind,
    /// Its share of the files, relative to the sum of all shares.
    share: usize,
    /// It depends on the `shared` crate (scale mode) and calls into it.
    shared: bool,
}

/// The packages: the classic seven, or (scale mode) the monolith and `crates` replicas of the
/// seven.
fn layout(crates: usize) -> Vec<Package> {
    if crates == 0 {
        return PACKAGES
            .iter()
            .map(|(name, kind, share)| Package {
                dir: name.to_string(),
                name: name.to_string(),
                kind: *kind,
                share: *share,
                shared: false,
            })
            .collect();
    }
    let mut out = vec![Package {
        dir: "monolith".into(),
        name: "monolith".into(),
        kind: Kind::Axum,
        // 30% of the files: 3/7 of the replicas' 100 each.
        share: 300 * crates / 7,
        shared: true,
    }];
    for r in 1..=crates {
        for (name, kind, share) in PACKAGES {
            out.push(Package {
                dir: format!("svc{r:02}/{name}"),
                name: format!("svc{r:02}-{name}"),
                kind: *kind,
                share: *share,
                shared: true,
            });
        }
    }
    out
}

/// The crate every package of the scale workspace depends on: SQL consts, key prefixes as
/// statics, query fns taking the tenant from their caller, a cache helper and the check.
fn gen_shared(out: &mut Vec<(String, String)>) {
    out.push((
        "shared/Cargo.toml".into(),
        format!(
            "[package]\nname = \"shared\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{}",
            Kind::Axum.manifest_deps()
        ),
    ));
    out.push((
        "shared/src/lib.rs".into(),
        "//! What every service shares: SQL, cache keys, repositories, the permission check.\n\npub mod auth;\npub mod cache;\npub mod keys;\npub mod repo;\npub mod sql;\n".into(),
    ));
    out.push(("shared/src/sql.rs".into(), sql_consts()));
    let mut keys = String::from("//! Cache key prefixes.\n\n");
    let mut repo =
        String::from("//! Repositories: the tenant comes from the caller.\n\nuse sqlx::PgPool;\n");
    for e in ENTITIES {
        let up = e.to_uppercase();
        let _ = writeln!(keys, "pub static {up}_PREFIX: &str = \"{e}\";");
        let _ = writeln!(
            repo,
            "\n/// The {e}s of `org_id` with this id.\npub async fn load_{e}(pool: &PgPool, org_id: i64, id: i64) -> Result<usize, sqlx::Error> {{\n    let rows = sqlx::query(\"SELECT id FROM {e}s WHERE org_id = $1 AND id = $2\")\n        .bind(org_id)\n        .bind(id)\n        .fetch_all(pool)\n        .await?;\n    Ok(rows.len())\n}}\n\n/// Every {e} of `org_id`.\npub async fn list_{e}s(pool: &PgPool, org_id: i64) -> Result<usize, sqlx::Error> {{\n    let rows = sqlx::query(crate::sql::LIST_{up}S)\n        .bind(org_id)\n        .bind(100)\n        .fetch_all(pool)\n        .await?;\n    Ok(rows.len())\n}}"
        );
    }
    out.push(("shared/src/keys.rs".into(), keys));
    out.push(("shared/src/repo.rs".into(), repo));
    out.push((
        "shared/src/cache.rs".into(),
        "//! The cache helper: callers hand it the key.\n\nuse redis::AsyncCommands;\n\npub async fn remember(redis: &mut redis::aio::ConnectionManager, key: String, value: &str) -> redis::RedisResult<()> {\n    redis.set(key, value).await\n}\n".into(),
    ));
    out.push((
        "shared/src/auth.rs".into(),
        "//! The permission check.\n\npub fn ensure_scope(scope: &str) -> Result<(), String> {\n    if scope.is_empty() {\n        Err(\"no scope\".into())\n    } else {\n        Ok(())\n    }\n}\n".into(),
    ));
}

/// `sql.rs`: consts referenced from other modules.
fn sql_consts() -> String {
    let mut sql = String::from("//! SQL text shared by the modules.\n\n");
    for e in ENTITIES {
        let up = e.to_uppercase();
        let _ = writeln!(
            sql,
            "pub const LIST_{up}S: &str = \"SELECT id, org_id, created_at FROM {e}s WHERE org_id = $1 ORDER BY created_at DESC LIMIT $2\";"
        );
        let _ = writeln!(
            sql,
            "pub const COUNT_{up}S_ALL: &str = \"SELECT count(*) FROM {e}s\";"
        );
        let _ = writeln!(
            sql,
            "pub static DELETE_{up}: &str = concat!(\"DELETE FROM {e}s \", \"WHERE id = $1 AND org_id = $2\");"
        );
    }
    sql
}

fn migration(e: &str, rng: &mut Rng) -> String {
    let mut s = format!(
        "-- {e}s of every organisation\nCREATE TABLE {e}s (\n    id UUID PRIMARY KEY,\n    org_id UUID NOT NULL REFERENCES orgs(id),\n"
    );
    for _ in 0..3 + rng.below(6) {
        let w = rng.pick(WORDS);
        let t = rng.pick(&["TEXT", "BIGINT", "BOOLEAN", "TIMESTAMPTZ", "NUMERIC(12, 2)"]);
        let _ = writeln!(s, "    {e}_{w} {t},");
    }
    s.push_str("    created_at TIMESTAMPTZ NOT NULL DEFAULT now()\n);\n");
    let _ = writeln!(s, "CREATE INDEX {e}s_org ON {e}s (org_id);");
    s
}

fn gen_package(p: &Package, budgets: &[usize], rng: &mut Rng, out: &mut Vec<(String, String)>) {
    let (pkg, kind) = (p.dir.as_str(), p.kind);
    let crate_name = p.name.replace('-', "_");
    let shared_dep = if p.shared {
        let up = "../".repeat(pkg.matches('/').count() + 1);
        format!("shared = {{ path = \"{up}shared\" }}\n")
    } else {
        String::new()
    };
    out.push((
        format!("{pkg}/Cargo.toml"),
        format!(
            "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\n{}{shared_dep}tenant-audit = \"0.1\"\n",
            p.name,
            kind.manifest_deps()
        ),
    ));
    // Fixed files: lib.rs, sql consts, scopes; the rest are modules in areas.
    let n_mods = budgets.len().saturating_sub(3).max(1);
    let mut files: Vec<(String, String)> = Vec::new(); // (area, module)
    let mut per_area: Vec<Vec<String>> = vec![Vec::new(); AREAS.len()];
    for i in 0..n_mods {
        let a = rng.below(AREAS.len());
        let m = format!("{}_{:04}", rng.pick(ENTITIES), i);
        per_area[a].push(m.clone());
        files.push((AREAS[a].to_string(), m));
    }

    // lib.rs
    let mut lib = format!("//! {pkg}: generated for the cargo-tenant-audit benchmark.\n\n");
    for (a, mods) in AREAS.iter().zip(&per_area) {
        if !mods.is_empty() {
            let _ = writeln!(lib, "pub mod {a};");
        }
    }
    lib.push_str("pub mod sql;\npub mod scope;\n\npub use scope::Scope;\n\n");
    if kind == Kind::Axum {
        lib.push_str("#[derive(Clone)]\npub struct AppState {\n    pub pool: sqlx::PgPool,\n    pub redis: redis::aio::ConnectionManager,\n}\n\n");
        lib.push_str("pub fn app(state: AppState) -> axum::Router {\n    axum::Router::new()\n");
        for (a, m) in &files {
            if a == "api" || a == "admin" {
                let _ = writeln!(lib, "        .nest(\"/{a}/{m}\", {a}::{m}::routes())");
            }
        }
        lib.push_str("        .with_state(state)\n}\n");
    }
    if kind == Kind::Rocket {
        lib.push_str("pub fn rocket() -> rocket::Rocket<rocket::Build> {\n    rocket::build()\n");
        for (a, m) in &files {
            if a == "api" || a == "admin" {
                let _ = writeln!(lib, "        .mount(\"/{a}/{m}\", {a}::{m}::routes())");
            }
        }
        lib.push_str("}\n");
    }
    out.push((format!("{pkg}/src/lib.rs"), lib));

    out.push((format!("{pkg}/src/sql.rs"), sql_consts()));

    // scope.rs
    let mut scope = String::from(
        "//! Permissions.\n\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum Scope {\n",
    );
    for e in ENTITIES {
        let c = camel(e);
        let _ = writeln!(scope, "    {c}Read,\n    {c}Write,");
    }
    scope.push_str("}\n\npub struct AdminUser {\n    pub id: u64,\n}\n\npub fn ensure_scope(_s: Scope) -> Result<(), String> {\n    Ok(())\n}\n");
    out.push((format!("{pkg}/src/scope.rs"), scope));

    for (a, mods) in AREAS.iter().zip(&per_area) {
        if mods.is_empty() {
            continue;
        }
        let mut m = format!("//! The {a} modules.\n\n");
        for x in mods {
            let _ = writeln!(m, "pub mod {x};");
        }
        out.push((format!("{pkg}/src/{a}/mod.rs"), m));
    }

    for (i, (area, module)) in files.iter().enumerate() {
        let budget = budgets.get(i + 3).copied().unwrap_or(budgets[0]);
        let text = gen_module(&crate_name, kind, p.shared, area, budget, rng);
        out.push((format!("{pkg}/src/{area}/{module}.rs"), text));
    }
}

fn camel(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// One module of about `budget` lines.
fn gen_module(
    crate_name: &str,
    kind: Kind,
    shared: bool,
    area: &str,
    budget: usize,
    rng: &mut Rng,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "//! {crate_name}::{area}: generated module.");
    let web = kind.web() && (area == "api" || area == "admin");
    let mut handlers: Vec<(String, &'static str)> = Vec::new();
    if budget < 12 {
        // Tiny files: a const, a re-export, a type alias, a small fn.
        match rng.below(4) {
            0 => {
                let _ = writeln!(
                    s,
                    "pub const {}_LIMIT: usize = {};",
                    rng.pick(WORDS).to_uppercase(),
                    rng.below(1000)
                );
            }
            1 => {
                let _ = writeln!(s, "pub type {}Id = u64;", camel(rng.pick(ENTITIES)));
            }
            2 => {
                let _ = writeln!(s, "pub use crate::scope::Scope;");
            }
            _ => {
                let w = rng.pick(WORDS);
                let _ = writeln!(
                    s,
                    "\npub fn {w}_or_default(x: Option<u64>) -> u64 {{\n    x.unwrap_or({})\n}}",
                    rng.below(50)
                );
            }
        }
        return s;
    }
    s.push_str("\nuse std::collections::HashMap;\n");
    match kind {
        Kind::Axum if web => s.push_str("use axum::extract::{Path, State};\nuse axum::routing::{get, post};\nuse axum::{Json, Router};\nuse tenant_audit::requires;\n"),
        Kind::Actix if web => s.push_str("use actix_web::{get, post, web, HttpResponse};\nuse tenant_audit::requires;\n"),
        Kind::Rocket if web => s.push_str("use rocket::{get, post, routes};\nuse tenant_audit::requires;\n"),
        Kind::Poem if web => s.push_str("use poem::handler;\nuse poem::web::{Data, Json, Path};\nuse tenant_audit::requires;\n"),
        _ => {}
    }
    if kind.has_queries() {
        s.push_str("use crate::sql::*;\n");
    }
    s.push_str("use crate::Scope;\n");

    let mut k = 0usize;
    while line_count(&s) < budget {
        k += 1;
        let r = rng.below(100);
        if shared && kind.has_queries() && rng.chance(8) {
            gen_shared_use(&mut s, kind, k, rng);
        } else if web && r < 12 {
            let h = gen_handler(&mut s, kind, shared, k, rng);
            handlers.push(h);
        } else if kind.has_queries() && r < 24 {
            gen_query_fn(&mut s, kind, k, rng);
        } else if kind.has_queries() && kind != Kind::Data && r < 29 {
            gen_cache_fn(&mut s, kind, k, rng);
        } else if kind == Kind::Data && r < 33 {
            gen_schema_item(&mut s, k, rng);
        } else {
            gen_plain(&mut s, k, rng);
        }
    }
    if web {
        match kind {
            Kind::Axum => {
                s.push_str("\npub fn routes() -> Router<crate::AppState> {\n    Router::new()\n");
                for (i, (h, m)) in handlers.iter().enumerate() {
                    let _ = writeln!(s, "        .route(\"/r{i}/{{id}}\", {m}({h}))");
                }
                s.push_str("}\n");
            }
            Kind::Actix => {
                s.push_str("\npub fn configure(cfg: &mut web::ServiceConfig) {\n");
                for (h, _) in &handlers {
                    let _ = writeln!(s, "    cfg.service({h});");
                }
                s.push_str("}\n");
            }
            Kind::Rocket => {
                let names: Vec<&str> = handlers.iter().map(|(h, _)| h.as_str()).collect();
                let _ = writeln!(
                    s,
                    "\npub fn routes() -> Vec<rocket::Route> {{\n    routes![{}]\n}}",
                    names.join(", ")
                );
            }
            Kind::Poem => {
                s.push_str("\npub fn route() -> poem::Route {\n    poem::Route::new()\n");
                for (i, (h, m)) in handlers.iter().enumerate() {
                    let _ = writeln!(s, "        .at(\"/r{i}/:id\", poem::{m}({h}))");
                }
                s.push_str("}\n");
            }
            _ => {}
        }
    }
    s
}

fn line_count(s: &str) -> usize {
    s.bytes().filter(|b| *b == b'\n').count()
}

/// A query expression for the package's drivers, scoped or not; returns the code and the
/// driver's receiver setup.
fn query_expr(kind: Kind, e: &str, scoped: bool, rng: &mut Rng) -> String {
    let w = rng.pick(WORDS);
    let up = e.to_uppercase();
    let filter = if scoped { "org_id = $1 AND " } else { "" };
    let sel = format!("SELECT id, {e}_{w} FROM {e}s WHERE {filter}id = $2");
    match kind {
        Kind::Axum | Kind::Worker if rng.chance(50) => match rng.below(4) {
            0 => format!("sqlx::query(\"{sel}\")\n        .bind(org_id)\n        .bind(id)\n        .fetch_all(pool)\n        .await"),
            1 => format!("sqlx::query_as::<_, (i64, String)>(\"UPDATE {e}s SET {e}_{w} = $3 WHERE {filter}id = $2\")\n        .bind(org_id)\n        .bind(id)\n        .fetch_all(pool)\n        .await"),
            2 => {
                if scoped {
                    format!("sqlx::query(LIST_{up}S).bind(org_id).bind(50).fetch_all(pool).await")
                } else {
                    format!("sqlx::query(COUNT_{up}S_ALL).fetch_all(pool).await")
                }
            }
            _ => format!("sqlx::query(&format!(\"SELECT * FROM {e}s WHERE {e}_{w} = '{{}}'\", id)).fetch_all(pool).await"),
        },
        Kind::Worker => {
            if rng.chance(50) {
                format!("conn.execute(\"DELETE FROM {e}s WHERE {filter}id = ?2\", rusqlite::params![org_id, id])")
            } else {
                format!("conn.prepare(\"SELECT id FROM {e}s WHERE {filter}id = ?2\")")
            }
        }
        Kind::Actix => {
            if rng.chance(70) {
                format!("client\n        .query(\"{sel}\", &[&org_id, &id])\n        .await")
            } else {
                format!("client.execute(DELETE_{up}, &[&id, &org_id]).await")
            }
        }
        Kind::Rocket | Kind::Data if rng.chance(60) => {
            let t = format!("crate::schema::{e}s");
            if scoped {
                format!("{t}::table\n        .filter({t}::org_id.eq(org_id))\n        .filter({t}::id.eq(id))\n        .load::<(i64, String)>(conn)")
            } else {
                format!("{t}::table.find(id).first::<(i64, String)>(conn)")
            }
        }
        Kind::Rocket => format!("diesel::sql_query(\"{sel}\").load::<Row>(conn)"),
        Kind::Poem | Kind::Data => {
            let c = camel(e);
            if scoped {
                format!("crate::entities::{e}::Entity::find()\n        .filter(crate::entities::{e}::Column::OrgId.eq(org_id))\n        .all(db)\n        .await")
            } else if rng.chance(50) {
                format!("crate::entities::{e}::Entity::find_by_id(id).one(db).await")
            } else {
                format!("{c}Entity::delete_many().exec(db).await")
            }
        }
        _ => format!("sqlx::query(\"{sel}\").fetch_all(pool).await"),
    }
}

fn receiver_params(kind: Kind) -> &'static str {
    match kind {
        Kind::Axum => "pool: &sqlx::PgPool",
        Kind::Actix => "client: &tokio_postgres::Client",
        Kind::Rocket => "conn: &mut diesel::PgConnection",
        Kind::Poem => "db: &sea_orm::DatabaseConnection",
        Kind::Worker => "conn: &rusqlite::Connection, pool: &sqlx::PgPool",
        Kind::Data => "conn: &mut diesel::PgConnection, db: &sea_orm::DatabaseConnection",
        Kind::Core => "",
    }
}

fn gen_query_fn(s: &mut String, kind: Kind, k: usize, rng: &mut Rng) {
    let e = rng.pick(ENTITIES);
    let scoped = rng.chance(70);
    let q = query_expr(kind, e, scoped, rng);
    let _ = writeln!(
        s,
        "\n/// Loads {e}s of one organisation.\npub async fn load_{e}_{k}({}, org_id: i64, id: i64) -> Result<usize, String> {{",
        receiver_params(kind)
    );
    if rng.chance(50) {
        let _ = writeln!(s, "    let started = std::time::Instant::now();");
        let _ = writeln!(
            s,
            "    let rows = {q}\n        .map_err(|e| e.to_string())?;"
        );
        let _ = writeln!(s, "    let _elapsed = started.elapsed();");
    } else {
        let _ = writeln!(
            s,
            "    let rows = {q}\n        .map_err(|e| e.to_string())?;"
        );
    }
    let _ = writeln!(s, "    Ok(rows.len())\n}}");
}

fn gen_cache_fn(s: &mut String, kind: Kind, k: usize, rng: &mut Rng) {
    let e = rng.pick(ENTITIES);
    let scoped = rng.chance(70);
    let key = if scoped {
        format!("format!(\"{e}:{{}}:{{}}\", org_id, id)")
    } else {
        format!("format!(\"{e}:{{}}\", id)")
    };
    match kind {
        Kind::Actix | Kind::Poem => {
            let _ = writeln!(
                s,
                "\npub async fn cached_{e}_{k}(cache: &moka::future::Cache<String, String>, org_id: i64, id: i64) -> Option<String> {{\n    let key = {key};\n    cache.get(&key).await\n}}"
            );
        }
        _ => {
            if rng.chance(50) {
                let _ = writeln!(
                    s,
                    "\npub async fn cached_{e}_{k}(redis: &mut redis::aio::ConnectionManager, org_id: i64, id: i64) -> redis::RedisResult<Option<String>> {{\n    use redis::AsyncCommands;\n    redis.get({key}).await\n}}"
                );
            } else {
                let _ = writeln!(
                    s,
                    "\npub fn store_{e}_{k}(conn: &mut redis::Connection, org_id: i64, id: i64, v: &str) -> redis::RedisResult<()> {{\n    redis::cmd(\"SET\").arg({key}).arg(v).query(conn)\n}}"
                );
            }
        }
    }
}

/// A fn of a scale-mode package using the `shared` crate: its repository (tenant passed on or
/// not), its SQL consts, a key prefix static and the cache helper, and its check.
fn gen_shared_use(s: &mut String, kind: Kind, k: usize, rng: &mut Rng) {
    let e = rng.pick(ENTITIES);
    let up = e.to_uppercase();
    let tenant = if rng.chance(80) { "org_id" } else { "id" };
    let checked = if rng.chance(70) {
        format!("    shared::auth::ensure_scope(\"{e}\")?;\n")
    } else {
        String::new()
    };
    let _ = writeln!(
        s,
        "\n/// {e}s through the shared repository.\npub async fn shared_{e}_{k}(pool: &sqlx::PgPool, redis: &mut redis::aio::ConnectionManager, org_id: i64, id: i64) -> Result<usize, String> {{\n{checked}    let n = shared::repo::load_{e}(pool, {tenant}, id).await.map_err(|e| e.to_string())?;\n    let m = shared::repo::list_{e}s(pool, org_id).await.map_err(|e| e.to_string())?;\n    let key = format!(\"{{}}:{{}}:{{}}\", shared::keys::{up}_PREFIX, {tenant}, id);\n    shared::cache::remember(redis, key, \"1\").await.map_err(|e| e.to_string())?;"
    );
    if matches!(kind, Kind::Axum | Kind::Worker) {
        let _ = writeln!(
            s,
            "    let rows = sqlx::query(shared::sql::LIST_{up}S).bind(org_id).bind(20).fetch_all(pool).await.map_err(|e| e.to_string())?;\n    Ok(n + m + rows.len())\n}}"
        );
    } else {
        let _ = writeln!(s, "    Ok(n + m)\n}}");
    }
}

fn gen_handler(
    s: &mut String,
    kind: Kind,
    shared: bool,
    k: usize,
    rng: &mut Rng,
) -> (String, &'static str) {
    let e = rng.pick(ENTITIES);
    let c = camel(e);
    let name = format!(
        "{}_{e}_{k}",
        rng.pick(&["get", "list", "update", "delete", "create"])
    );
    let method = if rng.chance(60) { "get" } else { "post" };
    let protected = rng.chance(85);
    let req = if protected {
        format!(
            "#[requires(Scope::{c}{})]\n",
            if method == "get" { "Read" } else { "Write" }
        )
    } else {
        String::new()
    };
    let scoped = rng.chance(75);
    match kind {
        Kind::Axum => {
            let q = query_expr(kind, e, scoped, rng)
                .replace("fetch_all(pool)", "fetch_all(&state.pool)");
            // Scale mode: the handler also reaches a query in another crate.
            let via = if shared {
                format!("    let _n = shared::repo::load_{e}(pool, org_id, id).await;\n")
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "\n{req}pub async fn {name}(\n    State(state): State<crate::AppState>,\n    Path((org_id, id)): Path<(i64, i64)>,\n) -> Result<Json<usize>, String> {{\n    let pool = &state.pool;\n{via}    let rows = {q}\n        .map_err(|e| e.to_string())?;\n    Ok(Json(rows.len()))\n}}"
            );
        }
        Kind::Actix => {
            let q = query_expr(kind, e, scoped, rng);
            let _ = writeln!(
                s,
                "\n#[{method}(\"/{e}s/{{org_id}}/{{id}}\")]\n{req}pub async fn {name}(\n    client: web::Data<tokio_postgres::Client>,\n    path: web::Path<(i64, i64)>,\n) -> HttpResponse {{\n    let (org_id, id) = path.into_inner();\n    let client = client.get_ref();\n    match {q} {{\n        Ok(rows) => HttpResponse::Ok().body(rows.len().to_string()),\n        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),\n    }}\n}}"
            );
        }
        Kind::Rocket => {
            let q = query_expr(kind, e, scoped, rng);
            let _ = writeln!(
                s,
                "\n#[{method}(\"/{e}s/<org_id>/<id>\")]\n{req}pub fn {name}(org_id: i64, id: i64, admin: Option<crate::scope::AdminUser>) -> String {{\n    let conn = &mut crate::db::connect();\n    let _ = admin;\n    match {q} {{\n        Ok(rows) => rows.len().to_string(),\n        Err(e) => e.to_string(),\n    }}\n}}"
            );
        }
        Kind::Poem => {
            let q = query_expr(kind, e, scoped, rng);
            let _ = writeln!(
                s,
                "\n#[handler]\n{req}pub async fn {name}(\n    Path((org_id, id)): Path<(i64, i64)>,\n    Data(db): Data<&sea_orm::DatabaseConnection>,\n) -> Json<usize> {{\n    let rows = {q}\n        .unwrap_or_default();\n    let _ = id;\n    Json(rows.len())\n}}"
            );
        }
        _ => {}
    }
    (name, method)
}

fn gen_schema_item(s: &mut String, k: usize, rng: &mut Rng) {
    let e = rng.pick(ENTITIES);
    if rng.chance(50) {
        let _ = writeln!(
            s,
            "\ndiesel::table! {{\n    {e}s_v{k} (id) {{\n        id -> Int8,\n        org_id -> Int8,\n        {e}_{} -> Text,\n        created_at -> Timestamptz,\n    }}\n}}",
            rng.pick(WORDS)
        );
    } else {
        let _ = writeln!(
            s,
            "\npub mod {e}_entity_{k} {{\n    use sea_orm::entity::prelude::*;\n\n    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]\n    #[sea_orm(table_name = \"{e}s\")]\n    pub struct Model {{\n        #[sea_orm(primary_key)]\n        pub id: i64,\n        pub org_id: i64,\n        pub {}: String,\n    }}\n\n    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]\n    pub enum Relation {{}}\n\n    impl ActiveModelBehavior for ActiveModel {{}}\n}}",
            rng.pick(WORDS)
        );
    }
}

/// Code with no handler, query or cache: structs, enums, impls, traits, iterator chains, tests.
fn gen_plain(s: &mut String, k: usize, rng: &mut Rng) {
    let e = camel(rng.pick(ENTITIES));
    match rng.below(7) {
        0 => {
            let _ = writeln!(s, "\n/// A {e} record as the service sees it.\n#[derive(Debug, Clone, PartialEq, Default)]\npub struct {e}{k} {{");
            for i in 0..2 + rng.below(8) {
                let _ = writeln!(s, "    pub {}_{i}: {},", rng.pick(WORDS), rng.pick(TYPES));
            }
            s.push_str("}\n");
            let _ = writeln!(
                s,
                "\nimpl {e}{k} {{\n    pub fn new() -> Self {{\n        Self::default()\n    }}\n\n    pub fn describe(&self) -> String {{\n        format!(\"{e}{k} {{:?}}\", self)\n    }}\n}}"
            );
        }
        1 => {
            let _ = writeln!(
                s,
                "\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum {e}State{k} {{"
            );
            let n = 3 + rng.below(6);
            for i in 0..n {
                let _ = writeln!(s, "    {}{i},", camel(rng.pick(WORDS)));
            }
            s.push_str("}\n");
            let _ = writeln!(
                s,
                "\npub fn state_weight_{k}(s: {e}State{k}) -> u32 {{\n    match s as u32 {{"
            );
            for i in 0..n {
                let _ = writeln!(s, "        {i} => {},", rng.below(100));
            }
            s.push_str("        _ => 0,\n    }\n}\n");
        }
        2 => {
            let w = rng.pick(WORDS);
            let _ = writeln!(
                s,
                "\n/// Sums the {w} of the items that pass the filter.\npub fn total_{w}_{k}(items: &[(u64, f64)], min: u64) -> f64 {{\n    items\n        .iter()\n        .filter(|(n, _)| *n >= min)\n        .map(|(n, v)| *n as f64 * v)\n        .fold(0.0, |acc, x| acc + x)\n}}"
            );
        }
        3 => {
            let _ = writeln!(
                s,
                "\npub trait {e}Store{k} {{\n    type Error: std::fmt::Debug;\n    fn fetch(&self, id: u64) -> Result<Option<String>, Self::Error>;\n    fn put(&mut self, id: u64, value: String) -> Result<(), Self::Error>;\n}}\n\n#[derive(Default)]\npub struct Memory{e}Store{k} {{\n    items: HashMap<u64, String>,\n}}\n\nimpl {e}Store{k} for Memory{e}Store{k} {{\n    type Error = std::convert::Infallible;\n\n    fn fetch(&self, id: u64) -> Result<Option<String>, Self::Error> {{\n        Ok(self.items.get(&id).cloned())\n    }}\n\n    fn put(&mut self, id: u64, value: String) -> Result<(), Self::Error> {{\n        self.items.insert(id, value);\n        Ok(())\n    }}\n}}"
            );
        }
        4 => {
            let w = rng.pick(WORDS);
            let _ = writeln!(s, "\npub fn normalise_{w}_{k}(input: &str) -> String {{\n    let mut out = String::with_capacity(input.len());");
            let _ = writeln!(s, "    for (i, c) in input.chars().enumerate() {{\n        if c.is_whitespace() {{\n            if !out.ends_with('-') && i > 0 {{\n                out.push('-');\n            }}\n        }} else if c.is_alphanumeric() {{\n            out.extend(c.to_lowercase());\n        }}\n    }}");
            let _ = writeln!(s, "    while out.ends_with('-') {{\n        out.pop();\n    }}\n    if out.len() > {} {{\n        out.truncate({});\n    }}\n    out\n}}", 20 + rng.below(50), 20 + rng.below(10));
        }
        5 => {
            let _ = writeln!(
                s,
                "\n#[cfg(test)]\nmod tests_{k} {{\n    use super::*;\n\n    #[test]\n    fn roundtrip() {{\n        let mut m: HashMap<u32, Vec<String>> = HashMap::new();\n        for i in 0..{} {{\n            m.entry(i % 7).or_default().push(format!(\"v{{}}\", i));\n        }}\n        assert_eq!(m.len(), 7);\n        assert!(m.values().all(|v| !v.is_empty()), \"every bucket filled\");\n    }}\n}}",
                10 + rng.below(90)
            );
        }
        _ => {
            let w = rng.pick(WORDS);
            let _ = writeln!(
                s,
                "\n/// Parses a `{w}` setting.\npub fn parse_{w}_{k}(raw: Option<&str>) -> Result<u64, std::num::ParseIntError> {{\n    let raw = raw.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(\"{}\");\n    let value: u64 = raw.parse()?;\n    Ok(if value > {} {{ value / 2 }} else {{ value.saturating_mul(3) }})\n}}\n\npub static {}_{k}_DEFAULTS: [u32; 4] = [{}, {}, {}, {}];\nconst _: () = assert!(Scope::{e}Read as u32 >= 0);",
                rng.below(100),
                rng.below(1000),
                w.to_uppercase(),
                rng.below(9),
                rng.below(9),
                rng.below(9),
                rng.below(9)
            );
        }
    }
}

/// Writes the corpus under `dir` (created; existing files with the same names are replaced).
pub fn write(cfg: &Config, dir: &Path) -> std::io::Result<Stats> {
    let mut stats = Stats::default();
    for (rel, text) in generate(cfg) {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &text)?;
        let lines = line_count(&text);
        stats.files += 1;
        stats.lines += lines;
        if rel.ends_with(".rs") {
            stats.rs_files += 1;
            stats.rs_lines += lines;
        }
    }
    Ok(stats)
}
