//! Who is calling: HTTP Basic credentials (a password or a user token) checked by the core's
//! [`Security`](stowage_core::security::Security) service with throttling and auditing, a
//! registry Bearer token on the routes of a format that accepts them, or nobody, which is the anonymous user while anonymous
//! access is on. What each route needs is decided in `crate::routes`.

use crate::state::State;
use actix_web::HttpMessage;
use actix_web::HttpRequest;
use actix_web::http::{Method, header};
use futures_util::future::LocalBoxFuture;
use stowage_core::CoreError;
pub use stowage_core::web::{Caller, Identify, basic_credentials, bearer_token, client_ip};

/// The identity service as listeners register it.
pub fn identity() -> actix_web::web::Data<dyn Identify> {
    actix_web::web::Data::from(std::sync::Arc::new(ServerIdentity) as std::sync::Arc<dyn Identify>)
}

/// The server's way of identifying callers, registered as app data for [`Caller`].
pub struct ServerIdentity;

impl Identify for ServerIdentity {
    fn identify<'a>(
        &'a self,
        req: &'a HttpRequest,
    ) -> LocalBoxFuture<'a, Result<Caller, CoreError>> {
        Box::pin(identify(req))
    }
}

async fn identify(req: &HttpRequest) -> Result<Caller, CoreError> {
    let state = req
        .app_data::<State>()
        .ok_or_else(|| CoreError::Internal("state missing".into()))?;
    let security = &state.security;
    // Registry tokens are scoped to images and checked as such only on the routes of the
    // format that issued them; anywhere else they are not credentials.
    if let Some(token) = bearer_token(req) {
        if !state.services.formats.accepts_tokens(req.uri().path()) {
            return Err(CoreError::Unauthenticated);
        }
        let claims = state.services.tokens.verify(token)?;
        let principal = if claims.anonymous {
            security.anonymous().ok_or(CoreError::Unauthenticated)?
        } else {
            security.principal(&claims.sub, &claims.roles)
        };
        req.extensions_mut().insert(claims);
        return Ok(Caller(Some(principal)));
    }
    // The UI's session cookie: credentials on its pages and on downloads only, never on the
    // API (where a cookie would make every endpoint forgeable from another site).
    let path = req.uri().path();
    let page = path.starts_with("/ui/");
    let download = path.starts_with("/repository/")
        && matches!(*req.method(), Method::GET | Method::HEAD)
        && !req.headers().contains_key(header::AUTHORIZATION);
    if page || download {
        if let Some(p) = crate::ui::session::principal_of_cookie(req, state).await? {
            return Ok(Caller(Some(p)));
        }
        if page {
            return Ok(Caller(security.anonymous()));
        }
    }
    let Some((user, pass)) = basic_credentials(req) else {
        if req.headers().contains_key(header::AUTHORIZATION) {
            return Err(CoreError::Unauthenticated);
        }
        return Ok(Caller(security.anonymous()));
    };
    // containers/image (podman, skopeo) answers a Basic challenge it holds no credentials for
    // with an empty user and password (`Basic Og==`): that is no credentials, not wrong ones.
    if user.is_empty() && pass.is_empty() {
        return Ok(Caller(security.anonymous()));
    }
    let p = security
        .sign_in(&user, &pass, &client_ip(req), "basic")
        .await?;
    Ok(Caller(Some(p)))
}
