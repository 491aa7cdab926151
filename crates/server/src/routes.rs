//! Every route of the main listener and of the per-repository ports, and what each needs: the
//! server's own (below) after the routes each registered format adds ([`Format::main_routes`],
//! [`Format::port_routes`]).
//!
//! This is the one place that maps a route to the privilege it needs. The tables both
//! register the routes and drive [`enforce`], a middleware that runs before every handler: it
//! checks [`Need::App`], [`Need::User`], [`Need::Caller`] and [`Need::RepositoryAdmin`] itself,
//! and leaves [`Need::Repository`] to the handler, which knows the repository (one check per
//! route family: the content dispatcher (`stowage_core::format::dispatch`) maps the HTTP method to a
//! repository-view action, the REST handlers name theirs). A request that matches a route missing
//! from these tables is refused with 500, so a route cannot be added without saying what it
//! needs; the permission-matrix test walks [`main_routes`] with every kind of caller.
//!
//! Because the middleware runs before any extractor, a route whose need it checks is refused
//! (401 without credentials, 403 without the privilege) before its body is read: a malformed
//! body is only ever a 400 for a caller who may make the request. A route that takes a body must
//! therefore have a need the middleware checks, or read the body only after its own check.

use crate::auth::Caller;
use crate::content;
use crate::error::RestError;
use crate::rest::{
    anonymous, assets, audit, blobstores, components, privileges, repositories, roles, status,
    user_tokens, users,
};
use crate::ui;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Path, ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, ResponseError, web};
use std::collections::HashMap;
use std::sync::LazyLock;
use stowage_core::CoreError;
use stowage_core::route_specs;
use stowage_core::security::{Action, AppAction, Permission};
use stowage_core::web::RouteSpec;
pub use stowage_core::web::{Need, RouteSpec as Route};

/// The routes of one listener, with their compiled patterns, in the order the router tries them.
pub struct RouteTable {
    routes: Vec<Route>,
    patterns: Vec<ResourceDef>,
}

impl RouteTable {
    fn new(routes: Vec<Route>) -> Self {
        let patterns = routes.iter().map(|r| ResourceDef::new(r.path)).collect();
        Self { routes, patterns }
    }

    /// The routes, in order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Registers every route of the table.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        for r in &self.routes {
            cfg.route(r.path, (r.route)());
        }
    }

    /// The route that serves `method` on `path`, with its pattern: the first, in table order,
    /// as the router picks it (each route is registered as its own resource guarded by its
    /// method).
    fn matching(&self, method: &str, path: &str) -> Option<(&Route, &ResourceDef)> {
        self.routes
            .iter()
            .zip(&self.patterns)
            .find(|(r, def)| (r.method == method || r.method == "ANY") && def.is_match(path))
    }
}

/// The main listener's table: the formats' routes first (the registry API is a hot path),
/// then the server's own.
static MAIN: LazyLock<RouteTable> = LazyLock::new(|| {
    let mut routes: Vec<Route> = crate::formats::registered()
        .iter()
        .flat_map(|f| f.main_routes())
        .collect();
    routes.extend(server_routes());
    RouteTable::new(routes)
});

/// Each format's table for its repositories' own ports.
static PORTS: LazyLock<HashMap<&'static str, RouteTable>> = LazyLock::new(|| {
    crate::formats::registered()
        .iter()
        .map(|f| (f.name(), RouteTable::new(f.port_routes())))
        .collect()
});

/// The routes of the main listener with what they need.
pub fn main_routes() -> &'static [Route] {
    MAIN.routes()
}

/// The main listener's table.
pub fn main_table() -> &'static RouteTable {
    &MAIN
}

/// The table of a repository's own port, for a repository of `format`.
pub fn port_table(format: &str) -> Option<&'static RouteTable> {
    PORTS.get(format)
}

/// Every format's own-port routes with what they need (for the permission-matrix test).
pub fn port_routes() -> Vec<&'static Route> {
    PORTS.values().flat_map(|t| t.routes()).collect()
}

use AppAction::{Create, Delete, Read, Update};
use Need::{App, Caller as Any, Public, Repository, RepositoryAdmin as RepoAdmin, User};

