//! `docker-group`: validates Nexus's `DockerGroupRepositoryApiRequest` (`group.memberNames`,
//! `group.writableMember`) and serves through the members.

use actix_web::body::MessageBody;
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use stowage_core::format::{ContentContext, Recipe, RepositorySpec, Services, parse_common};
use stowage_core::group::{check_members, member_names, no_body, parse_member_names};
use stowage_core::model::{NewAsset, RepoKind, Repository};
use stowage_core::{CoreError, Result};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, content_route, error_response};
use stowage_docker::layout::blob_path;
use stowage_docker::manifest::{DEFAULT_MAX_MANIFEST_BYTES, Manifest};
use stowage_docker::route::Route;
use stowage_docker::settings::{bool_at, connector_port, docker_block};

/// `docker-group`.
pub struct DockerGroupRecipe;

fn writable_of(attributes: &Value) -> Option<String> {
    attributes
        .pointer("/group/writableMember")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[async_trait::async_trait(?Send)]
impl Recipe for DockerGroupRecipe {
    fn format(&self) -> &'static str {
        "docker"
    }

    fn kind(&self) -> RepoKind {
        RepoKind::Group
    }

    fn parse_request(&self, body: &Value) -> Result<RepositorySpec> {
        let (name, online, blob_store) = parse_common(body)?;
        if name.as_str().chars().any(|c| c.is_ascii_uppercase()) {
            return Err(CoreError::invalid(
                "name",
                "must be lowercase for docker repositories",
            ));
        }
        let members = parse_member_names(body)?;
        let writable = body
            .pointer("/group/writableMember")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        if let Some(w) = writable
            && !members.iter().any(|m| m == w)
        {
            return Err(CoreError::invalid(
                "group.writableMember",
                format!("'{w}' is not one of the group's members"),
            ));
        }
        Ok(RepositorySpec {
            name,
            online,
            attributes: json!({
                "storage": {
                    "blobStoreName": blob_store,
                    "strictContentTypeValidation": bool_at(body, "/storage/strictContentTypeValidation", "storage.strictContentTypeValidation", Some(true))?,
                },
                "group": {"memberNames": members, "writableMember": writable},
                "docker": docker_block(body)?,
            }),
            blob_store,
        })
    }

    async fn check(&self, services: &Services, name: &str, spec: &RepositorySpec) -> Result<()> {
        check_members(services, name, "docker", &spec.attributes).await?;
        let catalogue = &services.catalogue;
        if let Some(w) = writable_of(&spec.attributes) {
            let repo = catalogue.find_repository(&w).await?;
            if repo.as_ref().is_none_or(|r| r.kind != RepoKind::Hosted) {
                return Err(CoreError::invalid(
                    "group.writableMember",
                    format!("'{w}' must be a docker hosted repository"),
                ));
            }
        }
        Ok(())
    }

    fn connector_port(&self, attributes: &Value) -> Option<u16> {
        connector_port(attributes)
    }

    async fn handle(
        &self,
        mut ctx: ContentContext,
        req: HttpRequest,
        body: web::Payload,
    ) -> Result<HttpResponse> {
        let route = match content_route(&mut ctx, req.method()) {
            Ok(r) => r,
            Err(e) => return Ok(error_response(&e)),
        };
        let router = ctx.services.member_router()?;
        let method = req.method().clone();
        let reading = matches!(method, Method::GET | Method::HEAD)
            && matches!(
                route,
                Route::Manifest(..) | Route::Blob(..) | Route::Tags(..) | Route::Referrers(..)
            );
        if !reading {
            // Pushes and deletes go to the writable member.
            let Some(w) = writable_of(&ctx.repository.attributes) else {
                return Ok(error_response(&RegistryError::new(
                    ErrorCode::Denied,
                    format!(
                        "group '{}' has no writable member; push to a hosted repository, or set group.writableMember",
                        ctx.repository.name
                    ),
                )));
            };
            let member = ctx.services.catalogue.repository(&w).await?;
            if let (Route::Manifest(..), &Method::PUT) = (&route, &method) {
                // docker skipped uploading the layers another member already has (its HEAD
                // through the group found them): give the writable member those blobs first.
                let bytes = read_body(body).await?;
                self.link_blobs(&ctx, &member, &req, &bytes).await?;
                let mut replay = actix_web::dev::Payload::from(bytes);
                let body = web::Payload::from_request(&req, &mut replay)
                    .into_inner()
                    .map_err(|e| CoreError::Internal(format!("the manifest body: {e}")))?;
                return router.serve(member, &ctx, &req, body).await;
            }
            return router.serve(member, &ctx, &req, body).await;
        }
        let members = self.members(&ctx).await?;
        if let Route::Tags(image) = &route {
            return self.merged_tags(&ctx, &req, &members, image.as_str()).await;
        }
        // A member that fails (a proxy whose upstream is down) does not hide the members after
        // it; its answer is given only when no member has the content.
        let mut last = None;
        let mut failed = None;
        for member in members {
            let resp = router.serve(member, &ctx, &req, no_body(&req)?).await?;
            if resp.status().is_server_error() || resp.status() == StatusCode::TOO_MANY_REQUESTS {
                failed.get_or_insert(resp);
            } else if resp.status() != StatusCode::NOT_FOUND {
                return Ok(resp);
            } else {
                last = Some(resp);
            }
        }
        Ok(failed.or(last).unwrap_or_else(|| {
            error_response(&RegistryError::new(
                ErrorCode::NameUnknown,
                format!("group '{}' has no members", ctx.repository.name),
            ))
        }))
    }
}

