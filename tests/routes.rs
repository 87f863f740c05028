//! `cargo tenant-audit routes` end to end: the built binary on a fixture project.

use std::path::{Path, PathBuf};
use std::process::Command;

fn project(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/rules/unprotected-handler")
        .join(name)
        .join("Cargo.toml")
}

fn routes(name: &str, extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-tenant-audit"))
        .arg("routes")
        .arg("--manifest-path")
        .arg(project(name))
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    assert!(
        out.stderr.is_empty() || out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 output"),
    )
}

/// The row of the human table for a method and path.
fn row<'a>(table: &'a str, method: &str, path: &str) -> &'a str {
    table
        .lines()
        .find(|l| {
            let cells: Vec<&str> = l.split_whitespace().collect();
            cells.first() == Some(&method) && cells.get(1) == Some(&path)
        })
        .unwrap_or_else(|| panic!("no row `{method} {path}` in:\n{table}"))
}

#[test]
fn human_table_lists_every_actix_route_with_its_protection() {
    let (code, out) = routes("actix-helpdesk", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.lines().next().unwrap().starts_with("METHOD"), "{out}");

    // Scope prefixes joined with attribute paths, `.configure` followed into another file.
    let list = row(&out, "GET", "/api/orgs/{org_id}/tickets");
    assert!(list.contains("api::tickets::list_tickets"), "{list}");
    assert!(list.contains("src/api/tickets.rs:"), "{list}");
    assert!(list.contains("requires tickets:read"), "{list}");

    // Each kind of evidence.
    assert!(row(&out, "DELETE", "/api/orgs/{org_id}/tickets/{id}").contains("check ensure_scope()"));
    assert!(row(&out, "POST", "/api/orgs/{org_id}/tags").contains("guard AdminUser"));
    assert!(row(&out, "DELETE", "/api/orgs/{org_id}/admin/purge")
        .contains("layer from_fn(auth::require_member)"));
    assert!(
        row(&out, "POST", "/api/orgs/{org_id}/tickets/{id}/assign").contains("layer RequireScope")
    );
    assert!(row(&out, "GET", "/healthz").contains("bypass: public liveness probe"));

    // What declares nothing.
    for (m, p) in [
        ("GET", "/api/orgs/{org_id}/search"),
        // `#[routes] #[get] #[head]`: one row.
        ("GET,HEAD", "/api/orgs/{org_id}/tickets/{id}"),
        ("POST,PUT", "/api/orgs/{org_id}/tickets/{id}/close"),
        ("ANY", "/api/orgs/{org_id}/tags/{tag}"),
    ] {
        // PROTECTION, then the REACHES column.
        assert!(row(&out, m, p).contains(" UNPROTECTED "), "{m} {p}:\n{out}");
    }
    assert!(out.contains("16 route(s), 7 unprotected"), "{out}");
}

