use tenant_audit::expr::tenant_bypass;

fn main() {
    let n: u32 = tenant_bypass!(rules = ["TA999"], reason = "admin export", 1);
    let _ = n;
}
