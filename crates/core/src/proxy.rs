//! What every proxy recipe shares, whatever its format: Nexus's minute settings (`-1` for
//! "forever"), the connection settings (`httpClient.connection`), the negative cache of paths the
//! remote did not have, and the masking of upstream secrets when a repository is shown.

use crate::format::SECRET_PLACEHOLDER;
use crate::{CoreError, Result};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What "forever" (`-1` minutes) stands for.
const FOREVER: Duration = Duration::from_secs(365 * 86_400);
/// Entries a negative cache holds before it drops the expired ones.
const NEGATIVE_CACHE_TIDY_AT: usize = 100_000;

/// Minutes at `ptr` of a create or update request (`-1`: forever), `default` when absent;
/// anything else is refused naming `field`.
pub fn parse_minutes(body: &Value, ptr: &str, field: &str, default: i64) -> Result<i64> {
    match body.pointer(ptr) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_i64()
            .filter(|m| *m >= -1)
            .ok_or_else(|| CoreError::invalid(field, "must be a number of minutes (-1: forever)")),
    }
}

/// Nexus's `httpClient.connection` of a create or update request, as stored: `retries` 0 to 10
/// (default 2), `timeout` 1 to 3600 seconds (default 60) and `userAgentSuffix` (null when empty).
pub fn parse_connection(body: &Value) -> Result<Value> {
    let number =
        |key: &str, range: std::ops::RangeInclusive<u64>, default: u64, says: &str| match body
            .pointer(&format!("/httpClient/connection/{key}"))
        {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_u64()
                .filter(|n| range.contains(n))
                .ok_or_else(|| CoreError::invalid(format!("httpClient.connection.{key}"), says)),
        };
    let suffix = body
        .pointer("/httpClient/connection/userAgentSuffix")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    Ok(json!({
        "retries": number("retries", 0..=10, 2, "must be 0 to 10")?,
        "timeout": number("timeout", 1..=3600, 60, "must be 1 to 3600 seconds")?,
        "userAgentSuffix": suffix,
    }))
}

/// A proxy's stored connection settings, with Nexus's defaults where none are stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Connection {
    /// Further attempts after a request to the remote fails to connect or times out.
    pub retries: u32,
    /// How long the remote may stay silent before a request is given up.
    pub timeout: Duration,
    /// Appended to the User-Agent sent to the remote.
    pub user_agent_suffix: Option<String>,
}

