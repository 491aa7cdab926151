//! User tokens (a password for Basic auth that can be listed and revoked) and sign-in
//! throttling per user and address.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(user_tokens_work_and_revoke, throttling_per_user_and_address);

async fn create_token(app: &TestApp, user: &str, pass: &str, name: &str) -> Value {
    let r = app
        .as_user(
            user,
            pass,
            Method::POST,
            &format!("/service/rest/v1/security/users/{user}/tokens"),
        )
        .json(&json!({"name": name, "expiresInDays": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

async fn user_tokens_work_and_revoke(app: TestApp) {
    app.create_raw("ci", "ALLOW").await;
    app.create_user("builder", "builder-password", &["nx-admin"])
        .await;
    let created = create_token(&app, "builder", "builder-password", "gitlab").await;
    let token = created["token"]
        .as_str()
        .expect("the token is shown once")
        .to_owned();
    assert!(token.starts_with("stw_"));
    assert!(created["expires"].is_string());

    // The token is a password for Basic auth, for its owner only.
    let put = |user: &str, secret: &str, path: &str| {
        app.as_user(user, secret, Method::PUT, &format!("/repository/ci/{path}"))
            .body("data")
    };
    assert_eq!(
        put("builder", &token, "one.txt")
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        put("admin", &token, "two.txt")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Listing shows it without the secret, with its last use.
    let list: Vec<Value> = app
        .as_user(
            "builder",
            "builder-password",
            Method::GET,
            "/service/rest/v1/security/users/builder/tokens",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "gitlab");
    assert!(list[0].get("token").is_none());
    assert!(list[0]["lastUsed"].is_string(), "{list:?}");
    assert!(!serde_json::to_string(&list).unwrap().contains(&token));

    // Same name twice: refused. Another user cannot list or create this user's tokens.
    let r = app
        .as_user(
            "builder",
            "builder-password",
            Method::POST,
            "/service/rest/v1/security/users/builder/tokens",
        )
        .json(&json!({"name": "gitlab"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.create_user("other", "other-password", &[]).await;
    let r = app
        .as_user(
            "other",
            "other-password",
            Method::GET,
            "/service/rest/v1/security/users/builder/tokens",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Revoked: the next use fails at once, although it was just verified (and cached).
    let id = list[0]["id"].as_str().unwrap();
    let r = app
        .as_user(
            "builder",
            "builder-password",
            Method::DELETE,
            &format!("/service/rest/v1/security/users/builder/tokens/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        put("builder", &token, "three.txt")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

async fn throttling_per_user_and_address(app: TestApp) {
    app.create_user("victim", "victim-password", &["nx-admin"])
        .await;
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let attacker = from([127, 0, 0, 1]);
    let url = app.url("/service/rest/v1/security/users");
    let mut statuses = Vec::new();
    for _ in 0..100 {
        let r = attacker
            .get(&url)
            .basic_auth("victim", Some("wrong-password"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
        }
    }
    let first_429 = statuses
        .iter()
        .position(|s| *s == 429)
        .expect("refused at some point");
    assert!(
        statuses[..first_429].iter().all(|s| *s == 401),
        "{statuses:?}"
    );
    assert!(
        statuses[first_429..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    assert!(first_429 <= 20, "refused after {first_429} failures");
    // Even the right password is refused from this address for now…
    let r = attacker
        .get(&url)
        .basic_auth("victim", Some("victim-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // …but the same user signs in from another address, and another user from this one.
    let r = from([127, 0, 0, 2])
        .get(&url)
        .basic_auth("victim", Some("victim-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = attacker
        .get(&url)
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
