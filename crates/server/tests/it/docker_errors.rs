//! Docker hosted repositories: the spec's errors for uploads (chunk order, digests, sessions),
//! names and manifests, the write policies, and the validation of repository requests.

use crate::both_backends;
use crate::helpers::{OCI_INDEX, OCI_MANIFEST, TestApp, digest, error_code, image_manifest};
use reqwest::Method;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

both_backends!(
    upload_errors_and_chunk_order,
    manifest_errors_and_write_policy,
    docker_repository_requests_are_validated,
);

async fn upload_errors_and_chunk_order(app: TestApp) {
    app.create_docker("d", "ALLOW").await;
    let data: Vec<u8> = (0..100u8).collect();
    let d = digest(&data);
    let start = || async {
        let r = app.send(Method::POST, "/v2/d/img/blobs/uploads/").await;
        r.headers()[LOCATION].to_str().unwrap().to_owned()
    };

    // Chunks in order, out of order (416), status, last chunk with the PUT.
    let loc = start().await;
    let r = app
        .req(Method::PATCH, &loc)
        .header("content-range", "0-39")
        .body(data[..40].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["range"], "0-39");
    let r = app
        .req(Method::PATCH, &loc)
        .header("content-range", "50-59")
        .body(data[50..60].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(error_code(r).await, "RANGE_INVALID");
    let r = app.send(Method::GET, &loc).await;
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["range"], "0-39");
    let r = app
        .req(Method::PATCH, &loc)
        .header("content-range", "40-79")
        .body(data[40..80].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = app
        .req(Method::PUT, &format!("{loc}?digest={d}"))
        .header("content-range", "80-99")
        .body(data[80..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let got = app
        .send(Method::GET, &format!("/v2/d/img/blobs/{d}"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), data.as_slice());
    // The finished session is gone.
    let r = app.send(Method::GET, &loc).await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");

    // A wrong digest stores nothing.
    let loc = start().await;
    let other = b"other content".to_vec();
    let r = app
        .req(Method::PATCH, &loc)
        .body(other.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let wrong = digest(b"something else");
    let r = app
        .send(Method::PUT, &format!("{loc}?digest={wrong}"))
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    for d in [&wrong, &digest(&other)] {
        let r = app
            .send(Method::HEAD, &format!("/v2/d/img/blobs/{d}"))
            .await;
        assert_eq!(r.status(), 404);
    }
    let r = app
        .req(
            Method::POST,
            &format!("/v2/d/img/blobs/uploads/?digest={wrong}"),
        )
        .body(other.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");

    // PUT without a digest; cancel; unknown session.
    let loc = start().await;
    let r = app.send(Method::PUT, &loc).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    assert_eq!(app.send(Method::DELETE, &loc).await.status(), 204);
    assert_eq!(app.send(Method::DELETE, &loc).await.status(), 404);
    let r = app
        .req(Method::PATCH, "/v2/d/img/blobs/uploads/nope")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");

    // Names, digests, unknown repositories and endpoints.
    let r = app.send(Method::GET, "/v2/d/Bad_Name/tags/list").await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "NAME_INVALID");
    let r = app.send(Method::GET, "/v2/d/img/blobs/sha256:1234").await;
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    let r = app.send(Method::GET, "/v2/nope/img/tags/list").await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
    let r = app.send(Method::GET, "/v2/d/never-pushed/tags/list").await;
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
    let r = app.send_anonymous(Method::GET, "/v2/d/img/tags/list").await;
    assert_eq!(r.status(), 401);
    app.create_user("nobody", "nobody-password", &[]).await;
    let r = app
        .as_user(
            "nobody",
            "nobody-password",
            Method::GET,
            "/v2/d/img/tags/list",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "DENIED");
}

async fn manifest_errors_and_write_policy(app: TestApp) {
    app.create_docker("once", "ALLOW_ONCE").await;
    let config = b"{}";
    let c = app.push_blob("once", "img", config).await;
    let l1 = app.push_blob("once", "img", b"layer one").await;
    let l2 = app.push_blob("once", "img", b"layer two").await;
    let m1 = image_manifest(&c, 2, &l1, 9);
    let m2 = image_manifest(&c, 2, &l2, 9);

    // Unknown blob, unknown child manifest, schema 1, wrong digest reference, garbage.
    let missing = image_manifest(&c, 2, &digest(b"never pushed"), 12);
    let r = app
        .put_manifest("/v2/once/img/manifests/x", OCI_MANIFEST, &missing)
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");
    let index = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": digest(b"nope"), "size": 4}]}))
    .unwrap();
    let r = app
        .put_manifest("/v2/once/img/manifests/x", OCI_INDEX, &index)
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");
    let schema1 = br#"{"schemaVersion":1,"name":"img","tag":"x","fsLayers":[],"history":[]}"#;
    let r = app
        .put_manifest(
            "/v2/once/img/manifests/x",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            schema1,
        )
        .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "MANIFEST_INVALID");
    assert!(
        v["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("schema 1")
    );
    let r = app
        .put_manifest(
            &format!("/v2/once/img/manifests/{}", digest(b"x")),
            OCI_MANIFEST,
            &m1,
        )
        .await;
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    let r = app
        .put_manifest("/v2/once/img/manifests/x", OCI_MANIFEST, b"{oops")
        .await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    let big = vec![b' '; 4 * 1024 * 1024 + 10];
    let r = app
        .put_manifest("/v2/once/img/manifests/x", OCI_MANIFEST, &big)
        .await;
    assert_eq!(r.status(), 413);
    assert_eq!(app.get("/v2/once/img/manifests/x").await.status(), 404);

    // A subject whose target is missing is accepted and echoed.
    let mut with_subject: Value = serde_json::from_slice(&m1).unwrap();
    with_subject["subject"] =
        json!({"mediaType": OCI_MANIFEST, "digest": digest(b"absent"), "size": 6});
    let with_subject = serde_json::to_vec(&with_subject).unwrap();
    let r = app
        .put_manifest(
            &format!("/v2/once/img/manifests/{}", digest(&with_subject)),
            OCI_MANIFEST,
            &with_subject,
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["oci-subject"], digest(b"absent").as_str());

    // ALLOW_ONCE: a tag cannot move, the same digest again is fine, latest may move.
    assert_eq!(
        app.put_manifest("/v2/once/img/manifests/v1", OCI_MANIFEST, &m1)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.put_manifest("/v2/once/img/manifests/v1", OCI_MANIFEST, &m1)
            .await
            .status(),
        201
    );
    let r = app
        .put_manifest("/v2/once/img/manifests/v1", OCI_MANIFEST, &m2)
        .await;
    assert_eq!(r.status(), 403);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["code"], "DENIED");
    assert!(v["errors"][0]["detail"].as_str().unwrap().contains("v1"));
    let got = app
        .get("/v2/once/img/manifests/v1")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), m1.as_slice());
    assert_eq!(
        app.put_manifest("/v2/once/img/manifests/latest", OCI_MANIFEST, &m1)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.put_manifest("/v2/once/img/manifests/latest", OCI_MANIFEST, &m2)
            .await
            .status(),
        201
    );

    // An upload started before the repository became read-only cannot finish.
    app.create_docker("switch", "ALLOW").await;
    let r = app
        .send(Method::POST, "/v2/switch/img/blobs/uploads/")
        .await;
    let loc = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let body = json!({"name": "switch", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true, "writePolicy": "DENY"},
        "docker": {"v1Enabled": false, "forceBasicAuth": true}});
    let r = app
        .req(
            Method::PUT,
            "/service/rest/v1/repositories/docker/hosted/switch",
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .req(Method::PATCH, &loc)
        .body("late")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, "DENIED");

    // DENY: read-only.
    app.create_docker("ro", "DENY").await;
    let r = app.send(Method::POST, "/v2/ro/img/blobs/uploads/").await;
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "DENIED");
}

