use super::{Finding, Rule, RuleCx, RuleMeta};
use crate::diagnostic::Severity;
use crate::frameworks::endpoints::{by_handler, Endpoint, Handler};
use crate::frameworks::protection::{handler_evidence, layer_evidence, searched};

pub struct UnprotectedHandler;

static META: RuleMeta = RuleMeta {
    code: "TA101",
    name: "unprotected-handler",
    default_severity: Severity::Error,
    summary: "an HTTP handler with no permission declaration",
    docs: r#"## What it does
Finds every HTTP handler — a fn with a route attribute (`#[get("/x")]`, `#[handler]`, `#[oai(..)]`)
or a fn or closure registered on a router (`Router::route`, `web::resource(..).route(..)`,
`routes![..]`, `Route::at`) — and checks that it declares what permission it needs.

Evidence that protects a handler:
- `#[requires(scope, ...)]` on the fn (even with an unknown scope: that is TA102 alone);
- a parameter whose type is listed in `[handlers] guards` (bare, `&T`, `Extension<T>`,
  `web::ReqData<T>`, `Data<&T>`); an `Option<T>` (or a newtype around one) only when its `None`
  is rejected before anything else happens (`let Some(u) = auth else { return Err(..) }`, a
  `None` arm that returns an error, `.ok_or(..)?`, `if auth.is_none() { return .. }`);
- a value of a guard type handed to a call (`server_wrap(.., &auth::JwtAuth { .. })`, a unit
  struct, a tuple constructor, inside `Box::new(..)`);
- a call to a fn or method listed in `[handlers] checks`, in the body or in a fn the handler
  calls, at most `[handlers] check-depth` calls from it (default 3); a guard value likewise;
- a layer or wrap that names an entry of `[handlers] layers` and covers the route on every path
  the router is built along (axum `.layer`/`.route_layer` cover only routes added before them;
  actix `.wrap` and poem `.with` cover their whole container).

## Why is this bad?
A handler without a permission check serves whoever can reach it. In a multi-tenant service that
is usually any logged-in user of any tenant.

## Example
```rust
async fn delete_invoice(State(db): State<PgPool>, Path(id): Path<Uuid>) -> StatusCode { .. }
```

## How to fix
Declare the permission: `#[requires(Scope::InvoicesWrite)]`, or take a guard extractor, or
register the route under your auth layer. For a public endpoint, say so:
`#[tenant_bypass(reason = "health check is public")]`.
"#,
};

impl Rule for UnprotectedHandler {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleCx<'_, '_>) {
        let config = cx.index.config;
        let groups = by_handler(cx.endpoints);
        let mut findings = Vec::new();
        for (handler, eps) in groups {
            let uncovered: Vec<&Endpoint> = eps
                .iter()
                .copied()
                .filter(|e| layer_evidence(config, e).is_none())
                .collect();
            if uncovered.is_empty() {
                continue;
            }
            let routes = describe(&uncovered);
            match handler {
                Handler::Fn(id) => {
                    let f = cx.index.func(id);
                    if handler_evidence(cx.index, cx.graph, id).is_some() {
                        continue;
                    }
                    let name = if f.is_closure { "closure".to_string() } else { format!("`{}`", f.name) };
                    let depth = config.handlers.check_depth;
                    let (names, total) = searched(cx.index, cx.graph, id);
                    let searched = match total {
                        0 => String::new(),
                        _ => format!(
                            " (searched {depth} call{} deep: {}{})",
                            if depth == 1 { "" } else { "s" },
                            names.join(", "),
                            if total > names.len() {
                                format!(" and {} more", total - names.len())
                            } else {
                                String::new()
                            }
                        ),
                    };
                    findings.push((
                        id.file,
                        Finding {
                            span: f.span,
                            message: format!("handler {name} ({routes}) declares no permission{searched}"),
                            item: f.item().to_string(),
                            snippet: format!("{} {}", f.item(), routes),
                            label: Some("no #[requires], guard, check or auth layer".into()),
                            help: Some(help()),
                        },
                    ));
                }
                Handler::Unresolved { file, span, name } => findings.push((
                    file,
                    Finding {
                        span,
                        message: format!(
                            "handler `{name}` ({routes}) is not a fn of this workspace, so its permission cannot be checked"
                        ),
                        item: String::new(),
                        snippet: format!("{name} {routes}"),
                        label: Some("registered here".into()),
                        help: Some("cover the route with a configured auth layer, or bypass it with a reason".into()),
                    },
                )),
            }
        }
        for (file, f) in findings {
            cx.report(&META, file, f);
        }
    }
}

/// `GET,HEAD /a, POST /b`: the routes of one handler, methods of the same path together.
fn describe(eps: &[&Endpoint]) -> String {
    let mut by_path: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for e in eps {
        let methods = if e.methods.is_empty() {
            vec!["ANY".to_string()]
        } else {
            e.methods.clone()
        };
        match by_path.iter_mut().find(|(p, _)| *p == e.path) {
            Some((_, ms)) => {
                for m in methods {
                    if !ms.contains(&m) {
                        ms.push(m);
                    }
                }
            }
            None => by_path.push((e.path.clone(), methods)),
        }
    }
    by_path
        .iter()
        .map(|(p, ms)| format!("{} {}", ms.join(","), p.as_deref().unwrap_or("?")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn help() -> String {
    "add `#[requires(Scope::..)]` (or a configured guard, check or layer); for a public endpoint add `#[tenant_bypass(reason = \"..\")]`".into()
}
