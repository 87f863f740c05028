use tenant_audit::requires;

pub enum Scope {
    Admin,
}

pub trait Api {
    fn stats(&self) -> u32;
}

pub struct Service;

impl Api for Service {
    #[requires(Scope::Admn)]
    fn stats(&self) -> u32 {
        1
    }
}

fn main() {
    let _ = Service.stats();
    let _ = Scope::Admin;
}
