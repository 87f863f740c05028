//! Test-only crate: `tests/` compiles and runs handlers of real web frameworks annotated with
//! `#[requires]` and `#[tenant_bypass]`, placed above and below the frameworks' own attributes.
