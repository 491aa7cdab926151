//! `/v1/repositories`, `/v1/components`, `/v1/assets` and `/v1/status`.

use crate::both_backends;
use crate::helpers::{TestApp, raw_hosted};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    status_needs_no_credentials,
    create_read_update_delete,
    bad_requests_name_the_field,
    permissions_are_enforced,
    assets_and_components_page_and_delete,
);

async fn status_needs_no_credentials(app: TestApp) {
    for path in [
        "/service/rest/v1/status",
        "/service/rest/v1/status/writable",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
}

async fn create_read_update_delete(app: TestApp) {
    app.create_raw("raw-hosted", "ALLOW").await;
    let list: Vec<Value> = app
        .get("/service/rest/v1/repositories")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "raw-hosted");
    assert_eq!(list[0]["format"], "raw");
    assert_eq!(list[0]["type"], "hosted");
    assert_eq!(list[0]["url"], app.url("/repository/raw-hosted"));

    let one: Value = app
        .get("/service/rest/v1/repositories/raw-hosted")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["online"], true);

    let typed: Value = app
        .get("/service/rest/v1/repositories/raw/hosted/raw-hosted")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(typed["storage"]["writePolicy"], "ALLOW");
    assert_eq!(typed["storage"]["blobStoreName"], "default");
    assert_eq!(typed["raw"]["contentDisposition"], "ATTACHMENT");

    let mut body = raw_hosted("raw-hosted", "allow_once");
    body["raw"] = json!({ "contentDisposition": "INLINE" });
    let r = app
        .req(
            Method::PUT,
            "/service/rest/v1/repositories/raw/hosted/raw-hosted",
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let typed: Value = app
        .get("/service/rest/v1/repositories/raw/hosted/raw-hosted")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(typed["storage"]["writePolicy"], "ALLOW_ONCE");
    assert_eq!(typed["raw"]["contentDisposition"], "INLINE");

    // Renaming or moving to another blob store through PUT is refused.
    let r = app
        .req(
            Method::PUT,
            "/service/rest/v1/repositories/raw/hosted/raw-hosted",
        )
        .json(&raw_hosted("other-name", "ALLOW"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    app.put_file("raw-hosted", "a.txt", "x").await;
    let r = app
        .send(Method::DELETE, "/service/rest/v1/repositories/raw-hosted")
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.get("/service/rest/v1/repositories/raw-hosted")
            .await
            .status(),
        404
    );
    assert_eq!(app.get("/repository/raw-hosted/a.txt").await.status(), 404);
    let r = app
        .send(Method::DELETE, "/service/rest/v1/repositories/raw-hosted")
        .await;
    assert_eq!(r.status(), 404);
}

async fn bad_requests_name_the_field(app: TestApp) {
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"online": true, "storage": {"blobStoreName": "default", "writePolicy": "ALLOW"}}),
            "name",
        ),
        (raw_hosted("Bad Name!", "ALLOW"), "name"),
        (raw_hosted(".hidden", "ALLOW"), "name"),
        (raw_hosted("ok", "SOMETIMES"), "storage.writePolicy"),
        (
            json!({"name": "ok", "online": true, "storage": {"writePolicy": "ALLOW"}}),
            "storage.blobStoreName",
        ),
        (
            json!({"name": "ok", "online": true, "storage": {"blobStoreName": "nope", "writePolicy": "ALLOW"}}),
            "storage.blobStoreName",
        ),
        (
            json!({"name": "ok", "online": "yes", "storage": {"blobStoreName": "default", "writePolicy": "ALLOW"}}),
            "online",
        ),
    ];
    for (body, field) in cases {
        let r = app
            .post_json("/service/rest/v1/repositories/raw/hosted", &body)
            .await;
        assert_eq!(r.status(), 400, "{body}");
        let errors: Value = r.json().await.unwrap();
        assert_eq!(errors[0]["id"], format!("PARAMETER {field}"), "{body}");
        assert!(errors[0]["message"].as_str().unwrap().contains(field));
    }
    let r = app
        .req(Method::POST, "/service/rest/v1/repositories/raw/hosted")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.create_raw("dup", "ALLOW").await;
    let r = app
        .post_json(
            "/service/rest/v1/repositories/raw/hosted",
            &raw_hosted("dup", "ALLOW"),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("already exists"));
    let r = app
        .post_json(
            "/service/rest/v1/repositories/nosuchformat/hosted",
            &raw_hosted("x", "ALLOW"),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert!(app.get("/service/rest/v1/assets").await.status() == 400);
    assert_eq!(
        app.get("/service/rest/v1/assets?repository=missing")
            .await
            .status(),
        404
    );
}

