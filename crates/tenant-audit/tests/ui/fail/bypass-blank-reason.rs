use tenant_audit::tenant_bypass;

#[tenant_bypass(reason = "   ")]
fn sweep() {}

fn main() {
    sweep();
}
