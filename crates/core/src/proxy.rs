//! What every proxy recipe shares, whatever its format: Nexus's minute settings (`-1` for
//! "forever"), the connection settings (`httpClient.connection`), the negative cache of paths the
//! remote did not have, and the masking of upstream secrets when a repository is shown.

use crate::attributes::{
    ConnectionAttributes, Given, HttpClientAttributes, NegativeCacheAttributes,
};
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

/// Nexus's `httpClient.connection` of a create or update request, as stored: `retries` 0 to 10
/// (default 2), `timeout` 1 to 3600 seconds (default 60) and `userAgentSuffix` (null when empty).
pub fn parse_connection(connection: &ConnectionAttributes) -> Result<Value> {
    let number = |key: &str,
                  given: &Given<u64>,
                  range: std::ops::RangeInclusive<u64>,
                  default: u64,
                  says: &str| match given {
        Given::Absent | Given::Null => Ok(default),
        Given::Valid(n) if range.contains(n) => Ok(*n),
        _ => Err(CoreError::invalid(
            format!("httpClient.connection.{key}"),
            says,
        )),
    };
    Ok(json!({
        "retries": number("retries", &connection.retries, 0..=10, 2, "must be 0 to 10")?,
        "timeout": number("timeout", &connection.timeout, 1..=3600, 60, "must be 1 to 3600 seconds")?,
        "userAgentSuffix": connection.user_agent_suffix.text(),
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
        let c = HttpClientAttributes::of(attributes).connection.into_inner();
        Self {
            retries: c.retries.valid().map_or(2, |r| (*r).min(10) as u32),
            timeout: Duration::from_secs(c.timeout.valid().copied().unwrap_or(60)),
            user_agent_suffix: c.user_agent_suffix.valid().cloned(),
        }
    }
}

/// How long a miss is remembered under a repository's `negativeCache` settings: zero when the
/// cache is off, a year for "forever". `timeToLive` defaults to Nexus's 1440 minutes.
pub fn negative_ttl(attributes: &Value) -> Duration {
    let cache = NegativeCacheAttributes::of(attributes);
    if cache.enabled == Given::Valid(false) {
        return Duration::ZERO;
    }
    if cache.time_to_live.is_unset() {
        return Duration::from_secs(1440 * 60);
    }
    cache.time_to_live.duration().unwrap_or(FOREVER)
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
        let body = |c: Value| {
            crate::attributes::read::<crate::attributes::RepositoryRequest>(
                &json!({"httpClient": {"connection": c}}),
            )
            .http_client
            .into_inner()
            .connection
            .into_inner()
        };
        let stored = parse_connection(&body(json!({}))).unwrap();
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
        let minutes = |v: Value| serde_json::from_value::<Given<i64>>(v).unwrap_or(Given::Absent);
        assert_eq!(minutes(json!(-1)).minutes("f", 9).unwrap(), -1);
        assert_eq!(Given::<i64>::Absent.minutes("f", 9).unwrap(), 9);
        assert_eq!(minutes(json!(null)).minutes("f", 9).unwrap(), 9);
        for bad in [json!(-2), json!("5"), json!(1.5)] {
            let e = minutes(bad.clone()).minutes("proxy.bad", 9).unwrap_err();
            assert_eq!(
                e.to_string(),
                "proxy.bad: must be a number of minutes (-1: forever)",
                "{bad}"
            );
        }
        assert_eq!(minutes(json!(-1)).duration(), None);
        assert_eq!(minutes(json!(5)).duration(), Some(Duration::from_secs(300)));
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
