//! Trees: folders of paths, or what the repository's format lists itself (images and their
//! tags, page by page). A group's tree is its members' content merged as the group serves it: the first
//! member (depth first, see `stowage_core::group::content_sources`) that has a path or tag is
//! the one listed.

use super::browse::encode;
use super::{Chrome, UiError, human_bytes, render, see_other};
use crate::auth::Caller;
use crate::rest::assets::require_on;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::collections::BTreeMap;
use stowage_core::CoreError;
use stowage_core::catalogue::Catalogue;
use stowage_core::format::ui::{TreeEntry, UiContext, from_member};
use stowage_core::group::content_sources;
use stowage_core::model::{Asset, RepoKind, Repository};
use stowage_core::rfc3339;
use stowage_core::security::Action;

#[derive(Template)]
#[template(path = "ui/tree.html")]
struct TreePage {
    chrome: Chrome,
    repo: String,
    kind: &'static str,
    /// Whether the repository takes the UI's uploads (an empty tree links to the form).
    uploads: bool,
    /// What an empty tree says otherwise.
    empty_hint: &'static str,
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

/// The assets under `dir` across `sources`, the first source's where several have a path.
async fn merged_assets<'a>(
    catalogue: &Catalogue,
    sources: &'a [Repository],
    dir: &str,
) -> Result<BTreeMap<String, (Asset, &'a str)>, CoreError> {
    let mut merged = BTreeMap::new();
    for s in sources {
        for a in catalogue.assets_under(&s.id, dir).await? {
            merged.entry(a.path.clone()).or_insert((a, s.name.as_str()));
        }
    }
    Ok(merged)
}

/// `GET /ui/browse/{repo}/{path}`: a folder, or the format's own tree page.
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
    let sources = content_sources(catalogue, &repo).await?;
    let group = repo.kind == RepoKind::Group;
    let base = format!("/ui/browse/{}/", repo.name);
    let mut crumbs = vec![
        ("Browse".to_owned(), "/ui/".to_owned()),
        (repo.name.clone(), base.clone()),
    ];
    let mut entries = Vec::new();
    let mut next_page = None;
    let mut pull = None;
    let heading;
    let ui = UiContext {
        req: &req,
        services: &state.services,
    };
    let format = state.services.formats.format(&repo.format);
    let view = match format {
        Some(f) => {
            f.tree(&ui, &repo, &sources, &dir, query.after.as_deref())
                .await?
        }
        None => None,
    };
    if let Some(view) = view {
        heading = view.heading;
        crumbs.extend(view.crumbs);
        entries = view.entries;
        next_page = view.next_page;
        pull = view.command;
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
        let assets = merged_assets(catalogue, &sources, &dir).await?;
        if assets.is_empty() && !dir.is_empty() {
            return Err(CoreError::NotFound(format!("folder '{dir}' in '{}'", repo.name)).into());
        }
        let mut dirs = BTreeMap::new();
        let mut files = Vec::new();
        for (path, (a, member)) in &assets {
            match path[dir.len()..].split_once('/') {
                Some((child, _)) => {
                    *dirs.entry(child.to_owned()).or_insert(0) += 1;
                }
                None => files.push(TreeEntry {
                    name: path[dir.len()..].to_owned(),
                    href: format!("/ui/assets/{}", a.id),
                    detail: from_member(rfc3339(a.last_modified), group, member),
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
        kind: repo.kind.as_str(),
        uploads: state
            .services
            .formats
            .recipe_of(&repo)
            .is_ok_and(|r| r.supports_upload()),
        empty_hint: format.map_or("", |f| f.empty_hint()),
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
