//! Everything stored survives a restart.

use crate::helpers::{ADMIN_PASSWORD, Db, fresh_postgres_url, start, test_config};
use serde_json::Value;

async fn survives_restart(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db_url = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(fresh_postgres_url().await),
    };
    let client = reqwest::Client::new();
    let (address, handle) = start(test_config(dir.path().to_owned(), db_url.clone())).await;
    let body = serde_json::to_vec(&crate::helpers::raw_hosted("keep", "ALLOW")).unwrap();
    let r = client
        .post(format!("{address}/service/rest/v1/repositories/raw/hosted"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .put(format!("{address}/repository/keep/a/b.txt"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .body("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    handle.stop(true).await;

    // A different admin password in the config does not replace the stored one.
    let mut config = test_config(dir.path().to_owned(), db_url);
    config.admin_password = Some("another-password".to_owned().into());
    let (address, handle) = start(config).await;
    let r = client
        .get(format!("{address}/repository/keep/a/b.txt"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "kept");
    let repos: Vec<Value> = client
        .get(format!("{address}/service/rest/v1/repositories"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(repos.len(), 1);
    handle.stop(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_restart_sqlite() {
    survives_restart(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_restart_postgres() {
    survives_restart(Db::Postgres).await;
}
