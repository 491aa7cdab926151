//! `/v1/security/users`: list, create, update and delete local users, change a password.

use super::{RestResult, audit, json_body};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use stowage_core::CoreError;
use stowage_core::model::{User, UserStatus};
use stowage_core::security::{ANONYMOUS_USER, AppAction, Permission, password};

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
pub(crate) struct ListQuery {
    #[serde(rename = "userId")]
    user_id: Option<String>,
}

pub(crate) async fn list(state: State, query: web::Query<ListQuery>) -> RestResult<HttpResponse> {
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

/// The `roles` of a user or role body: known role ids only.
pub(crate) fn role_list(
    state: &State,
    body: &Value,
    field: &str,
) -> Result<Vec<String>, CoreError> {
    let roles: Vec<String> = match body.get(field) {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| CoreError::invalid(field, "must be a list of role ids"))?,
    };
    let policy = state.security.policy();
    if let Some(bad) = roles.iter().find(|r| policy.role(r).is_none()) {
        return Err(CoreError::invalid(field, format!("unknown role '{bad}'")));
    }
    Ok(roles)
}

/// The fields of a user body other than its id and password.
fn user_fields(state: &State, body: &Value, user_id: &str) -> Result<User, CoreError> {
    let email = required(body, "emailAddress")?;
    if !email.contains('@') {
        return Err(CoreError::invalid(
            "emailAddress",
            "is not an email address",
        ));
    }
    Ok(User {
        user_id: user_id.to_owned(),
        first_name: required(body, "firstName")?.to_owned(),
        last_name: required(body, "lastName")?.to_owned(),
        email: email.to_owned(),
        status: UserStatus::parse(required(body, "status")?)?,
        roles: role_list(state, body, "roles")?,
        password_hash: String::new(),
    })
}

pub(crate) async fn create(
    req: HttpRequest,
    state: State,
    caller: Caller,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let user = create_user(&req, &state, &caller, &json_body(&body)?).await?;
    Ok(HttpResponse::Ok().json(api_user(&user)))
}

/// Creates a user from an `ApiCreateUser` body (the route checked `nx-users-create`). Shared
/// by REST and the UI.
pub(crate) async fn create_user(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    body: &Value,
) -> Result<User, CoreError> {
    let user_id = required(body, "userId")?;
    if !user_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(CoreError::invalid(
            "userId",
            "may only contain letters, digits, '.', '_', '-' and '@'",
        ));
    }
    let mut user = user_fields(state, body, user_id)?;
    let pass = required(body, "password")?.to_owned();
    check_password(&pass)?;
    user.password_hash = hash_off_runtime(pass).await?;
    state.services.catalogue.create_user(&user).await?;
    audit(req, state, caller, "user.create", &user.user_id);
    Ok(user)
}

pub(crate) async fn update(
    req: HttpRequest,
    state: State,
    caller: Caller,
    user_id: web::Path<String>,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let body = json_body(&body)?;
    if required(&body, "userId")? != user_id.as_str() {
        return Err(CoreError::invalid("userId", "must match the user in the URL").into());
    }
    let catalogue = &state.services.catalogue;
    let Some(old) = catalogue.find_user(&user_id).await? else {
        return Err(CoreError::NotFound(format!("user '{user_id}'")).into());
    };
    let user = User {
        password_hash: old.password_hash,
        ..user_fields(&state, &body, &user_id)?
    };
    catalogue.update_user(&user).await?;
    state.security.authenticator().forget(&user_id);
    if user.status != UserStatus::Active {
        catalogue.delete_ui_sessions_of(&user_id).await?;
    }
    if user_id.as_str() == state.security.anonymous_settings().user_id {
        state.security.refresh().await?;
    }
    audit(&req, &state, &caller, "user.update", &user_id);
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn delete(
    req: HttpRequest,
    state: State,
    caller: Caller,
    user_id: web::Path<String>,
) -> RestResult<HttpResponse> {
    delete_user(&req, &state, &caller, &user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes a user, never oneself nor the anonymous user (the route checked `nx-users-delete`).
/// Shared by REST and the UI.
pub(crate) async fn delete_user(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    user_id: &str,
) -> Result<(), CoreError> {
    if caller.name() == user_id {
        return Err(CoreError::invalid(
            "userId",
            "you cannot delete the user you are signed in as",
        ));
    }
    if user_id == ANONYMOUS_USER || user_id == state.security.anonymous_settings().user_id {
        return Err(CoreError::invalid(
            "userId",
            "the anonymous user cannot be deleted; turn anonymous access off instead",
        ));
    }
    state.services.catalogue.delete_user(user_id).await?;
    state.security.authenticator().forget(user_id);
    audit(req, state, caller, "user.delete", user_id);
    Ok(())
}

/// Hashes a password on the blocking pool (argon2 is deliberately slow).
pub async fn hash_off_runtime(pass: String) -> Result<String, CoreError> {
    tokio::task::spawn_blocking(move || password::hash(&pass))
        .await
        .map_err(|e| CoreError::Internal(e.to_string()))
}

/// `PUT …/{userId}/change-password` with the new password as a `text/plain` body: one's own,
/// or anyone's with `nx-users-update`.
pub(crate) async fn change_password(
    req: HttpRequest,
    state: State,
    caller: Caller,
    user_id: web::Path<String>,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let me = caller.user()?;
    if me.user_id != *user_id {
        caller.require(Permission::Application {
            domain: "users",
            action: AppAction::Update,
        })?;
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
    state.security.authenticator().forget(&user_id);
    // Browsers signed in with the old password are signed out.
    catalogue.delete_ui_sessions_of(&user_id).await?;
    audit(&req, &state, &caller, "user.change-password", &user_id);
    Ok(HttpResponse::NoContent().finish())
}
