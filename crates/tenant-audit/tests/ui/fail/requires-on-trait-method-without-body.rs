use tenant_audit::requires;

pub trait Api {
    #[requires("billing:read")]
    fn invoices(&self) -> u32;
}

fn main() {}
