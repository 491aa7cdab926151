//! The Distribution API below `/v2/`, on the main listener (path-routed: `/v2/<repository>/<image>/…`
//! goes to docker repository `<repository>`, so `docker push host:8081/<repository>/<image>`
//! works without a port per repository) and on each repository's own port (see
//! `crate::connectors`).
//!
//! Authentication: Basic credentials always work. A repository on its own port with
//! `forceBasicAuth: false`, and the main listener while anonymous access is on, challenge with
//! Docker's token flow instead: `WWW-Authenticate: Bearer realm=".../v2/token",service="stowage",
//! scope="repository:<image>:pull,push"`, and `/v2/token` issues short-lived signed tokens for
//! the scopes the caller's privileges allow (anonymous ones too while anonymous access is on).
//!
//! `/v2/` challenges every request that carries no credentials, anonymous access or not:
//! docker, podman and skopeo send the credentials they hold only once `/v2/` has challenged
//! them, so a 200 there makes `docker login` "succeed" without checking the password and every
//! later push go out without credentials.

use crate::auth::{Caller, basic_credentials, bearer_token};
use crate::content::raw_tail;
use crate::error::{BASIC_CHALLENGE, RestError};
use crate::state::State;
use actix_web::http::{Method, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde_json::json;
use std::collections::HashMap;
use stowage_core::CoreError;
use stowage_core::format::{ContentContext, action_for_method};
use stowage_core::model::Repository;
use stowage_core::security::tokens::{Access, Claims, TOKEN_TTL_SECS};
use stowage_core::security::{Action, Permission, Principal};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, error_response};

/// The `service` of issued tokens.
const SERVICE: &str = "stowage";

/// The repository a per-repository listener serves.
pub struct PortRepository(pub String);

/// How a 401 asks for credentials.
enum Challenge {
    Basic,
    Bearer { scope: Option<String> },
}

