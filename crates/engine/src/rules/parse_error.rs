use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::diagnostic::Severity;

pub struct ParseErrorRule;

static META: RuleMeta = RuleMeta {
    code: "TA001",
    name: "parse-error",
    default_severity: Severity::Warning,
    summary: "a file that cannot be parsed (the run goes on; the file is named)",
    docs: r#"## What it does
Reports a Rust file that `syn` cannot parse, cannot be read, or is not UTF-8, and a SQL
migration that cannot be read. The audit of the rest
of the workspace goes on; nothing in this file was checked.

## Why is this bad?
A file the tool cannot read is a file whose handlers, queries and cache keys were not audited. A
silent pass would hide leaks, so the file is named. With `--strict` this finding fails the run.

## Example
```rust
fn broken( {   // unclosed delimiter
```

## How to fix
Make the file parse (`cargo check` shows the same error). Code that only parses with unstable
syntax can be excluded with a `[[bypass]]` entry in the config, with a reason.
"#,
};

impl Rule for ParseErrorRule {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleCx<'_, '_>) {
        for (fi, f) in cx.index.files.iter().enumerate() {
            let Some(e) = &f.parse_error else { continue };
            let message = if e.internal {
                format!("internal error while auditing this file: {}", e.message)
            } else {
                format!("cannot parse this file: {}", e.message)
            };
            cx.report(
                &META,
                fi,
                Finding {
                    span: e.span,
                    message,
                    item: String::new(),
                    snippet: e.message.clone(),
                    label: Some("here".into()),
                    help: Some("nothing in this file was audited; fix the syntax error (cargo check shows it too)".into()),
                },
            );
        }
        // A migration that cannot be read leaves the schema incomplete: say so.
        for (file, message) in &cx.index.schema_problems {
            cx.report_at(
                &META,
                file.clone(),
                Finding {
                    span: crate::diagnostic::Span::point(1, 1),
                    message: format!("cannot read this migration: {message}"),
                    item: String::new(),
                    snippet: message.clone(),
                    label: None,
                    help: Some(
                        "the schema is incomplete: tables it declares are judged as if unknown"
                            .into(),
                    ),
                },
            );
        }
    }
}
