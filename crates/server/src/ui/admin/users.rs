//! `/ui/admin/users`: the users, creating and deleting them.

#[allow(unused_imports)]
use super::*;
use crate::auth::Caller;
use crate::rest::users;
use crate::state::State;
use crate::ui::{Chrome, UiError, render_status};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::json;

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "ui/users.html")]
pub(super) struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    roles: Vec<String>,
    error: Option<String>,
}

pub(super) async fn users_page(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    error: Option<String>,
) -> Result<HttpResponse, UiError> {
    let users = state
        .services
        .catalogue
        .list_users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            name: format!("{} {}", u.first_name, u.last_name),
            email: u.email,
            status: u.status.as_str().to_owned(),
            roles: u.roles.join(", "),
            id: u.user_id,
        })
        .collect();
    let status = StatusCode::OK;
    let page = UsersPage {
        chrome: Chrome::new(req, state, caller, "Users", "users").await,
        users,
        roles: state
            .security
            .policy()
            .roles()
            .iter()
            .map(|r| r.id.clone())
            .collect(),
        error,
    };
    render_status(&page, status)
}

/// `GET /ui/admin/users`.
pub(crate) async fn users_list(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    users_page(&req, &state, &caller, None).await
}

/// `POST /ui/admin/users`: creates a user.
pub(crate) async fn create_user(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let roles = fields(&form, "roles");
    let body = json!({
        "userId": field(&form, "userId"), "firstName": field(&form, "firstName"),
        "lastName": field(&form, "lastName"), "emailAddress": field(&form, "emailAddress"),
        "password": field(&form, "password"), "status": field(&form, "status"), "roles": roles,
    });
    let done = users::create_user(&req, &state, &caller, &body).await;
    after_change(&req, &state, &caller, List::Users, done, |u| {
        format!("User {} created.", u.user_id)
    })
    .await
}

/// `POST /ui/admin/users/{id}/delete`.
pub(crate) async fn delete_user(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let done = users::delete_user(&req, &state, &caller, &id).await;
    after_change(&req, &state, &caller, List::Users, done, |()| {
        format!("User {id} deleted.")
    })
    .await
}
