//! A docker proxy repository whose upstream is another docker port of Stowage itself: a real
//! server that speaks Docker's token flow and throttles failed sign-ins. The proxy signs in
//! through the token flow with its credentials; a `HEAD` of a blob it has not cached downloads
//! nothing; a blob the upstream serves corrupted is never delivered whole nor cached; and the
//! upstream's 429 reaches the client as `TOOMANYREQUESTS` with the upstream's `Retry-After`,
//! never as "manifest unknown". A second proxy keeps its cache in an S3 blob store.

use crate::both_backends;
use crate::helpers::{
    ADMIN_PASSWORD, OCI_MANIFEST, TestApp, digest, error_code, image_manifest, repository_port,
};
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

/// A TCP relay in front of a loopback port that records the request line of every request sent
/// through it (before passing the request on), so a test can tell what a proxy asked its
/// upstream, and wait for it.
struct Recorder {
    port: u16,
    lines: tokio::sync::watch::Receiver<Vec<String>>,
}

impl Recorder {
    async fn start(target: u16) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (seen, lines) = tokio::sync::watch::channel(Vec::new());
        let seen = std::sync::Arc::new(seen);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                else {
                    continue;
                };
                let (mut from_client, mut to_client) = inbound.into_split();
                let (mut from_upstream, mut to_upstream) = outbound.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut from_upstream, &mut to_client).await;
                    let _ = to_client.shutdown().await;
                });
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut head = Vec::new();
                    loop {
                        let n = match from_client.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        // A proxy's requests upstream (GET, HEAD) have no body: each one is a
                        // head ending with a blank line.
                        head.extend_from_slice(&buf[..n]);
                        while let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                            let text = String::from_utf8_lossy(&head[..end]).into_owned();
                            let line = text.lines().next().unwrap_or("").to_owned();
                            seen.send_modify(|l| l.push(line));
                            head.drain(..end + 4);
                        }
                        if to_upstream.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = to_upstream.shutdown().await;
                });
            }
        });
        Self { port, lines }
    }

    /// How many requests so far began with `request` (`"GET /v2/…"`).
    fn count(&self, request: &str) -> usize {
        let prefix = format!("{request} ");
        self.lines
            .borrow()
            .iter()
            .filter(|l| l.starts_with(&prefix))
            .count()
    }

    /// Waits (at most 30 s) until `n` requests began with `request`.
    async fn wait_for(&self, request: &str, n: usize) {
        let prefix = format!("{request} ");
        let mut lines = self.lines.clone();
        let reached = lines.wait_for(|l| l.iter().filter(|l| l.starts_with(&prefix)).count() >= n);
        tokio::time::timeout(Duration::from_secs(30), reached)
            .await
            .unwrap_or_else(|_| panic!("{n} × {request} upstream: {:?}", self.lines.borrow()))
            .unwrap();
    }
}

/// Waits (at most 30 s) until the `default` blob store holds no temporary object: a proxy's
/// download spools into one, which it removes (or commits) only once the download has ended
/// and the blob has been recorded or refused.
async fn spools_gone(app: &TestApp) {
    let tmp = app.data_dir.path().join("blobs/default/tmp");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if left.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "downloads still spooling: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    let origin_port = repository_port();
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
    let config = app.push_blob("origin", "app", config_json).await;
    // Layers larger than the blob store's in-memory copies of small blobs.
    let layer_bytes = pattern(3 * 1024 * 1024 + 17, 1);
    let layer = app.push_blob("origin", "app", &layer_bytes).await;
    let manifest = image_manifest(&config, config_json.len(), &layer, layer_bytes.len());
    let r = app
        .put_manifest("/v2/origin/app/manifests/1", OCI_MANIFEST, &manifest)
        .await;
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

    // The mirror reaches the origin through a relay that records what it asks.
    let upstream = Recorder::start(origin_port).await;
    let mirror = repository_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/proxy",
            &proxy_body("mirror", mirror, upstream.port, "puller", "puller-secret-1"),
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
    // The relay saw the HEAD go upstream before the answer came back, and no GET.
    let (head_upstream, get_upstream) = (
        format!("HEAD /v2/app/blobs/{layer}"),
        format!("GET /v2/app/blobs/{layer}"),
    );
    assert_eq!(upstream.count(&head_upstream), 1, "the HEAD asked upstream");
    assert_eq!(
        upstream.count(&get_upstream),
        0,
        "a HEAD downloaded the blob"
    );
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
    let ranged = app.push_blob("origin", "app", &ranged_bytes).await;
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

    // Nor did that HEAD start a download since: the first upstream GET of the layer is the
    // next one's.
    assert_eq!(
        upstream.count(&get_upstream),
        0,
        "a HEAD downloaded the blob"
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
    let on_s3 = repository_port();
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
    let bad = app.push_blob("origin", "app", &bad_bytes).await;
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
    // The blob was downloaded (each attempt downloads it, or joins a download in flight), and
    // the downloads have ended: a spool is gone once its blob is recorded or refused.
    upstream
        .wait_for(&format!("GET /v2/app/blobs/{bad}"), 1)
        .await;
    spools_gone(&app).await;
    assert!(
        !has_asset(&app, "mirror", &bad_hex).await,
        "a corrupt blob was cached"
    );

    // Rate limiting: the upstream locks a user out after 10 failed sign-ins in a row and then
    // answers 429 with Retry-After. A proxy with that user's wrong password passes it on.
    let locked = repository_port();
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