/// The server's own routes on the main listener.
fn server_routes() -> Vec<RouteSpec> {
    route_specs![
        ANY "/repository/{repo}/{tail:.*}" => content::dispatch, Repository;

        GET "/service/rest/v1/status" => status::status, Public;
        GET "/service/rest/v1/status/writable" => status::writable, Public;

        GET "/service/rest/v1/repositories" => repositories::list, Any;
        GET "/service/rest/v1/repositories/{name}" => repositories::get_one, Repository;
        DELETE "/service/rest/v1/repositories/{name}" => repositories::delete, Repository;
        POST "/service/rest/v1/repositories/{format}/{kind}" => repositories::create, RepoAdmin(Action::Add);
        GET "/service/rest/v1/repositories/{format}/{kind}/{name}" => repositories::get_typed, RepoAdmin(Action::Read);
        PUT "/service/rest/v1/repositories/{format}/{kind}/{name}" => repositories::update, RepoAdmin(Action::Edit);

        GET "/service/rest/v1/blobstores" => blobstores::list, App("blobstores", Read);
        POST "/service/rest/v1/blobstores/file" => blobstores::create_file, App("blobstores", Create);
        POST "/service/rest/v1/blobstores/s3" => blobstores::create_s3, App("blobstores", Create);
        GET "/service/rest/v1/blobstores/file/{name}" => blobstores::get_file, App("blobstores", Read);
        GET "/service/rest/v1/blobstores/s3/{name}" => blobstores::get_s3, App("blobstores", Read);
        DELETE "/service/rest/v1/blobstores/{name}" => blobstores::delete, App("blobstores", Delete);
        POST "/service/rest/v1/blobstores/{name}/purge-temp" => blobstores::purge_temp, App("blobstores", Update);

        GET "/service/rest/v1/components" => components::list, Repository;
        GET "/service/rest/v1/components/{id}" => components::get_one, Repository;
        DELETE "/service/rest/v1/components/{id}" => components::delete, Repository;
        GET "/service/rest/v1/assets" => assets::list, Repository;
        GET "/service/rest/v1/assets/{id}" => assets::get_one, Repository;
        DELETE "/service/rest/v1/assets/{id}" => assets::delete, Repository;

        GET "/service/rest/v1/security/users" => users::list, App("users", Read);
        POST "/service/rest/v1/security/users" => users::create, App("users", Create);
        PUT "/service/rest/v1/security/users/{user_id}" => users::update, App("users", Update);
        DELETE "/service/rest/v1/security/users/{user_id}" => users::delete, App("users", Delete);
        PUT "/service/rest/v1/security/users/{user_id}/change-password" => users::change_password, User;

        GET "/service/rest/v1/security/roles" => roles::list, App("roles", Read);
        POST "/service/rest/v1/security/roles" => roles::create, App("roles", Create);
        GET "/service/rest/v1/security/roles/{id}" => roles::get_one, App("roles", Read);
        PUT "/service/rest/v1/security/roles/{id}" => roles::update, App("roles", Update);
        DELETE "/service/rest/v1/security/roles/{id}" => roles::delete, App("roles", Delete);

        GET "/service/rest/v1/security/privileges" => privileges::list, App("privileges", Read);
        GET "/service/rest/v1/security/privileges/{name}" => privileges::get_one, App("privileges", Read);
        DELETE "/service/rest/v1/security/privileges/{name}" => privileges::delete, App("privileges", Delete);
        POST "/service/rest/v1/security/privileges/{type}" => privileges::create, App("privileges", Create);
        PUT "/service/rest/v1/security/privileges/{type}/{name}" => privileges::update, App("privileges", Update);

        GET "/service/rest/v1/security/anonymous" => anonymous::get, App("settings", Read);
        PUT "/service/rest/v1/security/anonymous" => anonymous::put, App("settings", Update);

        GET "/service/rest/v1/security/users/{user_id}/tokens" => user_tokens::list, User;
        POST "/service/rest/v1/security/users/{user_id}/tokens" => user_tokens::create, User;
        DELETE "/service/rest/v1/security/users/{user_id}/tokens/{id}" => user_tokens::revoke, User;

        GET "/service/rest/v1/audit" => audit::list, App("audit", Read);

        GET "/" => ui::root, Public;
        GET "/ui/static/{name}" => ui::static_file, Public;
        GET "/favicon.ico" => ui::favicon, Public;
        GET "/ui/signin" => ui::session::sign_in_form, Public;
        POST "/ui/signin" => ui::session::sign_in, Public;
        POST "/ui/signout" => ui::session::sign_out, User;
        GET "/ui/setup" => ui::session::setup_form, User;
        POST "/ui/setup" => ui::session::setup, User;
        GET "/ui/" => ui::browse::home, Any;
        GET "/ui/browse/{repo}" => ui::tree::tree_root, Public;
        GET "/ui/browse/{repo}/{tail:.*}" => ui::tree::tree, Repository;
        GET "/ui/components/{id}" => ui::browse::component, Repository;
        POST "/ui/components/{id}/delete" => ui::browse::delete_component, Repository;
        GET "/ui/assets/{id}" => ui::browse::asset, Repository;
        POST "/ui/assets/{id}/delete" => ui::browse::delete_asset, Repository;
        GET "/ui/search" => ui::search::search, Any;
        GET "/ui/upload" => ui::browse::upload_form, User;
        POST "/ui/upload" => ui::browse::upload, Repository;
        GET "/ui/tokens" => ui::admin::tokens, User;
        POST "/ui/tokens" => ui::admin::create_token, User;
        POST "/ui/tokens/{id}/revoke" => ui::admin::revoke_token, User;
        GET "/ui/admin/repositories" => ui::admin::repositories_page, User;
        GET "/ui/admin/repositories/new/{recipe}" => ui::admin::new_repository, Repository;
        POST "/ui/admin/repositories/new/{recipe}" => ui::admin::create_repository, Repository;
        GET "/ui/admin/repositories/{name}" => ui::admin::edit_repository, Repository;
        POST "/ui/admin/repositories/{name}" => ui::admin::update_repository, Repository;
        POST "/ui/admin/repositories/{name}/delete" => ui::admin::delete_repository, Repository;
        GET "/ui/admin/blobstores" => ui::admin::blob_stores, App("blobstores", Read);
        POST "/ui/admin/blobstores/{name}/purge-temp" => ui::admin::purge_temp, App("blobstores", Update);
        GET "/ui/admin/system" => ui::admin::system, App("settings", Read);
        GET "/ui/admin/users" => ui::admin::users_list, App("users", Read);
        POST "/ui/admin/users" => ui::admin::create_user, App("users", Create);
        POST "/ui/admin/users/{id}/delete" => ui::admin::delete_user, App("users", Delete);
        GET "/ui/admin/roles" => ui::admin::roles_list, App("roles", Read);
        POST "/ui/admin/roles" => ui::admin::create_role, App("roles", Create);
        POST "/ui/admin/roles/{id}/delete" => ui::admin::delete_role, App("roles", Delete);
        GET "/ui/admin/anonymous" => ui::admin::anonymous, App("settings", Read);
        POST "/ui/admin/anonymous" => ui::admin::set_anonymous, App("settings", Update);

        GET "/service/rest/repository/browse/{repo}" => content::browse::redirect_to_root, Public;
        GET "/service/rest/repository/browse/{repo}/{tail:.*}" => content::browse::listing, Repository;
    ]
}

