//! The caller of a request. How credentials are checked is the server's business ([`Identify`],
//! registered as app data); handlers, the server's and the formats', extract a [`Caller`].

use super::RestError;
use crate::CoreError;
use crate::security::{Permission, Principal};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use futures_util::future::LocalBoxFuture;

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

    /// Whether the caller holds `permission` (false when there is no caller).
    pub fn permits(&self, permission: &Permission<'_>) -> bool {
        self.0.as_ref().is_some_and(|p| p.permits(permission))
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

/// Works out who sent a request; the server registers one as `web::Data<dyn Identify>`.
pub trait Identify: Send + Sync + 'static {
    /// The caller of `req`, or why its credentials are refused.
    fn identify<'a>(
        &'a self,
        req: &'a HttpRequest,
    ) -> LocalBoxFuture<'a, Result<Caller, CoreError>>;
}

impl FromRequest for Caller {
    type Error = RestError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(known) = req.extensions().get::<Caller>() {
                return Ok(known.clone());
            }
            let identify = req
                .app_data::<web::Data<dyn Identify>>()
                .cloned()
                .ok_or_else(|| RestError(CoreError::Internal("no identity service".into())))?;
            let caller = identify.identify(&req).await.map_err(RestError)?;
            req.extensions_mut().insert(caller.clone());
            Ok(caller)
        })
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

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}
