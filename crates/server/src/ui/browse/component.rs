//! `/ui/components/{id}`: a component, its assets, and what its format shows of it; deleting it.

#[allow(unused_imports)]
use super::*;
use crate::auth::Caller;
use crate::rest::assets::require_on;
use crate::state::State;
use crate::ui::{Chrome, UiError, check_csrf, human_bytes, render, see_other, with_notice};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use stowage_core::format::ui::{BrowseExtras, UiContext};
use stowage_core::rfc3339;
use stowage_core::security::Action;

#[derive(Template)]
#[template(path = "ui/component.html")]
pub(super) struct ComponentPage {
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
