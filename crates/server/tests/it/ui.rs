//! The admin UI in real headless Chromium (Debian's `chromium` driven through `chromedriver`
//! by fantoccini): first sign-in with the generated password and the set-up step, a docker
//! repository created through the form and pushed to with the docker CLI, browsing to its tag
//! page, a raw repository, the Upload form and a download, search, sign-out; every page without
//! console errors and with a label on every control; a form post without the CSRF token refused.
//! Screenshots of the main pages go to `STOWAGE_SCREENSHOTS` (default `target/screenshots`).

use crate::docker_cli::{import_image, login, ok, run, tag_and_push};
use crate::helpers::{Db, free_port, fresh_postgres_url, start, test_config};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_ui_in_chromium_sqlite() {
    admin_ui(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_ui_in_chromium_postgres() {
    admin_ui(Db::Postgres).await;
}

/// chromedriver on a free port; killed on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver(log: &Path) -> Driver {
    let port = free_port();
    let mut child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs (scripts/test.sh installs chromium-driver)");
    if crate::helpers::listening(port) {
        return Driver { child, port };
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("chromedriver did not listen on {port}");
}

/// Chromium's console messages so far (chromedriver's `se/log` extension), then cleared.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

struct Ui {
    c: Client,
    base: String,
    shots: PathBuf,
    problems: Vec<String>,
}

impl Ui {
    async fn go(&mut self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
        self.check_page().await;
    }

    async fn path(&self) -> String {
        let u = self.c.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    async fn text(&self) -> String {
        self.c
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn fill(&self, css: &str, value: &str) {
        let e = self.c.find(Locator::Css(css)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    /// Marks the current document, so that [`Self::next_page`] can tell when it was replaced.
    async fn mark(&self) {
        self.c
            .execute("window.__stowageOld = true;", vec![])
            .await
            .unwrap();
    }

    /// Waits until a navigation started after [`Self::mark`] has loaded a new document.
    async fn next_page(&mut self) {
        for _ in 0..200 {
            let done = self
                .c
                .execute(
                    "return !window.__stowageOld && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if done == Value::Bool(true) {
                self.check_page().await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page after 10 s (at {})", self.path().await);
    }

    async fn click(&mut self, css: &str) {
        self.mark().await;
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.next_page().await;
    }

    async fn click_link(&mut self, text: &str) {
        self.mark().await;
        self.c
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("link {text:?}: {e}"))
            .click()
            .await
            .unwrap();
        self.next_page().await;
    }

    async fn shot(&self, name: &str) {
        let png = self.c.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// Every page: no console errors, a label (or aria-label) on every form control.
    async fn check_page(&mut self) {
        let page = self.path().await;
        let unlabelled = self
            .c
            .execute(
                "return [...document.querySelectorAll('input, select, textarea')]
                    .filter(e => e.type !== 'hidden' && e.type !== 'submit'
                        && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                    .map(e => e.name || e.id);",
                vec![],
            )
            .await
            .unwrap();
        if unlabelled.as_array().is_some_and(|a| !a.is_empty()) {
            self.problems
                .push(format!("{page}: controls without a label: {unlabelled}"));
        }
        let log = self.c.issue_cmd(BrowserLog).await.unwrap_or(Value::Null);
        for entry in log.as_array().into_iter().flatten() {
            let level = entry["level"].as_str().unwrap_or("");
            let message = entry["message"].as_str().unwrap_or("");
            // The browser's own fetch of /favicon.ico is not the page's doing.
            if level == "SEVERE" && !message.contains("favicon.ico") {
                self.problems
                    .push(format!("{page}: console error: {message}"));
            }
        }
    }
}

async fn admin_ui(db: Db) {
    // A fresh server whose admin password is generated, as on a first start.
    let data = tempfile::tempdir().unwrap();
    let database_url = match db {
        Db::Sqlite => None,
        Db::Postgres => Some(fresh_postgres_url().await),
    };
    let mut config = test_config(data.path().to_owned(), database_url);
    config.admin_password = None;
    let (base, _handle) = start(config).await;
    let generated = std::fs::read_to_string(data.path().join("admin.password")).unwrap();

    let shots = std::env::var_os("STOWAGE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"));
    std::fs::create_dir_all(&shots).unwrap();
    let work = tempfile::tempdir().unwrap();
    let driver = start_driver(&work.path().join("chromedriver.log"));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--disable-extensions", "--no-first-run"]
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session");
    let mut ui = Ui {
        c,
        base: base.clone(),
        shots,
        problems: Vec::new(),
    };

    // Not signed in: sent to the sign-in page. Sign in from the keyboard.
    ui.go("/ui/admin/repositories").await;
    assert!(
        ui.path().await.starts_with("/ui/signin"),
        "{}",
        ui.path().await
    );
    ui.shot("signin").await;
    ui.fill("#username", "admin").await;
    let password = ui.c.find(Locator::Css("#password")).await.unwrap();
    ui.mark().await;
    password
        .send_keys(&format!("wrong{}", fantoccini::key::Key::Enter))
        .await
        .unwrap();
    ui.next_page().await;
    assert!(ui.text().await.contains("Wrong username or password"));
    let password = ui.c.find(Locator::Css("#password")).await.unwrap();
    ui.mark().await;
    password
        .send_keys(&format!("{generated}{}", fantoccini::key::Key::Enter))
        .await
        .unwrap();
    ui.next_page().await;

    // The first sign-in leads to the set-up step.
    assert_eq!(ui.path().await, "/ui/setup");
    // From the keyboard: type, Tab to the next field, type, Enter submits.
    let new_password = "ui-admin-password";
    let first = ui.c.find(Locator::Css("#password")).await.unwrap();
    first.click().await.unwrap();
    first
        .send_keys(&format!(
            "{new_password}{}{new_password}",
            fantoccini::key::Key::Tab
        ))
        .await
        .unwrap();
    ui.shot("setup").await;
    let focused =
        ui.c.execute("return document.activeElement.id;", vec![])
            .await
            .unwrap();
    assert_eq!(
        focused, "confirm",
        "Tab moves from the password to its confirmation"
    );
    ui.mark().await;
    ui.c.active_element()
        .await
        .unwrap()
        .send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .unwrap();
    ui.next_page().await;
    assert!(ui.path().await.starts_with("/ui/"));
    assert!(ui.text().await.contains("Set-up complete"));
    assert!(!data.path().join("admin.password").exists());

    // A docker hosted repository with its own port, through the form.
    let port = free_port();
    ui.go("/ui/admin/repositories").await;
    ui.click_link("docker (hosted)").await;
    ui.fill("#f-name", "ui-docker").await;
    ui.fill("#f-docker-httpPort", &port.to_string()).await;
    ui.shot("repository-create").await;
    ui.click("form.card button[type=submit]").await;
    assert_eq!(
        ui.path().await.split('?').next().unwrap(),
        "/ui/admin/repositories/ui-docker"
    );
    let page = ui.text().await;
    assert!(
        page.contains(&format!("docker login 127.0.0.1:{port}")),
        "{page}"
    );
    assert!(
        page.contains(&format!("docker push 127.0.0.1:{port}/alpine")),
        "{page}"
    );
    ui.shot("repository").await;
    // A bad port is shown next to its field.
    ui.go("/ui/admin/repositories/new/docker-hosted").await;
    ui.fill("#f-name", "ui-docker-2").await;
    ui.fill("#f-docker-httpPort", &port.to_string()).await;
    ui.click("form.card button[type=submit]").await;
    let error =
        ui.c.find(Locator::Css("#f-docker-httpPort-error"))
            .await
            .unwrap();
    assert!(error.text().await.unwrap().contains("already used"));

    // Push an image to that port with the docker CLI.
    let config = work.path().join("docker-config");
    let (local, _id, unique) = import_image(work.path()).await;
    let registry = format!("127.0.0.1:{port}");
    ok(
        &login(&config, &registry, "admin", new_password).await,
        "docker login",
    );
    let image = format!("{registry}/web-{unique}:1.0");
    tag_and_push(&config, &local, &image, "push").await;

    // Browse to it: repository, image, tag page with layers and the pull command.
    ui.go("/ui/").await;
    ui.shot("browse").await;
    ui.click_link("ui-docker").await;
    ui.click_link(&format!("web-{unique}")).await;
    ui.click_link("1.0").await;
    let tag_page = ui.text().await;
    assert!(
        tag_page.contains(&format!("docker pull {registry}/web-{unique}:1.0")),
        "{tag_page}"
    );
    let layers =
        ui.c.find_all(Locator::Css("#layers tbody tr"))
            .await
            .unwrap();
    assert!(layers.len() >= 2, "config and at least one layer");
    assert!(
        tag_page.contains("application/vnd.docker.image.rootfs.diff.tar.gzip")
            || tag_page.contains("application/vnd.oci.image.layer.v1.tar"),
        "{tag_page}"
    );
    ui.shot("tag").await;

    // A raw repository, a file through the Upload form, its asset page and download.
    ui.go("/ui/admin/repositories/new/raw-hosted").await;
    ui.fill("#f-name", "ui-raw").await;
    ui.click("form.card button[type=submit]").await;
    assert!(ui.path().await.starts_with("/ui/admin/repositories/ui-raw"));
    let file = work.path().join("notes.txt");
    let content = format!("uploaded through the browser {unique}\n");
    std::fs::write(&file, &content).unwrap();
    ui.go("/ui/upload").await;
    ui.c.find(Locator::Css("#repository"))
        .await
        .unwrap()
        .select_by_value("ui-raw")
        .await
        .unwrap();
    ui.fill("#directory", "docs").await;
    ui.c.find(Locator::Css("#file"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    ui.shot("upload").await;
    ui.click("form.card button[type=submit]").await;
    assert_eq!(
        ui.path().await.split('?').next().unwrap(),
        "/ui/browse/ui-raw/docs/"
    );
    ui.click_link("notes.txt").await;
    let asset_page = ui.text().await;
    assert!(
        asset_page.contains(&sha256(content.as_bytes())),
        "{asset_page}"
    );
    ui.shot("asset").await;
    let href =
        ui.c.find(Locator::Css("#download"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
    let session = ui.c.get_named_cookie("stowage_session").await.unwrap();
    let http = reqwest::Client::new();
    let cookie = format!("stowage_session={}", session.value());
    let got = http
        .get(format!("{base}{href}"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200, "the session downloads");
    assert_eq!(got.text().await.unwrap(), content);

    // Search by image name.
    ui.go(&format!("/ui/search?q=web-{}", &unique[..8])).await;
    assert!(ui.text().await.contains(&format!("web-{unique}")));
    ui.shot("search").await;

    // The other admin pages render for the screenshots and the checks.
    for (path, name) in [
        ("/ui/admin/system", "system"),
        ("/ui/admin/users", "users"),
        ("/ui/admin/roles", "roles"),
        ("/ui/admin/anonymous", "anonymous"),
        ("/ui/admin/blobstores", "blobstores"),
        ("/ui/tokens", "tokens"),
        ("/ui/admin/repositories", "repositories"),
    ] {
        ui.go(path).await;
        ui.shot(name).await;
    }

    // A state-changing post without the CSRF token is refused, with a valid session.
    let r = http
        .post(format!("{base}/ui/admin/anonymous"))
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("enabled=on")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let anonymous: Value = http
        .get(format!("{base}/service/rest/v1/security/anonymous"))
        .basic_auth("admin", Some(new_password))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        anonymous["enabled"], false,
        "the forged post changed nothing"
    );

    // Sign out: the session is gone.
    ui.go("/ui/").await;
    ui.click("form[action='/ui/signout'] button").await;
    assert!(ui.path().await.starts_with("/ui/signin"));
    let r = http
        .get(format!("{base}/ui/admin/system"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(
        r.url().path().starts_with("/ui/signin"),
        "signed out: {}",
        r.url()
    );

    let problems = std::mem::take(&mut ui.problems);
    ui.c.close().await.unwrap();
    for i in [&image, &local] {
        let _ = run(config.clone(), vec!["rmi".into(), i.clone()], None).await;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn sha256(b: &[u8]) -> String {
    crate::helpers::sha256_hex(b)
}
