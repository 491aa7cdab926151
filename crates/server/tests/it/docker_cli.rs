//! The real docker CLI (Debian's `docker.io`, daemon started by `scripts/test.sh` and named by
//! `STOWAGE_TEST_DOCKER_HOST`): login, push, remove, pull on a repository's own port and through
//! path routing on the main port; wrong credentials are refused.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

both_backends!(docker_login_push_pull);

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

async fn run(config: PathBuf, args: Vec<String>, stdin: Option<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        docker(&config, &args, stdin.as_deref())
    })
    .await
    .unwrap()
}

fn ok(out: &Output, what: &str) -> String {
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
    ok(
        &run(
            c.clone(),
            vec!["tag".into(), local.into(), remote.into()],
            None,
        )
        .await,
        "docker tag",
    );
    ok(
        &run(c.clone(), vec!["push".into(), remote.into()], None).await,
        "docker push",
    );
    ok(
        &run(c.clone(), vec!["rmi".into(), remote.into()], None).await,
        "docker rmi",
    );
    ok(
        &run(c.clone(), vec!["pull".into(), remote.into()], None).await,
        "docker pull",
    );
    ok(
        &run(
            c,
            vec![
                "image".into(),
                "inspect".into(),
                "-f".into(),
                "{{.Id}}".into(),
                remote.into(),
            ],
            None,
        )
        .await,
        "inspect",
    )
}

async fn docker_login_push_pull(app: TestApp) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
    std::fs::create_dir_all(&config).unwrap();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let rootfs = work.path().join("rootfs");
    std::fs::create_dir_all(rootfs.join("etc")).unwrap();
    std::fs::write(rootfs.join("etc/stowage-test"), format!("{unique}\n")).unwrap();
    std::fs::write(
        rootfs.join("hello.txt"),
        "hello from stowage\n".repeat(1000),
    )
    .unwrap();
    let tarball = work.path().join("image.tar");
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
        config.clone(),
        vec![
            "import".into(),
            tarball.display().to_string(),
            local.clone(),
        ],
        None,
    )
    .await;
    let local_id = ok(&imported, "docker import");

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
        .as_user(
            "admin",
            ADMIN_PASSWORD,
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
