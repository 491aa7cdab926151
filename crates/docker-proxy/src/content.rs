//! What a docker proxy repository has, for its own `GET`/`HEAD` handlers and for the groups it
//! is a member of: what is cached, else what the upstream answers (fetched and cached). An
//! upstream that cannot answer is an error (`UNAVAILABLE`, `TOOMANYREQUESTS`), one that does
//! not have it `None`.

use crate::DockerProxyRecipe;
use crate::serve;
use actix_web::HttpRequest;
use std::sync::Arc;
use stowage_core::format::ContentContext;
use stowage_docker::content::{DockerContent, Hit, Referrers};
use stowage_docker::http::Failure;
use stowage_docker::{Digest, ImageName, Reference};

impl DockerProxyRecipe {
    /// The upstream of `ctx.repository`.
    pub(crate) fn upstream(
        &self,
        ctx: &ContentContext,
    ) -> Result<Arc<crate::upstream::Upstream>, Failure> {
        self.upstreams
            .for_repository(&ctx.repository)
            .map_err(Failure::Core)
    }
}

#[async_trait::async_trait(?Send)]
impl DockerContent for DockerProxyRecipe {
    async fn manifest(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
        reference: &Reference,
    ) -> Result<Option<Hit>, Failure> {
        serve::find_manifest(ctx, req, &self.upstream(ctx)?, image, reference).await
    }

    async fn blob(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
        digest: &Digest,
    ) -> Result<Option<Hit>, Failure> {
        serve::find_blob(ctx, req, &self.upstream(ctx)?, image, digest).await
    }

    async fn tags(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
    ) -> Result<Option<Vec<String>>, Failure> {
        serve::tag_names(ctx, req, &self.upstream(ctx)?, image).await
    }

    /// A proxy keeps no referrers: a group asks its other members.
    async fn referrers(
        &self,
        _ctx: &ContentContext,
        _req: &HttpRequest,
        _image: &ImageName,
        _subject: &Digest,
    ) -> Result<Option<Referrers>, Failure> {
        Ok(None)
    }
}
