//! Source annotations for `cargo-tenant-audit`: declare what a handler requires, and say why a
//! piece of code is allowed to skip the tenant checks.
//!
//! The macros cost nothing at run time: each item comes out unchanged (plus a `#[doc]` line), so
//! they compose with any framework attribute, in any order. Mistakes are compile errors that point
//! at the offending token. The auditor reads the same grammar (crate `tenant-audit-syntax`).
//!
//! | form | on | expands to |
//! |---|---|---|
//! | `#[requires(Scope::X, "billing:write")]` | fn, async fn, method, trait-impl method | the fn, plus a doc line and a never-called closure naming each scope path |
//! | `#[tenant_bypass(reason = "...", rules = ["TA201"])]` | fn, impl block, trait, inline `mod`, impl item | the item, plus a doc line with the reason |
//! | `expr::tenant_bypass!(reason = "...", <expr>)` | one expression | the expression |
//!
//! # `#[requires(..)]`
//!
//! One or more scopes, all required: paths (checked by the compiler, so `Scope::IncidentWrite`
//! does not compile when the variant is `IncidentsWrite`) or string literals.
//!
//! ```
//! use tenant_audit::requires;
//!
//! pub enum Scope { IncidentsRead, IncidentsWrite }
//!
//! #[requires(Scope::IncidentsWrite)]
//! pub async fn close_incident(id: u64) -> Result<(), String> {
//!     let _ = id;
//!     Ok(())
//! }
//!
//! #[requires("billing:write", "billing:read")]
//! pub fn update_billing() -> u32 { 7 }
//!
//! pub struct Incidents;
//! impl Incidents {
//!     #[requires(Scope::IncidentsRead, Scope::IncidentsWrite)]
//!     pub fn reopen(&self) -> bool { true }
//! }
//!
//! assert_eq!(update_billing(), 7);
//! assert!(Incidents.reopen());
//! ```
//!
//! # `#[tenant_bypass(..)]`
//!
//! `reason = "..."` is required and must say why (not empty, not "todo"); `rules = [..]` (codes
//! or names from [`RULES`]) narrows the bypass, otherwise it covers every rule inside the item.
//!
//! ```
//! use tenant_audit::tenant_bypass;
//!
//! #[tenant_bypass(reason = "health check is public")]
//! pub async fn health() -> &'static str { "ok" }
//!
//! #[tenant_bypass(rules = ["TA201"], reason = "sweeps expired sessions of every tenant")]
//! pub fn sweep_expired_sessions() -> usize { 0 }
//!
//! #[tenant_bypass(rules = ["unscoped-cache-key"], reason = "the feature-flag cache is global")]
//! pub mod flags {
//!     pub fn key() -> &'static str { "flags" }
//! }
//!
//! pub struct Jobs;
//! #[tenant_bypass(reason = "background jobs run for the whole platform")]
//! impl Jobs {
//!     pub fn run(&self) {}
//! }
//!
//! assert_eq!(flags::key(), "flags");
//! ```
//!
//! # `tenant_bypass!(..)`
//!
//! Exempts one expression and expands to it, so it works anywhere an expression does, including
//! `.await` chains and `?`. It lives at [`expr::tenant_bypass!`]: Rust has a single macro
//! namespace, so one module cannot export both the attribute and the function-like macro under the
//! same name. Call it by path, or import it in a module that does not import the attribute; the
//! auditor matches the last path segment, `tenant_bypass`.
//!
//! ```
//! use tenant_audit::expr::tenant_bypass;
//!
//! async fn count_all_orgs() -> Result<i64, String> { Ok(3) }
//!
//! async fn platform_stats() -> Result<i64, String> {
//!     let n = tenant_bypass!(reason = "admin export: platform-wide totals", count_all_orgs().await)?;
//!     Ok(n)
//! }
//! # let _ = platform_stats();
//! ```
//!
//! ```
//! use tenant_audit::tenant_bypass;
//!
//! fn all_org_ids() -> Vec<u64> { vec![1, 2] }
//!
//! #[tenant_bypass(rules = ["TA301"], reason = "the key lists every organisation")]
//! fn warm_cache() -> usize {
//!     tenant_audit::expr::tenant_bypass!(rules = ["TA201"], reason = "cache warm-up reads every org", all_org_ids()).len()
//! }
//! assert_eq!(warm_cache(), 2);
//! ```
//!
//! # Rule codes
//!
//! [`RULES`] lists every rule of cargo-tenant-audit (the same list the auditor uses);
//! [`find_rule`] looks one up by code or name.
//!
//! ```
//! assert_eq!(tenant_audit::find_rule("TA201").unwrap().name, "untenanted-query");
//! assert!(tenant_audit::RULES.iter().any(|r| r.code == "TA901"));
//! ```

pub use tenant_audit_macros::{requires, tenant_bypass};
pub use tenant_audit_syntax::{find_rule, RuleId, RULES};

/// The expression form of the bypass, `tenant_bypass!(reason = "...", <expr>)`.
///
/// It has its own module because an attribute and a function-like macro cannot share one name in
/// one module; the auditor recognises it by its last path segment, `tenant_bypass`.
pub mod expr {
    /// Exempts one expression from tenant-audit rules, with a reason; expands to the expression.
    ///
    /// ```
    /// let n = tenant_audit::expr::tenant_bypass!(reason = "counts rows of every tenant", 2 + 2);
    /// assert_eq!(n, 4);
    /// ```
    pub use tenant_audit_macros::tenant_bypass_expr as tenant_bypass;
}
