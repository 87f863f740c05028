use tenant_audit::requires;

#[requires()]
fn handler() {}

fn main() {
    handler();
}
