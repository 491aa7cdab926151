//! Administration pages: repositories (list, create with a recipe picker, edit, delete after
//! typing the name), blob stores, system, users, roles, anonymous access, and one's own user
//! tokens. Every change goes through the same functions as the REST API, so validation,
//! auditing and privileges are the same.

use super::browse::{RepoRow, repo_rows};
use super::{
    Chrome, UiError, check_csrf, human_bytes, render, render_status, see_other, with_notice,
};
use crate::auth::Caller;
use crate::rest::{repositories, roles, user_tokens, users};
use crate::state::State;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use stowage_core::CoreError;
use stowage_core::format::ui::UiContext;
use stowage_core::security::{Action, Permission};

/// Form fields as `(name, value)` pairs, as browsers send them.
type Fields = Vec<(String, String)>;

fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of a repeated field (checkboxes of one name).
fn fields<'a>(f: &'a Fields, name: &str) -> Vec<&'a str> {
    f.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn csrf_of(req: &HttpRequest, f: &Fields) -> Result<(), CoreError> {
    check_csrf(req, field(f, "csrf"))
}

use stowage_core::format::Recipe;
use stowage_core::format::ui::{FieldSpec, Input, field as f};

const COMMON: &[FieldSpec] = &[
    f(
        "name",
        "Name",
        Input::Text,
        "Lowercase letters, digits, '.', '_' and '-'. It appears in every URL and cannot be changed.",
    ),
    f(
        "online",
        "Online",
        Input::Check,
        "An offline repository answers 503.",
    ),
    f(
        "storage.blobStoreName",
        "Blob store",
        Input::Select(&[]),
        "Where the content is stored. Cannot be changed later.",
    ),
    f(
        "storage.strictContentTypeValidation",
        "Strict content type validation",
        Input::Check,
        "Stored for Nexus compatibility; uploads are not checked against it yet.",
    ),
    f(
        "storage.writePolicy",
        "Deployment policy",
        Input::Select(&["ALLOW", "ALLOW_ONCE", "DENY"]),
        "ALLOW: redeploy freely. ALLOW_ONCE: an existing path or tag cannot change. DENY: read-only.",
    ),
];

/// A recipe in the picker.
pub struct RecipeChoice {
    pub id: String,
    pub label: String,
    pub available: bool,
}

/// The recipe called `id` (`<format>-<kind>`): 404 when this build has none.
fn recipe(state: &State, id: &str) -> Result<Arc<dyn Recipe>, CoreError> {
    state
        .services
        .formats
        .by_id(id)
        .cloned()
        .ok_or_else(|| CoreError::NotFound(format!("recipe '{id}'")))
}

/// A recipe's id, as the picker and the form URLs name it.
fn recipe_id(recipe: &dyn Recipe) -> String {
    format!("{}-{}", recipe.format(), recipe.kind().as_str())
}

/// A form input as a template shows it.
pub struct FormInput {
    pub name: &'static str,
    pub id: String,
    pub label: &'static str,
    pub help: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub checked: bool,
    pub options: Vec<String>,
    pub error: String,
    pub disabled: bool,
}

/// The request body of a repository form of `recipe`.
fn body_of(recipe: &dyn Recipe, fields: &Fields) -> Value {
    let mut body = json!({});
    for spec in COMMON.iter().chain(recipe.form()) {
        let text = field(fields, spec.name).trim();
        let value = match spec.input {
            Input::Check => json!(!text.is_empty()),
            Input::Number if text.is_empty() => Value::Null,
            Input::Number => text
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| json!(text)),
            Input::List => json!(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            ),
            _ => json!(text),
        };
        let mut at = &mut body;
        let mut parts = spec.name.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                at[part] = value.clone();
            } else {
                if !at[part].is_object() {
                    at[part] = json!({});
                }
                at = &mut at[part];
            }
        }
    }
    body
}

/// Writes every leaf of `top` over `base`.
fn overlay(base: &mut Value, top: Value) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            for (k, v) in t {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => overlay(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, t) => *b = t,
    }
}

