//! The registry of format recipes. Adding a format is one line here plus its crate.

use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashMap;
use std::sync::Arc;
use stowage_core::CoreError;
use stowage_core::format::{ContentContext, MemberRouter, Recipe};
use stowage_core::model::{RepoKind, Repository};

/// Recipes by `(format, kind)`.
pub struct Recipes {
    by_key: HashMap<(&'static str, RepoKind), Arc<dyn Recipe>>,
}

impl Recipes {
    /// Every recipe this build of Stowage knows.
    pub fn all() -> Self {
        let mut by_key = HashMap::new();
        for recipe in stowage_raw::recipes()
            .into_iter()
            .chain(stowage_docker_hosted::recipes())
            .chain(stowage_docker_proxy::recipes())
            .chain(stowage_docker_group::recipes())
        {
            by_key.insert((recipe.format(), recipe.kind()), recipe);
        }
        Self { by_key }
    }

    /// The recipe for `format` and `kind`, if this build has one.
    pub fn get(&self, format: &str, kind: RepoKind) -> Option<&Arc<dyn Recipe>> {
        self.by_key
            .iter()
            .find(|((f, k), _)| *f == format && *k == kind)
            .map(|(_, r)| r)
    }

    /// The formats this build serves, sorted.
    pub fn formats(&self) -> Vec<String> {
        let mut f: Vec<String> = self.by_key.keys().map(|(f, _)| (*f).to_owned()).collect();
        f.sort();
        f.dedup();
        f
    }
}

/// Serves a group's request through a member: the member's recipe, the group's caller.
pub struct Members {
    recipes: Arc<Recipes>,
}

impl Members {
    /// A router over `recipes`.
    pub fn new(recipes: Arc<Recipes>) -> Self {
        Self { recipes }
    }
}

#[async_trait::async_trait(?Send)]
impl MemberRouter for Members {
    async fn serve(
        &self,
        member: Repository,
        ctx: &ContentContext,
        req: &HttpRequest,
        body: web::Payload,
    ) -> stowage_core::Result<HttpResponse> {
        let recipe = self
            .recipes
            .get(&member.format, member.kind)
            .cloned()
            .ok_or_else(|| {
                CoreError::Internal(format!(
                    "no recipe for member {} ({}-{})",
                    member.name,
                    member.format,
                    member.kind.as_str()
                ))
            })?;
        if !member.online {
            return Ok(HttpResponse::NotFound().finish());
        }
        let member_ctx = ContentContext {
            repository: member,
            ..ctx.clone()
        };
        recipe.handle(member_ctx, req.clone(), body).await
    }
}
