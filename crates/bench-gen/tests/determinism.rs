//! Same seed, same bytes; every generated `.rs` file is valid Rust (the floor parses it all).

use bench_gen::{generate, Config};

fn small(seed: u64) -> Config {
    Config {
        seed,
        lines: 30_000,
        files: 120,
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
    let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
    for needle in [
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
    ] {
        assert!(all.contains(needle), "no `{needle}` in the corpus");
    }
}
