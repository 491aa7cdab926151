//! Trees: a folder of a raw repository, the images of a docker one, an image's tags page by
//! page. A group's tree is its members' content merged as the group serves it: the first
//! member (depth first, see `stowage_core::group::content_sources`) that has a path or tag is
//! the one listed.

use super::browse::{docker_registry, encode};
use super::{Chrome, UiError, human_bytes, render, see_other};
use crate::auth::Caller;
use crate::rest::assets::require_on;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use stowage_core::CoreError;
use stowage_core::catalogue::Catalogue;
use stowage_core::group::content_sources;
use stowage_core::model::{Asset, Component, RepoKind, Repository};
use stowage_core::rfc3339;
use stowage_core::security::Action;

/// Tags shown per page of an image.
const TAGS_PER_PAGE: i64 = 100;

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
    kind: &'static str,
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

/// `detail`, followed by the member it comes from when the tree is a group's.
fn from_member(detail: String, group: bool, member: &str) -> String {
    if group {
        format!("{detail} · from {member}")
    } else {
        detail
    }
}

/// The tags of `image` after `after` across `sources`, the first source's tag where several
/// have it, at most `limit` in version order; and whether there are more. Each source is asked
/// for at most `limit + 1`: the first `limit` tags of the union are among them.
async fn merged_tags<'a>(
    catalogue: &Catalogue,
    sources: &'a [Repository],
    image: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<(Component, &'a str)>, bool), CoreError> {
    let mut merged: BTreeMap<String, (Component, &str)> = BTreeMap::new();
    let mut more = false;
    for s in sources {
        let (tags, has_more) = catalogue
            .components_named(&s.id, image, after, limit)
            .await?;
        more |= has_more;
        for t in tags {
            merged
                .entry(t.version.clone())
                .or_insert((t, s.name.as_str()));
        }
    }
    let limit = usize::try_from(limit).unwrap_or(0);
    more |= merged.len() > limit;
    Ok((merged.into_values().take(limit).collect(), more))
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
    if repo.format == "docker" {
        let image = dir.trim_end_matches('/');
        if image.is_empty() {
            heading = format!("Images in {}", repo.name);
            let mut names = BTreeSet::new();
            for s in &sources {
                names.extend(catalogue.component_names(&s.id).await?);
            }
            for name in names {
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
            let (tags, more) = merged_tags(
                catalogue,
                &sources,
                image,
                query.after.as_deref(),
                TAGS_PER_PAGE,
            )
            .await?;
            if tags.is_empty() && query.after.is_none() {
                return Err(
                    CoreError::NotFound(format!("image '{image}' in '{}'", repo.name)).into(),
                );
            }
            if more && let Some((last, _)) = tags.last() {
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
            for (t, member) in tags {
                entries.push(TreeEntry {
                    href: format!("/ui/components/{}", t.id),
                    name: t.version,
                    detail: from_member(rfc3339(t.created_at), group, member),
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
        format: repo.format.clone(),
        kind: repo.kind.as_str(),
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
