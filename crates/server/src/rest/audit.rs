//! `/v1/audit`: the latest audit events (`?limit=`, default 100, at most 10,000), oldest first.

use super::RestResult;
use crate::state::State;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use stowage_core::CoreError;

#[derive(Deserialize)]
pub(crate) struct Query {
    limit: Option<usize>,
}

pub(crate) async fn list(state: State, query: web::Query<Query>) -> RestResult<HttpResponse> {
    let limit = query.limit.unwrap_or(100).min(10_000);
    let events = state
        .security
        .audit()
        .recent(limit)
        .await
        .map_err(CoreError::Io)?;
    Ok(HttpResponse::Ok().json(events))
}
