//! The remote registry of a proxy repository: one HTTP client per repository, Docker's token
//! flow (Bearer tokens cached per scope until they expire) or Basic credentials, and the answers
//! sorted into what the proxy does with them. Credentials never leave this module.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use stowage_core::attributes::{HttpClientAttributes, ProxyAttributes, UpstreamAuth};
use stowage_core::model::Repository;
use stowage_core::proxy::{NegativeCache, negative_ttl};
use stowage_core::{CoreError, Result};
use stowage_docker::settings::DockerProxyAttributes;

/// Failures in a row after which an upstream is auto-blocked.
pub const AUTO_BLOCK_AFTER: u32 = 3;
/// The first auto-block back-off.
pub const FIRST_BACK_OFF: Duration = Duration::from_secs(30);
/// The longest auto-block back-off.
pub const MAX_BACK_OFF: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Default)]
struct Health {
    failures: u32,
    until: Option<Instant>,
    back_off: Option<Duration>,
    reason: Option<String>,
}

/// Why the upstream did not deliver.
#[derive(Debug)]
pub enum UpstreamError {
    /// It does not have it (404).
    NotFound,
    /// It is rate-limiting us; its `Retry-After`, if it sent one.
    TooMany(Option<String>),
    /// It refused our credentials, or has none for us (401/403).
    Refused(u16),
    /// It could not be reached, timed out or failed (5xx); the text says which.
    Unavailable(String),
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotFound => f.write_str("not found upstream"),
            Self::TooMany(_) => f.write_str("the upstream registry is rate-limiting requests"),
            Self::Refused(s) => write!(f, "the upstream registry refused access ({s})"),
            Self::Unavailable(m) => write!(f, "the upstream registry is unavailable: {m}"),
        }
    }
}

#[derive(Clone)]
enum Auth {
    None,
    Basic(String, String),
    Bearer(String),
}

/// One repository's upstream.
pub struct Upstream {
    http: reqwest::Client,
    base: String,
    hub: bool,
    auth: Auth,
    retries: u64,
    blocked: bool,
    auto_block: bool,
    /// Automatic blocking after repeated failures: consecutive failures, and until when the
    /// upstream is not asked.
    health: Mutex<Health>,
    /// How long a tag's manifest is trusted before it is revalidated (`None`: forever).
    pub metadata_max_age: Option<Duration>,
    negative_ttl: Duration,
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    negative: NegativeCache,
    /// The attributes it was built from, to notice a changed configuration.
    built_from: Value,
}

impl Upstream {
    fn build(attributes: &Value) -> Result<Self> {
        let proxy = ProxyAttributes::of(attributes);
        let base = proxy
            .remote_url()
            .ok_or_else(|| CoreError::Internal("proxy without remoteUrl".into()))?
            .trim_end_matches('/')
            .to_owned();
        let http_client = HttpClientAttributes::of(attributes);
        let connection = &http_client.connection;
        let timeout = connection.timeout.valid().copied().unwrap_or(60);
        let mut agent = format!("Stowage/{}", env!("CARGO_PKG_VERSION"));
        if let Some(s) = connection.user_agent_suffix.valid() {
            agent.push(' ');
            agent.push_str(s);
        }
        let http = reqwest::Client::builder()
            .user_agent(agent)
            .connect_timeout(Duration::from_secs(timeout.min(30)))
            .read_timeout(Duration::from_secs(timeout))
            .build()
            .map_err(|e| CoreError::Internal(format!("upstream client: {e}")))?;
        let auth = match http_client.authentication.upstream_auth() {
            Some(UpstreamAuth::Username { username, password }) => {
                Auth::Basic(username, password.unwrap_or_default())
            }
            Some(UpstreamAuth::BearerToken(token)) => Auth::Bearer(token),
            None => Auth::None,
        };
        Ok(Self {
            http,
            hub: DockerProxyAttributes::of(attributes).is_hub()
                || base.contains("registry-1.docker.io"),
            base,
            auth,
            retries: connection.retries.valid().copied().unwrap_or(2),
            blocked: http_client.blocked(),
            auto_block: http_client.auto_block(),
            health: Mutex::new(Health::default()),
            metadata_max_age: proxy.metadata_max_age.duration(),
            negative_ttl: negative_ttl(attributes),
            tokens: Mutex::new(HashMap::new()),
            negative: NegativeCache::default(),
            built_from: attributes.clone(),
        })
    }

