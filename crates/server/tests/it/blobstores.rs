//! `/v1/blobstores`, and raw repositories on a file store and on a real S3-compatible server.

use crate::both_backends;
use crate::helpers::{TestApp, sha256_hex};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    file_stores,
    s3_store_round_trip,
    bad_blob_store_requests,
    file_store_paths,
    temp_files_are_shown_and_purged,
);

/// The S3 test server's endpoint and bucket, which `scripts/test.sh` starts and creates.
pub fn s3_endpoint() -> (String, String) {
    let endpoint = std::env::var("STOWAGE_TEST_S3_ENDPOINT").expect(
        "STOWAGE_TEST_S3_ENDPOINT must name an S3-compatible server; run the suite with scripts/test.sh",
    );
    let bucket = std::env::var("STOWAGE_TEST_S3_BUCKET").unwrap_or_else(|_| "stowage-test".into());
    (endpoint, bucket)
}

async fn file_stores(app: TestApp) {
    let list: Vec<Value> = app
        .get("/service/rest/v1/blobstores")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "default");
    assert_eq!(list[0]["type"], "File");
    assert!(list[0]["availableSpaceInBytes"].as_u64().unwrap() > 0);

    let r = app
        .post_json(
            "/service/rest/v1/blobstores/file",
            &json!({"name": "second", "path": "second"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let got: Value = app
        .get("/service/rest/v1/blobstores/file/second")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["path"], "second");
    let mut repo = crate::helpers::raw_hosted("on-second", "ALLOW");
    repo["storage"]["blobStoreName"] = "second".into();
    assert_eq!(
        app.post_json("/service/rest/v1/repositories/raw/hosted", &repo)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.put_file("on-second", "f.txt", "data").await.status(),
        201
    );
    assert!(
        app.data_dir
            .path()
            .join("blobs/second/blobs/sha256")
            .is_dir()
    );
    let asset = &app.all_assets("on-second").await[0];
    assert_eq!(asset["blobStoreName"], "second");

    let del = |name: &str| {
        app.req(
            Method::DELETE,
            &format!("/service/rest/v1/blobstores/{name}"),
        )
        .send()
    };
    assert_eq!(del("second").await.unwrap().status(), 400, "in use");
    let r = app
        .send(Method::DELETE, "/service/rest/v1/repositories/on-second")
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(del("second").await.unwrap().status(), 204);
    assert_eq!(del("second").await.unwrap().status(), 404);
}

async fn s3_store_round_trip(app: TestApp) {
    let (endpoint, bucket) = s3_endpoint();
    let prefix = format!("t-{}", uuid::Uuid::new_v4().simple());
    let body = json!({
        "name": "s3",
        "bucketConfiguration": {
            "bucket": {"name": bucket, "region": "us-east-1", "prefix": prefix},
            "bucketSecurity": {"accessKeyId": "testing", "secretAccessKey": "testing-secret"},
            "advancedBucketConnection": {"endpoint": endpoint, "forcePathStyle": true}
        }
    });
    let r = app.post_json("/service/rest/v1/blobstores/s3", &body).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let got: Value = app
        .get("/service/rest/v1/blobstores/s3/s3")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["bucketConfiguration"]["bucket"]["name"], bucket);
    assert_ne!(
        got["bucketConfiguration"]["bucketSecurity"]["secretAccessKey"], "testing-secret",
        "secrets are never returned"
    );

    let mut repo = crate::helpers::raw_hosted("on-s3", "ALLOW");
    repo["storage"]["blobStoreName"] = "s3".into();
    assert_eq!(
        app.post_json("/service/rest/v1/repositories/raw/hosted", &repo)
            .await
            .status(),
        201
    );
    // Larger than one multipart part, so the upload really is multipart.
    let data: Vec<u8> = (0..(9 * 1024 * 1024 + 17))
        .map(|i: u32| (i % 253) as u8)
        .collect();
    assert_eq!(
        app.put_file("on-s3", "big/file.bin", data.clone())
            .await
            .status(),
        201
    );
    let r = app.get("/repository/on-s3/big/file.bin").await;
    assert_eq!(r.status(), 200);
    let got = r.bytes().await.unwrap();
    assert_eq!(sha256_hex(&got), sha256_hex(&data));
    let r = app
        .req(Method::GET, "/repository/on-s3/big/file.bin")
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[100..200]);
    assert_eq!(app.put_file("on-s3", "empty.txt", "").await.status(), 201);
    assert_eq!(
        app.get("/repository/on-s3/empty.txt")
            .await
            .bytes()
            .await
            .unwrap()
            .len(),
        0
    );
}

async fn bad_blob_store_requests(app: TestApp) {
    let cases: Vec<(&str, Value, &str)> = vec![
        ("file", json!({"path": "x"}), "name"),
        ("file", json!({"name": "x"}), "path"),
        ("file", json!({"name": "x", "path": "../../etc"}), "path"),
        ("file", json!({"name": "default", "path": "again"}), "name"),
        (
            "s3",
            json!({"name": "s", "bucketConfiguration": {"bucket": {"region": "us-east-1"}}}),
            "bucketConfiguration.bucket.name",
        ),
        (
            "s3",
            json!({"name": "s", "bucketConfiguration": {"bucket": {"name": "b"}}}),
            "bucketConfiguration.bucket.region",
        ),
        (
            "s3",
            json!({"name": "s", "bucketConfiguration": {"bucket": {"name": "b", "region": "r"}, "advancedBucketConnection": {"endpoint": "ftp://x"}}}),
            "bucketConfiguration.advancedBucketConnection.endpoint",
        ),
    ];
    for (kind, body, field) in cases {
        let r = app
            .post_json(&format!("/service/rest/v1/blobstores/{kind}"), &body)
            .await;
        assert_eq!(r.status(), 400, "{body}");
        let errors: Value = r.json().await.unwrap();
        assert_eq!(errors[0]["id"], format!("PARAMETER {field}"), "{body}");
    }
    // An S3 store whose server is unreachable is refused, and not saved.
    let body = json!({"name": "dead", "bucketConfiguration": {
        "bucket": {"name": "b", "region": "us-east-1"},
        "bucketSecurity": {"accessKeyId": "a", "secretAccessKey": "b"},
        "advancedBucketConnection": {"endpoint": "http://127.0.0.1:9", "forcePathStyle": true}}});
    let r = app.post_json("/service/rest/v1/blobstores/s3", &body).await;
    assert_eq!(r.status(), 400);
    let list: Vec<Value> = app
        .get("/service/rest/v1/blobstores")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
}