#[test]
fn json_inventory_has_one_object_per_route() {
    let (code, out) = routes("rocket-invoices", &["--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(v["version"], 1);
    let routes = v["routes"].as_array().expect("a routes array");
    assert_eq!(routes.len(), 8, "{out}");
    let find = |path: &str, method: &str| {
        routes
            .iter()
            .find(|r| r["path"] == path && r["methods"][0] == method)
            .unwrap_or_else(|| panic!("no {method} {path} in {out}"))
    };
    // `mount("/api", routes![..])` joined with the attribute's path.
    let show = find("/api/orgs/<org>/invoices/<id>", "GET");
    assert_eq!(show["handler"], "invoices::show");
    assert_eq!(show["file"], "src/invoices.rs");
    assert!(show["protection"].is_null(), "{show}");
    let create = find("/api/orgs/<org>/invoices", "POST");
    assert_eq!(create["protection"], "guard AdminUser");
    // A fn returning `routes![..]`, mounted under /admin.
    assert_eq!(find("/admin/stats", "GET")["framework"], "rocket");
}

/// `check --format json` on a fixture project: its findings' messages by file and line.
fn messages(name: &str) -> Vec<(String, u64, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-tenant-audit"))
        .arg("--manifest-path")
        .arg(project(name))
        .args(["--format", "json"])
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    v["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn reassigned_axum_router_keeps_every_path_and_the_layer_of_each() {
    let (code, out) = routes("axum-reassigned", &[]);
    assert_eq!(code, 0, "{out}");
    let layer = "layer middleware::from_fn(auth::auth_middleware)";
    // `router = router.route(..)`, an `if` block, a `#[cfg]` block, both `match` arms and a
    // router from another crate: all under the layer of the fn's tail.
    for (m, p, h) in [
        ("GET", "/api/{org}/users", "handlers::users::list"),
        ("GET", "/api/{org}/sso/login", "handlers::sso::login"),
        ("GET", "/api/{org}/billing", "handlers::billing::show"),
        ("GET", "/api/{org}/nodes", "handlers::streams::nodes"),
        ("PUT", "/api/{org}/kv/{key}", "kv::set_value"),
        // A loop over a literal array: each path with its own handler.
        ("POST", "/api/{org}/pipelines", "handlers::pipelines::list"),
        (
            "POST",
            "/api/{org}/pipelines/new",
            "handlers::pipelines::create",
        ),
        ("POST", "/api/{org}/alerts", "handlers::pipelines::alerts"),
        // Layers in the caller, on a router returned through `Router::new().merge(x)`.
        ("POST", "/internal/flush", "handlers::internal::flush"),
        ("DELETE", "/admin/purge", "handlers::admin::purge"),
        // A struct literal's field, nested before the layer.
        (
            "POST",
            "/dashboards/{id}/share",
            "handlers::dashboards::share",
        ),
        // Layered on both branches of an `if`.
        ("GET", "/late/covered", "handlers::late::covered"),
    ] {
        let r = row(&out, m, p);
        assert!(r.contains(h) && r.contains(layer), "{m} {p}: {r}");
    }
    let streams: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("GET") && l.contains(" /api/{org}/streams "))
        .collect();
    assert_eq!(streams.len(), 2, "one row per match arm:\n{out}");
    // A method fallback keeps its path (and is not a router fallback of its own).
    assert!(row(&out, "ANY", "/api/{org}/users").contains("handlers::users::not_allowed"));
    assert!(row(&out, "ANY", "/version").contains("version_other_methods"));
    assert!(!out.contains("{*fallback}"), "{out}");
    assert!(!out.contains("{path}"), "{out}");
    // A layer on one path only, or before the route was added, covers nothing.
    for (m, p) in [
        ("GET", "/reports"),
        ("POST", "/reports/{id}/send"),
        ("GET", "/late/after"),
        ("GET", "/dashboards/{id}/public"),
        ("GET", "/status/full"),
    ] {
        assert!(row(&out, m, p).contains(" UNPROTECTED "), "{m} {p}:\n{out}");
    }
}

#[test]
fn containers_built_in_steps_keep_their_prefix() {
    // actix: a scope reassigned and configured in a loop over fn pointers, wrapped later.
    let (code, out) = routes("actix-steps", &[]);
    assert_eq!(code, 0, "{out}");
    for (m, p) in [
        ("GET", "/orgs/{org_id}/users"),
        ("PUT", "/orgs/{org_id}/roles/{role}"),
        ("POST", "/orgs/{org_id}/groups"),
        ("GET", "/orgs/{org_id}/audit"),
    ] {
        assert!(
            row(&out, m, p).contains("layer auth::RequireOrgMember"),
            "{m} {p}:\n{out}"
        );
    }
    assert!(
        row(&out, "GET", "/public/orgs").contains(" UNPROTECTED "),
        "{out}"
    );

    // rocket: vectors appended to in steps, mounted under a `[base, "/api"].concat()` prefix.
    let (code, out) = routes("rocket-mounts", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(row(&out, "GET", "/{base}/api/accounts/profile").contains("guard Headers"));
    assert!(row(&out, "POST", "/{base}/api/ciphers/<id>/share").contains("guard Headers"));
    assert!(row(&out, "POST", "/{base}/identity/accounts/prelogin").contains(" UNPROTECTED "));
    assert!(row(&out, "DELETE", "/{base}/admin/accounts/all").contains("layer auth::AdminGuard"));
    // Every route vector is mounted: no route without its prefix.
    assert!(
        out.lines()
            .skip(1)
            .filter(|l| l.contains('/'))
            .all(|l| l.contains("/{base}/")),
        "{out}"
    );

    // poem-openapi: the prefix of the `nest` that takes the `OpenApiService` is joined.
    let (code, out) = routes("poem-docs", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(row(&out, "GET", "/oapi/v1/:org_id/docs/:id").contains("requires docs:read"));
    assert!(row(&out, "DELETE", "/admin/oapi/v1/orgs/:org_id").contains("layer auth::RequireAdmin"));
}

#[test]
fn permissions_handed_to_a_wrapper_are_guards() {
    let (code, out) = routes("actix-permission-values", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(row(&out, "GET", "/customers").contains("guard JWTAuth (value)"));
    assert!(row(&out, "POST", "/customers/{customer_id}").contains("guard ApiKeyAuth (value)"));
    assert!(row(&out, "POST", "/accounts").contains("guard AdminApiAuth (value)"));
    assert!(row(&out, "POST", "/refunds/{id}/sync")
        .contains("guard JWTAuth (value) via refunds::sync_level1 → refunds::wrap_refund"));
    // `NoAuth` is no guard.
    assert!(row(&out, "GET", "/customers/{customer_id}/public").contains(" UNPROTECTED "));
}

#[test]
fn checks_deeper_in_the_call_graph_protect_and_the_message_says_what_was_searched() {
    let (code, out) = routes("actix-call-depth", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(row(&out, "POST", "/api/workspace/{workspace_id}/space").contains(
        "check check_write_workspace_permission() via space::create_space → collab::upsert_collab"
    ));
    assert!(row(
        &out,
        "PATCH",
        "/api/workspace/{workspace_id}/space/{view_id}"
    )
    .contains("check enforce_action() via PgSpaces::rename"));
    assert!(
        row(&out, "GET", "/routing/payouts").contains("check enforce_action() via routing::list")
    );

    let found = messages("actix-call-depth");
    let at = |file: &str, line: u64| {
        found
            .iter()
            .find(|(f, l, _)| f == file && *l == line)
            .map(|(_, _, m)| m.as_str())
            .unwrap_or_else(|| panic!("no finding at {file}:{line} in {found:?}"))
    };
    // Four calls from the handler: past `check-depth = 3`, and the message names the fns searched.
    assert_eq!(
        at("src/api/workspace.rs", 25),
        "handler `import_space_handler` (POST /api/workspace/{workspace_id}/space/import) declares no permission (searched 3 calls deep: collab::import_level1, collab::import_level2)"
    );
    assert!(
        at("src/api/workspace.rs", 39).ends_with(
            "(searched 3 calls deep: SpaceService::archive, PgSpaces::archive, MemSpaces::archive)"
        ),
        "{found:?}"
    );
    // Recursion is searched once.
    assert!(
        at("src/api/workspace.rs", 47)
            .ends_with("(searched 3 calls deep: collab::walk_folder, collab::visit_children)"),
        "{found:?}"
    );
}
