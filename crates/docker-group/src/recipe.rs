//! `docker-group`: validates Nexus's `DockerGroupRepositoryApiRequest` (`group.memberNames`,
//! `group.writableMember`) and serves through the members.

use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::attributes::GroupAttributes;
use stowage_core::format::{ContentContext, Recipe, RepositorySpec, Services, offline};
use stowage_core::group::{
    MemberFailure, check_members, describe_failures, members, parse_member_names,
};
use stowage_core::model::{NewAsset, RepoKind, Repository};
use stowage_core::{CoreError, Result};
use stowage_docker::ImageName;
use stowage_docker::content::{DockerContent, TagQuery};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, RegistryResult, content_route, error_response};
use stowage_docker::layout::blob_path;
use stowage_docker::manifest::{DEFAULT_MAX_MANIFEST_BYTES, Manifest};
use stowage_docker::route::Route;
use stowage_docker::settings::{DockerAttributes, DockerRepositoryRequest};

/// `docker-group`.
pub struct DockerGroupRecipe;

fn writable_of(attributes: &Value) -> Option<String> {
    GroupAttributes::of(attributes)
        .writable_member()
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

    fn form(&self) -> &'static [stowage_core::format::ui::FieldSpec] {
        stowage_docker::form::GROUP
    }

    fn defaults(&self) -> serde_json::Value {
        stowage_docker::form::group_defaults()
    }

    fn connector_field(&self) -> &'static str {
        "docker.httpPort"
    }

    fn parse_request(&self, body: &Value) -> Result<RepositorySpec> {
        let request = DockerRepositoryRequest::read(body);
        let (name, online, blob_store) = request.validate_common()?;
        let members = parse_member_names(&request.common.group)?;
        let writable = request.common.group.writable_member.non_empty();
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
                    "strictContentTypeValidation": request.strict_content_type_validation()?,
                },
                "group": {"memberNames": members, "writableMember": writable},
                "docker": DockerAttributes::parse(&request.docker)?,
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
        DockerAttributes::of(attributes).http_port()
    }

    /// A docker group in a group reads through this recipe's `DockerContent`.
    fn content(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    async fn handle(
        &self,
        mut ctx: ContentContext,
        req: HttpRequest,
        body: web::Payload,
    ) -> Result<HttpResponse> {
        let route = match content_route(&mut ctx, &req) {
            Ok(r) => r,
            Err(e) => return Ok(error_response(&e)),
        };
        let method = req.method().clone();
        let reading = matches!(method, Method::GET | Method::HEAD)
            && matches!(
                route,
                Route::Manifest(..) | Route::Blob(..) | Route::Tags(..) | Route::Referrers(..)
            );
        if !reading {
            // Pushes and deletes go to the writable member.
            let Some(w) = writable_of(&ctx.repository.attributes) else {
                let group = &ctx.repository.name;
                let why = format!("group '{group}' has no writable member");
                return Ok(error_response(
                    &RegistryError::new(
                        ErrorCode::Denied,
                        format!(
                            "{why}: push to a hosted repository, or set the group's group.writableMember"
                        ),
                    )
                    .with_message(format!(
                        "{why}, so it takes no pushes; push to a hosted repository"
                    )),
                ));
            };
            // Writes are not reads through the members: the writable member's recipe serves
            // this same request (with its body), as if it had been sent to it.
            let member = ctx.services.catalogue.repository(&w).await?;
            if !member.online {
                return Err(offline(&member));
            }
            let recipe = ctx.services.formats.recipe_of(&member)?.clone();
            let mut body = body;
            if let (Route::Manifest(..), &Method::PUT) = (&route, &method) {
                // docker skipped uploading the layers another member already has (its HEAD
                // through the group found them): give the writable member those blobs first.
                let bytes = read_body(body).await?;
                self.link_blobs(&ctx, &member, &req, &bytes).await?;
                let mut replay = actix_web::dev::Payload::from(bytes);
                body = web::Payload::from_request(&req, &mut replay)
                    .into_inner()
                    .map_err(|e| CoreError::Internal(format!("the manifest body: {e}")))?;
            }
            let member_ctx = ContentContext {
                repository: member,
                ..ctx
            };
            return recipe.handle(member_ctx, req, body).await;
        }
        // Reads: members in order through their `DockerContent`; a failing one (a proxy whose
        // upstream is down) is skipped, so it hides neither what a later member has nor that
        // no member has it.
        let group = &ctx.repository.name;
        let in_no_member = |what: String| format!("{what} is in no member of group '{group}'");
        let result = match &route {
            Route::Manifest(image, reference) => {
                match self.manifest(&ctx, &req, image, reference).await {
                    Ok(Some(hit)) => hit.serve_manifest(&req, image, reference).await,
                    Ok(None) => Err(Failure::Registry(RegistryError::new(
                        ErrorCode::ManifestUnknown,
                        in_no_member(describe(&route)),
                    ))),
                    Err(e) => Err(e),
                }
            }
            Route::Blob(image, digest) => match self.blob(&ctx, &req, image, digest).await {
                Ok(Some(hit)) => hit.serve_blob(&req).await,
                Ok(None) => Err(Failure::Registry(RegistryError::new(
                    ErrorCode::BlobUnknown,
                    in_no_member(digest.to_string()),
                ))),
                Err(e) => Err(e),
            },
            Route::Tags(image) => self.merged_tags(&ctx, &req, image).await,
            Route::Referrers(image, subject) => {
                match self.referrers(&ctx, &req, image, subject).await {
                    Ok(Some(found)) => Ok(found.into_response()),
                    Ok(None) => Err(Failure::Registry(RegistryError::new(
                        ErrorCode::ManifestUnknown,
                        in_no_member(describe(&route)),
                    ))),
                    Err(e) => Err(e),
                }
            }
            // Not a read: sent to the writable member above.
            _ => Err(Failure::Registry(RegistryError::new(
                ErrorCode::Unsupported,
                format!("{method} is not supported on this endpoint"),
            ))),
        };
        Ok(result.unwrap_or_else(Failure::into_response))
    }
}