/// The form's inputs with `values` (REST-shaped), `errors` by field, for recipe `id`.
fn inputs(
    recipe: &dyn Recipe,
    values: &Value,
    errors: &HashMap<String, String>,
    blob_stores: &[String],
    editing: bool,
) -> Vec<FormInput> {
    COMMON
        .iter()
        .chain(recipe.form())
        .map(|spec| {
            let pointer = format!("/{}", spec.name.replace('.', "/"));
            let v = values.pointer(&pointer).unwrap_or(&Value::Null);
            let (kind, options) = match spec.input {
                Input::Text => ("text", Vec::new()),
                Input::Password => ("password", Vec::new()),
                Input::Number => ("number", Vec::new()),
                Input::Check => ("checkbox", Vec::new()),
                Input::List => ("text", Vec::new()),
                Input::Select(opts) if spec.name == "storage.blobStoreName" && opts.is_empty() => {
                    ("select", blob_stores.to_vec())
                }
                Input::Select(opts) => ("select", opts.iter().map(|o| (*o).to_owned()).collect()),
            };
            let value = match v {
                _ if spec.input == Input::Password => String::new(),
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => String::new(),
            };
            FormInput {
                name: spec.name,
                id: format!("f-{}", spec.name.replace('.', "-")),
                label: spec.label,
                help: spec.help,
                kind,
                value,
                checked: v.as_bool().unwrap_or(false),
                options,
                error: errors.get(spec.name).cloned().unwrap_or_default(),
                disabled: editing && (spec.name == "name" || spec.name == "storage.blobStoreName"),
            }
        })
        .collect()
}

/// Defaults of a new repository of `recipe`: the common ones, then the recipe's.
fn defaults(recipe: &dyn Recipe) -> Value {
    let mut v = json!({
        "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true, "writePolicy": "ALLOW"},
    });
    overlay(&mut v, recipe.defaults());
    v
}

#[derive(Template)]
#[template(path = "ui/repositories.html")]
struct RepositoriesPage {
    chrome: Chrome,
    repos: Vec<RepoRow>,
    recipes: Vec<RecipeChoice>,
}

