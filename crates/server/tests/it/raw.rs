//! Raw hosted repositories over HTTP: round trips, headers, ranges, write policies, bad paths.

use crate::both_backends;
use crate::helpers::{TestApp, admin_basic, sha256_hex};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, ETAG, IF_NONE_MATCH, LAST_MODIFIED, RANGE};

both_backends!(
    put_get_head_delete_round_trip,
    ranges_and_conditional_get,
    content_disposition_follows_settings,
    allow_once_refuses_overwrite_and_keeps_content,
    deny_is_read_only,
    bad_paths_are_refused_and_nothing_is_written,
    credentials_are_required,
    same_content_is_stored_once,
    offline_repository_refuses_requests,
);

async fn put_get_head_delete_round_trip(app: TestApp) {
    app.create_raw("files", "ALLOW").await;
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let r = app
        .put_file("files", "releases/v1/app.tar.gz", body.clone())
        .await;
    assert_eq!(r.status(), 201);

    let r = app.get("/repository/files/releases/v1/app.tar.gz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[CONTENT_TYPE], "application/gzip");
    assert_eq!(r.headers()[ETAG], format!("\"{}\"", sha256_hex(&body)));
    assert!(r.headers().contains_key(LAST_MODIFIED));
    assert_eq!(r.bytes().await.unwrap().as_ref(), body.as_slice());

    let r = app
        .send(Method::HEAD, "/repository/files/releases/v1/app.tar.gz")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], body.len().to_string());

    let r = app
        .put_file("files", "releases/v1/notes.txt", "hello")
        .await;
    assert_eq!(r.status(), 201);
    let r = app.get("/repository/files/releases/v1/notes.txt").await;
    assert_eq!(r.headers()[CONTENT_TYPE], "text/plain");

    // Overwrite under ALLOW replaces the content.
    assert_eq!(
        app.put_file("files", "releases/v1/notes.txt", "bye")
            .await
            .status(),
        201
    );
    assert_eq!(
        app.get("/repository/files/releases/v1/notes.txt")
            .await
            .text()
            .await
            .unwrap(),
        "bye"
    );

    let r = app
        .send(Method::DELETE, "/repository/files/releases/v1/notes.txt")
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.get("/repository/files/releases/v1/notes.txt")
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/repository/files/missing.txt").await.status(), 404);
    assert_eq!(
        app.get("/repository/no-such-repo/x.txt").await.status(),
        404
    );

    // The HTML listing shows folders and files.
    let html = app
        .get("/service/rest/repository/browse/files/releases/v1/")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("app.tar.gz"), "{html}");
    assert!(!html.contains("notes.txt"), "{html}");
    let root = app
        .get("/service/rest/repository/browse/files/")
        .await
        .text()
        .await
        .unwrap();
    assert!(root.contains("href=\"releases/\""), "{root}");
    assert_eq!(
        app.get("/service/rest/repository/browse/files/nothing/")
            .await
            .status(),
        404
    );
}

async fn ranges_and_conditional_get(app: TestApp) {
    app.create_raw("files", "ALLOW").await;
    app.put_file("files", "a.bin", "0123456789").await;
    let ranged = |range: &'static str| {
        app.req(Method::GET, "/repository/files/a.bin")
            .header(RANGE, range)
            .send()
    };
    let r = ranged("bytes=2-5").await.unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 2-5/10");
    assert_eq!(r.text().await.unwrap(), "2345");
    let r = ranged("bytes=-3").await.unwrap();
    assert_eq!(r.text().await.unwrap(), "789");
    let r = ranged("bytes=7-").await.unwrap();
    assert_eq!(r.text().await.unwrap(), "789");
    let r = ranged("bytes=10-").await.unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(r.headers()["content-range"], "bytes */10");

    let etag = app.get("/repository/files/a.bin").await.headers()[ETAG].clone();
    let r = app
        .req(Method::GET, "/repository/files/a.bin")
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
}

async fn content_disposition_follows_settings(app: TestApp) {
    let mut body = crate::helpers::raw_hosted("inline", "ALLOW");
    body["raw"] = serde_json::json!({ "contentDisposition": "INLINE" });
    let r = app
        .post_json("/service/rest/v1/repositories/raw/hosted", &body)
        .await;
    assert_eq!(r.status(), 201);
    app.create_raw("attach", "ALLOW").await;
    app.put_file("inline", "page.html", "<p>hi</p>").await;
    app.put_file("attach", "page.html", "<p>hi</p>").await;
    let r = app.get("/repository/inline/page.html").await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(r.headers()[CONTENT_TYPE], "text/html");
    let r = app.get("/repository/attach/page.html").await;
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );

    body["raw"] = serde_json::json!({ "contentDisposition": "SIDEWAYS" });
    body["name"] = "other".into();
    let r = app
        .post_json("/service/rest/v1/repositories/raw/hosted", &body)
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("raw.contentDisposition"));
}

