use tenant_audit::tenant_bypass;

#[tenant_bypass]
fn sweep() {}

fn main() {
    sweep();
}
