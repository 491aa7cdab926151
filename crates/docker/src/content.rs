//! [`DockerContent`]: the reads a docker repository answers (manifests, blobs, tag lists,
//! referrers) as typed operations. Hosted, proxy and group repositories implement it; their
//! `GET`/`HEAD` handlers build the response from its results, and a group asks its members
//! through it (`stowage_core::group::first_answer`): "does not have it" is `Ok(None)`, "could
//! not answer" an error, never read from a response status.

use crate::errors::{ErrorCode, RegistryError};
use crate::http::{API_VERSION, Failure, RegistryResult, serve_asset, serve_manifest};
use crate::{Digest, ImageName, Reference};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::collections::HashMap;
use stowage_core::format::ContentContext;
use stowage_core::group::MemberError;
use stowage_core::model::Asset;

/// A stored manifest or blob and the repository that holds it.
pub struct Stored {
    /// The context of the repository that holds it (a group's member).
    pub ctx: ContentContext,
    /// The manifest or blob asset.
    pub asset: Asset,
}

/// A manifest or blob a repository has.
pub enum Hit {
    /// Stored content of `ctx.repository`: served as that repository serves it (ranges,
    /// conditional requests, the download recorded there).
    Stored(Box<Stored>),
    /// The response a repository made as it fetched the content (a proxy's manifest fresh from
    /// upstream, or a blob streamed while it downloads).
    Fetched(HttpResponse),
}

impl Hit {
    /// Stored content of `ctx.repository`.
    pub fn stored(ctx: &ContentContext, asset: Asset) -> Self {
        Self::Stored(Box::new(Stored {
            ctx: ctx.clone(),
            asset,
        }))
    }

    /// The response to a `GET`/`HEAD` of the manifest `image:reference`.
    pub async fn serve_manifest(
        self,
        req: &HttpRequest,
        image: &ImageName,
        reference: &Reference,
    ) -> RegistryResult {
        match self {
            Self::Stored(s) => serve_manifest(&s.ctx, req, image, reference, &s.asset).await,
            Self::Fetched(resp) => Ok(resp),
        }
    }

    /// The response to a `GET`/`HEAD` of a blob.
    pub async fn serve_blob(self, req: &HttpRequest) -> RegistryResult {
        match self {
            Self::Stored(s) => serve_asset(&s.ctx, req, &s.asset, "application/octet-stream").await,
            Self::Fetched(resp) => Ok(resp),
        }
    }
}

/// The manifests whose `subject` is a digest, as OCI index descriptors.
pub struct Referrers {
    /// The descriptors.
    pub manifests: Vec<Value>,
    /// Whether they were filtered by `artifactType`.
    pub filtered: bool,
}

impl Referrers {
    /// The OCI index a `GET …/referrers/<digest>` answers with.
    pub fn into_response(self) -> HttpResponse {
        let mut resp = HttpResponse::Ok();
        resp.insert_header(API_VERSION)
            .content_type(crate::media_types::OCI_INDEX);
        if self.filtered {
            resp.insert_header(("OCI-Filters-Applied", "artifactType"));
        }
        let body = json!({
            "schemaVersion": 2,
            "mediaType": crate::media_types::OCI_INDEX,
            "manifests": self.manifests,
        });
        resp.body(body.to_string())
    }
}

/// The reads a docker repository answers. `req` is the client's request (its method, `Range`,
/// conditional headers and query); `ctx` the repository's context. `Ok(None)`: the repository
/// does not have it; an error: it could not answer.
#[async_trait::async_trait(?Send)]
pub trait DockerContent {
    /// The manifest `image:reference`.
    async fn manifest(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
        reference: &Reference,
    ) -> Result<Option<Hit>, Failure>;

    /// The blob `digest` (pulled as part of `image`).
    async fn blob(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
        digest: &Digest,
    ) -> Result<Option<Hit>, Failure>;

    /// The tags of `image`, sorted (a proxy lists what its upstream answers for the request's
    /// `n` and `last`); `None`: no such image.
    async fn tags(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
    ) -> Result<Option<Vec<String>>, Failure>;

    /// The manifests of `image` whose subject is `subject` (filtered by the request's
    /// `artifactType`); `None`: the repository keeps no referrers (a proxy).
    async fn referrers(
        &self,
        ctx: &ContentContext,
        req: &HttpRequest,
        image: &ImageName,
        subject: &Digest,
    ) -> Result<Option<Referrers>, Failure>;
}

/// A member's failure as a group sees it: a core error is classified by the group (the
/// request's fault, or the member's); a registry error or finished response is the member's
/// refusal (a proxy's `UNAVAILABLE` or `TOOMANYREQUESTS`), passed on when no member answers.
impl From<Failure> for MemberError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Core(e) => MemberError::Core(e),
            other => MemberError::Refused(other.into_response()),
        }
    }
}

/// A `tags/list` request's `n` and `last`.
pub struct TagQuery {
    /// At most this many tags (`n`).
    pub n: Option<usize>,
    /// Only tags after this one (`last`).
    pub last: String,
}

impl TagQuery {
    /// `n` and `last` of `req`.
    pub fn of(req: &HttpRequest) -> Result<Self, RegistryError> {
        let mut q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
        let n = match q.get("n") {
            None => None,
            Some(v) => Some(v.parse::<usize>().map_err(|_| {
                RegistryError::new(ErrorCode::Unsupported, "n must be a non-negative number")
            })?),
        };
        Ok(Self {
            n,
            last: q.remove("last").unwrap_or_default(),
        })
    }

    /// The page of `all` (sorted) asked for, and whether more tags follow it.
    pub fn page<'a>(&self, all: &'a [String]) -> (&'a [String], bool) {
        let start = all.partition_point(|t| t.as_str() <= self.last.as_str());
        let after = &all[start..];
        match self.n {
            Some(n) => (&after[..n.min(after.len())], after.len() > n),
            None => (after, false),
        }
    }
}
