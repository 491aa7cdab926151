//! What a docker group has: its members' content, asked through their [`DockerContent`] in
//! order, the first member that has it answering (`stowage_core::group::first_answer`); tag
//! lists merged from every member. A group in a group answers the same way.

use crate::DockerGroupRecipe;
use crate::recipe::unavailable;
use actix_web::HttpRequest;
use std::collections::BTreeSet;
use stowage_core::CoreError;
use stowage_core::format::ContentContext;
use stowage_core::group::{Answer, MemberError, Resolution, ask, first_answer, members};
use stowage_docker::content::{DockerContent, Hit, Referrers};
use stowage_docker::http::Failure;
use stowage_docker::{Digest, ImageName, Reference};
use stowage_docker_hosted::DockerHostedRecipe;
use stowage_docker_proxy::DockerProxyRecipe;

/// The content operations of `ctx.repository`: its recipe (the one the server registered,
/// with its state, such as a proxy's upstream clients) as the docker type it is.
fn content_of(ctx: &ContentContext) -> Result<&dyn DockerContent, Failure> {
    let recipe = ctx.services.formats.recipe_of(&ctx.repository)?;
    let any = recipe.content();
    if let Some(r) = any.and_then(|a| a.downcast_ref::<DockerHostedRecipe>()) {
        return Ok(r);
    }
    if let Some(r) = any.and_then(|a| a.downcast_ref::<DockerProxyRecipe>()) {
        return Ok(r);
    }
    if let Some(r) = any.and_then(|a| a.downcast_ref::<DockerGroupRecipe>()) {
        return Ok(r);
    }
    Err(Failure::Core(CoreError::Internal(format!(
        "repository '{}' ({}-{}) serves no docker content",
        ctx.repository.name,
        ctx.repository.format,
        ctx.repository.kind.as_str()
    ))))
}

/// What the members made of a read: the first member's content, `None` when no member that
/// answered has it, the group's 503 when none answered.
fn found<T>(ctx: &ContentContext, resolution: Resolution<T>) -> Result<Option<T>, Failure> {
    match resolution {
        Resolution::Found(t) => Ok(Some(t)),
        Resolution::Missing => Ok(None),
        Resolution::Unavailable(failures) => Err(Failure::Response(Box::new(unavailable(
            &ctx.repository.name,
            failures,
        )))),
    }
}

#[async_trait::async_trait(?Send)]
impl DockerContent for DockerGroupRecipe {
    async fn manifest(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
        reference: &Reference,
    ) -> Result<Option<Hit>, Failure> {
        let resolution = first_answer(ctx, |m| async move {
            let found = content_of(&m)?.manifest(&m, req, image, reference).await;
            found.map_err(MemberError::from)
        })
        .await?;
        found(ctx, resolution)
    }

    async fn blob(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
        digest: &Digest,
    ) -> Result<Option<Hit>, Failure> {
        let resolution = first_answer(ctx, |m| async move {
            let found = content_of(&m)?.blob(&m, req, image, digest).await;
            found.map_err(MemberError::from)
        })
        .await?;
        found(ctx, resolution)
    }

    /// Every member's tags, merged and sorted; `None` when no member has the image; the
    /// group's 503 when no member answered.
    async fn tags(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
    ) -> Result<Option<Vec<String>>, Failure> {
        let mut tags = BTreeSet::new();
        let mut found = false;
        let mut answered = false;
        let mut failures = Vec::new();
        for member in members(ctx).await? {
            let answer = ask(ctx, member, |m| async move {
                let listed = content_of(&m)?.tags(&m, req, image).await;
                listed.map_err(MemberError::from)
            })
            .await?;
            match answer {
                Answer::Has(listed) => {
                    answered = true;
                    found = true;
                    tags.extend(listed);
                }
                Answer::Lacks => answered = true,
                Answer::Failed(f) => failures.push(f),
            }
        }
        if !answered && !failures.is_empty() {
            return Err(Failure::Response(Box::new(unavailable(
                &ctx.repository.name,
                failures,
            ))));
        }
        Ok(found.then(|| tags.into_iter().collect()))
    }

    async fn referrers(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
        subject: &Digest,
    ) -> Result<Option<Referrers>, Failure> {
        let resolution = first_answer(ctx, |m| async move {
            let found = content_of(&m)?.referrers(&m, req, image, subject).await;
            found.map_err(MemberError::from)
        })
        .await?;
        found(ctx, resolution)
    }
}
