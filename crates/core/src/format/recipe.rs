//! [`Recipe`]: one format and kind of repository (Nexus's "recipe", e.g. `raw-hosted`).

use super::ui::FieldSpec;
use super::{ContentContext, RepositorySpec, Services};
use crate::model::{RepoKind, Repository};
use crate::{CoreError, Result};
use actix_web::{HttpRequest, HttpResponse, web};

/// A format and kind of repository (Nexus's "recipe", e.g. `raw-hosted`).
#[async_trait::async_trait(?Send)]
pub trait Recipe: Send + Sync + 'static {
    /// Format name, e.g. `raw`.
    fn format(&self) -> &'static str;

    /// Hosted, proxy or group.
    fn kind(&self) -> RepoKind;

    /// How the UI names it, e.g. `docker (hosted)`.
    fn label(&self) -> String {
        format!("{} ({})", self.format(), self.kind().as_str())
    }

    /// The admin form's fields after the common ones (name, online, storage), each named by its
    /// path in the REST request body.
    fn form(&self) -> &'static [FieldSpec] {
        &[]
    }

    /// The REST-shaped attributes a new repository's form starts with, beyond the common ones.
    fn defaults(&self) -> serde_json::Value {
        serde_json::json!({})
    }

    /// Validates a Nexus `…RepositoryApiRequest` body, naming the bad field on error.
    fn parse_request(&self, body: &serde_json::Value) -> Result<RepositorySpec>;

    /// The HTTP port a repository with these attributes wants its own listener on (docker's
    /// `httpPort`); the server opens and closes it. Most formats have none.
    fn connector_port(&self, _attributes: &serde_json::Value) -> Option<u16> {
        None
    }

    /// The request field that sets [`Recipe::connector_port`], named in its errors (a port
    /// taken or not bindable).
    fn connector_field(&self) -> &'static str {
        "httpPort"
    }

    /// Serves a request to a repository's content. The server has already checked the
    /// privilege for the request method ([`super::action_for_method`]); finer checks are the format's.
    async fn handle(
        &self,
        ctx: ContentContext,
        req: HttpRequest,
        body: web::Payload,
    ) -> Result<HttpResponse>;

    /// The recipe as its concrete type, for a group of its format to reach the recipe's typed
    /// content operations (a docker group downcasts its members' recipes to the types that
    /// implement `DockerContent`). `None`: the recipe serves content only through
    /// [`Recipe::handle`].
    fn content(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// A repository's attributes as the API shows them: secrets (upstream passwords) replaced
    /// by a placeholder.
    fn public_attributes(&self, attributes: &serde_json::Value) -> serde_json::Value {
        attributes.clone()
    }

    /// Checks a parsed request against what is stored (a group's members exist and form no
    /// cycle) before the repository `name` is created or updated.
    async fn check(&self, services: &Services, name: &str, spec: &RepositorySpec) -> Result<()> {
        let _ = (services, name, spec);
        Ok(())
    }

    /// A repository's runtime state for the API and the UI (a proxy's upstream: ready or
    /// blocked); `None` when the format has none.
    fn status(&self, repository: &Repository) -> Option<serde_json::Value> {
        let _ = repository;
        None
    }

    /// How the repository lists show a repository's state: `offline`, or `online` with what
    /// [`Recipe::status`] says of its upstream (`online - auto-blocked`, `online - blocked`),
    /// as Nexus shows "Online - Remote Auto Blocked".
    fn status_label(&self, repository: &Repository) -> &'static str {
        if !repository.online {
            return "offline";
        }
        let status = self.status(repository);
        match status.as_ref().and_then(|s| s["status"].as_str()) {
            Some("AUTO_BLOCKED") => "online - auto-blocked",
            Some("BLOCKED") => "online - blocked",
            _ => "online",
        }
    }

    /// Whether [`Recipe::upload`] stores files (the admin UI's Upload page lists only such
    /// repositories).
    fn supports_upload(&self) -> bool {
        false
    }

    /// Stores `body` at `path` for the UI's Upload form, as a `PUT` of the content would. The
    /// server has already checked the `add` privilege.
    async fn upload(
        &self,
        ctx: &ContentContext,
        path: &str,
        body: futures_util::stream::LocalBoxStream<'_, std::io::Result<bytes::Bytes>>,
    ) -> Result<()> {
        let _ = (ctx, path, body);
        Err(CoreError::invalid(
            "repository",
            format!("{} repositories do not take uploads", self.format()),
        ))
    }
}
