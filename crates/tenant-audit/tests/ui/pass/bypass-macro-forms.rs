#![deny(warnings)]

use tenant_audit::expr::tenant_bypass;

async fn fetch_all_orgs() -> Result<Vec<u64>, String> {
    Ok(vec![1, 2, 3])
}

async fn stats() -> Result<usize, String> {
    // In a `.await` chain with `?`.
    let orgs = tenant_bypass!(reason = "admin export", fetch_all_orgs().await)?;
    // Around the whole chain, `rules` first, trailing comma.
    let again: Vec<u64> = tenant_bypass!(
        rules = ["TA201"],
        reason = "platform-wide totals",
        fetch_all_orgs().await?,
    );
    Ok(orgs.len() + again.len())
}

fn main() {
    // Statement position.
    tenant_bypass!(reason = "logs every tenant", println!("all tenants"));
    // Expression position, with operators around it.
    let n = tenant_bypass!(reason = "sums every tenant", 2 + 3) * 2;
    assert_eq!(n, 10);
    // Blocks are expressions too.
    let m = tenant_bypass!(reason = "a block", {
        let a = 1;
        a + 1
    });
    assert_eq!(m, 2);
    // Path-qualified, next to the attribute of the same name.
    #[tenant_audit::tenant_bypass(reason = "nested fn reads every tenant")]
    fn inner() -> u8 {
        tenant_audit::expr::tenant_bypass!(reason = "and so does this", 4)
    }
    assert_eq!(inner(), 4);
    let _ = stats();
}
