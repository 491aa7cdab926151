//! Repository names that differ only in case name one repository: creating the second is
//! refused, lookups and privileges follow the same rule, and a catalogue that already holds
//! such a pair is refused at start-up with a message naming it.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, Db, TestApp, fresh_postgres_url, start, test_config};
use reqwest::Method;
use serde_json::{Value, json};
use stowage_server::Application;

both_backends!(
    a_name_differing_only_in_case_is_taken,
    privileges_and_lookups_agree
);

async fn a_name_differing_only_in_case_is_taken(app: TestApp) {
    app.create_raw("dupe", "ALLOW").await;
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &crate::helpers::docker_body("img", None),
        )
        .await;
    assert_eq!(r.status(), 201);
    for (taken, name) in [("dupe", "DUPE"), ("dupe", "Dupe"), ("img", "IMG")] {
        let r = app
            .post_json(
                "/service/rest/v1/repositories/raw/hosted",
                &crate::helpers::raw_hosted(name, "ALLOW"),
            )
            .await;
        assert_eq!(r.status(), 400, "{name}");
        let text = r.text().await.unwrap();
        assert!(text.contains("PARAMETER name"), "{text}");
        assert!(
            text.contains(&format!("'{taken}' already exists")) && text.contains("case"),
            "{text}"
        );
    }
    let repos: Vec<Value> = app
        .get("/service/rest/v1/repositories")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = repos.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["dupe", "img"]);
}

/// A user granted `sec-a` reaches `sec-a` under any spelling and nothing else; a user granted
/// a name that differs only in case holds the same grant.
async fn privileges_and_lookups_agree(app: TestApp) {
    app.create_raw("sec-a", "ALLOW").await;
    app.create_raw("sec-b", "ALLOW").await;
    assert_eq!(
        app.put_file("sec-a", "secret.txt", "a-secret")
            .await
            .status(),
        201
    );
    let role = |id: &str, privilege: &str| json!({"id": id, "name": id, "description": "t", "privileges": [privilege], "roles": []});
    for (id, privilege) in [
        ("read-b", "nx-repository-view-raw-sec-b-read"),
        ("add-a", "nx-repository-view-raw-sec-a-add"),
    ] {
        let r = app
            .post_json("/service/rest/v1/security/roles", &role(id, privilege))
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    app.create_user("bob", "bob-password-1", &["read-b"]).await;
    app.create_user("ann", "ann-password-1", &["add-a"]).await;

    // Another repository's reader gets nothing of sec-a, however it is spelled.
    for path in [
        "/repository/SEC-A/secret.txt",
        "/repository/sec-a/secret.txt",
    ] {
        let r = app
            .as_user("bob", "bob-password-1", Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let r = app
        .as_user(
            "bob",
            "bob-password-1",
            Method::GET,
            "/service/rest/v1/assets?repository=SEC-A",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // The other spelling is the same repository, for writes as for reads.
    let r = app
        .as_user(
            "ann",
            "ann-password-1",
            Method::PUT,
            "/repository/SEC-A/up.txt",
        )
        .body("from ann")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .as_user(
            "ann",
            "ann-password-1",
            Method::PUT,
            "/repository/SEC-B/up.txt",
        )
        .body("from ann")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let mut paths: Vec<String> = app
        .all_assets("sec-a")
        .await
        .iter()
        .filter_map(|a| a["path"].as_str().map(str::to_owned))
        .collect();
    paths.sort();
    assert_eq!(paths, ["secret.txt", "up.txt"]);
    let r = app.get("/repository/Sec-A/up.txt").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "from ann");
}

async fn refused_at_start_up(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let db_url = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(fresh_postgres_url().await),
    };
    let config = test_config(dir.path().to_owned(), db_url);
    let url = config.database_url();
    let (address, handle) = start(config.clone()).await;
    let r = reqwest::Client::new()
        .post(format!("{address}/service/rest/v1/repositories/raw/hosted"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .json(&crate::helpers::raw_hosted("dupe", "ALLOW"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    handle.stop(true).await;

    // A catalogue written before names were compared ignoring case: the pair is there.
    {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        for sql in [
            "DROP INDEX IF EXISTS repositories_name_folded",
            "INSERT INTO repositories (id, name, format, kind, online, blob_store, attributes, created_at) \
             SELECT 'x' || id, 'DUPE', format, kind, online, blob_store, attributes, created_at \
             FROM repositories WHERE name = 'dupe'",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        conn.close().await.unwrap();
    }
    let e = match Application::build(config).await {
        Ok(_) => panic!("a catalogue with 'dupe' and 'DUPE' must be refused"),
        Err(e) => stowage_server::error::chain(&e),
    };
    assert!(
        e.contains("'DUPE', 'dupe'") && e.contains("differ only in case"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairs_in_an_old_catalogue_are_refused_at_start_up_sqlite() {
    refused_at_start_up(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairs_in_an_old_catalogue_are_refused_at_start_up_postgres() {
    refused_at_start_up(Db::Postgres).await;
}
