use tenant_audit::expr::tenant_bypass;

fn main() {
    let n: u32 = tenant_bypass!(reason = "admin export", 1, 2);
    let _ = n;
}
