//! Security headers: every content response (raw files, docker blobs and manifests by path
//! routing and on a repository's own port, the HTML browse listing, errors included) carries a
//! sandboxing `Content-Security-Policy` and `X-Content-Type-Options: nosniff`; every UI page
//! carries the UI's policy (no inline script, no framing), `X-Frame-Options`, `nosniff` and a
//! `Referrer-Policy`; the favicon is served and linked.

use crate::both_backends;
use crate::helpers::{TestApp, image_manifest, listening, repository_port};
use reqwest::Method;
use reqwest::Response;
use serde_json::json;

both_backends!(
    content_responses_are_sandboxed,
    ui_pages_carry_security_headers
);

/// Fails unless `r` (what `what` answered) has the content headers.
fn assert_content_headers(r: &Response, what: &str) {
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{what} ({}): no Content-Security-Policy", r.status()));
    assert!(
        csp.starts_with("sandbox") && !csp.contains("allow-same-origin"),
        "{what}: {csp}"
    );
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.to_str().unwrap()),
        Some("nosniff"),
        "{what}"
    );
}

/// Fails unless `r` (what `what` answered) has the UI page headers.
fn assert_ui_headers(r: &Response, what: &str) {
    let h = r.headers();
    let get = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what} ({}): no {name}", r.status()))
    };
    let csp = get("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: {csp} lacks {directive}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "same-origin", "{what}");
}

async fn content_responses_are_sandboxed(app: TestApp) {
    // Raw: a file served inline, a missing one, the HTML listing.
    let r = app
        .post_json(
            "/service/rest/v1/repositories/raw/hosted",
            &json!({"name": "site", "online": true,
                    "storage": {"blobStoreName": "default", "strictContentTypeValidation": false,
                                "writePolicy": "ALLOW"},
                    "raw": {"contentDisposition": "INLINE"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let put = app
        .put_file("site", "docs/x.html", "<script>alert(1)</script>")
        .await;
    assert_content_headers(&put, "PUT of a raw file");
    let r = app.get("/repository/site/docs/x.html").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_content_headers(&r, "an inline raw HTML file");
    let r = app.get("/repository/site/missing.html").await;
    assert_eq!(r.status(), 404);
    assert_content_headers(&r, "a missing raw file");
    let r = app
        .send_anonymous(Method::GET, "/repository/site/docs/x.html")
        .await;
    assert_eq!(r.status(), 401);
    assert_content_headers(&r, "a raw file without credentials");
    let r = app.get("/service/rest/repository/browse/site/docs/").await;
    assert_eq!(r.status(), 200);
    assert_content_headers(&r, "the browse listing");

    // Docker by path routing: a blob, a manifest, the version check, the catalogue.
    let port = repository_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &json!({"name": "images", "online": true,
                    "storage": {"blobStoreName": "default", "strictContentTypeValidation": true,
                                "writePolicy": "ALLOW"},
                    "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": port}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let layer = b"<html><script>alert(1)</script></html>";
    let config_d = app.push_blob("images", "app", config).await;
    let layer_d = app.push_blob("images", "app", layer).await;
    let manifest = image_manifest(&config_d, config.len(), &layer_d, layer.len());
    let r = app
        .put_manifest(
            "/v2/images/app/manifests/v1",
            "application/vnd.oci.image.manifest.v1+json",
            &manifest,
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_content_headers(&r, "a manifest PUT");
    for path in [
        format!("/v2/images/app/blobs/{layer_d}"),
        "/v2/images/app/manifests/v1".to_owned(),
        "/v2/images/app/manifests/v2".to_owned(),
        "/v2/".to_owned(),
        "/v2/_catalog".to_owned(),
    ] {
        let r = app.get(&path).await;
        assert_content_headers(&r, &path);
    }

    // The repository's own port.
    assert!(listening(port), "port {port} opens");
    let http = reqwest::Client::new();
    for path in [
        format!("/v2/app/blobs/{layer_d}"),
        "/v2/app/manifests/v1".to_owned(),
        "/v2/".to_owned(),
    ] {
        let r = http
            .get(format!("http://127.0.0.1:{port}{path}"))
            .basic_auth("admin", Some(crate::helpers::ADMIN_PASSWORD))
            .send()
            .await
            .unwrap();
        assert_content_headers(&r, &format!("port {port}: {path}"));
    }
}

async fn ui_pages_carry_security_headers(app: TestApp) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let session =
        crate::helpers::ui_sign_in(&app, &http, "admin", crate::helpers::ADMIN_PASSWORD).await;
    for (path, status) in [
        ("/", 303),
        ("/ui/", 200),
        ("/ui/signin", 200),
        ("/ui/admin/repositories", 200),
        ("/ui/admin/system", 200),
        ("/ui/assets/no-such-asset", 404),
        ("/ui/static/stowage.css", 200),
        ("/ui/static/stowage.js", 200),
        ("/ui/static/nothing.js", 404),
        ("/favicon.ico", 200),
    ] {
        let r = http
            .get(app.url(path))
            .header("cookie", &session.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{path}");
        assert_ui_headers(&r, path);
    }
    // Without a session: the redirect to sign in carries them too.
    let r = http.get(app.url("/ui/admin/users")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_ui_headers(&r, "a denied page");

    // The favicon is an image, and every page links it.
    let r = http.get(app.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/"),
        "{:?}",
        r.headers()["content-type"]
    );
    assert!(!r.bytes().await.unwrap().is_empty());
    let page = http
        .get(app.url("/ui/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"rel="icon""#), "the pages link the favicon");
    // No inline script or style in the pages the policy would block.
    for needle in [
        "<script>",
        "<style",
        " style=",
        " onclick=",
        " onsubmit=",
        "javascript:",
    ] {
        assert!(!page.contains(needle), "the sign-in page has {needle}");
    }
}
