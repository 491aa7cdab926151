//! Registry requests to a repository: path-routed on the main listener
//! (`/v2/<repository>/<image>/…`) or on the repository's own port, checked (challenge,
//! `pathEnabled`, token scope) and handed to the core's one dispatcher.

use super::Data;
use super::auth::{
    Challenge, failure, main_uses_tokens, signed_in, token_action, unauthorized, uses_tokens,
};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use stowage_core::CoreError;
use stowage_core::format::{ContentContext, Dispatch};
use stowage_core::security::tokens::Claims;
use stowage_core::web::{Caller, PortRepository, RestError};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::error_response;
use stowage_docker::settings::DockerAttributes;

pub(super) async fn dispatch(
    req: HttpRequest,
    body: web::Payload,
    services: Data,
    caller: Result<Caller, RestError>,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (repo_name, _) = path.into_inner();
    let tail = stowage_core::web::path_tail(&req, "/v2", &repo_name).to_owned();
    let mount = format!("/v2/{repo_name}");
    serve(
        req,
        body,
        services,
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

pub(super) async fn serve_on_port(
    req: HttpRequest,
    body: web::Payload,
    services: Data,
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
    serve(req, body, services, caller, target).await
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
    services: Data,
    caller: Result<Caller, RestError>,
    target: Target<'_>,
) -> HttpResponse {
    let repo_name = target.repo_name;
    let Dispatch { repository, recipe } = match Dispatch::lookup(&services, repo_name).await {
        Ok(d) if d.repository.format == super::FORMAT => d,
        Ok(_) | Err(CoreError::NotFound(_)) => {
            return error_response(&RegistryError::new(
                ErrorCode::NameUnknown,
                format!(
                    "no docker repository '{repo_name}'; the first path segment names the repository"
                ),
            ));
        }
        Err(e) => return failure(&req, &Challenge::Basic, e),
    };
    // The route, parsed once: the recipe takes it from the request (see `route::parsed`).
    let route = stowage_docker::route::parse_into(&req, &target.tail);
    // The name the client knows the image by, as token scopes name it.
    let scope_name = route.ok().map(|r| {
        if target.path_routed {
            format!("{repo_name}/{}", r.image())
        } else {
            r.image().to_string()
        }
    });
    let action = token_action(req.method());
    let bearer = if target.path_routed {
        main_uses_tokens(&services)
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
    if target.path_routed && !DockerAttributes::of(&repository.attributes).path_enabled() {
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
    let ctx = ContentContext::new(
        &services,
        &req,
        repository,
        target.mount,
        target.tail,
        caller.0,
    );
    match stowage_core::format::dispatch(recipe, ctx, req.clone(), body).await {
        Ok(resp) => resp,
        Err(e) => failure(&req, &challenge, e),
    }
}
