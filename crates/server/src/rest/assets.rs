//! `/v1/assets`: list a repository's assets page by page, read and delete one asset.

use super::{RestResult, base_url};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use stowage_core::CoreError;
use stowage_core::catalogue::PageToken;
use stowage_core::model::{Asset, Repository};
use stowage_core::rfc3339;
use stowage_core::security::{Action, Permission};

/// Items per page of the list endpoints.
pub const PAGE_SIZE: i64 = 100;

/// Query of the paged list endpoints.
#[derive(Deserialize)]
pub struct ListQuery {
    /// Repository name (required).
    pub repository: Option<String>,
    /// Token from the previous page.
    #[serde(rename = "continuationToken")]
    pub continuation_token: Option<String>,
}

impl ListQuery {
    /// The page to start after: none for the first page (no token, or an empty one); a token
    /// this server never handed out is a 400 naming `continuationToken`.
    pub fn page_token(&self) -> Result<Option<PageToken>, CoreError> {
        self.continuation_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(PageToken::parse)
            .transpose()
    }
}

/// The repository a list request names, checked for `action`.
pub async fn listed_repository(
    state: &State,
    caller: &Caller,
    query: &ListQuery,
    action: Action,
) -> Result<Repository, CoreError> {
    let name = query
        .repository
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| CoreError::invalid("repository", "is required"))?;
    let repo = state.services.catalogue.repository(name).await?;
    require_on(caller, &repo, action)?;
    Ok(repo)
}

/// Checks `action` on `repo` for the caller.
pub fn require_on(caller: &Caller, repo: &Repository, action: Action) -> Result<(), CoreError> {
    caller
        .require(Permission::RepositoryView {
            format: &repo.format,
            repository: &repo.name,
            action,
        })
        .map(|_| ())
}

/// Nexus's `AssetXO` for `asset` in `repo`.
pub fn asset_xo(req: &HttpRequest, repo: &Repository, asset: &Asset) -> Value {
    json!({
        "id": asset.id,
        "path": asset.path,
        "downloadUrl": format!(
            "{}/repository/{}/{}",
            base_url(req),
            repo.name,
            crate::content::encode_path(&asset.path)
        ),
        "repository": repo.name,
        "format": repo.format,
        "checksum": { "sha256": asset.blob.digest.hex() },
        "contentType": asset.content_type,
        "lastModified": rfc3339(asset.last_modified),
        "lastDownloaded": asset.last_downloaded.map(rfc3339),
        "uploader": asset.uploader,
        "uploaderIp": asset.uploader_ip,
        "fileSize": asset.blob.size,
        "blobCreated": rfc3339(asset.created_at),
        "blobStoreName": asset.blob.blob_store,
    })
}

pub(crate) async fn list(
    req: HttpRequest,
    state: State,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> RestResult<HttpResponse> {
    let repo = listed_repository(&state, &caller, &query, Action::Browse).await?;
    let page = state
        .services
        .catalogue
        .list_assets(&repo.id, query.page_token()?.as_ref(), PAGE_SIZE)
        .await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|a| asset_xo(&req, &repo, a))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "items": items,
        "continuationToken": page.continuation_token,
    })))
}

pub(crate) async fn get_one(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
) -> RestResult<HttpResponse> {
    let catalogue = &state.services.catalogue;
    let asset = catalogue.asset(&id).await?;
    let repo = catalogue.repository_by_id(&asset.repository_id).await?;
    require_on(&caller, &repo, Action::Read)?;
    Ok(HttpResponse::Ok().json(asset_xo(&req, &repo, &asset)))
}

pub(crate) async fn delete(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
) -> RestResult<HttpResponse> {
    delete_asset(&req, &state, &caller, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes asset `id` if the caller may (checked, then audited); returns its repository and
/// what it was. The REST API and the admin UI both delete through this.
pub(crate) async fn delete_asset(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    id: &str,
) -> Result<(Repository, Asset), CoreError> {
    let catalogue = &state.services.catalogue;
    let asset = catalogue.asset(id).await?;
    let repo = catalogue.repository_by_id(&asset.repository_id).await?;
    require_on(caller, &repo, Action::Delete)?;
    catalogue.delete_asset(id).await?;
    super::audit(
        req,
        state,
        caller,
        "asset.delete",
        &format!("{}/{}", repo.name, asset.path),
    );
    Ok((repo, asset))
}
