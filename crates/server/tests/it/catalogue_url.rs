//! The catalogue's PostgreSQL URL: one that names no user connects as `PGUSER`, else as the
//! operating-system user, as `psql` does.

use sqlx::{Connection, Executor};
use stowage_core::catalogue::Catalogue;

/// `postgres:///<db>?host=…&port=…` reaches the test server as the user psql would pick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_url_without_user_connects_as_psql_would() {
    let admin_url = std::env::var("STOWAGE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin = url::Url::parse(&admin_url).unwrap();
    let (host, port) = (
        admin.host_str().unwrap_or("127.0.0.1").to_owned(),
        admin.port().unwrap_or(5432),
    );
    let os_user = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let os_user = String::from_utf8(os_user.stdout).unwrap().trim().to_owned();
    let user = std::env::var("PGUSER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or(os_user);
    // That user needs a role and a database of its own (the trust-auth test server asks for
    // no password).
    let db = format!("stowage_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let role = user.replace('"', "\"\"");
    conn.execute(sqlx::AssertSqlSafe(format!(
        "DO $$ BEGIN CREATE ROLE \"{role}\" LOGIN; \
         EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    )))
    .await
    .unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {db} OWNER \"{role}\""
    )))
    .await
    .unwrap();

    let url = format!("postgres:///{db}?host={host}&port={port}");
    let catalogue = Catalogue::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{url} as {user}: {}", stowage_server::error::chain(&e)));
    catalogue.ping().await.unwrap();
    assert!(catalogue.list_blob_stores().await.unwrap().is_empty());
    catalogue.close().await;
}
