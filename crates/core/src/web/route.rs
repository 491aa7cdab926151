//! Routes as data: each route names what it needs before its handler runs, so one middleware in
//! the server checks every route of every listener, the formats' included.

use crate::security::{Action, AppAction};

/// What a route needs before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Nothing: anyone may call it (status; a registry's version check and token endpoint,
    /// which authenticate on their own to answer with their own challenge).
    Public,
    /// Any caller, the anonymous user included while anonymous access is on; what the handler
    /// returns is filtered by the caller's browse privileges.
    Caller,
    /// A signed-in user, not the anonymous one (one's own password and tokens).
    User,
    /// An application privilege, `nx-<domain>-<action>`.
    App(&'static str, AppAction),
    /// A privilege on the repository the request concerns, checked by the handler:
    /// `nx-repository-view-…` for content, `nx-repository-admin-…` for configuration.
    Repository,
    /// `nx-repository-admin-<format>-<name>-<action>`, with `format` and `name` taken from the
    /// route's `{format}` and `{name}` (`*` when the route has no `{name}`, as on create).
    RepositoryAdmin(Action),
}

/// One route: method (or `ANY`), actix path pattern, what it needs, and how to build it.
#[derive(Clone, Copy)]
pub struct RouteSpec {
    /// HTTP method, or `ANY`.
    pub method: &'static str,
    /// actix path pattern.
    pub path: &'static str,
    /// What it needs.
    pub need: Need,
    /// Builds the actix route (method guard and handler).
    pub route: fn() -> actix_web::Route,
}

impl std::fmt::Debug for RouteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({:?})", self.method, self.path, self.need)
    }
}

/// The actix route for `method` (`ANY`: every method).
pub fn method_route(method: &str) -> actix_web::Route {
    use actix_web::web;
    match method {
        "GET" => web::get(),
        "HEAD" => web::head(),
        "POST" => web::post(),
        "PUT" => web::put(),
        "DELETE" => web::delete(),
        "PATCH" => web::patch(),
        _ => web::route(),
    }
}

/// A list of [`RouteSpec`]s: `route_specs![GET "/v2/token" => token, Need::Public; …]`.
#[macro_export]
macro_rules! route_specs {
    ($($method:ident $path:literal => $handler:path, $need:expr;)*) => {
        vec![$($crate::web::RouteSpec {
            method: stringify!($method),
            path: $path,
            need: $need,
            route: || $crate::web::route::method_route(stringify!($method)).to($handler),
        }),*]
    };
}
