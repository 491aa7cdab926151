//! One storage conformance suite of `async fn` cases, run against a file store and a real
//! S3-compatible server (started by `scripts/test.sh`, named by `STOWAGE_TEST_S3_ENDPOINT`).

use bytes::Bytes;
use futures_util::stream;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::Duration;
use stowage_core::CoreError;
use stowage_core::storage::{BlobStore, StoreSettings};

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn chunks(
    data: &[u8],
    size: usize,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    let parts: Vec<_> = data
        .chunks(size.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(parts)
}

async fn read_all(store: &BlobStore, sha256: &str, range: Option<std::ops::Range<u64>>) -> Vec<u8> {
    use futures_util::TryStreamExt;
    let read = store.read(sha256, range).await.expect("read");
    let parts: Vec<Bytes> = read.stream.try_collect().await.expect("stream");
    parts.concat()
}

async fn assert_no_leftovers(store: &BlobStore) {
    assert_eq!(
        store.sweep_tmp(Duration::ZERO).await.unwrap(),
        0,
        "temporary objects left behind"
    );
}

/// Bytes go in streamed and come back whole and by range; size and digest are right.
pub async fn ingest_then_read(store: BlobStore) {
    let data: Vec<u8> = (0..(9 * 1024 * 1024 + 3))
        .map(|i: u32| (i % 241) as u8)
        .collect();
    let blob = store.ingest(chunks(&data, 64 * 1024), None).await.unwrap();
    assert_eq!(blob.digest.hex(), sha(&data));
    assert_eq!(blob.size as usize, data.len());
    assert_eq!(
        store.size_of(blob.digest.hex()).await.unwrap(),
        Some(data.len() as u64)
    );
    assert_eq!(read_all(&store, blob.digest.hex(), None).await, data);
    assert_eq!(
        read_all(&store, blob.digest.hex(), Some(1000..5000)).await,
        &data[1000..5000]
    );
    assert_no_leftovers(&store).await;
}

/// The same content ingested twice is one blob; the declared digest is accepted when right.
pub async fn same_content_is_one_blob(store: BlobStore) {
    let data = b"the same bytes, twice".to_vec();
    let a = store.ingest(chunks(&data, 5), None).await.unwrap();
    let b = store
        .ingest(chunks(&data, 7), Some(&sha(&data)))
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(read_all(&store, a.digest.hex(), None).await, data);
    assert_no_leftovers(&store).await;
}

/// A wrong declared digest stores nothing.
pub async fn wrong_digest_stores_nothing(store: BlobStore) {
    let data = b"content whose digest is not the declared one".to_vec();
    let wrong = "0".repeat(64);
    match store.ingest(chunks(&data, 8), Some(&wrong)).await {
        Err(CoreError::DigestMismatch { actual, .. }) => assert_eq!(actual, sha(&data)),
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    assert_eq!(store.size_of(&sha(&data)).await.unwrap(), None);
    assert_no_leftovers(&store).await;
}

/// A body that breaks off stores nothing.
pub async fn interrupted_upload_stores_nothing(store: BlobStore) {
    let body = stream::iter(vec![
        Ok(Bytes::from(vec![1u8; 6 * 1024 * 1024])),
        Ok(Bytes::from(vec![2u8; 3 * 1024 * 1024])),
        Err(std::io::Error::other("client went away")),
    ]);
    let err = store.ingest(body, None).await.unwrap_err();
    assert!(matches!(err, CoreError::Interrupted(_)), "{err:?}");
    assert_no_leftovers(&store).await;
}

/// Empty content is a valid blob.
pub async fn empty_blob(store: BlobStore) {
    let blob = store.ingest(chunks(&[], 1), None).await.unwrap();
    assert_eq!(blob.digest.hex(), sha(&[]));
    assert_eq!(blob.size, 0);
    assert!(read_all(&store, blob.digest.hex(), None).await.is_empty());
}

/// Deleted blobs are gone; deleting a missing blob is fine; reading one is NotFound.
pub async fn delete_and_missing(store: BlobStore) {
    let blob = store.ingest(chunks(b"short-lived", 4), None).await.unwrap();
    store.delete(blob.digest.hex()).await.unwrap();
    assert_eq!(store.size_of(blob.digest.hex()).await.unwrap(), None);
    store.delete(blob.digest.hex()).await.unwrap();
    assert!(store.read(blob.digest.hex(), None).await.is_err());
}

fn file_store() -> (BlobStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let settings = StoreSettings::File {
        path: dir.path().join("store"),
    };
    (BlobStore::open("file", settings).unwrap(), dir)
}

fn s3_store() -> BlobStore {
    let endpoint = std::env::var("STOWAGE_TEST_S3_ENDPOINT").expect(
        "STOWAGE_TEST_S3_ENDPOINT must name an S3-compatible server; run the suite with scripts/test.sh",
    );
    let bucket = std::env::var("STOWAGE_TEST_S3_BUCKET").unwrap_or_else(|_| "stowage-test".into());
    let attrs = json!({"bucketConfiguration": {
        "bucket": {"name": bucket, "region": "us-east-1", "prefix": format!("conf-{}", uuid::Uuid::new_v4().simple())},
        "bucketSecurity": {"accessKeyId": "testing", "secretAccessKey": "testing"},
        "advancedBucketConnection": {"endpoint": endpoint, "forcePathStyle": true}}});
    let settings = StoreSettings::parse("S3", &attrs, std::path::Path::new("/unused")).unwrap();
    BlobStore::open("s3", settings).unwrap()
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn file() {
                    let (store, _dir) = super::file_store();
                    super::$case(store).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn s3() {
                    super::$case(super::s3_store()).await;
                }
            }
        )*
    };
}

conformance!(
    ingest_then_read,
    same_content_is_one_blob,
    wrong_digest_stores_nothing,
    interrupted_upload_stores_nothing,
    empty_blob,
    delete_and_missing,
);
