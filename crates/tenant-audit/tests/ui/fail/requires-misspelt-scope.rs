use tenant_audit::requires;

pub enum Scope {
    IncidentsRead,
    IncidentsWrite,
}

#[requires(Scope::IncidentsRead, Scope::IncidentWrite)]
async fn close_incident() {}

fn main() {
    let _ = close_incident();
    let _ = Scope::IncidentsWrite;
}
