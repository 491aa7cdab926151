//! `/ui/admin/roles`: the roles, creating and deleting them.

#[allow(unused_imports)]
use super::*;
use crate::auth::Caller;
use crate::rest::roles;
use crate::state::State;
use crate::ui::{Chrome, UiError, render_status};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::json;

pub struct RoleRow {
    pub id: String,
    pub description: String,
    pub privileges: String,
    pub roles: String,
    pub read_only: bool,
}

#[derive(Template)]
#[template(path = "ui/roles.html")]
pub(super) struct RolesPage {
    chrome: Chrome,
    roles: Vec<RoleRow>,
    role_ids: Vec<String>,
    error: Option<String>,
}

pub(super) async fn roles_page(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    error: Option<String>,
) -> Result<HttpResponse, UiError> {
    let policy = state.security.policy();
    let roles = policy
        .roles()
        .into_iter()
        .map(|r| RoleRow {
            id: r.id.clone(),
            description: r.description.clone(),
            privileges: r.privileges.join(", "),
            roles: r.roles.join(", "),
            read_only: r.read_only,
        })
        .collect();
    let status = StatusCode::OK;
    let page = RolesPage {
        chrome: Chrome::new(req, state, caller, "Roles", "roles").await,
        roles,
        role_ids: policy.roles().iter().map(|r| r.id.clone()).collect(),
        error,
    };
    render_status(&page, status)
}

/// `GET /ui/admin/roles`.
pub(crate) async fn roles_list(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    roles_page(&req, &state, &caller, None).await
}

/// `POST /ui/admin/roles`: creates a role; privileges one per line or comma-separated.
pub(crate) async fn create_role(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let privileges: Vec<&str> = field(&form, "privileges")
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let contained = fields(&form, "roles");
    let body = json!({
        "id": field(&form, "id"), "name": field(&form, "id"),
        "description": field(&form, "description"), "privileges": privileges, "roles": contained,
    });
    let done = roles::create_role(&req, &state, &caller, &body).await;
    after_change(&req, &state, &caller, List::Roles, done, |r| {
        format!("Role {} created.", r.id)
    })
    .await
}

/// `POST /ui/admin/roles/{id}/delete`.
pub(crate) async fn delete_role(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let done = roles::delete_role(&req, &state, &caller, &id).await;
    after_change(&req, &state, &caller, List::Roles, done, |()| {
        format!("Role {id} deleted.")
    })
    .await
}
