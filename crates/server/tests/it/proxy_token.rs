//! A docker proxy repository whose upstream is another docker port of Stowage itself: a real
//! server that speaks Docker's token flow and throttles failed sign-ins. The proxy signs in
//! through the token flow with its credentials; a `HEAD` of a blob it has not cached downloads
//! nothing; a blob the upstream serves corrupted is never delivered whole nor cached; and the
//! upstream's 429 reaches the client as `TOOMANYREQUESTS` with the upstream's `Retry-After`,
//! never as "manifest unknown". A second proxy keeps its cache in an S3 blob store.

use crate::both_backends;
use crate::docker::{OCI_MANIFEST, digest, error_code, image_manifest, push_blob, put_manifest};
use crate::helpers::{ADMIN_PASSWORD, TestApp, free_port};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

both_backends!(proxy_of_a_token_flow_upstream);

/// `len` bytes that do not repeat in any short period.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// The file named `name` somewhere under `dir`.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
    }
    None
}

/// Whether repository `repo` has an asset whose path ends with `hex`.
async fn has_asset(app: &TestApp, repo: &str, hex: &str) -> bool {
    app.all_assets(repo)
        .await
        .iter()
        .any(|a| a["path"].as_str().unwrap_or("").ends_with(hex))
}

/// Whether repository `repo` has an asset ending with `hex` within 10 s: a proxy caches a blob
/// after the response that fetched it has ended.
async fn cached_soon(app: &TestApp, repo: &str, hex: &str) -> bool {
    for _ in 0..100 {
        if has_asset(app, repo, hex).await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn proxy_body(name: &str, port: u16, upstream_port: u16, user: &str, password: &str) -> Value {
    json!({
        "name": name, "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "proxy": {"remoteUrl": format!("http://127.0.0.1:{upstream_port}"),
                  "contentMaxAge": 1440, "metadataMaxAge": 1440},
        "negativeCache": {"enabled": true, "timeToLive": 1440},
        "httpClient": {"blocked": false, "autoBlock": true,
                       "authentication": {"type": "username", "username": user, "password": password}},
        "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": port}
    })
}

