//! The audit log of changes and sign-ins, and secrets kept out of logs, the audit trail and API
//! responses.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp, start_binary};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(audit_log_records_changes);

async fn audit_log_records_changes(app: TestApp) {
    app.create_raw("audited", "ALLOW").await;
    app.create_user("auditee", "auditee-password", &[]).await;
    let r = app
        .as_user(
            "auditee",
            "not-the-password",
            Method::GET,
            "/service/rest/v1/repositories",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .send(Method::DELETE, "/service/rest/v1/security/users/auditee")
        .await;
    assert_eq!(r.status(), 204);
    let events: Vec<Value> = app
        .get("/service/rest/v1/audit?limit=50")
        .await
        .json()
        .await
        .unwrap();
    let has = |user: &str, action: &str, target: &str, result: &str| {
        events.iter().any(|e| {
            e["user"] == user
                && e["action"] == action
                && e["target"] == target
                && e["result"] == result
        })
    };
    assert!(
        has("admin", "repository.create", "audited", "success"),
        "{events:#?}"
    );
    assert!(has("admin", "user.create", "auditee", "success"));
    assert!(has("auditee", "signin.basic", "auditee", "failure"));
    assert!(has("admin", "user.delete", "auditee", "success"));
    assert!(
        events
            .iter()
            .all(|e| e["clientIp"] == "127.0.0.1" && e["timestamp"].is_string())
    );
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains("not-the-password") && !text.contains("auditee-password"));
    // The log is a JSON-lines file in the data directory.
    let file = std::fs::read_to_string(app.data_dir.path().join("audit/audit.log")).unwrap();
    assert!(file.lines().count() >= events.len());
    assert!(
        file.lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok())
    );
}

/// Passwords (right and wrong) and tokens never reach the log, the audit trail or an API
/// response other than the one that issues a token. Runs the real binary at debug level and
/// searches everything it printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_logs_and_responses() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base, log) = start_binary(dir.path(), None, "debug");
    let client = reqwest::Client::new();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let first = format!("First-pass-{unique}");
    let second = format!("Second-pass-{unique}");
    let wrong = format!("Wrong-pass-{unique}");
    let admin = |m: Method, path: &str| {
        client
            .request(m, format!("{base}{path}"))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
    };
    let r = admin(Method::POST, "/service/rest/v1/security/users")
        .json(
            &json!({"userId": "secretive", "firstName": "S", "lastName": "U",
            "emailAddress": "s@example.org", "password": first, "status": "active",
            "roles": ["nx-admin"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let as_user = |m: Method, path: &str, secret: &str| {
        client
            .request(m, format!("{base}{path}"))
            .basic_auth("secretive", Some(secret))
    };
    for _ in 0..3 {
        let r = as_user(Method::GET, "/service/rest/v1/repositories", &wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = as_user(
        Method::PUT,
        "/service/rest/v1/security/users/secretive/change-password",
        &first,
    )
    .header("content-type", "text/plain")
    .body(second.clone())
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    let r = as_user(
        Method::POST,
        "/service/rest/v1/security/users/secretive/tokens",
        &second,
    )
    .json(&json!({"name": "ci"}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = as_user(
        Method::POST,
        "/service/rest/v1/repositories/raw/hosted",
        &token,
    )
    .json(&crate::helpers::raw_hosted("vault", "ALLOW"))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let r = as_user(
        Method::GET,
        "/v2/token?service=stowage&scope=repository:vault/x:pull",
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let bearer = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut responses = String::new();
    for path in [
        "/service/rest/v1/security/users",
        "/service/rest/v1/security/users/secretive/tokens",
        "/service/rest/v1/security/roles",
        "/service/rest/v1/security/anonymous",
        "/service/rest/v1/audit?limit=1000",
        "/service/rest/v1/repositories",
        "/service/rest/v1/repositories/raw/hosted/vault",
        "/service/rest/v1/blobstores",
    ] {
        let r = admin(Method::GET, path).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        responses.push_str(&r.text().await.unwrap());
    }
    let _ = child.kill();
    let _ = child.wait();
    let logged = log.lock().unwrap().join("\n");
    assert!(
        logged.contains("signin"),
        "the log has the sign-in events: {logged}"
    );
    let audit = std::fs::read_to_string(dir.path().join("audit/audit.log")).unwrap();
    assert!(audit.contains("user-token.create"));
    for (what, text) in [
        ("log", &logged),
        ("audit log", &audit),
        ("API responses", &responses),
    ] {
        for (name, secret) in [
            ("first password", &first),
            ("second password", &second),
            ("wrong password", &wrong),
            ("admin password", &ADMIN_PASSWORD.to_owned()),
            ("user token", &token),
            ("docker token", &bearer),
        ] {
            assert!(
                !text.contains(secret.as_str()),
                "the {name} appears in the {what}"
            );
        }
    }
}
