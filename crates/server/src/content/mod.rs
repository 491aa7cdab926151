//! Content routes: `/repository/<name>/<path>` handed to the core's one dispatcher, and the HTML
//! browse listing at `/service/rest/repository/browse/<name>/<dir>/`. Formats add routes of their
//! own (docker's `/v2`) through their [`Format`](stowage_core::format::Format).

pub(crate) mod browse;

use crate::error::ContentError;
use actix_web::{HttpRequest, HttpResponse, web};
use stowage_core::format::{ContentContext, Dispatch, Services, dispatch as serve};
use stowage_core::web::{Caller, path_tail};

pub use stowage_core::web::encode_path;

/// `/repository/<name>/<path>`: the repository's recipe serves it once the caller holds the
/// repository-view action the method needs and the repository is online.
pub(crate) async fn dispatch(
    req: HttpRequest,
    body: web::Payload,
    services: web::Data<Services>,
    caller: Caller,
    repo: web::Path<(String, String)>,
) -> Result<HttpResponse, ContentError> {
    let (repo_name, _) = repo.into_inner();
    let services = services.into_inner();
    let target = Dispatch::lookup(&services, &repo_name).await?;
    let path = path_tail(&req, "/repository", &repo_name).to_owned();
    let ctx = ContentContext::new(
        &services,
        &req,
        target.repository,
        format!("/repository/{repo_name}"),
        path,
        caller.0,
    );
    Ok(serve(target.recipe, ctx, req, body).await?)
}
