//! `/v1/blobstores`, and raw repositories on a file store and on a real S3-compatible server.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp, sha256_hex};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(file_stores, s3_store_round_trip, bad_blob_store_requests);

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
        app.as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::DELETE,
            &format!("/service/rest/v1/blobstores/{name}"),
        )
        .send()
    };
    assert_eq!(del("second").await.unwrap().status(), 400, "in use");
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::DELETE,
            "/service/rest/v1/repositories/on-second",
        )
        .send()
        .await
        .unwrap();
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
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::GET,
            "/repository/on-s3/big/file.bin",
        )
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
