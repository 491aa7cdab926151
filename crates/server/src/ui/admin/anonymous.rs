//! `/ui/admin/anonymous`: whether requests without credentials act as the anonymous user.

#[allow(unused_imports)]
use super::*;
use crate::auth::Caller;
use crate::state::State;
use crate::ui::{Chrome, UiError, render, see_other, with_notice};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "ui/anonymous.html")]
pub(super) struct AnonymousPage {
    chrome: Chrome,
    enabled: bool,
    user_id: String,
}

/// `GET /ui/admin/anonymous`.
pub(crate) async fn anonymous(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    let s = state.security.anonymous_settings();
    let page = AnonymousPage {
        chrome: Chrome::new(&req, &state, &caller, "Anonymous access", "anonymous").await,
        enabled: s.enabled,
        user_id: s.user_id,
    };
    render(&page)
}

/// `POST /ui/admin/anonymous`.
pub(crate) async fn set_anonymous(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let mut s = state.security.anonymous_settings();
    s.enabled = !field(&form, "enabled").is_empty();
    state.security.set_anonymous_settings(&s).await?;
    crate::rest::audit(
        &req,
        &state,
        &caller,
        if s.enabled {
            "anonymous.enable"
        } else {
            "anonymous.disable"
        },
        &s.user_id,
    );
    Ok(see_other(&with_notice(
        "/ui/admin/anonymous",
        if s.enabled {
            "Anonymous access is on."
        } else {
            "Anonymous access is off."
        },
    )))
}
