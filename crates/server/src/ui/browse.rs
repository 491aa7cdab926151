//! Browse and upload: the repositories a caller may see (their trees are in [`super::tree`],
//! search in [`super::search`]), component pages with what their format adds, asset pages with
//! the download link and checksums, and the Upload form.

use super::{Chrome, UiError, check_csrf, human_bytes, render, see_other, with_notice};
use crate::auth::{Caller, client_ip};
use crate::rest::assets::require_on;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::BTreeMap;
use stowage_core::CoreError;
use stowage_core::format::ContentContext;
use stowage_core::format::ui::{BrowseExtras, UiContext, remote_of, uploaded_by};
use stowage_core::model::Repository;
use stowage_core::rfc3339;
use stowage_core::security::{Action, Permission};

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

#[derive(Template)]
#[template(path = "ui/component.html")]
struct ComponentPage {
    chrome: Chrome,
    repo: String,
    crumbs: Vec<(String, String)>,
    name: String,
    version: String,
    created: String,
    assets: Vec<AssetRow>,
    /// What the format adds: facts, a section of its own, the command to copy.
    extras: BrowseExtras,
    may_delete: bool,
    id: String,
}

pub struct AssetRow {
    pub path: String,
    pub href: String,
    pub size: String,
    pub content_type: String,
}

