//! What a docker hosted repository has, for its own `GET`/`HEAD` handlers and for the groups it
//! is a member of: what is stored, nothing else.

use crate::{DockerHostedRecipe, blobs, manifests};
use actix_web::HttpRequest;
use stowage_core::format::ContentContext;
use stowage_docker::content::{DockerContent, Hit, Referrers};
use stowage_docker::http::Failure;
use stowage_docker::{Digest, ImageName, Reference};

#[async_trait::async_trait(?Send)]
impl DockerContent for DockerHostedRecipe {
    async fn manifest(
        &self,
        ctx: &ContentContext,
        _req: &HttpRequest,
        image: &ImageName,
        reference: &Reference,
    ) -> Result<Option<Hit>, Failure> {
        let found = manifests::find(ctx, image, reference).await?;
        Ok(found.map(|asset| Hit::stored(ctx, asset)))
    }

    async fn blob(
        &self,
        ctx: &ContentContext,
        _req: &HttpRequest,
        _image: &ImageName,
        digest: &Digest,
    ) -> Result<Option<Hit>, Failure> {
        let found = blobs::find(ctx, digest).await?;
        Ok(found.map(|asset| Hit::stored(ctx, asset)))
    }

    async fn tags(
        &self,
        ctx: &ContentContext,
        _req: &HttpRequest,
        image: &ImageName,
    ) -> Result<Option<Vec<String>>, Failure> {
        manifests::tag_names(ctx, image).await
    }

    async fn referrers(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
        subject: &Digest,
    ) -> Result<Option<Referrers>, Failure> {
        manifests::referrers(ctx, req, image, subject)
            .await
            .map(Some)
    }
}
