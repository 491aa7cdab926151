//! The Nexus-compatible REST API under `/service/rest`, one file per endpoint group. Field names
//! follow Sonatype's generated client (`nexus-api-client`) exactly.

mod assets;
mod blobstores;
mod components;
mod repositories;
mod status;
mod users;

use actix_web::{HttpRequest, web};
use stowage_core::CoreError;

/// Registers every REST route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/service/rest/v1")
            .configure(status::configure)
            .configure(repositories::configure)
            .configure(blobstores::configure)
            .configure(components::configure)
            .configure(assets::configure)
            .configure(users::configure),
    );
}

/// Result of a REST handler.
pub type RestResult<T> = Result<T, crate::error::RestError>;

/// The base URL clients reach this server at: the configured `base_url`, else the request's
/// scheme and Host.
pub fn base_url(req: &HttpRequest) -> String {
    if let Some(state) = req.app_data::<crate::state::State>()
        && let Some(base) = &state.services.config.base_url
    {
        return base.trim_end_matches('/').to_owned();
    }
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Parses a JSON body into a `Value`, naming the problem on failure.
pub fn json_body(bytes: &web::Bytes) -> Result<serde_json::Value, CoreError> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| CoreError::invalid("body", format!("is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(CoreError::invalid("body", "must be a JSON object"));
    }
    Ok(v)
}
