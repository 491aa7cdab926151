//! The blocks of a repository request every format shares: `storage`, `proxy`,
//! `negativeCache`, `httpClient`, `group`, `cleanup`.

#[allow(unused_imports)]
use super::*;
use crate::model::WritePolicy;
use crate::{CoreError, Result};
use serde::Deserialize;
use serde_json::Value;

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
