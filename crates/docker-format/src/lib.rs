//! The docker format as the server registers it ([`format`]): the docker-hosted, -proxy and
//! -group recipes, the Distribution API routes ([`api`]: `/v2` path-routed on the main listener
//! and on each repository's own port, the token endpoint, `_catalog`, v1 search) and what the
//! admin UI shows of docker repositories ([`browse`]: images, tags, a tag's manifest and
//! layers, the docker commands to copy).

mod api;
mod browse;

use std::sync::Arc;
use stowage_core::Result;
use stowage_core::catalogue::ComponentWithAssets;
use stowage_core::format::ui::{BrowseExtras, TreeView, UiContext};
use stowage_core::format::{Format, Recipe};
use stowage_core::model::{Asset, Repository};
use stowage_core::web::RouteSpec;

/// The docker format.
pub struct DockerFormat;

/// The docker format, for the server's registration list.
pub fn format() -> Arc<dyn Format> {
    Arc::new(DockerFormat)
}

#[async_trait::async_trait(?Send)]
impl Format for DockerFormat {
    fn name(&self) -> &'static str {
        api::FORMAT
    }

    fn recipes(&self) -> Vec<Arc<dyn Recipe>> {
        stowage_docker_hosted::recipes()
            .into_iter()
            .chain(stowage_docker_proxy::recipes())
            .chain(stowage_docker_group::recipes())
            .collect()
    }

    fn main_routes(&self) -> Vec<RouteSpec> {
        api::main_routes()
    }

    fn port_routes(&self) -> Vec<RouteSpec> {
        api::port_routes()
    }

    fn accepts_tokens(&self, path: &str) -> bool {
        api::is_registry_path(path)
    }

    fn address(&self, ui: &UiContext<'_>, repo: &Repository) -> String {
        browse::registry(ui, repo)
    }

    fn commands(&self, ui: &UiContext<'_>, repo: &Repository) -> Vec<String> {
        browse::commands(ui, repo)
    }

    fn empty_hint(&self) -> &'static str {
        "Push an image to this repository."
    }

    async fn tree(
        &self,
        ui: &UiContext<'_>,
        repo: &Repository,
        sources: &[Repository],
        dir: &str,
        after: Option<&str>,
    ) -> Result<Option<TreeView>> {
        browse::tree(ui, repo, sources, dir, after).await.map(Some)
    }

    async fn component_extras(
        &self,
        ui: &UiContext<'_>,
        repo: &Repository,
        component: &ComponentWithAssets,
    ) -> Result<BrowseExtras> {
        browse::component(ui, repo, component).await
    }

    fn asset_extras(&self, ui: &UiContext<'_>, repo: &Repository, asset: &Asset) -> BrowseExtras {
        browse::asset(ui, repo, asset)
    }
}
