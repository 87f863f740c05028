use tenant_audit::tenant_bypass;

#[tenant_bypass(rules = ["TA201", "TA299"], reason = "sweeps expired sessions of every tenant")]
fn sweep() {}

fn main() {
    sweep();
}
