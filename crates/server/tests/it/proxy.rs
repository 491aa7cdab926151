//! Docker proxy repositories against a real upstream: Debian's `docker-registry` (CNCF
//! distribution) on loopback holding an image pushed with the docker CLI. Pulls through the
//! proxy, concurrent cold pulls of one blob (one upstream GET, counted in its access log), the
//! upstream stopped (the cache still serves), unknown tags, and credentials kept out of the API.

use crate::both_backends;
use crate::docker_cli::{image_id, import_image, login, ok, run, tag_and_push};
use crate::helpers::{ADMIN_PASSWORD, TestApp, repository_port, sha256_hex, spawn_on_port};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};

both_backends!(pull_through_cache);

/// Debian's docker-registry on a free loopback port, logging requests to `log`.
struct Upstream {
    child: Child,
    port: u16,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_upstream(dir: &Path, log: &Path, htpasswd: Option<&Path>) -> Upstream {
    let (child, port) = spawn_on_port(
        "docker-registry (scripts/test.sh installs docker-registry)",
        |port| registry_command(dir, log, htpasswd, port),
    );
    Upstream { child, port }
}

/// `docker-registry serve` of `dir` on `port`, logging to `log`.
fn registry_command(dir: &Path, log: &Path, htpasswd: Option<&Path>, port: u16) -> Command {
    let config = dir.join("config.yml");
    let auth = htpasswd
        .map(|f| {
            format!(
                "auth:\n  htpasswd:\n    realm: upstream\n    path: {}\n",
                f.display()
            )
        })
        .unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
            dir.join("data").display()
        ),
    )
    .unwrap();
    let out = std::fs::File::create(log).unwrap();
    let mut cmd = Command::new("docker-registry");
    cmd.arg("serve")
        .arg(&config)
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out));
    cmd
}

