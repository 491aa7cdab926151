//! `/ui/upload`: the Upload form, streaming each file into a repository that takes uploads.

#[allow(unused_imports)]
use super::*;
use crate::auth::{Caller, client_ip};
use crate::rest::assets::require_on;
use crate::state::State;
use crate::ui::{Chrome, UiError, check_csrf, render, see_other, with_notice};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::BTreeMap;
use stowage_core::CoreError;
use stowage_core::format::ContentContext;
use stowage_core::model::Repository;
use stowage_core::security::Action;

#[derive(Template)]
#[template(path = "ui/upload.html")]
pub(super) struct UploadPage {
    chrome: Chrome,
    repositories: Vec<String>,
    selected: String,
    error: Option<String>,
}

/// Repositories that take uploads and that the caller may add to.
pub(super) fn upload_targets(state: &State, caller: &Caller, repos: &[Repository]) -> Vec<String> {
    repos
        .iter()
        .filter(|r| {
            state
                .services
                .formats
                .get(&r.format, r.kind)
                .is_some_and(|rc| rc.supports_upload())
                && may(caller, r, Action::Add)
        })
        .map(|r| r.name.clone())
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct UploadQuery {
    #[serde(default)]
    repository: String,
}

/// `GET /ui/upload`.
pub(crate) async fn upload_form(
    req: HttpRequest,
    state: State,
    caller: Caller,
    query: web::Query<UploadQuery>,
) -> Result<HttpResponse, UiError> {
    let repos = state.services.catalogue.list_repositories().await?;
    let page = UploadPage {
        chrome: Chrome::new(&req, &state, &caller, "Upload", "upload").await,
        repositories: upload_targets(&state, &caller, &repos),
        selected: query.repository.clone(),
        error: None,
    };
    render(&page)
}

/// `POST /ui/upload` (multipart): fields `csrf`, `repository`, `directory`, then one or more
/// `file` parts, each streamed into the repository as it arrives.
pub(crate) async fn upload(
    req: HttpRequest,
    state: State,
    caller: Caller,
    mut form: actix_multipart::Multipart,
) -> Result<HttpResponse, UiError> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut stored = Vec::new();
    let mut target: Option<(Repository, std::sync::Arc<dyn stowage_core::format::Recipe>)> = None;
    while let Some(field) = form.next().await {
        let mut field = field
            .map_err(|e| CoreError::invalid("file", format!("the form could not be read: {e}")))?;
        let name = field.name().unwrap_or("").to_owned();
        if name != "file" {
            let mut value = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| CoreError::invalid(&name, e.to_string()))?;
                if value.len() + chunk.len() > 64 * 1024 {
                    return Err(CoreError::invalid(&name, "is too long").into());
                }
                value.extend_from_slice(&chunk);
            }
            fields.insert(name, String::from_utf8_lossy(&value).into_owned());
            continue;
        }
        // The text fields come first in the form, so they are known by the first file.
        if target.is_none() {
            check_csrf(&req, fields.get("csrf").map_or("", String::as_str))?;
            let repo_name = fields.get("repository").cloned().unwrap_or_default();
            let repo = state
                .services
                .catalogue
                .find_repository(&repo_name)
                .await?
                .ok_or_else(|| CoreError::invalid("repository", "choose a repository"))?;
            require_on(&caller, &repo, Action::Add)?;
            let recipe = state
                .services
                .formats
                .get(&repo.format, repo.kind)
                .cloned()
                .filter(|r| r.supports_upload())
                .ok_or_else(|| {
                    CoreError::invalid("repository", "this repository does not take uploads")
                })?;
            target = Some((repo, recipe));
        }
        let Some((repo, recipe)) = &target else {
            continue;
        };
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f).to_owned())
            .filter(|f| !f.is_empty());
        let Some(file_name) = file_name else {
            // An empty file input: nothing chosen.
            while field.next().await.is_some() {}
            continue;
        };
        let dir = fields
            .get("directory")
            .map(|d| d.trim().trim_matches('/').to_owned())
            .unwrap_or_default();
        let path = if dir.is_empty() {
            file_name
        } else {
            format!("{dir}/{file_name}")
        };
        let ctx = ContentContext {
            repository: repo.clone(),
            path: path.clone(),
            mount: format!("/repository/{}", repo.name),
            principal: caller.0.clone(),
            client_ip: Some(client_ip(&req)),
            services: state.services.clone(),
        };
        let body = field
            .map(|c| c.map_err(|e| std::io::Error::other(e.to_string())))
            .boxed_local();
        recipe.upload(&ctx, &path, body).await?;
        crate::rest::audit(
            &req,
            &state,
            &caller,
            "asset.upload",
            &format!("{}/{path}", repo.name),
        );
        stored.push(path);
    }
    let Some((repo, _)) = target else {
        let repos = state.services.catalogue.list_repositories().await?;
        let page = UploadPage {
            chrome: Chrome::new(&req, &state, &caller, "Upload", "upload").await,
            repositories: upload_targets(&state, &caller, &repos),
            selected: fields.get("repository").cloned().unwrap_or_default(),
            error: Some("Choose at least one file to upload.".into()),
        };
        return render(&page);
    };
    let dir = stored
        .first()
        .and_then(|p| p.rsplit_once('/'))
        .map(|(d, _)| format!("{}/", encode(d)))
        .unwrap_or_default();
    Ok(see_other(&with_notice(
        &format!("/ui/browse/{}/{dir}", repo.name),
        &format!("Uploaded {}.", stored.join(", ")),
    )))
}
