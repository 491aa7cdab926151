//! Typed views of Nexus's repository requests and stored attributes: the blocks every format
//! shares (`storage`, `proxy`, `negativeCache`, `httpClient`, `group`, `cleanup`) and the
//! common request fields (`name`, `online`). Format crates add their own blocks (`docker`,
//! `dockerProxy`, `raw`) the same way.
//!
//! A request and the attributes stored from it have the same shape (Nexus returns what it was
//! given), so one struct per block serves both: a recipe's `parse_request` deserializes the
//! body into its request struct and validates it, and runtime code reads stored attributes with
//! the block's `of` (`StorageAttributes::of(&repository.attributes)`) instead of JSON pointers.
//!
//! Every field is a [`Given`]: absent, `null`, a value of the expected type, or something else.
//! Deserializing never fails, so validation can name the offending field with the messages the
//! API has always given (`storage.writePolicy: is required`), and stored attributes written by
//! an older version read with the defaults documented on each accessor.

use crate::model::WritePolicy;
use crate::names::RepositoryName;
use crate::{CoreError, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::ops::Deref;
use std::time::Duration;

/// One field of a request or of stored attributes, as it was given.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Given<T> {
    /// Not there.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A value of the expected type.
    Valid(T),
    /// A value of another type, kept as given.
    Invalid(Value),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Given<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Null => Self::Null,
            v => match T::deserialize(&v) {
                Ok(t) => Self::Valid(t),
                Err(_) => Self::Invalid(v),
            },
        })
    }
}

impl<T> Given<T> {
    /// The value when it has the expected type.
    pub fn valid(&self) -> Option<&T> {
        match self {
            Self::Valid(t) => Some(t),
            _ => None,
        }
    }

    /// Whether it is absent or `null`.
    pub fn is_unset(&self) -> bool {
        matches!(self, Self::Absent | Self::Null)
    }

    /// The value as given (`Some(Value::Null)` for `null`), `None` when absent: for fields
    /// stored exactly as the client sent them.
    pub fn as_given(&self) -> Option<Value>
    where
        T: serde::Serialize,
    {
        match self {
            Self::Absent => None,
            Self::Null => Some(Value::Null),
            Self::Valid(t) => Some(serde_json::to_value(t).unwrap_or(Value::Null)),
            Self::Invalid(v) => Some(v.clone()),
        }
    }
}

impl Given<bool> {
    /// A request's flag: `default` when absent or `null` (`None`: required), refused naming
    /// `field` when not a boolean.
    pub fn flag(&self, field: &str, default: Option<bool>) -> Result<bool> {
        match self {
            Self::Absent | Self::Null => {
                default.ok_or_else(|| CoreError::invalid(field, "is required (true or false)"))
            }
            Self::Valid(b) => Ok(*b),
            Self::Invalid(_) => Err(CoreError::invalid(field, "must be true or false")),
        }
    }

    /// A request's flag that may be left out (`default`) but not be `null`.
    pub fn flag_not_null(&self, field: &str, default: bool) -> Result<bool> {
        match self {
            Self::Absent => Ok(default),
            Self::Valid(b) => Ok(*b),
            Self::Null | Self::Invalid(_) => {
                Err(CoreError::invalid(field, "must be true or false"))
            }
        }
    }

    /// The flag when it is a boolean, `default` otherwise (how stored flags are read).
    pub fn or(&self, default: bool) -> bool {
        self.valid().copied().unwrap_or(default)
    }
}

impl Given<String> {
    /// The text trimmed, when it is a string that is not blank.
    pub fn text(&self) -> Option<&str> {
        self.valid().map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// The string as given when it is one and not empty.
    pub fn non_empty(&self) -> Option<&str> {
        self.valid().map(String::as_str).filter(|s| !s.is_empty())
    }
}

impl Given<i64> {
    /// A request's minutes (`-1`: forever), `default` when absent or `null`; anything else is
    /// refused naming `field`.
    pub fn minutes(&self, field: &str, default: i64) -> Result<i64> {
        match self {
            Self::Absent | Self::Null => Ok(default),
            Self::Valid(m) if *m >= -1 => Ok(*m),
            _ => Err(CoreError::invalid(
                field,
                "must be a number of minutes (-1: forever)",
            )),
        }
    }

    /// Stored minutes as a duration; `None` means forever (`-1`, or absent).
    pub fn duration(&self) -> Option<Duration> {
        match self.valid() {
            Some(m) if *m >= 0 => Some(Duration::from_secs(*m as u64 * 60)),
            _ => None,
        }
    }
}

/// A nested object of a request or of stored attributes: the block's fields when it is an
/// object, all absent otherwise. Dereferences to the block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block<T> {
    /// Whether the block was given as a JSON object.
    pub is_object: bool,
    inner: T,
}

