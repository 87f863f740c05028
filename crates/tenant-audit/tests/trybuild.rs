//! Compile-time behaviour of the macros, with trybuild.
//!
//! Pinning: the `.stderr` files of `ui/fail` were blessed with rustc 1.95.0
//! (`TRYBUILD=overwrite cargo test -p tenant-audit --test trybuild`). rustc rewords its
//! diagnostics between releases, so the `compile_fail` cases only run when `rustc --version`
//! starts with `rustc 1.95.0`; on any other compiler they are skipped with a note on stderr (the
//! `pass` cases always run). To move to a new toolchain, re-bless and update `BLESSED_RUSTC`.

const BLESSED_RUSTC: &str = "rustc 1.95.0";

fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    let version = rustc_version();
    if version.starts_with(BLESSED_RUSTC) {
        t.compile_fail("tests/ui/fail/*.rs");
    } else {
        eprintln!(
            "note: skipping the compile_fail cases: their .stderr files were blessed with \
             {BLESSED_RUSTC}, this is `{version}`"
        );
    }
}
