//! Who is calling: HTTP Basic credentials checked by the core's [`Authenticator`], and the one
//! place that decides what each REST area needs.
//!
//! [`Authenticator`]: stowage_core::security::Authenticator

use crate::error::RestError;
use crate::state::State;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use std::future::Future;
use std::pin::Pin;
use stowage_core::CoreError;
use stowage_core::security::{Permission, Principal};

/// The caller of a request: `None` when no credentials were sent. Basic credentials are checked
/// by the [`Authenticator`](stowage_core::security::Authenticator); a docker Bearer token by its
/// signature, its claims then being left in the request's extensions for the scope check. Wrong
/// credentials fail the request with 401 before any handler runs.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Principal>);

impl Caller {
    /// Fails with 401 (no credentials) or 403 unless the caller holds `permission`.
    pub fn require(&self, permission: Permission<'_>) -> Result<&Principal, CoreError> {
        match &self.0 {
            Some(p) if p.permits(&permission) => Ok(p),
            Some(p) => Err(CoreError::Forbidden(format!(
                "user '{}' lacks privilege {permission}",
                p.user_id
            ))),
            None => Err(CoreError::Unauthenticated),
        }
    }

    /// The signed-in principal, or 401.
    pub fn signed_in(&self) -> Result<&Principal, CoreError> {
        self.0.as_ref().ok_or(CoreError::Unauthenticated)
    }
}

/// Decodes an `Authorization: Basic …` header into (user, password).
pub fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// Whether `path` is a Distribution API route, the only place docker tokens are accepted.
fn is_registry_path(path: &str) -> bool {
    path == "/v2" || path.starts_with("/v2/")
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl FromRequest for Caller {
    type Error = RestError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            // Docker tokens are scoped to images and checked as such only on the registry
            // routes; anywhere else they are not credentials.
            if let Some(token) = bearer_token(&req) {
                if !is_registry_path(req.uri().path()) {
                    return Err(RestError(CoreError::Unauthenticated));
                }
                let state = req
                    .app_data::<State>()
                    .ok_or_else(|| RestError(CoreError::Internal("state missing".into())))?;
                let claims = state.tokens.verify(token).map_err(RestError)?;
                let principal = claims.principal();
                req.extensions_mut().insert(claims);
                return Ok(Caller(Some(principal)));
            }
            let Some((user, pass)) = basic_credentials(&req) else {
                if req.headers().contains_key(header::AUTHORIZATION) {
                    return Err(RestError(CoreError::Unauthenticated));
                }
                return Ok(Caller(None));
            };
            let state = req
                .app_data::<State>()
                .ok_or_else(|| RestError(CoreError::Internal("state missing".into())))?;
            match state.authenticator.basic(&user, &pass).await {
                Ok(p) => Ok(Caller(Some(p))),
                Err(CoreError::Unauthenticated) => {
                    tracing::info!(user = %user, "failed sign-in");
                    Err(RestError(CoreError::Unauthenticated))
                }
                Err(e) => Err(RestError(e)),
            }
        })
    }
}
