//! The real docker CLI (Debian's `docker.io`, daemon started by `scripts/test.sh` and named by
//! `STOWAGE_TEST_DOCKER_HOST`): login, push, remove, pull on a repository's own port and through
//! path routing on the main port; wrong credentials are refused.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp, repository_port};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

both_backends!(
    docker_login_push_pull,
    docker_privileges_tokens_and_anonymous
);

/// Runs the docker CLI against the test daemon with its own client config directory.
fn docker(config: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let host = std::env::var("STOWAGE_TEST_DOCKER_HOST").expect(
        "STOWAGE_TEST_DOCKER_HOST must name a docker daemon socket; run the suite with scripts/test.sh",
    );
    let mut child = Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", host)
        .env("DOCKER_CONFIG", config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker CLI runs (scripts/test.sh installs docker.io)");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

pub(crate) async fn run(config: PathBuf, args: Vec<String>, stdin: Option<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        docker(&config, &args, stdin.as_deref())
    })
    .await
    .unwrap()
}

pub(crate) fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Logs in, pushes `local` as `remote`, removes both, pulls `remote` and returns its image id.
async fn push_remove_pull(config: &Path, registry: &str, local: &str, remote: &str) -> String {
    let c = config.to_owned();
    let login = run(
        c.clone(),
        vec![
            "login".into(),
            registry.into(),
            "-u".into(),
            "admin".into(),
            "--password-stdin".into(),
        ],
        Some(ADMIN_PASSWORD.into()),
    )
    .await;
    ok(&login, "docker login");
    tag_and_push(&c, local, remote, "docker push").await;
    ok(
        &run(c.clone(), vec!["rmi".into(), remote.into()], None).await,
        "docker rmi",
    );
    ok(
        &run(c.clone(), vec!["pull".into(), remote.into()], None).await,
        "docker pull",
    );
    image_id(&c, remote).await
}

/// `docker import` of a small tarball with unique content (images cannot be pulled from the
/// internet here). Returns the local tag, its image id and the unique string, with the docker
/// client config directory at `<work>/docker-config`.
pub(crate) async fn import_image(work: &Path) -> (String, String, String) {
    let config = work.join("docker-config");
    std::fs::create_dir_all(&config).unwrap();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let rootfs = work.join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::write(rootfs.join("etc/stowage-test"), format!("{unique}\n")).unwrap();
    std::fs::write(
        rootfs.join("hello.txt"),
        "hello from stowage\n".repeat(1000),
    )
    .unwrap();
    let tarball = work.join("image.tar");
    let tar = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-cf")
        .arg(&tarball)
        .arg(".")
        .status()
        .unwrap();
    assert!(tar.success());
    let local = format!("stowage-test/{unique}:1");
    let imported = run(
        config,
        vec![
            "import".into(),
            tarball.display().to_string(),
            local.clone(),
        ],
        None,
    )
    .await;
    let id = ok(&imported, "docker import");
    (local, id, unique)
}

/// The id of local image `image`.
/// `docker tag from to`, then `docker push to` (`what` names the push if it fails).
pub(crate) async fn tag_and_push(config: &Path, from: &str, to: &str, what: &str) {
    let tag = ["tag", from, to].map(str::to_owned).to_vec();
    ok(&run(config.to_owned(), tag, None).await, "docker tag");
    let push = ["push", to].map(str::to_owned).to_vec();
    ok(&run(config.to_owned(), push, None).await, what);
}

pub(crate) async fn image_id(config: &Path, image: &str) -> String {
    let args = ["image", "inspect", "-f", "{{.Id}}", image];
    let out = run(config.to_owned(), args.map(str::to_owned).to_vec(), None).await;
    ok(&out, "docker image inspect")
}

/// `docker login registry -u user` with `secret` on stdin.
pub(crate) async fn login(config: &Path, registry: &str, user: &str, secret: &str) -> Output {
    run(
        config.to_owned(),
        vec![
            "login".into(),
            registry.into(),
            "-u".into(),
            user.into(),
            "--password-stdin".into(),
        ],
        Some(secret.into()),
    )
    .await
}

