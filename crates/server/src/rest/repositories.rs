//! `/v1/repositories`: list, read, create, update and delete repositories of any registered
//! format. Format-specific request bodies are validated by the format's recipe.
//!
//! Just over 400 lines: create, update and delete are shared with the admin UI (port claims,
//! kept secrets, the rollback of a listener), and 25 of the lines are unit tests.

use super::{RestResult, audit, base_url, json_body};
use crate::auth::Caller;
use crate::state::State;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::sync::Arc;
use stowage_core::CoreError;
use stowage_core::format::{Recipe, SECRET_PLACEHOLDER};
use stowage_core::model::{RepoKind, Repository};
use stowage_core::names::same_repository;
use stowage_core::security::privileges::REPOSITORY_ACTIONS;

use stowage_core::security::{Action, Permission};

fn url_of(req: &HttpRequest, repo: &Repository) -> String {
    format!("{}/repository/{}", base_url(req), repo.name)
}

/// Fails unless the caller holds `nx-repository-admin-<format>-<name>-<action>`.
pub(crate) fn require_admin(
    caller: &Caller,
    format: &str,
    name: &str,
    action: Action,
) -> Result<(), CoreError> {
    caller
        .require(Permission::RepositoryAdmin {
            format,
            repository: name,
            action,
        })
        .map(|_| ())
}

pub(crate) async fn list(
    req: HttpRequest,
    state: State,
    caller: Caller,
) -> RestResult<HttpResponse> {
    let principal = caller.principal()?;
    let catalogue = &state.services.catalogue;
    let mut out = Vec::new();
    for repo in catalogue.list_repositories().await? {
        let may_browse = principal.permits(&Permission::RepositoryView {
            format: &repo.format,
            repository: &repo.name,
            action: Action::Browse,
        });
        if !may_browse {
            continue;
        }
        out.push(json!({
            "name": repo.name,
            "format": repo.format,
            "type": repo.kind.as_str(),
            "url": url_of(&req, &repo),
            "online": repo.online,
            "size": catalogue.repository_size(&repo.id).await?,
            "attributes": {},
        }));
    }
    Ok(HttpResponse::Ok().json(out))
}

pub(crate) async fn get_one(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
) -> RestResult<HttpResponse> {
    let repo = state.services.catalogue.repository(&name).await?;
    require_admin(&caller, &repo.format, &repo.name, Action::Read)?;
    Ok(HttpResponse::Ok().json(json!({
        "name": repo.name,
        "format": repo.format,
        "type": repo.kind.as_str(),
        "url": url_of(&req, &repo),
        "online": repo.online,
    })))
}

