//! Blobs and blob uploads: `GET`/`HEAD`/`DELETE …/blobs/<digest>` and the upload session
//! endpoints (`POST …/blobs/uploads/`, `PATCH`/`PUT`/`GET`/`DELETE …/blobs/uploads/<id>`).
//!
//! A session's chunks are separate temporary objects listed in its catalogue row. Docker sends
//! one streamed `PATCH` and then `PUT ?digest=`: that single chunk, already hashed while it was
//! written, is moved to its content address without being read again. Several chunks are joined
//! once, at the `PUT`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use stowage_core::catalogue::UploadSession;
use stowage_core::format::ContentContext;
use stowage_core::model::{Asset, BlobRef, NewAsset, WritePolicy};
use stowage_core::storage::{BlobStore, TmpObject};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, RegistryResult, serve_asset};
use stowage_docker::layout::blob_path;
use stowage_docker::settings::DockerAttributes;
use stowage_docker::upload::{check_chunk, progress_header};
use stowage_docker::{Digest, ImageName};

fn query(req: &HttpRequest) -> HashMap<String, String> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

fn header_str(req: &HttpRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Refuses writes to a read-only repository.
pub(crate) fn check_writable(ctx: &ContentContext) -> Result<(), Failure> {
    if ctx.repository.write_policy() == WritePolicy::Deny {
        return Err(RegistryError::new(
            ErrorCode::Denied,
            format!(
                "repository '{}' is read-only (write policy DENY)",
                ctx.repository.name
            ),
        )
        .into());
    }
    Ok(())
}

/// Records a stored blob as the repository's asset `v2/-/blobs/<digest>`.
async fn record_blob(ctx: &ContentContext, blob: BlobRef) -> Result<(), Failure> {
    let digest = Digest::from_sha256_hex(blob.digest.hex())?;
    let new = NewAsset {
        path: blob_path(&digest),
        blob,
        content_type: "application/octet-stream".into(),
        component: None,
        uploader: ctx.principal.as_ref().map(|p| p.user_id.clone()),
        uploader_ip: ctx.client_ip.clone(),
    };
    ctx.services
        .catalogue
        .put_asset(&ctx.repository, &new, true)
        .await?;
    Ok(())
}

fn blob_created(ctx: &ContentContext, image: &ImageName, digest: &Digest) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(API_VERSION)
        .insert_header((
            header::LOCATION,
            format!("{}/{image}/blobs/{digest}", ctx.mount),
        ))
        .insert_header(("Docker-Content-Digest", digest.as_str()))
        .finish()
}

fn upload_accepted(
    ctx: &ContentContext,
    image: &ImageName,
    id: &str,
    size: u64,
    status: u16,
) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::ACCEPTED),
    )
    .insert_header(API_VERSION)
    .insert_header((
        header::LOCATION,
        format!("{}/{image}/blobs/uploads/{id}", ctx.mount),
    ))
    .insert_header((header::RANGE, progress_header(size)))
    .insert_header(("Docker-Upload-UUID", id))
    .finish()
}

/// The stored blob `digest`, if any.
pub async fn find(ctx: &ContentContext, digest: &Digest) -> Result<Option<Asset>, Failure> {
    Ok(ctx
        .services
        .catalogue
        .find_asset(&ctx.repository.id, &blob_path(digest))
        .await?)
}

/// `GET`/`HEAD …/blobs/<digest>`.
pub async fn get(ctx: &ContentContext, req: &HttpRequest, digest: &Digest) -> RegistryResult {
    let asset = find(ctx, digest).await?.ok_or_else(|| {
        RegistryError::new(
            ErrorCode::BlobUnknown,
            format!("blob {digest} is not in this repository"),
        )
    })?;
    serve_asset(ctx, req, &asset, "application/octet-stream").await
}

