//! [`RawContent`]: the read a raw repository answers (the file at a path) as a typed
//! operation. Hosted, proxy and group repositories implement it; their `GET`/`HEAD` handlers
//! serve its result ([`serve_file`]), and a group asks its members through it
//! (`stowage_core::group::first_answer`): "does not have it" is `Ok(None)`, "could not answer"
//! an error, never read from a response status.

use crate::attributes::RawAttributes;
use crate::{RawGroupRecipe, RawHostedRecipe, RawPath, RawProxyRecipe};
use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use stowage_core::format::ContentContext;
use stowage_core::group::MemberError;
use stowage_core::http::{BlobMeta, serve_blob};
use stowage_core::model::Asset;
use stowage_core::{CoreError, Result};

/// A stored file and the repository that holds it (a group's member).
pub struct RawFile {
    /// The context of the repository that holds it.
    pub ctx: ContentContext,
    /// Its asset.
    pub asset: Asset,
}

/// The read a raw repository answers, for a `GET` or a `HEAD` alike (they differ only in the
/// response, [`serve_file`]).
#[async_trait::async_trait(?Send)]
pub trait RawContent {
    /// The file at `path` in `ctx.repository`; `None`: the repository does not have it. A
    /// repository that cannot answer (a proxy whose remote is down and nothing is cached)
    /// refuses with its own response ([`MemberError::Refused`]).
    async fn file(
        &self,
        ctx: &ContentContext,
        path: &RawPath,
    ) -> std::result::Result<Option<RawFile>, MemberError>;
}

/// The content operations of `ctx.repository`: its registered recipe as the raw type it is.
pub(crate) fn content_of(ctx: &ContentContext) -> Result<&dyn RawContent> {
    let recipe = ctx.services.formats.recipe_of(&ctx.repository)?;
    let any = recipe.content();
    if let Some(r) = any.and_then(|a| a.downcast_ref::<RawHostedRecipe>()) {
        return Ok(r);
    }
    if let Some(r) = any.and_then(|a| a.downcast_ref::<RawProxyRecipe>()) {
        return Ok(r);
    }
    if let Some(r) = any.and_then(|a| a.downcast_ref::<RawGroupRecipe>()) {
        return Ok(r);
    }
    Err(CoreError::Internal(format!(
        "repository '{}' ({}-{}) serves no raw content",
        ctx.repository.name,
        ctx.repository.format,
        ctx.repository.kind.as_str()
    )))
}

/// Serves `file` (found at `path`) as the repository holding it does: its
/// `raw.contentDisposition`, ranges and conditional requests; a `GET` records the download.
pub async fn serve_file(req: &HttpRequest, path: &RawPath, file: &RawFile) -> Result<HttpResponse> {
    let RawFile { ctx, asset } = file;
    let mut builder = HttpResponse::build(StatusCode::OK);
    let disposition = RawAttributes::of(&ctx.repository.attributes).content_disposition();
    let filename = path.file_name().replace('"', "");
    builder.insert_header((
        header::CONTENT_DISPOSITION,
        if disposition == "INLINE" {
            format!("inline; filename=\"{filename}\"")
        } else {
            format!("attachment; filename=\"{filename}\"")
        },
    ));
    let resp = serve_blob(
        req,
        &ctx.services,
        BlobMeta {
            blob: &asset.blob,
            content_type: &asset.content_type,
            last_modified: Some(asset.last_modified),
        },
        builder,
    )
    .await?;
    if req.method() == Method::GET && resp.status().is_success() {
        ctx.services.catalogue.record_download(asset);
    }
    Ok(resp)
}