/// A manifest body, at most the manifest size limit.
async fn read_body(mut body: web::Payload) -> Result<bytes::Bytes> {
    use futures_util::StreamExt;
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| CoreError::Interrupted(e.to_string()))?;
        if out.len() + chunk.len() > DEFAULT_MAX_MANIFEST_BYTES {
            return Err(CoreError::invalid(
                "manifest",
                "is larger than the 4 MiB limit",
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

impl DockerGroupRecipe {
    /// Records in `writable` every blob the manifest references that another member has and
    /// `writable` has not: the same bytes when both use one blob store, else a copy.
    async fn link_blobs(
        &self,
        ctx: &ContentContext,
        writable: &Repository,
        req: &HttpRequest,
        bytes: &bytes::Bytes,
    ) -> Result<()> {
        let content_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // A body the member will refuse anyway: let it say why.
        let Ok(manifest) = Manifest::parse(content_type, bytes, DEFAULT_MAX_MANIFEST_BYTES) else {
            return Ok(());
        };
        let catalogue = &ctx.services.catalogue;
        let others: Vec<Repository> = self
            .members(ctx)
            .await?
            .into_iter()
            .filter(|m| m.id != writable.id)
            .collect();
        for digest in &manifest.blobs {
            let path = blob_path(digest);
            if catalogue.find_asset(&writable.id, &path).await?.is_some() {
                continue;
            }
            for other in &others {
                let Some(found) = catalogue.find_asset(&other.id, &path).await? else {
                    continue;
                };
                let blob = if found.blob.blob_store == writable.blob_store {
                    found.blob.clone()
                } else {
                    let from = ctx.services.blob_store(&found.blob.blob_store).await?;
                    let to = ctx.services.blob_store(&writable.blob_store).await?;
                    let read = from.read(&found.blob.sha256, None).await?;
                    to.ingest(read.stream, Some(&found.blob.sha256)).await?
                };
                let new = NewAsset {
                    path: path.clone(),
                    blob,
                    content_type: "application/octet-stream".into(),
                    component: None,
                    uploader: ctx.principal.as_ref().map(|p| p.user_id.clone()),
                    uploader_ip: ctx.client_ip.clone(),
                };
                catalogue.put_asset(writable, &new, true).await?;
                break;
            }
        }
        Ok(())
    }

    /// The group's members that exist, in order.
    async fn members(&self, ctx: &ContentContext) -> Result<Vec<Repository>> {
        let mut out = Vec::new();
        for name in member_names(&ctx.repository.attributes) {
            if let Some(r) = ctx.services.catalogue.find_repository(&name).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Every member's tags of `image`, merged and sorted (`n` and `last` apply to the result).
    async fn merged_tags(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        members: &[Repository],
        image: &str,
    ) -> Result<HttpResponse> {
        let router = ctx.services.member_router()?;
        let mut tags = BTreeSet::new();
        let mut found = false;
        for member in members {
            let resp = router
                .serve(member.clone(), ctx, req, no_body(req)?)
                .await?;
            if !resp.status().is_success() {
                continue;
            }
            let bytes = resp.into_body().try_into_bytes().unwrap_or_default();
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                found = true;
                tags.extend(
                    v["tags"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_owned),
                );
            }
        }
        if !found {
            return Ok(error_response(&RegistryError::new(
                ErrorCode::NameUnknown,
                format!("no image {image} in group '{}'", ctx.repository.name),
            )));
        }
        Ok(HttpResponse::Ok()
            .insert_header(API_VERSION)
            .json(json!({"name": image, "tags": tags.into_iter().collect::<Vec<_>>()})))
    }
}
