//! What REST clients send and get back at the edges: the raw attributes of groups and proxies as
//! Nexus names them, bodies checked only after the caller and the route, and malformed tokens,
//! paths and over-long role fields answered 400.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    raw_group_has_raw_attributes,
    raw_proxy_keeps_its_connection_settings,
    bodies_are_read_after_the_caller_and_the_route,
    malformed_continuation_token_is_refused,
    malformed_percent_escape_in_a_raw_path_is_refused,
    role_ids_and_names_have_nexus_limits,
);

const GROUPS: &str = "/service/rest/v1/repositories/raw/group";

fn raw_group(name: &str, raw: Option<Value>) -> Value {
    let mut body = json!({
        "name": name, "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "group": {"memberNames": ["member"]},
    });
    if let Some(raw) = raw {
        body["raw"] = raw;
    }
    body
}

async fn send(app: &TestApp, method: Method, path: &str, body: &Value) -> reqwest::Response {
    app.req(method, path)
        .json(body)
        .send()
        .await
        .expect("request")
}

async fn shown(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "GET {path}");
    r.json().await.expect("json")
}

/// The id of the one Nexus validation error in a 400 answer.
async fn invalid_field(r: reqwest::Response) -> String {
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.expect("a JSON list of validation errors");
    e[0]["id"].as_str().expect("an id").to_owned()
}

async fn raw_group_has_raw_attributes(app: TestApp) {
    app.create_raw("member", "ALLOW").await;
    // Nexus's RawGroupApiRepository requires `raw`: a group created without it shows the default.
    let r = app.post_json(GROUPS, &raw_group("plain", None)).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let got = shown(&app, &format!("{GROUPS}/plain")).await;
    assert_eq!(
        got["raw"],
        json!({"contentDisposition": "ATTACHMENT"}),
        "{got}"
    );

    // Sent on create, it is kept.
    let inline = json!({"contentDisposition": "INLINE"});
    let r = app
        .post_json(GROUPS, &raw_group("inline", Some(inline.clone())))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    assert_eq!(
        shown(&app, &format!("{GROUPS}/inline")).await["raw"],
        inline
    );

    // And on update.
    let r = send(
        &app,
        Method::PUT,
        &format!("{GROUPS}/plain"),
        &raw_group("plain", Some(inline.clone())),
    )
    .await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap_or_default());
    assert_eq!(shown(&app, &format!("{GROUPS}/plain")).await["raw"], inline);

    // A value Nexus does not know is refused, naming the field.
    let r = app
        .post_json(
            GROUPS,
            &raw_group("odd", Some(json!({"contentDisposition": "SIDEWAYS"}))),
        )
        .await;
    assert_eq!(invalid_field(r).await, "PARAMETER raw.contentDisposition");
}

async fn raw_proxy_keeps_its_connection_settings(app: TestApp) {
    let proxy = |connection: Value| {
        json!({
            "name": "remote-files", "online": true,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
            "proxy": {"remoteUrl": "http://127.0.0.1:9/files", "contentMaxAge": 1440, "metadataMaxAge": 1440},
            "negativeCache": {"enabled": true, "timeToLive": 1440},
            "httpClient": {"blocked": false, "autoBlock": true, "connection": connection},
        })
    };
    let path = "/service/rest/v1/repositories/raw/proxy";
    for (connection, field) in [
        (
            json!({"retries": 11}),
            "PARAMETER httpClient.connection.retries",
        ),
        (
            json!({"timeout": 0}),
            "PARAMETER httpClient.connection.timeout",
        ),
        (
            json!({"timeout": "soon"}),
            "PARAMETER httpClient.connection.timeout",
        ),
    ] {
        let r = app.post_json(path, &proxy(connection.clone())).await;
        assert_eq!(invalid_field(r).await, field, "{connection}");
    }
    let r = app
        .post_json(
            path,
            &proxy(json!({"retries": 5, "timeout": 45, "userAgentSuffix": "ci"})),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let got = shown(&app, &format!("{path}/remote-files")).await;
    let connection = &got["httpClient"]["connection"];
    assert_eq!(connection["retries"], 5, "{got}");
    assert_eq!(connection["timeout"], 45, "{got}");
    assert_eq!(connection["userAgentSuffix"], "ci", "{got}");
}

async fn bodies_are_read_after_the_caller_and_the_route(app: TestApp) {
    app.create_user("reader", "reader-password", &["nx-anonymous"])
        .await;
    let bad = "{";
    let post = |path: &str| {
        app.client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(bad)
    };
    let create = "/service/rest/v1/repositories/raw/hosted";
    // No credentials: 401, whatever the body.
    let r = post(create).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // A caller without the privilege: 403.
    let r = post(create)
        .basic_auth("reader", Some("reader-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .as_user(
            "reader",
            "reader-password",
            Method::PUT,
            &format!("{create}/x"),
        )
        .header("content-type", "application/json")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Only then is the body read.
    let r = post(create)
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid_field(r).await, "PARAMETER body");
    // A route that does not exist is 404, before its body is looked at.
    for path in [
        "/service/rest/v1/repositories/x/rebuild-index",
        "/service/rest/v1/repositories/x/invalidate-cache",
        "/service/rest/v1/repositories/nosuch/hosted",
    ] {
        let r = post(path)
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "POST {path}");
    }
}

