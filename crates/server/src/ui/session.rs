//! Signing in and out of the UI, and the first-run set-up.
//!
//! Signing in goes through the same throttled, audited check as HTTP Basic. A session is a
//! random secret in a cookie; the catalogue keeps its sha256 with the user and the session's
//! CSRF token, so any node serves any signed-in browser and signing out ends it everywhere. The
//! sign-in form itself is protected by a double-submit token (a cookie and a hidden field that
//! must match), as there is no session yet.

use super::{Chrome, UiError, check_csrf, constant_time_eq, render, render_status, see_other};
use crate::auth::{Caller, client_ip};
use crate::state::State;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use stowage_core::CoreError;
use stowage_core::catalogue::UiSession;
use stowage_core::security::audit::AuditEvent;
use stowage_core::security::{ADMIN_ROLE, Principal, password};

/// The session cookie.
pub const SESSION_COOKIE: &str = "stowage_session";
/// The sign-in form's double-submit cookie.
const SIGNIN_COOKIE: &str = "stowage_signin";
/// How long a session lasts.
const SESSION_HOURS: i64 = 12;

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The principal of the request's session cookie, if it names a live session of an active
/// user; the session is left in the request's extensions for the CSRF check.
pub async fn principal_of_cookie(
    req: &HttpRequest,
    state: &State,
) -> Result<Option<Principal>, CoreError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let catalogue = &state.services.catalogue;
    let Some(session) = catalogue.find_ui_session(&hash(cookie.value())).await? else {
        return Ok(None);
    };
    let Some(user) = catalogue
        .find_user(&session.user_id)
        .await?
        .filter(|u| u.status == stowage_core::model::UserStatus::Active)
    else {
        return Ok(None);
    };
    req.extensions_mut().insert(session);
    Ok(Some(state.security.principal(&user.user_id, &user.roles)))
}

fn secure(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

fn cookie<'a>(req: &HttpRequest, name: &'a str, value: String, max_age_secs: i64) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(req))
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

