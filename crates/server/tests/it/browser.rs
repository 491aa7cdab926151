//! The harness of the browser tests: Debian's `chromium` driven through `chromedriver` by
//! fantoccini, with one helper per thing a person does on a page and a check of every page
//! (no console errors, a label on every control).

use crate::helpers::spawn_on_port;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// chromedriver on a free port; killed on drop.
pub(crate) struct Driver {
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
    let (child, port) = spawn_on_port(
        "chromedriver (scripts/test.sh installs chromium-driver)",
        |port| {
            let mut cmd = Command::new("chromedriver");
            cmd.arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            cmd
        },
    );
    Driver { child, port }
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

pub(crate) struct Ui {
    pub c: Client,
    pub base: String,
    pub shots: PathBuf,
    pub problems: Vec<String>,
}

impl Ui {
    pub async fn go(&mut self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
        self.check_page().await;
    }

    pub async fn path(&self) -> String {
        let u = self.c.current_url().await.unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    pub async fn text(&self) -> String {
        self.c
            .find(Locator::Css("main"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.c.find(Locator::Css(css)).await.unwrap();
        e.clear().await.unwrap();
        e.send_keys(value).await.unwrap();
    }

    /// Marks the current document, so that [`Self::next_page`] can tell when it was replaced.
    pub async fn mark(&self) {
        self.c
            .execute("window.__stowageOld = true;", vec![])
            .await
            .unwrap();
    }

    /// Waits until a navigation started after [`Self::mark`] has loaded a new document.
    pub async fn next_page(&mut self) {
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

    pub async fn click(&mut self, css: &str) {
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

    pub async fn click_link(&mut self, text: &str) {
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

    pub async fn shot(&self, name: &str) {
        let png = self.c.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// Every page: no console errors, a label (or aria-label) on every form control.
    pub async fn check_page(&mut self) {
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
            if level == "SEVERE" {
                self.problems
                    .push(format!("{page}: console error: {message}"));
            }
        }
    }
}

/// A headless Chromium session on `base` (a 1280-pixel-wide window), with chromedriver's log
/// and downloads under `work`. Screenshots go to `STOWAGE_SCREENSHOTS` (default
/// `target/screenshots`). Keep the driver alive as long as the session.
pub(crate) async fn open(base: &str, work: &Path) -> (Driver, Ui) {
    let shots = std::env::var_os("STOWAGE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"));
    std::fs::create_dir_all(&shots).unwrap();
    let downloads = work.join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let driver = start_driver(&work.join("chromedriver.log"));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--disable-extensions", "--no-first-run"],
            "prefs": {"download.default_directory": downloads.display().to_string(),
                      "download.prompt_for_download": false}
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session");
    let ui = Ui {
        c,
        base: base.to_owned(),
        shots,
        problems: Vec::new(),
    };
    (driver, ui)
}
