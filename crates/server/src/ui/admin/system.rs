//! `/ui/admin/system` and `/ui/admin/blobstores`: versions, uptime, the catalogue, and blob
//! stores with their sizes; purging a store's temporary uploads.

#[allow(unused_imports)]
use super::*;
use crate::auth::Caller;
use crate::state::State;
use crate::ui::browse::{RepoRow, repo_rows};
use crate::ui::{Chrome, UiError, human_bytes, render, see_other, with_notice};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use stowage_core::CoreError;

pub struct StoreRow {
    pub name: String,
    pub kind: String,
    pub blobs: i64,
    pub used: String,
    pub free: String,
    /// Temporary files (uploads in progress and leftovers of interrupted ones), e.g.
    /// "3 (757 MB)".
    pub temp: String,
}

#[derive(Template)]
#[template(path = "ui/system.html")]
pub(super) struct SystemPage {
    chrome: Chrome,
    version: &'static str,
    uptime: String,
    stores: Vec<StoreRow>,
    repos: Vec<RepoRow>,
    only_stores: bool,
}

pub(super) async fn store_rows(state: &State) -> Result<Vec<StoreRow>, CoreError> {
    let mut stores = Vec::new();
    for rec in state.services.catalogue.list_blob_stores().await? {
        let (blobs, bytes) = state.services.catalogue.blob_store_usage(&rec.name).await?;
        let (free, temp) = match state.services.blob_store(&rec.name).await {
            Ok(s) => (
                s.available_space()
                    .map_or("not reported (S3)".into(), |b| human_bytes(b as i64)),
                s.tmp_usage().await.map_or_else(
                    |_| "unknown".into(),
                    |t| format!("{} ({})", t.count, human_bytes(t.bytes as i64)),
                ),
            ),
            Err(_) => ("unavailable".into(), "unavailable".into()),
        };
        stores.push(StoreRow {
            name: rec.name,
            kind: rec.kind,
            blobs,
            used: human_bytes(bytes),
            free,
            temp,
        });
    }
    Ok(stores)
}

/// `GET /ui/admin/system`: version, uptime, blob stores with space used and free, repository
/// sizes.
pub(crate) async fn system(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    let secs = state.started.elapsed().as_secs();
    let repos = repo_rows(&req, &state, |_| true).await?;
    let page = SystemPage {
        chrome: Chrome::new(&req, &state, &caller, "System", "system").await,
        version: env!("CARGO_PKG_VERSION"),
        uptime: format!(
            "{}d {}h {}m",
            secs / 86400,
            secs / 3600 % 24,
            secs / 60 % 60
        ),
        stores: store_rows(&state).await?,
        repos,
        only_stores: false,
    };
    render(&page)
}

/// `GET /ui/admin/blobstores`.
pub(crate) async fn blob_stores(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    let page = SystemPage {
        chrome: Chrome::new(&req, &state, &caller, "Blob stores", "blobstores").await,
        version: env!("CARGO_PKG_VERSION"),
        uptime: String::new(),
        stores: store_rows(&state).await?,
        repos: Vec::new(),
        only_stores: true,
    };
    render(&page)
}

/// `POST /ui/admin/blobstores/{name}/purge-temp`: the REST purge, back to the list with what
/// it removed.
pub(crate) async fn purge_temp(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let done = crate::rest::blobstores::purge_temp_of(&state, &name).await?;
    crate::rest::audit(&req, &state, &caller, "blobstore.purge-temp", &name);
    let notice = format!(
        "Removed {} temporary files ({}) from {name}; kept {} that uploads may still need.",
        done.removed.count,
        human_bytes(done.removed.bytes as i64),
        done.kept.count
    );
    Ok(see_other(&with_notice("/ui/admin/blobstores", &notice)))
}