/// The middleware of the main listener.
pub async fn enforce_main(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    enforce(&MAIN, req, next).await
}

/// The middleware of a repository's own port.
pub async fn enforce_port(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let table = req
        .app_data::<web::Data<PortTable>>()
        .map(|t| t.0)
        .unwrap_or_else(|| port_table("").unwrap_or(&EMPTY));
    enforce(table, req, next).await
}

/// The route table of a repository's own port (app data of that listener).
pub struct PortTable(pub &'static RouteTable);

static EMPTY: LazyLock<RouteTable> = LazyLock::new(|| RouteTable::new(Vec::new()));

/// Checks what the route of `table` serving the request needs, then runs the handler.
async fn enforce<B: MessageBody + 'static>(
    table: &RouteTable,
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let path = req.match_info().as_str().to_owned();
    let Some((route, pattern)) = table.matching(req.method().as_str(), &path) else {
        if let Some(pattern) = req.match_pattern()
            && !table.routes.iter().any(|r| r.path == pattern)
        {
            let e = CoreError::Internal(format!("route {pattern} is not in the access table"));
            tracing::error!(error = %e, "refusing a request to an unmapped route");
            return Ok(req
                .into_response(RestError(e).error_response())
                .map_into_right_body());
        }
        // No route takes this method on this path: the router answers 404 or 405.
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let denied = match route.need {
        Need::Public | Need::Repository => None,
        need => {
            let (http, payload) = req.parts_mut();
            let mut params = Path::new(path.as_str());
            pattern.capture_match_info(&mut params);
            match Caller::from_request(http, payload).await {
                Err(e) => Some(e.0),
                Ok(caller) => check(&caller, need, &params).err(),
            }
        }
    };
    match denied {
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Some(e) if path.starts_with("/ui/") => {
            let resp = ui::denied(req.request(), e);
            Ok(req.into_response(resp).map_into_right_body())
        }
        Some(e) => Ok(req
            .into_response(RestError(e).error_response())
            .map_into_right_body()),
    }
}

/// Whether `caller` satisfies `need` (for the needs the middleware checks itself), on a route
/// whose path parameters are `params`.
pub fn check(caller: &Caller, need: Need, params: &Path<&str>) -> Result<(), CoreError> {
    match need {
        Need::Public | Need::Repository => Ok(()),
        Need::Caller => caller.principal().map(|_| ()),
        Need::User => caller.user().map(|_| ()),
        Need::App(domain, action) => caller
            .require(Permission::Application { domain, action })
            .map(|_| ()),
        Need::RepositoryAdmin(action) => caller
            .require(Permission::RepositoryAdmin {
                format: params.get("format").unwrap_or("*"),
                repository: params.get("name").unwrap_or("*"),
                action,
            })
            .map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_have_no_duplicates() {
        for table in std::iter::once(&*MAIN).chain(PORTS.values()) {
            let table = table.routes();
            for (i, a) in table.iter().enumerate() {
                for b in &table[i + 1..] {
                    assert!(
                        !(a.path == b.path && a.method == b.method),
                        "{} {} listed twice",
                        a.method,
                        a.path
                    );
                }
            }
        }
    }
}
