//! Anonymous access and docker clients: `/v2/` challenges every request without credentials,
//! whatever the anonymous-access switch says, so clients send the credentials they hold; then
//! the real docker CLI and podman log in, push and pull anonymously for each combination of
//! anonymous access on/off × `forceBasicAuth` on/off, on a repository's own port and
//! path-routed on the main port.

use crate::both_backends;
use crate::docker_cli::{import_image, login, ok, run, tag_and_push};
use crate::helpers::{ADMIN_PASSWORD, Db, TestApp, docker_body, repository_port, spawn_app};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

both_backends!(v2_challenges_callers_without_credentials);

/// Two docker repositories, each on its own port and path-routed: `basic` (`forceBasicAuth`
/// true) and `tokens` (false). Returns their ports.
async fn two_repositories(app: &TestApp) -> (u16, u16) {
    let (basic, tokens) = (repository_port(), repository_port());
    let mut token_body = docker_body("tokens", Some(tokens));
    token_body["docker"]["forceBasicAuth"] = false.into();
    for body in [docker_body("basic", Some(basic)), token_body] {
        let r = app
            .post_json("/service/rest/v1/repositories/docker/hosted", &body)
            .await;
        assert_eq!(r.status(), 201);
    }
    (basic, tokens)
}

/// The status and `WWW-Authenticate` of `GET url` with `authorization`, if any.
async fn probe(app: &TestApp, url: &str, authorization: Option<&str>) -> (u16, String) {
    let mut req = app.client.get(url);
    if let Some(a) = authorization {
        req = req.header("Authorization", a);
    }
    let r = req.send().await.unwrap();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), challenge)
}

