use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::diagnostic::Severity;
use crate::frameworks::scopes::Scopes;
use foldhash::{HashSet, HashSetExt};

pub struct UnusedScope;

static META: RuleMeta = RuleMeta {
    code: "TA103",
    name: "unused-scope",
    default_severity: Severity::Note,
    summary: "a declared scope that no handler requires",
    docs: r#"## What it does
Lists the declared scopes (variants of `[scopes] enum`, strings of `[scopes] known`) that no
`#[requires(..)]` in the workspace names. The finding sits at the enum variant, or at the entry
in the config file.

## Why is this bad?
A scope nobody requires is often the permission a handler forgot to declare (it is protected by
something weaker), or a leftover that makes the permission model harder to review.

## Example
```rust
enum Scope { UsersRead, UsersWrite }   // UsersWrite: no handler requires it
```

## How to fix
Require it on the handler that needs it, or remove it.
"#,
};

impl Rule for UnusedScope {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleCx<'_, '_>) {
        let Some(scopes) = Scopes::load(cx.index) else {
            return;
        };
        let mut used: HashSet<String> = HashSet::new();
        for f in cx.index.files {
            for func in &f.fns {
                if let Some(r) = func.requires() {
                    for s in &r.scopes {
                        used.insert(s.key.clone());
                        used.insert(s.display.clone());
                    }
                }
            }
        }
        for (name, fi, span) in &scopes.variants {
            if used.contains(name) {
                continue;
            }
            cx.report(
                &META,
                *fi,
                Finding {
                    span: *span,
                    message: format!("scope `{name}` is declared but no handler requires it"),
                    item: name.clone(),
                    snippet: name.clone(),
                    label: Some("required nowhere".into()),
                    help: Some(
                        "require it with `#[requires(..)]` where it is needed, or remove it".into(),
                    ),
                },
            );
        }
        let config_file = cx.index.config.source.as_ref().map(|s| s.display.clone());
        for (name, span) in &scopes.known {
            if used.contains(name) {
                continue;
            }
            let Some(file) = config_file.clone() else {
                continue;
            };
            cx.report_at(
                &META,
                file,
                Finding {
                    span: *span,
                    message: format!("scope `{name}` is declared but no handler requires it"),
                    item: name.clone(),
                    snippet: name.clone(),
                    label: Some("required nowhere".into()),
                    help: Some("require it with `#[requires(..)]` where it is needed, or remove it from `[scopes] known`".into()),
                },
            );
        }
    }
}
