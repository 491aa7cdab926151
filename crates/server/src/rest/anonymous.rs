//! `/v1/security/anonymous`: the anonymous-access switch (Nexus's `AnonymousAccessSettingsXO`).

use super::{RestResult, audit, json_body};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use stowage_core::CoreError;

pub(crate) async fn get(state: State) -> RestResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(state.security.anonymous_settings()))
}

pub(crate) async fn put(
    req: HttpRequest,
    state: State,
    caller: Caller,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let body = json_body(&body)?;
    let mut settings = state.security.anonymous_settings();
    match body.get("enabled") {
        Some(Value::Bool(b)) => settings.enabled = *b,
        _ => return Err(CoreError::invalid("enabled", "is required: true or false").into()),
    }
    if let Some(v) = body.get("userId").filter(|v| !v.is_null()) {
        let user = v
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| CoreError::invalid("userId", "must be a user id"))?;
        if state.services.catalogue.find_user(user).await?.is_none() {
            return Err(
                CoreError::invalid("userId", format!("user '{user}' does not exist")).into(),
            );
        }
        settings.user_id = user.to_owned();
    }
    if let Some(v) = body.get("realmName").and_then(Value::as_str) {
        settings.realm_name = v.to_owned();
    }
    state.security.set_anonymous_settings(&settings).await?;
    let action = if settings.enabled {
        "anonymous.enable"
    } else {
        "anonymous.disable"
    };
    audit(&req, &state, &caller, action, &settings.user_id);
    Ok(HttpResponse::Ok().json(settings))
}
