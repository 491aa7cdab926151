//! Raw proxy repositories: files fetched from a remote HTTP base URL (`proxy.remoteUrl` +
//! path), kept and served for `proxy.contentMaxAge` minutes (-1: for good), a 404 remembered
//! for `negativeCache.timeToLive`; when the remote cannot be reached, what is cached is served.
//! Requests to the remote follow `httpClient.connection`: `timeout` seconds of silence give up
//! an attempt, and up to `retries` more attempts follow one that got no answer or a 5xx.

use crate::RawPath;
use crate::attributes::RawRepositoryRequest;
use crate::content::{RawContent, RawFile, serve_file};
use crate::hosted::{find, store};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::TryStreamExt;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use stowage_core::attributes::{HttpClientAttributes, ProxyAttributes, UpstreamAuth};
use stowage_core::format::{ContentContext, Recipe, RepositorySpec};
use stowage_core::group::MemberError;
use stowage_core::model::RepoKind;
use stowage_core::proxy::{
    Connection, NegativeCache, mask_secrets, negative_ttl, parse_connection,
};
use stowage_core::{CoreError, Result, now_millis};

/// `raw-proxy`.
#[derive(Default)]
pub struct RawProxyRecipe {
    /// Paths the remote did not have, by repository id and path.
    missing: NegativeCache,
    /// One HTTP client per distinct connection settings, shared by the proxies that have them.
    clients: Mutex<HashMap<Connection, reqwest::Client>>,
}

impl RawProxyRecipe {
    fn client(&self, connection: &Connection) -> Result<reqwest::Client> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = clients.get(connection) {
            return Ok(c.clone());
        }
        let mut agent = format!("Stowage/{}", env!("CARGO_PKG_VERSION"));
        if let Some(suffix) = &connection.user_agent_suffix {
            agent.push(' ');
            agent.push_str(suffix);
        }
        let client = reqwest::Client::builder()
            .user_agent(agent)
            .connect_timeout(connection.timeout.min(Duration::from_secs(20)))
            .read_timeout(connection.timeout)
            .build()
            .map_err(|e| CoreError::Internal(format!("raw proxy HTTP client: {e}")))?;
        clients.insert(connection.clone(), client.clone());
        Ok(client)
    }

    /// Sends `request`, again up to `retries` more times (as the docker proxy does) after a
    /// failure to get an answer or a 5xx one, waiting 200 ms × the attempt number before each.
    async fn send(
        request: reqwest::RequestBuilder,
        retries: u32,
    ) -> std::result::Result<reqwest::Response, String> {
        let mut attempt: u32 = 0;
        loop {
            let Some(this) = request.try_clone() else {
                return request.send().await.map_err(|e| e.to_string());
            };
            let outcome = this.send().await;
            let failed = match &outcome {
                Ok(resp) => resp.status().is_server_error(),
                Err(_) => true,
            };
            if !failed || attempt >= retries {
                return outcome.map_err(|e| e.to_string());
            }
            attempt += 1;
            tracing::debug!(attempt, "remote request failed; retrying");
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
    }

    /// The file at `path`: cached and fresh, else fetched from the remote and cached (the cached
    /// one when the remote cannot be reached); `None` when the remote does not have it. A remote
    /// that cannot deliver with nothing cached is refused with a 502 saying why.
    async fn find(
        &self,
        ctx: &ContentContext,
        path: &RawPath,
    ) -> std::result::Result<Option<RawFile>, MemberError> {
        let attrs = &ctx.repository.attributes;
        let catalogue = &ctx.services.catalogue;
        let cached = catalogue
            .find_asset(&ctx.repository.id, path.as_str())
            .await?;
        let proxy = ProxyAttributes::of(attrs);
        let max_age = proxy.content_max_age.valid().copied().unwrap_or(1440);
        if let Some(a) = &cached {
            let age_ms = now_millis() - a.last_modified;
            if max_age < 0 || age_ms < max_age * 60_000 {
                return Ok(find(ctx, path).await?);
            }
        }
        let key = format!("{}/{}", ctx.repository.id, path.as_str());
        if cached.is_none() && self.missing.known_missing(&key) {
            return Ok(None);
        }
        let base = proxy.remote_url().unwrap_or("");
        let url = format!("{}/{}", base.trim_end_matches('/'), path.as_str());
        let connection = Connection::of(attrs);
        let mut request = self.client(&connection)?.get(&url);
        let http_client = HttpClientAttributes::of(attrs);
        if let Some(UpstreamAuth::Username { username, password }) =
            http_client.authentication.upstream_auth()
        {
            request = request.basic_auth(username, password);
        }
        let outcome = if http_client.blocked() {
            Err("the remote is blocked (httpClient.blocked)".to_owned())
        } else {
            Self::send(request, connection.retries).await
        };
        match outcome {
            Ok(resp) if resp.status().is_success() => {
                let body = resp.bytes_stream().map_err(std::io::Error::other);
                store(ctx, path, Box::pin(body), true).await?;
                tracing::info!(repo = %ctx.repository.name, path = %path.as_str(), "cached a file from the remote");
                Ok(find(ctx, path).await?)
            }
            Ok(resp) if resp.status() == reqwest::StatusCode::NOT_FOUND => {
                self.missing.remember(key, negative_ttl(attrs));
                Ok(None)
            }
            other => {
                let why = match other {
                    Ok(resp) => format!("HTTP {}", resp.status()),
                    Err(e) => e,
                };
                if cached.is_some() {
                    tracing::warn!(repo = %ctx.repository.name, path = %path.as_str(), error = %why, "remote unavailable; serving the cached file");
                    return Ok(find(ctx, path).await?);
                }
                Err(MemberError::Refused(
                    HttpResponse::BadGateway()
                        .content_type("text/plain; charset=utf-8")
                        .body(format!(
                            "the remote of '{}' did not deliver '{}': {why}\n",
                            ctx.repository.name,
                            path.as_str()
                        )),
                ))
            }
        }
    }
}

