use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::bypass::Usage;
use crate::diagnostic::Severity;

pub struct UnusedBypass;

static META: RuleMeta = RuleMeta {
    code: "TA902",
    name: "unused-bypass",
    default_severity: Severity::Warning,
    summary: "a bypass that suppresses nothing",
    docs: r#"## What it does
Reports a bypass that covered no finding in this run: a `#[tenant_bypass]` on code that is now
correct, a `rules = [..]` restriction that matches nothing, a config `[[bypass]]` whose `path`, `item` or
`route` glob matches no finding (the finding sits at its `[[bypass]]` header in the config file).

## Why is this bad?
Stale bypasses accumulate, and a stale one silently covers the next leak written under it.

## Example
```rust
#[tenant_bypass(reason = "legacy export")]   // the query below is scoped now
async fn export(org: OrgId, db: &PgPool) { /* WHERE org_id = $1 */ }
```

## How to fix
Remove the bypass, or narrow it to the rules and code that still need it.
"#,
};

impl Rule for UnusedBypass {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_bypasses(&self, cx: &mut RuleCx<'_, '_>, usage: &Usage) {
        for b in &usage.bypasses {
            if b.used > 0 || super::bypass_without_reason::flagged(b) {
                continue;
            }
            let what = match (b.origin, b.by) {
                (crate::bypass::Origin::Config, Some("path") | None) => {
                    format!("`[[bypass]]` for `{}`", b.target)
                }
                (crate::bypass::Origin::Config, Some(by)) => {
                    let target = b.describe_target();
                    let target = target.strip_prefix(by).unwrap_or(&target).trim();
                    format!("`[[bypass]]` for {by} `{target}`")
                }
                _ => "this bypass".to_string(),
            };
            cx.report_at(
                &META,
                b.file.clone(),
                Finding {
                    span: b.span,
                    message: format!("{what} suppresses nothing"),
                    item: b.target.clone(),
                    snippet: format!("{:?} {}", b.origin, b.reason.clone().unwrap_or_default()),
                    label: Some("covers no finding".into()),
                    help: Some("remove it, or narrow it to what still needs it".into()),
                },
            );
        }
    }
}