    /// The upstream's name for `image`: Docker Hub keeps official images under `library/`.
    pub fn remote_name(&self, image: &str) -> String {
        if self.hub && !image.contains('/') {
            format!("library/{image}")
        } else {
            image.to_owned()
        }
    }

    /// Whether `key` (an image and reference) was not found upstream recently.
    pub fn known_missing(&self, key: &str) -> bool {
        self.negative.known_missing(key)
    }

    /// Remembers that `key` is missing upstream, for the negative cache's time to live.
    pub fn remember_missing(&self, key: &str) {
        self.negative.remember(key.to_owned(), self.negative_ttl);
    }

    /// `method` on `/v2/<remote name of image>/<path>` with `accept`, authenticating as the
    /// upstream asks. A success (2xx) is returned; anything else is sorted into [`UpstreamError`].
    pub async fn send(
        &self,
        method: reqwest::Method,
        image: &str,
        path: &str,
        accept: &[&str],
    ) -> std::result::Result<reqwest::Response, UpstreamError> {
        if self.blocked {
            return Err(UpstreamError::Unavailable(
                "the repository's upstream is blocked (httpClient.blocked)".into(),
            ));
        }
        if let Some(until) = self.blocked_until() {
            return Err(UpstreamError::Unavailable(format!(
                "the upstream failed repeatedly and is not asked again for {} s (httpClient.autoBlock)",
                until
                    .saturating_duration_since(Instant::now())
                    .as_secs()
                    .max(1)
            )));
        }
        let result = self.send_unblocked(method, image, path, accept).await;
        self.record(&result);
        result
    }