impl Connection {
    /// The settings under `httpClient.connection` of stored `attributes`.
    pub fn of(attributes: &Value) -> Self {
        let at = |key: &str| attributes.pointer(&format!("/httpClient/connection/{key}"));
        Self {
            retries: at("retries")
                .and_then(Value::as_u64)
                .map_or(2, |r| r.min(10) as u32),
            timeout: Duration::from_secs(at("timeout").and_then(Value::as_u64).unwrap_or(60)),
            user_agent_suffix: at("userAgentSuffix")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// Stored minutes at `ptr` as a duration; `None` means forever (`-1`, or absent).
pub fn minutes(attributes: &Value, ptr: &str) -> Option<Duration> {
    match attributes.pointer(ptr).and_then(Value::as_i64) {
        Some(m) if m >= 0 => Some(Duration::from_secs(m as u64 * 60)),
        _ => None,
    }
}

/// How long a miss is remembered under a repository's `negativeCache` settings: zero when the
/// cache is off, a year for "forever". `timeToLive` defaults to Nexus's 1440 minutes.
pub fn negative_ttl(attributes: &Value) -> Duration {
    if attributes.pointer("/negativeCache/enabled") == Some(&Value::Bool(false)) {
        return Duration::ZERO;
    }
    match attributes.pointer("/negativeCache/timeToLive") {
        None | Some(Value::Null) => Duration::from_secs(1440 * 60),
        Some(_) => minutes(attributes, "/negativeCache/timeToLive").unwrap_or(FOREVER),
    }
}

/// The repository's attributes as shown to clients: the upstream password and bearer token
/// replaced by [`SECRET_PLACEHOLDER`].
pub fn mask_secrets(attributes: &Value) -> Value {
    let mut shown = attributes.clone();
    for key in ["password", "bearerToken"] {
        if let Some(v) = shown.pointer_mut(&format!("/httpClient/authentication/{key}"))
            && v.is_string()
        {
            *v = Value::String(SECRET_PLACEHOLDER.to_owned());
        }
    }
    shown
}

/// Keys the remote did not have, each until its entry expires. Per process: every node keeps
/// its own.
#[derive(Default)]
pub struct NegativeCache {
    until: Mutex<HashMap<String, Instant>>,
}

impl NegativeCache {
    /// Whether `key` was missing recently.
    pub fn known_missing(&self, key: &str) -> bool {
        let mut map = self.until.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some(until) if *until > Instant::now() => true,
            Some(_) => {
                map.remove(key);
                false
            }
            None => false,
        }
    }

    /// Remembers that `key` is missing for `ttl` (nothing when it is zero).
    pub fn remember(&self, key: String, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        let mut map = self.until.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > NEGATIVE_CACHE_TIDY_AT {
            let now = Instant::now();
            map.retain(|_, until| *until > now);
        }
        map.insert(key, Instant::now() + ttl);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_settings_are_checked_and_defaulted() {
        let body = |c: Value| json!({"httpClient": {"connection": c}});
        let stored = parse_connection(&json!({})).unwrap();
        assert_eq!(
            stored,
            json!({"retries": 2, "timeout": 60, "userAgentSuffix": null})
        );
        let given = body(json!({"retries": 0, "timeout": 3600, "userAgentSuffix": " ci "}));
        let stored = parse_connection(&given).unwrap();
        assert_eq!(
            stored,
            json!({"retries": 0, "timeout": 3600, "userAgentSuffix": "ci"})
        );
        let c = Connection::of(&json!({"httpClient": {"connection": stored}}));
        assert_eq!(c.retries, 0);
        assert_eq!(c.timeout, Duration::from_secs(3600));
        assert_eq!(c.user_agent_suffix.as_deref(), Some("ci"));
        assert_eq!(Connection::of(&json!({})).timeout, Duration::from_secs(60));
        for (bad, field) in [
            (json!({"retries": 11}), "httpClient.connection.retries"),
            (json!({"retries": -1}), "httpClient.connection.retries"),
            (json!({"timeout": 0}), "httpClient.connection.timeout"),
            (json!({"timeout": 3601}), "httpClient.connection.timeout"),
            (json!({"timeout": "60"}), "httpClient.connection.timeout"),
        ] {
            match parse_connection(&body(bad.clone())) {
                Err(CoreError::Invalid { field: f, .. }) => assert_eq!(f, field, "{bad}"),
                other => panic!("{bad} gave {other:?}"),
            }
        }
    }

    #[test]
    fn minutes_and_negative_ttl() {
        let body = json!({"proxy": {"contentMaxAge": -1, "metadataMaxAge": 5, "bad": -2}});
        assert_eq!(
            parse_minutes(&body, "/proxy/contentMaxAge", "f", 9).unwrap(),
            -1
        );
        assert_eq!(parse_minutes(&body, "/proxy/none", "f", 9).unwrap(), 9);
        assert!(parse_minutes(&body, "/proxy/bad", "proxy.bad", 9).is_err());
        assert_eq!(minutes(&body, "/proxy/contentMaxAge"), None);
        assert_eq!(
            minutes(&body, "/proxy/metadataMaxAge"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(negative_ttl(&json!({})), Duration::from_secs(86_400));
        let off = json!({"negativeCache": {"enabled": false, "timeToLive": 5}});
        assert_eq!(negative_ttl(&off), Duration::ZERO);
        let forever = json!({"negativeCache": {"enabled": true, "timeToLive": -1}});
        assert_eq!(negative_ttl(&forever), FOREVER);
    }

    #[test]
    fn secrets_are_masked_and_nothing_else() {
        let stored = json!({"httpClient": {"authentication":
            {"type": "username", "username": "robot", "password": "s3cret", "bearerToken": "tok"}}});
        let shown = mask_secrets(&stored);
        let auth = &shown["httpClient"]["authentication"];
        assert_eq!(auth["password"], SECRET_PLACEHOLDER);
        assert_eq!(auth["bearerToken"], SECRET_PLACEHOLDER);
        assert_eq!(auth["username"], "robot");
        assert_eq!(mask_secrets(&json!({"a": 1})), json!({"a": 1}));
    }

    #[test]
    fn negative_cache_remembers_until_expiry() {
        let cache = NegativeCache::default();
        cache.remember("a".into(), Duration::from_secs(60));
        cache.remember("b".into(), Duration::ZERO);
        cache.remember("c".into(), Duration::from_nanos(1));
        std::thread::sleep(Duration::from_millis(2));
        assert!(cache.known_missing("a"));
        assert!(!cache.known_missing("b"));
        assert!(!cache.known_missing("c"));
    }
}
