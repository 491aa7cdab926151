//! The one content dispatcher: every request to a repository's content, on any listener and from
//! any format's routes, is checked and served here: the caller's privilege for the method, the
//! repository online (503 otherwise, [`offline`]), its recipe. A group reads its members through
//! their formats' typed content operations (`crate::group::first_answer`), which treat an offline
//! member the same way (the group's privileges decide for its members).

use super::recipe::Recipe;
use super::{ContentContext, Services, action_for_method};
use crate::model::Repository;
use crate::{CoreError, Result};
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

/// A repository looked up for a content request, with the recipe that serves it.
pub struct Dispatch {
    /// The repository addressed.
    pub repository: Repository,
    /// Its recipe.
    pub recipe: Arc<dyn Recipe>,
}

impl Dispatch {
    /// Looks up repository `name` (case-insensitively) and its recipe: 404 naming the
    /// repository when there is none.
    pub async fn lookup(services: &Services, name: &str) -> Result<Self> {
        let repository = services
            .catalogue
            .find_repository(name)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("repository '{name}'")))?;
        let recipe = services.formats.recipe_of(&repository)?.clone();
        Ok(Self { repository, recipe })
    }
}

/// The error an offline repository answers with (503).
pub fn offline(repository: &Repository) -> CoreError {
    CoreError::Unavailable(format!("repository '{}' is offline", repository.name))
}

/// Serves `ctx` with `recipe` (the recipe of its repository) once the caller holds the
/// repository-view action the method needs and the repository is online.
pub async fn dispatch(
    recipe: Arc<dyn Recipe>,
    ctx: ContentContext,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse> {
    ctx.require(action_for_method(req.method()))?;
    if !ctx.repository.online {
        return Err(offline(&ctx.repository));
    }
    recipe.handle(ctx, req, body).await
}

impl ContentContext {
    /// The context of a request to `repository` mounted at `mount`, with the path inside it.
    pub fn new(
        services: &Arc<Services>,
        req: &HttpRequest,
        repository: Repository,
        mount: String,
        path: String,
        principal: Option<crate::security::Principal>,
    ) -> Self {
        Self {
            repository,
            path,
            mount,
            principal,
            client_ip: req.peer_addr().map(|a| a.ip().to_string()),
            services: Arc::clone(services),
        }
    }
}
