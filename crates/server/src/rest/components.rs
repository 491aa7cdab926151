//! `/v1/components`: list a repository's components page by page, read and delete one.

use super::RestResult;
use super::assets::{ListQuery, PAGE_SIZE, asset_xo, listed_repository, require_on};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::catalogue::ComponentWithAssets;
use stowage_core::model::Repository;
use stowage_core::security::Action;

fn component_xo(req: &HttpRequest, repo: &Repository, c: &ComponentWithAssets) -> Value {
    json!({
        "id": c.component.id,
        "repository": repo.name,
        "format": repo.format,
        "group": c.component.group,
        "name": c.component.name,
        // Nexus sends null for formats without versions (raw).
        "version": Some(&c.component.version).filter(|v| !v.is_empty()),
        "assets": c.assets.iter().map(|a| asset_xo(req, repo, a)).collect::<Vec<_>>(),
    })
}

pub(crate) async fn list(
    req: HttpRequest,
    state: State,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> RestResult<HttpResponse> {
    let repo = listed_repository(&state, &caller, &query, Action::Browse).await?;
    let page = state
        .services
        .catalogue
        .list_components(&repo.id, query.page_token()?.as_ref(), PAGE_SIZE)
        .await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|c| component_xo(&req, &repo, c))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "items": items,
        "continuationToken": page.continuation_token,
    })))
}

pub(crate) async fn get_one(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
) -> RestResult<HttpResponse> {
    let catalogue = &state.services.catalogue;
    let c = catalogue.component(&id).await?;
    let repo = catalogue
        .repository_by_id(&c.component.repository_id)
        .await?;
    require_on(&caller, &repo, Action::Read)?;
    Ok(HttpResponse::Ok().json(component_xo(&req, &repo, &c)))
}

pub(crate) async fn delete(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
) -> RestResult<HttpResponse> {
    delete_component(&req, &state, &caller, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes component `id` if the caller may (checked, then audited); returns its repository
/// and what it was. The REST API and the admin UI both delete through this.
pub(crate) async fn delete_component(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    id: &str,
) -> Result<(Repository, ComponentWithAssets), stowage_core::CoreError> {
    let catalogue = &state.services.catalogue;
    let c = catalogue.component(id).await?;
    let repo = catalogue
        .repository_by_id(&c.component.repository_id)
        .await?;
    require_on(caller, &repo, Action::Delete)?;
    catalogue.delete_component(id).await?;
    super::audit(
        req,
        state,
        caller,
        "component.delete",
        &format!("{}/{}:{}", repo.name, c.component.name, c.component.version),
    );
    Ok((repo, c))
}
