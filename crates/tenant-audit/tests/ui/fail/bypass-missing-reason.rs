use tenant_audit::tenant_bypass;

#[tenant_bypass(rules = ["TA201"])]
fn sweep() {}

fn main() {
    sweep();
}
