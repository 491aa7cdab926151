//! Blob store settings in Nexus's API shapes (`FileBlobStoreApiCreateRequest`,
//! `S3BlobStoreApiModel`), parsed into typed settings.

use crate::{CoreError, Result};
use secrecy::SecretString;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Connection settings of an S3-compatible bucket.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// Bucket name.
    pub bucket: String,
    /// Region, e.g. `us-east-1`.
    pub region: String,
    /// Key prefix inside the bucket ("" for none).
    pub prefix: String,
    /// Custom endpoint for S3-compatible servers (MinIO, Ceph, moto …).
    pub endpoint: Option<String>,
    /// Access key id; without one, object_store falls back to instance metadata credentials.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<SecretString>,
    /// STS session token.
    pub session_token: Option<SecretString>,
    /// Path-style requests (`endpoint/bucket/key`), which most S3-compatible servers need.
    pub force_path_style: bool,
}

/// Where a blob store keeps its bytes.
#[derive(Debug, Clone)]
pub enum StoreSettings {
    /// A local directory.
    File {
        /// Absolute directory, symbolic links resolved.
        path: PathBuf,
    },
    /// An S3-compatible bucket.
    S3(S3Settings),
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl StoreSettings {
    /// Parses stored or requested attributes of a blob store of `kind` (`File` or `S3`).
    /// A relative `path` is taken relative to `<data dir>/blobs`, as Nexus does; a file store's
    /// path is resolved and checked as `file_path` describes.
    pub fn parse(kind: &str, attrs: &Value, data_dir: &Path) -> Result<Self> {
        match kind {
            "File" => {
                let path = str_at(attrs, "/path")
                    .ok_or_else(|| CoreError::invalid("path", "is required"))?;
                Ok(Self::File {
                    path: super::file_path::resolve_store_path(path, data_dir)?,
                })
            }
            "S3" => {
                let b = "/bucketConfiguration/bucket";
                let sec = "/bucketConfiguration/bucketSecurity";
                let adv = "/bucketConfiguration/advancedBucketConnection";
                let bucket = str_at(attrs, &format!("{b}/name")).ok_or_else(|| {
                    CoreError::invalid("bucketConfiguration.bucket.name", "is required")
                })?;
                let region = str_at(attrs, &format!("{b}/region")).ok_or_else(|| {
                    CoreError::invalid("bucketConfiguration.bucket.region", "is required")
                })?;
                let endpoint = str_at(attrs, &format!("{adv}/endpoint"));
                if let Some(e) = endpoint
                    && !(e.starts_with("http://") || e.starts_with("https://"))
                {
                    return Err(CoreError::invalid(
                        "bucketConfiguration.advancedBucketConnection.endpoint",
                        "must be an http:// or https:// URL",
                    ));
                }
                Ok(Self::S3(S3Settings {
                    bucket: bucket.to_owned(),
                    region: region.to_owned(),
                    prefix: str_at(attrs, &format!("{b}/prefix"))
                        .unwrap_or("")
                        .trim_matches('/')
                        .to_owned(),
                    endpoint: endpoint.map(str::to_owned),
                    access_key_id: str_at(attrs, &format!("{sec}/accessKeyId")).map(str::to_owned),
                    secret_access_key: str_at(attrs, &format!("{sec}/secretAccessKey"))
                        .map(|s| SecretString::from(s.to_owned())),
                    session_token: str_at(attrs, &format!("{sec}/sessionToken"))
                        .map(|s| SecretString::from(s.to_owned())),
                    force_path_style: attrs
                        .pointer(&format!("{adv}/forcePathStyle"))
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                }))
            }
            other => Err(CoreError::invalid(
                "type",
                format!("unknown blob store type '{other}' (File or S3)"),
            )),
        }
    }
}

impl StoreSettings {
    /// Refuses a new store that would share a directory with one of `others` (the existing
    /// stores, by name) or with the data directory's own files. Only file stores can.
    pub fn check_clear_of(&self, data_dir: &Path, others: &[(&str, &StoreSettings)]) -> Result<()> {
        let Self::File { path } = self else {
            return Ok(());
        };
        let dirs: Vec<(&str, &Path)> = others
            .iter()
            .filter_map(|(name, s)| match s {
                Self::File { path } => Some((*name, path.as_path())),
                Self::S3(_) => None,
            })
            .collect();
        super::file_path::check_clear_of(path, data_dir, &dirs)
    }
}
