//! `GET /v2/_catalog` and docker's v1 search: the tagged images a caller may browse.

use super::Data;
use super::auth::{Challenge, failure, signed_in, unauthorized};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::collections::HashMap;
use stowage_core::CoreError;
use stowage_core::format::Services;
use stowage_core::security::{Action, Permission, Principal};
use stowage_core::web::{Caller, PortRepository, RestError};
use stowage_docker::http::API_VERSION;
use stowage_docker::settings::DockerAttributes;

/// `GET /v2/_catalog`: `<repository>/<image>` for every tagged image the caller may browse,
/// sorted, paged with `n` and `last`.
pub(super) async fn catalog(
    req: HttpRequest,
    services: Data,
    caller: Result<Caller, RestError>,
    port_repo: Option<web::Data<PortRepository>>,
) -> HttpResponse {
    let principal = match signed_in(&req, &Challenge::Basic, caller) {
        Ok(Caller(Some(p))) => p,
        Ok(Caller(None)) => return unauthorized(&req, &Challenge::Basic),
        Err(resp) => return resp,
    };
    let only = port_repo.as_ref().map(|r| r.0.as_str());
    match catalog_names(&services, &principal, only).await {
        Ok(names) => paged(&req, names),
        Err(e) => failure(&req, &Challenge::Basic, e),
    }
}

/// Tagged images the caller may browse: `<repository>/<image>` across docker repositories, or
/// just `<image>` within `only` (a repository's own port).
async fn catalog_names(
    services: &Services,
    principal: &Principal,
    only: Option<&str>,
) -> Result<Vec<String>, CoreError> {
    let catalogue = &services.catalogue;
    let mut names = Vec::new();
    let repos = catalogue.list_repositories().await?;
    let docker = repos
        .iter()
        .filter(|r| r.format == super::FORMAT && only.is_none_or(|o| o == r.name));
    for repo in docker {
        let may = principal.permits(&Permission::RepositoryView {
            format: &repo.format,
            repository: &repo.name,
            action: Action::Browse,
        });
        if may {
            let images = catalogue.component_names(&repo.id).await?;
            match only {
                Some(_) => names.extend(images),
                None => names.extend(images.into_iter().map(|i| format!("{}/{i}", repo.name))),
            }
        }
    }
    names.sort();
    Ok(names)
}

/// `GET /v1/search?q=&n=` on a repository's own port with `v1Enabled`: what `docker search
/// host:port/<term>` asks for (the V2 API has no search). Matches tagged image names containing
/// the term.
pub(super) async fn search(
    req: HttpRequest,
    services: Data,
    caller: Result<Caller, RestError>,
    repo: web::Data<PortRepository>,
) -> HttpResponse {
    let principal = match signed_in(&req, &Challenge::Basic, caller) {
        Ok(Caller(Some(p))) => p,
        Ok(Caller(None)) => return unauthorized(&req, &Challenge::Basic),
        Err(resp) => return resp,
    };
    let v1 = matches!(
        services.catalogue.find_repository(&repo.0).await,
        Ok(Some(r)) if DockerAttributes::of(&r.attributes).v1_enabled()
    );
    if !v1 {
        return HttpResponse::NotFound().body("search needs docker.v1Enabled on this repository\n");
    }
    let q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let term = q.get("q").cloned().unwrap_or_default().to_lowercase();
    let limit = q
        .get("n")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let names = match catalog_names(&services, &principal, Some(&repo.0)).await {
        Ok(n) => n,
        Err(e) => return failure(&req, &Challenge::Basic, e),
    };
    let results: Vec<_> = names
        .iter()
        .filter(|n| n.contains(&term))
        .take(limit)
        .map(|n| json!({"name": n, "description": "", "star_count": 0, "is_official": false, "is_automated": false}))
        .collect();
    HttpResponse::Ok().json(json!({
        "query": term,
        "num_results": results.len(),
        "page": 1,
        "num_pages": 1,
        "page_size": limit,
        "results": results,
    }))
}

fn paged(req: &HttpRequest, names: Vec<String>) -> HttpResponse {
    let q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let last = q.get("last").cloned().unwrap_or_default();
    let n = q.get("n").and_then(|v| v.parse::<usize>().ok());
    let after: Vec<String> = names.into_iter().filter(|x| *x > last).collect();
    let (page, more) = match n {
        Some(n) => (after[..n.min(after.len())].to_vec(), after.len() > n),
        None => (after, false),
    };
    let mut resp = HttpResponse::Ok();
    resp.insert_header(API_VERSION);
    if let (true, Some(n), Some(l)) = (more, n, page.last()) {
        resp.insert_header((
            header::LINK,
            format!("</v2/_catalog?n={n}&last={l}>; rel=\"next\""),
        ));
    }
    resp.json(json!({ "repositories": page }))
}