fn may_admin(caller: &Caller, format: &str, name: &str, action: Action) -> bool {
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
struct RepositoryForm {
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

async fn blob_store_names(state: &State) -> Result<Vec<String>, CoreError> {
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
async fn form_with_error(
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
fn shown_attributes(state: &State, repo: &stowage_core::model::Repository) -> Value {
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

pub struct StoreRow {
    pub name: String,
    pub kind: String,
    pub blobs: i64,
    pub used: String,
    pub free: String,
    /// Temporary files (uploads in progress and leftovers of interrupted ones), e.g.
    /// "3 (757 MB)".
    pub temp: String,
}

#[derive(Template)]
#[template(path = "ui/system.html")]
struct SystemPage {
    chrome: Chrome,
    version: &'static str,
    uptime: String,
    stores: Vec<StoreRow>,
    repos: Vec<RepoRow>,
    only_stores: bool,
}

async fn store_rows(state: &State) -> Result<Vec<StoreRow>, CoreError> {
    let mut stores = Vec::new();
    for rec in state.services.catalogue.list_blob_stores().await? {
        let (blobs, bytes) = state.services.catalogue.blob_store_usage(&rec.name).await?;
        let (free, temp) = match state.services.blob_store(&rec.name).await {
            Ok(s) => (
                s.available_space()
                    .map_or("not reported (S3)".into(), |b| human_bytes(b as i64)),
                s.tmp_usage().await.map_or_else(
                    |_| "unknown".into(),
                    |t| format!("{} ({})", t.count, human_bytes(t.bytes as i64)),
                ),
            ),
            Err(_) => ("unavailable".into(), "unavailable".into()),
        };
        stores.push(StoreRow {
            name: rec.name,
            kind: rec.kind,
            blobs,
            used: human_bytes(bytes),
            free,
            temp,
        });
    }
    Ok(stores)
}

/// `GET /ui/admin/system`: version, uptime, blob stores with space used and free, repository
/// sizes.
pub(crate) async fn system(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    let secs = state.started.elapsed().as_secs();
    let repos = repo_rows(&req, &state, |_| true).await?;
    let page = SystemPage {
        chrome: Chrome::new(&req, &state, &caller, "System", "system").await,
        version: env!("CARGO_PKG_VERSION"),
        uptime: format!(
            "{}d {}h {}m",
            secs / 86400,
            secs / 3600 % 24,
            secs / 60 % 60
        ),
        stores: store_rows(&state).await?,
        repos,
        only_stores: false,
    };
    render(&page)
}

/// `GET /ui/admin/blobstores`.
pub(crate) async fn blob_stores(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    let page = SystemPage {
        chrome: Chrome::new(&req, &state, &caller, "Blob stores", "blobstores").await,
        version: env!("CARGO_PKG_VERSION"),
        uptime: String::new(),
        stores: store_rows(&state).await?,
        repos: Vec::new(),
        only_stores: true,
    };
    render(&page)
}

/// `POST /ui/admin/blobstores/{name}/purge-temp`: the REST purge, back to the list with what
/// it removed.
pub(crate) async fn purge_temp(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let done = crate::rest::blobstores::purge_temp_of(&state, &name).await?;
    crate::rest::audit(&req, &state, &caller, "blobstore.purge-temp", &name);
    let notice = format!(
        "Removed {} temporary files ({}) from {name}; kept {} that uploads may still need.",
        done.removed.count,
        human_bytes(done.removed.bytes as i64),
        done.kept.count
    );
    Ok(see_other(&with_notice("/ui/admin/blobstores", &notice)))
}

/// A list page with a form on it.
#[derive(Clone, Copy)]
enum List {
    Users,
    Roles,
}

/// After a change posted from a list page: back to the list with `notice` on success, or the
/// list again with a validation error shown above it.
async fn after_change<T>(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    list: List,
    done: Result<T, CoreError>,
    notice: impl FnOnce(T) -> String,
) -> Result<HttpResponse, UiError> {
    let (path, error) = match (list, done) {
        (List::Users, Ok(v)) => return Ok(see_other(&with_notice("/ui/admin/users", &notice(v)))),
        (List::Roles, Ok(v)) => return Ok(see_other(&with_notice("/ui/admin/roles", &notice(v)))),
        (list, Err(e @ CoreError::Invalid { .. })) => (list, e.to_string()),
        (_, Err(e)) => return Err(e.into()),
    };
    match path {
        List::Users => users_page(req, state, caller, Some(error)).await,
        List::Roles => roles_page(req, state, caller, Some(error)).await,
    }
}

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: String,
    pub roles: String,
}

#[derive(Template)]
#[template(path = "ui/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    roles: Vec<String>,
    error: Option<String>,
}

async fn users_page(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    error: Option<String>,
) -> Result<HttpResponse, UiError> {
    let users = state
        .services
        .catalogue
        .list_users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            name: format!("{} {}", u.first_name, u.last_name),
            email: u.email,
            status: u.status.as_str().to_owned(),
            roles: u.roles.join(", "),
            id: u.user_id,
        })
        .collect();
    let status = StatusCode::OK;
    let page = UsersPage {
        chrome: Chrome::new(req, state, caller, "Users", "users").await,
        users,
        roles: state
            .security
            .policy()
            .roles()
            .iter()
            .map(|r| r.id.clone())
            .collect(),
        error,
    };
    render_status(&page, status)
}

/// `GET /ui/admin/users`.
pub(crate) async fn users_list(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    users_page(&req, &state, &caller, None).await
}

/// `POST /ui/admin/users`: creates a user.
pub(crate) async fn create_user(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let roles = fields(&form, "roles");
    let body = json!({
        "userId": field(&form, "userId"), "firstName": field(&form, "firstName"),
        "lastName": field(&form, "lastName"), "emailAddress": field(&form, "emailAddress"),
        "password": field(&form, "password"), "status": field(&form, "status"), "roles": roles,
    });
    let done = users::create_user(&req, &state, &caller, &body).await;
    after_change(&req, &state, &caller, List::Users, done, |u| {
        format!("User {} created.", u.user_id)
    })
    .await
}

/// `POST /ui/admin/users/{id}/delete`.
pub(crate) async fn delete_user(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let done = users::delete_user(&req, &state, &caller, &id).await;
    after_change(&req, &state, &caller, List::Users, done, |()| {
        format!("User {id} deleted.")
    })
    .await
}

pub struct RoleRow {
    pub id: String,
    pub description: String,
    pub privileges: String,
    pub roles: String,
    pub read_only: bool,
}

#[derive(Template)]
#[template(path = "ui/roles.html")]
struct RolesPage {
    chrome: Chrome,
    roles: Vec<RoleRow>,
    role_ids: Vec<String>,
    error: Option<String>,
}

async fn roles_page(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    error: Option<String>,
) -> Result<HttpResponse, UiError> {
    let policy = state.security.policy();
    let roles = policy
        .roles()
        .into_iter()
        .map(|r| RoleRow {
            id: r.id.clone(),
            description: r.description.clone(),
            privileges: r.privileges.join(", "),
            roles: r.roles.join(", "),
            read_only: r.read_only,
        })
        .collect();
    let status = StatusCode::OK;
    let page = RolesPage {
        chrome: Chrome::new(req, state, caller, "Roles", "roles").await,
        roles,
        role_ids: policy.roles().iter().map(|r| r.id.clone()).collect(),
        error,
    };
    render_status(&page, status)
}

/// `GET /ui/admin/roles`.
pub(crate) async fn roles_list(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    roles_page(&req, &state, &caller, None).await
}

/// `POST /ui/admin/roles`: creates a role; privileges one per line or comma-separated.
pub(crate) async fn create_role(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let privileges: Vec<&str> = field(&form, "privileges")
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let contained = fields(&form, "roles");
    let body = json!({
        "id": field(&form, "id"), "name": field(&form, "id"),
        "description": field(&form, "description"), "privileges": privileges, "roles": contained,
    });
    let done = roles::create_role(&req, &state, &caller, &body).await;
    after_change(&req, &state, &caller, List::Roles, done, |r| {
        format!("Role {} created.", r.id)
    })
    .await
}

/// `POST /ui/admin/roles/{id}/delete`.
pub(crate) async fn delete_role(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let done = roles::delete_role(&req, &state, &caller, &id).await;
    after_change(&req, &state, &caller, List::Roles, done, |()| {
        format!("Role {id} deleted.")
    })
    .await
}

#[derive(Template)]
#[template(path = "ui/anonymous.html")]
struct AnonymousPage {
    chrome: Chrome,
    enabled: bool,
    user_id: String,
}

/// `GET /ui/admin/anonymous`.
pub(crate) async fn anonymous(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    let s = state.security.anonymous_settings();
    let page = AnonymousPage {
        chrome: Chrome::new(&req, &state, &caller, "Anonymous access", "anonymous").await,
        enabled: s.enabled,
        user_id: s.user_id,
    };
    render(&page)
}

/// `POST /ui/admin/anonymous`.
pub(crate) async fn set_anonymous(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let mut s = state.security.anonymous_settings();
    s.enabled = !field(&form, "enabled").is_empty();
    state.security.set_anonymous_settings(&s).await?;
    crate::rest::audit(
        &req,
        &state,
        &caller,
        if s.enabled {
            "anonymous.enable"
        } else {
            "anonymous.disable"
        },
        &s.user_id,
    );
    Ok(see_other(&with_notice(
        "/ui/admin/anonymous",
        if s.enabled {
            "Anonymous access is on."
        } else {
            "Anonymous access is off."
        },
    )))
}

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
}

