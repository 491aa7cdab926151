//! `docker-proxy`: validates Nexus's `DockerProxyRepositoryApiRequest` and serves pulls.

use crate::serve;
use crate::upstream::Upstreams;
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::format::{ContentContext, Recipe, RepositorySpec};
use stowage_core::model::RepoKind;
use stowage_core::proxy::{mask_secrets, parse_connection};
use stowage_core::{CoreError, Result};
use stowage_docker::content::DockerContent;
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, content_route, error_response};
use stowage_docker::route::Route;
use stowage_docker::settings::{DockerAttributes, DockerRepositoryRequest};

/// `docker-proxy`, with the upstream clients of its repositories.
#[derive(Default)]
pub struct DockerProxyRecipe {
    pub(crate) upstreams: Upstreams,
}

#[async_trait::async_trait(?Send)]
impl Recipe for DockerProxyRecipe {
    fn format(&self) -> &'static str {
        "docker"
    }

    fn kind(&self) -> RepoKind {
        RepoKind::Proxy
    }

    fn form(&self) -> &'static [stowage_core::format::ui::FieldSpec] {
        stowage_docker::form::PROXY
    }

    fn defaults(&self) -> serde_json::Value {
        stowage_docker::form::proxy_defaults()
    }

    fn connector_field(&self) -> &'static str {
        "docker.httpPort"
    }

    fn parse_request(&self, body: &Value) -> Result<RepositorySpec> {
        let request = DockerRepositoryRequest::read(body);
        let (name, online, blob_store) = request.validate_common()?;
        let common = &request.common;
        let remote = common.proxy.parse_remote_url()?;
        let parsed = reqwest::Url::parse(remote)
            .map_err(|e| CoreError::invalid("proxy.remoteUrl", format!("is not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(CoreError::invalid(
                "proxy.remoteUrl",
                "must be an http:// or https:// URL of a registry",
            ));
        }
        let content_max_age = common
            .proxy
            .content_max_age
            .minutes("proxy.contentMaxAge", 1440)?;
        let metadata_max_age = common
            .proxy
            .metadata_max_age
            .minutes("proxy.metadataMaxAge", 1440)?;
        let negative = common
            .negative_cache
            .enabled
            .flag("negativeCache.enabled", Some(true))?;
        let negative_ttl = common
            .negative_cache
            .time_to_live
            .minutes("negativeCache.timeToLive", 1440)?;
        let http = &common.http_client;
        let blocked = http.blocked.flag("httpClient.blocked", Some(false))?;
        let auto_block = http.auto_block.flag("httpClient.autoBlock", Some(true))?;
        let connection = parse_connection(&http.connection)?;
        let a = &http.authentication;
        let no_user = a.username.text().is_none() && a.bearer_token.text().is_none();
        let authentication = if !a.is_object || no_user {
            // None given, or a form with its credential fields left empty.
            Value::Null
        } else {
            match a.kind.valid().map_or("username", String::as_str) {
                "username" => {
                    let user = a.username.text().ok_or_else(|| {
                        CoreError::invalid("httpClient.authentication.username", "is required")
                    })?;
                    let password = a.password.valid().map_or("", String::as_str);
                    json!({"type": "username", "username": user, "password": password})
                }
                "bearerToken" => {
                    let token = a.bearer_token.text().ok_or_else(|| {
                        CoreError::invalid("httpClient.authentication.bearerToken", "is required")
                    })?;
                    json!({"type": "bearerToken", "bearerToken": token})
                }
                other => {
                    return Err(CoreError::invalid(
                        "httpClient.authentication.type",
                        format!("'{other}' is not supported; use username or bearerToken"),
                    ));
                }
            }
        };
        let docker_proxy = request.docker_proxy.parse_index_type()?;
        Ok(RepositorySpec {
            name,
            online,
            attributes: json!({
                "storage": {
                    "blobStoreName": blob_store,
                    "strictContentTypeValidation": request.strict_content_type_validation()?,
                },
                "proxy": {
                    "remoteUrl": remote.trim_end_matches('/'),
                    "contentMaxAge": content_max_age,
                    "metadataMaxAge": metadata_max_age,
                },
                "negativeCache": {"enabled": negative, "timeToLive": negative_ttl},
                "httpClient": {
                    "blocked": blocked,
                    "autoBlock": auto_block,
                    "connection": connection,
                    "authentication": authentication,
                },
                "dockerProxy": request.docker_proxy.parse(docker_proxy)?,
                "docker": DockerAttributes::parse(&request.docker)?,
                "cleanup": common.cleanup_as_given(),
            }),
            blob_store,
        })
    }

    fn connector_port(&self, attributes: &Value) -> Option<u16> {
        DockerAttributes::of(attributes).http_port()
    }

    /// A docker group reads through this recipe's `DockerContent`.
    fn content(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn status(&self, repo: &stowage_core::model::Repository) -> Option<Value> {
        self.upstreams.for_repository(repo).ok().map(|u| u.status())
    }

    fn public_attributes(&self, attributes: &Value) -> Value {
        mask_secrets(attributes)
    }

    async fn handle(
        &self,
        mut ctx: ContentContext,
        req: HttpRequest,
        _body: web::Payload,
    ) -> Result<HttpResponse> {
        let route = match content_route(&mut ctx, &req) {
            Ok(r) => r,
            Err(e) => return Ok(error_response(&e)),
        };
        // The upstream's settings are checked for every request, as before any read.
        if let Err(e) = self.upstream(&ctx) {
            return Ok(e.into_response());
        }
        let result = match (route, req.method().clone()) {
            (Route::Manifest(image, r), Method::GET | Method::HEAD) => {
                match self.manifest(&ctx, &req, &image, &r).await {
                    Ok(Some(hit)) => hit.serve_manifest(&req, &image, &r).await,
                    Ok(None) => Err(serve::manifest_unknown(&image, &r)),
                    Err(e) => Err(e),
                }
            }
            (Route::Blob(image, digest), Method::GET | Method::HEAD) => {
                match self.blob(&ctx, &req, &image, &digest).await {
                    Ok(Some(hit)) => hit.serve_blob(&req).await,
                    Ok(None) => Err(crate::fetch::unknown(&digest)),
                    Err(e) => Err(e),
                }
            }
            (Route::Tags(image), Method::GET) => match self.tags(&ctx, &req, &image).await {
                Ok(Some(tags)) => Ok(HttpResponse::Ok()
                    .insert_header(API_VERSION)
                    .json(json!({"name": image.as_str(), "tags": tags}))),
                Ok(None) => Err(Failure::Registry(RegistryError::new(
                    ErrorCode::NameUnknown,
                    format!("no image {image} upstream"),
                ))),
                Err(e) => Err(e),
            },
            (_, m) => Err(Failure::Registry(RegistryError::new(
                ErrorCode::Unsupported,
                format!(
                    "{m} is not supported: '{}' is a proxy repository, which only serves pulls",
                    ctx.repository.name
                ),
            ))),
        };
        Ok(result.unwrap_or_else(Failure::into_response))
    }
}
