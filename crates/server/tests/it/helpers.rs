//! `spawn_app`: the real application on port 0 with a fresh data dir and a fresh catalogue.

use reqwest::{Client, Response};
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

/// A port that was free a moment ago.
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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
        self.as_user("admin", ADMIN_PASSWORD, reqwest::Method::GET, path)
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
        self.as_user("admin", ADMIN_PASSWORD, reqwest::Method::POST, path)
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
            reqwest::Method::PUT,
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
