//! `spawn_app`: the real application on port 0 with a fresh data dir and a fresh catalogue.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, Method, Response};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;
use stowage_core::config::Config;
use stowage_server::Application;

/// The admin password every test app starts with.
pub const ADMIN_PASSWORD: &str = "admin-test-password";

/// Which catalogue a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Generates `sqlite` and `postgres` test functions in a module named after the case.
#[macro_export]
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$case($crate::helpers::spawn_app($crate::helpers::Db::Sqlite).await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$case($crate::helpers::spawn_app($crate::helpers::Db::Postgres).await).await;
                }
            }
        )*
    };
}

/// A running application and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub data_dir: tempfile::TempDir,
}

/// A PostgreSQL database of its own for one test: `CREATE DATABASE stowage_test_<uuid>`.
pub async fn fresh_postgres_url() -> String {
    use sqlx::Connection;
    use sqlx::Executor;
    let admin = std::env::var("STOWAGE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("stowage_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("PostgreSQL must run at STOWAGE_TEST_PG_URL (scripts/test.sh starts it)");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create test database");
    let (base, _) = admin.rsplit_once('/').expect("database URL has a path");
    format!("{base}/{name}")
}

/// A configuration for a test app on `data_dir` and `database_url`.
pub fn test_config(data_dir: PathBuf, database_url: Option<String>) -> Config {
    Config {
        data_dir,
        listen: "127.0.0.1:0".into(),
        database_url,
        admin_password: Some(SecretString::from(ADMIN_PASSWORD.to_owned())),
        base_url: None,
        log: "warn".into(),
        body_idle_timeout_secs: 60,
        download_flush_seconds: 1,
    }
}

/// Starts the application on `config` and returns its address and stop handle.
pub async fn start(config: Config) -> (String, actix_web::dev::ServerHandle) {
    // Server errors are logged; nextest shows a failing test's output.
    stowage_server::telemetry::init("warn");
    let app = Application::build(config)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    (address, handle)
}

/// Starts a fresh application on `db`.
pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// Starts a fresh application on `db` with the test configuration changed by `tweak`.
pub async fn spawn_app_with(db: Db, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(fresh_postgres_url().await),
    };
    let mut config = test_config(data_dir.path().to_owned(), database_url);
    tweak(&mut config);
    let (address, _handle) = start(config).await;
    TestApp {
        address,
        client: Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("client"),
        data_dir,
    }
}

/// Every line a process printed so far.
pub type LogLines = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Starts the real `stowage` binary on `data_dir` (and `db_url`, else SQLite) at log level
/// `log`, and returns it with its base URL, read from the "listening" log line, and its log.
pub fn start_binary(
    data_dir: &std::path::Path,
    db_url: Option<&str>,
    log: &str,
) -> (std::process::Child, String, LogLines) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stowage"));
    cmd.env("STOWAGE_DATA_DIR", data_dir)
        .env("STOWAGE_LISTEN", "127.0.0.1:0")
        .env("STOWAGE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("STOWAGE_LOG", log)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = db_url {
        cmd.env("STOWAGE_DATABASE_URL", url);
    }
    let mut child = cmd.spawn().expect("spawn stowage");
    let lines = LogLines::default();
    let (tx, rx) = std::sync::mpsc::channel();
    for out in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let (tx, lines) = (tx.clone(), lines.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("address=").nth(1)
                    && line.contains("listening")
                {
                    let _ = tx.send(addr.trim().to_owned());
                }
                lines.lock().unwrap().push(line);
            }
        });
    }
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("stowage logs its listening address");
    (child, format!("http://{addr}"), lines)
}

/// Waits (at most 10 s) for something to listen on loopback `port`; whether it does.
pub fn listening(port: u16) -> bool {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// A loopback port for a docker repository's `httpPort`, reserved until the server opens it:
/// a listener on port 0 is handed over to the application (`connectors::hand_over`), which
/// takes it instead of binding when a repository of this process is opened on that port. So no
/// parallel test can take the port in between (a port merely free a moment ago could be).
/// Only for an application running in this process (`spawn_app`, `start`).
pub fn repository_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().expect("bound address").port();
    stowage_server::connectors::hand_over(listener);
    port
}

/// A loopback port where nothing listens, for an upstream that is down: a socket is bound to it
/// but does not listen, so connections are refused, and it is kept open until the test process
/// ends, so no other test can start listening there.
pub fn refused_port() -> u16 {
    let socket = bound_not_listening();
    let port = socket.local_addr().expect("bound address").port();
    std::mem::forget(socket);
    port
}