/// `GET /ui/components/{id}`: a component, its assets, and what its format shows of it.
pub(crate) async fn component(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let catalogue = &state.services.catalogue;
    let c = catalogue.component(&id).await?;
    let repo = catalogue
        .repository_by_id(&c.component.repository_id)
        .await?;
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
    let extras = match state.services.formats.format(&repo.format) {
        Some(f) => f.component_extras(&ui, &repo, &c).await?,
        None => BrowseExtras::default(),
    };
    crumbs.extend(extras.crumbs.iter().cloned());
    let assets = c
        .assets
        .iter()
        .map(|a| AssetRow {
            path: a.path.clone(),
            href: format!("/ui/assets/{}", a.id),
            size: human_bytes(a.blob.size),
            content_type: a.content_type.clone(),
        })
        .collect();
    let page = ComponentPage {
        chrome: Chrome::new(
            &req,
            &state,
            &caller,
            format!("{}:{}", c.component.name, c.component.version),
            "browse",
        )
        .await,
        repo: repo.name.clone(),
        crumbs,
        name: c.component.name.clone(),
        version: c.component.version.clone(),
        created: rfc3339(c.component.created_at),
        assets,
        extras,
        may_delete: may(&caller, &repo, Action::Delete),
        id: c.component.id.clone(),
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "ui/asset.html")]
struct AssetPage {
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
        sha256: a.blob.sha256.clone(),
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

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
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

/// `POST /ui/components/{id}/delete`.
pub(crate) async fn delete_component(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, UiError> {
    check_csrf(&req, &form.csrf)?;
    let (repo, c) = crate::rest::components::delete_component(&req, &state, &caller, &id).await?;
    Ok(see_other(&with_notice(
        &format!("/ui/browse/{}/", repo.name),
        &format!("Deleted {}:{}.", c.component.name, c.component.version),
    )))
}

#[derive(Template)]
#[template(path = "ui/upload.html")]
struct UploadPage {
    chrome: Chrome,
    repositories: Vec<String>,
    selected: String,
    error: Option<String>,
}

/// Repositories that take uploads and that the caller may add to.
fn upload_targets(state: &State, caller: &Caller, repos: &[Repository]) -> Vec<String> {
    repos
        .iter()
        .filter(|r| {
            state
                .services
                .formats
                .get(&r.format, r.kind)
                .is_some_and(|rc| rc.supports_upload())
                && may(caller, r, Action::Add)
        })
        .map(|r| r.name.clone())
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct UploadQuery {
    #[serde(default)]
    repository: String,
}

/// `GET /ui/upload`.
pub(crate) async fn upload_form(
    req: HttpRequest,
    state: State,
    caller: Caller,
    query: web::Query<UploadQuery>,
) -> Result<HttpResponse, UiError> {
    let repos = state.services.catalogue.list_repositories().await?;
    let page = UploadPage {
        chrome: Chrome::new(&req, &state, &caller, "Upload", "upload").await,
        repositories: upload_targets(&state, &caller, &repos),
        selected: query.repository.clone(),
        error: None,
    };
    render(&page)
}

/// `POST /ui/upload` (multipart): fields `csrf`, `repository`, `directory`, then one or more
/// `file` parts, each streamed into the repository as it arrives.
pub(crate) async fn upload(
    req: HttpRequest,
    state: State,
    caller: Caller,
    mut form: actix_multipart::Multipart,
) -> Result<HttpResponse, UiError> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut stored = Vec::new();
    let mut target: Option<(Repository, std::sync::Arc<dyn stowage_core::format::Recipe>)> = None;
    while let Some(field) = form.next().await {
        let mut field = field
            .map_err(|e| CoreError::invalid("file", format!("the form could not be read: {e}")))?;
        let name = field.name().unwrap_or("").to_owned();
        if name != "file" {
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| CoreError::invalid(&name, e.to_string()))?;
                if value.len() + chunk.len() > 64 * 1024 {
                    return Err(CoreError::invalid(&name, "is too long").into());
                }
                value.extend_from_slice(&chunk);
            }
            fields.insert(name, String::from_utf8_lossy(&value).into_owned());
            continue;
        }
        // The text fields come first in the form, so they are known by the first file.
        if target.is_none() {
            check_csrf(&req, fields.get("csrf").map_or("", String::as_str))?;
            let repo_name = fields.get("repository").cloned().unwrap_or_default();
            let repo = state
                .services
                .catalogue
                .find_repository(&repo_name)
                .await?
                .ok_or_else(|| CoreError::invalid("repository", "choose a repository"))?;
            require_on(&caller, &repo, Action::Add)?;
            let recipe = state
                .services
                .formats
                .get(&repo.format, repo.kind)
                .cloned()
                .filter(|r| r.supports_upload())
                .ok_or_else(|| {
                    CoreError::invalid("repository", "this repository does not take uploads")
                })?;
            target = Some((repo, recipe));
        }
        let Some((repo, recipe)) = &target else {
            continue;
        };
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f).to_owned())
            .filter(|f| !f.is_empty());
        let Some(file_name) = file_name else {
            // An empty file input: nothing chosen.
            while field.next().await.is_some() {}
            continue;
        };
        let dir = fields
            .get("directory")
            .map(|d| d.trim().trim_matches('/').to_owned())
            .unwrap_or_default();
        let path = if dir.is_empty() {
            file_name
        } else {
            format!("{dir}/{file_name}")
        };
        let ctx = ContentContext {
            repository: repo.clone(),
            path: path.clone(),
            mount: format!("/repository/{}", repo.name),
            principal: caller.0.clone(),
            client_ip: Some(client_ip(&req)),
            services: state.services.clone(),
        };
        let body = field
            .map(|c| c.map_err(|e| std::io::Error::other(e.to_string())))
            .boxed_local();
        recipe.upload(&ctx, &path, body).await?;
        crate::rest::audit(
            &req,
            &state,
            &caller,
            "asset.upload",
            &format!("{}/{path}", repo.name),
        );
        stored.push(path);
    }
    let Some((repo, _)) = target else {
        let repos = state.services.catalogue.list_repositories().await?;
        let page = UploadPage {
            chrome: Chrome::new(&req, &state, &caller, "Upload", "upload").await,
            repositories: upload_targets(&state, &caller, &repos),
            selected: fields.get("repository").cloned().unwrap_or_default(),
            error: Some("Choose at least one file to upload.".into()),
        };
        return render(&page);
    };
    let dir = stored
        .first()
        .and_then(|p| p.rsplit_once('/'))
        .map(|(d, _)| format!("{}/", encode(d)))
        .unwrap_or_default();
    Ok(see_other(&with_notice(
        &format!("/ui/browse/{}/{dir}", repo.name),
        &format!("Uploaded {}.", stored.join(", ")),
    )))
}