async fn malformed_continuation_token_is_refused(app: TestApp) {
    app.create_raw("paged", "ALLOW").await;
    for i in 0..3 {
        let r = app.put_file("paged", &format!("f{i}.txt"), "x").await;
        assert_eq!(r.status(), 201);
    }
    for list in ["assets", "components"] {
        let base = format!("/service/rest/v1/{list}?repository=paged");
        let first = shown(&app, &base).await;
        assert_eq!(first["items"].as_array().map(Vec::len), Some(3), "{first}");
        for token in [
            "not-a-token",
            "zzzz",
            "%25",
            "0123456789abcdef0123456789abcdeg",
        ] {
            let r = app.get(&format!("{base}&continuationToken={token}")).await;
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            assert_eq!(status, 400, "{list} with token {token:?}: {text}");
            assert!(text.contains("continuationToken"), "{text}");
        }
        // An empty token is no token: the first page.
        let again = shown(&app, &format!("{base}&continuationToken=")).await;
        assert_eq!(again["items"], first["items"]);
    }
}

async fn malformed_percent_escape_in_a_raw_path_is_refused(app: TestApp) {
    app.create_raw("files", "ALLOW").await;
    for path in ["%zz", "dir/%4", "a%2", "%g0/b"] {
        let r = app.put_file("files", path, "x").await;
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        assert_eq!(status, 400, "PUT {path}: {text}");
        assert!(text.contains("percent"), "{text}");
    }
    assert!(app.all_assets("files").await.is_empty(), "nothing stored");
    // A well-formed escape still works.
    assert_eq!(app.put_file("files", "a%25b", "x").await.status(), 201);
    let assets = app.all_assets("files").await;
    assert_eq!(assets[0]["path"], "a%b");
}

async fn role_ids_and_names_have_nexus_limits(app: TestApp) {
    let roles = "/service/rest/v1/security/roles";
    let role =
        |id: &str, name: &str| json!({"id": id, "name": name, "privileges": [], "roles": []});
    let long = "r".repeat(10_000);
    let at_limit = "r".repeat(255);
    let over = "r".repeat(256);
    for (body, field) in [
        (role(&long, "n"), "PARAMETER id"),
        (role(&over, "n"), "PARAMETER id"),
        (role("ok", &long), "PARAMETER name"),
        (role("ok", &over), "PARAMETER name"),
    ] {
        let r = app.post_json(roles, &body).await;
        assert_eq!(invalid_field(r).await, field);
    }
    let r = app.post_json(roles, &role(&at_limit, &at_limit)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    // Update checks the name too.
    let r = send(
        &app,
        Method::PUT,
        &format!("{roles}/{at_limit}"),
        &role(&at_limit, &over),
    )
    .await;
    assert_eq!(invalid_field(r).await, "PARAMETER name");
}
