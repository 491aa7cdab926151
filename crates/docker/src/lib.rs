//! What the docker formats (hosted, proxy, group) share, following the OCI Distribution Spec
//! v1.1: validated names, tags and digests ([`reference`]), manifest media types
//! ([`media_types`]) and parsing ([`manifest`]), chunked-upload range checks ([`upload`]) and the
//! table of error codes with their HTTP statuses ([`errors`]).
//!
//! The Distribution API routes and the hosted, proxy and group implementations are not built
//! yet; they will live beside this module set and in the `docker-*` crates.

pub mod errors;
pub mod manifest;
pub mod media_types;
pub mod reference;
pub mod upload;

pub use errors::{ErrorCode, RegistryError};
pub use reference::{Digest, ImageName, Reference, Tag};
