//! Who may use the registry API: the version check, docker's token endpoint, and the 401
//! challenge (Basic, or Bearer pointing at `/v2/token`) every other route answers with.

use super::{Data, SERVICE};
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use stowage_core::CoreError;
use stowage_core::format::Services;
use stowage_core::model::Repository;
use stowage_core::security::tokens::{Access, TOKEN_TTL_SECS};
use stowage_core::security::{Action, Permission};
use stowage_core::web::basic_credentials;
use stowage_core::web::bearer_token;
use stowage_core::web::{BASIC_CHALLENGE, Caller, PortRepository, RestError};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, error_response};
use stowage_docker::settings::DockerAttributes;

/// How a 401 asks for credentials.
pub(super) enum Challenge {
    /// HTTP Basic.
    Basic,
    /// Docker's token flow, for `scope`.
    Bearer { scope: Option<String> },
}

pub(super) fn unauthorized(req: &HttpRequest, challenge: &Challenge) -> HttpResponse {
    let e = RegistryError::new(ErrorCode::Unauthorized, "sign in with docker login");
    let mut resp = error_response(&e);
    let value = match challenge {
        Challenge::Basic => BASIC_CHALLENGE.to_owned(),
        Challenge::Bearer { scope } => {
            let base = stowage_core::web::base_url(req);
            let mut v = format!("Bearer realm=\"{base}/v2/token\",service=\"{SERVICE}\"");
            if let Some(scope) = scope {
                v.push_str(&format!(",scope=\"{scope}\""));
            }
            v
        }
    };
    if let Ok(v) = header::HeaderValue::from_str(&value) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

#[expect(
    clippy::result_large_err,
    reason = "the error is the response itself, returned at once"
)]
/// The caller, or the response for a failed sign-in: 401 for bad credentials, the error itself
/// for anything else (a database fault is not a wrong password).
pub(super) fn signed_in(
    req: &HttpRequest,
    challenge: &Challenge,
    caller: Result<Caller, RestError>,
) -> Result<Caller, HttpResponse> {
    caller.map_err(|RestError(e)| failure(req, challenge, e))
}

pub(super) fn failure(req: &HttpRequest, challenge: &Challenge, e: CoreError) -> HttpResponse {
    match e {
        CoreError::Unauthenticated => unauthorized(req, challenge),
        e => Failure::Core(e).into_response(),
    }
}

/// Whether a repository on its own port uses the token flow.
pub(super) fn uses_tokens(repo: &Repository) -> bool {
    !DockerAttributes::of(&repo.attributes).force_basic_auth()
}

/// Whether the main listener (path routing) uses the token flow: while anonymous access is on.
/// docker answers a Basic challenge it holds no credentials for with "no basic auth
/// credentials" and sends nothing, so anonymous pulls by docker need the token flow, whose
/// `/v2/token` hands out anonymous tokens; Basic credentials are still accepted.
pub(super) fn main_uses_tokens(services: &Services) -> bool {
    services.security.anonymous().is_some()
}

/// The version check: 200 `{}` to a caller who sent credentials (a user's, or a docker token,
/// anonymous ones included), the challenge to anyone else, the anonymous user included.
fn version_check(
    req: &HttpRequest,
    bearer: bool,
    caller: Result<Caller, RestError>,
) -> HttpResponse {
    let challenge = if bearer {
        Challenge::Bearer { scope: None }
    } else {
        Challenge::Basic
    };
    match signed_in(req, &challenge, caller) {
        Ok(Caller(Some(p))) if !p.anonymous || bearer_token(req).is_some() => HttpResponse::Ok()
            .insert_header(API_VERSION)
            .json(json!({})),
        Ok(_) => unauthorized(req, &challenge),
        Err(resp) => resp,
    }
}

/// `GET /v2/` on the main listener.
pub(super) async fn version(
    req: HttpRequest,
    services: Data,
    caller: Result<Caller, RestError>,
) -> HttpResponse {
    version_check(&req, main_uses_tokens(&services), caller)
}

/// `GET /v2/` on a repository's own port.
pub(super) async fn version_on_port(
    req: HttpRequest,
    services: Data,
    caller: Result<Caller, RestError>,
    repo: web::Data<PortRepository>,
) -> HttpResponse {
    let bearer = matches!(
        services.catalogue.find_repository(&repo.0).await,
        Ok(Some(r)) if uses_tokens(&r)
    );
    version_check(&req, bearer, caller)
}

/// The token action a request method needs.
pub(super) fn token_action(method: &Method) -> &'static str {
    match *method {
        Method::GET | Method::HEAD => "pull",
        Method::DELETE => "delete",
        _ => "push",
    }
}

/// `GET /v2/token?service=…&scope=repository:<name>:<actions>…`: a token granting, of the
/// requested actions, those the caller's privileges allow (Docker's token spec response).
/// Without credentials, and with anonymous access on, an anonymous token with the anonymous
/// user's grants.
pub(super) async fn token(
    req: HttpRequest,
    services: Data,
    caller: Result<Caller, RestError>,
    port_repo: Option<web::Data<PortRepository>>,
) -> HttpResponse {
    let principal = match signed_in(&req, &Challenge::Basic, caller) {
        Ok(Caller(Some(p))) if basic_credentials(&req).is_some() || p.anonymous => p,
        Ok(_) => return unauthorized(&req, &Challenge::Basic),
        Err(resp) => return resp,
    };
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let mut access = Vec::new();
    for (_, scope) in pairs.iter().filter(|(k, _)| k == "scope") {
        let Some(requested) = Access::parse_scope(scope).filter(|a| a.kind == "repository") else {
            continue;
        };
        let repo_name = match &port_repo {
            Some(r) => r.0.clone(),
            None => requested.name.split('/').next().unwrap_or("").to_owned(),
        };
        let Ok(Some(repo)) = services.catalogue.find_repository(&repo_name).await else {
            continue;
        };
        let granted: Vec<String> = requested
            .actions
            .iter()
            .filter(|a| {
                let action = match a.as_str() {
                    "pull" => Action::Read,
                    "push" => Action::Add,
                    "delete" => Action::Delete,
                    _ => return false,
                };
                principal.permits(&Permission::RepositoryView {
                    format: &repo.format,
                    repository: &repo.name,
                    action,
                })
            })
            .cloned()
            .collect();
        access.push(Access {
            actions: granted,
            ..requested
        });
    }
    let (token, claims) = services.tokens.issue(&principal, SERVICE, access);
    HttpResponse::Ok().insert_header(API_VERSION).json(json!({
        "token": token,
        "access_token": token,
        "expires_in": TOKEN_TTL_SECS,
        "issued_at": stowage_core::rfc3339(claims.iat * 1000),
    }))
}