#[async_trait::async_trait(?Send)]
impl RawContent for RawProxyRecipe {
    async fn file(
        &self,
        ctx: &ContentContext,
        path: &RawPath,
    ) -> std::result::Result<Option<RawFile>, MemberError> {
        self.find(ctx, path).await
    }
}

#[async_trait::async_trait(?Send)]
impl Recipe for RawProxyRecipe {
    fn format(&self) -> &'static str {
        "raw"
    }

    fn kind(&self) -> RepoKind {
        RepoKind::Proxy
    }

    fn form(&self) -> &'static [stowage_core::format::ui::FieldSpec] {
        crate::form::PROXY
    }

    fn defaults(&self) -> serde_json::Value {
        crate::form::proxy_defaults()
    }

    fn parse_request(&self, body: &Value) -> Result<RepositorySpec> {
        let request = RawRepositoryRequest::read(body);
        let common = &request.common;
        let (name, online, blob_store) = common.validate_common()?;
        let remote = common.proxy.parse_remote_url()?;
        let parsed = reqwest::Url::parse(remote)
            .map_err(|e| CoreError::invalid("proxy.remoteUrl", format!("is not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(CoreError::invalid(
                "proxy.remoteUrl",
                "must be an http:// or https:// URL",
            ));
        }
        let http = &common.http_client;
        let a = &http.authentication;
        let authentication = match a.username.non_empty() {
            Some(username) => json!({
                "type": "username",
                "username": username,
                "password": a.password.valid().map_or("", String::as_str),
            }),
            None => Value::Null,
        };
        Ok(RepositorySpec {
            name,
            online,
            attributes: json!({
                "storage": {"blobStoreName": blob_store, "strictContentTypeValidation": true},
                "proxy": {
                    "remoteUrl": remote.trim_end_matches('/'),
                    "contentMaxAge": common.proxy.content_max_age.minutes("proxy.contentMaxAge", 1440)?,
                    "metadataMaxAge": common.proxy.metadata_max_age.minutes("proxy.metadataMaxAge", 1440)?,
                },
                "negativeCache": {
                    "enabled": common.negative_cache.enabled.or(true),
                    "timeToLive": common.negative_cache.time_to_live.minutes("negativeCache.timeToLive", 1440)?,
                },
                "httpClient": {
                    "blocked": http.blocked.or(false),
                    "autoBlock": http.auto_block.or(true),
                    "connection": parse_connection(&http.connection)?,
                    "authentication": authentication,
                },
                "raw": {"contentDisposition": request.raw.parse_content_disposition()?},
            }),
            blob_store,
        })
    }

    fn public_attributes(&self, attributes: &Value) -> Value {
        mask_secrets(attributes)
    }

    /// A raw group reads through this recipe's `RawContent`.
    fn content(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    async fn handle(
        &self,
        ctx: ContentContext,
        req: HttpRequest,
        _body: web::Payload,
    ) -> Result<HttpResponse> {
        let path = RawPath::parse(&ctx.path)?;
        match *req.method() {
            Method::GET | Method::HEAD => match self.find(&ctx, &path).await {
                Ok(Some(file)) => serve_file(&req, &path, &file).await,
                Ok(None) => Err(CoreError::NotFound(format!(
                    "'{}' (not found upstream)",
                    path.as_str()
                ))),
                Err(MemberError::Refused(resp)) => Ok(resp),
                Err(MemberError::Core(e)) => Err(e),
            },
            _ => Ok(HttpResponse::MethodNotAllowed()
                .insert_header((actix_web::http::header::ALLOW, "GET, HEAD"))
                .body(format!(
                    "'{}' is a proxy repository: it only serves downloads\n",
                    ctx.repository.name
                ))),
        }
    }
}