    /// Counts a failure to reach the upstream (or a success, which clears the count); from
    /// [`AUTO_BLOCK_AFTER`] failures in a row the upstream is left alone for a back-off that
    /// doubles each time, from [`FIRST_BACK_OFF`] up to [`MAX_BACK_OFF`].
    fn record(&self, result: &std::result::Result<reqwest::Response, UpstreamError>) {
        let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Err(UpstreamError::Unavailable(why)) if self.auto_block => {
                h.failures += 1;
                if h.failures >= AUTO_BLOCK_AFTER {
                    let back_off = h
                        .back_off
                        .map_or(FIRST_BACK_OFF, |b| (b * 2).min(MAX_BACK_OFF));
                    h.back_off = Some(back_off);
                    h.until = Some(Instant::now() + back_off);
                    h.reason = Some(why.clone());
                    h.failures = 0;
                    tracing::warn!(upstream = %self.base, back_off_secs = back_off.as_secs(), reason = %why, "upstream auto-blocked");
                }
            }
            Err(_) => {}
            Ok(_) => *h = Health::default(),
        }
    }

    fn blocked_until(&self) -> Option<Instant> {
        let h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        h.until.filter(|u| *u > Instant::now())
    }

    /// The upstream's state for the API and the UI: `READY`, `BLOCKED` (httpClient.blocked) or
    /// `AUTO_BLOCKED` with when it will be asked again and why.
    pub fn status(&self) -> Value {
        if self.blocked {
            return serde_json::json!({"status": "BLOCKED", "reason": "httpClient.blocked is set"});
        }
        let h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        match h.until.filter(|u| *u > Instant::now()) {
            Some(until) => serde_json::json!({
                "status": "AUTO_BLOCKED",
                "retryInSeconds": until.saturating_duration_since(Instant::now()).as_secs().max(1),
                "reason": h.reason,
            }),
            None => serde_json::json!({"status": "READY", "recentFailures": h.failures}),
        }
    }

    async fn send_unblocked(
        &self,
        method: reqwest::Method,
        image: &str,
        path: &str,
        accept: &[&str],
    ) -> std::result::Result<reqwest::Response, UpstreamError> {
        let name = self.remote_name(image);
        let url = format!("{}/v2/{name}/{path}", self.base);
        let scope = format!("repository:{name}:pull");
        let mut attempt = 0;
        let mut challenged = false;
        loop {
            let mut req = self.http.request(method.clone(), &url);
            for a in accept {
                req = req.header(reqwest::header::ACCEPT, *a);
            }
            req = match (&self.auth, self.cached_token(&scope)) {
                (_, Some(token)) => req.bearer_auth(token),
                (Auth::Bearer(t), None) => req.bearer_auth(t),
                (Auth::Basic(u, p), None) if challenged => req.basic_auth(u, Some(p)),
                _ => req,
            };
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if attempt < self.retries => {
                    attempt += 1;
                    tracing::debug!(error = %e, attempt, "upstream request failed; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                    continue;
                }
                Err(e) => return Err(UpstreamError::Unavailable(e.to_string())),
            };
            let status = resp.status().as_u16();
            match status {
                200..=299 => return Ok(resp),
                401 if !challenged => {
                    challenged = true;
                    let challenge = resp
                        .headers()
                        .get(reqwest::header::WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    if challenge.to_ascii_lowercase().starts_with("bearer") {
                        self.fetch_token(&challenge, &scope).await?;
                    }
                    continue;
                }
                401 | 403 => return Err(UpstreamError::Refused(status)),
                404 => return Err(UpstreamError::NotFound),
                429 => return Err(UpstreamError::TooMany(retry_after(&resp))),
                500..=599 if attempt < self.retries => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                }
                _ => return Err(UpstreamError::Unavailable(format!("HTTP {status}"))),
            }
        }
    }

    fn cached_token(&self, scope: &str) -> Option<String> {
        let map = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        map.get(scope)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(t, _)| t.clone())
    }

    /// Docker's token flow: `GET <realm>?service=…&scope=…`, with our credentials if any.
    async fn fetch_token(
        &self,
        challenge: &str,
        scope: &str,
    ) -> std::result::Result<(), UpstreamError> {
        let params = crate::challenge::params(challenge);
        let realm = params.get("realm").ok_or_else(|| {
            UpstreamError::Unavailable("a Bearer challenge without a realm".into())
        })?;
        let mut query = vec![("scope", scope.to_owned())];
        if let Some(service) = params.get("service") {
            query.push(("service", service.clone()));
        }
        let mut req = self.http.get(realm).query(&query);
        if let Auth::Basic(u, p) = &self.auth {
            req = req.basic_auth(u, Some(p));
        }
        let resp = req
            .send()
            .await
            .map_err(|e| UpstreamError::Unavailable(format!("token endpoint: {e}")))?;
        match resp.status().as_u16() {
            200..=299 => {}
            401 | 403 => return Err(UpstreamError::Refused(resp.status().as_u16())),
            429 => return Err(UpstreamError::TooMany(retry_after(&resp))),
            s => {
                return Err(UpstreamError::Unavailable(format!(
                    "token endpoint: HTTP {s}"
                )));
            }
        }
        let body: Value = resp
            .json()
            .await
            .map_err(|e| UpstreamError::Unavailable(format!("token endpoint: {e}")))?;
        let token = body["token"]
            .as_str()
            .or_else(|| body["access_token"].as_str())
            .ok_or_else(|| UpstreamError::Unavailable("the token endpoint sent no token".into()))?;
        let ttl = body["expires_in"].as_u64().unwrap_or(60).max(10);
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                scope.to_owned(),
                (
                    token.to_owned(),
                    Instant::now() + Duration::from_secs(ttl - 5),
                ),
            );
        Ok(())
    }
}

/// A response's `Retry-After`, as sent.
fn retry_after(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The upstream clients of every proxy repository, rebuilt when a configuration changes.
#[derive(Default)]
pub struct Upstreams {
    by_repository: Mutex<HashMap<String, Arc<Upstream>>>,
}

impl Upstreams {
    /// The client of `repo`.
    pub fn for_repository(&self, repo: &Repository) -> Result<Arc<Upstream>> {
        let mut map = self.by_repository.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(u) = map.get(&repo.id)
            && u.built_from == repo.attributes
        {
            return Ok(Arc::clone(u));
        }
        let u = Arc::new(Upstream::build(&repo.attributes)?);
        map.insert(repo.id.clone(), Arc::clone(&u));
        Ok(u)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_names_official_images_under_library() {
        let hub = Upstream::build(&serde_json::json!({
            "proxy": {"remoteUrl": "https://registry-1.docker.io"},
            "dockerProxy": {"indexType": "HUB"}
        }))
        .unwrap();
        assert_eq!(hub.remote_name("alpine"), "library/alpine");
        assert_eq!(hub.remote_name("grafana/grafana"), "grafana/grafana");
        let other = Upstream::build(&serde_json::json!({"proxy": {"remoteUrl": "http://r:5000/"}}))
            .unwrap();
        assert_eq!(other.remote_name("alpine"), "alpine");
    }
}
