//! The admin UI in real headless Chromium (Debian's `chromium` driven through `chromedriver`
//! by fantoccini): first sign-in with the generated password and the set-up step, a docker
//! repository created through the form and pushed to with the docker CLI, browsing to its tag
//! page, a raw repository, the Upload form and a download, search, sign-out; every page without
//! console errors and with a label on every control; a form post without the CSRF token refused.
//! Screenshots of the main pages go to `STOWAGE_SCREENSHOTS` (default `target/screenshots`).

use crate::browser;
use crate::docker_cli::{import_image, login, ok, run, tag_and_push};
use crate::helpers::{Db, fresh_postgres_url, repository_port, start, test_config};
use fantoccini::Locator;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_ui_in_chromium_sqlite() {
    admin_ui(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_ui_in_chromium_postgres() {
    admin_ui(Db::Postgres).await;
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

    let work = tempfile::tempdir().unwrap();
    let (_driver, mut ui) = browser::open(&base, work.path()).await;

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
    let port = repository_port();
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
