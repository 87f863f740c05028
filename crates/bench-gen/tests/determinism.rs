//! Same seed, same bytes; every generated `.rs` file is valid Rust (the floor parses it all).

use bench_gen::{generate, Config};

fn small(seed: u64) -> Config {
    Config {
        seed,
        lines: 30_000,
        files: 120,
        crates: 0,
    }
}

#[test]
fn same_seed_same_bytes() {
    assert_eq!(generate(&small(7)), generate(&small(7)));
    assert_ne!(generate(&small(7)), generate(&small(8)));
}

#[test]
fn same_seed_same_bytes_on_disk() {
    let a = std::env::temp_dir().join(format!("bench-gen-a-{}", std::process::id()));
    let b = std::env::temp_dir().join(format!("bench-gen-b-{}", std::process::id()));
    let sa = bench_gen::write(&small(3), &a).unwrap();
    let sb = bench_gen::write(&small(3), &b).unwrap();
    assert_eq!(sa, sb);
    for (rel, _) in generate(&small(3)) {
        assert_eq!(
            std::fs::read(a.join(&rel)).unwrap(),
            std::fs::read(b.join(&rel)).unwrap(),
            "{rel}"
        );
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn roughly_the_requested_size_and_all_parses() {
    let cfg = small(1);
    let files = generate(&cfg);
    let rs: Vec<_> = files.iter().filter(|(p, _)| p.ends_with(".rs")).collect();
    let lines: usize = rs.iter().map(|(_, t)| t.lines().count()).sum();
    assert!(
        rs.len() >= cfg.files && rs.len() <= cfg.files * 2,
        "{} files",
        rs.len()
    );
    assert!(
        lines >= cfg.lines * 9 / 10 && lines <= cfg.lines * 13 / 10,
        "{lines} lines"
    );
    for (path, text) in rs {
        if let Err(e) = syn::parse_file(text) {
            panic!("{path} does not parse: {e}");
        }
    }
    // Every framework, driver and cache shows up.
    assert_all_in(
        &files,
        &[
            "Router::new()",
            "#[get(",
            "routes![",
            "#[handler]",
            "sqlx::query",
            "client\n        .query(",
            "conn.execute(",
            "diesel::table!",
            "Entity::find",
            "redis::cmd(",
            "cache.get(",
            "CREATE TABLE",
        ],
    );
}

/// FNV-1a over every path and text, in order.
fn fnv(files: &[(String, String)]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (p, t) in files {
        for b in p.bytes().chain([0]).chain(t.bytes()).chain([0]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[test]
fn classic_corpus_unchanged() {
    // The figures of docs/performance.md are comparable across versions only while the classic
    // corpus (`crates: 0`) keeps its bytes.
    assert_eq!(fnv(&generate(&small(1))), 0x171f_5cdb_e8c7_1bee);
    assert_eq!(fnv(&generate(&Config::default())), 0xabce_468d_b228_65aa);
}

#[test]
fn scale_workspace_has_crates_cross_crate_uses_and_a_big_crate() {
    let cfg = Config {
        seed: 5,
        lines: 60_000,
        files: 400,
        crates: 2,
    };
    let files = generate(&cfg);
    assert_eq!(files, generate(&cfg), "same config, same bytes");
    let manifests: Vec<&str> = files
        .iter()
        .filter(|(p, _)| p.ends_with("Cargo.toml") && p.contains('/'))
        .map(|(p, _)| p.as_str())
        .collect();
    // shared + monolith + 2 x 7 replicas.
    assert_eq!(manifests.len(), 16, "{manifests:?}");
    assert!(manifests.contains(&"svc02/api-axum/Cargo.toml"));
    let in_dir = |d: &str| {
        files
            .iter()
            .filter(|(p, _)| p.starts_with(d) && p.ends_with(".rs"))
            .count()
    };
    let rs = files.iter().filter(|(p, _)| p.ends_with(".rs")).count();
    assert!(
        in_dir("monolith/") * 100 / cfg.files >= 28,
        "{} of {rs}",
        in_dir("monolith/")
    );
    let manifest = &files
        .iter()
        .find(|(p, _)| p == "svc01/worker/Cargo.toml")
        .unwrap()
        .1;
    assert!(
        manifest.contains("shared = { path = \"../../shared\" }"),
        "{manifest}"
    );
    assert_all_in(
        &files,
        &[
            "shared::repo::load_",
            "shared::keys::",
            "shared::sql::LIST_",
            "shared::auth::ensure_scope",
            "shared::cache::remember",
        ],
    );
    for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".rs")) {
        if let Err(e) = syn::parse_file(text) {
            panic!("{path} does not parse: {e}");
        }
    }
}

fn assert_all_in(files: &[(String, String)], needles: &[&str]) {
    let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
    for needle in needles {
        assert!(all.contains(needle), "no `{needle}` in the corpus");
    }
}
