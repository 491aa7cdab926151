//! A docker repository's own port (`httpPort`): opened, moved and closed without a restart, and
//! the token flow it offers when Basic auth is not forced.

use crate::both_backends;
use crate::helpers::{
    ADMIN_PASSWORD, OCI_MANIFEST, TestApp, digest, docker_body, image_manifest, repository_port,
};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};

both_backends!(own_port_opens_moves_and_closes, token_flow_on_own_port);

async fn own_port_opens_moves_and_closes(app: TestApp) {
    let port = repository_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("ported", Some(port)),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert!(port_answers(&app, port).await, "the port opens at once");
    let r = app
        .client
        .get(format!("http://127.0.0.1:{port}/v2/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let data = b"layer on its own port".to_vec();
    let d = digest(&data);
    let r = app
        .on_port(port, Method::POST, "/v2/team/img/blobs/uploads/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let loc = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(loc.starts_with("/v2/team/img/blobs/uploads/"), "{loc}");
    let r = app
        .on_port(port, Method::PATCH, &loc)
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = app
        .on_port(port, Method::PUT, &format!("{loc}?digest={d}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let c = app.push_blob("ported", "team/img", b"{}").await;
    let m = image_manifest(&c, 2, &d, data.len());
    let r = app
        .on_port(port, Method::PUT, "/v2/team/img/manifests/v1")
        .header(CONTENT_TYPE, OCI_MANIFEST)
        .body(m.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // The catalog of a repository's own port names its images only; v1 search needs v1Enabled.
    let cat: Value = app
        .on_port(port, Method::GET, "/v2/_catalog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cat["repositories"], json!(["team/img"]));
    let r = app
        .on_port(port, Method::GET, "/v1/search?q=img")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The same content through path routing on the main port.
    let got = app
        .get("/v2/ported/team/img/manifests/v1")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), m.as_slice());

    // A port another repository has, or one in use elsewhere, is refused and nothing is saved.
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("second", Some(port)),
        )
        .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["id"], "PARAMETER docker.httpPort");
    assert!(v[0]["message"].as_str().unwrap().contains("ported"));
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_port = busy.local_addr().unwrap().port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("second", Some(busy_port)),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        app.get("/service/rest/v1/repositories/second")
            .await
            .status(),
        404
    );
    // A duplicate name leaves the existing repository's port alone.
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("ported", None),
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(port_answers(&app, port).await);

    // Moving the port closes the old one and opens the new one.
    let moved = repository_port();
    let r = app
        .req(
            Method::PUT,
            "/service/rest/v1/repositories/docker/hosted/ported",
        )
        .json(&docker_body("ported", Some(moved)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(port_answers(&app, moved).await);
    assert!(!port_answers(&app, port).await, "the old port is closed");

    // Deleting the repository closes its port.
    let r = app
        .send(Method::DELETE, "/service/rest/v1/repositories/ported")
        .await;
    assert_eq!(r.status(), 204);
    assert!(
        !port_answers(&app, moved).await,
        "the port is closed with the repository"
    );
}

async fn token_flow_on_own_port(app: TestApp) {
    let port = repository_port();
    let mut body = docker_body("tok", Some(port));
    body["docker"]["forceBasicAuth"] = false.into();
    assert_eq!(
        app.post_json("/service/rest/v1/repositories/docker/hosted", &body)
            .await
            .status(),
        201
    );
    let base = format!("http://127.0.0.1:{port}");

    // Challenges name the token realm, the service and the scope.
    let r = app.client.get(format!("{base}/v2/")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert_eq!(
        challenge,
        format!("Bearer realm=\"{base}/v2/token\",service=\"stowage\"")
    );
    let r = app
        .client
        .get(format!("{base}/v2/img/tags/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .ends_with(",scope=\"repository:img:pull,push\"")
    );

    // The token endpoint: Basic credentials in, Docker's token fields out.
    let token_for = |user: &'static str, pass: &'static str, scope: &'static str| {
        app.client
            .get(format!("{base}/v2/token?service=stowage&scope={scope}"))
            .basic_auth(user, Some(pass))
            .send()
    };
    let r = token_for("admin", "wrong-password", "repository:img:pull,push")
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = token_for("admin", ADMIN_PASSWORD, "repository:img:pull,push")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    let token = t["token"].as_str().unwrap().to_owned();
    assert_eq!(t["access_token"], t["token"]);
    assert_eq!(t["expires_in"], 300);
    assert!(t["issued_at"].as_str().unwrap().starts_with("20"));

    // The token pushes and pulls.
    let data = b"pushed with a token".to_vec();
    let d = digest(&data);
    let r = app
        .client
        .post(format!("{base}/v2/img/blobs/uploads/?digest={d}"))
        .bearer_auth(&token)
        .body(data.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), data.as_slice());
    // Not for another image, nor beyond its actions, nor when tampered with.
    let r = app
        .client
        .get(format!("{base}/v2/other/blobs/{d}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let pull_only: Value = token_for("admin", ADMIN_PASSWORD, "repository:img:pull")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pull_only = pull_only["token"].as_str().unwrap().to_owned();
    let r = app
        .client
        .post(format!("{base}/v2/img/blobs/uploads/"))
        .bearer_auth(&pull_only)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .bearer_auth(&pull_only)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut tampered = token.clone();
    tampered.push('x');
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .bearer_auth(&tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A user without privileges gets a token that grants nothing.
    app.create_user("nobody", "nobody-password", &[]).await;
    let t: Value = token_for("nobody", "nobody-password", "repository:img:pull,push")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .bearer_auth(t["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Tokens are not credentials outside the registry routes.
    for path in [
        "/service/rest/v1/repositories",
        "/repository/tok/v2/img/tags/list",
    ] {
        let r = app
            .client
            .get(app.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    // Basic still works.
    let r = app
        .client
        .get(format!("{base}/v2/img/blobs/{d}"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn port_answers(app: &TestApp, port: u16) -> bool {
    app.client
        .get(format!("http://127.0.0.1:{port}/v2/"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .map(|r| r.status() == 200)
        .unwrap_or(false)
}
