//! `docker-hosted`: validates Nexus's `DockerHostedRepositoryApiRequest` and serves the
//! Distribution API.

use crate::{blobs, manifests};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::Result;
use stowage_core::format::{ContentContext, Recipe, RepositorySpec};
use stowage_core::model::RepoKind;
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{Failure, content_route, error_response};
use stowage_docker::route::Route;
use stowage_docker::settings::{DockerAttributes, DockerRepositoryRequest};

/// `docker-hosted`.
pub struct DockerHostedRecipe;

#[async_trait::async_trait(?Send)]
impl Recipe for DockerHostedRecipe {
    fn format(&self) -> &'static str {
        "docker"
    }

    fn kind(&self) -> RepoKind {
        RepoKind::Hosted
    }

    fn form(&self) -> &'static [stowage_core::format::ui::FieldSpec] {
        stowage_docker::form::HOSTED
    }

    fn defaults(&self) -> serde_json::Value {
        stowage_docker::form::hosted_defaults()
    }

    fn connector_field(&self) -> &'static str {
        "docker.httpPort"
    }

    fn parse_request(&self, body: &Value) -> Result<RepositorySpec> {
        let request = DockerRepositoryRequest::read(body);
        let (name, online, blob_store) = request.validate_common()?;
        let storage = &request.common.storage;
        let policy = storage.parse_write_policy()?;
        let strict = request.strict_content_type_validation()?;
        let latest = storage
            .latest_policy
            .flag("storage.latestPolicy", Some(false))?;
        let mut docker = DockerAttributes::parse(&request.docker)?;
        docker["automaticCrossMount"] = json!(request.docker.parse_automatic_cross_mount()?);
        Ok(RepositorySpec {
            name,
            online,
            attributes: json!({
                "storage": {
                    "blobStoreName": blob_store,
                    "strictContentTypeValidation": strict,
                    "writePolicy": policy,
                    "latestPolicy": latest,
                },
                "docker": docker,
                "cleanup": request.common.cleanup_as_given(),
                "component": request.common.component_as_given(),
            }),
            blob_store,
        })
    }

    /// As stored, with `docker.automaticCrossMount` filled in for repositories saved before it
    /// existed, so a form or client that sends back what it read keeps the behaviour.
    fn public_attributes(&self, attributes: &Value) -> Value {
        let mut shown = attributes.clone();
        if let Some(docker) = shown.get_mut("docker").and_then(Value::as_object_mut) {
            docker.entry("automaticCrossMount").or_insert(json!(
                DockerAttributes::of(attributes).automatic_cross_mount()
            ));
        }
        shown
    }

    fn connector_port(&self, attributes: &Value) -> Option<u16> {
        DockerAttributes::of(attributes).http_port()
    }

    /// A docker group reads through this recipe's `DockerContent`.
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
        let result = match (route, method) {
            (Route::Blob(_, digest), Method::GET | Method::HEAD) => {
                blobs::get(&ctx, &req, &digest).await
            }
            (Route::Blob(_, digest), Method::DELETE) => blobs::delete(&ctx, &digest).await,
            (Route::StartUpload(image), Method::POST) => {
                blobs::start_upload(&ctx, &req, &image, body).await
            }
            (Route::Upload(image, id), Method::PATCH) => {
                blobs::patch_upload(&ctx, &req, &image, &id, body).await
            }
            (Route::Upload(image, id), Method::PUT) => {
                blobs::finish_upload(&ctx, &req, &image, &id, body).await
            }
            (Route::Upload(image, id), Method::GET) => {
                blobs::upload_status(&ctx, &image, &id).await
            }
            (Route::Upload(_, id), Method::DELETE) => blobs::cancel_upload(&ctx, &id).await,
            (Route::Manifest(image, r), Method::GET | Method::HEAD) => {
                manifests::get(&ctx, &req, &image, &r).await
            }
            (Route::Manifest(image, r), Method::PUT) => {
                manifests::put(&ctx, &req, &image, &r, body).await
            }
            (Route::Manifest(image, r), Method::DELETE) => {
                manifests::delete(&ctx, &image, &r).await
            }
            (Route::Tags(image), Method::GET) => manifests::tags(&ctx, &req, &image).await,
            (Route::Referrers(image, digest), Method::GET) => {
                manifests::referrers(&ctx, &req, &image, &digest)
                    .await
                    .map(|r| r.into_response())
            }
            (_, m) => Err(Failure::Registry(RegistryError::new(
                ErrorCode::Unsupported,
                format!("{m} is not supported on this endpoint"),
            ))),
        };
        Ok(result.unwrap_or_else(Failure::into_response))
    }
}
