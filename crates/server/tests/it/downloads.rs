//! `lastDownloaded` of a tag's manifest asset: set by a pull of the tag (docker's `HEAD` by tag
//! then `GET` by digest, or a `GET` by tag) on hosted and proxy repositories and by a real
//! `docker pull`, written by the coalescing flusher, and written at shutdown too.

use crate::both_backends;
use crate::docker_cli::{image_id, import_image, login, ok, run, tag_and_push};
use crate::helpers::{
    ADMIN_PASSWORD, Db, OCI_MANIFEST, TestApp, digest, fresh_postgres_url, image_manifest,
    repository_port, test_config,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

both_backends!(tag_pulls_record_downloads, docker_pull_records_the_tag);

async fn create(app: &TestApp, kind: &str, body: Value) {
    let r = app
        .post_json(
            &format!("/service/rest/v1/repositories/docker/{kind}"),
            &body,
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
}

/// Pushes a small image to `repo` as `<image>:<tag>` through path routing; its manifest digest.
async fn push_image(app: &TestApp, repo: &str, image: &str, tag: &str) -> String {
    let c = app.push_blob(repo, image, b"{}").await;
    let l = app.push_blob(repo, image, tag.as_bytes()).await;
    let m = image_manifest(&c, 2, &l, tag.len());
    let path = format!("/v2/{repo}/{image}/manifests/{tag}");
    assert_eq!(
        app.put_manifest(&path, OCI_MANIFEST, &m).await.status(),
        201
    );
    digest(&m)
}

/// `lastDownloaded` of the asset at `path` of `repo` (null when never, or no such asset).
async fn last_downloaded(app: &TestApp, repo: &str, path: &str) -> Value {
    app.all_assets(repo)
        .await
        .into_iter()
        .find(|a| a["path"] == path)
        .map(|a| a["lastDownloaded"].clone())
        .unwrap_or(Value::Null)
}

/// Waits (at most 30 s) until every one of `paths` of `repo` has a `lastDownloaded`.
pub(crate) async fn wait_downloaded(app: &TestApp, repo: &str, paths: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let assets = app.all_assets(repo).await;
        let missing: Vec<&String> = paths
            .iter()
            .filter(|p| {
                !assets
                    .iter()
                    .any(|a| a["path"] == p.as_str() && a["lastDownloaded"].is_string())
            })
            .collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "lastDownloaded still unset on {missing:?}: {assets:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn tag_pulls_record_downloads(app: TestApp) {
    let upstream_port = repository_port();
    create(
        &app,
        "hosted",
        json!({"name": "h", "online": true,
            "storage": {"blobStoreName": "default", "writePolicy": "ALLOW"},
            "docker": {"httpPort": upstream_port}}),
    )
    .await;
    let d1 = push_image(&app, "h", "one", "v1").await;
    let d2 = push_image(&app, "h", "two", "v2").await;
    assert_eq!(
        last_downloaded(&app, "h", "v2/one/manifests/v1").await,
        Value::Null
    );

    // docker's way: HEAD by tag, then GET by digest.
    let r = app.send(Method::HEAD, "/v2/h/one/manifests/v1").await;
    assert_eq!(r.status(), 200);
    let r = app
        .send(Method::GET, &format!("/v2/h/one/manifests/{d1}"))
        .await;
    assert_eq!(r.status(), 200);
    // A GET by tag counts for the tag and for the manifest by digest.
    let r = app.send(Method::GET, "/v2/h/two/manifests/v2").await;
    assert_eq!(r.status(), 200);
    wait_downloaded(
        &app,
        "h",
        &[
            "v2/one/manifests/v1".into(),
            format!("v2/one/manifests/{d1}"),
            "v2/two/manifests/v2".into(),
            format!("v2/two/manifests/{d2}"),
        ],
    )
    .await;

    // A proxy of the hosted repository's own port: a cold GET by tag, then a cached HEAD.
    create(
        &app,
        "proxy",
        json!({"name": "p", "online": true,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
            "proxy": {"remoteUrl": format!("http://127.0.0.1:{upstream_port}"),
                      "contentMaxAge": 1440, "metadataMaxAge": 1440},
            "negativeCache": {"enabled": true, "timeToLive": 1440},
            "httpClient": {"blocked": false, "autoBlock": true,
                "authentication": {"type": "username", "username": "admin", "password": ADMIN_PASSWORD}},
            "docker": {"forceBasicAuth": true}}),
    )
    .await;
    let r = app.send(Method::GET, "/v2/p/one/manifests/v1").await;
    assert_eq!(r.status(), 200);
    // docker's way through the proxy: HEAD by tag (fetched and cached), then GET by digest.
    let r = app.send(Method::HEAD, "/v2/p/two/manifests/v2").await;
    assert_eq!(r.status(), 200);
    let r = app
        .send(Method::GET, &format!("/v2/p/two/manifests/{d2}"))
        .await;
    assert_eq!(r.status(), 200);
    wait_downloaded(
        &app,
        "p",
        &[
            "v2/one/manifests/v1".into(),
            format!("v2/one/manifests/{d1}"),
            "v2/two/manifests/v2".into(),
            format!("v2/two/manifests/{d2}"),
        ],
    )
    .await;
}

async fn docker_pull_records_the_tag(app: TestApp) {
    let port = repository_port();
    create(
        &app,
        "hosted",
        json!({"name": "dl", "online": true,
            "storage": {"blobStoreName": "default", "writePolicy": "ALLOW"},
            "docker": {"httpPort": port, "forceBasicAuth": true}}),
    )
    .await;
    assert!(crate::helpers::listening(port));
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("docker-config");
    let (local, _, unique) = import_image(work.path()).await;
    let registry = format!("127.0.0.1:{port}");
    ok(
        &login(&config, &registry, "admin", ADMIN_PASSWORD).await,
        "docker login",
    );
    let remote = format!("{registry}/pulled/{unique}:v1");
    tag_and_push(&config, &local, &remote, "docker push").await;
    let tag_path = format!("v2/pulled/{unique}/manifests/v1");
    assert_eq!(last_downloaded(&app, "dl", &tag_path).await, Value::Null);
    for _ in 0..2 {
        let rmi = ["rmi", remote.as_str()].map(str::to_owned).to_vec();
        ok(&run(config.clone(), rmi, None).await, "docker rmi");
        let pull = ["pull", remote.as_str()].map(str::to_owned).to_vec();
        ok(&run(config.clone(), pull, None).await, "docker pull");
    }
    image_id(&config, &remote).await;
    wait_downloaded(&app, "dl", &[tag_path]).await;
}

/// Download times noted but not yet flushed are written when the server stops.
async fn shutdown_flushes_downloads(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db_url = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(fresh_postgres_url().await),
    };
    let mut config = test_config(dir.path().to_owned(), db_url.clone());
    // No periodic flush during the test: only the shutdown can write.
    config.download_flush_seconds = 3600;
    stowage_server::telemetry::init("warn");
    let built = stowage_server::Application::build(config).await.unwrap();
    let app = TestApp {
        address: format!("http://127.0.0.1:{}", built.port()),
        client: reqwest::Client::new(),
        data_dir: tempfile::tempdir().unwrap(),
    };
    let handle = built.handle();
    let running = tokio::spawn(built.run_until_stopped());
    create(
        &app,
        "hosted",
        json!({"name": "s", "online": true,
            "storage": {"blobStoreName": "default", "writePolicy": "ALLOW"}, "docker": {}}),
    )
    .await;
    push_image(&app, "s", "img", "v1").await;
    let r = app.send(Method::GET, "/v2/s/img/manifests/v1").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        last_downloaded(&app, "s", "v2/img/manifests/v1").await,
        Value::Null,
        "not written before the flush"
    );
    handle.stop(true).await;
    running.await.unwrap().unwrap();

    let (address, handle) = crate::helpers::start(test_config(dir.path().to_owned(), db_url)).await;
    let app = TestApp { address, ..app };
    assert!(
        last_downloaded(&app, "s", "v2/img/manifests/v1")
            .await
            .is_string(),
        "written at shutdown"
    );
    handle.stop(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_downloads_sqlite() {
    shutdown_flushes_downloads(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_flushes_downloads_postgres() {
    shutdown_flushes_downloads(Db::Postgres).await;
}
