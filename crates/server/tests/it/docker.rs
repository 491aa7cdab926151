//! Docker hosted repositories through the path-routed Distribution API (`/v2/<repo>/…`):
//! uploads of every kind, manifests, tags, deletes and the spec's errors.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp, docker_body, free_port, sha256_hex};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};

both_backends!(
    push_and_pull_through_path_routing,
    upload_errors_and_chunk_order,
    manifest_errors_and_write_policy,
    docker_repository_requests_are_validated,
    own_port_opens_moves_and_closes,
    token_flow_on_own_port,
    referrers_and_concurrent_pushes,
);

async fn referrers_and_concurrent_pushes(app: TestApp) {
    create_docker(&app, "r", "ALLOW").await;
    let c = push_blob(&app, "r", "img", b"{}").await;
    let l = push_blob(&app, "r", "img", b"the layer").await;
    let image = image_manifest(&c, 2, &l, 9);
    let image_d = digest(&image);
    assert_eq!(
        put_manifest(&app, "/v2/r/img/manifests/v1", OCI_MANIFEST, &image)
            .await
            .status(),
        201
    );

    // Two artifacts refer to the image: one with artifactType, one typed by its config.
    let empty = push_blob(&app, "r", "img", b"{}").await;
    let sig = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.sig",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [], "subject": {"mediaType": OCI_MANIFEST, "digest": image_d, "size": image.len()},
        "annotations": {"org.example.signed-by": "ci"}})).unwrap();
    let sbom = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.example.sbom", "digest": empty, "size": 2},
        "layers": [], "subject": {"mediaType": OCI_MANIFEST, "digest": image_d, "size": image.len()}})).unwrap();
    for m in [&sig, &sbom] {
        let r = put_manifest(
            &app,
            &format!("/v2/r/img/manifests/{}", digest(m)),
            OCI_MANIFEST,
            m,
        )
        .await;
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["oci-subject"], image_d.as_str());
    }
    let r = req(&app, Method::GET, &format!("/v2/r/img/referrers/{image_d}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], OCI_INDEX);
    assert!(!r.headers().contains_key("oci-filters-applied"));
    let index: Value = r.json().await.unwrap();
    assert_eq!(index["mediaType"], OCI_INDEX);
    let mut found: Vec<(String, String)> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["digest"].as_str().unwrap().to_owned(),
                d["artifactType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    let mut expected = vec![
        (digest(&sig), "application/vnd.example.sig".to_owned()),
        (digest(&sbom), "application/vnd.example.sbom".to_owned()),
    ];
    expected.sort();
    assert_eq!(found, expected);
    let r = req(
        &app,
        Method::GET,
        &format!("/v2/r/img/referrers/{image_d}?artifactType=application/vnd.example.sig"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.headers()["oci-filters-applied"], "artifactType");
    let index: Value = r.json().await.unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(
        index["manifests"][0]["annotations"]["org.example.signed-by"],
        "ci"
    );
    let none: Value = req(
        &app,
        Method::GET,
        &format!("/v2/r/img/referrers/{}", digest(b"nothing")),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(none["manifests"], json!([]));

    // Eight clients push the same blob and the same tag at once: all succeed, one of each.
    let data: Vec<u8> = (0..500_000u32).map(|i| (i % 7) as u8).collect();
    let d = digest(&data);
    let pushes = (0..8).map(|_| {
        req(
            &app,
            Method::POST,
            &format!("/v2/r/busy/blobs/uploads/?digest={d}"),
        )
        .body(data.clone())
        .send()
    });
    for r in futures_util::future::join_all(pushes).await {
        assert_eq!(r.unwrap().status(), 201);
    }
    let m = image_manifest(&c, 2, &d, data.len());
    let tags = (0..8).map(|_| {
        req(&app, Method::PUT, "/v2/r/busy/manifests/same")
            .header(CONTENT_TYPE, OCI_MANIFEST)
            .body(m.clone())
            .send()
    });
    for r in futures_util::future::join_all(tags).await {
        assert_eq!(r.unwrap().status(), 201);
    }
    let list: Value = req(&app, Method::GET, "/v2/r/busy/tags/list")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["tags"], json!(["same"]));
    let got = req(&app, Method::GET, &format!("/v2/r/busy/blobs/{d}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), data.as_slice());
    let blob_file = app.data_dir.path().join(format!(
        "blobs/default/blobs/sha256/{}/{}",
        &d[7..9],
        &d[7..]
    ));
    assert!(blob_file.is_file());
}

async fn token_flow_on_own_port(app: TestApp) {
    let port = free_port();
    let mut body = docker_body("tok", Some(port));
    body["docker"]["forceBasicAuth"] = false.into();
    assert_eq!(
        app.post_json("/service/rest/v1/repositories/docker/hosted", &body)
            .await
            .status(),
        201
    );
    let base = format!("http://127.0.0.1:{port}");

    // Challenges name the token realm, the service and the scope.
    let r = app.client.get(format!("{base}/v2/")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert_eq!(
        challenge,
        format!("Bearer realm=\"{base}/v2/token\",service=\"stowage\"")
    );
    let r = app
        .client
        .get(format!("{base}/v2/img/tags/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .ends_with(",scope=\"repository:img:pull,push\"")
    );

    // The token endpoint: Basic credentials in, Docker's token fields out.
    let token_for = |user: &'static str, pass: &'static str, scope: &'static str| {
        app.client
            .get(format!("{base}/v2/token?service=stowage&scope={scope}"))
            .basic_auth(user, Some(pass))
            .send()
    };
    let r = token_for("admin", "wrong-password", "repository:img:pull,push")
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = token_for("admin", ADMIN_PASSWORD, "repository:img:pull,push")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    let token = t["token"].as_str().unwrap().to_owned();
    assert_eq!(t["access_token"], t["token"]);
    assert_eq!(t["expires_in"], 300);
    assert!(t["issued_at"].as_str().unwrap().starts_with("20"));

    // The token pushes and pulls.
    let data = b"pushed with a token".to_vec();
    let d = digest(&data);
    let r = app
        .client
        .post(format!("{base}/v2/img/blobs/uploads/?digest={d}"))
        .bearer_auth(&token)
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), data.as_slice());
    // Not for another image, nor beyond its actions, nor when tampered with.
    let r = app
        .client
        .get(format!("{base}/v2/other/blobs/{d}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let pull_only: Value = token_for("admin", ADMIN_PASSWORD, "repository:img:pull")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pull_only = pull_only["token"].as_str().unwrap().to_owned();
    let r = app
        .client
        .post(format!("{base}/v2/img/blobs/uploads/"))
        .bearer_auth(&pull_only)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .bearer_auth(&pull_only)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut tampered = token.clone();
    tampered.push('x');
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .bearer_auth(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A user without privileges gets a token that grants nothing.
    app.create_user("nobody", "nobody-password", &[]).await;
    let t: Value = token_for("nobody", "nobody-password", "repository:img:pull,push")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .bearer_auth(t["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Tokens are not credentials outside the registry routes.
    for path in [
        "/service/rest/v1/repositories",
        "/repository/tok/v2/img/tags/list",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    // Basic still works.
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn port_answers(app: &TestApp, port: u16) -> bool {
    app.client
        .get(format!("http://127.0.0.1:{port}/v2/"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .map(|r| r.status() == 200)
        .unwrap_or(false)
}

async fn own_port_opens_moves_and_closes(app: TestApp) {
    let port = free_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("ported", Some(port)),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert!(port_answers(&app, port).await, "the port opens at once");
    let on_port = |method: Method, path: &str| {
        app.client
            .request(method, format!("http://127.0.0.1:{port}{path}"))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
    };
    let r = app
        .client
        .get(format!("http://127.0.0.1:{port}/v2/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let data = b"layer on its own port".to_vec();
    let d = digest(&data);
    let r = on_port(Method::POST, "/v2/team/img/blobs/uploads/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let loc = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(loc.starts_with("/v2/team/img/blobs/uploads/"), "{loc}");
    let r = on_port(Method::PATCH, &loc)
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = on_port(Method::PUT, &format!("{loc}?digest={d}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let c = push_blob(&app, "ported", "team/img", b"{}").await;
    let m = image_manifest(&c, 2, &d, data.len());
    let r = on_port(Method::PUT, "/v2/team/img/manifests/v1")
        .header(CONTENT_TYPE, OCI_MANIFEST)
        .body(m.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // The catalog of a repository's own port names its images only; v1 search needs v1Enabled.
    let cat: Value = on_port(Method::GET, "/v2/_catalog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cat["repositories"], json!(["team/img"]));
    let r = on_port(Method::GET, "/v1/search?q=img")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The same content through path routing on the main port.
    let got = app
        .get("/v2/ported/team/img/manifests/v1")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), m.as_slice());

    // A port another repository has, or one in use elsewhere, is refused and nothing is saved.
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("second", Some(port)),
        )
        .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["id"], "PARAMETER docker.httpPort");
    assert!(v[0]["message"].as_str().unwrap().contains("ported"));
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("second", Some(busy_port)),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        app.get("/service/rest/v1/repositories/second")
            .await
            .status(),
        404
    );
    // A duplicate name leaves the existing repository's port alone.
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("ported", None),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(port_answers(&app, port).await);

    // Moving the port closes the old one and opens the new one.
    let moved = free_port();
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::PUT,
            "/service/rest/v1/repositories/docker/hosted/ported",
        )
        .json(&docker_body("ported", Some(moved)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(port_answers(&app, moved).await);
    assert!(!port_answers(&app, port).await, "the old port is closed");

    // Deleting the repository closes its port.
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::DELETE,
            "/service/rest/v1/repositories/ported",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(
        !port_answers(&app, moved).await,
        "the port is closed with the repository"
    );
}

pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

pub(crate) fn digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

async fn create_docker(app: &TestApp, name: &str, write_policy: &str) {
    let body = json!({
        "name": name, "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true,
                    "writePolicy": write_policy, "latestPolicy": true},
        "docker": {"v1Enabled": false, "forceBasicAuth": true}
    });
    let r = app
        .post_json("/service/rest/v1/repositories/docker/hosted", &body)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
}

fn req(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.as_user("admin", ADMIN_PASSWORD, method, path)
}

/// Pushes `data` as one monolithic upload.
pub(crate) async fn push_blob(app: &TestApp, repo: &str, image: &str, data: &[u8]) -> String {
    let d = digest(data);
    let r = req(
        app,
        Method::POST,
        &format!("/v2/{repo}/{image}/blobs/uploads/?digest={d}"),
    )
    .body(data.to_vec())
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    d
}

pub(crate) fn image_manifest(
    config: &str,
    config_len: usize,
    layer: &str,
    layer_len: usize,
) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_len},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_len}]
    }))
    .unwrap()
}

pub(crate) async fn put_manifest(
    app: &TestApp,
    path: &str,
    media_type: &str,
    body: &[u8],
) -> reqwest::Response {
    req(app, Method::PUT, path)
        .header(CONTENT_TYPE, media_type)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

pub(crate) async fn error_code(r: reqwest::Response) -> String {
    let v: Value = r.json().await.unwrap();
    v["errors"][0]["code"].as_str().unwrap().to_owned()
}

async fn push_and_pull_through_path_routing(app: TestApp) {
    create_docker(&app, "docker-hosted", "ALLOW").await;

    // Version check: a challenge without credentials, 200 with them.
    let r = app.client.get(app.url("/v2/")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(
        r.headers()["docker-distribution-api-version"],
        "registry/2.0"
    );
    assert_eq!(error_code(r).await, "UNAUTHORIZED");
    assert_eq!(
        req(&app, Method::GET, "/v2/")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Config: monolithic upload.
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_d = push_blob(&app, "docker-hosted", "team/app", config).await;

    // Layer: docker's way, one streamed PATCH then PUT.
    let layer: Vec<u8> = (0..3_000_000u32).map(|i| (i % 199) as u8).collect();
    let layer_d = digest(&layer);
    let layer_len = layer.len();
    let r = req(
        &app,
        Method::POST,
        "/v2/docker-hosted/team/app/blobs/uploads/",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    let location = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/v2/docker-hosted/team/app/blobs/uploads/"),
        "{location}"
    );
    assert_eq!(r.headers()["range"], "0-0");
    assert!(r.headers().contains_key("docker-upload-uuid"));
    let r = req(&app, Method::PATCH, &location)
        .body(layer.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["range"], format!("0-{}", layer.len() - 1));
    let r = req(&app, Method::PUT, &format!("{location}?digest={layer_d}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["docker-content-digest"], layer_d.as_str());
    assert_eq!(
        r.headers()[LOCATION],
        format!("/v2/docker-hosted/team/app/blobs/{layer_d}")
    );

    // Blobs come back whole, by range, and HEAD reports the size.
    let blob_url = format!("/v2/docker-hosted/team/app/blobs/{layer_d}");
    let r = req(&app, Method::HEAD, &blob_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], layer.len().to_string());
    let got = req(&app, Method::GET, &blob_url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(digest(&got), layer_d);
    let r = req(&app, Method::GET, &blob_url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &layer[10..20]);

    // Manifest by tag, served byte-exact with its media type, by tag and by digest.
    let manifest = image_manifest(&config_d, config.len(), &layer_d, layer.len());
    let manifest_d = digest(&manifest);
    let r = put_manifest(
        &app,
        "/v2/docker-hosted/team/app/manifests/v1",
        OCI_MANIFEST,
        &manifest,
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["docker-content-digest"], manifest_d.as_str());
    for reference in ["v1", manifest_d.as_str()] {
        let r = req(
            &app,
            Method::GET,
            &format!("/v2/docker-hosted/team/app/manifests/{reference}"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CONTENT_TYPE], OCI_MANIFEST);
        assert_eq!(r.headers()["docker-content-digest"], manifest_d.as_str());
        assert_eq!(r.bytes().await.unwrap().as_ref(), manifest.as_slice());
    }
    let r = req(
        &app,
        Method::HEAD,
        "/v2/docker-hosted/team/app/manifests/v1",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.headers()["content-length"], manifest.len().to_string());

    // More tags; sorted list with paging.
    for tag in ["v3", "v2", "latest"] {
        let r = put_manifest(
            &app,
            &format!("/v2/docker-hosted/team/app/manifests/{tag}"),
            OCI_MANIFEST,
            &manifest,
        )
        .await;
        assert_eq!(r.status(), 201);
    }
    let list: Value = req(&app, Method::GET, "/v2/docker-hosted/team/app/tags/list")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list,
        json!({"name": "docker-hosted/team/app", "tags": ["latest", "v1", "v2", "v3"]})
    );
    let r = req(
        &app,
        Method::GET,
        "/v2/docker-hosted/team/app/tags/list?n=2",
    )
    .send()
    .await
    .unwrap();
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert_eq!(
        link,
        "</v2/docker-hosted/team/app/tags/list?n=2&last=v1>; rel=\"next\""
    );
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["tags"], json!(["latest", "v1"]));
    let page: Value = req(
        &app,
        Method::GET,
        "/v2/docker-hosted/team/app/tags/list?n=2&last=v1",
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(page["tags"], json!(["v2", "v3"]));

    // An index of the manifest.
    let index = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": manifest_d, "size": manifest.len(),
         "platform": {"architecture": "amd64", "os": "linux"}}]}),
    )
    .unwrap();
    let r = put_manifest(
        &app,
        "/v2/docker-hosted/team/app/manifests/multi",
        OCI_INDEX,
        &index,
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = req(
        &app,
        Method::GET,
        "/v2/docker-hosted/team/app/manifests/multi",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.headers()[CONTENT_TYPE], OCI_INDEX);
    assert_eq!(r.bytes().await.unwrap().as_ref(), index.as_slice());

    // Deleting a tag keeps the manifest other tags share.
    let r = req(
        &app,
        Method::DELETE,
        "/v2/docker-hosted/team/app/manifests/v1",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(
        req(&app, Method::GET, "/v2/docker-hosted/team/app/manifests/v1")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        req(&app, Method::GET, "/v2/docker-hosted/team/app/manifests/v2")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Components: one per tag, format docker. Download times are written a moment later
    // (coalesced in memory, flushed every `download_flush_seconds`).
    crate::downloads::wait_downloaded(&app, "docker-hosted", &[format!("v2/-/blobs/{layer_d}")])
        .await;
    let page: Value = app
        .get("/service/rest/v1/components?repository=docker-hosted")
        .await
        .json()
        .await
        .unwrap();
    let mut versions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["format"], "docker");
            assert_eq!(c["name"], "team/app");
            c["version"].as_str().unwrap()
        })
        .collect();
    versions.sort();
    assert_eq!(versions, ["latest", "multi", "v2", "v3"]);
    // A tag's component lists its manifest, config and layer as assets.
    let v2 = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["version"] == "v2")
        .unwrap();
    let mut paths: Vec<&str> = v2["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap())
        .collect();
    paths.sort();
    let mut expected = vec![
        "v2/team/app/manifests/v2".to_owned(),
        format!("v2/team/app/manifests/{manifest_d}"),
        format!("v2/-/blobs/{config_d}"),
        format!("v2/-/blobs/{layer_d}"),
    ];
    expected.sort();
    assert_eq!(paths, expected);
    let layer = v2["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == format!("v2/-/blobs/{layer_d}"))
        .unwrap();
    assert_eq!(layer["fileSize"], layer_len as u64);
    assert_eq!(layer["checksum"]["sha256"], &layer_d[7..]);
    assert!(
        !layer["lastDownloaded"].is_null(),
        "the layer was pulled above"
    );

    // Nexus's URL form and the assets' download URLs serve the same content.
    let r = req(
        &app,
        Method::GET,
        "/repository/docker-hosted/v2/team/app/manifests/v2",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), manifest.as_slice());
    let assets = app.all_assets("docker-hosted").await;
    let layer_asset = assets
        .iter()
        .find(|a| a["path"] == format!("v2/-/blobs/{layer_d}"))
        .unwrap();
    assert_eq!(layer_asset["format"], "docker");
    let url = layer_asset["downloadUrl"].as_str().unwrap();
    let got = app
        .client
        .get(url)
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(digest(&got.bytes().await.unwrap()), layer_d);
    let r = req(
        &app,
        Method::GET,
        "/repository/docker-hosted/team/app/tags/list",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        404,
        "docker content under /repository/ is below v2/"
    );

    // The catalog lists repository/image.
    let cat: Value = req(&app, Method::GET, "/v2/_catalog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cat["repositories"], json!(["docker-hosted/team/app"]));

    // Deleting by digest removes the manifest and its tags.
    let r = req(
        &app,
        Method::DELETE,
        &format!("/v2/docker-hosted/team/app/manifests/{manifest_d}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    for tag in ["v2", "v3", "latest"] {
        let r = req(
            &app,
            Method::GET,
            &format!("/v2/docker-hosted/team/app/manifests/{tag}"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 404, "{tag}");
        assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN");
    }

    // A blob already in the repository mounts into another image.
    let r = req(
        &app,
        Method::POST,
        &format!("/v2/docker-hosted/other/blobs/uploads/?mount={layer_d}&from=team/app"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let unknown = digest(b"not pushed");
    let r = req(
        &app,
        Method::POST,
        &format!("/v2/docker-hosted/other/blobs/uploads/?mount={unknown}&from=team/app"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        r.status(),
        202,
        "an unknown blob falls back to an upload session"
    );

    // Blob delete.
    let r = req(&app, Method::DELETE, &blob_url).send().await.unwrap();
    assert_eq!(r.status(), 202);
    let r = req(&app, Method::HEAD, &blob_url).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

async fn upload_errors_and_chunk_order(app: TestApp) {
    create_docker(&app, "d", "ALLOW").await;
    let data: Vec<u8> = (0..100u8).collect();
    let d = digest(&data);
    let start = || async {
        let r = req(&app, Method::POST, "/v2/d/img/blobs/uploads/")
            .send()
            .await
            .unwrap();
        r.headers()[LOCATION].to_str().unwrap().to_owned()
    };

    // Chunks in order, out of order (416), status, last chunk with the PUT.
    let loc = start().await;
    let r = req(&app, Method::PATCH, &loc)
        .header("content-range", "0-39")
        .body(data[..40].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.headers()["range"], "0-39");
    let r = req(&app, Method::PATCH, &loc)
        .header("content-range", "50-59")
        .body(data[50..60].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(error_code(r).await, "RANGE_INVALID");
    let r = req(&app, Method::GET, &loc).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["range"], "0-39");
    let r = req(&app, Method::PATCH, &loc)
        .header("content-range", "40-79")
        .body(data[40..80].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = req(&app, Method::PUT, &format!("{loc}?digest={d}"))
        .header("content-range", "80-99")
        .body(data[80..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let got = req(&app, Method::GET, &format!("/v2/d/img/blobs/{d}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), data.as_slice());
    // The finished session is gone.
    let r = req(&app, Method::GET, &loc).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");

    // A wrong digest stores nothing.
    let loc = start().await;
    let other = b"other content".to_vec();
    let r = req(&app, Method::PATCH, &loc)
        .body(other.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let wrong = digest(b"something else");
    let r = req(&app, Method::PUT, &format!("{loc}?digest={wrong}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    for d in [&wrong, &digest(&other)] {
        let r = req(&app, Method::HEAD, &format!("/v2/d/img/blobs/{d}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    let r = req(
        &app,
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
    let r = req(&app, Method::PUT, &loc).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    assert_eq!(
        req(&app, Method::DELETE, &loc)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        req(&app, Method::DELETE, &loc)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = req(&app, Method::PATCH, "/v2/d/img/blobs/uploads/nope")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, "BLOB_UPLOAD_UNKNOWN");

    // Names, digests, unknown repositories and endpoints.
    let r = req(&app, Method::GET, "/v2/d/Bad_Name/tags/list")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "NAME_INVALID");
    let r = req(&app, Method::GET, "/v2/d/img/blobs/sha256:1234")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    let r = req(&app, Method::GET, "/v2/nope/img/tags/list")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
    let r = req(&app, Method::GET, "/v2/d/never-pushed/tags/list")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, "NAME_UNKNOWN");
    let r = app
        .client
        .get(app.url("/v2/d/img/tags/list"))
        .send()
        .await
        .unwrap();
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
    create_docker(&app, "once", "ALLOW_ONCE").await;
    let config = b"{}";
    let c = push_blob(&app, "once", "img", config).await;
    let l1 = push_blob(&app, "once", "img", b"layer one").await;
    let l2 = push_blob(&app, "once", "img", b"layer two").await;
    let m1 = image_manifest(&c, 2, &l1, 9);
    let m2 = image_manifest(&c, 2, &l2, 9);

    // Unknown blob, unknown child manifest, schema 1, wrong digest reference, garbage.
    let missing = image_manifest(&c, 2, &digest(b"never pushed"), 12);
    let r = put_manifest(&app, "/v2/once/img/manifests/x", OCI_MANIFEST, &missing).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");
    let index = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": digest(b"nope"), "size": 4}]}))
    .unwrap();
    let r = put_manifest(&app, "/v2/once/img/manifests/x", OCI_INDEX, &index).await;
    assert_eq!(error_code(r).await, "MANIFEST_BLOB_UNKNOWN");
    let schema1 = br#"{"schemaVersion":1,"name":"img","tag":"x","fsLayers":[],"history":[]}"#;
    let r = put_manifest(
        &app,
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
    let r = put_manifest(
        &app,
        &format!("/v2/once/img/manifests/{}", digest(b"x")),
        OCI_MANIFEST,
        &m1,
    )
    .await;
    assert_eq!(error_code(r).await, "DIGEST_INVALID");
    let r = put_manifest(&app, "/v2/once/img/manifests/x", OCI_MANIFEST, b"{oops").await;
    assert_eq!(error_code(r).await, "MANIFEST_INVALID");
    let big = vec![b' '; 4 * 1024 * 1024 + 10];
    let r = put_manifest(&app, "/v2/once/img/manifests/x", OCI_MANIFEST, &big).await;
    assert_eq!(r.status(), 413);
    assert_eq!(app.get("/v2/once/img/manifests/x").await.status(), 404);

    // A subject whose target is missing is accepted and echoed.
    let mut with_subject: Value = serde_json::from_slice(&m1).unwrap();
    with_subject["subject"] =
        json!({"mediaType": OCI_MANIFEST, "digest": digest(b"absent"), "size": 6});
    let with_subject = serde_json::to_vec(&with_subject).unwrap();
    let r = put_manifest(
        &app,
        &format!("/v2/once/img/manifests/{}", digest(&with_subject)),
        OCI_MANIFEST,
        &with_subject,
    )
    .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["oci-subject"], digest(b"absent").as_str());

    // ALLOW_ONCE: a tag cannot move, the same digest again is fine, latest may move.
    assert_eq!(
        put_manifest(&app, "/v2/once/img/manifests/v1", OCI_MANIFEST, &m1)
            .await
            .status(),
        201
    );
    assert_eq!(
        put_manifest(&app, "/v2/once/img/manifests/v1", OCI_MANIFEST, &m1)
            .await
            .status(),
        201
    );
    let r = put_manifest(&app, "/v2/once/img/manifests/v1", OCI_MANIFEST, &m2).await;
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
        put_manifest(&app, "/v2/once/img/manifests/latest", OCI_MANIFEST, &m1)
            .await
            .status(),
        201
    );
    assert_eq!(
        put_manifest(&app, "/v2/once/img/manifests/latest", OCI_MANIFEST, &m2)
            .await
            .status(),
        201
    );

    // An upload started before the repository became read-only cannot finish.
    create_docker(&app, "switch", "ALLOW").await;
    let r = req(&app, Method::POST, "/v2/switch/img/blobs/uploads/")
        .send()
        .await
        .unwrap();
    let loc = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let body = json!({"name": "switch", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true, "writePolicy": "DENY"},
        "docker": {"v1Enabled": false, "forceBasicAuth": true}});
    let r = req(
        &app,
        Method::PUT,
        "/service/rest/v1/repositories/docker/hosted/switch",
    )
    .json(&body)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    let r = req(&app, Method::PATCH, &loc)
        .body("late")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, "DENIED");

    // DENY: read-only.
    create_docker(&app, "ro", "DENY").await;
    let r = req(&app, Method::POST, "/v2/ro/img/blobs/uploads/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "DENIED");
}

async fn docker_repository_requests_are_validated(app: TestApp) {
    create_docker(&app, "dh", "ALLOW").await;
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
