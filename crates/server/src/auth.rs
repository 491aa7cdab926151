//! Who is calling: HTTP Basic credentials (a password or a user token) checked by the core's
//! [`Security`](stowage_core::security::Security) service with throttling and auditing, a docker
//! Bearer token on registry routes, or nobody, which is the anonymous user while anonymous
//! access is on. What each route needs is decided in `crate::routes`.

use crate::error::RestError;
use crate::state::State;
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use std::future::Future;
use std::pin::Pin;
use stowage_core::CoreError;
use stowage_core::security::{Permission, Principal};

/// The caller of a request: `None` when no credentials were sent and anonymous access is off.
/// Wrong credentials fail the request with 401 (429 once throttled) before any handler runs.
/// Worked out once per request and kept in its extensions.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Principal>);

impl Caller {
    /// Fails with 401 (no credentials, or anonymous) or 403 unless the caller holds
    /// `permission`.
    pub fn require(&self, permission: Permission<'_>) -> Result<&Principal, CoreError> {
        let p = self.principal()?;
        p.require(permission)?;
        Ok(p)
    }

    /// The caller, the anonymous user included; 401 when there is none.
    pub fn principal(&self) -> Result<&Principal, CoreError> {
        self.0.as_ref().ok_or(CoreError::Unauthenticated)
    }

    /// A signed-in user (not the anonymous one), or 401.
    pub fn user(&self) -> Result<&Principal, CoreError> {
        self.0
            .as_ref()
            .filter(|p| !p.anonymous)
            .ok_or(CoreError::Unauthenticated)
    }

    /// The caller's user id for logs and the audit trail.
    pub fn name(&self) -> &str {
        self.0.as_ref().map_or("-", |p| p.user_id.as_str())
    }
}

/// The client's address as this server sees it (the peer; forwarded headers are not trusted,
/// as sign-in throttling is keyed by it).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
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

async fn identify(req: &HttpRequest) -> Result<Caller, CoreError> {
    let state = req
        .app_data::<State>()
        .ok_or_else(|| CoreError::Internal("state missing".into()))?;
    let security = &state.security;
    // Docker tokens are scoped to images and checked as such only on the registry routes;
    // anywhere else they are not credentials.
    if let Some(token) = bearer_token(req) {
        if !is_registry_path(req.uri().path()) {
            return Err(CoreError::Unauthenticated);
        }
        let claims = state.tokens.verify(token)?;
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

impl FromRequest for Caller {
    type Error = RestError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(known) = req.extensions().get::<Caller>() {
                return Ok(known.clone());
            }
            let caller = identify(&req).await.map_err(RestError)?;
            req.extensions_mut().insert(caller.clone());
            Ok(caller)
        })
    }
}