/// `DELETE …/blobs/<digest>`: removes the blob from this repository (202).
pub async fn delete(ctx: &ContentContext, digest: &Digest) -> RegistryResult {
    check_writable(ctx)?;
    let catalogue = &ctx.services.catalogue;
    let asset = catalogue
        .find_asset(&ctx.repository.id, &blob_path(digest))
        .await?
        .ok_or_else(|| {
            RegistryError::new(
                ErrorCode::BlobUnknown,
                format!("blob {digest} is not in this repository"),
            )
        })?;
    catalogue.delete_asset(&asset.id).await?;
    Ok(HttpResponse::Accepted().insert_header(API_VERSION).finish())
}

/// `POST …/blobs/uploads/`: a cross-repository mount, a monolithic upload (`?digest=`), or a
/// new session (202).
pub async fn start_upload(
    ctx: &ContentContext,
    req: &HttpRequest,
    image: &ImageName,
    body: web::Payload,
) -> RegistryResult {
    check_writable(ctx)?;
    let q = query(req);
    if let Some(mount) = q.get("mount") {
        // Blobs are repository-wide, so a blob already here can be mounted into any image of
        // it, whatever `from` names; anything else falls back to a normal upload session, as
        // the spec allows. Without `from` the repository's `automaticCrossMount` decides.
        let digest = Digest::parse(mount)?;
        let from = q.get("from").is_some_and(|f| !f.is_empty());
        let asked =
            from || DockerAttributes::of(&ctx.repository.attributes).automatic_cross_mount();
        if asked
            && ctx
                .services
                .catalogue
                .find_asset(&ctx.repository.id, &blob_path(&digest))
                .await?
                .is_some()
        {
            return Ok(blob_created(ctx, image, &digest));
        }
    } else if let Some(d) = q.get("digest") {
        let digest = Digest::parse(d)?;
        let store = ctx.services.blob_store(&ctx.repository.blob_store).await?;
        let blob = store.ingest(body, Some(digest.hex())).await?;
        record_blob(ctx, blob).await?;
        return Ok(blob_created(ctx, image, &digest));
    }
    let id = uuid::Uuid::new_v4().to_string();
    ctx.services
        .catalogue
        .create_upload(&UploadSession {
            id: id.clone(),
            repository_id: ctx.repository.id.clone(),
            image: image.to_string(),
            blob_store: ctx.repository.blob_store.clone(),
            parts: Vec::new(),
            size: 0,
        })
        .await?;
    Ok(upload_accepted(ctx, image, &id, 0, 202))
}

async fn session(ctx: &ContentContext, id: &str) -> Result<UploadSession, Failure> {
    ctx.services
        .catalogue
        .find_upload(&ctx.repository.id, id)
        .await?
        .ok_or_else(|| {
            RegistryError::new(
                ErrorCode::BlobUploadUnknown,
                format!("upload {id} is unknown or finished"),
            )
            .into()
        })
}

/// Writes one chunk and appends it to the session; returns the session's new size.
async fn append_chunk(
    ctx: &ContentContext,
    req: &HttpRequest,
    s: &UploadSession,
    store: &BlobStore,
    body: web::Payload,
) -> Result<(Vec<TmpObject>, u64), Failure> {
    let content_length = header_str(req, header::CONTENT_LENGTH).and_then(|v| v.parse().ok());
    let expected = check_chunk(
        header_str(req, header::CONTENT_RANGE),
        content_length,
        s.size,
    )?;
    let part = store.write_tmp(body).await?;
    if let Some(len) = expected
        && len != part.size
    {
        store.discard_tmp(&part).await;
        return Err(RegistryError::new(
            ErrorCode::RangeInvalid,
            format!(
                "received {} bytes but the chunk was declared as {len}",
                part.size
            ),
        )
        .into());
    }
    let mut parts = s.parts.clone();
    let new_size = s.size + part.size;
    if part.size == 0 {
        store.discard_tmp(&part).await;
        return Ok((parts, s.size));
    }
    parts.push(part.clone());
    if !ctx
        .services
        .catalogue
        .append_upload_part(&s.id, s.size, &parts, new_size)
        .await?
    {
        store.discard_tmp(&part).await;
        return Err(RegistryError::new(
            ErrorCode::RangeInvalid,
            "another chunk was appended at the same offset; resume from the upload's Range",
        )
        .into());
    }
    Ok((parts, new_size))
}

