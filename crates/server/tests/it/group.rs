//! Docker group repositories: one port serving images of several members, merged tag lists,
//! pushes through the group landing in its writable member, and the settings a group refuses
//! (itself, cycles, unknown or non-docker members, a writable member outside the group).

use crate::both_backends;
use crate::docker_cli::{image_id, import_image, login, ok, run, tag_and_push};
use crate::helpers::{ADMIN_PASSWORD, TestApp, docker_body, repository_port};
use reqwest::Method;
use serde_json::{Value, json};

both_backends!(group_serves_members_and_takes_pushes);

fn group_body(name: &str, members: &[&str], writable: Option<&str>, port: Option<u16>) -> Value {
    json!({
        "name": name, "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true},
        "group": {"memberNames": members, "writableMember": writable},
        "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": port}
    })
}

async fn group_serves_members_and_takes_pushes(app: TestApp) {
    for name in ["ga", "gb"] {
        let r = app
            .post_json(
                "/service/rest/v1/repositories/docker/hosted",
                &docker_body(name, None),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("docker-config");
    let (local, local_id, unique) = import_image(work.path()).await;
    let main = app.address.trim_start_matches("http://").to_owned();
    ok(
        &login(&config, &main, "admin", ADMIN_PASSWORD).await,
        "docker login (main port)",
    );
    // alpha:1 in ga, alpha:2 and beta:1 in gb, pushed through path routing.
    for (repo, image) in [("ga", "alpha"), ("gb", "alpha"), ("gb", "beta")] {
        let tag = if repo == "gb" && image == "alpha" {
            "2"
        } else {
            "1"
        };
        let remote = format!("{main}/{repo}/{image}-{unique}:{tag}");
        tag_and_push(&config, &local, &remote, "push to a member").await;
        let _ = run(config.clone(), vec!["rmi".into(), remote], None).await;
    }

    // The group on its own port, gb writable.
    let port = repository_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/group",
            &group_body("gg", &["ga", "gb"], Some("gb"), Some(port)),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let group = format!("127.0.0.1:{port}");
    ok(
        &login(&config, &group, "admin", ADMIN_PASSWORD).await,
        "docker login (group)",
    );
    for image in [
        format!("{group}/alpha-{unique}:1"),
        format!("{group}/beta-{unique}:1"),
    ] {
        ok(
            &run(config.clone(), vec!["pull".into(), image.clone()], None).await,
            "pull through the group",
        );
        let id = image_id(&config, &image).await;
        assert_eq!(id, local_id);
        let _ = run(config.clone(), vec!["rmi".into(), image], None).await;
    }

    // Tags of alpha come from both members, merged and sorted.
    let tags: Value = app
        .send_to(
            &group,
            Method::GET,
            &format!("/v2/alpha-{unique}/tags/list"),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tags["tags"], json!(["1", "2"]));
    let r = app
        .send_to(
            &group,
            Method::GET,
            &format!("/v2/nothing-{unique}/manifests/1"),
        )
        .await;
    assert_eq!(r.status(), 404);

    // A push to the group lands in its writable member.
    let pushed = format!("{group}/gamma-{unique}:1");
    tag_and_push(&config, &local, &pushed, "push through the group").await;
    let components: Value = app
        .get("/service/rest/v1/components?repository=gb")
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = components["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&format!("gamma-{unique}").as_str()),
        "{names:?}"
    );

    // An image whose layers only ga has: docker finds them through the group and does not
    // upload them again, and the group gives them to gb before the manifest.
    let other_work = work.path().join("other");
    std::fs::create_dir_all(&other_work).unwrap();
    let (other_local, other_id, other_unique) = import_image(&other_work).await;
    let in_ga = format!("{main}/ga/delta-{other_unique}:1");
    tag_and_push(&config, &other_local, &in_ga, "push to ga").await;
    let through = format!("{group}/epsilon-{other_unique}:1");
    ok(
        &run(
            config.clone(),
            vec!["tag".into(), other_local.clone(), through.clone()],
            None,
        )
        .await,
        "tag",
    );
    let pushed_out = ok(
        &run(config.clone(), vec!["push".into(), through.clone()], None).await,
        "push through the group",
    );
    assert!(
        pushed_out.contains("exists"),
        "layers found in a member are not uploaded again: {pushed_out}"
    );
    for i in [&in_ga, &through, &other_local] {
        let _ = run(config.clone(), vec!["rmi".into(), i.clone()], None).await;
    }
    let in_gb = format!("{main}/gb/epsilon-{other_unique}:1");
    ok(
        &run(config.clone(), vec!["pull".into(), in_gb.clone()], None).await,
        "pull from gb directly",
    );
    let id = image_id(&config, &in_gb).await;
    assert_eq!(id, other_id, "gb holds the whole image");
    let _ = run(config.clone(), vec!["rmi".into(), in_gb], None).await;

    // What a group refuses, naming the field.
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/group",
            &group_body("outer", &["gg"], None, None),
        )
        .await;
    assert_eq!(r.status(), 201);
    let refused = [
        (
            group_body("gg", &["ga", "outer"], None, Some(port)),
            "group.memberNames",
            "cycle",
        ),
        (
            group_body("gg", &["gg"], None, Some(port)),
            "group.memberNames",
            "itself",
        ),
        (
            group_body("gg", &["ga", "nope"], None, Some(port)),
            "group.memberNames",
            "does not exist",
        ),
        (
            group_body("gg", &["ga"], Some("gb"), Some(port)),
            "group.writableMember",
            "not one of",
        ),
        (
            group_body("gg", &["ga", "outer"], Some("outer"), Some(port)),
            "group.memberNames",
            "cycle",
        ),
    ];
    for (body, field, says) in refused {
        let r = app
            .req(
                reqwest::Method::PUT,
                "/service/rest/v1/repositories/docker/group/gg",
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e[0]["id"], format!("PARAMETER {field}"), "{e}");
        assert!(e[0]["message"].as_str().unwrap().contains(says), "{e}");
    }
    app.create_raw("files", "ALLOW").await;
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/group",
            &group_body("mixed", &["files"], None, None),
        )
        .await;
    assert_eq!(r.status(), 400, "a raw repository in a docker group");

    for i in [&pushed, &local] {
        let _ = run(config.clone(), vec!["rmi".into(), i.clone()], None).await;
    }
}
