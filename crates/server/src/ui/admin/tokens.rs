//! `/ui/tokens`: one's own user tokens: list, create (shown once), revoke.

#[allow(unused_imports)]
use super::*;
use crate::auth::Caller;
use crate::rest::user_tokens;
use crate::state::State;
use crate::ui::{Chrome, UiError, render_status, see_other, with_notice};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::{Value, json};
use stowage_core::CoreError;

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "ui/tokens.html")]
pub(super) struct TokensPage {
    chrome: Chrome,
    user: String,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    error: Option<String>,
}

pub(super) async fn tokens_page(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    new_token: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, UiError> {
    let me = caller.user()?.user_id.clone();
    let tokens = state
        .services
        .catalogue
        .list_user_tokens(&me)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            created: stowage_core::rfc3339(t.created),
            expires: t.expires.map_or("never".into(), stowage_core::rfc3339),
            last_used: t.last_used.map_or("never".into(), stowage_core::rfc3339),
            id: t.id,
            name: t.name,
        })
        .collect();
    let status = StatusCode::OK;
    let page = TokensPage {
        chrome: Chrome::new(req, state, caller, "My tokens", "tokens").await,
        user: me,
        tokens,
        new_token,
        error,
    };
    render_status(&page, status)
}

/// `GET /ui/tokens`: one's own user tokens.
pub(crate) async fn tokens(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    tokens_page(&req, &state, &caller, None, None).await
}

/// `POST /ui/tokens`: a new token, shown this once.
pub(crate) async fn create_token(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let me = caller.user()?.user_id.clone();
    let days = field(&form, "days").trim();
    let body = json!({"name": field(&form, "name"), "expiresInDays": if days.is_empty() { Value::Null } else { json!(days) }});
    match user_tokens::create_token(&req, &state, &caller, &me, &body).await {
        Ok((_, secret)) => tokens_page(&req, &state, &caller, Some(secret), None).await,
        Err(e @ CoreError::Invalid { .. }) => {
            tokens_page(&req, &state, &caller, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /ui/tokens/{id}/revoke`.
pub(crate) async fn revoke_token(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let me = caller.user()?.user_id.clone();
    user_tokens::revoke_token(&req, &state, &caller, &me, &id).await?;
    Ok(see_other(&with_notice("/ui/tokens", "Token revoked.")))
}