#[derive(Template)]
#[template(path = "ui/tokens.html")]
struct TokensPage {
    chrome: Chrome,
    user: String,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    error: Option<String>,
}

async fn tokens_page(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    new_token: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse, UiError> {
    let me = caller.user()?.user_id.clone();
    let tokens = state
        .services
        .catalogue
        .list_user_tokens(&me)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            created: stowage_core::rfc3339(t.created),
            expires: t.expires.map_or("never".into(), stowage_core::rfc3339),
            last_used: t.last_used.map_or("never".into(), stowage_core::rfc3339),
            id: t.id,
            name: t.name,
        })
        .collect();
    let status = StatusCode::OK;
    let page = TokensPage {
        chrome: Chrome::new(req, state, caller, "My tokens", "tokens").await,
        user: me,
        tokens,
        new_token,
        error,
    };
    render_status(&page, status)
}

/// `GET /ui/tokens`: one's own user tokens.
pub(crate) async fn tokens(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> Result<HttpResponse, UiError> {
    tokens_page(&req, &state, &caller, None, None).await
}

/// `POST /ui/tokens`: a new token, shown this once.
pub(crate) async fn create_token(
    req: HttpRequest,
    state: State,
    caller: Caller,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let me = caller.user()?.user_id.clone();
    let days = field(&form, "days").trim();
    let body = json!({"name": field(&form, "name"), "expiresInDays": if days.is_empty() { Value::Null } else { json!(days) }});
    match user_tokens::create_token(&req, &state, &caller, &me, &body).await {
        Ok((_, secret)) => tokens_page(&req, &state, &caller, Some(secret), None).await,
        Err(e @ CoreError::Invalid { .. }) => {
            tokens_page(&req, &state, &caller, None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /ui/tokens/{id}/revoke`.
pub(crate) async fn revoke_token(
    req: HttpRequest,
    state: State,
    caller: Caller,
    id: web::Path<String>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, UiError> {
    csrf_of(&req, &form)?;
    let me = caller.user()?.user_id.clone();
    user_tokens::revoke_token(&req, &state, &caller, &me, &id).await?;
    Ok(see_other(&with_notice("/ui/tokens", "Token revoked.")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use stowage_core::model::RepoKind;

    /// A recipe with a proxy's form, to drive the form machinery.
    struct ProxyForm;

    #[async_trait::async_trait(?Send)]
    impl Recipe for ProxyForm {
        fn format(&self) -> &'static str {
            "test"
        }
        fn kind(&self) -> RepoKind {
            RepoKind::Proxy
        }
        fn form(&self) -> &'static [FieldSpec] {
            const FORM: &[FieldSpec] = &[
                f("proxy.remoteUrl", "Remote", Input::Text, ""),
                f("negativeCache.enabled", "Negative cache", Input::Check, ""),
                f(
                    "httpClient.authentication.username",
                    "User",
                    Input::Text,
                    "",
                ),
                f(
                    "httpClient.authentication.password",
                    "Password",
                    Input::Password,
                    "",
                ),
            ];
            FORM
        }
        fn parse_request(
            &self,
            _: &Value,
        ) -> stowage_core::Result<stowage_core::format::RepositorySpec> {
            Err(CoreError::Internal("not used".into()))
        }
        async fn handle(
            &self,
            _: stowage_core::format::ContentContext,
            _: HttpRequest,
            _: web::Payload,
        ) -> stowage_core::Result<HttpResponse> {
            Err(CoreError::Internal("not used".into()))
        }
    }

    #[test]
    fn an_edit_form_keeps_what_it_does_not_show() {
        let mut stored = json!({
            "httpClient": {"blocked": true, "connection": {"timeout": 30},
                           "authentication": {"type": "username", "username": "u", "password": "#~NXRM~PLACEHOLDER~PASSWORD~#"}},
            "proxy": {"remoteUrl": "http://old", "metadataMaxAge": 5},
        });
        let form: Fields = vec![
            ("proxy.remoteUrl".into(), "http://new".into()),
            ("httpClient.authentication.username".into(), "u".into()),
            ("httpClient.authentication.password".into(), String::new()),
        ];
        overlay(&mut stored, body_of(&ProxyForm, &form));
        assert_eq!(stored["proxy"]["remoteUrl"], "http://new");
        assert_eq!(
            stored["httpClient"]["blocked"], true,
            "not on the form: kept"
        );
        assert_eq!(stored["httpClient"]["connection"]["timeout"], 30);
        assert_eq!(stored["httpClient"]["authentication"]["username"], "u");
        // The empty password is turned back into the stored one by the update.
        assert_eq!(stored["httpClient"]["authentication"]["password"], "");
        assert_eq!(
            stored["negativeCache"]["enabled"], false,
            "an unchecked box is false"
        );
    }
}
