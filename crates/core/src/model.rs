//! Domain types shared by every format: repositories, components, assets, blob references, users.
//!
//! They follow Nexus's model: a repository holds components (an image tag, a raw file); a
//! component has assets (a manifest, a layer, the file itself); an asset points at a blob by its
//! sha256 inside the repository's blob store.

use crate::CoreError;
use serde::{Deserialize, Serialize};

/// Hosted, proxy or group, as Nexus's `type` field says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoKind {
    /// Stores what clients push.
    Hosted,
    /// Caches a remote repository.
    Proxy,
    /// Serves several repositories as one.
    Group,
}

impl RepoKind {
    /// The lowercase name used in URLs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hosted => "hosted",
            Self::Proxy => "proxy",
            Self::Group => "group",
        }
    }

    /// Parses `hosted`, `proxy` or `group`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hosted" => Some(Self::Hosted),
            "proxy" => Some(Self::Proxy),
            "group" => Some(Self::Group),
            _ => None,
        }
    }
}

/// Nexus's write policies for hosted repositories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WritePolicy {
    /// Writes and overwrites allowed.
    Allow,
    /// A path may be written once; overwriting is refused.
    AllowOnce,
    /// Read-only.
    Deny,
}

impl WritePolicy {
    /// Parses `ALLOW`, `ALLOW_ONCE` or `DENY` (case-insensitive, as Nexus accepts).
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        match s.to_ascii_uppercase().as_str() {
            "ALLOW" => Ok(Self::Allow),
            "ALLOW_ONCE" => Ok(Self::AllowOnce),
            "DENY" => Ok(Self::Deny),
            _ => Err(CoreError::invalid(
                "storage.writePolicy",
                "must be one of ALLOW, ALLOW_ONCE, DENY",
            )),
        }
    }
}

/// A configured repository. `attributes` holds the format's settings in Nexus's API shape
/// (`storage`, `raw`, `docker`, `cleanup` …) so the REST API can return them as they were given.
#[derive(Debug, Clone)]
pub struct Repository {
    /// Opaque identifier.
    pub id: String,
    /// Unique name, used in URLs.
    pub name: String,
    /// Format name, e.g. `raw` or `docker`.
    pub format: String,
    /// Hosted, proxy or group.
    pub kind: RepoKind,
    /// Whether it accepts requests.
    pub online: bool,
    /// Name of the blob store holding its content.
    pub blob_store: String,
    /// Format attributes in Nexus's API shape.
    pub attributes: serde_json::Value,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
}

impl Repository {
    /// The write policy in `attributes.storage.writePolicy` (ALLOW when absent).
    pub fn write_policy(&self) -> WritePolicy {
        crate::attributes::StorageAttributes::of(&self.attributes).write_policy()
    }
}

/// A blob's identity inside one blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRef {
    /// Blob store name.
    pub blob_store: String,
    /// The content's sha256 (the catalogue's `blob_sha256` column holds its hex).
    pub digest: crate::Sha256,
    /// Size in bytes.
    pub size: i64,
}

/// A component: a versioned thing in a repository (a raw file, an image tag).
#[derive(Debug, Clone)]
pub struct Component {
    /// Opaque identifier.
    pub id: String,
    /// Owning repository's id.
    pub repository_id: String,
    /// Nexus's `group`: a raw file's directory, empty for docker.
    pub group: String,
    /// Name (raw: the path; docker: the image).
    pub name: String,
    /// Version (docker: the tag; raw: empty).
    pub version: String,
    /// Creation time.
    pub created_at: i64,
}

/// An asset: one stored file of a component, addressed by its path inside the repository.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Opaque identifier.
    pub id: String,
    /// Owning repository's id.
    pub repository_id: String,
    /// Owning component, if any.
    pub component_id: Option<String>,
    /// Path inside the repository, without a leading `/`.
    pub path: String,
    /// The content.
    pub blob: BlobRef,
    /// MIME type served.
    pub content_type: String,
    /// First stored.
    pub created_at: i64,
    /// Last (re)written.
    pub last_modified: i64,
    /// Last served to a client, if ever.
    pub last_downloaded: Option<i64>,
    /// User who wrote it.
    pub uploader: Option<String>,
    /// Address it was written from.
    pub uploader_ip: Option<String>,
}

/// What a format asks the catalogue to store for one written asset.
#[derive(Debug, Clone)]
pub struct NewAsset {
    /// Path inside the repository.
    pub path: String,
    /// Stored content.
    pub blob: BlobRef,
    /// MIME type.
    pub content_type: String,
    /// Component coordinates (group, name, version), if the asset belongs to one.
    pub component: Option<(String, String, String)>,
    /// Writer's user id.
    pub uploader: Option<String>,
    /// Writer's address.
    pub uploader_ip: Option<String>,
}

/// A user's status, as Nexus spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// May sign in.
    Active,
    /// May not sign in.
    Disabled,
}

impl UserStatus {
    /// Parses `active` or `disabled`.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        match s.to_ascii_lowercase().as_str() {
            "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            _ => Err(CoreError::invalid(
                "status",
                "must be 'active' or 'disabled'",
            )),
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

/// A local user.
#[derive(Debug, Clone)]
pub struct User {
    /// Login name; never changes.
    pub user_id: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Email address.
    pub email: String,
    /// Active or disabled.
    pub status: UserStatus,
    /// Role ids.
    pub roles: Vec<String>,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// A configured blob store: its type (`File` or `S3`) and settings in Nexus's API shape.
#[derive(Debug, Clone)]
pub struct BlobStoreRecord {
    /// Unique name.
    pub name: String,
    /// `File` or `S3`, as Nexus spells the type.
    pub kind: String,
    /// Settings (`path` for File; `bucketConfiguration` for S3).
    pub attributes: serde_json::Value,
}
