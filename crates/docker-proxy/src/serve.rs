//! Pulls through the proxy: manifests (cached by digest for good, by tag revalidated once
//! `metadataMaxAge` has passed), blobs (cached, or fetched once), and tag lists.

use crate::fetch::cold_blob;
use crate::upstream::{Upstream, UpstreamError};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::Digest as _;
use std::sync::Arc;
use std::time::Duration;
use stowage_core::format::ContentContext;
use stowage_core::model::{Asset, NewAsset};
use stowage_docker::content::Hit;
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, record_manifest_download};
use stowage_docker::layout::{blob_path, manifest_path, tag_members};
use stowage_docker::manifest::{DEFAULT_MAX_MANIFEST_BYTES, Manifest};
use stowage_docker::media_types::{DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST};
use stowage_docker::{Digest, ImageName, Reference};

/// What the proxy asks upstreams for.
const ACCEPT: &[&str] = &[
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST,
];

pub(crate) fn manifest_unknown(image: &ImageName, reference: &Reference) -> Failure {
    RegistryError::new(
        ErrorCode::ManifestUnknown,
        format!("{image}:{reference} is not in this repository nor upstream"),
    )
    .into()
}

/// An upstream failure as the client sees it when nothing is cached.
pub(crate) fn upstream_failure(e: UpstreamError) -> Failure {
    match e {
        UpstreamError::TooMany(retry) => {
            let detail = match &retry {
                Some(r) => {
                    format!("the upstream registry is rate-limiting; retry after {r} seconds")
                }
                None => "the upstream registry is rate-limiting; retry later".to_owned(),
            };
            let mut resp = stowage_docker::http::error_response(&RegistryError::new(
                ErrorCode::Toomanyrequests,
                detail,
            ));
            if let Some(r) = retry
                && let Ok(v) = header::HeaderValue::from_str(&r)
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Failure::Response(Box::new(resp))
        }
        e => RegistryError::new(ErrorCode::Unavailable, e.to_string()).into(),
    }
}

fn age(asset: &Asset) -> Duration {
    let now = stowage_core::now_millis();
    Duration::from_millis(u64::try_from(now - asset.last_modified).unwrap_or(0))
}

/// The manifest `image:reference`: cached (a tag revalidated once `metadataMaxAge` has passed,
/// the cached one served while the upstream is down), or fetched, cached and answered;
/// `None` when neither has it.
pub async fn find_manifest(
    ctx: &ContentContext,
    req: &HttpRequest,
    upstream: &Arc<Upstream>,
    image: &ImageName,
    reference: &Reference,
) -> Result<Option<Hit>, Failure> {
    let catalogue = &ctx.services.catalogue;
    let path = manifest_path(image, &reference.to_string());
    let cached = catalogue.find_asset(&ctx.repository.id, &path).await?;
    let key = format!("{image}:{reference}");
    if let Some(asset) = &cached {
        let fresh = matches!(reference, Reference::Digest(_))
            || upstream.metadata_max_age.is_none_or(|max| age(asset) < max);
        if fresh {
            return Ok(Some(Hit::stored(ctx, asset.clone())));
        }
        // A tag past its metadataMaxAge: ask the upstream whether it still points here.
        match upstream
            .send(
                reqwest::Method::HEAD,
                image.as_str(),
                &format!("manifests/{reference}"),
                ACCEPT,
            )
            .await
        {
            Ok(resp) => {
                let now = resp
                    .headers()
                    .get("Docker-Content-Digest")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                if now.as_deref() == Some(asset.blob.digest.as_str()) {
                    refresh(ctx, asset, image, reference).await?;
                    return Ok(Some(Hit::stored(ctx, asset.clone())));
                }
            }
            Err(UpstreamError::NotFound) => {
                upstream.remember_missing(&key);
                return Ok(None);
            }
            Err(e) => {
                tracing::warn!(repo = %ctx.repository.name, image = %image, reference = %reference, error = %e, "upstream unavailable; serving the cached manifest");
                return Ok(Some(Hit::stored(ctx, asset.clone())));
            }
        }
    } else if upstream.known_missing(&key) {
        return Ok(None);
    }
    let resp = match upstream
        .send(
            reqwest::Method::GET,
            image.as_str(),
            &format!("manifests/{reference}"),
            ACCEPT,
        )
        .await
    {
        Ok(r) => r,
        Err(UpstreamError::NotFound) => {
            upstream.remember_missing(&key);
            return Ok(None);
        }
        Err(e) => match &cached {
            Some(asset) => {
                tracing::warn!(repo = %ctx.repository.name, image = %image, reference = %reference, error = %e, "upstream unavailable; serving the cached manifest");
                return Ok(Some(Hit::stored(ctx, asset.clone())));
            }
            None => return Err(upstream_failure(e)),
        },
    };
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
        .unwrap_or_else(|| OCI_MANIFEST.to_owned());
    let bytes = resp.bytes().await.map_err(|e| {
        RegistryError::new(
            ErrorCode::Unavailable,
            format!("reading the manifest upstream: {e}"),
        )
    })?;
    let manifest = Manifest::parse(&content_type, &bytes, DEFAULT_MAX_MANIFEST_BYTES)?;
    let digest = Digest::from_sha256_hex(&hex::encode(sha2::Sha256::digest(&bytes)))?;
    if let Reference::Digest(wanted) = reference
        && wanted != &digest
    {
        return Err(RegistryError::new(
            ErrorCode::Unavailable,
            format!("the upstream sent {digest} when asked for {wanted}"),
        )
        .into());
    }
    store_manifest(ctx, image, reference, &digest, &manifest, bytes.clone()).await?;
    record_manifest_download(ctx, req.method(), image, reference, &digest);
    let mut out = HttpResponse::Ok();
    out.insert_header(API_VERSION)
        .insert_header(("Docker-Content-Digest", digest.as_str()))
        .content_type(content_type);
    if req.method() == actix_web::http::Method::HEAD {
        out.insert_header((header::CONTENT_LENGTH, bytes.len().to_string()));
        return Ok(Some(Hit::Fetched(out.finish())));
    }
    Ok(Some(Hit::Fetched(out.body(bytes))))
}

