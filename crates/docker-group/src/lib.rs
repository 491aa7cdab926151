//! Docker group repositories: one endpoint for several docker repositories (hosted, proxy or
//! other groups). Members are asked in order and the first that has a manifest or blob serves
//! it, a failing member skipped (`stowage_core::group::first_answer` over the members'
//! `DockerContent`); `tags/list` merges every
//! member's tags; pushes go to the `writableMember`. The caller's privileges on the group
//! decide, as in Nexus.

mod content;
mod recipe;

pub use recipe::DockerGroupRecipe;

use std::sync::Arc;
use stowage_core::format::Recipe;

/// The recipes this crate provides, for the server's registry.
pub fn recipes() -> Vec<Arc<dyn Recipe>> {
    vec![Arc::new(DockerGroupRecipe)]
}
