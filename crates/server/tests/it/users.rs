//! `/v1/security/users`: create, list, change password; credentials follow the change.

use crate::both_backends;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(create_list_and_change_password, bad_user_requests);

async fn create_list_and_change_password(app: TestApp) {
    app.create_user("deployer", "first-password", &["nx-admin"])
        .await;
    let users: Vec<Value> = app
        .get("/service/rest/v1/security/users")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = users
        .iter()
        .map(|u| u["userId"].as_str().unwrap())
        .collect();
    // The anonymous user always exists, as in Nexus; the switch decides whether it is used.
    assert_eq!(ids, ["admin", "anonymous", "deployer"]);
    let d = &users[2];
    assert_eq!(d["emailAddress"], "deployer@example.org");
    assert_eq!(d["source"], "default");
    assert_eq!(d["status"], "active");
    assert_eq!(d["roles"], json!(["nx-admin"]));
    assert!(d.get("password").is_none());
    let filtered: Vec<Value> = app
        .get("/service/rest/v1/security/users?userId=depl")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered.len(), 1);

    let as_deployer = |pass: &'static str| {
        app.as_user(
            "deployer",
            pass,
            Method::GET,
            "/service/rest/v1/repositories",
        )
        .send()
    };
    assert_eq!(as_deployer("first-password").await.unwrap().status(), 200);
    let r = app
        .as_user(
            "deployer",
            "first-password",
            Method::PUT,
            "/service/rest/v1/security/users/deployer/change-password",
        )
        .header("content-type", "text/plain")
        .body("second-password")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(as_deployer("first-password").await.unwrap().status(), 401);
    assert_eq!(as_deployer("second-password").await.unwrap().status(), 200);

    // A user without admin rights may not change someone else's password.
    app.create_user("plain", "plain-password", &[]).await;
    let r = app
        .as_user(
            "plain",
            "plain-password",
            Method::PUT,
            "/service/rest/v1/security/users/deployer/change-password",
        )
        .body("hijacked-password")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .req(
            Method::PUT,
            "/service/rest/v1/security/users/ghost/change-password",
        )
        .body("whatever-password")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn bad_user_requests(app: TestApp) {
    let base = json!({
        "userId": "u1", "firstName": "A", "lastName": "B", "emailAddress": "u1@example.org",
        "password": "long-enough-password", "status": "active", "roles": []
    });
    let broken: Vec<(&str, Value)> = vec![
        ("userId", json!(null)),
        ("userId", json!("has space")),
        ("emailAddress", json!("not-an-email")),
        ("password", json!("short")),
        ("status", json!("sleeping")),
        ("roles", json!(["no-such-role"])),
        ("firstName", json!("")),
    ];
    for (field, value) in broken {
        let mut body = base.clone();
        body[field] = value;
        let r = app
            .post_json("/service/rest/v1/security/users", &body)
            .await;
        assert_eq!(r.status(), 400, "{field}");
        let errors: Value = r.json().await.unwrap();
        assert_eq!(errors[0]["id"], format!("PARAMETER {field}"));
    }
    assert_eq!(
        app.post_json("/service/rest/v1/security/users", &base)
            .await
            .status(),
        200
    );
    let r = app
        .post_json("/service/rest/v1/security/users", &base)
        .await;
    assert_eq!(r.status(), 400);
    let users: Vec<Value> = app
        .get("/service/rest/v1/security/users")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        users.len(),
        3,
        "admin, anonymous and the one created: {users:?}"
    );
}
