//! Docker proxy repositories: a pull-through cache of a remote registry speaking the
//! Distribution API (Docker Hub included, with its token flow and `library/` names).
//!
//! Storage follows the hosted layout (`v2/-/blobs/<digest>`, `v2/<image>/manifests/<ref>`), so
//! cached content is browsed, listed and served like pushed content. Manifests by digest are
//! kept for good; by tag they are revalidated with a `HEAD` upstream once `metadataMaxAge` has
//! passed. A blob that is not cached is downloaded once however many clients ask for it at the
//! same time, and every one of them is served while it arrives ([`fetch`]). When the upstream is
//! down, what is cached is served; a 404 upstream is remembered for `negativeCache.timeToLive`.
//! The upstream's `WWW-Authenticate` challenges are read by [`challenge`].

pub mod challenge;
mod content;
mod fetch;
mod recipe;
mod serve;
mod upstream;

pub use recipe::DockerProxyRecipe;

use std::sync::Arc;
use stowage_core::format::Recipe;

/// The recipes this crate provides, for the server's registry.
pub fn recipes() -> Vec<Arc<dyn Recipe>> {
    vec![Arc::new(DockerProxyRecipe::default())]
}
