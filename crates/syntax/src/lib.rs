//! The grammar of the `cargo-tenant-audit` annotations, shared by the proc-macros
//! (`tenant-audit-macros`) and the auditor (`tenant-audit-engine`), so the two can never disagree.
//!
//! * [`parse_requires`] reads the tokens inside `#[requires(..)]`;
//! * [`parse_bypass`] reads the tokens inside `#[tenant_bypass(..)]` (leniently: a missing or blank
//!   reason is not a parse error, the auditor reports it as TA901);
//! * [`parse_bypass_macro`] reads the tokens of `tenant_bypass!(reason = "...", <expr>)`;
//! * [`check_reason`] and [`validate_bypass`] apply the strict rules the proc-macro enforces;
//! * [`RULES`] and [`find_rule`] are the single list of rule codes and names.

mod bypass;
mod reason;
mod requires;
mod rules;

pub use bypass::{parse_bypass, parse_bypass_macro, validate_bypass, BypassArgs};
pub use reason::{check_reason, ReasonProblem, PLACEHOLDER_REASONS};
pub use requires::{parse_requires, RequiresArgs, ScopeRef};
pub use rules::{find_rule, RuleId, RULES};
