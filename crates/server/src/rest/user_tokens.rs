//! `/v1/security/users/{userId}/tokens`: a user's named tokens for CI. A token works as the
//! password for `docker login` and HTTP Basic (with the owner's user id); only its hash is
//! stored, so it is shown once, on creation. Users manage their own; listing or revoking
//! someone else's needs `nx-apikey-read` / `nx-apikey-delete`. (Nexus's own
//! `/v1/security/user-tokens` is the settings of its single-token-per-user feature; these paths
//! do not collide with it.)

use super::{RestResult, audit, json_body};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::security::user_tokens::{self, UserToken};
use stowage_core::security::{AppAction, Permission};
use stowage_core::{CoreError, now_millis, rfc3339};

/// The longest allowed lifetime.
const MAX_DAYS: i64 = 3650;

pub(crate) fn token_xo(t: &UserToken) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "userId": t.user_id,
        "created": rfc3339(t.created),
        "expires": t.expires.map(rfc3339),
        "isExpired": t.is_expired(now_millis()),
        "lastUsed": t.last_used.map(rfc3339),
    })
}

/// Fails unless the caller is `user_id` or holds `nx-apikey-<action>`.
fn own_or(caller: &Caller, user_id: &str, action: AppAction) -> Result<(), CoreError> {
    if caller.user()?.user_id == user_id {
        return Ok(());
    }
    caller
        .require(Permission::Application {
            domain: "apikey",
            action,
        })
        .map(|_| ())
}

pub(crate) async fn list(
    state: State,
    caller: Caller,
    user_id: web::Path<String>,
) -> RestResult<HttpResponse> {
    own_or(&caller, &user_id, AppAction::Read)?;
    let tokens = state.services.catalogue.list_user_tokens(&user_id).await?;
    Ok(HttpResponse::Ok().json(tokens.iter().map(token_xo).collect::<Vec<_>>()))
}

/// `POST {"name": "ci", "expiresInDays": 90}` for oneself: 201 with the token, shown this once.
pub(crate) async fn create(
    req: HttpRequest,
    state: State,
    caller: Caller,
    user_id: web::Path<String>,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let (token, secret) = create_token(&req, &state, &caller, &user_id, &json_body(&body)?).await?;
    let mut out = token_xo(&token);
    out["token"] = Value::String(secret);
    Ok(HttpResponse::Created().json(out))
}

/// Creates a token for `user_id`, who must be the caller; returns it with its secret. Shared
/// by REST and the UI.
pub(crate) async fn create_token(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    user_id: &str,
    body: &Value,
) -> Result<(UserToken, String), CoreError> {
    let me = caller.user()?;
    if me.user_id != user_id {
        return Err(CoreError::Forbidden(
            "tokens can only be created by their owner".into(),
        ));
    }
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.len() <= 100)
        .ok_or_else(|| CoreError::invalid("name", "is required (at most 100 characters)"))?;
    let days = match body.get("expiresInDays") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .filter(|d| (1..=MAX_DAYS).contains(d))
                .ok_or_else(|| {
                    CoreError::invalid(
                        "expiresInDays",
                        format!("must be a whole number of days from 1 to {MAX_DAYS}"),
                    )
                })?,
        ),
    };
    let now = now_millis();
    let token = UserToken {
        id: stowage_core::security::password::random_secret(),
        user_id: me.user_id.clone(),
        name: name.to_owned(),
        created: now,
        expires: days.map(|d| now + d * 86_400_000),
        last_used: None,
    };
    let secret = user_tokens::generate();
    state
        .services
        .catalogue
        .create_user_token(&token, &user_tokens::hash(&secret))
        .await?;
    audit(
        req,
        state,
        caller,
        "user-token.create",
        &format!("{}/{}", token.user_id, token.name),
    );
    Ok((token, secret))
}

pub(crate) async fn revoke(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> RestResult<HttpResponse> {
    let (user_id, id) = path.into_inner();
    revoke_token(&req, &state, &caller, &user_id, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revokes token `id` of `user_id` (the caller's own, or with `nx-apikey-delete`). Shared by
/// REST and the UI.
pub(crate) async fn revoke_token(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    user_id: &str,
    id: &str,
) -> Result<(), CoreError> {
    own_or(caller, user_id, AppAction::Delete)?;
    state
        .services
        .catalogue
        .delete_user_token(user_id, id)
        .await?;
    // Credentials verified with the token are cached: drop them so the next use fails.
    state.security.authenticator().forget(user_id);
    audit(
        req,
        state,
        caller,
        "user-token.revoke",
        &format!("{user_id}/{id}"),
    );
    Ok(())
}
