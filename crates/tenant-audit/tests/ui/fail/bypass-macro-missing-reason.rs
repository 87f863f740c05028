use tenant_audit::expr::tenant_bypass;

fn all_orgs() -> Vec<u64> {
    vec![1, 2]
}

fn main() {
    let orgs = tenant_bypass!(all_orgs());
    assert_eq!(orgs.len(), 2);
}
