use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::diagnostic::Severity;
use crate::frameworks::scopes::Scopes;

pub struct UnknownScope;

static META: RuleMeta = RuleMeta {
    code: "TA102",
    name: "unknown-scope",
    default_severity: Severity::Error,
    summary: "`#[requires(X)]` where X is not a declared scope",
    docs: r#"## What it does
Checks every scope named in `#[requires(..)]` against the declared scopes: the variants of
`[scopes] enum` (found in the workspace by name) and the strings of `[scopes] known`. It does not
fire when no scopes are configured.

## Why is this bad?
A misspelt scope string (`"invoices:wirte"`) is a permission nobody holds or everybody holds,
depending on how the check is written; either way the declaration does not mean what it says.

## Example
```rust
#[requires("invoice:write")]   // declared: "invoices:write"
async fn update_invoice(..) { .. }
```

## How to fix
Use a declared scope, or declare the new one in `[scopes] known` (or as a variant of the enum).
Path scopes such as `Scope::InvoicesWrite` are also checked by the compiler through the
`#[requires]` macro.
"#,
};

impl Rule for UnknownScope {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleCx<'_, '_>) {
        let Some(scopes) = Scopes::load(cx.index) else {
            return;
        };
        let enum_name = cx.index.config.scopes.enum_name.clone();
        let mut findings = Vec::new();
        for (fi, f) in cx.index.files.iter().enumerate() {
            for func in &f.fns {
                let Some(req) = func.requires() else { continue };
                for s in &req.scopes {
                    if scopes.contains(&s.key, &s.display, s.is_path) {
                        continue;
                    }
                    let why = match (&enum_name, scopes.enum_found, s.is_path) {
                        (Some(e), false, true) => {
                            format!("the scope enum `{e}` was not found in the workspace")
                        }
                        (Some(e), true, true) => format!("`{}` is not a variant of `{e}`", s.key),
                        _ => "it is not in `[scopes] known`".to_string(),
                    };
                    findings.push((
                        fi,
                        Finding {
                            span: s.span,
                            message: format!("unknown scope `{}` on `{}`: {why}", s.display, func.name),
                            item: func.item().to_string(),
                            snippet: s.display.clone(),
                            label: Some("not a declared scope".into()),
                            help: Some("use a declared scope, or declare it in `[scopes] known` / the scope enum".into()),
                        },
                    ));
                }
            }
        }
        for (fi, f) in findings {
            cx.report(&META, fi, f);
        }
    }
}
