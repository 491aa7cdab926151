//! The security headers of every response, set in one middleware per listener so that no
//! route, recipe or error path can leave them out.
//!
//! Content (`/repository/…`, `/v2/…`, the browse listing, the REST API, and everything on a
//! repository's own port) is what users upload, so it is sandboxed: a browser runs an HTML file
//! served inline in an opaque origin, where its scripts cannot read the admin UI's session or
//! anything else of this origin (Nexus sends the same sandbox). The UI's own pages get a strict
//! policy instead: scripts and styles only from this server, no framing.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// The policy of content: a sandbox without `allow-same-origin`, so a document's scripts run
/// (a hosted documentation site keeps working) but in an opaque origin, with no access to
/// this server's cookies, storage or same-origin requests.
pub const CONTENT_POLICY: &str = "sandbox allow-forms allow-modals allow-popups \
                                  allow-presentation allow-scripts allow-top-navigation";

/// The policy of the UI's pages: no inline script or style (the templates have none), nothing
/// from elsewhere, never framed.
pub const UI_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
                             img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                             form-action 'self'; frame-ancestors 'none'";

/// Whether `path` of the main listener is the UI's (its pages, static files and favicon).
fn is_ui(path: &str) -> bool {
    path == "/" || path == "/favicon.ico" || path == "/ui" || path.starts_with("/ui/")
}

/// The middleware of the main listener: UI headers on the UI's paths, content headers on
/// everything else.
pub async fn main_listener<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let ui = is_ui(req.path());
    respond(ui, req, next).await
}

/// The middleware of a repository's own port: all of it is content.
pub async fn port_listener<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    respond(false, req, next).await
}

async fn respond<B: MessageBody + 'static>(
    ui: bool,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    // Handlers' and `enforce`'s errors arrive here as responses (actix turns a handler's error
    // into its response inside the route), so they get the headers too.
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let set = |h: &mut header::HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if ui {
        set(h, header::CONTENT_SECURITY_POLICY, UI_POLICY);
        set(h, header::X_FRAME_OPTIONS, "DENY");
        set(h, header::REFERRER_POLICY, "same-origin");
    } else {
        set(h, header::CONTENT_SECURITY_POLICY, CONTENT_POLICY);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_paths_are_the_uis() {
        for p in ["/", "/ui", "/ui/", "/ui/admin/system", "/favicon.ico"] {
            assert!(is_ui(p), "{p}");
        }
        for p in [
            "/repository/x/ui/a.html",
            "/v2/",
            "/uix",
            "/service/rest/v1/status",
        ] {
            assert!(!is_ui(p), "{p}");
        }
    }

    #[test]
    fn content_is_sandboxed_without_its_origin() {
        assert!(CONTENT_POLICY.starts_with("sandbox"));
        assert!(!CONTENT_POLICY.contains("allow-same-origin"));
        assert!(!UI_POLICY.contains("unsafe-inline"));
    }
}
