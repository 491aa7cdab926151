//! Snapshots (`insta`, under `snapshots/`) of what clients parse: the REST API's repository JSON
//! of every recipe, its validation error list, and the Distribution API's error bodies. Values
//! that differ from run to run (the server's address) are redacted before the comparison. With
//! `CI` set, insta fails on a changed or missing snapshot instead of writing one.

use crate::both_backends;
use crate::helpers::{TestApp, docker_body, raw_hosted};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(repository_json_of_every_recipe, error_bodies);

/// `v` with the app's address in every string replaced by `http://[address]`.
fn redacted(app: &TestApp, v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(&app.address, "http://[address]")),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| redacted(app, v)).collect()),
        Value::Object(o) => {
            Value::Object(o.into_iter().map(|(k, v)| (k, redacted(app, v))).collect())
        }
        other => other,
    }
}

/// The response's status and JSON body, redacted.
async fn status_and_json(app: &TestApp, r: reqwest::Response) -> Value {
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("a JSON body");
    json!({"status": status, "body": redacted(app, body)})
}

/// A proxy's settings (the remote is never contacted here).
fn proxy_parts(mut body: Value) -> Value {
    body["proxy"] = json!({"remoteUrl": "http://upstream.invalid/",
                           "contentMaxAge": 1440, "metadataMaxAge": 1440});
    body["negativeCache"] = json!({"enabled": true, "timeToLive": 1440});
    body["httpClient"] = json!({"blocked": false, "autoBlock": true});
    body
}

async fn create(app: &TestApp, recipe: &str, body: &Value) {
    let r = app
        .post_json(&format!("/service/rest/v1/repositories/{recipe}"), body)
        .await;
    assert_eq!(
        r.status(),
        201,
        "create {recipe}: {}",
        r.text().await.unwrap_or_default()
    );
}

async fn repository_json_of_every_recipe(app: TestApp) {
    create(&app, "raw/hosted", &raw_hosted("files", "ALLOW_ONCE")).await;
    let mut raw_proxy = proxy_parts(raw_hosted("remote-files", "ALLOW"));
    raw_proxy["storage"]
        .as_object_mut()
        .unwrap()
        .remove("writePolicy");
    create(&app, "raw/proxy", &raw_proxy).await;
    let raw_group = json!({"name": "all-files", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "group": {"memberNames": ["files", "remote-files"]}});
    create(&app, "raw/group", &raw_group).await;
    create(&app, "docker/hosted", &docker_body("images", None)).await;
    let mut docker_proxy = proxy_parts(docker_body("hub", None));
    docker_proxy["storage"]
        .as_object_mut()
        .unwrap()
        .remove("writePolicy");
    create(&app, "docker/proxy", &docker_proxy).await;
    let docker_group = json!({"name": "all-images", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "group": {"memberNames": ["images", "hub"], "writableMember": "images"},
        "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": null}});
    create(&app, "docker/group", &docker_group).await;

    for (recipe, name) in [
        ("raw/hosted", "files"),
        ("raw/proxy", "remote-files"),
        ("raw/group", "all-files"),
        ("docker/hosted", "images"),
        ("docker/proxy", "hub"),
        ("docker/group", "all-images"),
    ] {
        let r = app
            .get(&format!("/service/rest/v1/repositories/{recipe}/{name}"))
            .await;
        let got = status_and_json(&app, r).await;
        insta::assert_json_snapshot!(format!("repository_{}", recipe.replace('/', "_")), got);
    }
}

async fn error_bodies(app: TestApp) {
    // A REST validation error list.
    let mut bad = raw_hosted("Bad Name!", "SOMETIMES");
    bad["storage"]["blobStoreName"] = json!("no-such-store");
    let r = app
        .post_json("/service/rest/v1/repositories/raw/hosted", &bad)
        .await;
    insta::assert_json_snapshot!("validation_errors", status_and_json(&app, r).await);

    // The Distribution API's errors.
    app.create_docker("images", "ALLOW").await;
    let unknown = crate::helpers::digest(b"never pushed");
    let r = app.send(Method::GET, "/v2/images/app/manifests/nope").await;
    insta::assert_json_snapshot!("oci_manifest_unknown", status_and_json(&app, r).await);
    let r = app
        .send(Method::GET, &format!("/v2/images/app/blobs/{unknown}"))
        .await;
    insta::assert_json_snapshot!("oci_blob_unknown", status_and_json(&app, r).await);
    let r = app.send(Method::GET, "/v2/nothing/app/tags/list").await;
    insta::assert_json_snapshot!("oci_name_unknown", status_and_json(&app, r).await);
    let r = app.send_anonymous(Method::GET, "/v2/").await;
    insta::assert_json_snapshot!("oci_unauthorized", status_and_json(&app, r).await);
    app.create_user("nobody", "nobody-password", &[]).await;
    let r = app
        .as_user(
            "nobody",
            "nobody-password",
            Method::GET,
            "/v2/images/app/tags/list",
        )
        .send()
        .await
        .unwrap();
    insta::assert_json_snapshot!("oci_denied", status_and_json(&app, r).await);
}
