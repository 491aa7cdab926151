//! Raw group repositories: members asked in order, the first that has the file serves it.

use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::format::{ContentContext, Recipe, RepositorySpec, Services, parse_common};
use stowage_core::model::RepoKind;
use stowage_core::{CoreError, Result};

/// `raw-group`.
pub struct RawGroupRecipe;

fn members_of(attributes: &Value) -> Vec<String> {
    attributes
        .pointer("/group/memberNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

#[async_trait::async_trait(?Send)]
impl Recipe for RawGroupRecipe {
    fn format(&self) -> &'static str {
        "raw"
    }

    fn kind(&self) -> RepoKind {
        RepoKind::Group
    }

    fn parse_request(&self, body: &Value) -> Result<RepositorySpec> {
        let (name, online, blob_store) = parse_common(body)?;
        let members: Vec<String> = match body.pointer("/group/memberNames") {
            Some(Value::Array(a)) if !a.is_empty() => a
                .iter()
                .map(|m| {
                    m.as_str().map(str::to_owned).ok_or_else(|| {
                        CoreError::invalid(
                            "group.memberNames",
                            "must be a list of repository names",
                        )
                    })
                })
                .collect::<Result<_>>()?,
            _ => {
                return Err(CoreError::invalid(
                    "group.memberNames",
                    "is required (a list of at least one repository name)",
                ));
            }
        };
        Ok(RepositorySpec {
            name,
            online,
            attributes: json!({
                "storage": {"blobStoreName": blob_store, "strictContentTypeValidation": true},
                "group": {"memberNames": members},
            }),
            blob_store,
        })
    }

    async fn check(&self, services: &Services, name: &str, spec: &RepositorySpec) -> Result<()> {
        for m in members_of(&spec.attributes) {
            if m == name {
                return Err(CoreError::invalid(
                    "group.memberNames",
                    "a group cannot contain itself",
                ));
            }
            let mut todo = vec![m.clone()];
            let mut seen = std::collections::HashSet::new();
            while let Some(r) = todo.pop() {
                if !seen.insert(r.clone()) {
                    continue;
                }
                let Some(repo) = services.catalogue.find_repository(&r).await? else {
                    return Err(CoreError::invalid(
                        "group.memberNames",
                        format!("repository '{r}' does not exist"),
                    ));
                };
                if repo.format != "raw" {
                    return Err(CoreError::invalid(
                        "group.memberNames",
                        format!(
                            "'{r}' is a {} repository; a raw group holds raw repositories",
                            repo.format
                        ),
                    ));
                }
                for inner in members_of(&repo.attributes) {
                    if inner == name {
                        return Err(CoreError::invalid(
                            "group.memberNames",
                            format!("'{m}' contains '{name}', which would make a cycle"),
                        ));
                    }
                    todo.push(inner);
                }
            }
        }
        Ok(())
    }

    async fn handle(
        &self,
        ctx: ContentContext,
        req: HttpRequest,
        _body: web::Payload,
    ) -> Result<HttpResponse> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            return Ok(HttpResponse::MethodNotAllowed()
                .insert_header((actix_web::http::header::ALLOW, "GET, HEAD"))
                .body(format!(
                    "'{}' is a group: upload to one of its members\n",
                    ctx.repository.name
                )));
        }
        let router = ctx.services.member_router()?;
        // A member that fails (a proxy whose remote is down) does not hide the members after it.
        let mut failed = None;
        for name in members_of(&ctx.repository.attributes) {
            let Some(member) = ctx.services.catalogue.find_repository(&name).await? else {
                continue;
            };
            let mut none = actix_web::dev::Payload::None;
            let body = web::Payload::from_request(&req, &mut none)
                .into_inner()
                .map_err(|e| CoreError::Internal(format!("an empty body: {e}")))?;
            let resp = match router.serve(member, &ctx, &req, body).await {
                Ok(r) => r,
                // A member that does not have it answers NotFound: ask the next.
                Err(CoreError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            if resp.status().is_server_error() {
                failed.get_or_insert(resp);
            } else if resp.status() != StatusCode::NOT_FOUND {
                return Ok(resp);
            }
        }
        match failed {
            Some(resp) => Ok(resp),
            None => Err(CoreError::NotFound(format!(
                "'{}' in any member of '{}'",
                ctx.path, ctx.repository.name
            ))),
        }
    }
}
