//! `#[requires]` and `#[tenant_bypass]` compose with framework attributes, in either order.

#![deny(warnings)]

use tenant_audit::{requires, tenant_bypass};

pub mod rbac {
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Scope {
        IncidentsRead,
        IncidentsWrite,
        Admin,
    }
}
use rbac::Scope;

mod axum_handlers {
    use super::*;
    use axum::extract::Path;
    use axum::routing::{get, post};
    use axum::Router;

    /// Lists incidents.
    #[requires(Scope::IncidentsRead)]
    #[tenant_bypass(rules = ["TA201"], reason = "incident counts are platform-wide")]
    pub async fn list() -> &'static str {
        "incidents"
    }

    #[tenant_bypass(reason = "health check is public")]
    pub async fn health() -> &'static str {
        "ok"
    }

    #[requires(Scope::IncidentsWrite, "incidents:write")]
    pub async fn close(Path(id): Path<u64>) -> String {
        let n =
            tenant_audit::expr::tenant_bypass!(reason = "closing is audited per tenant", id + 1);
        format!("closed {n}")
    }

    pub fn router() -> Router {
        Router::new()
            .route("/x", get(list))
            .route("/health", get(health))
            .route("/incidents/{id}/close", post(close))
    }
}

mod actix_handlers {
    use super::*;
    use actix_web::{get, HttpResponse, Responder};

    // Ours above the framework's.
    #[requires(Scope::IncidentsRead)]
    #[tenant_bypass(reason = "the list of public incidents spans tenants")]
    #[get("/x")]
    pub async fn above() -> impl Responder {
        HttpResponse::Ok().body("above")
    }

    // Ours below the framework's.
    #[get("/y")]
    #[requires(Scope::Admin, "admin:read")]
    #[tenant_bypass(rules = ["TA201", "unscoped-cache-key"], reason = "staff dashboard totals")]
    pub async fn below() -> impl Responder {
        HttpResponse::Ok().body("below")
    }

    // Mixed: one above, one below.
    #[tenant_bypass(reason = "public status page")]
    #[get("/z")]
    #[requires("status:read")]
    pub async fn mixed() -> impl Responder {
        HttpResponse::Ok().body("mixed")
    }
}

mod impl_attribute {
    //! An outer attribute on the impl that rewrites its methods first, like poem-openapi's
    //! `#[OpenApi]`; `#[requires]` then expands on the rewritten method.
    use super::*;
    use async_trait::async_trait;

    #[async_trait]
    pub trait IncidentApi {
        async fn count(&self) -> u32;
        async fn purge(&self) -> u32;
    }

    pub struct Service;

    #[async_trait]
    impl IncidentApi for Service {
        #[requires(Scope::IncidentsRead)]
        async fn count(&self) -> u32 {
            3
        }

        #[tenant_bypass(reason = "purges soft-deleted rows of every tenant")]
        #[requires(Scope::Admin)]
        async fn purge(&self) -> u32 {
            tenant_audit::expr::tenant_bypass!(reason = "platform-wide purge", self.count().await)
                + 1
        }
    }

    #[tenant_bypass(reason = "maintenance runs for every tenant")]
    #[async_trait]
    impl Maintenance for Service {
        async fn vacuum(&self) -> u32 {
            7
        }
    }

    #[async_trait]
    pub trait Maintenance {
        async fn vacuum(&self) -> u32;
    }
}

#[tokio::test]
async fn axum_handlers_run_and_register_on_a_router() {
    let router = axum_handlers::router();
    let _service = router.into_make_service();
    assert_eq!(axum_handlers::list().await, "incidents");
    assert_eq!(axum_handlers::health().await, "ok");
    assert_eq!(
        axum_handlers::close(axum::extract::Path(41)).await,
        "closed 42"
    );
}

#[actix_web::test]
async fn actix_handlers_serve_requests_in_either_attribute_order() {
    use actix_web::{test, App};
    let app = test::init_service(
        App::new()
            .service(actix_handlers::above)
            .service(actix_handlers::below)
            .service(actix_handlers::mixed),
    )
    .await;
    for (uri, body) in [("/x", "above"), ("/y", "below"), ("/z", "mixed")] {
        let resp =
            test::call_and_read_body(&app, test::TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(resp, body.as_bytes(), "{uri}");
    }
}

#[tokio::test]
async fn methods_rewritten_by_an_outer_impl_attribute() {
    use impl_attribute::{IncidentApi, Maintenance, Service};
    assert_eq!(Service.count().await, 3);
    assert_eq!(Service.purge().await, 4);
    assert_eq!(Service.vacuum().await, 7);
    let _ = Scope::IncidentsWrite;
}