#[derive(Template)]
#[template(path = "ui/signin.html")]
struct SignInPage {
    chrome: Chrome,
    next: String,
    token: String,
    user: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct SignInQuery {
    #[serde(default)]
    next: String,
}

/// Only local paths are followed after signing in.
fn safe_next(next: &str) -> String {
    if next.starts_with("/ui/") && !next.starts_with("//") {
        next.to_owned()
    } else {
        "/ui/".to_owned()
    }
}

fn sign_in_page(
    req: &HttpRequest,
    next: &str,
    user: &str,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, UiError> {
    let token = password_token();
    let page = SignInPage {
        chrome: Chrome {
            title: "Sign in".into(),
            user: None,
            csrf: String::new(),
            section: "signin",
            admin: false,
            disk_warnings: Vec::new(),
            notice: None,
        },
        next: safe_next(next),
        token: token.clone(),
        user: user.to_owned(),
        error,
    };
    let mut resp = render_status(&page, status)?;
    resp.add_cookie(&cookie(req, SIGNIN_COOKIE, token, 3600))
        .map_err(|e| UiError(CoreError::Internal(e.to_string())))?;
    Ok(resp)
}

fn password_token() -> String {
    password::random_secret()
}

/// `GET /ui/signin`.
pub(crate) async fn sign_in_form(
    req: HttpRequest,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse, UiError> {
    sign_in_page(&req, &query.next, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    token: String,
}

/// `POST /ui/signin`: a generic message for any failure, 429 once throttled.
pub(crate) async fn sign_in(
    req: HttpRequest,
    state: State,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, UiError> {
    let form = form.into_inner();
    let double_submit = req.cookie(SIGNIN_COOKIE).is_some_and(|c| {
        !form.token.is_empty() && constant_time_eq(c.value().as_bytes(), form.token.as_bytes())
    });
    if !double_submit {
        return Err(UiError(CoreError::Forbidden(
            "the sign-in form is out of date; reload the page and try again".into(),
        )));
    }
    let principal = match state
        .security
        .sign_in(&form.username, &form.password, &client_ip(&req), "ui")
        .await
    {
        Ok(p) => p,
        Err(CoreError::Unauthenticated) => {
            return sign_in_page(
                &req,
                &form.next,
                &form.username,
                Some("Wrong username or password.".into()),
                StatusCode::OK,
            );
        }
        Err(CoreError::Throttled(wait)) => {
            return sign_in_page(
                &req,
                &form.next,
                &form.username,
                Some(format!(
                    "Too many failed sign-ins. Try again in {} minutes.",
                    wait.as_secs().div_ceil(60).max(1)
                )),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
        Err(e) => return Err(UiError(e)),
    };
    let secret = format!("{}{}", password::random_secret(), password::random_secret());
    let session = UiSession {
        user_id: principal.user_id.clone(),
        csrf: password::random_secret(),
        expires_at: stowage_core::now_millis() + SESSION_HOURS * 3_600_000,
    };
    state
        .services
        .catalogue
        .create_ui_session(&hash(&secret), &session)
        .await?;
    let to = if needs_setup(&state, &principal) {
        "/ui/setup".to_owned()
    } else {
        safe_next(&form.next)
    };
    let mut resp = see_other(&to);
    resp.add_cookie(&cookie(&req, SESSION_COOKIE, secret, SESSION_HOURS * 3600))
        .and_then(|_| resp.add_removal_cookie(&Cookie::build(SIGNIN_COOKIE, "").path("/").finish()))
        .map_err(|e| UiError(CoreError::Internal(e.to_string())))?;
    Ok(resp)
}

#[derive(Deserialize)]
pub(crate) struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /ui/signout`.
pub(crate) async fn sign_out(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<CsrfOnly>,
) -> Result<HttpResponse, UiError> {
    check_csrf(&req, &form.csrf)?;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        state
            .services
            .catalogue
            .delete_ui_session(&hash(c.value()))
            .await?;
    }
    crate::rest::audit(&req, &state, &caller, "signout.ui", caller.name());
    let mut resp = see_other("/ui/signin");
    resp.add_removal_cookie(&Cookie::build(SESSION_COOKIE, "").path("/").finish())
        .map_err(|e| UiError(CoreError::Internal(e.to_string())))?;
    Ok(resp)
}

/// The first sign-in of the administrator, while the generated password file still exists
/// (as Nexus's first-run wizard): change the password, choose anonymous access.
fn needs_setup(state: &State, p: &Principal) -> bool {
    p.roles.iter().any(|r| r == ADMIN_ROLE) && admin_password_file(state).exists()
}

fn admin_password_file(state: &State) -> std::path::PathBuf {
    state.services.config.data_dir.join("admin.password")
}

#[derive(Template)]
#[template(path = "ui/setup.html")]
struct SetupPage {
    chrome: Chrome,
    anonymous: bool,
    error: Option<String>,
}

/// `GET /ui/setup`.
pub(crate) async fn setup_form(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    let me = caller.user()?;
    if !needs_setup(&state, me) {
        return Ok(see_other("/ui/"));
    }
    let page = SetupPage {
        chrome: Chrome::new(&req, &state, &caller, "Set up Stowage", "setup").await,
        anonymous: state.security.anonymous_settings().enabled,
        error: None,
    };
    render(&page)
}

#[derive(Deserialize)]
pub(crate) struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    anonymous: String,
}

/// `POST /ui/setup`.
pub(crate) async fn setup(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, UiError> {
    check_csrf(&req, &form.csrf)?;
    let me = caller.user()?.clone();
    if !needs_setup(&state, &me) {
        return Ok(see_other("/ui/"));
    }
    let problem = if form.password != form.confirm {
        Some("The two passwords differ.".to_owned())
    } else {
        crate::rest::users::check_password(&form.password)
            .err()
            .map(|_| "The new password needs at least 8 characters.".to_owned())
    };
    if let Some(error) = problem {
        let page = SetupPage {
            chrome: Chrome::new(&req, &state, &caller, "Set up Stowage", "setup").await,
            anonymous: form.anonymous == "on",
            error: Some(error),
        };
        return render(&page);
    }
    let hash = crate::rest::users::hash_off_runtime(form.password.clone()).await?;
    state
        .services
        .catalogue
        .set_password_hash(&me.user_id, &hash)
        .await?;
    state.security.authenticator().forget(&me.user_id);
    let mut anonymous = state.security.anonymous_settings();
    anonymous.enabled = form.anonymous == "on";
    state.security.set_anonymous_settings(&anonymous).await?;
    std::fs::remove_file(admin_password_file(&state)).map_err(CoreError::Io)?;
    let ip = client_ip(&req);
    let audit = state.security.audit();
    audit.record(AuditEvent::new(
        &me.user_id,
        Some(&ip),
        "setup.complete",
        &me.user_id,
    ));
    audit.record(AuditEvent::new(
        &me.user_id,
        Some(&ip),
        if anonymous.enabled {
            "anonymous.enable"
        } else {
            "anonymous.disable"
        },
        &anonymous.user_id,
    ));
    Ok(see_other(&super::with_notice(
        "/ui/",
        "Set-up complete: the administrator password is changed.",
    )))
}
