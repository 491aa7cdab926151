//! `GET /v1/status` (the server is up) and `GET /v1/status/writable` (it can take writes).

use crate::state::State;
use actix_web::{HttpResponse, web};

/// Registers the status routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/status", web::get().to(status))
        .route("/status/writable", web::get().to(writable));
}

async fn status() -> HttpResponse {
    HttpResponse::Ok().finish()
}

async fn writable(state: State) -> HttpResponse {
    match state.services.catalogue.ping().await {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(e) => {
            tracing::warn!(error = %crate::error::chain(&e), "catalogue not writable");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}
