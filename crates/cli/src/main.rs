//! `cargo-tenant-audit`: runnable as `cargo tenant-audit ...` or `cargo-tenant-audit ...`.

fn main() {
    let code = cargo_tenant_audit::run(std::env::args_os().collect());
    std::process::exit(code);
}
