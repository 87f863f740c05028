use tenant_audit::requires;

fn scope() -> &'static str {
    "billing:write"
}

#[requires(scope())]
fn handler() {}

fn main() {
    handler();
    scope();
}
