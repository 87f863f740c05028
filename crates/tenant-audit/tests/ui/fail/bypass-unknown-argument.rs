use tenant_audit::tenant_bypass;

#[tenant_bypass(reson = "sweeps expired sessions of every tenant")]
fn sweep() {}

fn main() {
    sweep();
}
