//! The raw format: repositories of plain files at arbitrary paths, as Nexus's raw format.
//!
//! `PUT /repository/<repo>/<path>` stores a file, `GET`/`HEAD` serve it (with `Range`, `ETag`,
//! `Last-Modified`), `DELETE` removes it. Each file is a component (group = its directory,
//! name = its path) with one asset. Every kind answers [`content::RawContent`], through which a
//! group reads its members.

pub mod attributes;
pub mod content;
mod form;
mod group;
mod hosted;
mod path;
mod proxy;

pub use group::RawGroupRecipe;
pub use hosted::RawHostedRecipe;
pub use path::RawPath;
pub use proxy::RawProxyRecipe;

use std::sync::Arc;
use stowage_core::format::Recipe;

/// The recipes this crate provides, for the server's registry.
pub fn recipes() -> Vec<Arc<dyn Recipe>> {
    vec![
        Arc::new(RawHostedRecipe),
        Arc::new(RawProxyRecipe::default()),
        Arc::new(RawGroupRecipe),
    ]
}

/// The raw format, for the server's registration list.
pub fn format() -> Arc<dyn stowage_core::format::Format> {
    Arc::new(RawFormat)
}

/// The raw format: content under `/repository/<name>/…` only, trees of folders.
pub struct RawFormat;

impl stowage_core::format::Format for RawFormat {
    fn name(&self) -> &'static str {
        "raw"
    }

    fn recipes(&self) -> Vec<Arc<dyn Recipe>> {
        recipes()
    }

    fn commands(
        &self,
        ui: &stowage_core::format::ui::UiContext<'_>,
        repo: &stowage_core::model::Repository,
    ) -> Vec<String> {
        vec![format!(
            "curl -u USER --upload-file ./file.txt {}/repository/{}/path/file.txt",
            ui.base_url(),
            repo.name
        )]
    }
}
