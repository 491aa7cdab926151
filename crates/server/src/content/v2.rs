//! The Distribution API on the main listener, path-routed: `/v2/<repository>/<image>/…` goes to
//! docker repository `<repository>`, so `docker push host:8081/<repository>/<image>:<tag>`
//! works without a port per repository. `GET /v2/` is the version check `docker login` uses.

use crate::auth::Caller;
use crate::content::raw_tail;
use crate::error::{BASIC_CHALLENGE, RestError};
use crate::state::State;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::collections::HashMap;
use stowage_core::CoreError;
use stowage_core::format::{ContentContext, action_for_method};
use stowage_core::security::{Action, Permission};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, error_response};

/// Registers the `/v2` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2", web::get().to(version))
        .route("/v2/", web::get().to(version))
        .route("/v2/_catalog", web::get().to(catalog))
        .route("/v2/{repo}/{tail:.*}", web::route().to(dispatch));
}

/// 401 with the Basic challenge docker answers with credentials.
fn unauthorized() -> HttpResponse {
    let e = RegistryError::new(ErrorCode::Unauthorized, "sign in with docker login");
    let mut resp = error_response(&e);
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static(BASIC_CHALLENGE),
    );
    resp
}

fn failure(e: CoreError) -> HttpResponse {
    match e {
        CoreError::Unauthenticated => unauthorized(),
        e => Failure::Core(e).into_response(),
    }
}

async fn version(caller: Result<Caller, RestError>) -> HttpResponse {
    match caller {
        Ok(Caller(Some(_))) => HttpResponse::Ok()
            .insert_header(API_VERSION)
            .json(json!({})),
        _ => unauthorized(),
    }
}

/// `GET /v2/_catalog`: `<repository>/<image>` for every tagged image the caller may browse,
/// sorted, paged with `n` and `last`.
async fn catalog(
    req: HttpRequest,
    state: State,
    caller: Result<Caller, RestError>,
) -> HttpResponse {
    let Ok(Caller(Some(principal))) = caller else {
        return unauthorized();
    };
    let catalogue = &state.services.catalogue;
    let mut names = Vec::new();
    let repos = match catalogue.list_repositories().await {
        Ok(r) => r,
        Err(e) => return failure(e),
    };
    for repo in repos.iter().filter(|r| r.format == "docker") {
        let may = principal.permits(&Permission::RepositoryView {
            format: &repo.format,
            repository: &repo.name,
            action: Action::Browse,
        });
        if !may {
            continue;
        }
        match catalogue.component_names(&repo.id).await {
            Ok(images) => names.extend(images.into_iter().map(|i| format!("{}/{i}", repo.name))),
            Err(e) => return failure(e),
        }
    }
    names.sort();
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

async fn dispatch(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    caller: Result<Caller, RestError>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (repo_name, _) = path.into_inner();
    let tail = raw_tail(&req, "/v2", &repo_name).to_owned();
    let mount = format!("/v2/{repo_name}");
    serve(req, body, state, caller, &repo_name, tail, mount, true).await
}

/// `/v2/<tail>` on repository `repo`'s own port (see `crate::connectors`).
pub async fn serve_on_port(
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
    serve(
        req,
        body,
        state,
        caller,
        &repo.0,
        tail,
        "/v2".to_owned(),
        false,
    )
    .await
}

/// The repository a per-repository listener serves.
pub struct PortRepository(pub String);

/// The version check on a repository's own port.
pub async fn version_on_port(caller: Result<Caller, RestError>) -> HttpResponse {
    version(caller).await
}

#[expect(
    clippy::too_many_arguments,
    reason = "one request's parts, passed through once"
)]
async fn serve(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    caller: Result<Caller, RestError>,
    repo_name: &str,
    tail: String,
    mount: String,
    path_routed: bool,
) -> HttpResponse {
    let Ok(caller) = caller else {
        return unauthorized();
    };
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
        Err(e) => return failure(e),
    };
    if path_routed
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
    let Some(recipe) = state
        .recipes
        .get(&repository.format, repository.kind)
        .cloned()
    else {
        return failure(CoreError::Internal(format!(
            "no recipe for docker-{}",
            repository.kind.as_str()
        )));
    };
    let ctx = ContentContext {
        path: tail,
        mount,
        repository,
        principal: caller.0,
        client_ip: req.peer_addr().map(|a| a.ip().to_string()),
        services: state.services.clone(),
    };
    if let Err(e) = ctx.require(action_for_method(req.method())) {
        return failure(e);
    }
    if !ctx.repository.online {
        return HttpResponse::ServiceUnavailable()
            .insert_header(API_VERSION)
            .body(format!("repository '{repo_name}' is offline\n"));
    }
    match recipe.handle(ctx, req, body).await {
        Ok(resp) => resp,
        Err(e) => failure(e),
    }
}