/// A file store's path is resolved (links followed) and refused under system directories,
/// around or inside another store, and in the data directory's own files.
async fn file_store_paths(app: TestApp) {
    let data = app.data_dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(data.join("blobs")).unwrap();
    std::os::unix::fs::symlink("/proc", data.join("blobs/to-proc")).unwrap();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let shm = format!("/dev/shm/stowage-test-{unique}");
    let default = data.join("blobs/default");
    let cases: Vec<(String, &str)> = vec![
        ("/proc/stowage".into(), "under the system directory /proc"),
        (
            format!("/sys/stowage-{unique}"),
            "under the system directory /sys",
        ),
        (shm.clone(), "under the system directory /dev"),
        (
            format!("/run/stowage-{unique}"),
            "under the system directory /run",
        ),
        ("to-proc/store".into(), "resolves to '/proc/store'"),
        ("/".into(), "root directory"),
        (
            default.display().to_string(),
            "overlaps blob store 'default'",
        ),
        (
            default.join("sub").display().to_string(),
            "overlaps blob store 'default'",
        ),
        (
            data.join("blobs").display().to_string(),
            "only folders under",
        ),
        (data.display().to_string(), "holds the data directory"),
        (
            data.join("audit").display().to_string(),
            "inside the data directory",
        ),
    ];
    for (i, (path, why)) in cases.iter().enumerate() {
        let r = app
            .post_json(
                "/service/rest/v1/blobstores/file",
                &json!({"name": format!("p{i}"), "path": path}),
            )
            .await;
        assert_eq!(r.status(), 400, "{path}");
        let errors: Value = r.json().await.unwrap();
        assert_eq!(errors[0]["id"], "PARAMETER path", "{path}");
        let message = errors[0]["message"].as_str().unwrap();
        assert!(message.contains(why), "{path}: {message}");
    }
    assert!(!std::path::Path::new(&shm).exists(), "nothing was created");
    let elsewhere = tempfile::tempdir().unwrap();
    let r = app
        .post_json(
            "/service/rest/v1/blobstores/file",
            &json!({"name": "elsewhere", "path": elsewhere.path().join("store")}),
        )
        .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    let r = app
        .post_json(
            "/service/rest/v1/blobstores/file",
            &json!({"name": "inside", "path": elsewhere.path().join("store/inner")}),
        )
        .await;
    assert_eq!(r.status(), 400, "inside the store just made");
}

/// Temporary files are counted in the list, and a purge removes the leftovers while keeping
/// the chunks of an open docker upload session and files written in the last minutes.
async fn temp_files_are_shown_and_purged(app: TestApp) {
    use reqwest::header::LOCATION;
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &crate::helpers::docker_body("d", None),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app.send(Method::POST, "/v2/d/img/blobs/uploads/").await;
    assert_eq!(r.status(), 202);
    let location = r.headers()[LOCATION].to_str().unwrap().to_owned();
    let r = app
        .req(Method::PATCH, &location)
        .body(vec![1u8; 100])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);

    let tmp = app.data_dir.path().join("blobs/default/tmp");
    std::fs::write(tmp.join("crashed"), vec![0u8; 1000]).unwrap();
    std::fs::write(tmp.join("fresh"), vec![0u8; 10]).unwrap();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in std::fs::read_dir(&tmp).unwrap().flatten() {
        if entry.file_name() != "fresh" {
            let f = std::fs::File::options()
                .write(true)
                .open(entry.path())
                .unwrap();
            f.set_modified(hour_ago).unwrap();
        }
    }

    let list: Vec<Value> = app
        .get("/service/rest/v1/blobstores")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["tempFileCount"], 3, "{list:?}");
    assert_eq!(list[0]["tempSizeInBytes"], 1110);

    let purge = "/service/rest/v1/blobstores/default/purge-temp";
    app.create_user("reader", "reader-password", &["nx-anonymous"])
        .await;
    let r = app
        .as_user("reader", "reader-password", Method::POST, purge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app.send(Method::POST, purge).await;
    assert_eq!(r.status(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(
        done,
        json!({"removedCount": 1, "removedBytes": 1000, "keptCount": 2, "keptBytes": 110})
    );
    assert!(!tmp.join("crashed").exists());
    assert!(tmp.join("fresh").exists());
    // The session's chunk survived: the upload still completes.
    let data = vec![1u8; 100];
    let d = format!("sha256:{}", sha256_hex(&data));
    let r = app
        .send(Method::PUT, &format!("{location}?digest={d}"))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = app
        .send(Method::POST, "/service/rest/v1/blobstores/nope/purge-temp")
        .await;
    assert_eq!(r.status(), 404);
}
