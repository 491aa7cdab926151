//! Manifests and tags: `GET`/`HEAD`/`PUT`/`DELETE …/manifests/<reference>` and `…/tags/list`.
//! Manifests are stored and served byte-exact with the media type they were pushed with.

use crate::blobs::check_writable;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::json;
use sha2::Digest as _;
use std::collections::HashMap;
use stowage_core::attributes::StorageAttributes;
use stowage_core::format::ContentContext;
use stowage_core::model::{Asset, NewAsset, WritePolicy};
use stowage_docker::content::{Referrers, TagQuery};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, RegistryResult, serve_manifest};
use stowage_docker::layout::{blob_path, manifest_path, tag_members};
use stowage_docker::manifest::{DEFAULT_MAX_MANIFEST_BYTES, Manifest};
use stowage_docker::{Digest, ImageName, Reference};

fn unknown(image: &ImageName, reference: &Reference) -> Failure {
    RegistryError::new(
        ErrorCode::ManifestUnknown,
        format!("{image}:{reference} is not in this repository"),
    )
    .into()
}

/// The stored manifest `image:reference`, if any.
pub async fn find(
    ctx: &ContentContext,
    image: &ImageName,
    reference: &Reference,
) -> Result<Option<Asset>, Failure> {
    Ok(ctx
        .services
        .catalogue
        .find_asset(
            &ctx.repository.id,
            &manifest_path(image, &reference.to_string()),
        )
        .await?)
}

/// `GET`/`HEAD …/manifests/<reference>`.
pub async fn get(
    ctx: &ContentContext,
    req: &HttpRequest,
    image: &ImageName,
    reference: &Reference,
) -> RegistryResult {
    let asset = find(ctx, image, reference)
        .await?
        .ok_or_else(|| unknown(image, reference))?;
    serve_manifest(ctx, req, image, reference, &asset).await
}

async fn read_limited(mut body: web::Payload, limit: usize) -> Result<bytes::Bytes, Failure> {
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            RegistryError::new(
                ErrorCode::ManifestInvalid,
                format!("reading the manifest failed: {e}"),
            )
        })?;
        buf.extend_from_slice(&chunk);
        if buf.len() > limit {
            // Parse reports the limit with 413; stop reading here.
            break;
        }
    }
    Ok(buf.freeze())
}