/// Records a fetched manifest: by digest, and by tag as the tag's component with its members.
async fn store_manifest(
    ctx: &ContentContext,
    image: &ImageName,
    reference: &Reference,
    digest: &Digest,
    manifest: &Manifest,
    bytes: bytes::Bytes,
) -> Result<(), Failure> {
    let repo = &ctx.repository;
    let catalogue = &ctx.services.catalogue;
    let store = ctx.services.blob_store(&repo.blob_store).await?;
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let blob = store.ingest(Box::pin(body), Some(digest.hex())).await?;
    let mut new = NewAsset {
        path: manifest_path(image, digest.as_str()),
        blob,
        content_type: manifest.media_type.clone(),
        component: None,
        uploader: None,
        uploader_ip: None,
    };
    catalogue.put_asset(repo, &new, true).await?;
    if let Reference::Tag(tag) = reference {
        new.path = manifest_path(image, tag.as_str());
        new.component = Some((String::new(), image.to_string(), tag.to_string()));
        let (tag_asset, _) = catalogue.put_asset(repo, &new, true).await?;
        let members = tag_members(image, digest, manifest);
        catalogue
            .set_asset_refs(&tag_asset.id, "member", &members)
            .await?;
    }
    tracing::info!(repo = %repo.name, image = %image, reference = %reference, digest = %digest, "cached manifest from upstream");
    Ok(())
}

/// Marks a revalidated tag as checked now.
async fn refresh(
    ctx: &ContentContext,
    asset: &Asset,
    image: &ImageName,
    reference: &Reference,
) -> Result<(), Failure> {
    let new = NewAsset {
        path: asset.path.clone(),
        blob: asset.blob.clone(),
        content_type: asset.content_type.clone(),
        component: match reference {
            Reference::Tag(t) => Some((String::new(), image.to_string(), t.to_string())),
            Reference::Digest(_) => None,
        },
        uploader: asset.uploader.clone(),
        uploader_ip: asset.uploader_ip.clone(),
    };
    ctx.services
        .catalogue
        .put_asset(&ctx.repository, &new, true)
        .await?;
    Ok(())
}

/// The blob `digest`: cached, or fetched once for every client asking (a `HEAD` asks the
/// upstream); `None` when neither has it.
pub async fn find_blob(
    ctx: &ContentContext,
    req: &HttpRequest,
    upstream: &Arc<Upstream>,
    image: &ImageName,
    digest: &Digest,
) -> Result<Option<Hit>, Failure> {
    if let Some(asset) = ctx
        .services
        .catalogue
        .find_asset(&ctx.repository.id, &blob_path(digest))
        .await?
    {
        return Ok(Some(Hit::stored(ctx, asset)));
    }
    Ok(cold_blob(ctx, req, upstream, image, digest)
        .await?
        .map(Hit::Fetched))
}

/// The upstream's tags of `image` (asked with the request's `n` and `last`), or the cached
/// tags when the upstream cannot be reached; `None` when the upstream has no such image.
pub async fn tag_names(
    ctx: &ContentContext,
    req: &HttpRequest,
    upstream: &Arc<Upstream>,
    image: &ImageName,
) -> Result<Option<Vec<String>>, Failure> {
    let query = req.query_string();
    let path = if query.is_empty() {
        "tags/list".to_owned()
    } else {
        format!("tags/list?{query}")
    };
    match upstream
        .send(
            reqwest::Method::GET,
            image.as_str(),
            &path,
            &["application/json"],
        )
        .await
    {
        Ok(resp) => {
            let body: serde_json::Value = resp.json().await.map_err(|e| {
                RegistryError::new(
                    ErrorCode::Unavailable,
                    format!("reading the tag list upstream: {e}"),
                )
            })?;
            let tags = body["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(serde_json::Value::as_str)
                .map(str::to_owned)
                .collect();
            Ok(Some(tags))
        }
        Err(UpstreamError::NotFound) => Ok(None),
        Err(e) => {
            let (cached, _) = ctx
                .services
                .catalogue
                .components_named(&ctx.repository.id, image.as_str(), None, 10_000)
                .await?;
            if cached.is_empty() {
                return Err(upstream_failure(e));
            }
            tracing::warn!(repo = %ctx.repository.name, image = %image, error = %e, "upstream unavailable; listing the cached tags");
            Ok(Some(cached.into_iter().map(|c| c.version).collect()))
        }
    }
}
