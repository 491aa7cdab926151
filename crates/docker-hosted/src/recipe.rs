//! `docker-hosted`: validates Nexus's `DockerHostedRepositoryApiRequest` and serves the
//! Distribution API.

use crate::{blobs, manifests};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::format::{ContentContext, Recipe, RepositorySpec, parse_common};
use stowage_core::model::{RepoKind, WritePolicy};
use stowage_core::{CoreError, Result};
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{Failure, content_route, error_response};
use stowage_docker::route::Route;
use stowage_docker::settings::{
    automatic_cross_mount, automatic_cross_mount_at, bool_at, connector_port, docker_block,
};

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
        let (name, online, blob_store) = parse_common(body)?;
        if name.as_str().chars().any(|c| c.is_ascii_uppercase()) {
            return Err(CoreError::invalid(
                "name",
                "must be lowercase for docker repositories",
            ));
        }
        let policy = body
            .pointer("/storage/writePolicy")
            .and_then(Value::as_str)
            .ok_or_else(|| CoreError::invalid("storage.writePolicy", "is required"))?;
        let policy = WritePolicy::parse(policy)?;
        let strict = bool_at(
            body,
            "/storage/strictContentTypeValidation",
            "storage.strictContentTypeValidation",
            Some(true),
        )?;
        let latest = bool_at(
            body,
            "/storage/latestPolicy",
            "storage.latestPolicy",
            Some(false),
        )?;
        let mut docker = docker_block(body)?;
        docker["automaticCrossMount"] = json!(automatic_cross_mount_at(body)?);
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
                "cleanup": body.get("cleanup").cloned().unwrap_or(Value::Null),
                "component": body.get("component").cloned().unwrap_or(json!({"proprietaryComponents": false})),
            }),
            blob_store,
        })
    }

    /// As stored, with `docker.automaticCrossMount` filled in for repositories saved before it
    /// existed, so a form or client that sends back what it read keeps the behaviour.
    fn public_attributes(&self, attributes: &Value) -> Value {
        let mut shown = attributes.clone();
        if let Some(docker) = shown.get_mut("docker").and_then(Value::as_object_mut) {
            docker
                .entry("automaticCrossMount")
                .or_insert(json!(automatic_cross_mount(attributes)));
        }
        shown
    }

    fn connector_port(&self, attributes: &Value) -> Option<u16> {
        connector_port(attributes)
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
