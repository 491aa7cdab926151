//! `/v1/security/roles`: list, read, create, update and delete roles (Nexus's `RoleXO…`).

use super::users::role_list;
use super::{RestResult, audit, json_body};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::CoreError;
use stowage_core::security::Role;

/// Nexus's `RoleXOResponse`.
fn role_xo(r: &Role) -> Value {
    json!({
        "id": r.id,
        "source": "default",
        "name": r.name,
        "description": r.description,
        "readOnly": r.read_only,
        "privileges": r.privileges,
        "roles": r.roles,
    })
}

pub(crate) async fn list(state: State) -> RestResult<HttpResponse> {
    let policy = state.security.policy();
    let out: Vec<Value> = policy.roles().into_iter().map(role_xo).collect();
    Ok(HttpResponse::Ok().json(out))
}

pub(crate) async fn get_one(state: State, id: web::Path<String>) -> RestResult<HttpResponse> {
    let policy = state.security.policy();
    let role = policy
        .role(&id)
        .ok_or_else(|| CoreError::NotFound(format!("role '{id}'")))?;
    Ok(HttpResponse::Ok().json(role_xo(role)))
}

/// A role from a `RoleXORequest`, checked against the current policy.
fn parse_role(state: &State, body: &Value, id: &str) -> Result<Role, CoreError> {
    let text = |field: &str| -> Result<String, CoreError> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(CoreError::invalid(field, "must be a string")),
        }
    };
    let privileges: Vec<String> = match body.get("privileges") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| CoreError::invalid("privileges", "must be a list of privilege names"))?,
    };
    let policy = state.security.policy();
    if let Some(bad) = privileges.iter().find(|p| policy.privilege(p).is_none()) {
        return Err(CoreError::invalid(
            "privileges",
            format!("unknown privilege '{bad}'"),
        ));
    }
    let roles = role_list(state, body, "roles")?;
    if let Some(cycle) = roles
        .iter()
        .find(|r| *r == id || policy.contains_role(r, id))
    {
        return Err(CoreError::invalid(
            "roles",
            format!("role '{cycle}' contains '{id}', so '{id}' cannot contain it"),
        ));
    }
    let name = text("name")?;
    if name.chars().count() > ROLE_FIELD_MAX_LEN {
        return Err(CoreError::invalid(
            "name",
            format!("must be at most {ROLE_FIELD_MAX_LEN} characters"),
        ));
    }
    Ok(Role {
        id: id.to_owned(),
        name: if name.trim().is_empty() {
            id.to_owned()
        } else {
            name
        },
        description: text("description")?,
        privileges,
        roles,
        read_only: false,
    })
}

/// Longest role id and name accepted. Nexus's `RoleXORequest` only requires them to be non-empty
/// and states no maximum; 255 is the common column size, and keeps a 10,000-character id out of
/// every user's role list and every page that shows them.
pub(crate) const ROLE_FIELD_MAX_LEN: usize = 255;

fn check_id(id: &str) -> Result<(), CoreError> {
    if id.chars().count() > ROLE_FIELD_MAX_LEN {
        return Err(CoreError::invalid(
            "id",
            format!("must be at most {ROLE_FIELD_MAX_LEN} characters"),
        ));
    }
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(CoreError::invalid(
            "id",
            "is required and may only contain letters, digits, '.', '_' and '-'",
        ));
    }
    Ok(())
}

pub(crate) async fn create(
    req: HttpRequest,
    state: State,
    caller: Caller,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let role = create_role(&req, &state, &caller, &json_body(&body)?).await?;
    Ok(HttpResponse::Ok().json(role_xo(&role)))
}

/// Creates a role from a `RoleXORequest` body (the route checked `nx-roles-create`). Shared by
/// REST and the UI.
pub(crate) async fn create_role(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    body: &Value,
) -> Result<Role, CoreError> {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    check_id(&id)?;
    let role = parse_role(state, body, &id)?;
    state.services.catalogue.create_role(&role).await?;
    state.security.refresh().await?;
    audit(req, state, caller, "role.create", &id);
    Ok(role)
}

fn editable(state: &State, id: &str) -> Result<(), CoreError> {
    match state.security.policy().role(id) {
        None => Err(CoreError::NotFound(format!("role '{id}'"))),
        Some(r) if r.read_only => Err(CoreError::invalid(
            "id",
            format!("the built-in role '{id}' cannot be changed or deleted"),
        )),
        Some(_) => Ok(()),
    }
}

pub(crate) async fn update(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    editable(&state, &id)?;
    let body = json_body(&body)?;
    if body
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|b| b != id.as_str())
    {
        return Err(CoreError::invalid("id", "must match the role in the URL").into());
    }
    let role = parse_role(&state, &body, &id)?;
    state.services.catalogue.update_role(&role).await?;
    state.security.refresh().await?;
    audit(&req, &state, &caller, "role.update", &id);
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn delete(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
) -> RestResult<HttpResponse> {
    delete_role(&req, &state, &caller, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes a role nobody holds (the route checked `nx-roles-delete`). Shared by REST and the UI.
pub(crate) async fn delete_role(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    id: &str,
) -> Result<(), CoreError> {
    editable(state, id)?;
    let holders: Vec<String> = state
        .services
        .catalogue
        .list_users()
        .await?
        .into_iter()
        .filter(|u| u.roles.iter().any(|r| r == id))
        .map(|u| u.user_id)
        .collect();
    let policy = state.security.policy();
    let containers: Vec<&str> = policy
        .roles()
        .into_iter()
        .filter(|r| r.roles.iter().any(|x| x == id))
        .map(|r| r.id.as_str())
        .collect();
    if !holders.is_empty() || !containers.is_empty() {
        let mut who = holders
            .iter()
            .map(|u| format!("user '{u}'"))
            .collect::<Vec<_>>();
        who.extend(containers.iter().map(|r| format!("role '{r}'")));
        return Err(CoreError::invalid(
            "id",
            format!(
                "role '{id}' is still held by {}; remove it there first",
                who.join(", ")
            ),
        ));
    }
    state.services.catalogue.delete_role(id).await?;
    state.security.refresh().await?;
    audit(req, state, caller, "role.delete", id);
    Ok(())
}
