//! Sonatype's own generated Python client (`nexus-api-client`) against a running Stowage.

use crate::helpers::{ADMIN_PASSWORD, Db, TestApp, spawn_app};

async fn nexus_client_reads_what_we_serve(app: TestApp) {
    app.create_raw("raw-hosted", "ALLOW").await;
    assert_eq!(
        app.put_file("raw-hosted", "releases/app.tar.gz", vec![5u8; 4096])
            .await
            .status(),
        201
    );
    let group = serde_json::json!({
        "name": "raw-all", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "group": {"memberNames": ["raw-hosted"]},
    });
    let r = app
        .post_json("/service/rest/v1/repositories/raw/group", &group)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/compat/nexus_client.py"
    );
    let out = std::process::Command::new("python3")
        .arg(script)
        .args(["--url", &app.url("/service/rest")])
        .args(["--user", "admin", "--password", ADMIN_PASSWORD])
        .args([
            "--repository",
            "raw-hosted",
            "--expect-path",
            "releases/app.tar.gz",
            "--group",
            "raw-all",
        ])
        .output()
        .expect("python3 runs (scripts/test.sh installs nexus-api-client)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "nexus-api-client check failed:\n{stdout}\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nexus_api_client_sqlite() {
    nexus_client_reads_what_we_serve(spawn_app(Db::Sqlite).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nexus_api_client_postgres() {
    nexus_client_reads_what_we_serve(spawn_app(Db::Postgres).await).await;
}
