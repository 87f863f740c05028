use tenant_audit::requires;

#[requires("billing:write", 42)]
fn handler() {}

fn main() {
    handler();
}
