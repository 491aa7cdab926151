//! `/ui/admin/repositories`: the list and recipe picker, the create and edit forms (with the
//! format's commands to copy and a proxy's upstream state), and deleting.

#[allow(unused_imports)]
use super::*;
use crate::auth::Caller;
use crate::rest::repositories;
use crate::state::State;
use crate::ui::browse::{RepoRow, repo_rows};
use crate::ui::{Chrome, UiError, render, see_other, with_notice};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use stowage_core::CoreError;
use stowage_core::format::Recipe;
use stowage_core::format::ui::UiContext;
use stowage_core::security::{Action, Permission};

/// A recipe in the picker.
pub struct RecipeChoice {
    pub id: String,
    pub label: String,
    pub available: bool,
}

/// The recipe called `id` (`<format>-<kind>`): 404 when this build has none.
pub(super) fn recipe(state: &State, id: &str) -> Result<Arc<dyn Recipe>, CoreError> {
    state
        .services
        .formats
        .by_id(id)
        .cloned()
        .ok_or_else(|| CoreError::NotFound(format!("recipe '{id}'")))
}

/// A recipe's id, as the picker and the form URLs name it.
pub(super) fn recipe_id(recipe: &dyn Recipe) -> String {
    format!("{}-{}", recipe.format(), recipe.kind().as_str())
}

#[derive(Template)]
#[template(path = "ui/repositories.html")]
pub(super) struct RepositoriesPage {
    chrome: Chrome,
    repos: Vec<RepoRow>,
    recipes: Vec<RecipeChoice>,
}

pub(super) fn may_admin(caller: &Caller, format: &str, name: &str, action: Action) -> bool {
    caller.0.as_ref().is_some_and(|p| {
        p.permits(&Permission::RepositoryAdmin {
            format,
            repository: name,
            action,
        })
    })
}

/// `GET /ui/admin/repositories`: those the caller may administer, and the recipe picker.
pub(crate) async fn repositories_page(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    let repos = repo_rows(&req, &state, |r| {
        may_admin(&caller, &r.format, &r.name, Action::Read)
    })
    .await?;
    let recipes = state
        .services
        .formats
        .recipes()
        .iter()
        .map(|r| RecipeChoice {
            id: recipe_id(r.as_ref()),
            label: r.label(),
            available: true,
        })
        .collect();
    let page = RepositoriesPage {
        chrome: Chrome::new(&req, &state, &caller, "Repositories", "repositories").await,
        repos,
        recipes,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "ui/repository_form.html")]
pub(super) struct RepositoryForm {
    chrome: Chrome,
    recipe: String,
    recipe_label: String,
    editing: bool,
    name: String,
    inputs: Vec<FormInput>,
    form_error: Option<String>,
    commands: Vec<String>,
    /// A proxy's upstream state.
    status: Option<String>,
}

pub(super) async fn blob_store_names(state: &State) -> Result<Vec<String>, CoreError> {
    Ok(state
        .services
        .catalogue
        .list_blob_stores()
        .await?
        .into_iter()
        .map(|b| b.name)
        .collect())
}

/// `GET /ui/admin/repositories/new/{recipe}`.
pub(crate) async fn new_repository(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let recipe = recipe(&state, &id)?;
    let label = recipe.label();
    caller.require(Permission::RepositoryAdmin {
        format: recipe.format(),
        repository: "*",
        action: Action::Add,
    })?;
    let page = RepositoryForm {
        chrome: Chrome::new(
            &req,
            &state,
            &caller,
            format!("Create {label} repository"),
            "repositories",
        )
        .await,
        recipe: id.to_string(),
        recipe_label: label.to_owned(),
        editing: false,
        name: String::new(),
        inputs: inputs(
            recipe.as_ref(),
            &defaults(recipe.as_ref()),
            &HashMap::new(),
            &blob_store_names(&state).await?,
            false,
        ),
        form_error: None,
        commands: Vec::new(),
        status: None,
    };
    render(&page)
}

/// The form again with `e` shown next to its field (or above the form).
pub(super) async fn form_with_error(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    id: &str,
    editing: Option<&str>,
    body: &Value,
    e: CoreError,
) -> Result<HttpResponse, UiError> {
    let name = editing.unwrap_or("");
    let recipe = recipe(state, id)?;
    let label = recipe.label();
    let mut errors = HashMap::new();
    let mut form_error = None;
    match &e {
        CoreError::Invalid { field, message } => {
            let known = COMMON.iter().chain(recipe.form()).any(|s| s.name == field);
            if known {
                errors.insert(field.clone(), message.clone());
            } else {
                form_error = Some(e.to_string());
            }
        }
        CoreError::Forbidden(_) | CoreError::Unauthenticated => return Err(e.into()),
        _ if crate::error::status_of(&e).is_server_error() => return Err(e.into()),
        _ => form_error = Some(e.to_string()),
    }
    let title = if editing.is_some() {
        format!("Edit {name}")
    } else {
        format!("Create {label} repository")
    };
    let page = RepositoryForm {
        chrome: Chrome::new(req, state, caller, title, "repositories").await,
        recipe: id.to_owned(),
        recipe_label: label.to_owned(),
        editing: editing.is_some(),
        name: name.to_owned(),
        inputs: inputs(
            recipe.as_ref(),
            body,
            &errors,
            &blob_store_names(state).await?,
            editing.is_some(),
        ),
        form_error,
        commands: Vec::new(),
        status: None,
    };
    render(&page)
}

