use tenant_audit::requires;

#[requires("billing:write")]
pub struct Invoice {
    pub id: u64,
}

fn main() {
    let _ = Invoice { id: 1 };
}
