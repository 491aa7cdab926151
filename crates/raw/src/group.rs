//! Raw group repositories: members asked in order, the first that has the file serves it; a
//! failing member is skipped (see `stowage_core::group::resolve`).

use crate::attributes::RawRepositoryRequest;
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::format::{ContentContext, Recipe, RepositorySpec, Services};
use stowage_core::group::{
    Resolution, check_members, describe_failures, parse_member_names, resolve,
};
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

    fn form(&self) -> &'static [stowage_core::format::ui::FieldSpec] {
        crate::form::GROUP
    }

    fn parse_request(&self, body: &Value) -> Result<RepositorySpec> {
        let request = RawRepositoryRequest::read(body);
        let (name, online, blob_store) = request.common.validate_common()?;
        let members = parse_member_names(&request.common.group)?;
        Ok(RepositorySpec {
            name,
            online,
            attributes: json!({
                "storage": {"blobStoreName": blob_store, "strictContentTypeValidation": true},
                "group": {"memberNames": members},
                "raw": {"contentDisposition": request.raw.parse_content_disposition()?},
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
        // Members in order; a failing one (a proxy whose remote is down) is skipped.
        match resolve(&ctx, &req).await? {
            Resolution::Found(resp) => Ok(resp),
            Resolution::Missing => Err(CoreError::NotFound(format!(
                "'{}' in any member of '{}'",
                ctx.path, ctx.repository.name
            ))),
            Resolution::Unavailable(failures) => Ok(HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body(format!(
                    "no member of '{}' could answer for '{}': {}\n",
                    ctx.repository.name,
                    ctx.path,
                    describe_failures(&failures)
                ))),
        }
    }
}
