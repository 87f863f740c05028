use tenant_audit::requires;

pub struct Billing;

#[requires("billing:write")]
impl Billing {
    pub fn charge(&self) {}
}

fn main() {
    Billing.charge();
}
