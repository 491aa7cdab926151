//! Raw hosted repositories: files uploaded by clients.

use crate::RawPath;
use crate::attributes::RawRepositoryRequest;
use crate::content::{RawContent, RawFile, serve_file};
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::format::{ContentContext, Recipe, RepositorySpec};
use stowage_core::group::MemberError;
use stowage_core::model::{NewAsset, RepoKind, WritePolicy};
use stowage_core::security::Action;
use stowage_core::{CoreError, Result};

/// `raw-hosted`.
pub struct RawHostedRecipe;

#[async_trait::async_trait(?Send)]
impl Recipe for RawHostedRecipe {
    fn format(&self) -> &'static str {
        "raw"
    }

    fn kind(&self) -> RepoKind {
        RepoKind::Hosted
    }

    fn form(&self) -> &'static [stowage_core::format::ui::FieldSpec] {
        crate::form::HOSTED
    }

    fn defaults(&self) -> serde_json::Value {
        crate::form::hosted_defaults()
    }

    fn parse_request(&self, body: &Value) -> Result<RepositorySpec> {
        let request = RawRepositoryRequest::read(body);
        let common = &request.common;
        let (name, online, blob_store) = common.validate_common()?;
        let strict = common
            .storage
            .strict_content_type_validation
            .flag_not_null("storage.strictContentTypeValidation", true)?;
        let policy = common.storage.parse_write_policy()?;
        let disposition = request.raw.parse_content_disposition()?;
        let cleanup = common.cleanup_as_given();
        if !cleanup.is_null() && !cleanup.is_object() {
            return Err(CoreError::invalid(
                "cleanup",
                "must be an object with policyNames",
            ));
        }
        Ok(RepositorySpec {
            name,
            online,
            attributes: json!({
                "storage": {
                    "blobStoreName": blob_store,
                    "strictContentTypeValidation": strict,
                    "writePolicy": policy,
                },
                "raw": { "contentDisposition": disposition },
                "cleanup": cleanup,
                "component": common.component_as_given(),
            }),
            blob_store,
        })
    }

    async fn handle(
        &self,
        ctx: ContentContext,
        req: HttpRequest,
        body: web::Payload,
    ) -> Result<HttpResponse> {
        let path = RawPath::parse(&ctx.path)?;
        match *req.method() {
            Method::GET | Method::HEAD => get(&ctx, &req, &path).await,
            Method::PUT => {
                put(&ctx, &path, body).await?;
                Ok(HttpResponse::Created().finish())
            }
            Method::DELETE => delete(&ctx, &path).await,
            _ => Ok(HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, "GET, HEAD, PUT, DELETE"))
                .body("raw repositories support GET, HEAD, PUT and DELETE\n")),
        }
    }

    /// A raw group reads through this recipe's `RawContent`.
    fn content(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn supports_upload(&self) -> bool {
        true
    }

    async fn upload(
        &self,
        ctx: &ContentContext,
        path: &str,
        body: futures_util::stream::LocalBoxStream<'_, std::io::Result<bytes::Bytes>>,
    ) -> Result<()> {
        put(ctx, &RawPath::parse(path)?, body).await
    }
}

/// The stored file at `path`, if any.
pub(crate) async fn find(ctx: &ContentContext, path: &RawPath) -> Result<Option<RawFile>> {
    let found = ctx
        .services
        .catalogue
        .find_asset(&ctx.repository.id, path.as_str())
        .await?;
    Ok(found.map(|asset| RawFile {
        ctx: ctx.clone(),
        asset,
    }))
}

#[async_trait::async_trait(?Send)]
impl RawContent for RawHostedRecipe {
    async fn file(
        &self,
        ctx: &ContentContext,
        path: &RawPath,
    ) -> std::result::Result<Option<RawFile>, MemberError> {
        Ok(find(ctx, path).await?)
    }
}

async fn get(ctx: &ContentContext, req: &HttpRequest, path: &RawPath) -> Result<HttpResponse> {
    let file = find(ctx, path).await?.ok_or_else(|| {
        CoreError::NotFound(format!(
            "'{}' in repository '{}'",
            path.as_str(),
            ctx.repository.name
        ))
    })?;
    serve_file(req, path, &file).await
}

async fn put<S, E>(ctx: &ContentContext, path: &RawPath, body: S) -> Result<()>
where
    S: futures_util::Stream<Item = std::result::Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let repo = &ctx.repository;
    let policy = repo.write_policy();
    if policy == WritePolicy::Deny {
        return Err(CoreError::Conflict(format!(
            "repository '{}' is read-only (write policy DENY)",
            repo.name
        )));
    }
    let catalogue = &ctx.services.catalogue;
    // Checked before reading the body so a refused overwrite costs no upload; the catalogue
    // checks again atomically when it records the asset.
    if catalogue
        .find_asset(&repo.id, path.as_str())
        .await?
        .is_some()
    {
        if policy == WritePolicy::AllowOnce {
            return Err(CoreError::Conflict(format!(
                "repository '{}' does not allow updating assets: '{}' already exists",
                repo.name,
                path.as_str()
            )));
        }
        ctx.require(Action::Edit)?;
    }
    store(ctx, path, body, policy == WritePolicy::Allow).await
}

/// Streams `body` into the repository's blob store and records it as the asset (and
/// component) at `path`; `overwrite` replaces an existing asset.
pub(crate) async fn store<S, E>(
    ctx: &ContentContext,
    path: &RawPath,
    body: S,
    overwrite: bool,
) -> Result<()>
where
    S: futures_util::Stream<Item = std::result::Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let repo = &ctx.repository;
    let catalogue = &ctx.services.catalogue;
    let store = ctx.services.blob_store(&repo.blob_store).await?;
    let blob = store.ingest(body, None).await?;
    let size = blob.size;
    let new = NewAsset {
        path: path.as_str().to_owned(),
        blob,
        content_type: mime_guess::from_path(path.file_name())
            .first_or_octet_stream()
            .essence_str()
            .to_owned(),
        component: Some((path.group(), path.as_str().to_owned(), String::new())),
        uploader: ctx.principal.as_ref().map(|p| p.user_id.clone()),
        uploader_ip: ctx.client_ip.clone(),
    };
    catalogue.put_asset(repo, &new, overwrite).await?;
    tracing::info!(repo = %repo.name, path = %path.as_str(), size_bytes = size, "stored raw asset");
    Ok(())
}

async fn delete(ctx: &ContentContext, path: &RawPath) -> Result<HttpResponse> {
    let catalogue = &ctx.services.catalogue;
    let asset = catalogue
        .find_asset(&ctx.repository.id, path.as_str())
        .await?
        .ok_or_else(|| {
            CoreError::NotFound(format!(
                "'{}' in repository '{}'",
                path.as_str(),
                ctx.repository.name
            ))
        })?;
    catalogue.delete_asset(&asset.id).await?;
    Ok(HttpResponse::NoContent().finish())
}