fn unauthorized(req: &HttpRequest, challenge: &Challenge) -> HttpResponse {
    let e = RegistryError::new(ErrorCode::Unauthorized, "sign in with docker login");
    let mut resp = error_response(&e);
    let value = match challenge {
        Challenge::Basic => BASIC_CHALLENGE.to_owned(),
        Challenge::Bearer { scope } => {
            let base = crate::rest::base_url(req);
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
fn signed_in(
    req: &HttpRequest,
    challenge: &Challenge,
    caller: Result<Caller, RestError>,
) -> Result<Caller, HttpResponse> {
    caller.map_err(|RestError(e)| failure(req, challenge, e))
}

fn failure(req: &HttpRequest, challenge: &Challenge, e: CoreError) -> HttpResponse {
    match e {
        CoreError::Unauthenticated => unauthorized(req, challenge),
        e => Failure::Core(e).into_response(),
    }
}

/// Whether a repository on its own port uses the token flow.
fn uses_tokens(repo: &Repository) -> bool {
    repo.attributes
        .pointer("/docker/forceBasicAuth")
        .and_then(|v| v.as_bool())
        == Some(false)
}

/// Whether the main listener (path routing) uses the token flow: while anonymous access is on.
/// docker answers a Basic challenge it holds no credentials for with "no basic auth
/// credentials" and sends nothing, so anonymous pulls by docker need the token flow, whose
/// `/v2/token` hands out anonymous tokens; Basic credentials are still accepted.
fn main_uses_tokens(state: &State) -> bool {
    state.security.anonymous().is_some()
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
pub(crate) async fn version(
    req: HttpRequest,
    state: State,
    caller: Result<Caller, RestError>,
) -> HttpResponse {
    version_check(&req, main_uses_tokens(&state), caller)
}

/// `GET /v2/` on a repository's own port.
pub(crate) async fn version_on_port(
    req: HttpRequest,
    state: State,
    caller: Result<Caller, RestError>,
    repo: web::Data<PortRepository>,
) -> HttpResponse {
    let bearer = matches!(
        state.services.catalogue.find_repository(&repo.0).await,
        Ok(Some(r)) if uses_tokens(&r)
    );
    version_check(&req, bearer, caller)
}

/// The token action a request method needs.
fn token_action(method: &Method) -> &'static str {
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
pub(crate) async fn token(
    req: HttpRequest,
    state: State,
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
        let Ok(Some(repo)) = state.services.catalogue.find_repository(&repo_name).await else {
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
    let (token, claims) = state.tokens.issue(&principal, SERVICE, access);
    HttpResponse::Ok().insert_header(API_VERSION).json(json!({
        "token": token,
        "access_token": token,
        "expires_in": TOKEN_TTL_SECS,
        "issued_at": stowage_core::rfc3339(claims.iat * 1000),
    }))
}

/// `GET /v2/_catalog`: `<repository>/<image>` for every tagged image the caller may browse,
/// sorted, paged with `n` and `last`.
pub(crate) async fn catalog(
    req: HttpRequest,
    state: State,
    caller: Result<Caller, RestError>,
    port_repo: Option<web::Data<PortRepository>>,
) -> HttpResponse {
    let principal = match signed_in(&req, &Challenge::Basic, caller) {
        Ok(Caller(Some(p))) => p,
        Ok(Caller(None)) => return unauthorized(&req, &Challenge::Basic),
        Err(resp) => return resp,
    };
    let only = port_repo.as_ref().map(|r| r.0.as_str());
    match catalog_names(&state, &principal, only).await {
        Ok(names) => paged(&req, names),
        Err(e) => failure(&req, &Challenge::Basic, e),
    }
}

/// Tagged images the caller may browse: `<repository>/<image>` across docker repositories, or
/// just `<image>` within `only` (a repository's own port).
async fn catalog_names(
    state: &State,
    principal: &Principal,
    only: Option<&str>,
) -> Result<Vec<String>, CoreError> {
    let catalogue = &state.services.catalogue;
    let mut names = Vec::new();
    let repos = catalogue.list_repositories().await?;
    let docker = repos
        .iter()
        .filter(|r| r.format == "docker" && only.is_none_or(|o| o == r.name));
    for repo in docker {
        let may = principal.permits(&Permission::RepositoryView {
            format: &repo.format,
            repository: &repo.name,
            action: Action::Browse,
        });
        if may {
            let images = catalogue.component_names(&repo.id).await?;
            match only {
                Some(_) => names.extend(images),
                None => names.extend(images.into_iter().map(|i| format!("{}/{i}", repo.name))),
            }
        }
    }
    names.sort();
    Ok(names)
}

/// `GET /v1/search?q=&n=` on a repository's own port with `v1Enabled`: what `docker search
/// host:port/<term>` asks for (the V2 API has no search). Matches tagged image names containing
/// the term.
pub(crate) async fn search(
    req: HttpRequest,
    state: State,
    caller: Result<Caller, RestError>,
    repo: web::Data<PortRepository>,
) -> HttpResponse {
    let principal = match signed_in(&req, &Challenge::Basic, caller) {
        Ok(Caller(Some(p))) => p,
        Ok(Caller(None)) => return unauthorized(&req, &Challenge::Basic),
        Err(resp) => return resp,
    };
    let v1 = matches!(
        state.services.catalogue.find_repository(&repo.0).await,
        Ok(Some(r)) if r.attributes.pointer("/docker/v1Enabled").and_then(|v| v.as_bool()) == Some(true)
    );
    if !v1 {
        return HttpResponse::NotFound().body("search needs docker.v1Enabled on this repository\n");
    }
    let q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let term = q.get("q").cloned().unwrap_or_default().to_lowercase();
    let limit = q
        .get("n")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let names = match catalog_names(&state, &principal, Some(&repo.0)).await {
        Ok(n) => n,
        Err(e) => return failure(&req, &Challenge::Basic, e),
    };
    let results: Vec<_> = names
        .iter()
        .filter(|n| n.contains(&term))
        .take(limit)
        .map(|n| json!({"name": n, "description": "", "star_count": 0, "is_official": false, "is_automated": false}))
        .collect();
    HttpResponse::Ok().json(json!({
        "query": term,
        "num_results": results.len(),
        "page": 1,
        "num_pages": 1,
        "page_size": limit,
        "results": results,
    }))
}

fn paged(req: &HttpRequest, names: Vec<String>) -> HttpResponse {
    let q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let last = q.get("last").cloned().unwrap_or_default();
    let n = q.get("n").and_then(|v| v.parse::<usize>().ok());
    let after: Vec<String> = names.into_iter().filter(|x| *x > last).collect();
    let (page, more) = match n {
        Some(n) => (after[..n.min(after.len())].to_vec(), after.len() > n),
        None => (after, false),
    };
    let mut resp = HttpResponse::Ok();
    resp.insert_header(API_VERSION);
    if let (true, Some(n), Some(l)) = (more, n, page.last()) {
        resp.insert_header((
            header::LINK,
            format!("</v2/_catalog?n={n}&last={l}>; rel=\"next\""),
        ));
    }
    resp.json(json!({ "repositories": page }))
}

pub(crate) async fn dispatch(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    caller: Result<Caller, RestError>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (repo_name, _) = path.into_inner();
    let tail = raw_tail(&req, "/v2", &repo_name).to_owned();
    let mount = format!("/v2/{repo_name}");
    serve(
        req,
        body,
        state,
        caller,
        Target {
            repo_name: &repo_name,
            tail,
            mount,
            path_routed: true,
        },
    )
    .await
}

pub(crate) async fn serve_on_port(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    caller: Result<Caller, RestError>,
    repo: web::Data<PortRepository>,
) -> HttpResponse {
    let tail = req
        .uri()
        .path()
        .strip_prefix("/v2/")
        .unwrap_or("")
        .to_owned();
    let target = Target {
        repo_name: &repo.0,
        tail,
        mount: "/v2".to_owned(),
        path_routed: false,
    };
    serve(req, body, state, caller, target).await
}

/// Where a `/v2` request goes.
struct Target<'a> {
    repo_name: &'a str,
    tail: String,
    mount: String,
    path_routed: bool,
}

async fn serve(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    caller: Result<Caller, RestError>,
    target: Target<'_>,
) -> HttpResponse {
    let repo_name = target.repo_name;
    let repository = match state.services.catalogue.find_repository(repo_name).await {
        Ok(Some(r)) if r.format == "docker" => r,
        Ok(_) => {
            return error_response(&RegistryError::new(
                ErrorCode::NameUnknown,
                format!(
                    "no docker repository '{repo_name}'; the first path segment names the repository"
                ),
            ));
        }
        Err(e) => return failure(&req, &Challenge::Basic, e),
    };
    // The name the client knows the image by, as token scopes name it.
    let scope_name = stowage_docker::route::parse(req.method(), &target.tail)
        .ok()
        .map(|r| {
            if target.path_routed {
                format!("{repo_name}/{}", r.image())
            } else {
                r.image().to_string()
            }
        });
    let action = token_action(req.method());
    let bearer = if target.path_routed {
        main_uses_tokens(&state)
    } else {
        uses_tokens(&repository)
    };
    let challenge = if bearer {
        Challenge::Bearer {
            scope: scope_name
                .as_ref()
                .map(|n| format!("repository:{n}:pull,push")),
        }
    } else {
        Challenge::Basic
    };
    let caller = match signed_in(&req, &challenge, caller) {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    if target.path_routed
        && repository
            .attributes
            .pointer("/docker/pathEnabled")
            .and_then(|v| v.as_bool())
            == Some(false)
    {
        return error_response(&RegistryError::new(
            ErrorCode::NameUnknown,
            format!(
                "repository '{repo_name}' does not allow path routing (docker.pathEnabled is false)"
            ),
        ));
    }
    // A token must carry the scope for this image and action, whatever the user's roles.
    let token_ok = req
        .extensions()
        .get::<Claims>()
        .is_none_or(|c| scope_name.as_ref().is_some_and(|n| c.allows(n, action)));
    if !token_ok {
        return unauthorized(&req, &challenge);
    }
    let Some(recipe) = state
        .recipes
        .get(&repository.format, repository.kind)
        .cloned()
    else {
        let e = CoreError::Internal(format!("no recipe for docker-{}", repository.kind.as_str()));
        return failure(&req, &challenge, e);
    };
    let ctx = ContentContext {
        path: target.tail,
        mount: target.mount,
        repository,
        principal: caller.0,
        client_ip: req.peer_addr().map(|a| a.ip().to_string()),
        services: state.services.clone(),
    };
    if let Err(e) = ctx.require(action_for_method(req.method())) {
        return failure(&req, &challenge, e);
    }
    if !ctx.repository.online {
        return HttpResponse::ServiceUnavailable()
            .insert_header(API_VERSION)
            .body(format!("repository '{repo_name}' is offline\n"));
    }
    match recipe.handle(ctx, req.clone(), body).await {
        Ok(resp) => resp,
        Err(e) => failure(&req, &challenge, e),
    }
}