fn bound_not_listening() -> tokio::net::TcpSocket {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().unwrap())
        .expect("bind port 0");
    socket
}

/// Starts a helper program that must listen on a port given on its command line and cannot be
/// handed a listener (chromedriver, docker-registry): `command(port)` with a port that was free
/// a moment ago. Another process may take that port in between, so when the program exits
/// before it listens (its bind failed), this tries again with another port, up to 5 times.
pub fn spawn_on_port(
    what: &str,
    command: impl Fn(u16) -> std::process::Command,
) -> (std::process::Child, u16) {
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind port 0")
            .port();
        let mut child = command(port)
            .spawn()
            .unwrap_or_else(|e| panic!("{what} runs: {e}"));
        for _ in 0..100 {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // Still running a moment later: the listener is the child's, not another
                // process's (a child whose bind failed exits at once).
                std::thread::sleep(Duration::from_millis(200));
                if let Ok(None) = child.try_wait() {
                    return (child, port);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("{what} did not listen on a free port in 5 attempts");
}

/// A docker hosted repository request body (Basic auth forced, `httpPort` = `port`).
pub fn docker_body(name: &str, port: Option<u16>) -> Value {
    json!({
        "name": name, "online": true,
        "storage": {"blobStoreName": "default", "strictContentTypeValidation": true, "writePolicy": "ALLOW"},
        "docker": {"v1Enabled": false, "forceBasicAuth": true, "httpPort": port}
    })
}

/// A raw hosted repository request body.
pub fn raw_hosted(name: &str, write_policy: &str) -> Value {
    json!({
        "name": name,
        "online": true,
        "storage": {
            "blobStoreName": "default",
            "strictContentTypeValidation": false,
            "writePolicy": write_policy
        }
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET as admin.
    pub async fn get(&self, path: &str) -> Response {
        self.as_user("admin", ADMIN_PASSWORD, Method::GET, path)
            .send()
            .await
            .expect("request")
    }

    /// A request builder with Basic credentials.
    pub fn as_user(
        &self,
        user: &str,
        pass: &str,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(user, Some(pass))
    }

    /// POST JSON as admin.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.as_user("admin", ADMIN_PASSWORD, Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Creates a raw hosted repository, asserting 201.
    pub async fn create_raw(&self, name: &str, write_policy: &str) {
        let r = self
            .post_json(
                "/service/rest/v1/repositories/raw/hosted",
                &raw_hosted(name, write_policy),
            )
            .await;
        assert_eq!(
            r.status(),
            201,
            "create {name}: {}",
            r.text().await.unwrap_or_default()
        );
    }

    /// PUT bytes as admin to `/repository/<repo>/<path>`.
    pub async fn put_file(
        &self,
        repo: &str,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::PUT,
            &format!("/repository/{repo}/{path}"),
        )
        .body(body)
        .send()
        .await
        .expect("request")
    }

    /// Every asset of `repo` through the paged REST list.
    pub async fn all_assets(&self, repo: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut path = format!("/service/rest/v1/assets?repository={repo}");
            if let Some(t) = &token {
                path.push_str(&format!("&continuationToken={t}"));
            }
            let r = self.get(&path).await;
            assert_eq!(r.status(), 200);
            let page: Value = r.json().await.expect("json");
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["continuationToken"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => return items,
            }
        }
    }

    /// Creates a user with `roles` and password `pass`.
    pub async fn create_user(&self, id: &str, pass: &str, roles: &[&str]) {
        let r = self
            .post_json(
                "/service/rest/v1/security/users",
                &json!({
                    "userId": id, "firstName": "Test", "lastName": "User",
                    "emailAddress": format!("{id}@example.org"), "password": pass,
                    "status": "active", "roles": roles
                }),
            )
            .await;
        assert_eq!(
            r.status(),
            200,
            "create user: {}",
            r.text().await.unwrap_or_default()
        );
    }

    /// Creates a role with `privileges` and contained `roles`, asserting 200.
    pub async fn create_role(&self, id: &str, privileges: &[&str], roles: &[&str]) {
        let r = self
            .post_json(
                "/service/rest/v1/security/roles",
                &json!({"id": id, "name": id, "description": "test role",
                        "privileges": privileges, "roles": roles}),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }

    /// Turns anonymous access on or off, and checks that it took.
    pub async fn set_anonymous(&self, enabled: bool) {
        let r = self
            .req(Method::PUT, "/service/rest/v1/security/anonymous")
            .json(&json!({"enabled": enabled}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
        let got = self.get_json("/service/rest/v1/security/anonymous").await;
        assert_eq!(got["enabled"], enabled);
        assert_eq!(got["userId"], "anonymous");
    }

    /// A request builder as admin on the main port (registry `/v2/…`, REST, content).
    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.as_user("admin", ADMIN_PASSWORD, method, path)
    }

    /// Sends `method path` as admin without a body.
    pub async fn send(&self, method: Method, path: &str) -> Response {
        self.req(method, path).send().await.expect("request")
    }

    /// Sends `method path` with no credentials.
    pub async fn send_anonymous(&self, method: Method, path: &str) -> Response {
        self.client
            .request(method, self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// GET as admin, the body as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("json body")
    }

    /// A request builder as admin to a repository's own `port`.
    pub fn on_port(&self, port: u16, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("http://127.0.0.1:{port}{path}"))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
    }

    /// Sends `method path` as admin to another listener at `host` (`127.0.0.1:<port>`: a
    /// repository's own port).
    pub async fn send_to(&self, host: &str, method: Method, path: &str) -> Response {
        self.client
            .request(method, format!("http://{host}{path}"))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .send()
            .await
            .expect("request")
    }

    /// Creates a docker hosted repository (Basic auth forced, `latestPolicy` on), asserting 201.
    pub async fn create_docker(&self, name: &str, write_policy: &str) {
        let body = json!({
            "name": name, "online": true,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": true,
                        "writePolicy": write_policy, "latestPolicy": true},
            "docker": {"v1Enabled": false, "forceBasicAuth": true}
        });
        let r = self
            .post_json("/service/rest/v1/repositories/docker/hosted", &body)
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }

    /// Pushes `data` to `/v2/<repo>/<image>` as one monolithic upload (asserting 201) and
    /// returns its digest.
    pub async fn push_blob(&self, repo: &str, image: &str, data: &[u8]) -> String {
        let d = digest(data);
        let r = self
            .req(
                Method::POST,
                &format!("/v2/{repo}/{image}/blobs/uploads/?digest={d}"),
            )
            .body(data.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        d
    }

    /// PUTs manifest `body` of `media_type` to `path` as admin.
    pub async fn put_manifest(&self, path: &str, media_type: &str, body: &[u8]) -> Response {
        self.req(Method::PUT, path)
            .header(CONTENT_TYPE, media_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    /// Sends `raw` bytes as one HTTP/1.1 request over a fresh connection and returns the status
    /// code (for paths an HTTP client library would normalise, like `/../`).
    pub async fn raw_http(&self, request_head: &str, body: &[u8]) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.address.trim_start_matches("http://");
        let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
        s.write_all(request_head.as_bytes()).await.expect("write");
        s.write_all(body).await.expect("write");
        let mut buf = vec![0u8; 1024];
        let n = s.read(&mut buf).await.expect("read");
        let text = String::from_utf8_lossy(&buf[..n]);
        text.split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"))
    }
}

/// The `Authorization` header value for admin.
pub fn admin_basic() -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"))
    )
}

/// Hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// The OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// The `sha256:` digest of `data`.
pub fn digest(data: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(data))
}

/// An OCI image manifest of one config and one layer.
pub fn image_manifest(config: &str, config_len: usize, layer: &str, layer_len: usize) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_len},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": layer_len}]
    }))
    .unwrap()
}

/// The code of the first error of a Distribution API error body.
pub async fn error_code(r: Response) -> String {
    let v: Value = r.json().await.unwrap();
    v["errors"][0]["code"].as_str().unwrap().to_owned()
}

/// A signed-in browser session: its cookie and CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

/// The value of hidden form field `name` in `html`.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

/// The `name=value` of cookie `name` that `r` sets.
pub fn set_cookie(r: &Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// Signs in through the form, as a browser does.
pub async fn ui_sign_in(app: &TestApp, http: &Client, user: &str, pass: &str) -> Session {
    let r = http.get(app.url("/ui/signin")).send().await.unwrap();
    let pre = set_cookie(&r, "stowage_signin").expect("the sign-in cookie");
    let token = hidden(&r.text().await.unwrap(), "token");
    let r = http
        .post(app.url("/ui/signin"))
        .header("cookie", &pre)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username={user}&password={pass}&token={token}&next=/ui/"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{user} signs in");
    let cookie = set_cookie(&r, "stowage_session").expect("a session cookie");
    let page = http
        .get(app.url("/ui/tokens"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Session {
        csrf: hidden(&page, "csrf"),
        cookie,
    }
}
