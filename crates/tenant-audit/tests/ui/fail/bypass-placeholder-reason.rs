use tenant_audit::tenant_bypass;

#[tenant_bypass(reason = "TODO")]
fn sweep() {}

fn main() {
    sweep();
}
