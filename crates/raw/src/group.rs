//! Raw group repositories: members asked in order, the first that has the file serves it; a
//! failing member is skipped (see `stowage_core::group::first_answer`).

use crate::RawPath;
use crate::attributes::RawRepositoryRequest;
use crate::content::{RawContent, RawFile, content_of, serve_file};
use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use stowage_core::format::{ContentContext, Recipe, RepositorySpec, Services};
use stowage_core::group::{
    MemberError, Resolution, check_members, describe_failures, first_answer, parse_member_names,
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
        let path = RawPath::parse(&ctx.path)?;
        match self.file(&ctx, &path).await {
            Ok(Some(file)) => serve_file(&req, &path, &file).await,
            Ok(None) => Err(CoreError::NotFound(format!(
                "'{}' in any member of '{}'",
                ctx.path, ctx.repository.name
            ))),
            Err(MemberError::Refused(resp)) => Ok(resp),
            Err(MemberError::Core(e)) => Err(e),
        }
    }

    /// A raw group in a group reads through this recipe's `RawContent`.
    fn content(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[async_trait::async_trait(?Send)]
impl RawContent for RawGroupRecipe {
    /// The file of the first member that has it (members in order; a failing one, such as a
    /// proxy whose remote is down, is skipped); a 503 naming the members when none answered.
    async fn file(
        &self,
        ctx: &ContentContext,
        path: &RawPath,
    ) -> std::result::Result<Option<RawFile>, MemberError> {
        let resolution =
            first_answer(ctx, |m| async move { content_of(&m)?.file(&m, path).await }).await?;
        match resolution {
            Resolution::Found(file) => Ok(Some(file)),
            Resolution::Missing => Ok(None),
            Resolution::Unavailable(failures) => Err(MemberError::Refused(
                HttpResponse::ServiceUnavailable()
                    .content_type("text/plain; charset=utf-8")
                    .body(format!(
                        "no member of '{}' could answer for '{}': {}\n",
                        ctx.repository.name,
                        ctx.path,
                        describe_failures(&failures)
                    )),
            )),
        }
    }
}
