//! Administration pages, one module per page: repositories (list, create with a recipe picker,
//! edit, delete after typing the name), system and blob stores, users, roles, anonymous access,
//! and one's own user tokens. Every change goes through the same functions as the REST API, so
//! validation, auditing and privileges are the same.

use crate::auth::Caller;
use crate::state::State;
use crate::ui::{UiError, check_csrf, see_other, with_notice};
use actix_web::{HttpRequest, HttpResponse};
use stowage_core::CoreError;
mod anonymous;
mod form;
mod repositories;
mod roles;
mod system;
mod tokens;
mod users;
#[allow(unused_imports)]
pub(crate) use anonymous::*;
#[allow(unused_imports)]
pub(crate) use form::*;
#[allow(unused_imports)]
pub(crate) use repositories::*;
#[allow(unused_imports)]
pub(crate) use roles::*;
#[allow(unused_imports)]
pub(crate) use system::*;
#[allow(unused_imports)]
pub(crate) use tokens::*;
#[allow(unused_imports)]
pub(crate) use users::*;

/// Form fields as `(name, value)` pairs, as browsers send them.
type Fields = Vec<(String, String)>;

fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Every value of a repeated field (checkboxes of one name).
fn fields<'a>(f: &'a Fields, name: &str) -> Vec<&'a str> {
    f.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn csrf_of(req: &HttpRequest, f: &Fields) -> Result<(), CoreError> {
    check_csrf(req, field(f, "csrf"))
}

/// A list page with a form on it.
#[derive(Clone, Copy)]
enum List {
    Users,
    Roles,
}

/// After a change posted from a list page: back to the list with `notice` on success, or the
/// list again with a validation error shown above it.
async fn after_change<T>(
    req: &HttpRequest,
    state: &State,
    caller: &Caller,
    list: List,
    done: Result<T, CoreError>,
    notice: impl FnOnce(T) -> String,
) -> Result<HttpResponse, UiError> {
    let (path, error) = match (list, done) {
        (List::Users, Ok(v)) => return Ok(see_other(&with_notice("/ui/admin/users", &notice(v)))),
        (List::Roles, Ok(v)) => return Ok(see_other(&with_notice("/ui/admin/roles", &notice(v)))),
        (list, Err(e @ CoreError::Invalid { .. })) => (list, e.to_string()),
        (_, Err(e)) => return Err(e.into()),
    };
    match path {
        List::Users => users_page(req, state, caller, Some(error)).await,
        List::Roles => roles_page(req, state, caller, Some(error)).await,
    }
}
