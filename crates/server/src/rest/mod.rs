//! The Nexus-compatible REST API under `/service/rest`, one file per endpoint group. Field names
//! follow Sonatype's generated client (`nexus-api-client`) exactly.

//! The routes themselves, with the privilege each needs, are listed in `crate::routes`.

pub(crate) mod anonymous;
pub(crate) mod assets;
pub(crate) mod audit;
pub(crate) mod blobstores;
pub(crate) mod components;
pub(crate) mod privileges;
pub(crate) mod repositories;
pub(crate) mod roles;
pub(crate) mod status;
pub(crate) mod user_tokens;
pub(crate) mod users;

use crate::auth::{Caller, client_ip};
use crate::state::State;
use actix_web::{HttpRequest, web};
use stowage_core::CoreError;
use stowage_core::security::audit::AuditEvent;

/// Appends `action` on `target` by the caller to the audit log.
pub fn audit(req: &HttpRequest, state: &State, caller: &Caller, action: &str, target: &str) {
    state.security.audit().record(AuditEvent::new(
        caller.name(),
        Some(&client_ip(req)),
        action,
        target,
    ));
}

/// Result of a REST handler.
pub type RestResult<T> = Result<T, crate::error::RestError>;

pub use stowage_core::web::base_url;

/// Parses a JSON body into a `Value`, naming the problem on failure.
pub fn json_body(bytes: &web::Bytes) -> Result<serde_json::Value, CoreError> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| CoreError::invalid("body", format!("is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(CoreError::invalid("body", "must be a JSON object"));
    }
    Ok(v)
}