impl<T> Deref for Block<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> Block<T> {
    /// The block's fields.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<'de, T: DeserializeOwned + Default> Deserialize<'de> for Block<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(Self::of(&Value::deserialize(d)?))
    }
}

impl<T: DeserializeOwned + Default> Block<T> {
    /// `value` read as the block (all fields absent unless it is an object).
    pub fn of(value: &Value) -> Self {
        match value {
            Value::Object(_) => Self {
                is_object: true,
                inner: T::deserialize(value).unwrap_or_default(),
            },
            _ => Self::default(),
        }
    }

    /// The block at `pointer` of `value` (e.g. `/httpClient/connection`).
    pub fn at(value: &Value, pointer: &str) -> Self {
        value.pointer(pointer).map(Self::of).unwrap_or_default()
    }
}

/// A request body (or stored attributes) read as the request struct `T`; fields of the wrong
/// type are kept as [`Given::Invalid`], and a body that is not an object reads as empty.
pub fn read<T: DeserializeOwned + Default>(body: &Value) -> T {
    Block::<T>::of(body).into_inner()
}

/// The fields every repository request has, with the shared blocks. Format crates flatten it
/// into their own request struct (`#[serde(flatten)]`) next to their blocks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RepositoryRequest {
    /// `name`.
    pub name: Given<String>,
    /// `online`.
    pub online: Given<bool>,
    /// `storage`.
    pub storage: Block<StorageAttributes>,
    /// `proxy` (proxies).
    pub proxy: Block<ProxyAttributes>,
    /// `negativeCache` (proxies).
    pub negative_cache: Block<NegativeCacheAttributes>,
    /// `httpClient` (proxies).
    pub http_client: Block<HttpClientAttributes>,
    /// `group` (groups).
    pub group: Block<GroupAttributes>,
    /// `cleanup`, stored as given (see [`CleanupAttributes`] to read it).
    pub cleanup: Given<Value>,
    /// `component`, stored as given.
    pub component: Given<Value>,
}

impl RepositoryRequest {
    /// Validates `name`, `online` and `storage.blobStoreName`, in that order, with the same
    /// fields and messages as `format::parse_common` (which reads them untyped).
    pub fn validate_common(&self) -> Result<(RepositoryName, bool, String)> {
        let name = self
            .name
            .valid()
            .ok_or_else(|| CoreError::invalid("name", "is required"))?;
        let name = RepositoryName::parse(name)?;
        let online = self.online.flag_not_null("online", true)?;
        let blob_store = self
            .storage
            .blob_store_name
            .non_empty()
            .ok_or_else(|| CoreError::invalid("storage.blobStoreName", "is required"))?
            .to_owned();
        Ok((name, online, blob_store))
    }

    /// `cleanup` as given, `null` when absent.
    pub fn cleanup_as_given(&self) -> Value {
        self.cleanup.as_given().unwrap_or(Value::Null)
    }

    /// `component` as given, Nexus's `{"proprietaryComponents": false}` when absent.
    pub fn component_as_given(&self) -> Value {
        self.component
            .as_given()
            .unwrap_or_else(|| serde_json::json!({"proprietaryComponents": false}))
    }
}

/// `storage`: where and how content is stored.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StorageAttributes {
    /// `blobStoreName`.
    pub blob_store_name: Given<String>,
    /// `strictContentTypeValidation`.
    pub strict_content_type_validation: Given<bool>,
    /// `writePolicy` (hosted): `ALLOW`, `ALLOW_ONCE` or `DENY`.
    pub write_policy: Given<String>,
    /// `latestPolicy` (docker hosted): whether `latest` may move under `ALLOW_ONCE`.
    pub latest_policy: Given<bool>,
}

impl StorageAttributes {
    /// The `storage` block of stored attributes.
    pub fn of(attributes: &Value) -> Self {
        Block::<Self>::at(attributes, "/storage").into_inner()
    }

    /// A request's `writePolicy`: required, one of Nexus's policies (case-insensitive).
    pub fn parse_write_policy(&self) -> Result<WritePolicy> {
        let policy = self
            .write_policy
            .valid()
            .ok_or_else(|| CoreError::invalid("storage.writePolicy", "is required"))?;
        WritePolicy::parse(policy)
    }

