//! Content routes: `/repository/<name>/<path>` dispatched to the repository's format, the
//! path-routed Distribution API under `/v2/<name>/…` ([`v2`]), and the HTML browse listing at `/service/rest/repository/browse/<name>/<dir>/`.

pub(crate) mod browse;
pub(crate) mod v2;

use crate::auth::Caller;
use crate::error::ContentError;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use stowage_core::CoreError;
use stowage_core::format::{ContentContext, action_for_method};

/// The still percent-encoded remainder of the request path after `/<prefix>/<repo>/`.
pub(crate) fn raw_tail<'a>(req: &'a HttpRequest, prefix: &str, repo: &str) -> &'a str {
    let path = req.uri().path();
    path.strip_prefix(prefix)
        .and_then(|p| p.strip_prefix('/'))
        .and_then(|p| {
            // The repository segment as sent (names never need percent-encoding).
            p.strip_prefix(repo)
        })
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or("")
}

/// `/repository/<name>/<path>`: the repository's format serves it once the caller holds the
/// repository-view action the method needs.
pub(crate) async fn dispatch(
    req: HttpRequest,
    body: web::Payload,
    state: State,
    caller: Caller,
    repo: web::Path<(String, String)>,
) -> Result<HttpResponse, ContentError> {
    let (repo_name, _) = repo.into_inner();
    let services = state.services.clone();
    let repository = services
        .catalogue
        .find_repository(&repo_name)
        .await?
        .ok_or_else(|| CoreError::NotFound(format!("repository '{repo_name}'")))?;
    let recipe = state
        .recipes
        .get(&repository.format, repository.kind)
        .ok_or_else(|| {
            CoreError::Internal(format!(
                "no recipe for {}-{} in this build",
                repository.format,
                repository.kind.as_str()
            ))
        })?
        .clone();
    let path = raw_tail(&req, "/repository", &repo_name).to_owned();
    let ctx = ContentContext {
        repository,
        path,
        mount: format!("/repository/{repo_name}"),
        principal: caller.0,
        client_ip: req.peer_addr().map(|a| a.ip().to_string()),
        services,
    };
    ctx.require(action_for_method(req.method()))?;
    if !ctx.repository.online {
        return Ok(HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body(format!("repository '{}' is offline\n", ctx.repository.name)));
    }
    Ok(recipe.handle(ctx, req, body).await?)
}

/// Percent-encodes a stored path for use in a URL, keeping `/` and unreserved characters.
pub fn encode_path(p: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(p, SET).to_string()
}
