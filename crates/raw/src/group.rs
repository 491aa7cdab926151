//! Raw group repositories: members asked in order, the first that has the file serves it.

use crate::hosted::content_disposition;
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::format::{ContentContext, Recipe, RepositorySpec, Services, parse_common};
use stowage_core::group::{check_members, member_names, no_body, parse_member_names};
use stowage_core::model::RepoKind;
use stowage_core::{CoreError, Result};

/// `raw-group`.
pub struct RawGroupRecipe;

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
        let members = parse_member_names(body)?;
        Ok(RepositorySpec {
            name,
            online,
            attributes: json!({
                "storage": {"blobStoreName": blob_store, "strictContentTypeValidation": true},
                "group": {"memberNames": members},
                "raw": {"contentDisposition": content_disposition(body)?},
            }),
            blob_store,
        })
    }

    fn public_attributes(&self, attributes: &Value) -> Value {
        // Nexus always shows `raw`; groups saved before it was kept have none.
        let mut shown = attributes.clone();
        if let Some(o) = shown.as_object_mut() {
            o.entry("raw")
                .or_insert_with(|| json!({"contentDisposition": "ATTACHMENT"}));
        }
        shown
    }

    async fn check(&self, services: &Services, name: &str, spec: &RepositorySpec) -> Result<()> {
        check_members(services, name, "raw", &spec.attributes).await
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
        for name in member_names(&ctx.repository.attributes) {
            let Some(member) = ctx.services.catalogue.find_repository(&name).await? else {
                continue;
            };
            let resp = match router.serve(member, &ctx, &req, no_body(&req)?).await {
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
