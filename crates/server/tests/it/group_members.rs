//! Groups whose members fail: a docker or raw group whose proxy member's upstream is down (a
//! port nobody listens on) or auto-blocked skips that member, serves what a later member has,
//! answers 404 when no member that answered has it and 503 only when no member answered; the
//! docker CLI pushes and pulls through such a group; a group without a writable member says so.

use crate::both_backends;
use crate::docker_cli::{image_id, import_image, login, ok, run, tag_and_push};
use crate::helpers::{
    ADMIN_PASSWORD, OCI_MANIFEST, TestApp, digest, docker_body, error_code, image_manifest,
    raw_hosted, refused_port, repository_port,
};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(
    docker_group_skips_a_failing_member,
    docker_group_without_writable_member_says_so,
    raw_group_skips_a_failing_member,
    raw_group_skips_an_offline_member,
    docker_cli_through_a_group_with_a_stopped_upstream,
    docker_cli_push_to_a_group_without_writable_member,
);

/// A docker proxy of an upstream nobody listens on (auto-blocking after 3 failures).
async fn create_stopped_docker_proxy(app: &TestApp, name: &str) {
    let body = json!({
        "name": name, "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "proxy": {"remoteUrl": format!("http://127.0.0.1:{}", refused_port()), "contentMaxAge": 1440, "metadataMaxAge": 1440},
        "negativeCache": {"enabled": true, "timeToLive": 1440},
        "httpClient": {"blocked": false, "autoBlock": true},
        "docker": {"v1Enabled": false, "forceBasicAuth": true}
    });
    let r = app
        .post_json("/service/rest/v1/repositories/docker/proxy", &body)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
}

async fn create_docker_group(
    app: &TestApp,
    name: &str,
    members: &[&str],
    writable: Option<&str>,
    port: Option<u16>,
) {
    let body = json!({
        "name": name, "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "group": {"memberNames": members, "writableMember": writable},
        "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": port}
    });
    let r = app
        .post_json("/service/rest/v1/repositories/docker/group", &body)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
}

async fn docker_group_skips_a_failing_member(app: TestApp) {
    create_stopped_docker_proxy(&app, "down").await;
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("local", None),
        )
        .await;
    assert_eq!(r.status(), 201);
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let layer = b"a layer only the hosted member has";
    let config_digest = app.push_blob("local", "app", config).await;
    let layer_digest = app.push_blob("local", "app", layer).await;
    let manifest = image_manifest(&config_digest, config.len(), &layer_digest, layer.len());
    let r = app
        .put_manifest("/v2/local/app/manifests/1", OCI_MANIFEST, &manifest)
        .await;
    assert_eq!(r.status(), 201);
    create_docker_group(&app, "both", &["down", "local"], None, None).await;
    let absent = digest(b"no member has this");

    // Served by the hosted member behind the failing proxy; absent content is 404 in the
    // registry's terms. Twice: the proxy is auto-blocked after three failures in a row, and an
    // auto-blocked member is skipped the same way.
    for round in ["upstream down", "upstream auto-blocked"] {
        for method in [Method::GET, Method::HEAD] {
            let r = app.send(method.clone(), "/v2/both/app/manifests/1").await;
            assert_eq!(r.status(), 200, "{round}: {method} manifest");
            if method == Method::GET {
                assert_eq!(r.bytes().await.unwrap().as_ref(), manifest.as_slice());
            }
            let r = app
                .send(
                    method.clone(),
                    &format!("/v2/both/app/blobs/{layer_digest}"),
                )
                .await;
            assert_eq!(r.status(), 200, "{round}: {method} blob");
            if method == Method::GET {
                assert_eq!(r.bytes().await.unwrap().as_ref(), layer);
            }
            let r = app
                .send(method.clone(), "/v2/both/app/manifests/absent")
                .await;
            assert_eq!(r.status(), 404, "{round}: {method} absent manifest");
            if method == Method::GET {
                assert_eq!(error_code(r).await, "MANIFEST_UNKNOWN", "{round}");
            }
            let r = app
                .send(method.clone(), &format!("/v2/both/app/blobs/{absent}"))
                .await;
            assert_eq!(r.status(), 404, "{round}: {method} absent blob");
            if method == Method::GET {
                assert_eq!(error_code(r).await, "BLOB_UNKNOWN", "{round}");
            }
        }
        let r = app.send(Method::GET, "/v2/both/app/tags/list").await;
        assert_eq!(r.status(), 200, "{round}: tags");
        assert_eq!(r.json::<Value>().await.unwrap()["tags"], json!(["1"]));
        let status: Value = app
            .get("/service/rest/v1/repositories/docker/proxy/down")
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            status["status"]["status"], "AUTO_BLOCKED",
            "the failing member is auto-blocked after the first round: {status}"
        );
    }

    // No member answered at all: 503 UNAVAILABLE, the proxy's own reason.
    create_docker_group(&app, "only-down", &["down"], None, None).await;
    for path in [
        "/v2/only-down/app/manifests/1".to_owned(),
        format!("/v2/only-down/app/blobs/{layer_digest}"),
        "/v2/only-down/app/tags/list".to_owned(),
    ] {
        let r = app.send(Method::GET, &path).await;
        assert_eq!(r.status(), 503, "{path}");
        assert_eq!(error_code(r).await, "UNAVAILABLE", "{path}");
    }
}

