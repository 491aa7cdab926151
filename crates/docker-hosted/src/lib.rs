//! Docker hosted repositories: a registry that stores what clients push, speaking the OCI
//! Distribution API v1.1 below `/v2/` (on the repository's own port, or path-routed as
//! `/v2/<repository>/…` on the main listener).
//!
//! Storage follows Nexus's model. Every blob (layer, config) is an asset at `v2/-/blobs/<digest>`;
//! every manifest is an asset at `v2/<image>/manifests/<digest>`; every tag is a component
//! (name = image, version = tag) whose asset `v2/<image>/manifests/<tag>` points at the same
//! bytes. Tags, tag lists and blob checks therefore come from the catalogue, never from storage.

mod blobs;
mod content;
mod manifests;
mod recipe;

pub use recipe::DockerHostedRecipe;

use std::sync::Arc;
use stowage_core::format::Recipe;

/// The recipes this crate provides, for the server's registry.
pub fn recipes() -> Vec<Arc<dyn Recipe>> {
    vec![Arc::new(DockerHostedRecipe)]
}