/// `PATCH …/blobs/uploads/<id>`: one chunk (docker's streamed body, or `Content-Range`d).
pub async fn patch_upload(
    ctx: &ContentContext,
    req: &HttpRequest,
    image: &ImageName,
    id: &str,
    body: web::Payload,
) -> RegistryResult {
    check_writable(ctx)?;
    let s = session(ctx, id).await?;
    let store = ctx.services.blob_store(&s.blob_store).await?;
    let (_, size) = append_chunk(ctx, req, &s, &store, body).await?;
    Ok(upload_accepted(ctx, image, id, size, 202))
}

/// `PUT …/blobs/uploads/<id>?digest=`: an optional last chunk, then the digest check and the
/// move to the content address.
pub async fn finish_upload(
    ctx: &ContentContext,
    req: &HttpRequest,
    image: &ImageName,
    id: &str,
    body: web::Payload,
) -> RegistryResult {
    let digest = query(req)
        .get("digest")
        .ok_or_else(|| {
            RegistryError::new(ErrorCode::DigestInvalid, "the digest parameter is required")
        })
        .and_then(|d| Digest::parse(d))?;
    check_writable(ctx)?;
    let s = session(ctx, id).await?;
    let store = ctx.services.blob_store(&s.blob_store).await?;
    let (parts, _) = append_chunk(ctx, req, &s, &store, body).await?;
    let catalogue = &ctx.services.catalogue;
    let outcome = match parts.as_slice() {
        [] => {
            store
                .ingest(
                    futures_util::stream::empty::<std::io::Result<bytes::Bytes>>(),
                    Some(digest.hex()),
                )
                .await
        }
        [only] => store.commit_tmp(only, Some(digest.hex())).await,
        many => {
            let reader = store.clone();
            let joined = futures_util::stream::iter(many.to_vec())
                .then(move |p| {
                    let reader = reader.clone();
                    async move { reader.read_tmp(&p).await.map_err(std::io::Error::other) }
                })
                .try_flatten();
            let result = store.ingest(Box::pin(joined), Some(digest.hex())).await;
            for p in many {
                store.discard_tmp(p).await;
            }
            result
        }
    };
    catalogue.delete_upload(id).await?;
    let blob = match outcome {
        Err(stowage_core::CoreError::Storage(stowage_core::object_store::Error::NotFound {
            ..
        })) => {
            return Err(RegistryError::new(
                ErrorCode::BlobUploadUnknown,
                format!("upload {id} expired; start it again"),
            )
            .into());
        }
        other => other?,
    };
    record_blob(ctx, blob).await?;
    Ok(blob_created(ctx, image, &digest))
}

/// `GET …/blobs/uploads/<id>`: progress (204 with `Range`).
pub async fn upload_status(ctx: &ContentContext, image: &ImageName, id: &str) -> RegistryResult {
    let s = session(ctx, id).await?;
    Ok(upload_accepted(ctx, image, id, s.size, 204))
}

/// `DELETE …/blobs/uploads/<id>`: cancels the upload and drops its chunks.
pub async fn cancel_upload(ctx: &ContentContext, id: &str) -> RegistryResult {
    let s = session(ctx, id).await?;
    let store = ctx.services.blob_store(&s.blob_store).await?;
    for p in &s.parts {
        store.discard_tmp(p).await;
    }
    ctx.services.catalogue.delete_upload(id).await?;
    Ok(HttpResponse::NoContent()
        .insert_header(API_VERSION)
        .finish())
}
