//! Browse, search and upload: the repositories a caller may see, their trees (raw: folders and
//! files; docker: images, then tags page by page, then a tag's manifest with its layers), asset
//! pages with the download link and checksums, search by name, tag or path, and the Upload form.

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
use stowage_core::model::{Asset, Repository};
use stowage_core::names::same_repository;
use stowage_core::rfc3339;
use stowage_core::security::{Action, Permission};

/// Tags shown per page of an image.
const TAGS_PER_PAGE: i64 = 100;
/// Search results shown.
const SEARCH_LIMIT: i64 = 200;

fn may(caller: &Caller, repo: &Repository, action: Action) -> bool {
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
    pub online: bool,
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
        online: r.online,
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

/// One entry of a tree listing.
pub struct TreeEntry {
    pub name: String,
    pub href: String,
    pub detail: String,
    pub size: String,
}

#[derive(Template)]
#[template(path = "ui/tree.html")]
struct TreePage {
    chrome: Chrome,
    repo: String,
    format: String,
    /// Breadcrumbs: (label, href).
    crumbs: Vec<(String, String)>,
    heading: String,
    entries: Vec<TreeEntry>,
    next_page: Option<String>,
    pull: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct TreeQuery {
    after: Option<String>,
}

fn encode(p: &str) -> String {
    crate::content::encode_path(p)
}

/// `GET /ui/browse/{repo}/{path}`: a folder of a raw repository, the images of a docker one, or
/// an image's tags.
pub(crate) async fn tree(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    query: web::Query<TreeQuery>,
) -> Result<HttpResponse, UiError> {
    let (repo_name, dir) = path.into_inner();
    let catalogue = &state.services.catalogue;
    let repo = catalogue.repository(&repo_name).await?;
    require_on(&caller, &repo, Action::Browse)?;
    if dir.split('/').any(|s| s == "..") {
        return Err(CoreError::invalid("path", "must not contain '..' segments").into());
    }
    let base = format!("/ui/browse/{}/", repo.name);
    let mut crumbs = vec![
        ("Browse".to_owned(), "/ui/".to_owned()),
        (repo.name.clone(), base.clone()),
    ];
    let mut entries = Vec::new();
    let mut next_page = None;
    let mut pull = None;
    let heading;
    if repo.format == "docker" {
        let image = dir.trim_end_matches('/');
        if image.is_empty() {
            heading = format!("Images in {}", repo.name);
            for name in catalogue.component_names(&repo.id).await? {
                entries.push(TreeEntry {
                    href: format!("{base}{}/", encode(&name)),
                    name,
                    detail: "image".into(),
                    size: String::new(),
                });
            }
        } else {
            heading = format!("Tags of {image}");
            crumbs.push((image.to_owned(), format!("{base}{}/", encode(image))));
            let (tags, more) = catalogue
                .components_named(&repo.id, image, query.after.as_deref(), TAGS_PER_PAGE)
                .await?;
            if tags.is_empty() && query.after.is_none() {
                return Err(
                    CoreError::NotFound(format!("image '{image}' in '{}'", repo.name)).into(),
                );
            }
            if more && let Some(last) = tags.last() {
                next_page = Some(format!(
                    "{base}{}/?after={}",
                    encode(image),
                    percent_encoding::utf8_percent_encode(
                        &last.version,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                ));
            }
            pull = Some(format!(
                "docker pull {}/{image}:<tag>",
                docker_registry(&req, &state, &repo)
            ));
            for t in tags {
                entries.push(TreeEntry {
                    href: format!("/ui/components/{}", t.id),
                    name: t.version,
                    detail: rfc3339(t.created_at),
                    size: String::new(),
                });
            }
        }
    } else {
        heading = if dir.is_empty() {
            format!("Files in {}", repo.name)
        } else {
            format!("{}/{dir}", repo.name)
        };
        let mut acc = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            acc.push_str(part);
            acc.push('/');
            crumbs.push((part.to_owned(), format!("{base}{}", encode(&acc))));
        }
        let assets = catalogue.assets_under(&repo.id, &dir).await?;
        if assets.is_empty() && !dir.is_empty() {
            return Err(CoreError::NotFound(format!("folder '{dir}' in '{}'", repo.name)).into());
        }
        let mut dirs = BTreeMap::new();
        let mut files = Vec::new();
        for a in &assets {
            match a.path[dir.len()..].split_once('/') {
                Some((child, _)) => {
                    *dirs.entry(child.to_owned()).or_insert(0) += 1;
                }
                None => files.push(TreeEntry {
                    name: a.path[dir.len()..].to_owned(),
                    href: format!("/ui/assets/{}", a.id),
                    detail: rfc3339(a.last_modified),
                    size: human_bytes(a.blob.size),
                }),
            }
        }
        for (d, n) in dirs {
            entries.push(TreeEntry {
                href: format!("{base}{}{}/", encode(&dir), encode(&d)),
                name: format!("{d}/"),
                detail: format!("{n} file{}", if n == 1 { "" } else { "s" }),
                size: String::new(),
            });
        }
        entries.extend(files);
    }
    let page = TreePage {
        chrome: Chrome::new(&req, &state, &caller, heading.clone(), "browse").await,
        repo: repo.name.clone(),
        format: repo.format.clone(),
        crumbs,
        heading,
        entries,
        next_page,
        pull,
    };
    render(&page)
}

/// `GET /ui/browse/{repo}` → the tree's root.
pub(crate) async fn tree_root(repo: web::Path<String>) -> HttpResponse {
    see_other(&format!("/ui/browse/{}/", repo.into_inner()))
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
            manifest = Some(manifest_view(&state, m, &by_path).await?);
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
        uploader: match (&m.uploader, &m.uploader_ip) {
            (Some(u), Some(ip)) => format!("{u} from {ip}"),
            (Some(u), None) => u.clone(),
            _ => "unknown".into(),
        },
    })
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
        uploader: match (&a.uploader, &a.uploader_ip) {
            (Some(u), Some(ip)) => format!("{u} from {ip}"),
            (Some(u), None) => u.clone(),
            _ => "unknown".into(),
        },
        blob_store: a.blob.blob_store.clone(),
        pull,
        may_delete: may(&caller, &repo, Action::Delete),
        id: a.id.clone(),
        origin: repo
            .attributes
            .pointer("/proxy/remoteUrl")
            .and_then(|v| v.as_str())
            .map(|remote| {
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

pub struct SearchRow {
    pub repo: String,
    pub format: String,
    pub name: String,
    pub version: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "ui/search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    format: String,
    repository: String,
    formats: Vec<String>,
    repositories: Vec<String>,
    results: Vec<SearchRow>,
    searched: bool,
}

#[derive(Deserialize)]
pub(crate) struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    repository: String,
}

/// `GET /ui/search?q=&format=&repository=`: components (docker images and tags, raw files) whose
/// name or version contains `q`, in repositories the caller may browse.
pub(crate) async fn search(
    req: HttpRequest,
    state: State,
    caller: Caller,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, UiError> {
    let catalogue = &state.services.catalogue;
    let visible: Vec<Repository> = catalogue
        .list_repositories()
        .await?
        .into_iter()
        .filter(|r| may(&caller, r, Action::Browse))
        .collect();
    let scope: Vec<&Repository> = visible
        .iter()
        .filter(|r| query.format.is_empty() || r.format == query.format)
        .filter(|r| query.repository.is_empty() || same_repository(&r.name, &query.repository))
        .collect();
    let q = query.q.trim();
    let mut results = Vec::new();
    if !q.is_empty() && !scope.is_empty() {
        let ids: Vec<String> = scope.iter().map(|r| r.id.clone()).collect();
        for hit in catalogue.search_components(q, &ids, SEARCH_LIMIT).await? {
            if let Some(r) = scope.iter().find(|r| r.id == hit.repository_id) {
                results.push(SearchRow {
                    repo: r.name.clone(),
                    format: r.format.clone(),
                    name: hit.component.name,
                    version: hit.component.version,
                    href: format!("/ui/components/{}", hit.component.id),
                });
            }
        }
    }
    let mut formats: Vec<String> = visible.iter().map(|r| r.format.clone()).collect();
    formats.sort();
    formats.dedup();
    let page = SearchPage {
        chrome: Chrome::new(&req, &state, &caller, "Search", "search").await,
        q: q.to_owned(),
        format: query.format.clone(),
        repository: query.repository.clone(),
        formats,
        repositories: visible.iter().map(|r| r.name.clone()).collect(),
        results,
        searched: !q.is_empty(),
    };
    render(&page)
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
