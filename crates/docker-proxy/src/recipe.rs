//! `docker-proxy`: validates Nexus's `DockerProxyRepositoryApiRequest` and serves pulls.

use crate::serve;
use crate::upstream::Upstreams;
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::format::{ContentContext, Recipe, RepositorySpec, parse_common};
use stowage_core::model::RepoKind;
use stowage_core::proxy::{mask_secrets, parse_connection, parse_minutes};
use stowage_core::{CoreError, Result};
use stowage_docker::content::DockerContent;
use stowage_docker::errors::{ErrorCode, RegistryError};
use stowage_docker::http::{API_VERSION, Failure, content_route, error_response};
use stowage_docker::route::Route;
use stowage_docker::settings::{bool_at, connector_port, docker_block};

/// `docker-proxy`, with the upstream clients of its repositories.
#[derive(Default)]
pub struct DockerProxyRecipe {
    pub(crate) upstreams: Upstreams,
}

fn text_at<'a>(body: &'a Value, ptr: &str) -> Option<&'a str> {
    body.pointer(ptr)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
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
        let (name, online, blob_store) = parse_common(body)?;
        if name.as_str().chars().any(|c| c.is_ascii_uppercase()) {
            return Err(CoreError::invalid(
                "name",
                "must be lowercase for docker repositories",
            ));
        }
        let remote = text_at(body, "/proxy/remoteUrl")
            .ok_or_else(|| CoreError::invalid("proxy.remoteUrl", "is required"))?;
        let parsed = reqwest::Url::parse(remote)
            .map_err(|e| CoreError::invalid("proxy.remoteUrl", format!("is not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(CoreError::invalid(
                "proxy.remoteUrl",
                "must be an http:// or https:// URL of a registry",
            ));
        }
        let content_max_age =
            parse_minutes(body, "/proxy/contentMaxAge", "proxy.contentMaxAge", 1440)?;
        let metadata_max_age =
            parse_minutes(body, "/proxy/metadataMaxAge", "proxy.metadataMaxAge", 1440)?;
        let negative = bool_at(
            body,
            "/negativeCache/enabled",
            "negativeCache.enabled",
            Some(true),
        )?;
        let negative_ttl = parse_minutes(
            body,
            "/negativeCache/timeToLive",
            "negativeCache.timeToLive",
            1440,
        )?;
        let blocked = bool_at(
            body,
            "/httpClient/blocked",
            "httpClient.blocked",
            Some(false),
        )?;
        let auto_block = bool_at(
            body,
            "/httpClient/autoBlock",
            "httpClient.autoBlock",
            Some(true),
        )?;
        let connection = parse_connection(body)?;
        let no_user = text_at(body, "/httpClient/authentication/username").is_none()
            && text_at(body, "/httpClient/authentication/bearerToken").is_none();
        let authentication = match body.pointer("/httpClient/authentication") {
            None | Some(Value::Null) => Value::Null,
            // A form with its credential fields left empty.
            Some(_) if no_user => Value::Null,
            Some(a) => {
                let kind = a.get("type").and_then(Value::as_str).unwrap_or("username");
                match kind {
                    "username" => {
                        let user = text_at(a, "/username").ok_or_else(|| {
                            CoreError::invalid("httpClient.authentication.username", "is required")
                        })?;
                        let password = a.get("password").and_then(Value::as_str).unwrap_or("");
                        json!({"type": "username", "username": user, "password": password})
                    }
                    "bearerToken" => {
                        let token = text_at(a, "/bearerToken").ok_or_else(|| {
                            CoreError::invalid(
                                "httpClient.authentication.bearerToken",
                                "is required",
                            )
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
            }
        };
        let index_type = match text_at(body, "/dockerProxy/indexType").unwrap_or("REGISTRY") {
            t @ ("REGISTRY" | "HUB" | "CUSTOM") => t,
            other => {
                return Err(CoreError::invalid(
                    "dockerProxy.indexType",
                    format!("'{other}' is not one of REGISTRY, HUB, CUSTOM"),
                ));
            }
        };
        Ok(RepositorySpec {
            name,
            online,
            attributes: json!({
                "storage": {
                    "blobStoreName": blob_store,
                    "strictContentTypeValidation": bool_at(body, "/storage/strictContentTypeValidation", "storage.strictContentTypeValidation", Some(true))?,
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
                "dockerProxy": {
                    "indexType": index_type,
                    "indexUrl": text_at(body, "/dockerProxy/indexUrl"),
                    "cacheForeignLayers": bool_at(body, "/dockerProxy/cacheForeignLayers", "dockerProxy.cacheForeignLayers", Some(false))?,
                    "foreignLayerUrlWhitelist": body.pointer("/dockerProxy/foreignLayerUrlWhitelist").cloned().unwrap_or(json!([])),
                },
                "docker": docker_block(body)?,
                "cleanup": body.get("cleanup").cloned().unwrap_or(Value::Null),
            }),
            blob_store,
        })
    }

    fn connector_port(&self, attributes: &Value) -> Option<u16> {
        connector_port(attributes)
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