    /// The stored write policy, ALLOW when absent or not one.
    pub fn write_policy(&self) -> WritePolicy {
        self.write_policy
            .valid()
            .and_then(|s| WritePolicy::parse(s).ok())
            .unwrap_or(WritePolicy::Allow)
    }

    /// Whether `latest` may move under ALLOW_ONCE (false unless stored as true).
    pub fn latest_policy(&self) -> bool {
        self.latest_policy.or(false)
    }
}

/// `proxy`: the remote and how long what came from it is trusted.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProxyAttributes {
    /// `remoteUrl`.
    pub remote_url: Given<String>,
    /// `contentMaxAge`, minutes (`-1`: forever).
    pub content_max_age: Given<i64>,
    /// `metadataMaxAge`, minutes (`-1`: forever).
    pub metadata_max_age: Given<i64>,
}

impl ProxyAttributes {
    /// The `proxy` block of stored attributes.
    pub fn of(attributes: &Value) -> Self {
        Block::<Self>::at(attributes, "/proxy").into_inner()
    }

    /// The stored remote URL, if any.
    pub fn remote_url(&self) -> Option<&str> {
        self.remote_url.valid().map(String::as_str)
    }

    /// A request's `remoteUrl`: required, trimmed.
    pub fn parse_remote_url(&self) -> Result<&str> {
        self.remote_url
            .text()
            .ok_or_else(|| CoreError::invalid("proxy.remoteUrl", "is required"))
    }
}

/// `negativeCache`: how long a path the remote lacked is remembered.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NegativeCacheAttributes {
    /// `enabled`.
    pub enabled: Given<bool>,
    /// `timeToLive`, minutes (`-1`: forever).
    pub time_to_live: Given<i64>,
}

impl NegativeCacheAttributes {
    /// The `negativeCache` block of stored attributes.
    pub fn of(attributes: &Value) -> Self {
        Block::<Self>::at(attributes, "/negativeCache").into_inner()
    }
}

/// `httpClient`: how the remote is reached.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HttpClientAttributes {
    /// `blocked`: the remote is not asked.
    pub blocked: Given<bool>,
    /// `autoBlock`: the remote is left alone for a while after repeated failures.
    pub auto_block: Given<bool>,
    /// `connection`.
    pub connection: Block<ConnectionAttributes>,
    /// `authentication`.
    pub authentication: Block<AuthenticationAttributes>,
}

impl HttpClientAttributes {
    /// The `httpClient` block of stored attributes.
    pub fn of(attributes: &Value) -> Self {
        Block::<Self>::at(attributes, "/httpClient").into_inner()
    }

    /// Whether the remote is blocked (false unless stored as true).
    pub fn blocked(&self) -> bool {
        self.blocked.or(false)
    }

    /// Whether the remote is blocked automatically after failures (true unless stored as
    /// false).
    pub fn auto_block(&self) -> bool {
        self.auto_block.or(true)
    }
}

/// `httpClient.connection`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConnectionAttributes {
    /// `retries`.
    pub retries: Given<u64>,
    /// `timeout`, seconds.
    pub timeout: Given<u64>,
    /// `userAgentSuffix`.
    pub user_agent_suffix: Given<String>,
}

/// `httpClient.authentication`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AuthenticationAttributes {
    /// `type`: `username` or `bearerToken`.
    #[serde(rename = "type")]
    pub kind: Given<String>,
    /// `username`.
    pub username: Given<String>,
    /// `password`.
    pub password: Given<String>,
    /// `bearerToken`.
    pub bearer_token: Given<String>,
}

/// Stored upstream credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamAuth {
    /// `type: username`: basic authentication.
    Username {
        /// The user name (empty when none is stored).
        username: String,
        /// The password, when one is stored.
        password: Option<String>,
    },
    /// `type: bearerToken`.
    BearerToken(String),
}

impl AuthenticationAttributes {
    /// The stored credentials, if any.
    pub fn upstream_auth(&self) -> Option<UpstreamAuth> {
        let text = |g: &Given<String>| g.valid().cloned();
        match self.kind.valid().map(String::as_str) {
            Some("username") => Some(UpstreamAuth::Username {
                username: text(&self.username).unwrap_or_default(),
                password: text(&self.password),
            }),
            Some("bearerToken") => Some(UpstreamAuth::BearerToken(
                text(&self.bearer_token).unwrap_or_default(),
            )),
            _ => None,
        }
    }
}

/// `group`: the members a group serves, in order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GroupAttributes {
    /// `memberNames`.
    pub member_names: Given<Vec<Given<String>>>,
    /// `writableMember` (docker groups): the hosted member pushes go to.
    pub writable_member: Given<String>,
}

