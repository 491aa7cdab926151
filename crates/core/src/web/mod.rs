//! The request edge that the server and the format crates share: who is calling ([`Caller`]),
//! how a core error becomes an HTTP response ([`RestError`], [`ContentError`]), and route specs
//! with what each route needs ([`RouteSpec`], [`Need`]). The server owns the listeners and
//! decides how a caller is identified ([`Identify`]); a format's handlers only extract these.

mod caller;
mod error;
pub mod route;

pub use caller::{Caller, Identify, basic_credentials, bearer_token, client_ip};
pub use error::{BASIC_CHALLENGE, ContentError, RestError, status_of};
pub use route::{Need, RouteSpec};

use actix_web::HttpRequest;

/// The URL clients reach this server at: the configured `base_url`, else the request's own
/// scheme and host. Without a trailing `/`.
pub fn base_url(req: &HttpRequest) -> String {
    if let Some(services) = req.app_data::<actix_web::web::Data<crate::format::Services>>()
        && let Some(base) = &services.config.base_url
    {
        return base.trim_end_matches('/').to_owned();
    }
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Host (and port) clients reach this server at, as [`base_url`] without its scheme.
pub fn host(req: &HttpRequest) -> String {
    let base = base_url(req);
    base.split_once("://")
        .map(|(_, h)| h.to_owned())
        .unwrap_or(base)
}

/// Percent-encodes a stored path for use in a URL, keeping `/` and unreserved characters.
pub fn encode_path(p: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(p, SET).to_string()
}

/// The repository a per-repository listener serves (app data of that listener).
pub struct PortRepository(pub String);

/// The still percent-encoded remainder of the request path after `/<prefix>/<repo>/`.
pub fn path_tail<'a>(req: &'a HttpRequest, prefix: &str, repo: &str) -> &'a str {
    let path = req.uri().path();
    path.strip_prefix(prefix)
        .and_then(|p| p.strip_prefix('/'))
        // The repository segment as sent (names never need percent-encoding).
        .and_then(|p| p.strip_prefix(repo))
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or("")
}
