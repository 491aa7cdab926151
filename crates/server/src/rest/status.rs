//! `GET /v1/status` (the server is up) and `GET /v1/status/writable` (it can take writes).

use crate::state::State;
use actix_web::HttpResponse;

pub(crate) async fn status() -> HttpResponse {
    HttpResponse::Ok().finish()
}

pub(crate) async fn writable(state: State) -> HttpResponse {
    match state.services.catalogue.ping().await {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(e) => {
            tracing::warn!(error = %crate::error::chain(&e), "catalogue not writable");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}
