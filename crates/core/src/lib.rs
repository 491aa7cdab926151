//! Stowage core: the format-independent heart of the repository manager.
//!
//! It owns repositories, components and assets (the [`catalogue`]), the content-addressed
//! [`storage`] of blobs, users and permissions ([`security`]), typed [`config`]uration and the
//! [`format`] plug-in interface that format crates (raw, docker, …) implement.

pub mod attributes;
pub mod catalogue;
pub mod config;
pub mod digest;
pub mod error;
pub mod format;
pub mod group;
pub mod http;
pub mod model;
pub mod names;
pub mod proxy;
pub mod security;
pub mod storage;
pub mod web;

pub use digest::Sha256;
pub use error::{CoreError, Result, chain};
pub use object_store;

/// Milliseconds since the Unix epoch, the catalogue's one time representation.
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Formats catalogue milliseconds as the RFC 3339 timestamps Nexus's API returns.
pub fn rfc3339(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}
