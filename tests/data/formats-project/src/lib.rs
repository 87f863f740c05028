//! Findings of this project are TA101, TA901 and TA902 only, so the snapshots stay put while
//! query and cache detection grow.
pub mod api;

use axum::{routing::get, Router};

pub fn app() -> Router {
    Router::new()
        .route("/orgs/{org}/invoices", get(api::invoices::list_invoices))
        .route("/orgs/{org}/invoices/{id}", get(api::invoices::show_invoice))
        .route("/status", get(api::status::status))
        .route("/metrics", get(api::status::metrics))
}
