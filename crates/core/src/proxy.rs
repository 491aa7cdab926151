//! What every proxy recipe shares, whatever its format: Nexus's minute settings (`-1` for
//! "forever"), the negative cache of paths the remote did not have, and the masking of upstream
//! secrets when a repository is shown.

use crate::format::SECRET_PLACEHOLDER;
use crate::{CoreError, Result};
use serde_json::Value;
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
    use serde_json::json;

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