/// The plain HTTP view: `/v2/` answers 401 with a challenge to a request without credentials
/// (or with containers/image's empty Basic credentials) with anonymous access off and on, on
/// both kinds of port; content paths and `/v2/token` serve the anonymous user while it is on.
async fn v2_challenges_callers_without_credentials(app: TestApp) {
    let (basic, tokens) = two_repositories(&app).await;
    let main = app.address.clone();
    let on_basic = format!("http://127.0.0.1:{basic}");
    let on_tokens = format!("http://127.0.0.1:{tokens}");
    let admin = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("admin:{ADMIN_PASSWORD}")
        )
    );
    let empty = "Basic Og==";
    for anonymous in [false, true] {
        app.set_anonymous(anonymous).await;
        // The main listener uses the token flow while anonymous access is on, so docker can
        // fetch an anonymous token; a port by its forceBasicAuth.
        let main_scheme = if anonymous { "Bearer" } else { "Basic" };
        for (base, scheme) in [
            (&main, main_scheme),
            (&on_basic, "Basic"),
            (&on_tokens, "Bearer"),
        ] {
            for path in ["/v2/", "/v2"] {
                let url = format!("{base}{path}");
                for auth in [None, Some(empty)] {
                    let (status, challenge) = probe(&app, &url, auth).await;
                    assert_eq!(
                        status, 401,
                        "GET {url} ({auth:?}), anonymous {anonymous}: must challenge"
                    );
                    assert!(
                        challenge.starts_with(scheme),
                        "GET {url}, anonymous {anonymous}: challenge {challenge:?}, not {scheme}"
                    );
                }
                assert_eq!(probe(&app, &url, Some(&admin)).await.0, 200, "{url}");
            }
        }
        // Reading content needs no credentials while anonymous access is on (an unknown
        // image: 404, not 401); empty Basic credentials are none.
        for url in [
            format!("{main}/v2/basic/app/tags/list"),
            format!("{on_basic}/v2/app/tags/list"),
        ] {
            for auth in [None, Some(empty)] {
                let (status, _) = probe(&app, &url, auth).await;
                let want = if anonymous { 404 } else { 401 };
                assert_eq!(status, want, "GET {url} ({auth:?}), anonymous {anonymous}");
            }
        }
        // The token endpoint hands out anonymous tokens exactly while anonymous access is on,
        // and `/v2/` accepts them (docker checks its token there).
        let scope = "scope=repository:basic/app:pull&service=stowage";
        let (status, _) = probe(&app, &format!("{main}/v2/token?{scope}"), None).await;
        assert_eq!(status, if anonymous { 200 } else { 401 });
        if anonymous {
            let body: Value = app
                .client
                .get(format!("{main}/v2/token?{scope}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let bearer = format!("Bearer {}", body["token"].as_str().unwrap());
            assert_eq!(
                probe(&app, &format!("{main}/v2/"), Some(&bearer)).await.0,
                200
            );
            let tags = format!("{main}/v2/basic/app/tags/list");
            assert_eq!(probe(&app, &tags, Some(&bearer)).await.0, 404);
        }
    }
}

/// Runs podman with storage of its own under `work` (vfs, no container is run) and client
/// configuration nowhere else: `--authfile` is added to the commands that talk to a registry.
fn podman(work: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let store = work.join("podman");
    let mut child = Command::new("podman")
        .arg("--root")
        .arg(store.join("root"))
        .arg("--runroot")
        .arg(store.join("run"))
        .args(["--storage-driver", "vfs", "--events-backend", "none"])
        .args(args)
        .env("DOCKER_CONFIG", work.join("podman-docker-config"))
        .env("XDG_CONFIG_HOME", work.join("podman-xdg"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podman runs (scripts/test.sh installs it)");
    let mut pipe = child.stdin.take().unwrap();
    if let Some(input) = stdin {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

async fn podman_run(work: PathBuf, args: Vec<String>, stdin: Option<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        podman(&work, &args, stdin.as_deref())
    })
    .await
    .unwrap()
}

/// The lowercased stderr of a command that must have failed.
fn failed(out: &Output, what: &str) -> String {
    assert!(
        !out.status.success(),
        "{what} should have failed:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).to_lowercase()
}

/// What an anonymous pull must do in one cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
enum AnonymousPull {
    Works,
    /// Refused by the registry: 401.
    Refused,
    /// docker sends nothing to a Basic challenge it holds no credentials for.
    DockerHasNoBasicCredentials,
}

fn check_anonymous_pull(out: &Output, want: AnonymousPull, what: &str) {
    match want {
        AnonymousPull::Works => {
            ok(out, what);
        }
        AnonymousPull::Refused => {
            let err = failed(out, what);
            assert!(
                err.contains("unauthorized") || err.contains("authentication required"),
                "{what}: {err}"
            );
        }
        AnonymousPull::DockerHasNoBasicCredentials => {
            let err = failed(out, what);
            assert!(err.contains("no basic auth credentials"), "{what}: {err}");
        }
    }
}

/// One registry address to exercise: `host:port` plus the path prefix images go under.
struct Target {
    registry: String,
    prefix: &'static str,
}

/// docker: unknown credentials are refused, `docker login` and push work, and an anonymous pull
/// (another client config, nothing stored) does what `want` says.
async fn docker_cell(work: &Path, local: &str, t: &Target, image: &str, want: AnonymousPull) {
    let signed = work.join(format!("docker-{image}"));
    let nobody = work.join(format!("docker-anon-{image}"));
    std::fs::create_dir_all(&nobody).unwrap();
    // Each cell signs in wrongly as a user of its own, so sign-in throttling (per user and
    // address) never slows or refuses the admin's logins.
    let bad = login(&signed, &t.registry, &format!("x-{image}"), "wrong").await;
    let err = failed(&bad, "docker login with unknown credentials");
    assert!(err.contains("unauthorized") || err.contains("401"), "{err}");
    ok(
        &login(&signed, &t.registry, "admin", ADMIN_PASSWORD).await,
        "docker login",
    );
    let remote = format!("{}/{}{image}:1", t.registry, t.prefix);
    tag_and_push(&signed, local, &remote, &format!("docker push {remote}")).await;
    ok(
        &run(signed.clone(), vec!["rmi".into(), remote.clone()], None).await,
        "docker rmi",
    );
    let out = run(nobody, vec!["pull".into(), remote.clone()], None).await;
    check_anonymous_pull(&out, want, &format!("anonymous docker pull {remote}"));
    let _ = run(signed, vec!["rmi".into(), remote], None).await;
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// podman: as `docker_cell`, with `--authfile` files of its own.
async fn podman_cell(work: &Path, local: &str, t: &Target, image: &str, want: AnonymousPull) {
    let signed = work.join(format!("podman-{image}.json"));
    let nobody = work.join(format!("podman-anon-{image}.json"));
    std::fs::write(&nobody, "{\"auths\":{}}").unwrap();
    let with_auth = |command: &str, auth: &Path| {
        let auth = auth.to_str().unwrap();
        strings(&[command, "--tls-verify=false", "--authfile", auth])
    };
    let login = |user: &str, pass: &str| {
        let mut args = with_auth("login", &signed);
        args.extend(strings(&["-u", user, "--password-stdin", &t.registry]));
        podman_run(work.to_owned(), args, Some(pass.to_owned()))
    };
    let err = failed(
        &login(&format!("x-{image}"), "wrong").await,
        "podman login with unknown credentials",
    );
    assert!(err.contains("invalid username/password"), "{err}");
    ok(&login("admin", ADMIN_PASSWORD).await, "podman login");
    let remote = format!("{}/{}{image}:1", t.registry, t.prefix);
    let mut push = with_auth("push", &signed);
    push.extend(strings(&[local, &remote]));
    let out = podman_run(work.to_owned(), push, None).await;
    ok(&out, &format!("podman push {remote}"));
    let mut pull = with_auth("pull", &nobody);
    pull.push(remote.clone());
    let out = podman_run(work.to_owned(), pull, None).await;
    check_anonymous_pull(&out, want, &format!("anonymous podman pull {remote}"));
    let _ = podman_run(work.to_owned(), strings(&["rmi", &remote]), None).await;
}

/// The real clients for the four combinations of anonymous access × `forceBasicAuth`, on each
/// repository's own port and path-routed on the main listener: `docker login` and push always
/// work (with unknown credentials refused); an anonymous pull works while anonymous access is on,
/// except docker against a Basic challenge (a port with `forceBasicAuth: true`), which docker
/// answers with "no basic auth credentials" without asking. SQLite only: the catalogue plays no
/// part in how clients are challenged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_and_podman_anonymous_matrix() {
    let app = spawn_app(Db::Sqlite).await;
    let (basic, tokens) = two_repositories(&app).await;
    let work = tempfile::tempdir().unwrap();
    let work = work.path();
    let (docker_local, _, unique) = import_image(work).await;
    let podman_local = format!("localhost/stowage-test/{unique}:1");
    let tarball = work.join("image.tar").display().to_string();
    let out = podman_run(
        work.to_owned(),
        strings(&["import", "-q", &tarball, &podman_local]),
        None,
    )
    .await;
    ok(&out, "podman import");
    let main = app.address.trim_start_matches("http://").to_owned();
    // (target, challenged with Basic while anonymous access is off, and while it is on)
    let targets = [
        (
            Target {
                registry: format!("127.0.0.1:{basic}"),
                prefix: "",
            },
            [true, true],
        ),
        (
            Target {
                registry: format!("127.0.0.1:{tokens}"),
                prefix: "",
            },
            [false, false],
        ),
        (
            Target {
                registry: main.clone(),
                prefix: "basic/",
            },
            [true, false],
        ),
        (
            Target {
                registry: main,
                prefix: "tokens/",
            },
            [true, false],
        ),
    ];
    for anonymous in [false, true] {
        app.set_anonymous(anonymous).await;
        for (i, (target, basic)) in targets.iter().enumerate() {
            let basic = basic[usize::from(anonymous)];
            let docker_want = match (anonymous, basic) {
                (_, true) => AnonymousPull::DockerHasNoBasicCredentials,
                (false, false) => AnonymousPull::Refused,
                (true, false) => AnonymousPull::Works,
            };
            let podman_want = if anonymous {
                AnonymousPull::Works
            } else {
                AnonymousPull::Refused
            };
            let image = |client: &str| format!("{client}-{}-{i}-{unique}", u8::from(anonymous));
            let (d, p) = (image("d"), image("p"));
            tokio::join!(
                docker_cell(work, &docker_local, target, &d, docker_want),
                podman_cell(work, &podman_local, target, &p, podman_want),
            );
        }
    }
    let _ = run(
        work.join("docker-config"),
        vec!["rmi".into(), docker_local],
        None,
    )
    .await;
}
