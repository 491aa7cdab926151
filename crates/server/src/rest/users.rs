//! `/v1/security/users`: list and create local users, change a password.

use super::{RestResult, json_body};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use stowage_core::CoreError;
use stowage_core::model::{User, UserStatus};
use stowage_core::security::{BUILTIN_ROLES, Permission, password};

/// Registers the user routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/security/users", web::get().to(list))
        .route("/security/users", web::post().to(create))
        .route(
            "/security/users/{user_id}/change-password",
            web::put().to(change_password),
        );
}

/// Nexus's `ApiUser` for `u`.
fn api_user(u: &User) -> Value {
    json!({
        "userId": u.user_id,
        "firstName": u.first_name,
        "lastName": u.last_name,
        "emailAddress": u.email,
        "source": "default",
        "status": u.status.as_str(),
        "readOnly": false,
        "roles": u.roles,
        "externalRoles": [],
    })
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(rename = "userId")]
    user_id: Option<String>,
}

async fn list(
    state: State,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> RestResult<HttpResponse> {
    caller.require(Permission::AdminRead)?;
    let users = state.services.catalogue.list_users().await?;
    let prefix = query.user_id.as_deref().unwrap_or("");
    let out: Vec<Value> = users
        .iter()
        .filter(|u| u.user_id.starts_with(prefix))
        .map(api_user)
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

fn required<'a>(body: &'a Value, field: &str) -> Result<&'a str, CoreError> {
    body.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| CoreError::invalid(field, "is required"))
}

/// Checks a new password's strength.
pub fn check_password(p: &str) -> Result<(), CoreError> {
    if p.chars().count() < 8 {
        return Err(CoreError::invalid(
            "password",
            "must be at least 8 characters",
        ));
    }
    Ok(())
}

async fn create(state: State, caller: Caller, body: web::Bytes) -> RestResult<HttpResponse> {
    caller.require(Permission::AdminWrite)?;
    let body = json_body(&body)?;
    let user_id = required(&body, "userId")?;
    if !user_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(CoreError::invalid(
            "userId",
            "may only contain letters, digits, '.', '_', '-' and '@'",
        )
        .into());
    }
    let email = required(&body, "emailAddress")?;
    if !email.contains('@') {
        return Err(CoreError::invalid("emailAddress", "is not an email address").into());
    }
    let pass = required(&body, "password")?.to_owned();
    check_password(&pass)?;
    let roles: Vec<String> = match body.get("roles") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| CoreError::invalid("roles", "must be a list of role ids"))?,
    };
    if let Some(bad) = roles.iter().find(|r| !BUILTIN_ROLES.contains(&r.as_str())) {
        return Err(CoreError::invalid("roles", format!("unknown role '{bad}'")).into());
    }
    let user = User {
        user_id: user_id.to_owned(),
        first_name: required(&body, "firstName")?.to_owned(),
        last_name: required(&body, "lastName")?.to_owned(),
        email: email.to_owned(),
        status: UserStatus::parse(required(&body, "status")?)?,
        roles,
        password_hash: hash_off_runtime(pass).await?,
    };
    state.services.catalogue.create_user(&user).await?;
    tracing::info!(user = %user.user_id, "user created");
    Ok(HttpResponse::Ok().json(api_user(&user)))
}

/// Hashes a password on the blocking pool (argon2 is deliberately slow).
pub async fn hash_off_runtime(pass: String) -> Result<String, CoreError> {
    tokio::task::spawn_blocking(move || password::hash(&pass))
        .await
        .map_err(|e| CoreError::Internal(e.to_string()))
}

async fn change_password(
    state: State,
    caller: Caller,
    user_id: web::Path<String>,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let me = caller.signed_in()?;
    if me.user_id != *user_id {
        caller.require(Permission::AdminWrite)?;
    }
    let pass = std::str::from_utf8(&body)
        .map_err(|_| CoreError::invalid("password", "must be UTF-8 text"))?
        .trim_end_matches(['\r', '\n'])
        .to_owned();
    check_password(&pass)?;
    let catalogue = &state.services.catalogue;
    if catalogue.find_user(&user_id).await?.is_none() {
        return Err(CoreError::NotFound(format!("user '{user_id}'")).into());
    }
    catalogue
        .set_password_hash(&user_id, &hash_off_runtime(pass).await?)
        .await?;
    state.authenticator.forget(&user_id);
    tracing::info!(user = %user_id, "password changed");
    Ok(HttpResponse::NoContent().finish())
}