impl GroupAttributes {
    /// The `group` block of stored attributes.
    pub fn of(attributes: &Value) -> Self {
        Block::<Self>::at(attributes, "/group").into_inner()
    }

    /// The stored member names, in order.
    pub fn member_names(&self) -> Vec<String> {
        self.member_names
            .valid()
            .map(|names| names.iter().filter_map(|n| n.valid().cloned()).collect())
            .unwrap_or_default()
    }

    /// The stored writable member, when one is named.
    pub fn writable_member(&self) -> Option<&str> {
        self.writable_member.non_empty()
    }
}

/// `cleanup`: the cleanup policies that apply.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CleanupAttributes {
    /// `policyNames`.
    pub policy_names: Given<Vec<String>>,
}

impl CleanupAttributes {
    /// The `cleanup` block of stored attributes.
    pub fn of(attributes: &Value) -> Self {
        Block::<Self>::at(attributes, "/cleanup").into_inner()
    }

    /// The policy names (none when absent).
    pub fn policy_names(&self) -> &[String] {
        self.policy_names.valid().map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn given_tells_absent_null_valid_and_invalid_apart() {
        let r: RepositoryRequest = read(&json!({
            "name": "a", "online": null,
            "storage": {"blobStoreName": 5, "writePolicy": "allow_once"},
            "proxy": "not an object",
        }));
        assert_eq!(r.name, Given::Valid("a".into()));
        assert_eq!(r.online, Given::Null);
        assert_eq!(r.storage.blob_store_name, Given::Invalid(json!(5)));
        assert_eq!(r.storage.strict_content_type_validation, Given::Absent);
        assert_eq!(r.storage.write_policy(), WritePolicy::AllowOnce);
        assert!(r.storage.is_object && !r.proxy.is_object);
        assert!(r.proxy.remote_url.is_unset());
        assert_eq!(r.cleanup.as_given(), None);
        assert!(read::<RepositoryRequest>(&json!([1])).name.is_unset());
    }

    #[test]
    fn common_fields_are_refused_with_their_field_and_message() {
        for (body, says) in [
            (json!({}), "name: is required"),
            (
                json!({"name": "a", "online": null}),
                "online: must be true or false",
            ),
            (json!({"name": "a"}), "storage.blobStoreName: is required"),
            (
                json!({"name": "a", "storage": {"blobStoreName": ""}}),
                "storage.blobStoreName: is required",
            ),
        ] {
            let e = read::<RepositoryRequest>(&body)
                .validate_common()
                .unwrap_err();
            assert_eq!(e.to_string(), says, "{body}");
        }
        let ok = read::<RepositoryRequest>(
            &json!({"name": "a", "online": false, "storage": {"blobStoreName": "s"}}),
        );
        let (name, online, store) = ok.validate_common().unwrap();
        assert_eq!((name.as_str(), online, store.as_str()), ("a", false, "s"));
    }

    #[test]
    fn stored_blocks_read_with_defaults() {
        let stored = json!({
            "proxy": {"remoteUrl": "https://r", "contentMaxAge": -1, "metadataMaxAge": 5},
            "httpClient": {"blocked": true, "connection": {"retries": 3},
                "authentication": {"type": "username", "username": "u"}},
            "group": {"memberNames": ["a", 1, "b"], "writableMember": ""},
            "cleanup": {"policyNames": ["p"]},
        });
        let proxy = ProxyAttributes::of(&stored);
        assert_eq!(proxy.remote_url(), Some("https://r"));
        assert_eq!(proxy.content_max_age.duration(), None);
        assert_eq!(
            proxy.metadata_max_age.duration(),
            Some(Duration::from_secs(300))
        );
        let http = HttpClientAttributes::of(&stored);
        assert!(http.blocked() && http.auto_block());
        assert_eq!(http.connection.retries, Given::Valid(3));
        assert_eq!(
            http.authentication.upstream_auth(),
            Some(UpstreamAuth::Username {
                username: "u".into(),
                password: None
            })
        );
        let group = GroupAttributes::of(&stored);
        assert_eq!(group.member_names(), ["a", "b"]);
        assert_eq!(group.writable_member(), None);
        assert_eq!(CleanupAttributes::of(&stored).policy_names(), ["p"]);
        assert_eq!(
            StorageAttributes::of(&stored).write_policy(),
            WritePolicy::Allow
        );
        assert!(!StorageAttributes::of(&stored).latest_policy());
    }
}