/// `PUT …/manifests/<reference>`.
pub async fn put(
    ctx: &ContentContext,
    req: &HttpRequest,
    image: &ImageName,
    reference: &Reference,
    body: web::Payload,
) -> RegistryResult {
    check_writable(ctx)?;
    let limit = DEFAULT_MAX_MANIFEST_BYTES;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = read_limited(body, limit).await?;
    let manifest = Manifest::parse(&content_type, &bytes, limit)?;
    let digest = Digest::from_sha256_hex(&hex::encode(sha2::Sha256::digest(&bytes)))?;
    if let Reference::Digest(d) = reference
        && *d != digest
    {
        return Err(RegistryError::new(
            ErrorCode::DigestInvalid,
            format!("the manifest's digest is {digest}, not {d}"),
        )
        .into());
    }
    let catalogue = &ctx.services.catalogue;
    let repo = &ctx.repository;
    for b in &manifest.blobs {
        if catalogue
            .find_asset(&repo.id, &blob_path(b))
            .await?
            .is_none()
        {
            return Err(RegistryError::new(
                ErrorCode::ManifestBlobUnknown,
                format!("blob {b} is not in this repository; push it first"),
            )
            .into());
        }
    }
    for m in &manifest.manifests {
        if catalogue
            .find_asset(&repo.id, &manifest_path(image, m.as_str()))
            .await?
            .is_none()
        {
            return Err(RegistryError::new(
                ErrorCode::ManifestBlobUnknown,
                format!("manifest {m} is not in {image}; push it first"),
            )
            .into());
        }
    }
    let existing_tag = match reference {
        Reference::Tag(tag) => {
            catalogue
                .find_asset(&repo.id, &manifest_path(image, tag.as_str()))
                .await?
        }
        Reference::Digest(_) => None,
    };
    // Under ALLOW_ONCE a tag may not move (but `latest` may, with latestPolicy).
    let tag_is_fixed = match reference {
        Reference::Tag(tag) => {
            repo.write_policy() == WritePolicy::AllowOnce
                && !(tag.as_str() == "latest"
                    && StorageAttributes::of(&repo.attributes).latest_policy())
        }
        Reference::Digest(_) => false,
    };
    let tag_moved = |tag: &dyn std::fmt::Display| -> Failure {
        RegistryError::new(
            ErrorCode::Denied,
            format!(
                "repository '{}' does not allow updating assets: tag {image}:{tag} already exists",
                repo.name
            ),
        )
        .into()
    };
    if let (Reference::Tag(tag), Some(old)) = (reference, &existing_tag)
        && tag_is_fixed
        && old.blob.digest != *digest.sha256()
    {
        return Err(tag_moved(tag));
    }
    let store = ctx.services.blob_store(&repo.blob_store).await?;
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let blob = store.ingest(Box::pin(body), Some(digest.hex())).await?;
    let uploader = ctx.principal.as_ref().map(|p| p.user_id.clone());
    let mut new = NewAsset {
        path: manifest_path(image, digest.as_str()),
        blob,
        content_type: manifest.media_type.clone(),
        component: None,
        uploader,
        uploader_ip: ctx.client_ip.clone(),
    };
    let (stored, _) = catalogue.put_asset(repo, &new, true).await?;
    if let Some(subject) = &manifest.subject {
        catalogue
            .add_asset_ref(&stored.id, "subject", subject.as_str())
            .await?;
    }
    let same_tag_again = existing_tag
        .as_ref()
        .is_some_and(|old| old.blob.digest == *digest.sha256());
    if let Reference::Tag(tag) = reference
        && !same_tag_again
    {
        new.path = manifest_path(image, tag.as_str());
        new.component = Some((String::new(), image.to_string(), tag.to_string()));
        // A fixed tag is only ever inserted: the catalogue refuses a concurrent first push of
        // the same tag instead of letting the later one win.
        let (tag_asset, _) = match catalogue.put_asset(repo, &new, !tag_is_fixed).await {
            // A concurrent first push of this fixed tag won: fine if it is the same manifest.
            Err(stowage_core::CoreError::Conflict(_)) => {
                match catalogue.find_asset(&repo.id, &new.path).await? {
                    Some(winner) if winner.blob.digest == *digest.sha256() => (winner, None),
                    _ => return Err(tag_moved(tag)),
                }
            }
            other => other?,
        };
        // The tag's component lists its manifest, config and layers (or child manifests).
        let members = tag_members(image, &digest, &manifest);
        catalogue
            .set_asset_refs(&tag_asset.id, "member", &members)
            .await?;
    }
    tracing::info!(repo = %repo.name, image = %image, reference = %reference, digest = %digest, "manifest stored");
    let mut resp = HttpResponse::Created();
    resp.insert_header(API_VERSION)
        .insert_header((
            header::LOCATION,
            format!("{}/{image}/manifests/{digest}", ctx.mount),
        ))
        .insert_header(("Docker-Content-Digest", digest.as_str()));
    if let Some(subject) = &manifest.subject {
        resp.insert_header(("OCI-Subject", subject.as_str()));
    }
    Ok(resp.finish())
}

/// `DELETE …/manifests/<reference>`: a tag removes that tag only; a digest removes the manifest
/// and every tag of this image pointing at it.
pub async fn delete(
    ctx: &ContentContext,
    image: &ImageName,
    reference: &Reference,
) -> RegistryResult {
    check_writable(ctx)?;
    let catalogue = &ctx.services.catalogue;
    let repo = &ctx.repository;
    let asset = catalogue
        .find_asset(&repo.id, &manifest_path(image, &reference.to_string()))
        .await?
        .ok_or_else(|| unknown(image, reference))?;
    catalogue.delete_asset(&asset.id).await?;
    if let Reference::Digest(_) = reference {
        for a in catalogue
            .assets_under(&repo.id, &manifest_path(image, ""))
            .await?
        {
            if a.blob.digest == asset.blob.digest {
                catalogue.delete_asset(&a.id).await?;
            }
        }
    }
    Ok(HttpResponse::Accepted().insert_header(API_VERSION).finish())
}