async fn allow_once_refuses_overwrite_and_keeps_content(app: TestApp) {
    app.create_raw("once", "ALLOW_ONCE").await;
    assert_eq!(
        app.put_file("once", "v1/app.jar", "first").await.status(),
        201
    );
    let r = app.put_file("once", "v1/app.jar", "second").await;
    assert_eq!(r.status(), 400);
    let msg = r.text().await.unwrap();
    assert!(msg.contains("does not allow updating"), "{msg}");
    assert_eq!(
        app.get("/repository/once/v1/app.jar")
            .await
            .text()
            .await
            .unwrap(),
        "first"
    );
    assert_eq!(
        app.put_file("once", "v1/other.jar", "x").await.status(),
        201
    );
}

async fn deny_is_read_only(app: TestApp) {
    app.create_raw("ro", "DENY").await;
    let r = app.put_file("ro", "a.txt", "x").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("read-only"));
    assert!(app.all_assets("ro").await.is_empty());
}

async fn bad_paths_are_refused_and_nothing_is_written(app: TestApp) {
    app.create_raw("files", "ALLOW").await;
    let long = "a".repeat(1100);
    let bad = [
        "/repository/files/../escape.txt".to_owned(),
        "/repository/files/a/../../escape.txt".to_owned(),
        "/repository/files/%2e%2e/escape.txt".to_owned(),
        "/repository/files/a/%2E%2E/escape.txt".to_owned(),
        "/repository/files/a//b.txt".to_owned(),
        "/repository/files/a%00b.txt".to_owned(),
        "/repository/files/./a.txt".to_owned(),
        "/repository/files/dir/".to_owned(),
        format!("/repository/files/{long}"),
    ];
    for path in &bad {
        let head = format!(
            "PUT {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: {}\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
            admin_basic()
        );
        let status = app.raw_http(&head, b"hello").await;
        assert_eq!(status, 400, "PUT {path}");
    }
    let r = app.put_file("files", "a%2e%2e/ok..txt", "fine").await;
    assert_eq!(r.status(), 201, "dots inside a name are fine");
    let assets = app.all_assets("files").await;
    assert_eq!(assets.len(), 1, "{assets:?}");
    assert_eq!(assets[0]["path"], "a../ok..txt");
    let escaped = app.data_dir.path().join("escape.txt");
    assert!(!escaped.exists());
}

async fn credentials_are_required(app: TestApp) {
    app.create_raw("files", "ALLOW").await;
    app.put_file("files", "a.txt", "x").await;
    let r = app
        .send_anonymous(Method::GET, "/repository/files/a.txt")
        .await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let r = app
        .as_user(
            "admin",
            "wrong-password",
            Method::GET,
            "/repository/files/a.txt",
        )
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
            "/repository/files/a.txt",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .as_user(
            "nobody",
            "nobody-password",
            Method::PUT,
            "/repository/files/b.txt",
        )
        .body("y")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(app.all_assets("files").await.len(), 1);
}

async fn same_content_is_stored_once(app: TestApp) {
    app.create_raw("one", "ALLOW").await;
    app.create_raw("two", "ALLOW").await;
    let body = vec![7u8; 100_000];
    app.put_file("one", "x.bin", body.clone()).await;
    app.put_file("two", "y/x.bin", body.clone()).await;
    let blobs = app.data_dir.path().join("blobs/default/blobs/sha256");
    let count = walk_files(&blobs);
    assert_eq!(count, 1, "one stored blob for two assets");
    let stores: serde_json::Value = app
        .get("/service/rest/v1/blobstores")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stores[0]["blobCount"], 1);
    assert_eq!(stores[0]["totalSizeInBytes"], 100_000);
}

fn walk_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk_files(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

async fn offline_repository_refuses_requests(app: TestApp) {
    let mut body = crate::helpers::raw_hosted("off", "ALLOW");
    body["online"] = false.into();
    assert_eq!(
        app.post_json("/service/rest/v1/repositories/raw/hosted", &body)
            .await
            .status(),
        201
    );
    assert_eq!(app.put_file("off", "a.txt", "x").await.status(), 503);
}
