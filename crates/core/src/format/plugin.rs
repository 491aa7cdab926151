//! [`Format`]: everything one format brings (recipes, routes, UI), and [`Formats`], the
//! registry the server builds from its one registration list.

use super::recipe::Recipe;
use super::ui::{BrowseExtras, TreeView, UiContext};
use crate::catalogue::ComponentWithAssets;
use crate::model::{Asset, RepoKind, Repository};
use crate::web::RouteSpec;
use crate::{CoreError, Result};
use std::sync::Arc;

/// The ports repositories listen on of their own (the server's per-repository listeners).
pub trait Ports: Send + Sync {
    /// The port repository `name` listens on, if any.
    fn port_of(&self, name: &str) -> Option<u16>;
}

/// One format: its recipes, the HTTP routes it adds to the listeners, and what the admin UI
/// shows of its repositories. Only [`Format::name`] and [`Format::recipes`] are required; a
/// format whose content lives under `/repository/<name>/…` and whose tree is folders of paths
/// (as raw's) needs nothing else.
#[async_trait::async_trait(?Send)]
pub trait Format: Send + Sync + 'static {
    /// The format's name as Nexus spells it (`docker`, `raw`), in URLs and privileges.
    fn name(&self) -> &'static str;

    /// One recipe per repository kind the format supports.
    fn recipes(&self) -> Vec<Arc<dyn Recipe>>;

    /// Routes the format adds to the main listener, ahead of the server's own (docker: `/v2`).
    /// Content under `/repository/<name>/…` needs none: the server dispatches it.
    fn main_routes(&self) -> Vec<RouteSpec> {
        Vec::new()
    }

    /// The routes of a repository's own port ([`Recipe::connector_port`]).
    fn port_routes(&self) -> Vec<RouteSpec> {
        Vec::new()
    }

    /// Whether a Bearer token issued by [`crate::security::tokens::TokenSigner`] is a
    /// credential on `path` (docker: the registry API under `/v2`). Nowhere by default.
    fn accepts_tokens(&self, path: &str) -> bool {
        let _ = path;
        false
    }

    /// The address the repository lists show for `repo` (and clients use).
    fn address(&self, ui: &UiContext<'_>, repo: &Repository) -> String {
        format!("{}/repository/{}/", ui.base_url(), repo.name)
    }

    /// Commands the repository's page offers to copy ("Use it").
    fn commands(&self, ui: &UiContext<'_>, repo: &Repository) -> Vec<String> {
        let _ = (ui, repo);
        Vec::new()
    }

    /// What an empty tree says to do, when the repository does not take the UI's uploads.
    fn empty_hint(&self) -> &'static str {
        "Nothing is stored here yet."
    }

    /// The tree page at `dir`, when the format lists something other than folders of paths
    /// (docker: images, then an image's tags, paged after `after`). `None`: folders.
    async fn tree(
        &self,
        ui: &UiContext<'_>,
        repo: &Repository,
        sources: &[Repository],
        dir: &str,
        after: Option<&str>,
    ) -> Result<Option<TreeView>> {
        let _ = (ui, repo, sources, dir, after);
        Ok(None)
    }

    /// What a component's page shows beyond its assets (docker: the manifest and its layers).
    async fn component_extras(
        &self,
        ui: &UiContext<'_>,
        repo: &Repository,
        component: &ComponentWithAssets,
    ) -> Result<BrowseExtras> {
        let _ = (ui, repo, component);
        Ok(BrowseExtras::default())
    }

    /// What an asset's page shows beyond its facts. By default a crumb to its folder.
    fn asset_extras(&self, ui: &UiContext<'_>, repo: &Repository, asset: &Asset) -> BrowseExtras {
        let _ = ui;
        let mut extras = BrowseExtras::default();
        if let Some((dir, _)) = asset.path.rsplit_once('/') {
            extras.crumbs.push((
                format!("{dir}/"),
                format!("/ui/browse/{}/{}/", repo.name, crate::web::encode_path(dir)),
            ));
        }
        extras
    }
}

/// The registered formats, and their recipes by `(format, kind)`.
pub struct Formats {
    formats: Vec<Arc<dyn Format>>,
    recipes: Vec<Arc<dyn Recipe>>,
}

impl Formats {
    /// A registry of `formats`, in the order given (the order of the UI's recipe picker).
    pub fn new(formats: Vec<Arc<dyn Format>>) -> Self {
        let recipes = formats.iter().flat_map(|f| f.recipes()).collect();
        Self { formats, recipes }
    }

    /// Every registered format.
    pub fn all(&self) -> &[Arc<dyn Format>] {
        &self.formats
    }

    /// The format called `name`.
    pub fn format(&self, name: &str) -> Option<&Arc<dyn Format>> {
        self.formats.iter().find(|f| f.name() == name)
    }

    /// Every recipe, format by format.
    pub fn recipes(&self) -> &[Arc<dyn Recipe>] {
        &self.recipes
    }

    /// The recipe for `format` and `kind`, if this build has one.
    pub fn get(&self, format: &str, kind: RepoKind) -> Option<&Arc<dyn Recipe>> {
        self.recipes
            .iter()
            .find(|r| r.format() == format && r.kind() == kind)
    }

    /// The recipe called `id` (`<format>-<kind>`, e.g. `raw-hosted`).
    pub fn by_id(&self, id: &str) -> Option<&Arc<dyn Recipe>> {
        let (format, kind) = id.rsplit_once('-')?;
        self.get(format, RepoKind::parse(kind)?)
    }

    /// The recipe serving `repo`, or an internal error naming what this build lacks.
    pub fn recipe_of(&self, repo: &Repository) -> Result<&Arc<dyn Recipe>> {
        self.get(&repo.format, repo.kind).ok_or_else(|| {
            CoreError::Internal(format!(
                "no recipe for {}-{} in this build",
                repo.format,
                repo.kind.as_str()
            ))
        })
    }

    /// The format names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut f: Vec<String> = self.formats.iter().map(|f| f.name().to_owned()).collect();
        f.sort();
        f.dedup();
        f
    }

    /// Whether some format accepts registry tokens on `path`.
    pub fn accepts_tokens(&self, path: &str) -> bool {
        self.formats.iter().any(|f| f.accepts_tokens(path))
    }
}