async fn docker_login_push_pull(app: TestApp) {
    let port = repository_port();
    let body = json!({"name": "dh", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true, "writePolicy": "ALLOW"},
        "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": port}});
    assert_eq!(
        app.post_json("/service/rest/v1/repositories/docker/hosted", &body)
            .await
            .status(),
        201
    );

    // An image of our own: `docker import` of a small tarball with unique content.
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("docker-config");
    let (local, local_id, unique) = import_image(work.path()).await;

    // Wrong credentials are refused.
    let on_port = format!("127.0.0.1:{port}");
    let bad = run(
        config.clone(),
        vec![
            "login".into(),
            on_port.clone(),
            "-u".into(),
            "admin".into(),
            "--password-stdin".into(),
        ],
        Some("wrong-password".into()),
    )
    .await;
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr).to_lowercase();
    assert!(err.contains("unauthorized") || err.contains("401"), "{err}");

    // The repository's own port.
    let remote = format!("{on_port}/app-{unique}:1");
    let id = push_remove_pull(&config, &on_port, &local, &remote).await;
    assert_eq!(id, local_id, "same image id after push, rmi and pull");

    // A repository on the token flow (forceBasicAuth false): docker login gets a Bearer token.
    let token_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut body = json!({"name": "dt", "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true, "writePolicy": "ALLOW"},
        "docker": {"v1Enabled": false, "forceBasicAuth": false, "httpPort": token_port}});
    assert_eq!(
        app.post_json("/service/rest/v1/repositories/docker/hosted", &body)
            .await
            .status(),
        201
    );
    let on_token_port = format!("127.0.0.1:{token_port}");
    // docker search uses the v1 search endpoint of a repository with v1Enabled.
    body["docker"]["v1Enabled"] = true.into();
    let r = app
        .req(
            reqwest::Method::PUT,
            "/service/rest/v1/repositories/docker/hosted/dt",
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let tokened = format!("{on_token_port}/tok-{unique}:1");
    let id = push_remove_pull(&config, &on_token_port, &local, &tokened).await;
    assert_eq!(id, local_id);
    let term = format!("{on_token_port}/tok-{}", &unique[..8]);
    let search = run(config.clone(), vec!["search".into(), term], None).await;
    let found = ok(&search, "docker search");
    assert!(found.contains(&format!("tok-{unique}")), "{found}");

    // Path routing on the main port: the repository is the first path segment.
    let main = app.address.trim_start_matches("http://").to_owned();
    let routed = format!("{main}/dh/routed-{unique}:2");
    let id = push_remove_pull(&config, &main, &local, &routed).await;
    assert_eq!(id, local_id);

    // What was pushed is visible as components.
    let page: serde_json::Value = app
        .get("/service/rest/v1/components?repository=dh")
        .await
        .json()
        .await
        .unwrap();
    let mut names: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [format!("app-{unique}:1"), format!("routed-{unique}:2")]
    );

    for image in [&remote, &routed, &tokened, &local] {
        let _ = run(config.clone(), vec!["rmi".into(), image.clone()], None).await;
    }
}