async fn proxy_of_a_token_flow_upstream(app: TestApp) {
    // The upstream: a hosted repository on its own port with the token flow, anonymous off.
    let origin_port = free_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &json!({
                "name": "origin", "online": true,
                "storage": {"blobStoreName": "default", "strictContentTypeValidation": true,
                            "writePolicy": "ALLOW"},
                "docker": {"v1Enabled": false, "forceBasicAuth": false, "httpPort": origin_port}
            }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let config_json =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config = push_blob(&app, "origin", "app", config_json).await;
    // Layers larger than the blob store's in-memory copies of small blobs.
    let layer_bytes = pattern(3 * 1024 * 1024 + 17, 1);
    let layer = push_blob(&app, "origin", "app", &layer_bytes).await;
    let manifest = image_manifest(&config, config_json.len(), &layer, layer_bytes.len());
    let r = put_manifest(&app, "/v2/origin/app/manifests/1", OCI_MANIFEST, &manifest).await;
    assert_eq!(r.status(), 201);

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let r = http
        .get(format!("http://127.0.0.1:{origin_port}/v2/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(
        challenge.starts_with("Bearer realm="),
        "the upstream asks for the token flow: {challenge}"
    );

    // Readers of the origin, whose credentials the proxies use.
    let r = app
        .post_json(
            "/service/rest/v1/security/roles",
            &json!({"id": "origin-readers", "name": "origin-readers", "roles": [],
                    "privileges": ["nx-repository-view-docker-origin-read",
                                   "nx-repository-view-docker-origin-browse"]}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    app.create_user("puller", "puller-secret-1", &["origin-readers"])
        .await;
    app.create_user("locked", "locked-secret-1", &["origin-readers"])
        .await;

    let mirror = free_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/proxy",
            &proxy_body("mirror", mirror, origin_port, "puller", "puller-secret-1"),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let through = |method: Method, port: u16, path: &str| {
        http.request(method, format!("http://127.0.0.1:{port}/v2/app/{path}"))
            .header("accept", OCI_MANIFEST)
            .basic_auth("admin", Some(ADMIN_PASSWORD))
    };

    // The manifest, through the token flow with the proxy's credentials.
    let r = through(Method::GET, mirror, "manifests/1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "manifest through the token flow");
    assert_eq!(
        r.headers()["docker-content-digest"],
        digest(&manifest).as_str()
    );
    assert_eq!(r.bytes().await.unwrap(), manifest);

    // HEAD of a blob the proxy has not cached: the upstream's answer, nothing downloaded.
    let layer_hex = layer.trim_start_matches("sha256:");
    let r = through(Method::HEAD, mirror, &format!("blobs/{layer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["docker-content-digest"], layer.as_str());
    assert_eq!(
        r.headers()["content-length"],
        layer_bytes.len().to_string().as_str()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !has_asset(&app, "mirror", layer_hex).await,
        "a HEAD cached the blob"
    );
    // A HEAD of a blob the upstream does not have.
    let missing = digest(b"not upstream");
    let r = through(Method::HEAD, mirror, &format!("blobs/{missing}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A range of a blob not cached (a client resuming a pull) is served from the download,
    // which still fetches and caches the whole blob.
    let ranged_bytes = pattern(1024 * 1024 + 3, 3);
    let ranged = push_blob(&app, "origin", "app", &ranged_bytes).await;
    let r = through(Method::GET, mirror, &format!("blobs/{ranged}"))
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206, "a range of an uncached blob");
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 1000-1999/{}", ranged_bytes.len()).as_str()
    );
    assert_eq!(r.bytes().await.unwrap(), ranged_bytes[1000..2000]);
    assert!(
        cached_soon(&app, "mirror", ranged.trim_start_matches("sha256:")).await,
        "the whole blob was cached after a range of it"
    );

    // GET: the bytes, then the cached copy.
    let r = through(Method::GET, mirror, &format!("blobs/{layer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), layer_bytes);
    assert!(
        cached_soon(&app, "mirror", layer_hex).await,
        "the downloaded blob was cached"
    );

    // The same through a proxy whose blob store is S3: its spool is a local file, copied into
    // the bucket once the digest checks out.
    let (endpoint, bucket) = crate::blobstores::s3_endpoint();
    let prefix = format!("proxy-{}", uuid::Uuid::new_v4().simple());
    let r = app
        .post_json(
            "/service/rest/v1/blobstores/s3",
            &json!({
                "name": "proxy-s3",
                "bucketConfiguration": {
                    "bucket": {"name": bucket, "region": "us-east-1", "prefix": prefix},
                    "bucketSecurity": {"accessKeyId": "testing", "secretAccessKey": "testing-secret"},
                    "advancedBucketConnection": {"endpoint": endpoint, "forcePathStyle": true}
                }
            }),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let on_s3 = free_port();
    let mut body = proxy_body("mirror-s3", on_s3, origin_port, "puller", "puller-secret-1");
    body["storage"]["blobStoreName"] = json!("proxy-s3");
    let r = app
        .post_json("/service/rest/v1/repositories/docker/proxy", &body)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    for pass in ["cold, through S3", "warm, from S3"] {
        let r = through(Method::GET, on_s3, &format!("blobs/{layer}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{pass}");
        assert_eq!(r.bytes().await.unwrap(), layer_bytes, "{pass}");
        assert!(
            cached_soon(&app, "mirror-s3", layer_hex).await,
            "{pass}: the blob is cached in the S3 store"
        );
    }

    // A blob the upstream serves corrupted: no client gets it whole, the proxy keeps no copy.
    let bad_bytes = pattern(2 * 1024 * 1024 + 5, 2);
    let bad = push_blob(&app, "origin", "app", &bad_bytes).await;
    let bad_hex = bad.trim_start_matches("sha256:").to_owned();
    let file = find_file(app.data_dir.path(), &bad_hex).expect("the origin's blob file");
    let mut corrupt = bad_bytes.clone();
    corrupt[1_000_000] ^= 0xff;
    std::fs::write(&file, &corrupt).unwrap();
    for attempt in 0..2 {
        let r = through(Method::GET, mirror, &format!("blobs/{bad}"))
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            // The response either breaks off or ends short: the client sees the failure.
            200 => {
                if let Ok(body) = r.bytes().await {
                    assert!(
                        body.len() < bad_bytes.len(),
                        "attempt {attempt}: a blob that does not match its digest was delivered whole"
                    );
                }
            }
            status => assert_eq!(status, 503, "attempt {attempt}"),
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !has_asset(&app, "mirror", &bad_hex).await,
        "a corrupt blob was cached"
    );

    // Rate limiting: the upstream locks a user out after 10 failed sign-ins in a row and then
    // answers 429 with Retry-After. A proxy with that user's wrong password passes it on.
    let locked = free_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/proxy",
            &proxy_body(
                "locked-out",
                locked,
                origin_port,
                "locked",
                "not-the-password",
            ),
        )
        .await;
    assert_eq!(r.status(), 201);
    let mut refused = 0;
    loop {
        let r = through(Method::GET, locked, "manifests/1")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let code = error_code(r).await;
        if status == 429 {
            assert_eq!(code, "TOOMANYREQUESTS");
            let secs: u64 = retry
                .expect("the upstream's Retry-After is passed on")
                .parse()
                .expect("Retry-After in seconds");
            assert!(secs > 0 && secs <= 15 * 60, "Retry-After {secs}");
            break;
        }
        assert_eq!(
            (status, code.as_str()),
            (503, "UNAVAILABLE"),
            "refused credentials upstream"
        );
        refused += 1;
        assert!(
            refused < 15,
            "the upstream did not rate-limit after {refused} refusals"
        );
    }
    assert!(refused >= 3, "only {refused} refusals before the 429");
    // The proxy with the right credentials is not affected.
    let r = through(Method::GET, mirror, "manifests/1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
