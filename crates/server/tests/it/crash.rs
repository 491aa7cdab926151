//! `kill -9` in the middle of an upload: after a restart no asset points at missing bytes and
//! the interrupted upload left no visible asset. Runs the real `stowage` binary.

use crate::helpers::{ADMIN_PASSWORD, Db, fresh_postgres_url, sha256_hex, start_binary};
use futures_util::StreamExt;
use serde_json::Value;
use std::time::{Duration, Instant};

async fn crash_mid_upload(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db_url = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(fresh_postgres_url().await),
    };
    let client = reqwest::Client::new();
    let (mut child, base, _log) = start_binary(dir.path(), db_url.as_deref(), "info");
    let body = serde_json::to_vec(&crate::helpers::raw_hosted("r", "ALLOW")).unwrap();
    let r = client
        .post(format!("{base}/service/rest/v1/repositories/raw/hosted"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let done = vec![42u8; 1_000_000];
    let r = client
        .put(format!("{base}/repository/r/done.bin"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .body(done.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // An upload that sends 24 MiB and then stalls, never finishing.
    let chunks = futures_util::stream::iter(
        (0..24).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![1u8; 1024 * 1024]))),
    )
    .chain(futures_util::stream::pending());
    let upload = client
        .put(format!("{base}/repository/r/interrupted.bin"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .body(reqwest::Body::wrap_stream(chunks))
        .send();
    let upload = tokio::spawn(upload);

    // Wait until the server has written part of it to its temporary object.
    let tmp = dir.path().join("blobs/default/tmp");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let written: u64 = std::fs::read_dir(&tmp)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0);
        if written >= 8 * 1024 * 1024 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "upload never reached the server's disk"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().expect("kill -9");
    child.wait().unwrap();
    let _ = upload.await;

    let (mut child, base, _log) = start_binary(dir.path(), db_url.as_deref(), "info");
    let assets: Value = client
        .get(format!("{base}/service/rest/v1/assets?repository=r"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = assets["items"].as_array().unwrap();
    let paths: Vec<&str> = items.iter().map(|a| a["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["done.bin"], "the interrupted upload is not visible");
    for a in items {
        let got = client
            .get(a["downloadUrl"].as_str().unwrap())
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200);
        let bytes = got.bytes().await.unwrap();
        assert_eq!(
            sha256_hex(&bytes),
            a["checksum"]["sha256"].as_str().unwrap()
        );
    }
    assert_eq!(
        sha256_hex(&done),
        items[0]["checksum"]["sha256"].as_str().unwrap()
    );
    assert_eq!(
        client
            .get(format!("{base}/repository/r/interrupted.bin"))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_upload_sqlite() {
    crash_mid_upload(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_upload_postgres() {
    crash_mid_upload(Db::Postgres).await;
}
