use tenant_audit::tenant_bypass;

#[tenant_bypass(reason = "global settings, not tenant data")]
pub struct Settings {
    pub motd: String,
}

fn main() {
    let _ = Settings { motd: String::new() };
}
