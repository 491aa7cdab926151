//! The admin UI under `/ui/`: server-rendered askama pages (`web-ui/templates/ui/`) with a
//! little CSS and JavaScript (`web-ui/static/`), both embedded in the binary. Every flow works
//! without JavaScript. A form that fails validation comes back with 200 and the errors next to
//! their fields (a 4xx document is a console error in browsers); only a throttled sign-in is
//! answered 429.
//!
//! A browser signs in once ([`session`]) and carries a session cookie (HttpOnly, SameSite=Lax,
//! Secure under HTTPS). The cookie is only credentials on `/ui/` pages and on downloads
//! (`GET`/`HEAD` of `/repository/…`), never on the REST API, and every state-changing form
//! carries the session's CSRF token ([`check_csrf`]). What each page needs is in
//! `crate::routes` like every other route; a page denied to a caller who is not signed in
//! sends them to the sign-in page instead.

pub(crate) mod admin;
pub(crate) mod browse;
pub(crate) mod search;
pub(crate) mod session;
pub(crate) mod tree;

use crate::auth::Caller;
use crate::state::State;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use stowage_core::CoreError;
use stowage_core::catalogue::UiSession;
use stowage_core::security::{AppAction, Permission};

/// Free bytes on a file blob store below which every admin page shows a warning.
pub const LOW_DISK_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// What every page's frame shows.
pub struct Chrome {
    /// The page title.
    pub title: String,
    /// The signed-in user (`None` for the anonymous user).
    pub user: Option<String>,
    /// The session's CSRF token, for the forms of the page (sign-out included).
    pub csrf: String,
    /// Which navigation entry is current.
    pub section: &'static str,
    /// Whether the Administration entries are shown.
    pub admin: bool,
    /// Warnings about blob stores running out of space.
    pub disk_warnings: Vec<String>,
    /// A one-off message (a result of the last action).
    pub notice: Option<String>,
}

impl Chrome {
    /// The frame for `caller` on a page of `section`.
    pub async fn new(
        req: &HttpRequest,
        state: &State,
        caller: &Caller,
        title: impl Into<String>,
        section: &'static str,
    ) -> Self {
        let principal = caller.0.as_ref();
        let admin = principal.is_some_and(|p| {
            !p.anonymous
                && p.permits(&Permission::Application {
                    domain: "settings",
                    action: AppAction::Read,
                })
        });
        let disk_warnings = if admin {
            low_disk_warnings(state).await
        } else {
            Vec::new()
        };
        let notice = req
            .uri()
            .query()
            .and_then(|q| {
                url_query(q)
                    .into_iter()
                    .find(|(k, _)| k == "notice")
                    .map(|(_, v)| v)
            })
            .filter(|n| n.len() < 300);
        Self {
            title: title.into(),
            user: principal
                .filter(|p| !p.anonymous)
                .map(|p| p.user_id.clone()),
            csrf: req
                .extensions()
                .get::<UiSession>()
                .map(|s| s.csrf.clone())
                .unwrap_or_default(),
            section,
            admin,
            disk_warnings,
            notice,
        }
    }
}

/// One warning per file blob store with less than [`LOW_DISK_BYTES`] free.
async fn low_disk_warnings(state: &State) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(stores) = state.services.catalogue.list_blob_stores().await else {
        return out;
    };
    for rec in stores {
        if let Ok(store) = state.services.blob_store(&rec.name).await
            && let Some(free) = store.available_space()
            && free < LOW_DISK_BYTES
        {
            out.push(format!(
                "Blob store '{}' has only {} free. Uploads fail when the disk is full.",
                rec.name,
                human_bytes(free as i64)
            ));
        }
    }
    out
}

/// Decoded `key=value` pairs of a query string.
pub fn url_query(q: &str) -> Vec<(String, String)> {
    actix_web::web::Query::<Vec<(String, String)>>::from_query(q)
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

pub use stowage_core::format::ui::human_bytes;

/// Renders a page.
pub fn render(t: &impl Template) -> Result<HttpResponse, UiError> {
    render_status(t, StatusCode::OK)
}

/// Renders a page with `status`.
pub fn render_status(t: &impl Template, status: StatusCode) -> Result<HttpResponse, UiError> {
    let html = t
        .render()
        .map_err(|e| UiError(CoreError::Internal(format!("template: {e}"))))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// `303 See Other` to `to` (after a form post).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// `to` with a `notice` shown once on arrival.
pub fn with_notice(to: &str, notice: &str) -> String {
    let sep = if to.contains('?') { '&' } else { '?' };
    format!(
        "{to}{sep}notice={}",
        percent_encoding::utf8_percent_encode(notice, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// Fails unless `token` is the CSRF token of the request's session.
pub fn check_csrf(req: &HttpRequest, token: &str) -> Result<(), CoreError> {
    let ok = req.extensions().get::<UiSession>().is_some_and(|s| {
        !token.is_empty() && constant_time_eq(s.csrf.as_bytes(), token.as_bytes())
    });
    if ok {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "this form is out of date or did not come from this site; reload the page and try again"
                .into(),
        ))
    }
}

/// Compares without an early exit, so timing does not reveal how much of a token matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A page that failed: rendered as an HTML page with the status, or, for a caller who is not
/// signed in, a redirect to the sign-in page.
#[derive(Debug)]
pub struct UiError(pub CoreError);

impl From<CoreError> for UiError {
    fn from(e: CoreError) -> Self {
        Self(e)
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Template)]
#[template(path = "ui/error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    message: String,
}

impl ResponseError for UiError {
    fn status_code(&self) -> StatusCode {
        crate::error::status_of(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status == StatusCode::UNAUTHORIZED {
            return see_other("/ui/signin?next=%2Fui%2F");
        }
        let message = if status.is_server_error() {
            tracing::error!(error = %crate::error::chain(&self.0), "page failed");
            "Something went wrong on the server; the log has the details.".to_owned()
        } else {
            self.0.to_string()
        };
        let page = ErrorPage {
            chrome: Chrome {
                title: status.canonical_reason().unwrap_or("Error").to_owned(),
                user: None,
                csrf: String::new(),
                section: "",
                admin: false,
                disk_warnings: Vec::new(),
                notice: None,
            },
            status: status.as_u16(),
            message,
        };
        render_status(&page, status).unwrap_or_else(|_| HttpResponse::build(status).finish())
    }
}

/// The denial of a page by the route table: sign in first, or a 403 page.
pub fn denied(req: &HttpRequest, e: CoreError) -> HttpResponse {
    if matches!(e, CoreError::Unauthenticated) {
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        return see_other(&format!(
            "/ui/signin?next={}",
            percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
        ));
    }
    UiError(e).error_response()
}

/// `GET /`: the UI.
pub async fn root() -> HttpResponse {
    see_other("/ui/")
}

/// `GET /favicon.ico`: the icon browsers ask every site for, embedded at build time.
pub async fn favicon() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/x-icon")
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(&include_bytes!("../../../../web-ui/static/favicon.ico")[..])
}

/// The stylesheet and script, embedded at build time.
pub async fn static_file(name: actix_web::web::Path<String>) -> HttpResponse {
    let (body, kind): (&'static str, &str) = match name.as_str() {
        "stowage.css" => (
            include_str!("../../../../web-ui/static/stowage.css"),
            "text/css; charset=utf-8",
        ),
        "stowage.js" => (
            include_str!("../../../../web-ui/static/stowage.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
