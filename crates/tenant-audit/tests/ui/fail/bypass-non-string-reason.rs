use tenant_audit::tenant_bypass;

const WHY: &str = "sweeps expired sessions of every tenant";

#[tenant_bypass(reason = WHY)]
fn sweep() {}

fn main() {
    sweep();
    let _ = WHY;
}
