//! Browse and upload: the repositories a caller may see (their trees are in [`super::tree`],
//! search in [`super::search`]), a docker tag's manifest with its layers, asset pages with the
//! download link and checksums, and the Upload form.

use super::{Chrome, UiError, check_csrf, human_bytes, render, see_other, with_notice};
use crate::auth::{Caller, client_ip};
use crate::rest::assets::require_on;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use stowage_core::CoreError;
use stowage_core::format::ContentContext;
use stowage_core::model::{Asset, RepoKind, Repository};
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

/// Host (and port) clients reach this server at, from the configured base URL or the request.
fn host(req: &HttpRequest) -> String {
    let base = crate::rest::base_url(req);
    base.split_once("://")
        .map(|(_, h)| h.to_owned())
        .unwrap_or(base)
}

/// What `docker login/tag/push/pull` use for `repo`: `host:port` on its own port, else the
/// path-routing form `host/<repo>`.
pub fn docker_registry(req: &HttpRequest, state: &State, repo: &Repository) -> String {
    let h = host(req);
    match state.connectors.port_of(&repo.name) {
        Some(port) => {
            let hostname = h.rsplit_once(':').map_or(h.as_str(), |(n, _)| n);
            format!("{hostname}:{port}")
        }
        None => format!("{h}/{}", repo.name),
    }
}

/// The address to use for a repository, as shown in lists.
pub fn repository_url(req: &HttpRequest, state: &State, repo: &Repository) -> String {
    if repo.format == "docker" {
        docker_registry(req, state, repo)
    } else {
        format!("{}/repository/{}/", crate::rest::base_url(req), repo.name)
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
            .recipes
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

/// A blob a manifest lists.
pub struct LayerRow {
    pub kind: String,
    pub media_type: String,
    pub digest: String,
    pub size: String,
    pub href: Option<String>,
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
    manifest: Option<ManifestView>,
    pull: Option<String>,
    may_delete: bool,
    id: String,
}

/// A docker manifest, as the tag page shows it.
pub struct ManifestView {
    pub media_type: String,
    pub digest: String,
    pub size: String,
    pub total: String,
    pub layers: Vec<LayerRow>,
    pub last_downloaded: String,
    pub uploader: String,
}

pub struct AssetRow {
    pub path: String,
    pub href: String,
    pub size: String,
    pub content_type: String,
}

/// `GET /ui/components/{id}`: a docker tag (manifest, layers, pull command) or a raw file's
/// component.
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
    let by_path: BTreeMap<&str, &Asset> = c.assets.iter().map(|a| (a.path.as_str(), a)).collect();
    let mut manifest = None;
    let mut pull = None;
    if repo.format == "docker" {
        crumbs.push((
            c.component.name.clone(),
            format!("{base}{}/", encode(&c.component.name)),
        ));
        pull = Some(format!(
            "docker pull {}/{}:{}",
            docker_registry(&req, &state, &repo),
            c.component.name,
            c.component.version
        ));
        let manifest_prefix = format!("v2/{}/manifests/", c.component.name);
        if let Some(m) = c
            .assets
            .iter()
            .find(|a| a.path.starts_with(&manifest_prefix))
        {
            manifest = Some(manifest_view(&state, &repo, m, &by_path).await?);
        }
    }
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
        manifest,
        pull,
        may_delete: may(&caller, &repo, Action::Delete),
        id: c.component.id.clone(),
    };
    render(&page)
}

/// Reads a manifest asset and lists what it references.
async fn manifest_view(
    state: &State,
    repo: &Repository,
    m: &Asset,
    by_path: &BTreeMap<&str, &Asset>,
) -> Result<ManifestView, CoreError> {
    let store = state.services.blob_store(&m.blob.blob_store).await?;
    let mut read = store.read(&m.blob.sha256, None).await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = read.stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(CoreError::Io)?);
    }
    let doc: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut layers = Vec::new();
    let mut total = m.blob.size;
    let mut row = |kind: &str, d: &Value| {
        let digest = d["digest"].as_str().unwrap_or("").to_owned();
        let size = d["size"].as_i64().unwrap_or(0);
        total += size;
        let platform = &d["platform"];
        let kind = if platform.is_object() {
            format!(
                "{} {}/{}{}",
                kind,
                platform["os"].as_str().unwrap_or("?"),
                platform["architecture"].as_str().unwrap_or("?"),
                platform["variant"]
                    .as_str()
                    .map(|v| format!("/{v}"))
                    .unwrap_or_default()
            )
        } else {
            kind.to_owned()
        };
        let href = by_path
            .get(format!("v2/-/blobs/{digest}").as_str())
            .map(|a| format!("/ui/assets/{}", a.id));
        layers.push(LayerRow {
            kind,
            media_type: d["mediaType"].as_str().unwrap_or("").to_owned(),
            digest,
            size: human_bytes(size),
            href,
        });
    };
    if doc["config"].is_object() {
        row("config", &doc["config"]);
    }
    for l in doc["layers"].as_array().into_iter().flatten() {
        row("layer", l);
    }
    for l in doc["manifests"].as_array().into_iter().flatten() {
        row("manifest", l);
    }
    Ok(ManifestView {
        media_type: m.content_type.clone(),
        digest: format!("sha256:{}", m.blob.sha256),
        size: human_bytes(m.blob.size),
        total: human_bytes(total),
        layers,
        last_downloaded: m
            .last_downloaded
            .map(rfc3339)
            .unwrap_or_else(|| "never".into()),
        uploader: uploaded_by(repo, m),
    })
}

/// The remote a proxy repository caches from (Nexus's `proxy.remoteUrl`, whatever the format).
fn remote_of(repo: &Repository) -> Option<&str> {
    if repo.kind != RepoKind::Proxy {
        return None;
    }
    repo.attributes
        .pointer("/proxy/remoteUrl")
        .and_then(Value::as_str)
}

/// Who put an asset there: the user (and address) that wrote it, or, for a proxy's copy, the
/// remote it was cached from (and whose request fetched it, when that was recorded).
fn uploaded_by(repo: &Repository, a: &Asset) -> String {
    let who = match (&a.uploader, &a.uploader_ip) {
        (Some(u), Some(ip)) => Some(format!("{u} from {ip}")),
        (Some(u), None) => Some(u.clone()),
        _ => None,
    };
    match (remote_of(repo), who) {
        (Some(remote), Some(who)) => format!("cached from {remote} (fetched for {who})"),
        (Some(remote), None) => format!("cached from {remote}"),
        (None, Some(who)) => who,
        (None, None) => "unknown".into(),
    }
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
    let pull = (repo.format == "docker" && a.path.contains("/manifests/")).then(|| {
        let image = a
            .path
            .trim_start_matches("v2/")
            .split("/manifests/")
            .next()
            .unwrap_or("");
        format!(
            "docker pull {}/{image}@sha256:{}",
            docker_registry(&req, &state, &repo),
            a.blob.sha256
        )
    });
    if repo.format != "docker"
        && let Some((dir, _)) = a.path.rsplit_once('/')
    {
        crumbs.push((format!("{dir}/"), format!("{base}{}/", encode(dir))));
    }
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
        pull,
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
                .recipes
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
                .recipes
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
