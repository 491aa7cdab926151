//! What the UI's browse, search and repository pages show, read with a browser's session: a
//! group's tree is its members' content merged as the group serves it, an auto-blocked proxy
//! says so in the repository lists, a digest prefix finds what has that digest, and a proxy's
//! cached file says where it was cached from.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, Session, TestApp, image_manifest, refused_port, ui_sign_in};
use serde_json::{Value, json};

both_backends!(
    group_tree_shows_members_content,
    auto_blocked_proxy_says_so,
    digest_prefix_search,
    cached_files_say_where_from
);

/// The page at `path` with the admin's session (asserting 200).
async fn page(app: &TestApp, session: &Session, path: &str) -> String {
    let r = app
        .client
        .get(app.url(path))
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

async fn admin(app: &TestApp) -> Session {
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    ui_sign_in(app, &no_redirects, "admin", ADMIN_PASSWORD).await
}

async fn create(app: &TestApp, format_kind: &str, body: Value) {
    let r = app
        .post_json(
            &format!("/service/rest/v1/repositories/{format_kind}"),
            &body,
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
}

fn docker_hosted(name: &str) -> Value {
    json!({"name": name, "online": true,
           "storage": {"blobStoreName": "default", "strictContentTypeValidation": true,
                       "writePolicy": "ALLOW"},
           "docker": {"v1Enabled": false, "forceBasicAuth": true}})
}

/// Pushes `image:tag` (a config and a one-layer manifest made from `seed`) to `repo`; returns
/// the manifest's and the layer's digests.
async fn push_image(
    app: &TestApp,
    repo: &str,
    image: &str,
    tag: &str,
    seed: &str,
) -> (String, String) {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","seed":"{seed}"}}"#);
    let layer = format!("layer of {seed}");
    let config_d = app.push_blob(repo, image, config.as_bytes()).await;
    let layer_d = app.push_blob(repo, image, layer.as_bytes()).await;
    let manifest = image_manifest(&config_d, config.len(), &layer_d, layer.len());
    let r = app
        .put_manifest(
            &format!("/v2/{repo}/{image}/manifests/{tag}"),
            "application/vnd.oci.image.manifest.v1+json",
            &manifest,
        )
        .await;
    assert_eq!(r.status(), 201);
    (
        r.headers()["docker-content-digest"]
            .to_str()
            .unwrap()
            .to_owned(),
        layer_d,
    )
}

fn id_of(items: &[Value], path: &str) -> String {
    items
        .iter()
        .find(|a| a["path"] == path)
        .and_then(|a| a["id"].as_str())
        .unwrap_or_else(|| panic!("no {path}"))
        .to_owned()
}

async fn group_tree_shows_members_content(app: TestApp) {
    // Raw: two members with one file in common; the group serves the first member's.
    app.create_raw("raw-a", "ALLOW").await;
    app.create_raw("raw-b", "ALLOW").await;
    for (repo, path) in [
        ("raw-a", "docs/one.txt"),
        ("raw-a", "docs/both.txt"),
        ("raw-b", "docs/both.txt"),
        ("raw-b", "docs/two.txt"),
        ("raw-b", "top.txt"),
    ] {
        let r = app.put_file(repo, path, format!("{repo} {path}")).await;
        assert_eq!(r.status(), 201);
    }
    create(
        &app,
        "raw/group",
        json!({"name": "raw-g", "online": true,
               "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
               "group": {"memberNames": ["raw-a", "raw-b"]}}),
    )
    .await;
    let a = app.all_assets("raw-a").await;
    let b = app.all_assets("raw-b").await;
    assert_eq!(
        app.get("/repository/raw-g/docs/both.txt")
            .await
            .text()
            .await
            .unwrap(),
        "raw-a docs/both.txt",
        "the group serves the first member's copy"
    );
    let session = admin(&app).await;
    let root = page(&app, &session, "/ui/browse/raw-g/").await;
    assert!(!root.contains("Nothing here yet"), "{root}");
    assert!(root.contains("docs/") && root.contains("top.txt"), "{root}");
    let docs = page(&app, &session, "/ui/browse/raw-g/docs/").await;
    for link in [
        id_of(&a, "docs/one.txt"),
        id_of(&a, "docs/both.txt"),
        id_of(&b, "docs/two.txt"),
    ] {
        assert!(docs.contains(&format!("/ui/assets/{link}")), "{docs}");
    }
    assert!(
        !docs.contains(&format!("/ui/assets/{}", id_of(&b, "docs/both.txt"))),
        "a path two members have is listed once, from the first: {docs}"
    );

    // Docker: images and tags of both members; a tag both have is the first member's.
    create(&app, "docker/hosted", docker_hosted("dock-a")).await;
    create(&app, "docker/hosted", docker_hosted("dock-b")).await;
    push_image(&app, "dock-a", "app", "v1", "a-v1").await;
    push_image(&app, "dock-b", "app", "v1", "b-v1").await;
    push_image(&app, "dock-b", "app", "v2", "b-v2").await;
    push_image(&app, "dock-b", "tool", "1.0", "b-tool").await;
    create(
        &app,
        "docker/group",
        json!({"name": "dock-g", "online": true,
               "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
               "group": {"memberNames": ["dock-a", "dock-b"]},
               "docker": {"v1Enabled": false, "forceBasicAuth": true}}),
    )
    .await;
    let images = page(&app, &session, "/ui/browse/dock-g/").await;
    assert!(!images.contains("Nothing here yet"), "{images}");
    assert!(
        images.contains("/ui/browse/dock-g/app/") && images.contains("/ui/browse/dock-g/tool/"),
        "{images}"
    );
    let tags = page(&app, &session, "/ui/browse/dock-g/app/").await;
    let comps_a = components(&app, "dock-a").await;
    let comps_b = components(&app, "dock-b").await;
    let a_v1 = component_id(&comps_a, "app", "v1");
    let b_v1 = component_id(&comps_b, "app", "v1");
    let b_v2 = component_id(&comps_b, "app", "v2");
    assert!(tags.contains(&format!("/ui/components/{a_v1}")), "{tags}");
    assert!(tags.contains(&format!("/ui/components/{b_v2}")), "{tags}");
    assert!(
        !tags.contains(&format!("/ui/components/{b_v1}")),
        "the tag both members have is the first member's: {tags}"
    );
}

async fn components(app: &TestApp, repo: &str) -> Vec<Value> {
    let v: Value = app
        .get(&format!("/service/rest/v1/components?repository={repo}"))
        .await
        .json()
        .await
        .unwrap();
    v["items"].as_array().unwrap().clone()
}

fn component_id(items: &[Value], name: &str, version: &str) -> String {
    items
        .iter()
        .find(|c| c["name"] == name && c["version"].as_str().unwrap_or("") == version)
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("no {name}:{version} in {items:?}"))
        .to_owned()
}

async fn auto_blocked_proxy_says_so(app: TestApp) {
    // Nothing listens on the remote's port.
    let dead = refused_port();
    create(
        &app,
        "docker/proxy",
        json!({"name": "gone", "online": true,
               "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
               "proxy": {"remoteUrl": format!("http://127.0.0.1:{dead}"), "contentMaxAge": 1440,
                         "metadataMaxAge": 1440},
               "negativeCache": {"enabled": true, "timeToLive": 1440},
               "httpClient": {"blocked": false, "autoBlock": true, "connection": {"retries": 0}},
               "docker": {"v1Enabled": false, "forceBasicAuth": true}}),
    )
    .await;
    app.create_raw("files", "ALLOW").await;
    let session = admin(&app).await;
    let before = page(&app, &session, "/ui/").await;
    assert!(!before.contains("auto-blocked"), "{before}");
    for i in 0..3 {
        let r = app.get(&format!("/v2/gone/img{i}/manifests/1")).await;
        assert!(r.status().is_server_error(), "{}", r.status());
    }
    let shown: Value = app
        .get("/service/rest/v1/repositories/docker/proxy/gone")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"]["status"], "AUTO_BLOCKED", "{shown}");
    for path in ["/ui/", "/ui/admin/repositories"] {
        let html = page(&app, &session, path).await;
        assert_eq!(
            html.matches("online - auto-blocked").count(),
            1,
            "{path}: the blocked proxy, and only it: {html}"
        );
        assert!(
            html.contains(">online<"),
            "{path}: the raw repository is online"
        );
    }
}

async fn digest_prefix_search(app: TestApp) {
    create(&app, "docker/hosted", docker_hosted("images")).await;
    let (manifest_d, layer_d) = push_image(&app, "images", "app", "v1", "search").await;
    app.create_raw("files", "ALLOW").await;
    let body = "a raw file found by its digest";
    assert_eq!(
        app.put_file("files", "dist/tool.tgz", body).await.status(),
        201
    );
    let raw_hex = crate::helpers::sha256_hex(body.as_bytes());
    let session = admin(&app).await;
    let images = components(&app, "images").await;
    let files = components(&app, "files").await;
    let layers = app.all_assets("images").await;

    let search = |q: String| {
        let app = &app;
        let session = &session;
        async move { page(app, session, &format!("/ui/search?q={q}")).await }
    };
    let hex = |d: &str| d.trim_start_matches("sha256:").to_owned();
    // The manifest's digest finds the tag.
    let found = search(format!("sha256:{}", &hex(&manifest_d)[..4])).await;
    assert!(
        found.contains(&format!(
            "/ui/components/{}",
            component_id(&images, "app", "v1")
        )),
        "{found}"
    );
    // A layer's digest finds its asset (layers belong to no tag).
    let found = search(format!("sha256:{}", &hex(&layer_d)[..12])).await;
    assert!(
        found.contains(&format!(
            "/ui/assets/{}",
            id_of(&layers, &format!("v2/-/blobs/{layer_d}"))
        )),
        "{found}"
    );
    // A raw file's digest, upper case and whole, finds the file.
    let found = search(format!("SHA256:{}", raw_hex.to_uppercase())).await;
    assert!(
        found.contains(&format!(
            "/ui/components/{}",
            component_id(&files, "dist/tool.tgz", "")
        )),
        "{found}"
    );
    // Not a digest: nothing, and no error.
    let found = search("sha256:xyz".into()).await;
    assert!(found.contains("Nothing matches"), "{found}");
}

async fn cached_files_say_where_from(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tool.txt"), b"remote bytes").unwrap();
    let (_remote, port) = crate::raw_proxy::serve_dir(dir.path());
    let remote = format!("http://127.0.0.1:{port}/");
    create(
        &app,
        "raw/proxy",
        json!({"name": "mirror", "online": true,
               "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
               "proxy": {"remoteUrl": remote, "contentMaxAge": -1, "metadataMaxAge": 1440},
               "negativeCache": {"enabled": true, "timeToLive": 1440},
               "httpClient": {"blocked": false, "autoBlock": true}}),
    )
    .await;
    assert_eq!(app.get("/repository/mirror/tool.txt").await.status(), 200);
    let id = id_of(&app.all_assets("mirror").await, "tool.txt");
    let session = admin(&app).await;
    let html = page(&app, &session, &format!("/ui/assets/{id}")).await;
    let uploaded = html
        .split("<dt>Uploaded by</dt><dd>")
        .nth(1)
        .and_then(|s| s.split("</dd>").next())
        .unwrap_or_else(|| panic!("no Uploaded by: {html}"));
    assert!(
        uploaded.starts_with(&format!("cached from {}", remote.trim_end_matches('/'))),
        "Uploaded by: {uploaded}"
    );
}
