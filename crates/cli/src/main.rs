//! `cargo-tenant-audit`: runnable as `cargo tenant-audit ...` or `cargo-tenant-audit ...`.

/// jemalloc, not glibc's malloc, on Linux with glibc. Phase 1 allocates and frees at a high rate
/// on every worker (a third of its time is in the allocator), and glibc puts threads on shared
/// heaps guarded by one lock each: two workers of a pool landing on one heap, or the thread
/// freeing a workspace's facts while the next one is parsed, wait on each other. On the 3.27M-line
/// public tree that was 20k to 1.5M context switches a run (99% in glibc's arena lock), the audit's
/// CPU time varying by 2x between identical runs; with jemalloc's per-thread caches, about 1k.
/// docs/performance.md (seventh pass) has the figures.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let code = cargo_tenant_audit::run(std::env::args_os().collect());
    std::process::exit(code);
}
