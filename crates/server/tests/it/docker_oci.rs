//! What the OCI conformance suite checks beyond the happy path: a manifest asked for by a
//! reference that is not a valid tag is unknown (404) to reads and invalid (400) to a push, and
//! a blob mount without `from` follows the repository's `docker.automaticCrossMount`.

use crate::both_backends;
use crate::helpers::{OCI_MANIFEST, TestApp, error_code};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};

both_backends!(
    malformed_manifest_reference_is_unknown_to_reads,
    mount_without_from_follows_automatic_cross_mount,
);

async fn create_hosted(app: &TestApp, name: &str, docker: Value) -> reqwest::Response {
    let body = json!({
        "name": name, "online": true,
        "storage": {"blobStoreName": "default", "writePolicy": "ALLOW"},
        "docker": docker
    });
    app.post_json("/service/rest/v1/repositories/docker/hosted", &body)
        .await
}

async fn malformed_manifest_reference_is_unknown_to_reads(app: TestApp) {
    assert_eq!(create_hosted(&app, "conf", json!({})).await.status(), 201);
    for reference in [".INVALID_MANIFEST_NAME", "-x", "sha256:zz"] {
        let path = format!("/v2/conf/app/manifests/{reference}");
        let r = app.send(Method::GET, &path).await;
        assert_eq!(r.status(), 404, "GET {reference}");
        assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN", "GET {reference}");
        let r = app.send(Method::HEAD, &path).await;
        assert_eq!(r.status(), 404, "HEAD {reference}");
        let r = app.send(Method::DELETE, &path).await;
        assert_eq!(r.status(), 404, "DELETE {reference}");
        assert_eq!(
            error_code(r).await,
            "MANIFEST_UNKNOWN",
            "DELETE {reference}"
        );
    }
    // Storing something under such a reference stays a bad request.
    let r = app
        .req(Method::PUT, "/v2/conf/app/manifests/.INVALID_MANIFEST_NAME")
        .header(CONTENT_TYPE, OCI_MANIFEST)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
}

/// `POST <image>/blobs/uploads/?mount=<digest>[&from=<from>]` on repository `repo`.
async fn mount(app: &TestApp, repo: &str, digest: &str, from: Option<&str>) -> reqwest::Response {
    let mut path = format!("/v2/{repo}/other/blobs/uploads/?mount={digest}");
    if let Some(f) = from {
        path.push_str(&format!("&from={f}"));
    }
    app.send(Method::POST, &path).await
}

async fn mount_without_from_follows_automatic_cross_mount(app: TestApp) {
    // Default (on): a blob the repository has is mounted with or without `from`.
    assert_eq!(create_hosted(&app, "auto", json!({})).await.status(), 201);
    let got: Value = app
        .get("/service/rest/v1/repositories/docker/hosted/auto")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["docker"]["automaticCrossMount"], true);
    let d = app.push_blob("auto", "app", b"a layer").await;
    for from in [None, Some("auto/app")] {
        let r = mount(&app, "auto", &d, from).await;
        assert_eq!(r.status(), 201, "from {from:?}");
        assert_eq!(
            r.headers()[LOCATION].to_str().unwrap(),
            format!("/v2/auto/other/blobs/{d}")
        );
    }

    // Off: without `from` it is a new upload session, as distribution answers; with `from`
    // (what docker sends) the blob is still mounted.
    let off = json!({"automaticCrossMount": false});
    assert_eq!(create_hosted(&app, "manual", off).await.status(), 201);
    let d = app.push_blob("manual", "app", b"another layer").await;
    let r = mount(&app, "manual", &d, None).await;
    assert_eq!(r.status(), 202);
    let location = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/v2/manual/other/blobs/uploads/"),
        "{location}"
    );
    let r = app.send(Method::GET, &location).await;
    assert_eq!(r.status(), 204, "the session exists");
    assert_eq!(
        mount(&app, "manual", &d, Some("manual/app")).await.status(),
        201
    );
    let got: Value = app
        .get("/service/rest/v1/repositories/docker/hosted/manual")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["docker"]["automaticCrossMount"], false);

    // The setting is validated.
    let r = create_hosted(&app, "bad", json!({"automaticCrossMount": "no"})).await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("docker.automaticCrossMount"), "{body}");
}
