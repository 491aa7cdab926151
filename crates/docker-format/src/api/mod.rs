//! The Distribution API below `/v2/`, on the main listener (path-routed: `/v2/<repository>/<image>/…`
//! goes to docker repository `<repository>`, so `docker push host:8081/<repository>/<image>`
//! works without a port per repository) and on each repository's own port (see
//! the server's per-repository connectors), registered through [`crate::DockerFormat`]'s routes.
//!
//! Authentication: Basic credentials always work. A repository on its own port with
//! `forceBasicAuth: false`, and the main listener while anonymous access is on, challenge with
//! Docker's token flow instead: `WWW-Authenticate: Bearer realm=".../v2/token",service="stowage",
//! scope="repository:<image>:pull,push"`, and `/v2/token` issues short-lived signed tokens for
//! the scopes the caller's privileges allow (anonymous ones too while anonymous access is on).
//!
//! `/v2/` challenges every request that carries no credentials, anonymous access or not:
//! docker, podman and skopeo send the credentials they hold only once `/v2/` has challenged
//! them, so a 200 there makes `docker login` "succeed" without checking the password and every
//! later push go out without credentials.

mod auth;
mod catalog;
mod serve;

use stowage_core::format::Services;
use stowage_core::route_specs;
use stowage_core::web::{Need, RouteSpec};

/// The `service` of issued tokens.
const SERVICE: &str = "stowage";

/// The format's name.
pub(crate) const FORMAT: &str = "docker";

/// The shared services, as handlers extract them.
type Data = actix_web::web::Data<Services>;

/// The registry routes of the main listener (path routing: `/v2/<repository>/<image>/…`).
pub(crate) fn main_routes() -> Vec<RouteSpec> {
    route_specs![
        GET "/v2" => auth::version, Need::Public;
        GET "/v2/" => auth::version, Need::Public;
        GET "/v2/token" => auth::token, Need::Public;
        GET "/v2/_catalog" => catalog::catalog, Need::Repository;
        ANY "/v2/{repo}/{tail:.*}" => serve::dispatch, Need::Repository;
    ]
}

/// The routes of a docker repository's own port.
pub(crate) fn port_routes() -> Vec<RouteSpec> {
    route_specs![
        GET "/v2" => auth::version_on_port, Need::Public;
        GET "/v2/" => auth::version_on_port, Need::Public;
        GET "/v2/token" => auth::token, Need::Public;
        GET "/v2/_catalog" => catalog::catalog, Need::Repository;
        GET "/v1/search" => catalog::search, Need::Repository;
        ANY "/v2/{tail:.*}" => serve::serve_on_port, Need::Repository;
    ]
}

/// Whether `path` is a registry route, the only place docker tokens are credentials.
pub(crate) fn is_registry_path(path: &str) -> bool {
    path == "/v2" || path.starts_with("/v2/")
}
