//! Maps core errors to HTTP, once, at the edge: the mapping lives in the core
//! ([`stowage_core::web`]) so format crates answer the same; re-exported here for the server.

pub use stowage_core::error::chain;
pub use stowage_core::web::{BASIC_CHALLENGE, ContentError, RestError, status_of};