/// The tags of `image`, sorted; `None` when the repository has no such image.
pub async fn tag_names(
    ctx: &ContentContext,
    image: &ImageName,
) -> Result<Option<Vec<String>>, Failure> {
    let prefix = manifest_path(image, "");
    let assets = ctx
        .services
        .catalogue
        .assets_under(&ctx.repository.id, &prefix)
        .await?;
    if assets.is_empty() {
        return Ok(None);
    }
    let mut all: Vec<String> = assets
        .iter()
        .map(|a| &a.path[prefix.len()..])
        .filter(|t| !t.contains(':') && !t.contains('/'))
        .map(str::to_owned)
        .collect();
    all.sort_unstable();
    Ok(Some(all))
}

/// `GET …/tags/list` with `n` and `last`, sorted, with a `Link` to the next page.
pub async fn tags(ctx: &ContentContext, req: &HttpRequest, image: &ImageName) -> RegistryResult {
    let Some(all) = tag_names(ctx, image).await? else {
        return Err(RegistryError::new(
            ErrorCode::NameUnknown,
            format!("no image {image} in this repository"),
        )
        .into());
    };
    let query = TagQuery::of(req)?;
    let (page, more) = query.page(&all);
    let mut resp = HttpResponse::Ok();
    resp.insert_header(API_VERSION);
    if let (true, Some(n), Some(last_tag)) = (more, query.n, page.last()) {
        resp.insert_header((
            header::LINK,
            format!(
                "<{}/{image}/tags/list?n={n}&last={last_tag}>; rel=\"next\"",
                ctx.mount
            ),
        ));
    }
    // The name as the client asked for it: path-routed requests include the repository.
    let name = match ctx.mount.strip_prefix("/v2/") {
        Some(repo) => format!("{repo}/{image}"),
        None => image.to_string(),
    };
    Ok(resp.json(json!({ "name": name, "tags": page })))
}

/// The manifests of `image` whose `subject` is `subject`, as OCI index descriptors, filtered
/// by `artifactType` when the request asks.
pub async fn referrers(
    ctx: &ContentContext,
    req: &HttpRequest,
    image: &ImageName,
    subject: &Digest,
) -> Result<Referrers, Failure> {
    let catalogue = &ctx.services.catalogue;
    let found = catalogue
        .assets_referring(
            &ctx.repository.id,
            &manifest_path(image, "sha256:"),
            "subject",
            subject.as_str(),
        )
        .await?;
    let q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let filter = q.get("artifactType").filter(|f| !f.is_empty());
    let mut manifests = Vec::new();
    for asset in &found {
        let store = ctx.services.blob_store(&asset.blob.blob_store).await?;
        let read = store.read(asset.blob.digest.hex(), None).await?;
        let bytes: Vec<bytes::Bytes> = futures_util::TryStreamExt::try_collect(read.stream)
            .await
            .map_err(|e| {
            stowage_core::CoreError::Internal(format!("reading a manifest: {e}"))
        })?;
        let doc: serde_json::Value = serde_json::from_slice(&bytes.concat()).unwrap_or_default();
        let artifact_type = doc
            .get("artifactType")
            .or_else(|| doc.pointer("/config/mediaType"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        if filter.is_some_and(|f| artifact_type.as_deref() != Some(f.as_str())) {
            continue;
        }
        let mut d = json!({
            "mediaType": asset.content_type,
            "digest": asset.blob.digest.to_string(),
            "size": asset.blob.size,
        });
        if let Some(t) = artifact_type {
            d["artifactType"] = t.into();
        }
        if let Some(a) = doc.get("annotations") {
            d["annotations"] = a.clone();
        }
        manifests.push(d);
    }
    Ok(Referrers {
        manifests,
        filtered: filter.is_some(),
    })
}
