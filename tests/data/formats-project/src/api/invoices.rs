use tenant_audit::requires;

/// No permission: TA101.
pub async fn list_invoices() -> &'static str {
    "[]"
}

#[requires("invoices:read")]
pub async fn show_invoice() -> &'static str {
    "{}"
}
