//! Distribution API responses shared by every docker format and the server's `/v2` routing.

use crate::errors::{ErrorCode, RegistryError};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use stowage_core::CoreError;

/// Header every Distribution API response carries.
pub const API_VERSION: (&str, &str) = ("Docker-Distribution-Api-Version", "registry/2.0");

/// The docker route a content request asks for. Nexus's own URL form,
/// `/repository/<name>/v2/<image>/…` (asset download URLs use it), is first rewritten to the
/// `/v2` form in `ctx`; a group hands its members the request already rewritten (its mount ends
/// in `/v2`). A path that is not a Distribution API endpoint is the registry's error.
pub fn content_route(
    ctx: &mut stowage_core::format::ContentContext,
    req: &actix_web::HttpRequest,
) -> Result<crate::route::Route, RegistryError> {
    if ctx.mount.starts_with("/repository/") && !ctx.mount.ends_with("/v2") {
        let Some(rest) = ctx.path.strip_prefix("v2/") else {
            return Err(RegistryError::new(
                ErrorCode::NameUnknown,
                format!("docker content is at {}/v2/<image>/…", ctx.mount),
            ));
        };
        ctx.path = rest.to_owned();
        ctx.mount.push_str("/v2");
    }
    crate::route::parsed(req, &ctx.path)
}

/// The HTTP response for a registry error: the spec's JSON body and status.
pub fn error_response(e: &RegistryError) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST))
        .insert_header(API_VERSION)
        .json(e.body())
}

/// What a registry operation fails with: a registry error, or a core error to translate.
#[derive(Debug)]
pub enum Failure {
    /// Already in the spec's terms.
    Registry(RegistryError),
    /// From the core (storage, catalogue, permissions).
    Core(CoreError),
    /// A finished error response (one that needs headers of its own, like `Retry-After`).
    Response(Box<HttpResponse>),
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Self {
        Self::Registry(e)
    }
}

impl From<CoreError> for Failure {
    fn from(e: CoreError) -> Self {
        Self::Core(e)
    }
}

/// Result of a registry operation.
pub type RegistryResult = Result<HttpResponse, Failure>;

/// Translates a core error into the spec's terms (`None`: a server fault, answered 500).
pub fn registry_error(e: &CoreError) -> Option<RegistryError> {
    let (code, detail) = match e {
        CoreError::DigestMismatch { .. } => (ErrorCode::DigestInvalid, e.to_string()),
        CoreError::Unauthenticated => (ErrorCode::Unauthorized, e.to_string()),
        CoreError::Throttled(_) => (ErrorCode::Toomanyrequests, e.to_string()),
        CoreError::Forbidden(m) | CoreError::Conflict(m) => (ErrorCode::Denied, m.clone()),
        CoreError::Interrupted(m) => (ErrorCode::BlobUploadInvalid, m.clone()),
        CoreError::Invalid { .. } => (ErrorCode::NameInvalid, e.to_string()),
        CoreError::NotFound(m) => (ErrorCode::NameUnknown, format!("{m} not found")),
        _ => return None,
    };
    Some(RegistryError::new(code, detail))
}

impl Failure {
    /// The response to send.
    pub fn into_response(self) -> HttpResponse {
        match self {
            Failure::Registry(e) => error_response(&e),
            Failure::Response(r) => *r,
            Failure::Core(CoreError::Unavailable(m)) => HttpResponse::ServiceUnavailable()
                .insert_header(API_VERSION)
                .body(format!("{m}\n")),
            Failure::Core(e) => match registry_error(&e) {
                Some(r) => {
                    let mut resp = error_response(&r);
                    // A throttled sign-in says when to come back, as the REST API does.
                    if let CoreError::Throttled(wait) = &e {
                        resp.headers_mut().insert(
                            actix_web::http::header::RETRY_AFTER,
                            actix_web::http::header::HeaderValue::from(wait.as_secs().max(1)),
                        );
                    }
                    resp
                }
                None => {
                    tracing::error!(error = %stowage_core::chain(&e), "registry request failed");
                    HttpResponse::InternalServerError()
                        .insert_header(API_VERSION)
                        .body("internal error; see the server log\n")
                }
            },
        }
    }
}

/// Serves a stored manifest or blob asset as the registry does: `Docker-Content-Digest`, the
/// API version header, ranges and conditional requests; a `GET` records the download.
pub async fn serve_asset(
    ctx: &stowage_core::format::ContentContext,
    req: &actix_web::HttpRequest,
    asset: &stowage_core::model::Asset,
    content_type: &str,
) -> RegistryResult {
    let resp = serve_stored(ctx, req, asset, content_type).await?;
    if req.method() == actix_web::http::Method::GET && resp.status().is_success() {
        ctx.services.catalogue.record_download(asset);
    }
    Ok(resp)
}

/// Serves a stored manifest asset found by `reference`, as [`serve_asset`], and records the
/// download as [`record_manifest_download`] says.
pub async fn serve_manifest(
    ctx: &stowage_core::format::ContentContext,
    req: &actix_web::HttpRequest,
    image: &crate::ImageName,
    reference: &crate::Reference,
    asset: &stowage_core::model::Asset,
) -> RegistryResult {
    let resp = serve_stored(ctx, req, asset, &asset.content_type).await?;
    if resp.status().is_success() {
        let digest = crate::Digest::from_sha256_hex(asset.blob.digest.hex())?;
        record_manifest_download(ctx, req.method(), image, reference, &digest);
    }
    Ok(resp)
}

/// Notes the download of a manifest served successfully by `reference` (it is `digest`).
/// A `GET` counts for the asset named and, by tag, for the manifest by digest too. A `HEAD` by
/// tag counts for the tag: docker and containerd pull a tag by asking for it with `HEAD`, then
/// `GET` the manifest by digest, so without it a tag pulled every day would say "never".
/// Nothing waits on the catalogue (see `Catalogue::record_download_at`).
pub fn record_manifest_download(
    ctx: &stowage_core::format::ContentContext,
    method: &actix_web::http::Method,
    image: &crate::ImageName,
    reference: &crate::Reference,
    digest: &crate::Digest,
) {
    use crate::layout::manifest_path;
    use actix_web::http::Method;
    let catalogue = &ctx.services.catalogue;
    let repo = &ctx.repository.id;
    match (method, reference) {
        (&Method::GET, crate::Reference::Tag(tag)) => {
            catalogue.record_download_at(repo, &manifest_path(image, tag.as_str()));
            catalogue.record_download_at(repo, &manifest_path(image, digest.as_str()));
        }
        (&Method::GET, crate::Reference::Digest(d)) => {
            catalogue.record_download_at(repo, &manifest_path(image, d.as_str()));
        }
        (&Method::HEAD, crate::Reference::Tag(tag)) => {
            catalogue.record_download_at(repo, &manifest_path(image, tag.as_str()));
        }
        _ => {}
    }
}

/// The response for a stored asset, recording nothing.
async fn serve_stored(
    ctx: &stowage_core::format::ContentContext,
    req: &actix_web::HttpRequest,
    asset: &stowage_core::model::Asset,
    content_type: &str,
) -> RegistryResult {
    let digest = crate::Digest::from_sha256_hex(asset.blob.digest.hex())?;
    let mut builder = HttpResponse::Ok();
    builder
        .insert_header(API_VERSION)
        .insert_header(("Docker-Content-Digest", digest.as_str()));
    let meta = stowage_core::http::BlobMeta {
        blob: &asset.blob,
        content_type,
        last_modified: Some(asset.last_modified),
    };
    Ok(stowage_core::http::serve_blob(req, &ctx.services, meta, builder).await?)
}
