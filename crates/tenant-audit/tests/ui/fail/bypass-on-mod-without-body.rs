use tenant_audit::tenant_bypass;

#[tenant_bypass(reason = "platform-wide jobs")]
#[path = "modules/jobs.rs"]
mod jobs;

fn main() {}
