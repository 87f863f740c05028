use tenant_audit::tenant_bypass;

/// Public, and says why: the TA101 is bypassed.
#[tenant_bypass(reason = "public status page, shows no tenant data")]
pub async fn status() -> &'static str {
    "ok"
}

/// A bypass with a placeholder reason: TA901.
#[tenant_bypass(reason = "todo")]
pub async fn metrics() -> &'static str {
    "0"
}

/// Not a handler, nothing to cover: TA902.
#[tenant_bypass(reason = "helper shared with the admin tool")]
pub fn helper() -> u32 {
    7
}
