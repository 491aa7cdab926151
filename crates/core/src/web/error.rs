//! Maps core errors to HTTP, once, at the edge. REST endpoints answer validation errors with
//! Nexus's `ValidationErrorXO` list (`[{"id","message"}]`) and other errors as plain text; content
//! endpoints (`/repository/…`) answer plain text. Unexpected errors are logged once with their
//! cause chain and answered with an opaque 500. Formats with an error body of their own (docker's
//! `{"errors":[…]}`) map with [`status_of`] too.

use crate::CoreError;
use crate::error::chain;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

/// The `WWW-Authenticate` challenge for Basic auth.
pub const BASIC_CHALLENGE: &str = "Basic realm=\"Stowage\"";

/// A failed REST request.
#[derive(Debug)]
pub struct RestError(pub CoreError);

/// A failed content request.
#[derive(Debug)]
pub struct ContentError(pub CoreError);

impl From<CoreError> for RestError {
    fn from(e: CoreError) -> Self {
        Self(e)
    }
}

impl From<CoreError> for ContentError {
    fn from(e: CoreError) -> Self {
        Self(e)
    }
}

/// The HTTP status for a core error.
pub fn status_of(e: &CoreError) -> StatusCode {
    match e {
        CoreError::Invalid { .. } | CoreError::Conflict(_) | CoreError::DigestMismatch { .. } => {
            StatusCode::BAD_REQUEST
        }
        CoreError::NotFound(_) => StatusCode::NOT_FOUND,
        CoreError::Unauthenticated => StatusCode::UNAUTHORIZED,
        CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        CoreError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        CoreError::Interrupted(_) => StatusCode::BAD_REQUEST,
        CoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        CoreError::Storage(object_store::Error::NotFound { .. }) => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message a client sees: the error itself, or an opaque text for server faults.
fn public_message(e: &CoreError) -> String {
    if status_of(e).is_server_error() && !matches!(e, CoreError::Unavailable(_)) {
        tracing::error!(error = %chain(e), "request failed");
        "internal error; see the server log".to_owned()
    } else {
        e.to_string()
    }
}

fn text_response(e: &CoreError) -> HttpResponse {
    let status = status_of(e);
    let mut b = HttpResponse::build(status);
    if status == StatusCode::UNAUTHORIZED {
        b.insert_header((header::WWW_AUTHENTICATE, BASIC_CHALLENGE));
    }
    if let CoreError::Throttled(wait) = e {
        b.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
    }
    b.content_type("text/plain; charset=utf-8")
        .body(format!("{}\n", public_message(e)))
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for ContentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for RestError {
    fn status_code(&self) -> StatusCode {
        status_of(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        match &self.0 {
            CoreError::Invalid { field, .. } => {
                HttpResponse::BadRequest().json(serde_json::json!([
                    { "id": format!("PARAMETER {field}"), "message": self.0.to_string() }
                ]))
            }
            e => text_response(e),
        }
    }
}

impl ResponseError for ContentError {
    fn status_code(&self) -> StatusCode {
        status_of(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        text_response(&self.0)
    }
}
