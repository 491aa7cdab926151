//! What the docker formats (hosted, proxy, group) share, following the OCI Distribution Spec
//! v1.1: validated names, tags and digests ([`reference`]), manifest media types
//! ([`media_types`]) and parsing ([`manifest`]), chunked-upload range checks ([`upload`]), the
//! table of error codes with their HTTP statuses ([`errors`]), and the shared repository settings
//! ([`settings`]), and where content lives among a repository's assets ([`layout`]).
//!
//! [`content`] is the typed reads every docker repository kind answers (a group asks its members
//! through it); [`http`] renders registry errors; the hosted implementation is `stowage-docker-hosted`.

pub mod content;
pub mod errors;
pub mod form;
pub mod http;
pub mod layout;
pub mod manifest;
pub mod media_types;
pub mod reference;
pub mod route;
pub mod settings;
pub mod upload;

pub use errors::{ErrorCode, RegistryError};
pub use reference::{Digest, ImageName, Reference, Tag};