pub(crate) async fn delete(
    req: HttpRequest,
    state: State,
    caller: Caller,
    name: web::Path<String>,
) -> RestResult<HttpResponse> {
    delete_repository(&req, &state, &caller, &name).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes repository `name` for `caller` (who needs `nx-repository-admin-<format>-<name>-delete`)
/// with its content records, port and privileges. Shared by REST and the UI.
pub(crate) async fn delete_repository(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    name: &str,
) -> Result<(), CoreError> {
    let catalogue = &state.services.catalogue;
    let repo = catalogue.repository(name).await?;
    require_admin(caller, &repo.format, &repo.name, Action::Delete)?;
    catalogue.delete_repository(&repo.name).await?;
    state.connectors.close(&repo.name).await;
    // Its built-in privileges go with it, from every role too: a later repository of the
    // same name starts with no grants.
    let gone: Vec<String> = ["view", "admin"]
        .iter()
        .flat_map(|family| {
            let repo = &repo;
            REPOSITORY_ACTIONS.iter().chain(&["*"]).map(move |action| {
                format!(
                    "nx-repository-{family}-{}-{}-{action}",
                    repo.format, repo.name
                )
            })
        })
        .collect();
    catalogue.remove_privileges_from_roles(&gone).await?;
    // Custom privileges naming it go too, for the same reason.
    let custom: Vec<String> = state
        .security
        .policy()
        .privileges()
        .into_iter()
        .filter(|p| {
            !p.read_only
                && p.kind
                    .repository()
                    .is_some_and(|r| same_repository(r, &repo.name))
        })
        .map(|p| p.name.clone())
        .collect();
    for privilege in &custom {
        catalogue.delete_privilege(privilege).await?;
    }
    state.security.refresh().await?;
    audit(req, state, caller, "repository.delete", name);
    tracing::info!(repo = %name, "repository deleted");
    Ok(())
}

fn recipe_for(state: &State, format: &str, kind: &str) -> Result<Arc<dyn Recipe>, CoreError> {
    RepoKind::parse(kind)
        .and_then(|k| state.services.formats.get(format, k))
        .cloned()
        .ok_or_else(|| CoreError::NotFound(format!("repository type {format}/{kind}")))
}

pub(crate) async fn create(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let (format, kind) = path.into_inner();
    // The route checked the caller; an unknown repository type is 404 before the body is read.
    recipe_for(&state, &format, &kind)?;
    create_repository(&req, &state, &caller, &format, &kind, &json_body(&body)?).await?;
    Ok(HttpResponse::Created().finish())
}

/// Creates a `format`/`kind` repository from a Nexus request body, for `caller` (who needs
/// `nx-repository-admin-<format>-*-add`): its port opened, its privileges in effect, audited.
/// Nothing is saved when anything fails. Shared by REST and the UI.
pub(crate) async fn create_repository(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    format: &str,
    kind: &str,
    body: &Value,
) -> Result<Repository, CoreError> {
    require_admin(caller, format, "*", Action::Add)?;
    let recipe = recipe_for(state, format, kind)?;
    let spec = recipe.parse_request(body)?;
    recipe
        .check(&state.services, spec.name.as_str(), &spec)
        .await?;
    if state.services.blob_store(&spec.blob_store).await.is_err() {
        return Err(CoreError::invalid(
            "storage.blobStoreName",
            format!("blob store '{}' does not exist", spec.blob_store),
        ));
    }
    let repo = Repository {
        id: String::new(),
        name: spec.name.to_string(),
        format: recipe.format().to_owned(),
        kind: recipe.kind(),
        online: spec.online,
        blob_store: spec.blob_store,
        attributes: spec.attributes,
        created_at: 0,
    };
    // Checked before a port is claimed: listeners are keyed by repository name, so a
    // duplicate must not touch the existing repository's listener.
    if let Some(existing) = state.services.catalogue.find_repository(&repo.name).await? {
        return Err(CoreError::invalid(
            "name",
            if existing.name == repo.name {
                format!("a repository named '{}' already exists", repo.name)
            } else {
                format!(
                    "a repository named '{}' already exists; names that differ only in case \
                     name the same repository",
                    existing.name
                )
            },
        ));
    }
    let port = recipe.connector_port(&repo.attributes);
    if let Some(port) = port {
        claim_port(state, port, &repo).await?;
    }
    let repo = match state.services.catalogue.create_repository(&repo).await {
        Ok(r) => r,
        Err(e) => {
            if port.is_some() {
                state.connectors.close(&repo.name).await;
            }
            return Err(e);
        }
    };
    state.security.refresh().await?;
    audit(req, state, caller, "repository.create", &repo.name);
    tracing::info!(repo = %repo.name, format = %format, kind = %kind, "repository created");
    Ok(repo)
}

/// `body` with the stored upstream secrets put back where it repeats the placeholder the API
/// shows instead of them, or leaves them empty (as Nexus does on update).
fn keep_stored_secrets(body: &Value, stored: &Value) -> Value {
    let mut body = body.clone();
    for key in ["password", "bearerToken"] {
        let ptr = format!("/httpClient/authentication/{key}");
        let given = body.pointer(&ptr).and_then(Value::as_str);
        let keep = given.is_none_or(|g| g.is_empty() || g == SECRET_PLACEHOLDER);
        if keep
            && let Some(old) = stored.pointer(&ptr).cloned()
            && let Some(slot) = body.pointer_mut("/httpClient/authentication")
            && slot.is_object()
        {
            slot[key] = old;
        }
    }
    body
}

/// Opens `port` for `repo`, unless another repository already has it or it cannot be bound
/// (400 naming the recipe's port field either way).
async fn claim_port(state: &State, port: u16, repo: &Repository) -> Result<(), CoreError> {
    let name = repo.name.as_str();
    let field = state.services.formats.recipe_of(repo)?.connector_field();
    for other in state.services.catalogue.list_repositories().await? {
        let taken = !same_repository(&other.name, name)
            && state
                .services
                .formats
                .get(&other.format, other.kind)
                .and_then(|r| r.connector_port(&other.attributes))
                == Some(port);
        if taken {
            return Err(CoreError::invalid(
                field,
                format!("port {port} is already used by repository '{}'", other.name),
            ));
        }
    }
    let ip = state.services.config.listen_addr().ip();
    state.connectors.open(state, repo, ip, port)
}

pub(crate) async fn typed_repository(
    state: &State,
    format: &str,
    kind: &str,
    name: &str,
) -> Result<Repository, CoreError> {
    let repo = state.services.catalogue.repository(name).await?;
    if repo.format != format || repo.kind.as_str() != kind {
        return Err(CoreError::NotFound(format!(
            "{format} {kind} repository '{name}'"
        )));
    }
    Ok(repo)
}

pub(crate) async fn get_typed(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(String, String, String)>,
) -> RestResult<HttpResponse> {
    let (format, kind, name) = path.into_inner();
    require_admin(&caller, &format, &name, Action::Read)?;
    let repo = typed_repository(&state, &format, &kind, &name).await?;
    let mut out = json!({
        "name": repo.name,
        "format": repo.format,
        "type": repo.kind.as_str(),
        "url": url_of(&req, &repo),
        "online": repo.online,
    });
    let recipe = recipe_for(&state, &format, &kind)?;
    let shown = recipe.public_attributes(&repo.attributes);
    if let (Some(o), Some(status)) = (out.as_object_mut(), recipe.status(&repo)) {
        o.insert("status".into(), status);
    }
    if let (Some(o), Value::Object(attrs)) = (out.as_object_mut(), &shown) {
        for (k, v) in attrs {
            o.insert(k.clone(), v.clone());
        }
    }
    Ok(HttpResponse::Ok().json(out))
}

pub(crate) async fn update(
    req: HttpRequest,
    state: State,
    caller: Caller,
    path: web::Path<(String, String, String)>,
    body: web::Bytes,
) -> RestResult<HttpResponse> {
    let (format, kind, name) = path.into_inner();
    recipe_for(&state, &format, &kind)?;
    update_repository(
        &req,
        &state,
        &caller,
        &format,
        &kind,
        &name,
        &json_body(&body)?,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replaces repository `name`'s settings from a Nexus request body, for `caller` (who needs
/// `nx-repository-admin-<format>-<name>-edit`), moving its port if that changed. Shared by REST
/// and the UI.
pub(crate) async fn update_repository(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    format: &str,
    kind: &str,
    name: &str,
    body: &Value,
) -> Result<(), CoreError> {
    require_admin(caller, format, name, Action::Edit)?;
    let recipe = recipe_for(state, format, kind)?;
    let mut repo = typed_repository(state, format, kind, name).await?;
    let spec = recipe.parse_request(&keep_stored_secrets(body, &repo.attributes))?;
    recipe.check(&state.services, name, &spec).await?;
    if spec.name.as_str() != repo.name {
        return Err(CoreError::invalid(
            "name",
            "cannot be changed; it must match the URL",
        ));
    }
    if spec.blob_store != repo.blob_store {
        return Err(CoreError::invalid(
            "storage.blobStoreName",
            "cannot be changed after the repository is created",
        ));
    }
    let old_port = recipe.connector_port(&repo.attributes);
    let new_port = recipe.connector_port(&spec.attributes);
    if let Some(port) = new_port.filter(|p| Some(*p) != old_port) {
        claim_port(state, port, &repo).await?;
    }
    repo.online = spec.online;
    repo.attributes = spec.attributes;
    if let Err(e) = state.services.catalogue.update_repository(&repo).await {
        // Put the listener back as it was.
        match old_port {
            Some(p) if new_port != old_port => {
                let ip = state.services.config.listen_addr().ip();
                let _ = state.connectors.open(state, &repo, ip, p);
            }
            None if new_port.is_some() => state.connectors.close(&repo.name).await,
            _ => {}
        }
        return Err(e);
    }
    if new_port.is_none() && old_port.is_some() {
        state.connectors.close(&repo.name).await;
    }
    audit(req, state, caller, "repository.update", &repo.name);
    tracing::info!(repo = %repo.name, "repository updated");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_secrets_survive_an_update_that_repeats_the_placeholder() {
        let stored = json!({"httpClient": {"authentication": {"type": "username", "username": "u", "password": "secret"}}});
        for sent in [json!(SECRET_PLACEHOLDER), json!(""), Value::Null] {
            let body = json!({"httpClient": {"authentication": {"type": "username", "username": "u", "password": sent}}});
            let kept = keep_stored_secrets(&body, &stored);
            assert_eq!(
                kept.pointer("/httpClient/authentication/password"),
                Some(&json!("secret"))
            );
        }
        let body = json!({"httpClient": {"authentication": {"type": "username", "username": "u", "password": "new"}}});
        let changed = keep_stored_secrets(&body, &stored);
        assert_eq!(
            changed.pointer("/httpClient/authentication/password"),
            Some(&json!("new"))
        );
        let none = keep_stored_secrets(&json!({"httpClient": {}}), &stored);
        assert!(none.pointer("/httpClient/authentication").is_none());
    }
}