/// Pushing to a group without a writable member: the message (all the docker CLI shows) says
/// so, not "requested access to the resource is denied".
async fn docker_group_without_writable_member_says_so(app: TestApp) {
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("local", None),
        )
        .await;
    assert_eq!(r.status(), 201);
    create_docker_group(&app, "reads", &["local"], None, None).await;
    for (method, path) in [
        (Method::POST, "/v2/reads/app/blobs/uploads/"),
        (Method::PUT, "/v2/reads/app/manifests/1"),
        (Method::DELETE, "/v2/reads/app/manifests/1"),
    ] {
        let r = app.send(method.clone(), path).await;
        assert_eq!(r.status(), 403, "{method} {path}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["errors"][0]["code"], "DENIED", "{e}");
        let message = e["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("group 'reads' has no writable member"),
            "{method} {path}: {e}"
        );
    }
}

async fn raw_group_skips_a_failing_member(app: TestApp) {
    let proxy = json!({
        "name": "remote-down", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "proxy": {"remoteUrl": format!("http://127.0.0.1:{}/", refused_port()), "contentMaxAge": 1440, "metadataMaxAge": 1440},
        "negativeCache": {"enabled": true, "timeToLive": 1440},
        "httpClient": {"blocked": false, "autoBlock": true}
    });
    let r = app
        .post_json("/service/rest/v1/repositories/raw/proxy", &proxy)
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    app.create_raw("files", "ALLOW").await;
    assert_eq!(
        app.put_file("files", "docs/a.txt", "hosted bytes")
            .await
            .status(),
        201
    );
    let group = |name: &str, members: &[&str]| {
        json!({"name": name, "online": true,
               "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
               "group": {"memberNames": members}})
    };
    for (name, members) in [
        ("mixed", &["remote-down", "files"][..]),
        ("only-down", &["remote-down"][..]),
    ] {
        let r = app
            .post_json(
                "/service/rest/v1/repositories/raw/group",
                &group(name, members),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }

    for method in [Method::GET, Method::HEAD] {
        let r = app
            .send(method.clone(), "/repository/mixed/docs/a.txt")
            .await;
        assert_eq!(r.status(), 200, "{method}");
        if method == Method::GET {
            assert_eq!(r.bytes().await.unwrap().as_ref(), b"hosted bytes");
        }
        let r = app
            .send(method.clone(), "/repository/mixed/docs/absent.txt")
            .await;
        assert_eq!(r.status(), 404, "{method}: no member that answered has it");
    }
    // No member answered: 503 naming the failing member.
    let r = app
        .send(Method::GET, "/repository/only-down/docs/a.txt")
        .await;
    assert_eq!(r.status(), 503);
    let text = r.text().await.unwrap();
    assert!(text.contains("'remote-down'"), "{text}");
}

/// The docker CLI through a group [proxy of a stopped upstream, hosted]: a push lands in the
/// hosted member, and a pull of the hosted image works.
async fn docker_cli_through_a_group_with_a_stopped_upstream(app: TestApp) {
    create_stopped_docker_proxy(&app, "hub").await;
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("own", None),
        )
        .await;
    assert_eq!(r.status(), 201);
    let port = repository_port();
    create_docker_group(&app, "front", &["hub", "own"], Some("own"), Some(port)).await;

    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("docker-config");
    let (local, local_id, unique) = import_image(work.path()).await;
    let group = format!("127.0.0.1:{port}");
    ok(
        &login(&config, &group, "admin", ADMIN_PASSWORD).await,
        "docker login (group)",
    );
    let image = format!("{group}/app-{unique}:1");
    tag_and_push(&config, &local, &image, "docker push through the group").await;
    let components: Value = app
        .get("/service/rest/v1/components?repository=own")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        components["items"][0]["name"],
        format!("app-{unique}"),
        "the push landed in the hosted member: {components}"
    );
    ok(
        &run(config.clone(), vec!["rmi".into(), image.clone()], None).await,
        "docker rmi",
    );
    ok(
        &run(config.clone(), vec!["pull".into(), image.clone()], None).await,
        "docker pull through the group",
    );
    assert_eq!(image_id(&config, &image).await, local_id);
    for i in [&image, &local] {
        let _ = run(config.clone(), vec!["rmi".into(), i.clone()], None).await;
    }
}

