//! The admin UI's part of the permission matrix (`security_matrix`): a probe per page and form,
//! sent as a browser would, and what each kind of caller must get.

use crate::helpers::{Session, TestApp, hidden, set_cookie, ui_sign_in};
use crate::security_matrix::Persona;
use crate::security_matrix::{Allowed, Fixture};
use reqwest::{Method, StatusCode};
use stowage_server::routes::Route;

/// A request body of a UI probe.
#[derive(Clone, Copy)]
pub(crate) enum Form {
    None,
    /// A urlencoded form with the session's CSRF token and these fields.
    Fields(&'static str),
    /// The Upload form with one file.
    Upload,
    /// The sign-in form with a matching double-submit token and a wrong password.
    SignIn,
}

pub(crate) struct UiProbe {
    method: Method,
    path: String,
    form: Form,
    allowed: Allowed,
}

pub(crate) fn ui_probe(
    method: Method,
    path: impl Into<String>,
    form: Form,
    allowed: Allowed,
) -> UiProbe {
    UiProbe {
        method,
        path: path.into(),
        form,
        allowed,
    }
}

/// The probes for one page of the admin UI. Every `/ui/` route must have a case.
pub(crate) fn ui_probes(route: &Route, fx: &Fixture) -> Vec<UiProbe> {
    use Allowed::*;
    use Form::Fields;
    let get = |path: &str, allowed| vec![ui_probe(Method::GET, path, Form::None, allowed)];
    let post = |path: String, form, allowed| vec![ui_probe(Method::POST, path, form, allowed)];
    match (route.method, route.path) {
        ("GET", "/") => get("/", All),
        ("GET", "/ui/static/{name}") => get("/ui/static/stowage.css", All),
        ("GET", "/ui/signin") => get("/ui/signin", All),
        ("POST", "/ui/signin") => post("/ui/signin".into(), Form::SignIn, All),
        ("POST", "/ui/signout") => post("/ui/signout".into(), Fields(""), SignedIn),
        ("GET", "/ui/setup") => get("/ui/setup", SignedIn),
        ("POST", "/ui/setup") => post("/ui/setup".into(), Fields("password=x"), SignedIn),
        ("GET", "/ui/") => get("/ui/", AnyCaller),
        ("GET", "/ui/browse/{repo}") => get("/ui/browse/files", All),
        ("GET", "/ui/browse/{repo}/{tail:.*}") => get("/ui/browse/files/", Read),
        ("GET", "/ui/components/{id}") => get(&format!("/ui/components/{}", fx.component_id), Read),
        ("POST", "/ui/components/{id}/delete") => post(
            format!("/ui/components/{}/delete", fx.component_id),
            Fields(""),
            Delete,
        ),
        ("GET", "/ui/assets/{id}") => get(&format!("/ui/assets/{}", fx.asset_id), Read),
        ("POST", "/ui/assets/{id}/delete") => post(
            format!("/ui/assets/{}/delete", fx.asset_id),
            Fields(""),
            Delete,
        ),
        ("GET", "/ui/search") => get("/ui/search?q=seed", AnyCaller),
        ("GET", "/ui/upload") => get("/ui/upload", SignedIn),
        ("POST", "/ui/upload") => post("/ui/upload".into(), Form::Upload, Add),
        ("GET", "/ui/tokens") => get("/ui/tokens", SignedIn),
        ("POST", "/ui/tokens") => post("/ui/tokens".into(), Fields("name="), SignedIn),
        ("POST", "/ui/tokens/{id}/revoke") => {
            post("/ui/tokens/none/revoke".into(), Fields(""), SignedIn)
        }
        ("GET", "/ui/admin/repositories") => get("/ui/admin/repositories", SignedIn),
        ("GET", "/ui/admin/repositories/new/{recipe}") => {
            get("/ui/admin/repositories/new/raw-hosted", AdminOnly)
        }
        ("POST", "/ui/admin/repositories/new/{recipe}") => post(
            "/ui/admin/repositories/new/raw-hosted".into(),
            Fields("name="),
            AdminOnly,
        ),
        ("GET", "/ui/admin/repositories/{name}") => get("/ui/admin/repositories/files", AdminOnly),
        ("POST", "/ui/admin/repositories/{name}") => post(
            "/ui/admin/repositories/files".into(),
            Fields("online=on&storage.writePolicy=ALLOW"),
            AdminOnly,
        ),
        ("POST", "/ui/admin/repositories/{name}/delete") => post(
            "/ui/admin/repositories/files/delete".into(),
            Fields("confirm=no"),
            AdminOnly,
        ),
        (
            "GET",
            path @ ("/ui/admin/blobstores"
            | "/ui/admin/system"
            | "/ui/admin/users"
            | "/ui/admin/roles"
            | "/ui/admin/anonymous"),
        ) => get(path, AdminOnly),
        ("POST", path @ ("/ui/admin/users" | "/ui/admin/roles")) => {
            post(path.into(), Fields("userId=&id="), AdminOnly)
        }
        ("POST", "/ui/admin/blobstores/{name}/purge-temp") => post(
            "/ui/admin/blobstores/default/purge-temp".into(),
            Fields(""),
            AdminOnly,
        ),
        ("POST", "/ui/admin/users/{id}/delete") => post(
            "/ui/admin/users/nobody/delete".into(),
            Fields(""),
            AdminOnly,
        ),
        ("POST", "/ui/admin/roles/{id}/delete") => post(
            "/ui/admin/roles/nobody/delete".into(),
            Fields(""),
            AdminOnly,
        ),
        ("POST", "/ui/admin/anonymous") => post(
            "/ui/admin/anonymous".into(),
            Fields("enabled=on"),
            AdminOnly,
        ),
        (method, path) => panic!(
            "UI route {method} {path} has no case in the permission matrix: say who may call it"
        ),
    }
}

pub(crate) fn ui_probes_for(route: &Route, fx: &Fixture) -> Vec<UiProbe> {
    if route.path == "/" || route.path.starts_with("/ui/") {
        ui_probes(route, fx)
    } else {
        Vec::new()
    }
}

/// What a page answered: `signin` (sent to sign in), `forbidden` (403) or `allowed`.
pub(crate) async fn send_ui(
    app: &TestApp,
    http: &reqwest::Client,
    p: Persona,
    session: Option<&Session>,
    probe: &UiProbe,
) -> &'static str {
    let own;
    let session = if probe.path == "/ui/signout" && !p.anonymous() {
        // A session of its own, so signing out does not end the one the other probes use.
        own = ui_sign_in(app, http, p.user(), p.password()).await;
        Some(&own)
    } else {
        session
    };
    let csrf = session.map_or("", |s| s.csrf.as_str());
    let mut cookies: Vec<String> = session.map(|s| s.cookie.clone()).into_iter().collect();
    let body = match probe.form {
        Form::None => None,
        Form::Fields(f) => Some((
            "application/x-www-form-urlencoded".to_owned(),
            format!("csrf={csrf}&{f}"),
        )),
        Form::Upload => {
            let b = "stowage-matrix-boundary";
            let part = |name: &str, value: &str| {
                format!(
                    "--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
            };
            Some((
                format!("multipart/form-data; boundary={b}"),
                format!(
                    "{}{}{}--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"by-{}.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{b}--\r\n",
                    part("csrf", csrf),
                    part("repository", "files"),
                    part("directory", "ui"),
                    p.user()
                ),
            ))
        }
        Form::SignIn => {
            let r = http.get(app.url("/ui/signin")).send().await.unwrap();
            cookies.push(set_cookie(&r, "stowage_signin").unwrap());
            let token = hidden(&r.text().await.unwrap(), "token");
            Some((
                "application/x-www-form-urlencoded".to_owned(),
                format!("username=matrix-nobody&password=wrong-password&token={token}"),
            ))
        }
    };
    let mut req = http.request(probe.method.clone(), app.url(&probe.path));
    if !cookies.is_empty() {
        req = req.header("cookie", cookies.join("; "));
    }
    if let Some((kind, body)) = body {
        req = req.header("content-type", kind).body(body);
    }
    let r = req.send().await.unwrap();
    let location = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or("");
    // A denial sends the browser to sign in and come back (`?next=`); signing out lands on
    // the plain sign-in page.
    if r.status().is_redirection() && location.starts_with("/ui/signin?") {
        "signin"
    } else if r.status() == StatusCode::FORBIDDEN {
        "forbidden"
    } else if r.status() == StatusCode::UNAUTHORIZED {
        "unauthorized"
    } else {
        "allowed"
    }
}

pub(crate) fn judge_ui(p: Persona, probe: &UiProbe, got: &str, failures: &mut Vec<String>) {
    let ok = if probe.allowed.lets(p) {
        got == "allowed"
    } else if p.anonymous() {
        got == "signin" || got == "forbidden"
    } else {
        got == "forbidden"
    };
    if !ok {
        failures.push(format!(
            "{p:?} page {} {}: {got}, expected {}",
            probe.method,
            probe.path,
            if probe.allowed.lets(p) {
                "allowed"
            } else {
                "denied"
            }
        ));
    }
}