async fn permissions_are_enforced(app: TestApp) {
    app.create_raw("files", "ALLOW").await;
    app.create_user("dev", "dev-password-1", &[]).await;
    let routes = [
        (Method::GET, "/service/rest/v1/repositories/files"),
        (Method::POST, "/service/rest/v1/repositories/raw/hosted"),
        (Method::DELETE, "/service/rest/v1/repositories/files"),
        (
            Method::GET,
            "/service/rest/v1/repositories/raw/hosted/files",
        ),
        (Method::GET, "/service/rest/v1/blobstores"),
        (Method::POST, "/service/rest/v1/blobstores/file"),
        (Method::GET, "/service/rest/v1/security/users"),
        (Method::POST, "/service/rest/v1/security/users"),
        (Method::GET, "/service/rest/v1/assets?repository=files"),
        (Method::GET, "/service/rest/v1/components?repository=files"),
    ];
    for (method, path) in routes {
        let anon = app
            .client
            .request(method.clone(), app.url(path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(anon.status(), 401, "anonymous {method} {path}");
        let dev = app
            .as_user("dev", "dev-password-1", method.clone(), path)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(dev.status(), 403, "dev {method} {path}");
    }
    // A user without roles sees no repositories.
    let list: Vec<Value> = app
        .as_user(
            "dev",
            "dev-password-1",
            Method::GET,
            "/service/rest/v1/repositories",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());
    // Nothing was created or deleted by the refused requests.
    assert_eq!(
        app.get("/service/rest/v1/repositories/files")
            .await
            .status(),
        200
    );
}

async fn assets_and_components_page_and_delete(app: TestApp) {
    app.create_raw("many", "ALLOW").await;
    for i in 0..130 {
        let r = app
            .put_file(
                "many",
                &format!("dir{}/file{i}.txt", i % 3),
                format!("content {i}"),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let assets = app.all_assets("many").await;
    assert_eq!(assets.len(), 130);
    let mut paths: Vec<&str> = assets.iter().map(|a| a["path"].as_str().unwrap()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 130, "pages do not overlap");
    let a = assets
        .iter()
        .find(|a| a["path"] == "dir1/file4.txt")
        .unwrap();
    assert_eq!(a["format"], "raw");
    assert_eq!(a["repository"], "many");
    assert_eq!(a["fileSize"], 9);
    assert_eq!(a["contentType"], "text/plain");
    assert_eq!(a["uploader"], "admin");
    assert_eq!(a["checksum"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(a["downloadUrl"], app.url("/repository/many/dir1/file4.txt"));

    let id = a["id"].as_str().unwrap();
    let one: Value = app
        .get(&format!("/service/rest/v1/assets/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["path"], "dir1/file4.txt");

    let page: Value = app
        .get("/service/rest/v1/components?repository=many")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 100);
    let token = page["continuationToken"].as_str().unwrap();
    let page2: Value = app
        .get(&format!(
            "/service/rest/v1/components?repository=many&continuationToken={token}"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page2["items"].as_array().unwrap().len(), 30);
    assert!(page2["continuationToken"].is_null());
    let c = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "dir2/file5.txt")
        .or_else(|| {
            page2["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "dir2/file5.txt")
        })
        .unwrap()
        .clone();
    assert_eq!(c["group"], "/dir2");
    assert!(c["version"].is_null());
    assert_eq!(c["assets"][0]["path"], "dir2/file5.txt");

    let del = |path: String| app.req(Method::DELETE, &path).send();
    assert_eq!(
        del(format!("/service/rest/v1/assets/{id}"))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        app.get("/repository/many/dir1/file4.txt").await.status(),
        404
    );
    assert_eq!(
        app.get(&format!("/service/rest/v1/assets/{id}"))
            .await
            .status(),
        404
    );
    let cid = c["id"].as_str().unwrap();
    assert_eq!(
        del(format!("/service/rest/v1/components/{cid}"))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        app.get("/repository/many/dir2/file5.txt").await.status(),
        404
    );
    assert_eq!(
        app.get(&format!("/service/rest/v1/components/{cid}"))
            .await
            .status(),
        404
    );
    assert_eq!(app.all_assets("many").await.len(), 128);
}