/// The output of a docker command that must fail, lowercased.
fn failed(out: &Output, what: &str) -> String {
    assert!(
        !out.status.success(),
        "{what} should have failed:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).to_lowercase()
}

/// The docker CLI under the security model, on a token-flow port: a reader pulls but may not
/// push, a deployer pushes with a user token until it is revoked, and without `docker login`
/// the anonymous user pulls exactly while anonymous access is on.
async fn docker_privileges_tokens_and_anonymous(app: TestApp) {
    let port = repository_port();
    let mut body = crate::helpers::docker_body("team", Some(port));
    body["docker"]["forceBasicAuth"] = false.into();
    let r = app
        .post_json("/service/rest/v1/repositories/docker/hosted", &body)
        .await;
    assert_eq!(r.status(), 201);
    let view = |a: &str| format!("nx-repository-view-docker-team-{a}");
    for (role, actions) in [
        ("team-readers", ["browse", "read"]),
        ("team-deployers", ["add", "edit"]),
    ] {
        let privileges: Vec<String> = actions.iter().map(|a| view(a)).collect();
        let roles: Vec<&str> = if role == "team-deployers" {
            vec!["team-readers"]
        } else {
            vec![]
        };
        let r = app
            .post_json(
                "/service/rest/v1/security/roles",
                &json!({"id": role, "name": role, "privileges": privileges, "roles": roles}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    app.create_user("reader", "reader-password", &["team-readers"])
        .await;
    app.create_user("deployer", "deployer-password", &["team-deployers"])
        .await;

    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("docker-config");
    let (local, local_id, unique) = import_image(work.path()).await;
    let registry = format!("127.0.0.1:{port}");
    let image = format!("{registry}/app-{unique}:1");
    ok(
        &run(
            config.clone(),
            vec!["tag".into(), local.clone(), image.clone()],
            None,
        )
        .await,
        "tag",
    );

    // A deployer logs in with a user token (not the password) and pushes.
    let r = app
        .as_user(
            "deployer",
            "deployer-password",
            reqwest::Method::POST,
            "/service/rest/v1/security/users/deployer/tokens",
        )
        .json(&json!({"name": "ci", "expiresInDays": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    ok(
        &login(&config, &registry, "deployer", &token).await,
        "docker login with a user token",
    );
    ok(
        &run(config.clone(), vec!["push".into(), image.clone()], None).await,
        "push as deployer",
    );

    // A reader pulls it, and may not push.
    ok(
        &login(&config, &registry, "reader", "reader-password").await,
        "docker login as reader",
    );
    ok(
        &run(config.clone(), vec!["rmi".into(), image.clone()], None).await,
        "rmi",
    );
    ok(
        &run(config.clone(), vec!["pull".into(), image.clone()], None).await,
        "pull as reader",
    );
    let pushed_again = format!("{registry}/other-{unique}:1");
    ok(
        &run(
            config.clone(),
            vec!["tag".into(), local.clone(), pushed_again.clone()],
            None,
        )
        .await,
        "tag",
    );
    let err = failed(
        &run(
            config.clone(),
            vec!["push".into(), pushed_again.clone()],
            None,
        )
        .await,
        "push as reader",
    );
    assert!(
        err.contains("denied") || err.contains("unauthorized"),
        "{err}"
    );

    // The token is revoked: the next push with it is refused.
    ok(
        &login(&config, &registry, "deployer", &token).await,
        "login with the token again",
    );
    let id = created["id"].as_str().unwrap();
    let r = app
        .as_user(
            "deployer",
            "deployer-password",
            reqwest::Method::DELETE,
            &format!("/service/rest/v1/security/users/deployer/tokens/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let err = failed(
        &run(
            config.clone(),
            vec!["push".into(), pushed_again.clone()],
            None,
        )
        .await,
        "push with a revoked token",
    );
    assert!(
        err.contains("unauthorized") || err.contains("denied") || err.contains("401"),
        "{err}"
    );

    // Without docker login: no pull while anonymous access is off, a pull once it is on
    // (nx-anonymous reads everything by default), through the anonymous Bearer token.
    ok(
        &run(
            config.clone(),
            vec!["logout".into(), registry.clone()],
            None,
        )
        .await,
        "logout",
    );
    ok(
        &run(config.clone(), vec!["rmi".into(), image.clone()], None).await,
        "rmi",
    );
    let err = failed(
        &run(config.clone(), vec!["pull".into(), image.clone()], None).await,
        "anonymous pull while off",
    );
    assert!(
        err.contains("unauthorized") || err.contains("denied"),
        "{err}"
    );
    let set = |enabled: bool| {
        app.req(reqwest::Method::PUT, "/service/rest/v1/security/anonymous")
            .json(&json!({"enabled": enabled}))
            .send()
    };
    assert_eq!(set(true).await.unwrap().status(), 200);
    ok(
        &run(config.clone(), vec!["pull".into(), image.clone()], None).await,
        "anonymous pull",
    );
    let pulled = image_id(&config, &image).await;
    assert_eq!(pulled, local_id);
    // Anonymous may read, not write.
    let err = failed(
        &run(
            config.clone(),
            vec!["push".into(), pushed_again.clone()],
            None,
        )
        .await,
        "anonymous push",
    );
    assert!(
        err.contains("unauthorized") || err.contains("denied"),
        "{err}"
    );
    assert_eq!(set(false).await.unwrap().status(), 200);

    for i in [&image, &pushed_again, &local] {
        let _ = run(config.clone(), vec!["rmi".into(), i.clone()], None).await;
    }
}
