//! Roles and privileges through REST: built-in and custom privileges, nested roles, cycles,
//! protected roles, changes that take effect at once, and privileges that go with their
//! repository.

use crate::both_backends;
use crate::helpers::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(roles_and_privileges);

async fn roles_and_privileges(app: TestApp) {
    app.create_raw("team", "ALLOW").await;
    // Built-in privileges follow the repositories.
    let all: Vec<Value> = app
        .get("/service/rest/v1/security/privileges")
        .await
        .json()
        .await
        .unwrap();
    let read = all
        .iter()
        .find(|p| p["name"] == "nx-repository-view-raw-team-read")
        .expect("the repository's read privilege exists");
    assert_eq!(read["type"], "repository-view");
    assert_eq!(read["readOnly"], true);
    assert_eq!(read["actions"], json!(["READ"]));
    assert_eq!(read["format"], "raw");
    assert_eq!(read["repository"], "team");
    assert!(all.iter().any(|p| p["name"] == "nx-all"));

    // A custom privilege, then a role holding it; bad input is refused with the field named.
    let r = app
        .post_json(
            "/service/rest/v1/security/privileges/repository-view",
            &json!({"name": "team-upload", "description": "upload to team", "format": "raw",
                    "repository": "team", "actions": ["ADD", "EDIT", "READ"]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let got: Value = app
        .get("/service/rest/v1/security/privileges/team-upload")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["actions"], json!(["ADD", "EDIT", "READ"]));
    assert_eq!(got["readOnly"], false);
    for (body, field) in [
        (
            json!({"name": "x", "format": "raw", "repository": "nope", "actions": ["READ"]}),
            "repository",
        ),
        (
            json!({"name": "x", "format": "raw", "repository": "team", "actions": ["FLY"]}),
            "actions",
        ),
        (
            json!({"name": "bad name!", "format": "raw", "repository": "team", "actions": ["READ"]}),
            "name",
        ),
        (
            json!({"name": "team-upload", "format": "raw", "repository": "team", "actions": ["READ"]}),
            "name",
        ),
    ] {
        let r = app
            .post_json(
                "/service/rest/v1/security/privileges/repository-view",
                &body,
            )
            .await;
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e[0]["id"], format!("PARAMETER {field}"), "{body}: {e}");
    }
    let r = app
        .send(
            Method::DELETE,
            "/service/rest/v1/security/privileges/nx-all",
        )
        .await;
    assert_eq!(r.status(), 400, "built-in privileges stay");

    app.create_role("uploaders", &["team-upload"], &[]).await;
    app.create_role(
        "leads",
        &["nx-repository-view-raw-team-delete"],
        &["uploaders"],
    )
    .await;
    // A cycle is refused.
    let r = app.req(Method::PUT, "/service/rest/v1/security/roles/uploaders")
        .json(&json!({"id": "uploaders", "name": "uploaders", "privileges": ["team-upload"], "roles": ["leads"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("contains"));
    // nx-admin is protected.
    let r = app
        .req(Method::PUT, "/service/rest/v1/security/roles/nx-admin")
        .json(&json!({"id": "nx-admin", "name": "nx-admin", "privileges": [], "roles": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The nested role's privileges reach the user; nothing else does.
    app.create_user("lead", "lead-password", &["leads"]).await;
    let lead = |m: Method, path: &str| app.as_user("lead", "lead-password", m, path);
    let r = lead(Method::PUT, "/repository/team/a.txt")
        .body("a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "add through the contained role");
    let r = lead(Method::GET, "/repository/team/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = lead(Method::DELETE, "/repository/team/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "delete through the role itself");
    let r = lead(Method::GET, "/service/rest/v1/security/users")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Taking the privilege out of the role takes effect at once.
    let r = app
        .req(Method::PUT, "/service/rest/v1/security/roles/uploaders")
        .json(&json!({"id": "uploaders", "name": "uploaders", "privileges": [], "roles": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = lead(Method::PUT, "/repository/team/b.txt")
        .body("b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A role still held cannot be deleted; an unused one can.
    let r = app
        .send(Method::DELETE, "/service/rest/v1/security/roles/leads")
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("user 'lead'"));

    // Deleting the repository removes its privileges from every role: a new repository of the
    // same name does not inherit the old grants.
    let r = app
        .send(Method::DELETE, "/service/rest/v1/repositories/team")
        .await;
    assert_eq!(r.status(), 204);
    let leads: Value = app
        .get("/service/rest/v1/security/roles/leads")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(leads["privileges"], json!([]));
    assert_eq!(leads["roles"], json!(["uploaders"]));
    let r = app
        .get("/service/rest/v1/security/privileges/nx-repository-view-raw-team-read")
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .get("/service/rest/v1/security/privileges/team-upload")
        .await;
    assert_eq!(
        r.status(),
        404,
        "custom privileges naming the repository go with it"
    );
}