async fn pull_through_cache(app: TestApp) {
    let work = tempfile::tempdir().unwrap();
    let access_log = work.path().join("upstream.log");
    let upstream_dir = work.path().join("upstream");
    std::fs::create_dir_all(&upstream_dir).unwrap();
    let upstream = start_upstream(&upstream_dir, &access_log, None);
    let up = format!("127.0.0.1:{}", upstream.port);

    // An image in the upstream, pushed with the docker CLI.
    let config = work.path().join("docker-config");
    let (local, local_id, unique) = import_image(work.path()).await;
    let name = format!("team/app-{unique}");
    let upstream_image = format!("{up}/{name}:1");
    tag_and_push(&config, &local, &upstream_image, "push upstream").await;

    // A 200 MB blob in the upstream for the concurrency check.
    let big: Vec<u8> = (0..200_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let big_digest = format!("sha256:{}", sha256_hex(&big));
    let http = reqwest::Client::new();
    let r = http
        .post(format!("http://{up}/v2/{name}/blobs/uploads/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "upload started upstream");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let location = if location.starts_with('/') {
        format!("http://{up}{location}")
    } else {
        location
    };
    let sep = if location.contains('?') { '&' } else { '?' };
    let r = http
        .put(format!("{location}{sep}digest={big_digest}"))
        .header("content-type", "application/octet-stream")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "upload finished upstream");

    // The proxy, on its own port; metadataMaxAge 0 revalidates tags on every pull.
    let port = repository_port();
    let body = json!({
        "name": "hub", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "proxy": {"remoteUrl": format!("http://{up}"), "contentMaxAge": 1440, "metadataMaxAge": 0},
        "negativeCache": {"enabled": true, "timeToLive": 1440},
        "httpClient": {"blocked": false, "autoBlock": true},
        "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": port}
    });
    let r = app
        .post_json("/service/rest/v1/repositories/docker/proxy", &body)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());

    // docker pull through the proxy gives the same image.
    let registry = format!("127.0.0.1:{port}");
    let proxied = format!("{registry}/{name}:1");
    ok(
        &login(&config, &registry, "admin", ADMIN_PASSWORD).await,
        "docker login",
    );
    for i in [&upstream_image, &local] {
        ok(
            &run(config.clone(), vec!["rmi".into(), i.clone()], None).await,
            "rmi",
        );
    }
    ok(
        &run(config.clone(), vec!["pull".into(), proxied.clone()], None).await,
        "pull through the proxy",
    );
    let id = image_id(&config, &proxied).await;
    assert_eq!(id, local_id);

    // 20 concurrent cold pulls of one blob: one upstream download, every client gets it all.
    let blob_url = format!("http://{registry}/v2/{name}/blobs/{big_digest}");
    let pulls = (0..20).map(|_| {
        let (http, url) = (http.clone(), blob_url.clone());
        tokio::spawn(async move {
            use futures_util::StreamExt;
            use sha2::Digest as _;
            let r = http
                .get(&url)
                .basic_auth("admin", Some(ADMIN_PASSWORD))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let mut hasher = sha2::Sha256::new();
            let mut body = r.bytes_stream();
            while let Some(chunk) = body.next().await {
                hasher.update(chunk.unwrap());
            }
            hex::encode(hasher.finalize())
        })
    });
    for pull in futures_util::future::join_all(pulls).await {
        assert_eq!(format!("sha256:{}", pull.unwrap()), big_digest);
    }
    let log = std::fs::read_to_string(&access_log).unwrap();
    let upstream_gets = log
        .lines()
        .filter(|l| l.contains(&format!("\"GET /v2/{name}/blobs/{big_digest}")))
        .count();
    assert_eq!(
        upstream_gets, 1,
        "one upstream GET of the blob for 20 cold pulls:\n{log}"
    );

    // Cached assets are listed like pushed ones.
    let components: Value = app
        .get("/service/rest/v1/components?repository=hub")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(components["items"][0]["name"], name.as_str());
    assert_eq!(components["items"][0]["version"], "1");

    // An unknown tag is MANIFEST_UNKNOWN.
    let r = app
        .send_to(
            &registry,
            Method::GET,
            &format!("/v2/{name}/manifests/nope"),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["code"],
        "MANIFEST_UNKNOWN"
    );

    // A group on its own port with members [hosted, proxy] serves images of both.
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &crate::helpers::docker_body("own", None),
        )
        .await;
    assert_eq!(r.status(), 201);
    let main = app.address.trim_start_matches("http://").to_owned();
    ok(
        &login(&config, &main, "admin", ADMIN_PASSWORD).await,
        "docker login (main)",
    );
    let own = format!("{main}/own/own-{unique}:1");
    tag_and_push(&config, &proxied, &own, "push to the hosted member").await;
    let group_port = repository_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/group",
            &json!({"name": "everything", "online": true,
                    "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
                    "group": {"memberNames": ["own", "hub"]},
                    "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": group_port}}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let group = format!("127.0.0.1:{group_port}");
    ok(
        &login(&config, &group, "admin", ADMIN_PASSWORD).await,
        "docker login (group)",
    );
    for image in [
        format!("{group}/own-{unique}:1"),
        format!("{group}/{name}:1"),
    ] {
        ok(
            &run(config.clone(), vec!["pull".into(), image.clone()], None).await,
            "pull through the group",
        );
        let id = image_id(&config, &image).await;
        assert_eq!(id, local_id);
        let _ = run(config.clone(), vec!["rmi".into(), image], None).await;
    }
    let _ = run(config.clone(), vec!["rmi".into(), own], None).await;

    // An upstream behind htpasswd Basic auth, proxied with its credentials.
    let secured_dir = work.path().join("secured");
    std::fs::create_dir_all(&secured_dir).unwrap();
    let secret = format!("robot-{unique}");
    let line = Command::new("htpasswd")
        .args(["-Bbn", "robot", &secret])
        .output()
        .expect("htpasswd runs (scripts/test.sh installs apache2-utils)");
    assert!(line.status.success());
    let htpasswd = secured_dir.join("htpasswd");
    std::fs::write(&htpasswd, &line.stdout).unwrap();
    let secured = start_upstream(&secured_dir, &secured_dir.join("log"), Some(&htpasswd));
    let secured_addr = format!("127.0.0.1:{}", secured.port);
    ok(
        &login(&config, &secured_addr, "robot", &secret).await,
        "docker login (secured upstream)",
    );
    let secured_image = format!("{secured_addr}/{name}:1");
    tag_and_push(
        &config,
        &proxied,
        &secured_image,
        "push to the secured upstream",
    )
    .await;
    let _ = run(config.clone(), vec!["rmi".into(), secured_image], None).await;
    for (repo, password, works) in [
        ("authed", secret.as_str(), true),
        ("wrong-secret", "not-it", false),
    ] {
        let port = repository_port();
        let mut body = body.clone();
        body["name"] = json!(repo);
        body["proxy"]["remoteUrl"] = json!(format!("http://{secured_addr}"));
        body["docker"]["httpPort"] = json!(port);
        body["httpClient"]["authentication"] =
            json!({"type": "username", "username": "robot", "password": password});
        let r = app
            .post_json("/service/rest/v1/repositories/docker/proxy", &body)
            .await;
        assert_eq!(r.status(), 201);
        let r = http
            .get(format!("http://127.0.0.1:{port}/v2/{name}/manifests/1"))
            .header(
                "accept",
                "application/vnd.docker.distribution.manifest.v2+json",
            )
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .send()
            .await
            .unwrap();
        if works {
            assert_eq!(
                r.status(),
                200,
                "through a proxy with the upstream's credentials"
            );
            let through = format!("127.0.0.1:{port}/{name}:1");
            ok(
                &login(
                    &config,
                    &format!("127.0.0.1:{port}"),
                    "admin",
                    ADMIN_PASSWORD,
                )
                .await,
                "docker login",
            );
            ok(
                &run(config.clone(), vec!["pull".into(), through.clone()], None).await,
                "pull through the authenticated proxy",
            );
            let _ = run(config.clone(), vec!["rmi".into(), through], None).await;
        } else {
            assert_eq!(r.status(), 503, "the upstream refused our credentials");
            let text = r.text().await.unwrap();
            assert!(
                text.contains("UNAVAILABLE") && !text.contains(password),
                "{text}"
            );
        }
    }
    drop(secured);

    // The upstream goes away: the cache still serves the image (the stale tag included).
    drop(upstream);
    ok(
        &run(config.clone(), vec!["rmi".into(), proxied.clone()], None).await,
        "rmi",
    );
    ok(
        &run(config.clone(), vec!["pull".into(), proxied.clone()], None).await,
        "pull with the upstream down",
    );
    let r = app
        .send_to(&registry, Method::GET, &format!("/v2/{name}/tags/list"))
        .await;
    assert_eq!(r.status(), 200, "cached tags while the upstream is down");
    assert_eq!(r.json::<Value>().await.unwrap()["tags"], json!(["1"]));
    // Nothing cached and no upstream: 503 UNAVAILABLE, not "unknown".
    let r = app
        .send_to(&registry, Method::GET, "/v2/other/manifests/1")
        .await;
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.json::<Value>().await.unwrap()["errors"][0]["code"],
        "UNAVAILABLE"
    );
    // After repeated failures the upstream is auto-blocked, and the API says so.
    let shown: Value = app
        .get("/service/rest/v1/repositories/docker/proxy/hub")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"]["status"], "AUTO_BLOCKED", "{shown}");
    assert!(shown["status"]["retryInSeconds"].as_u64().unwrap() > 0);
    // Pushing to a proxy is refused.
    let r = app
        .send_to(
            &registry,
            Method::POST,
            &format!("/v2/{name}/blobs/uploads/"),
        )
        .await;
    assert_eq!(r.status(), 405);

    // Upstream credentials are stored but never shown.
    let mut with_auth = body.clone();
    with_auth["name"] = json!("private");
    with_auth["docker"]["httpPort"] = Value::Null;
    with_auth["httpClient"]["authentication"] =
        json!({"type": "username", "username": "robot", "password": format!("upstream-{unique}")});
    let r = app
        .post_json("/service/rest/v1/repositories/docker/proxy", &with_auth)
        .await;
    assert_eq!(r.status(), 201);
    let shown = app
        .get("/service/rest/v1/repositories/docker/proxy/private")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains("robot") && !shown.contains(&format!("upstream-{unique}")),
        "{shown}"
    );
    // Bad settings name their field.
    let mut bad = body.clone();
    bad["name"] = json!("bad");
    bad["docker"]["httpPort"] = Value::Null;
    bad["proxy"]["remoteUrl"] = json!("ftp://example.org");
    let r = app
        .post_json("/service/rest/v1/repositories/docker/proxy", &bad)
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()[0]["id"],
        "PARAMETER proxy.remoteUrl"
    );

    let _ = run(config.clone(), vec!["rmi".into(), proxied], None).await;
}
