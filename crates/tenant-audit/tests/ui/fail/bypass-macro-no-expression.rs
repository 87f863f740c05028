use tenant_audit::expr::tenant_bypass;

fn main() {
    tenant_bypass!(reason = "admin export");
}