/// `docker push` to a group without a writable member says the group has no writable member.
async fn docker_cli_push_to_a_group_without_writable_member(app: TestApp) {
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("own", None),
        )
        .await;
    assert_eq!(r.status(), 201);
    let port = repository_port();
    create_docker_group(&app, "read-only", &["own"], None, Some(port)).await;
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("docker-config");
    let (local, _, unique) = import_image(work.path()).await;
    let read_only = format!("127.0.0.1:{port}");
    ok(
        &login(&config, &read_only, "admin", ADMIN_PASSWORD).await,
        "docker login (read-only group)",
    );
    let refused = format!("{read_only}/other-{unique}:1");
    ok(
        &run(
            config.clone(),
            vec!["tag".into(), local.clone(), refused.clone()],
            None,
        )
        .await,
        "docker tag",
    );
    let out = run(config.clone(), vec!["push".into(), refused.clone()], None).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a push to a read-only group fails");
    assert!(err.contains("has no writable member"), "{err}");

    for i in [&refused, &local] {
        let _ = run(config.clone(), vec!["rmi".into(), i.clone()], None).await;
    }
}

/// An offline member answers 503 on its own and is skipped by a group, which goes on to the
/// next member; a group whose only member is offline has no member that answered: 503, not
/// the 404 of "no member has it" (the dispatcher's one answer for offline, issue 12).
async fn raw_group_skips_an_offline_member(app: TestApp) {
    for (name, bytes) in [("first", "first bytes"), ("second", "second bytes")] {
        app.create_raw(name, "ALLOW").await;
        let r = app.put_file(name, "docs/a.txt", bytes).await;
        assert_eq!(r.status(), 201);
    }
    for (name, members) in [
        ("both", &["first", "second"][..]),
        ("alone", &["first"][..]),
    ] {
        let body = json!({"name": name, "online": true,
               "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
               "group": {"memberNames": members}});
        let r = app
            .post_json("/service/rest/v1/repositories/raw/group", &body)
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }
    let r = app.get("/repository/both/docs/a.txt").await;
    assert_eq!(
        r.text().await.unwrap(),
        "first bytes",
        "the first member serves while online"
    );

    let mut offline = raw_hosted("first", "ALLOW");
    offline["online"] = json!(false);
    let r = app
        .req(
            Method::PUT,
            "/service/rest/v1/repositories/raw/hosted/first",
        )
        .json(&offline)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap_or_default());

    let r = app.get("/repository/first/docs/a.txt").await;
    assert_eq!(r.status(), 503);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("repository 'first' is offline")
    );
    for method in [Method::GET, Method::HEAD] {
        let r = app
            .send(method.clone(), "/repository/both/docs/a.txt")
            .await;
        assert_eq!(r.status(), 200, "{method}");
        if method == Method::GET {
            assert_eq!(r.text().await.unwrap(), "second bytes");
        }
        let r = app
            .send(method.clone(), "/repository/alone/docs/a.txt")
            .await;
        assert_eq!(r.status(), 503, "{method}: the only member is offline");
    }
}
