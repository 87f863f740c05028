use tenant_audit::tenant_bypass;

#[tenant_bypass(reason = "sweeps expired sessions", reason = "of every tenant")]
fn sweep() {}

fn main() {
    sweep();
}
