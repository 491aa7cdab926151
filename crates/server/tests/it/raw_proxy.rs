//! Raw proxy and raw group repositories against a real HTTP server (Python's `http.server` on
//! loopback): files fetched once and cached, 404s remembered, the cache serving while the remote
//! is down, a group answering from its members in order, and what both refuse.

use crate::both_backends;
use crate::helpers::TestApp;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};

both_backends!(raw_proxy_and_group);

pub(crate) struct Remote(Child);

impl Drop for Remote {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Serves `dir` with `http.server` on a port it picks itself (port 0), read back from its
/// "Serving HTTP on 127.0.0.1 port N" line; the server listens once it has printed that.
pub(crate) fn serve_dir(dir: &std::path::Path) -> (Remote, u16) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new("python3")
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let stdout = child.stdout.take().unwrap();
    let mut remote = Remote(child);
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    let port = line
        .split(" port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok());
    match port {
        Some(port) => (remote, port),
        None => {
            let _ = remote.0.kill();
            panic!("http.server did not say where it listens: {line:?}");
        }
    }
}

async fn raw_proxy_and_group(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    std::fs::write(dir.path().join("dist/tool-1.0.tar.gz"), b"remote bytes v1").unwrap();
    let (remote, port) = serve_dir(dir.path());

    let proxy = json!({
        "name": "upstream-files", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "proxy": {"remoteUrl": format!("http://127.0.0.1:{port}/"), "contentMaxAge": -1, "metadataMaxAge": 1440},
        "negativeCache": {"enabled": true, "timeToLive": 1440},
        "httpClient": {"blocked": false, "autoBlock": true,
                       "authentication": {"type": "username", "username": "robot", "password": "remote-secret"}}
    });
    let r = app
        .post_json("/service/rest/v1/repositories/raw/proxy", &proxy)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let shown = app
        .get("/service/rest/v1/repositories/raw/proxy/upstream-files")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains("robot") && !shown.contains("remote-secret"),
        "{shown}"
    );

    // Fetched from the remote, then cached.
    let r = app
        .get("/repository/upstream-files/dist/tool-1.0.tar.gz")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"remote bytes v1");
    assert_eq!(app.all_assets("upstream-files").await.len(), 1);
    let r = app.get("/repository/upstream-files/dist/missing.txt").await;
    assert_eq!(r.status(), 404);
    // Remembered as missing even once it exists (negative cache).
    std::fs::write(dir.path().join("dist/missing.txt"), b"late").unwrap();
    assert_eq!(
        app.get("/repository/upstream-files/dist/missing.txt")
            .await
            .status(),
        404
    );
    // Uploads to a proxy are refused.
    let r = app.put_file("upstream-files", "dist/new.txt", "x").await;
    assert_eq!(r.status(), 405);

    // The remote goes away: the cached file is still served; an uncached one is 502.
    drop(remote);
    let r = app
        .get("/repository/upstream-files/dist/tool-1.0.tar.gz")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"remote bytes v1");
    assert_eq!(
        app.get("/repository/upstream-files/dist/other.txt")
            .await
            .status(),
        502
    );

    // A group of a hosted repository and the proxy: first member that has the file.
    app.create_raw("local-files", "ALLOW").await;
    assert_eq!(
        app.put_file("local-files", "dist/tool-1.0.tar.gz", "local bytes")
            .await
            .status(),
        201
    );
    assert_eq!(
        app.put_file("local-files", "notes.txt", "only local")
            .await
            .status(),
        201
    );
    let group = |name: &str, members: &[&str]| {
        json!({"name": name, "online": true,
               "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
               "group": {"memberNames": members}})
    };
    let r = app
        .post_json(
            "/service/rest/v1/repositories/raw/group",
            &group("all-files", &["local-files", "upstream-files"]),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let body = |r: reqwest::Response| async move { r.bytes().await.unwrap().to_vec() };
    assert_eq!(
        body(app.get("/repository/all-files/dist/tool-1.0.tar.gz").await).await,
        b"local bytes"
    );
    assert_eq!(
        body(app.get("/repository/all-files/notes.txt").await).await,
        b"only local"
    );
    // The proxy member cannot ask its remote and is skipped: the hosted member answered that it
    // has no such file, so 404 (see group_members.rs).
    assert_eq!(
        app.get("/repository/all-files/nothing.txt").await.status(),
        404
    );
    let r = app
        .post_json(
            "/service/rest/v1/repositories/raw/group",
            &group("swapped", &["upstream-files", "local-files"]),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        body(app.get("/repository/swapped/dist/tool-1.0.tar.gz").await).await,
        b"remote bytes v1"
    );
    // The failing proxy member does not hide what a later member has.
    assert_eq!(
        body(app.get("/repository/swapped/notes.txt").await).await,
        b"only local"
    );
    assert_eq!(app.put_file("all-files", "x.txt", "x").await.status(), 405);

    // What a group refuses.
    let r = app
        .post_json(
            "/service/rest/v1/repositories/raw/group",
            &group("outer", &["all-files"]),
        )
        .await;
    assert_eq!(r.status(), 201);
    for (body, says) in [
        (group("all-files", &["local-files", "outer"]), "cycle"),
        (group("all-files", &["all-files"]), "itself"),
        (group("all-files", &["nope"]), "does not exist"),
    ] {
        let r = app
            .as_user(
                "admin",
                crate::helpers::ADMIN_PASSWORD,
                reqwest::Method::PUT,
                "/service/rest/v1/repositories/raw/group/all-files",
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e[0]["id"], "PARAMETER group.memberNames");
        assert!(e[0]["message"].as_str().unwrap().contains(says), "{e}");
    }
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &crate::helpers::docker_body("images", None),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .post_json(
            "/service/rest/v1/repositories/raw/group",
            &group("mixed", &["images"]),
        )
        .await;
    assert_eq!(r.status(), 400, "a docker repository in a raw group");
    let mut bad = proxy.clone();
    bad["name"] = json!("bad");
    bad["proxy"]["remoteUrl"] = json!("not a url");
    let r = app
        .post_json("/service/rest/v1/repositories/raw/proxy", &bad)
        .await;
    assert_eq!(r.status(), 400);
}
