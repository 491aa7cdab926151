//! Search: components whose name or version contains the term, or, for `sha256:<hex>`, the
//! assets (and their components) whose digest starts with it; in the repositories the caller
//! may browse.

use super::browse::may;
use super::{Chrome, UiError, render};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::collections::HashSet;
use stowage_core::CoreError;
use stowage_core::catalogue::Catalogue;
use stowage_core::model::Repository;
use stowage_core::names::same_repository;
use stowage_core::security::Action;

/// Search results shown.
const SEARCH_LIMIT: i64 = 200;

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

/// The lowercase hex of a `sha256:<hex>` term (any case, 1 to 64 hex digits), else `None`.
fn digest_prefix(q: &str) -> Option<String> {
    let (algorithm, hex) = q.split_once(':')?;
    (algorithm.eq_ignore_ascii_case("sha256")
        && (1..=64).contains(&hex.len())
        && hex.bytes().all(|b| b.is_ascii_hexdigit()))
    .then(|| hex.to_ascii_lowercase())
}

/// `GET /ui/search?q=&format=&repository=`: components (docker images and tags, raw files) whose
/// name or version contains `q`, or what has a digest starting with `q` (`sha256:852e`), in
/// repositories the caller may browse.
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
        results = match digest_prefix(q) {
            Some(hex) => by_digest(catalogue, &scope, &hex).await?,
            None => by_name(catalogue, &scope, q).await?,
        };
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

async fn by_name(
    catalogue: &Catalogue,
    scope: &[&Repository],
    q: &str,
) -> Result<Vec<SearchRow>, CoreError> {
    let ids: Vec<String> = scope.iter().map(|r| r.id.clone()).collect();
    let mut rows = Vec::new();
    for hit in catalogue.search_components(q, &ids, SEARCH_LIMIT).await? {
        if let Some(r) = scope.iter().find(|r| r.id == hit.repository_id) {
            rows.push(SearchRow {
                repo: r.name.clone(),
                format: r.format.clone(),
                name: hit.component.name,
                version: hit.component.version,
                href: format!("/ui/components/{}", hit.component.id),
            });
        }
    }
    Ok(rows)
}

/// Components with an asset of that digest, then the assets of that digest that belong to no
/// component (a docker layer) and whose blob no component hit already shows in that repository.
async fn by_digest(
    catalogue: &Catalogue,
    scope: &[&Repository],
    hex: &str,
) -> Result<Vec<SearchRow>, CoreError> {
    let hits = catalogue.search_digest(hex, SEARCH_LIMIT * 4).await?;
    let in_scope = |id: &str| scope.iter().find(|r| r.id == id).copied();
    let mut rows = Vec::new();
    let mut components = HashSet::new();
    let mut blobs = HashSet::new();
    for hit in &hits {
        if let (Some(c), Some(r)) = (&hit.component, in_scope(&hit.repository_id))
            && components.insert(c.id.clone())
        {
            blobs.insert((hit.repository_id.clone(), hit.sha256.clone()));
            rows.push(SearchRow {
                repo: r.name.clone(),
                format: r.format.clone(),
                name: c.name.clone(),
                version: c.version.clone(),
                href: format!("/ui/components/{}", c.id),
            });
        }
    }
    for hit in &hits {
        if let (None, Some(r)) = (&hit.component, in_scope(&hit.repository_id))
            && !blobs.contains(&(hit.repository_id.clone(), hit.sha256.clone()))
        {
            rows.push(SearchRow {
                repo: r.name.clone(),
                format: r.format.clone(),
                name: hit.path.clone(),
                version: String::new(),
                href: format!("/ui/assets/{}", hit.asset_id),
            });
        }
    }
    rows.truncate(usize::try_from(SEARCH_LIMIT).unwrap_or(0));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::digest_prefix;

    #[test]
    fn digest_terms() {
        assert_eq!(digest_prefix("sha256:852e").as_deref(), Some("852e"));
        assert_eq!(digest_prefix("SHA256:ABCdef").as_deref(), Some("abcdef"));
        for not in [
            "852e",
            "sha256:",
            "sha256:xyz",
            "sha512:abcd",
            "sha256:852e/x",
        ] {
            assert_eq!(digest_prefix(not), None, "{not}");
        }
        assert_eq!(digest_prefix(&format!("sha256:{}", "a".repeat(65))), None);
    }
}
