//! Browse: the repositories a caller may see (their trees are in [`super::tree`], search in
//! [`super::search`]), one module per page: a component with what its format adds, an asset with
//! the download link and checksums, and the Upload form.

use crate::auth::Caller;
use crate::state::State;
use crate::ui::{Chrome, UiError, human_bytes, render};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use stowage_core::CoreError;
use stowage_core::format::ui::UiContext;
use stowage_core::model::Repository;
use stowage_core::security::{Action, Permission};
mod asset;
mod component;
mod upload;
#[allow(unused_imports)]
pub(crate) use asset::*;
#[allow(unused_imports)]
pub(crate) use component::*;
#[allow(unused_imports)]
pub(crate) use upload::*;

/// Whether `caller` may `action` in `repo`.
pub(super) fn may(caller: &Caller, repo: &Repository, action: Action) -> bool {
    caller.0.as_ref().is_some_and(|p| {
        p.permits(&Permission::RepositoryView {
            format: &repo.format,
            repository: &repo.name,
            action,
        })
    })
}

/// The address to use for a repository, as shown in lists: what its format says.
pub fn repository_url(req: &HttpRequest, state: &State, repo: &Repository) -> String {
    let ui = UiContext {
        req,
        services: &state.services,
    };
    match state.services.formats.format(&repo.format) {
        Some(f) => f.address(&ui, repo),
        None => format!("{}/repository/{}/", ui.base_url(), repo.name),
    }
}

/// One row of a repository list.
pub struct RepoRow {
    pub name: String,
    pub format: String,
    pub kind: String,
    pub url: String,
    /// `online`, `offline`, or what is wrong upstream (`online - auto-blocked`).
    pub status: &'static str,
    pub size: String,
    pub blob_store: String,
}

/// The rows of the repositories `keep` accepts, by name.
pub async fn repo_rows(
    req: &HttpRequest,
    state: &State,
    keep: impl Fn(&Repository) -> bool,
) -> Result<Vec<RepoRow>, CoreError> {
    let mut rows = Vec::new();
    for r in state.services.catalogue.list_repositories().await? {
        if keep(&r) {
            rows.push(repo_row(req, state, &r).await?);
        }
    }
    Ok(rows)
}

pub async fn repo_row(
    req: &HttpRequest,
    state: &State,
    r: &Repository,
) -> Result<RepoRow, CoreError> {
    Ok(RepoRow {
        name: r.name.clone(),
        format: r.format.clone(),
        kind: r.kind.as_str().to_owned(),
        url: repository_url(req, state, r),
        status: state
            .services
            .formats
            .get(&r.format, r.kind)
            .map_or(if r.online { "online" } else { "offline" }, |rc| {
                rc.status_label(r)
            }),
        size: human_bytes(state.services.catalogue.repository_size(&r.id).await?),
        blob_store: r.blob_store.clone(),
    })
}

#[derive(Template)]
#[template(path = "ui/home.html")]
struct HomePage {
    chrome: Chrome,
    repos: Vec<RepoRow>,
}

/// `GET /ui/`: the repositories the caller may browse.
pub(crate) async fn home(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    let repos = repo_rows(&req, &state, |r| may(&caller, r, Action::Browse)).await?;
    let page = HomePage {
        chrome: Chrome::new(&req, &state, &caller, "Browse", "browse").await,
        repos,
    };
    render(&page)
}

/// `p` percent-encoded for a URL path.
pub(crate) fn encode(p: &str) -> String {
    crate::content::encode_path(p)
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}
