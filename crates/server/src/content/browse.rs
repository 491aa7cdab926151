//! Nexus's HTML directory listing of a repository, built from the catalogue (never by walking
//! storage).

use crate::auth::Caller;
use crate::content::encode_path;
use crate::error::ContentError;
use crate::state::State;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use std::collections::BTreeMap;
use stowage_core::CoreError;
use stowage_core::security::{Action, Permission};
use stowage_core::web::path_tail as raw_tail;

/// One row of the listing.
pub struct Entry {
    /// Link target relative to this page.
    pub href: String,
    /// Shown name (directories end in `/`).
    pub name: String,
    /// Last modification (files only).
    pub last_modified: String,
    /// Size in bytes (files only).
    pub size: String,
}

#[derive(Template)]
#[template(path = "browse.html")]
struct BrowsePage<'a> {
    repository: &'a str,
    dir: &'a str,
    parent: bool,
    entries: Vec<Entry>,
}

/// `/browse/<repo>` → `/browse/<repo>/`.
pub async fn redirect_to_root(repo: web::Path<String>) -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((
            header::LOCATION,
            format!("/service/rest/repository/browse/{}/", repo.into_inner()),
        ))
        .finish()
}

/// The listing of one directory.
pub async fn listing(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ContentError> {
    let (repo_name, _) = path.into_inner();
    let catalogue = &state.services.catalogue;
    let repo = catalogue.repository(&repo_name).await?;
    caller.require(Permission::RepositoryView {
        format: &repo.format,
        repository: &repo.name,
        action: Action::Browse,
    })?;
    let encoded = raw_tail(&req, "/service/rest/repository/browse", &repo_name);
    let dir = percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|_| CoreError::invalid("path", "is not valid UTF-8"))?
        .into_owned();
    if !dir.is_empty() && !dir.ends_with('/') {
        return Ok(HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, format!("{}/", req.uri().path())))
            .finish());
    }
    if dir.split('/').any(|s| s == "..") {
        return Err(CoreError::invalid("path", "must not contain '..' segments").into());
    }
    let assets = catalogue.assets_under(&repo.id, &dir).await?;
    if assets.is_empty() && !dir.is_empty() {
        return Err(CoreError::NotFound(format!("directory '{dir}' in '{repo_name}'")).into());
    }
    let mut dirs = BTreeMap::new();
    let mut files = Vec::new();
    for a in &assets {
        let rest = &a.path[dir.len()..];
        match rest.split_once('/') {
            Some((child, _)) => {
                dirs.entry(child.to_owned()).or_insert(());
            }
            None => files.push(Entry {
                href: format!("/repository/{repo_name}/{}", encode_path(&a.path)),
                name: rest.to_owned(),
                last_modified: stowage_core::rfc3339(a.last_modified),
                size: a.blob.size.to_string(),
            }),
        }
    }
    let mut entries: Vec<Entry> = dirs
        .into_keys()
        .map(|d| Entry {
            href: format!("{}/", encode_path(&d)),
            name: format!("{d}/"),
            last_modified: String::new(),
            size: String::new(),
        })
        .collect();
    entries.extend(files);
    let page = BrowsePage {
        repository: &repo_name,
        dir: &dir,
        parent: !dir.is_empty(),
        entries,
    };
    let html = page
        .render()
        .map_err(|e| CoreError::Internal(format!("template: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}
