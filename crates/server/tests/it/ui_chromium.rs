//! What a browser does with Stowage's pages and content, in real headless Chromium: an HTML
//! file planted in an INLINE raw repository runs sandboxed, without the UI's origin, even when
//! a signed-in admin opens it; downloads from the UI still work; a long asset title wraps
//! instead of running off a narrow page.

use crate::browser::{self, Ui};
use crate::helpers::{ADMIN_PASSWORD, Db, TestApp, spawn_app};
use fantoccini::Locator;
use serde_json::json;
use std::time::Duration;

/// Reads the admin's secrets and reports what it got into the page.
const PLANTED: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>planted</title></head><body>
<p id="origin">script did not run</p>
<p id="secret">nothing read</p>
<p id="admin">nothing read</p>
<p id="state">running</p>
<script>
  var done = 0;
  function finish() { if (++done === 2) { document.getElementById("state").textContent = "finished"; } }
  function show(id) { return function (t) { document.getElementById(id).textContent = t; }; }
  document.getElementById("origin").textContent = "origin " + self.origin;
  fetch("/repository/private/secret.txt", {credentials: "include"})
    .then(function (r) { return r.text(); })
    .then(function (t) { return "read: " + t; }, function (e) { return "refused: " + e; })
    .then(show("secret")).then(finish);
  fetch("/ui/admin/users", {credentials: "include"})
    .then(function (r) { return r.text(); })
    .then(function (t) { return t.indexOf('name="csrf"') >= 0 ? "read the admin page" : "no admin page"; },
          function (e) { return "refused: " + e; })
    .then(show("admin")).then(finish);
</script>
</body></html>
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_html_runs_sandboxed() {
    let app = spawn_app(Db::Sqlite).await;
    for (name, disposition) in [("site", "INLINE"), ("private", "ATTACHMENT")] {
        let r = app
            .post_json(
                "/service/rest/v1/repositories/raw/hosted",
                &json!({"name": name, "online": true,
                        "storage": {"blobStoreName": "default", "strictContentTypeValidation": false,
                                    "writePolicy": "ALLOW"},
                        "raw": {"contentDisposition": disposition}}),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    }
    let secret = format!("secret-{}", uuid::Uuid::new_v4().simple());
    assert_eq!(
        app.put_file("private", "secret.txt", secret.clone())
            .await
            .status(),
        201
    );
    assert_eq!(app.put_file("site", "x.html", PLANTED).await.status(), 201);

    let work = tempfile::tempdir().unwrap();
    let (_driver, mut ui) = browser::open(&app.address, work.path()).await;
    sign_in_as_admin(&mut ui).await;

    // The admin opens the planted page: the browser runs it in an opaque origin, so it reads
    // neither the private file nor an admin page with the admin's session.
    ui.c.goto(&format!("{}/repository/site/x.html", app.address))
        .await
        .unwrap();
    let mut state = String::new();
    for _ in 0..100 {
        state = text_of(&ui, "#state").await;
        if state == "finished" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let origin = text_of(&ui, "#origin").await;
    let read = text_of(&ui, "#secret").await;
    let admin = text_of(&ui, "#admin").await;
    ui.shot("planted-html").await;
    assert!(
        !read.contains(&secret),
        "the planted page read a private file with the admin's session: {read}"
    );
    assert!(
        !admin.contains("read the admin page"),
        "the planted page read an admin page: {admin}"
    );
    assert_eq!(
        origin, "origin null",
        "the planted page runs in an opaque origin (state {state}; {read}; {admin})"
    );

    // The page's refused requests are in the console; they are the point, not a problem.
    ui.check_page().await;
    ui.problems.clear();

    // Downloads from the UI still work under the content headers.
    let asset = asset_id(&app, "private", "secret.txt").await;
    ui.go(&format!("/ui/assets/{asset}")).await;
    ui.c.find(Locator::Css("#download"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let file = work.path().join("downloads/secret.txt");
    for _ in 0..200 {
        if std::fs::read_to_string(&file).is_ok_and(|s| s == secret) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        std::fs::read_to_string(&file).unwrap_or_default(),
        secret,
        "Download saved the file"
    );

    let problems = std::mem::take(&mut ui.problems);
    ui.c.close().await.unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_titles_wrap_on_a_narrow_page() {
    let app = spawn_app(Db::Sqlite).await;
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &json!({"name": "images", "online": true,
                    "storage": {"blobStoreName": "default", "strictContentTypeValidation": true,
                                "writePolicy": "ALLOW"},
                    "docker": {"v1Enabled": false, "forceBasicAuth": true}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let digest = app
        .push_blob("images", "app", b"a layer with a long name")
        .await;
    let path = format!("v2/-/blobs/{digest}");
    let asset = asset_id(&app, "images", &path).await;

    let work = tempfile::tempdir().unwrap();
    let (_driver, mut ui) = browser::open(&app.address, work.path()).await;
    ui.c.set_window_size(600, 900).await.unwrap();
    sign_in_as_admin(&mut ui).await;
    ui.go(&format!("/ui/assets/{asset}")).await;
    ui.shot("asset-narrow").await;
    let overflow =
        ui.c.execute(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,
                     document.querySelector('h1').getBoundingClientRect().right];",
            vec![],
        )
        .await
        .unwrap();
    let n = |i: usize| overflow[i].as_f64().unwrap();
    assert!(
        n(0) <= n(1) && n(2) <= n(1),
        "the page scrolls sideways: scroll width {}, window {}, title ends at {}",
        n(0),
        n(1),
        n(2)
    );
    let problems = std::mem::take(&mut ui.problems);
    ui.c.close().await.unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

async fn sign_in_as_admin(ui: &mut Ui) {
    ui.go("/ui/signin").await;
    ui.fill("#username", "admin").await;
    ui.fill("#password", ADMIN_PASSWORD).await;
    ui.click("form[action='/ui/signin'] button").await;
    assert!(
        !ui.path().await.starts_with("/ui/signin"),
        "signed in: {}",
        ui.path().await
    );
}

async fn text_of(ui: &Ui, css: &str) -> String {
    match ui.c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(e) => format!("no {css}: {e}"),
    }
}

async fn asset_id(app: &TestApp, repo: &str, path: &str) -> String {
    app.all_assets(repo)
        .await
        .into_iter()
        .find(|a| a["path"] == path)
        .and_then(|a| a["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no asset {path} in {repo}"))
}
