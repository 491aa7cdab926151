//! The format plug-in interface. A format crate (raw, docker …) registers one [`Format`]: its
//! [`Recipe`]s (one per repository kind), the HTTP routes it adds (docker's `/v2` API), its
//! admin-form fields and its browse views ([`ui`]). The server iterates over the registered
//! formats and knows none of them; every content request goes through [`dispatch`].

mod dispatch;
mod plugin;
mod recipe;
pub mod ui;

pub use dispatch::{Dispatch, dispatch, offline};
pub use plugin::{Format, Formats, Ports};
pub use recipe::Recipe;

use crate::catalogue::Catalogue;
use crate::config::Config;
use crate::model::Repository;
use crate::names::RepositoryName;
use crate::security::tokens::TokenSigner;
use crate::security::{Action, Permission, Principal, Security};
use crate::storage::{BlobStore, BlobStores, StoreSettings};
use crate::{CoreError, Result};
use std::sync::Arc;

/// The shared services every format works with.
pub struct Services {
    /// Metadata.
    pub catalogue: Catalogue,
    /// Bytes.
    pub blob_stores: BlobStores,
    /// Settings.
    pub config: Config,
    /// Who callers are and what they may do.
    pub security: Arc<Security>,
    /// Signs and checks the Bearer tokens registry clients use (docker's token flow).
    pub tokens: TokenSigner,
    /// The registered formats and their recipes.
    pub formats: Arc<Formats>,
    /// The ports repositories listen on of their own.
    pub ports: Arc<dyn Ports>,
}

impl Services {
    /// A node-local folder formats may use for work files (`<data dir>/work/<purpose>`). The
    /// server empties `<data dir>/work` at start-up: nothing in it outlives a process.
    pub fn work_dir(&self, purpose: &str) -> std::path::PathBuf {
        self.config.data_dir.join("work").join(purpose)
    }

    /// The blob store called `name`. A store another node created since this one started is
    /// opened from its catalogue record on first use, so every node of a cluster sees it.
    pub async fn blob_store(&self, name: &str) -> Result<Arc<BlobStore>> {
        if let Ok(store) = self.blob_stores.get(name) {
            return Ok(store);
        }
        let record = self
            .catalogue
            .list_blob_stores()
            .await?
            .into_iter()
            .find(|r| r.name == name)
            .ok_or_else(|| CoreError::NotFound(format!("blob store '{name}'")))?;
        let settings =
            StoreSettings::parse(&record.kind, &record.attributes, &self.config.data_dir)?;
        self.blob_stores.insert(BlobStore::open(name, settings)?);
        self.blob_stores.get(name)
    }
}

/// A repository's settings as parsed from a Nexus `…RepositoryApiRequest`.
#[derive(Debug, Clone)]
pub struct RepositorySpec {
    /// Validated name.
    pub name: RepositoryName,
    /// Accepts requests.
    pub online: bool,
    /// Blob store name.
    pub blob_store: String,
    /// Everything else, stored as Nexus's attributes and returned by GET as given.
    pub attributes: serde_json::Value,
}

/// What the API shows instead of a stored secret (Nexus's placeholder); sent back unchanged in
/// an update, it keeps the stored secret.
pub const SECRET_PLACEHOLDER: &str = "#~NXRM~PLACEHOLDER~PASSWORD~#";

/// One request to a repository's content, as the server hands it to a format.
#[derive(Clone)]
pub struct ContentContext {
    /// The repository addressed.
    pub repository: Repository,
    /// The path inside it as sent (still percent-encoded), without the leading `/`; the format
    /// parses it into its own path type.
    pub path: String,
    /// The URL path the repository's content is mounted at, e.g. `/repository/<name>` or, for a
    /// docker repository, `/v2/<name>` (path routing) or `/v2` (its own port). Formats build
    /// `Location` headers from it.
    pub mount: String,
    /// The authenticated caller, if any.
    pub principal: Option<Principal>,
    /// The caller's address.
    pub client_ip: Option<String>,
    /// Shared services.
    pub services: Arc<Services>,
}

impl ContentContext {
    /// Fails with Unauthenticated (no caller) or Forbidden unless the caller may `action`.
    pub fn require(&self, action: Action) -> Result<()> {
        let permission = Permission::RepositoryView {
            format: &self.repository.format,
            repository: &self.repository.name,
            action,
        };
        match &self.principal {
            Some(p) => p.require(permission),
            None => Err(CoreError::Unauthenticated),
        }
    }
}

/// The repository-view action a content request's method needs.
pub fn action_for_method(method: &actix_web::http::Method) -> Action {
    use actix_web::http::Method;
    match *method {
        Method::GET | Method::HEAD | Method::OPTIONS => Action::Read,
        Method::DELETE => Action::Delete,
        _ => Action::Add,
    }
}

/// Reads the common `name`, `online` and `storage.blobStoreName` fields of a repository request.
pub fn parse_common(body: &serde_json::Value) -> Result<(RepositoryName, bool, String)> {
    let name = body
        .get("name")
        .and_then(|v| v.as_str())
        .ok_or_else(|| CoreError::invalid("name", "is required"))?;
    let name = RepositoryName::parse(name)?;
    let online = match body.get("online") {
        None => true,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| CoreError::invalid("online", "must be true or false"))?,
    };
    let blob_store = body
        .pointer("/storage/blobStoreName")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CoreError::invalid("storage.blobStoreName", "is required"))?
        .to_owned();
    Ok((name, online, blob_store))
}
