// The crate root's `tenant_bypass` is the attribute; the expression form is
// `tenant_audit::expr::tenant_bypass!` (one macro namespace per module).
use tenant_audit::tenant_bypass;

#[tenant_bypass(reason = "nightly rollup of every tenant")]
fn rollup() -> u32 {
    tenant_bypass!(reason = "admin export", 1)
}

fn main() {
    let _ = tenant_audit::tenant_bypass!(reason = "admin export", rollup());
}