/// `POST /ui/admin/repositories/new/{recipe}`.
pub(crate) async fn create_repository(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let recipe = recipe(&state, &id)?;
    let body = body_of(recipe.as_ref(), &form);
    let (format, kind) = (recipe.format(), recipe.kind().as_str());
    match repositories::create_repository(&req, &state, &caller, format, kind, &body).await {
        Ok(repo) => Ok(see_other(&with_notice(
            &format!("/ui/admin/repositories/{}", repo.name),
            &format!("Repository {} created.", repo.name),
        ))),
        Err(e) => form_with_error(&req, &state, &caller, &id, None, &body, e).await,
    }
}

/// A repository's attributes as its recipe shows them (secrets as the placeholder).
pub(super) fn shown_attributes(state: &State, repo: &stowage_core::model::Repository) -> Value {
    match state.services.formats.get(&repo.format, repo.kind) {
        Some(recipe) => recipe.public_attributes(&repo.attributes),
        None => repo.attributes.clone(),
    }
}

/// `GET /ui/admin/repositories/{name}`: the edit form, with the format's commands to copy.
pub(crate) async fn edit_repository(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
) -> Result<HttpResponse, UiError> {
    let repo = state.services.catalogue.repository(&name).await?;
    repositories::require_admin(&caller, &repo.format, &repo.name, Action::Read)?;
    let recipe = state.services.formats.recipe_of(&repo)?.clone();
    let id = recipe_id(recipe.as_ref());
    let label = recipe.label();
    let mut values = shown_attributes(&state, &repo);
    values["name"] = json!(repo.name);
    values["online"] = json!(repo.online);
    let ui = UiContext {
        req: &req,
        services: &state.services,
    };
    let commands = state
        .services
        .formats
        .format(&repo.format)
        .map(|f| f.commands(&ui, &repo))
        .unwrap_or_default();
    let page = RepositoryForm {
        chrome: Chrome::new(
            &req,
            &state,
            &caller,
            format!("Edit {}", repo.name),
            "repositories",
        )
        .await,
        recipe: id.clone(),
        recipe_label: label.to_owned(),
        editing: true,
        name: repo.name.clone(),
        inputs: inputs(
            recipe.as_ref(),
            &values,
            &HashMap::new(),
            &blob_store_names(&state).await?,
            true,
        ),
        form_error: None,
        commands,
        status: state
            .services
            .formats
            .get(&repo.format, repo.kind)
            .and_then(|r| r.status(&repo))
            .map(|v| match v["status"].as_str() {
                Some("AUTO_BLOCKED") => format!(
                    "Upstream auto-blocked after repeated failures; asked again in {} s ({}).",
                    v["retryInSeconds"],
                    v["reason"].as_str().unwrap_or("")
                ),
                Some("BLOCKED") => "Upstream blocked (httpClient.blocked).".to_owned(),
                _ => "Upstream ready.".to_owned(),
            }),
    };
    render(&page)
}

/// `POST /ui/admin/repositories/{name}`.
pub(crate) async fn update_repository(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let repo = state.services.catalogue.repository(&name).await?;
    let recipe = state.services.formats.recipe_of(&repo)?.clone();
    let id = recipe_id(recipe.as_ref());
    // Settings the form does not show keep their stored values (secrets come back as the
    // placeholder, which the update turns into the stored value again).
    let mut body = shown_attributes(&state, &repo);
    overlay(&mut body, body_of(recipe.as_ref(), &form));
    // Name and blob store are shown disabled, so the browser does not send them.
    body["name"] = json!(repo.name);
    body["storage"]["blobStoreName"] = json!(repo.blob_store);
    match repositories::update_repository(
        &req,
        &state,
        &caller,
        &repo.format,
        repo.kind.as_str(),
        &repo.name,
        &body,
    )
    .await
    {
        Ok(()) => Ok(see_other(&with_notice(
            &format!("/ui/admin/repositories/{}", repo.name),
            "Saved.",
        ))),
        Err(e) => form_with_error(&req, &state, &caller, &id, Some(&repo.name), &body, e).await,
    }
}

/// `POST /ui/admin/repositories/{name}/delete`: only when `confirm` repeats the name.
pub(crate) async fn delete_repository(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let repo = state.services.catalogue.repository(&name).await?;
    repositories::require_admin(&caller, &repo.format, &repo.name, Action::Delete)?;
    if field(&form, "confirm") != name.as_str() {
        return Ok(see_other(&with_notice(
            &format!("/ui/admin/repositories/{name}"),
            "Not deleted: type the repository's name to confirm.",
        )));
    }
    repositories::delete_repository(&req, &state, &caller, &name).await?;
    Ok(see_other(&with_notice(
        "/ui/admin/repositories",
        &format!("Repository {name} deleted."),
    )))
}
