#![deny(warnings)]

use tenant_audit::tenant_bypass;

#[tenant_bypass(reason = "health check is public")]
pub async fn health() -> &'static str {
    "ok"
}

/// Deletes expired sessions.
#[tenant_bypass(rules = ["TA201", "untenanted-query"], reason = "sweeps expired sessions of every tenant")]
pub fn sweep() -> usize {
    0
}

#[tenant_bypass(reason = "the feature-flag cache is global", rules = ["ta301"],)]
pub mod flags {
    //! Global feature flags.
    pub fn key() -> &'static str {
        "flags"
    }
}

pub struct Jobs;

#[tenant_bypass(reason = "background jobs run for the whole platform")]
impl Jobs {
    #[tenant_bypass(reason = "counts rows of every tenant")]
    pub const ALL: u32 = 3;

    #[tenant_bypass(rules = ["TA201"], reason = "admin export")]
    pub fn run(&self) -> u32 {
        Self::ALL
    }
}

#[tenant_bypass(reason = "platform-wide maintenance jobs")]
pub trait Maintenance {
    #[tenant_bypass(reason = "declared here, scoped per implementation")]
    fn vacuum(&self) -> u32;

    fn analyze(&self) -> u32 {
        1
    }
}

impl Maintenance for Jobs {
    #[tenant_bypass(reason = "vacuum runs on the whole database")]
    fn vacuum(&self) -> u32 {
        2
    }
}

pub trait Store {
    type Key;
}

impl Store for Jobs {
    #[tenant_bypass(reason = "job keys are platform-wide")]
    type Key = String;
}

fn main() {
    assert_eq!(sweep(), 0);
    assert_eq!(flags::key(), "flags");
    assert_eq!(Jobs.run(), 3);
    assert_eq!(Jobs.vacuum() + Jobs.analyze(), 3);
    let _k: <Jobs as Store>::Key = String::new();
    let _ = health();
}