/// The answer when no member could answer: 503. A proxy member's own refusal (its
/// `UNAVAILABLE`, or its `TOOMANYREQUESTS` with `Retry-After`) says why best and is passed on;
/// else `UNAVAILABLE` naming the members that failed.
pub(crate) fn unavailable(group: &str, mut failures: Vec<MemberFailure>) -> HttpResponse {
    if let Some(resp) = failures.iter_mut().find_map(|f| f.response.take()) {
        return resp;
    }
    error_response(&RegistryError::new(
        ErrorCode::Unavailable,
        format!(
            "no member of group '{group}' could answer: {}",
            describe_failures(&failures)
        ),
    ))
}

/// What a manifest or referrers route asks for, for a 404's detail.
fn describe(route: &Route) -> String {
    match route {
        Route::Manifest(image, reference) => format!("{image}:{reference}"),
        Route::Referrers(image, digest) => format!("{image}@{digest}"),
        other => other.image().to_string(),
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
        let others: Vec<Repository> = members(ctx)
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
                    let read = from.read(found.blob.digest.hex(), None).await?;
                    to.ingest(read.stream, Some(found.blob.digest.hex()))
                        .await?
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

    /// `GET …/tags/list`: every member's tags of `image`, merged and sorted, the request's `n`
    /// and `last` applied to the result.
    async fn merged_tags(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
    ) -> RegistryResult {
        let Some(all) = self.tags(ctx, req, image).await? else {
            return Err(Failure::Registry(RegistryError::new(
                ErrorCode::NameUnknown,
                format!("no image {image} in group '{}'", ctx.repository.name),
            )));
        };
        let (page, _) = TagQuery::of(req)?.page(&all);
        Ok(HttpResponse::Ok()
            .insert_header(API_VERSION)
            .json(json!({"name": image.as_str(), "tags": page})))
    }
}