async fn docker_repository_requests_are_validated(app: TestApp) {
    app.create_docker("dh", "ALLOW").await;
    let got: Value = app
        .get("/service/rest/v1/repositories/docker/hosted/dh")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["format"], "docker");
    assert_eq!(got["type"], "hosted");
    assert_eq!(got["docker"]["forceBasicAuth"], true);
    assert_eq!(got["docker"]["pathEnabled"], true);
    assert_eq!(got["storage"]["latestPolicy"], true);
    let base = json!({"name": "x", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true, "writePolicy": "ALLOW"},
        "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": null}});
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/name", json!("UPPER"), "name"),
        ("/docker", json!(null), "docker"),
        ("/docker/httpPort", json!(70000), "docker.httpPort"),
        (
            "/docker/forceBasicAuth",
            json!("yes"),
            "docker.forceBasicAuth",
        ),
        (
            "/storage/writePolicy",
            json!("NEVER"),
            "storage.writePolicy",
        ),
    ];
    for (ptr, value, field) in cases {
        let mut body = base.clone();
        *body.pointer_mut(ptr).unwrap_or_else(|| panic!("{ptr}")) = value;
        let r = app
            .post_json("/service/rest/v1/repositories/docker/hosted", &body)
            .await;
        assert_eq!(r.status(), 400, "{ptr}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v[0]["id"], format!("PARAMETER {field}"), "{ptr}");
    }
    assert_eq!(
        app.get("/service/rest/v1/repositories/x").await.status(),
        404
    );
    // A raw repository is not reachable through /v2.
    app.create_raw("rawrepo", "ALLOW").await;
    let r = app.get("/v2/rawrepo/img/tags/list").await;
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
}
