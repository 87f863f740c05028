use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::bypass::Usage;
use crate::diagnostic::Severity;

pub struct BypassWithoutReason;

static META: RuleMeta = RuleMeta {
    code: "TA901",
    name: "bypass-without-reason",
    default_severity: Severity::Error,
    summary: "`#[tenant_bypass]` with a missing, empty or placeholder reason",
    docs: r#"## What it does
Checks every bypass — `#[tenant_bypass(..)]`, `tenant_bypass!(..)` and config `[[bypass]]` — for
a reason that says why: missing, empty, whitespace-only and placeholder reasons ("todo", "tbd",
"fixme", "xxx", "-", in any case) are flagged, and so are arguments that do not parse or name an
unknown rule. The bypass still suppresses what it covers; this finding fails the run instead.

## Why is this bad?
A bypass is a deliberate exception to tenant isolation. Without a reason, a reviewer cannot tell a
nightly cross-tenant rollup from a leak someone silenced.

## Example
```rust
#[tenant_bypass(reason = "todo")]
async fn export_all(..) { .. }
```

## How to fix
Say why the exception is safe: `#[tenant_bypass(reason = "nightly rollup of every tenant, runs as
the system worker")]`.
"#,
};

impl Rule for BypassWithoutReason {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_bypasses(&self, cx: &mut RuleCx<'_, '_>, usage: &Usage) {
        for b in &usage.bypasses {
            let problem = if let Some(e) = &b.error {
                Some(format!("malformed bypass: {e}"))
            } else if let Some(p) = tenant_audit_syntax::check_reason(b.reason.as_deref()) {
                Some(p.message())
            } else {
                b.rules
                    .iter()
                    .flatten()
                    .find(|r| tenant_audit_syntax::find_rule(r).is_none())
                    .map(|r| format!("the bypass names unknown rule `{r}`"))
            };
            let Some(problem) = problem else { continue };
            cx.report_at(
                &META,
                b.file.clone(),
                Finding {
                    span: b.span,
                    message: problem,
                    item: b.target.clone(),
                    snippet: format!("{:?} {}", b.origin, b.reason.clone().unwrap_or_default()),
                    label: Some("this bypass".into()),
                    help: Some("write why the exception is safe: `reason = \"nightly rollup across tenants, runs as system\"`".into()),
                },
            );
        }
    }
}

/// True when TA901 flags this bypass (it is then not also TA902).
pub fn flagged(b: &crate::bypass::Bypass) -> bool {
    b.error.is_some() || tenant_audit_syntax::check_reason(b.reason.as_deref()).is_some()
}
