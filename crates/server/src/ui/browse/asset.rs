//! `/ui/assets/{id}`: an asset's facts, download link and checksums; deleting it.

#[allow(unused_imports)]
use super::*;
use crate::auth::Caller;
use crate::rest::assets::require_on;
use crate::state::State;
use crate::ui::{Chrome, UiError, check_csrf, human_bytes, render, see_other, with_notice};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use stowage_core::format::ui::{UiContext, remote_of, uploaded_by};
use stowage_core::rfc3339;
use stowage_core::security::Action;

#[derive(Template)]
#[template(path = "ui/asset.html")]
pub(super) struct AssetPage {
    chrome: Chrome,
    crumbs: Vec<(String, String)>,
    path: String,
    download: String,
    size: String,
    sha256: String,
    content_type: String,
    created: String,
    last_modified: String,
    last_downloaded: String,
    uploader: String,
    blob_store: String,
    pull: Option<String>,
    may_delete: bool,
    id: String,
    /// For a proxy's cached asset: where it came from, and when it was last fetched or checked.
    origin: Option<String>,
}

/// `GET /ui/assets/{id}`.
pub(crate) async fn asset(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let catalogue = &state.services.catalogue;
    let a = catalogue.asset(&id).await?;
    let repo = catalogue.repository_by_id(&a.repository_id).await?;
    require_on(&caller, &repo, Action::Browse)?;
    let base = format!("/ui/browse/{}/", repo.name);
    let mut crumbs = vec![
        ("Browse".to_owned(), "/ui/".to_owned()),
        (repo.name.clone(), base.clone()),
    ];
    let ui = UiContext {
        req: &req,
        services: &state.services,
    };
    let extras = state
        .services
        .formats
        .format(&repo.format)
        .map(|f| f.asset_extras(&ui, &repo, &a))
        .unwrap_or_default();
    crumbs.extend(extras.crumbs);
    let page = AssetPage {
        chrome: Chrome::new(&req, &state, &caller, a.path.clone(), "browse").await,
        crumbs,
        download: format!("/repository/{}/{}", repo.name, encode(&a.path)),
        path: a.path.clone(),
        size: format!("{} ({} bytes)", human_bytes(a.blob.size), a.blob.size),
        sha256: a.blob.digest.hex().to_owned(),
        content_type: a.content_type.clone(),
        created: rfc3339(a.created_at),
        last_modified: rfc3339(a.last_modified),
        last_downloaded: a
            .last_downloaded
            .map(rfc3339)
            .unwrap_or_else(|| "never".into()),
        uploader: uploaded_by(&repo, &a),
        blob_store: a.blob.blob_store.clone(),
        pull: extras.command,
        may_delete: may(&caller, &repo, Action::Delete),
        id: a.id.clone(),
        origin: remote_of(&repo).map(|remote| {
            format!(
                "Cached from {remote}; last fetched or checked {}",
                rfc3339(a.last_modified)
            )
        }),
    };
    render(&page)
}

/// `POST /ui/assets/{id}/delete`.
pub(crate) async fn delete_asset(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, UiError> {
    check_csrf(&req, &form.csrf)?;
    let (repo, a) = crate::rest::assets::delete_asset(&req, &state, &caller, &id).await?;
    Ok(see_other(&with_notice(
        &format!("/ui/browse/{}/", repo.name),
        &format!("Deleted {}.", a.path),
    )))
}
