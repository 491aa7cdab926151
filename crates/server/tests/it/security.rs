//! The security model end to end: a permission matrix over every registered route, roles and
//! privileges through REST, user tokens, sign-in throttling and the audit log.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp, docker_body, free_port, start_binary};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use stowage_server::routes::{Route, main_routes, port_routes};

both_backends!(
    permission_matrix,
    roles_and_privileges,
    user_tokens_work_and_revoke,
    throttling_per_user_and_address,
    audit_log_records_changes,
);

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persona {
    /// No credentials, anonymous access off.
    AnonOff,
    /// No credentials, anonymous access on (nx-anonymous: browse and read everywhere).
    AnonOn,
    /// Role `readers`: browse and read on `files` and `images`.
    Reader,
    /// Role `deployers`: add and edit on both, plus `readers`.
    Deployer,
    /// nx-admin.
    Admin,
}

use Persona::*;

impl Persona {
    fn anonymous(self) -> bool {
        matches!(self, AnonOff | AnonOn)
    }
    fn user(self) -> &'static str {
        match self {
            AnonOff | AnonOn => "anonymous",
            Reader => "reader",
            Deployer => "deployer",
            Admin => "admin",
        }
    }
    fn password(self) -> &'static str {
        match self {
            Admin => ADMIN_PASSWORD,
            _ => "persona-password",
        }
    }
}

/// What a probe needs, in terms of the personas above.
#[derive(Debug, Clone, Copy)]
enum Allowed {
    All,
    /// Any caller (anonymous too while it is on).
    AnyCaller,
    SignedIn,
    Read,
    Add,
    Delete,
    AdminOnly,
}

impl Allowed {
    fn lets(self, p: Persona) -> bool {
        match self {
            Self::All => true,
            Self::AnyCaller | Self::Read => p != AnonOff,
            Self::SignedIn => !p.anonymous(),
            Self::Add => matches!(p, Deployer | Admin),
            Self::Delete | Self::AdminOnly => p == Admin,
        }
    }
}

/// One request of the matrix.
struct Probe {
    method: Method,
    path: String,
    body: &'static str,
    allowed: Allowed,
}

fn probe(method: Method, path: impl Into<String>, body: &'static str, allowed: Allowed) -> Probe {
    Probe {
        method,
        path: path.into(),
        body,
        allowed,
    }
}

/// The body of every probe that takes JSON. It is malformed: the caller and its privileges are
/// checked before a body is read, so a probe without them gets 401 or 403, never 400.
const JSON: &str = "{";

/// Ids the probes fill into path parameters.
struct Fixture {
    asset_id: String,
    component_id: String,
}

/// The probes for one route of the main listener. Every route must have a case: a route added
/// without one fails the matrix, so nobody adds a route without saying who may use it.
fn main_probes(route: &Route, p: Persona, fx: &Fixture) -> Vec<Probe> {
    use Allowed::*;
    let m = |s: &str| Method::from_bytes(s.as_bytes()).unwrap();
    let me = p.user();
    let one = |allowed, path: String, body| vec![probe(m(route.method), path, body, allowed)];
    if route.path == "/" || route.path.starts_with("/ui/") {
        // Pages of the admin UI: checked with browser sessions, see `ui_probes`.
        return Vec::new();
    }
    match (route.method, route.path) {
        (_, "/service/rest/v1/status" | "/service/rest/v1/status/writable") => {
            one(All, route.path.into(), "")
        }
        ("GET", "/service/rest/v1/repositories") => one(AnyCaller, route.path.into(), ""),
        ("GET", "/favicon.ico") => one(All, route.path.into(), ""),
        (_, "/service/rest/v1/repositories/{name}") => {
            one(AdminOnly, "/service/rest/v1/repositories/files".into(), "")
        }
        (_, "/service/rest/v1/repositories/{format}/{kind}") => one(
            AdminOnly,
            "/service/rest/v1/repositories/raw/hosted".into(),
            JSON,
        ),
        (_, "/service/rest/v1/repositories/{format}/{kind}/{name}") => one(
            AdminOnly,
            "/service/rest/v1/repositories/raw/hosted/files".into(),
            JSON,
        ),
        (_, "/service/rest/v1/blobstores") => one(AdminOnly, route.path.into(), ""),
        (_, "/service/rest/v1/blobstores/file" | "/service/rest/v1/blobstores/s3") => {
            one(AdminOnly, route.path.into(), JSON)
        }
        (_, "/service/rest/v1/blobstores/file/{name}") => one(
            AdminOnly,
            "/service/rest/v1/blobstores/file/default".into(),
            "",
        ),
        (_, "/service/rest/v1/blobstores/s3/{name}") => one(
            AdminOnly,
            "/service/rest/v1/blobstores/s3/default".into(),
            "",
        ),
        (_, "/service/rest/v1/blobstores/{name}") => {
            one(AdminOnly, "/service/rest/v1/blobstores/default".into(), "")
        }
        (_, "/service/rest/v1/blobstores/{name}/purge-temp") => one(
            AdminOnly,
            "/service/rest/v1/blobstores/default/purge-temp".into(),
            "",
        ),
        ("GET", "/service/rest/v1/components") => one(
            Read,
            "/service/rest/v1/components?repository=files".into(),
            "",
        ),
        ("GET", "/service/rest/v1/assets") => {
            one(Read, "/service/rest/v1/assets?repository=files".into(), "")
        }
        ("GET", "/service/rest/v1/components/{id}") => one(
            Read,
            format!("/service/rest/v1/components/{}", fx.component_id),
            "",
        ),
        ("DELETE", "/service/rest/v1/components/{id}") => one(
            Delete,
            format!("/service/rest/v1/components/{}", fx.component_id),
            "",
        ),
        ("GET", "/service/rest/v1/assets/{id}") => {
            one(Read, format!("/service/rest/v1/assets/{}", fx.asset_id), "")
        }
        ("DELETE", "/service/rest/v1/assets/{id}") => one(
            Delete,
            format!("/service/rest/v1/assets/{}", fx.asset_id),
            "",
        ),
        (_, "/service/rest/v1/security/users") => one(AdminOnly, route.path.into(), JSON),
        (_, "/service/rest/v1/security/users/{user_id}") => one(
            AdminOnly,
            "/service/rest/v1/security/users/nobody".into(),
            JSON,
        ),
        (_, "/service/rest/v1/security/users/{user_id}/change-password") => one(
            SignedIn,
            format!("/service/rest/v1/security/users/{me}/change-password"),
            "short",
        ),
        (_, "/service/rest/v1/security/users/{user_id}/tokens") => one(
            SignedIn,
            format!("/service/rest/v1/security/users/{me}/tokens"),
            JSON,
        ),
        (_, "/service/rest/v1/security/users/{user_id}/tokens/{id}") => one(
            SignedIn,
            format!("/service/rest/v1/security/users/{me}/tokens/none"),
            "",
        ),
        (_, "/service/rest/v1/security/roles") => one(AdminOnly, route.path.into(), JSON),
        (_, "/service/rest/v1/security/roles/{id}") => one(
            AdminOnly,
            "/service/rest/v1/security/roles/nx-admin".into(),
            JSON,
        ),
        (_, "/service/rest/v1/security/privileges") => one(AdminOnly, route.path.into(), ""),
        (_, "/service/rest/v1/security/privileges/{name}") => one(
            AdminOnly,
            "/service/rest/v1/security/privileges/nx-all".into(),
            "",
        ),
        (_, "/service/rest/v1/security/privileges/{type}") => one(
            AdminOnly,
            "/service/rest/v1/security/privileges/application".into(),
            JSON,
        ),
        (_, "/service/rest/v1/security/privileges/{type}/{name}") => one(
            AdminOnly,
            "/service/rest/v1/security/privileges/application/nx-all".into(),
            JSON,
        ),
        (_, "/service/rest/v1/security/anonymous") => one(AdminOnly, route.path.into(), JSON),
        (_, "/service/rest/v1/audit") => one(AdminOnly, route.path.into(), ""),
        ("ANY", "/repository/{repo}/{tail:.*}") => vec![
            probe(Method::GET, "/repository/files/seed.txt", "", Read),
            probe(
                Method::PUT,
                format!("/repository/files/by-{me}.txt"),
                "x",
                Add,
            ),
            probe(Method::DELETE, "/repository/files/seed.txt", "", Delete),
        ],
        // Only a redirect, but the client follows it to the listing, which needs browse.
        ("GET", "/service/rest/repository/browse/{repo}") => {
            one(Read, "/service/rest/repository/browse/files".into(), "")
        }
        ("GET", "/service/rest/repository/browse/{repo}/{tail:.*}") => {
            one(Read, "/service/rest/repository/browse/files/".into(), "")
        }
        // The version check challenges every caller without credentials (so clients send the
        // ones they hold); the token endpoint and the catalogue serve the anonymous user too.
        ("GET", "/v2" | "/v2/") => one(SignedIn, route.path.into(), ""),
        ("GET", "/v2/token" | "/v2/_catalog") => one(AnyCaller, route.path.into(), ""),
        ("ANY", "/v2/{repo}/{tail:.*}") => vec![
            probe(Method::GET, "/v2/images/app/tags/list", "", Read),
            probe(Method::POST, "/v2/images/app/blobs/uploads/", "", Add),
            probe(
                Method::DELETE,
                "/v2/images/app/manifests/latest",
                "",
                Delete,
            ),
        ],
        (method, path) => panic!(
            "route {method} {path} has no case in the permission matrix: say who may call it"
        ),
    }
}

/// The probes for one route of a repository's own port (`images`).
fn port_probes(route: &Route) -> Vec<Probe> {
    use Allowed::*;
    match (route.method, route.path) {
        ("GET", "/v2" | "/v2/") => vec![probe(Method::GET, route.path, "", SignedIn)],
        ("GET", "/v2/token" | "/v2/_catalog" | "/v1/search") => {
            vec![probe(
                Method::GET,
                format!("{}?q=app", route.path),
                "",
                AnyCaller,
            )]
        }
        ("ANY", "/v2/{tail:.*}") => vec![
            probe(Method::GET, "/v2/app/tags/list", "", Read),
            probe(Method::POST, "/v2/app/blobs/uploads/", "", Add),
            probe(Method::DELETE, "/v2/app/manifests/latest", "", Delete),
        ],
        (method, path) => panic!(
            "port route {method} {path} has no case in the permission matrix: say who may call it"
        ),
    }
}

async fn send(app: &TestApp, base: &str, p: Persona, probe: &Probe) -> StatusCode {
    let mut req = app
        .client
        .request(probe.method.clone(), format!("{base}{}", probe.path))
        .body(probe.body);
    if !p.anonymous() {
        req = req.basic_auth(p.user(), Some(p.password()));
    }
    req.send().await.expect("request").status()
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn judge(p: Persona, probe: &Probe, status: StatusCode, failures: &mut Vec<String>) {
    let allowed = probe.allowed.lets(p);
    let denied_as = if p.anonymous() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::FORBIDDEN
    };
    let ok = if allowed {
        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN
    } else {
        status == denied_as
    };
    if !ok {
        failures.push(format!(
            "{p:?} {} {}: got {status}, expected {}",
            probe.method,
            probe.path,
            if allowed {
                "neither 401 nor 403".to_owned()
            } else {
                denied_as.to_string()
            }
        ));
    }
}

/// A request body of a UI probe.
#[derive(Clone, Copy)]
enum Form {
    None,
    /// A urlencoded form with the session's CSRF token and these fields.
    Fields(&'static str),
    /// The Upload form with one file.
    Upload,
    /// The sign-in form with a matching double-submit token and a wrong password.
    SignIn,
}

struct UiProbe {
    method: Method,
    path: String,
    form: Form,
    allowed: Allowed,
}

fn ui_probe(method: Method, path: impl Into<String>, form: Form, allowed: Allowed) -> UiProbe {
    UiProbe {
        method,
        path: path.into(),
        form,
        allowed,
    }
}

/// The probes for one page of the admin UI. Every `/ui/` route must have a case.
fn ui_probes(route: &Route, fx: &Fixture) -> Vec<UiProbe> {
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

fn ui_probes_for(route: &Route, fx: &Fixture) -> Vec<UiProbe> {
    if route.path == "/" || route.path.starts_with("/ui/") {
        ui_probes(route, fx)
    } else {
        Vec::new()
    }
}

/// A signed-in browser session: its cookie and CSRF token.
pub(crate) struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// Signs in through the form, as a browser does.
pub(crate) async fn ui_sign_in(
    app: &TestApp,
    http: &reqwest::Client,
    user: &str,
    pass: &str,
) -> Session {
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

/// What a page answered: `signin` (sent to sign in), `forbidden` (403) or `allowed`.
async fn send_ui(
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

fn judge_ui(p: Persona, probe: &UiProbe, got: &str, failures: &mut Vec<String>) {
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

pub(crate) async fn set_anonymous(app: &TestApp, enabled: bool) {
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::PUT,
            "/service/rest/v1/security/anonymous",
        )
        .json(&json!({"enabled": enabled}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let got: Value = app
        .get("/service/rest/v1/security/anonymous")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["enabled"], enabled);
    assert_eq!(got["userId"], "anonymous");
}

async fn create_role(app: &TestApp, id: &str, privileges: &[&str], roles: &[&str]) {
    let r = app
        .post_json(
            "/service/rest/v1/security/roles",
            &json!({"id": id, "name": id, "description": "test role",
                    "privileges": privileges, "roles": roles}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
}

/// `files` (raw, with `seed.txt`), `images` (docker on its own port), roles `readers` and
/// `deployers`, users `reader` and `deployer`.
async fn matrix_fixture(app: &TestApp) -> (Fixture, u16) {
    app.create_raw("files", "ALLOW").await;
    let port = free_port();
    let r = app
        .post_json(
            "/service/rest/v1/repositories/docker/hosted",
            &docker_body("images", Some(port)),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        app.put_file("files", "seed.txt", "seed").await.status(),
        201
    );
    let view = |f: &str, r: &str, a: &str| format!("nx-repository-view-{f}-{r}-{a}");
    let readers: Vec<String> = ["browse", "read"]
        .iter()
        .flat_map(|a| [view("raw", "files", a), view("docker", "images", a)])
        .collect();
    let deployers: Vec<String> = ["add", "edit"]
        .iter()
        .flat_map(|a| [view("raw", "files", a), view("docker", "images", a)])
        .collect();
    create_role(app, "readers", &refs(&readers), &[]).await;
    create_role(app, "deployers", &refs(&deployers), &["readers"]).await;
    app.create_user("reader", "persona-password", &["readers"])
        .await;
    app.create_user("deployer", "persona-password", &["deployers"])
        .await;
    let assets = app.all_assets("files").await;
    let seed = assets
        .iter()
        .find(|a| a["path"] == "seed.txt")
        .expect("seed.txt is listed");
    let components: Value = app
        .get("/service/rest/v1/components?repository=files")
        .await
        .json()
        .await
        .unwrap();
    let component_id = components["items"][0]["id"]
        .as_str()
        .expect("a component")
        .to_owned();
    (
        Fixture {
            asset_id: seed["id"].as_str().unwrap().to_owned(),
            component_id,
        },
        port,
    )
}

async fn permission_matrix(app: TestApp) {
    let (fx, port) = matrix_fixture(&app).await;
    let port_base = format!("http://127.0.0.1:{port}");
    let mut failures = Vec::new();
    let mut probes_run = 0;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Admin last: its allowed requests change things (it deletes seed.txt, for one).
    for p in [AnonOff, AnonOn, Reader, Deployer, Admin] {
        set_anonymous(&app, p == AnonOn).await;
        for route in main_routes() {
            for probe in main_probes(route, p, &fx) {
                let status = send(&app, &app.address, p, &probe).await;
                judge(p, &probe, status, &mut failures);
                probes_run += 1;
            }
        }
        let session = if p.anonymous() {
            None
        } else {
            Some(ui_sign_in(&app, &no_redirects, p.user(), p.password()).await)
        };
        for route in main_routes() {
            for probe in ui_probes_for(route, &fx) {
                let got = send_ui(&app, &no_redirects, p, session.as_ref(), &probe).await;
                judge_ui(p, &probe, got, &mut failures);
                probes_run += 1;
            }
        }
        for route in port_routes() {
            for probe in port_probes(route) {
                let status = send(&app, &port_base, p, &probe).await;
                judge(p, &probe, status, &mut failures);
                probes_run += 1;
            }
        }
    }
    assert!(probes_run > 5 * main_routes().len(), "{probes_run} probes");
    assert!(
        failures.is_empty(),
        "{} of {probes_run} probes got the wrong answer:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn roles_and_privileges(app: TestApp) {
    app.create_raw("team", "ALLOW").await;
    // Built-in privileges follow the repositories.
    let all: Vec<Value> = app
        .get("/service/rest/v1/security/privileges")
        .await
        .json()
        .await
        .unwrap();
    let read = all
        .iter()
        .find(|p| p["name"] == "nx-repository-view-raw-team-read")
        .expect("the repository's read privilege exists");
    assert_eq!(read["type"], "repository-view");
    assert_eq!(read["readOnly"], true);
    assert_eq!(read["actions"], json!(["READ"]));
    assert_eq!(read["format"], "raw");
    assert_eq!(read["repository"], "team");
    assert!(all.iter().any(|p| p["name"] == "nx-all"));

    // A custom privilege, then a role holding it; bad input is refused with the field named.
    let r = app
        .post_json(
            "/service/rest/v1/security/privileges/repository-view",
            &json!({"name": "team-upload", "description": "upload to team", "format": "raw",
                    "repository": "team", "actions": ["ADD", "EDIT", "READ"]}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let got: Value = app
        .get("/service/rest/v1/security/privileges/team-upload")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["actions"], json!(["ADD", "EDIT", "READ"]));
    assert_eq!(got["readOnly"], false);
    for (body, field) in [
        (
            json!({"name": "x", "format": "raw", "repository": "nope", "actions": ["READ"]}),
            "repository",
        ),
        (
            json!({"name": "x", "format": "raw", "repository": "team", "actions": ["FLY"]}),
            "actions",
        ),
        (
            json!({"name": "bad name!", "format": "raw", "repository": "team", "actions": ["READ"]}),
            "name",
        ),
        (
            json!({"name": "team-upload", "format": "raw", "repository": "team", "actions": ["READ"]}),
            "name",
        ),
    ] {
        let r = app
            .post_json(
                "/service/rest/v1/security/privileges/repository-view",
                &body,
            )
            .await;
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e[0]["id"], format!("PARAMETER {field}"), "{body}: {e}");
    }
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::DELETE,
            "/service/rest/v1/security/privileges/nx-all",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "built-in privileges stay");

    create_role(&app, "uploaders", &["team-upload"], &[]).await;
    create_role(
        &app,
        "leads",
        &["nx-repository-view-raw-team-delete"],
        &["uploaders"],
    )
    .await;
    // A cycle is refused.
    let r = app
        .as_user("admin", ADMIN_PASSWORD, Method::PUT, "/service/rest/v1/security/roles/uploaders")
        .json(&json!({"id": "uploaders", "name": "uploaders", "privileges": ["team-upload"], "roles": ["leads"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("contains"));
    // nx-admin is protected.
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::PUT,
            "/service/rest/v1/security/roles/nx-admin",
        )
        .json(&json!({"id": "nx-admin", "name": "nx-admin", "privileges": [], "roles": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The nested role's privileges reach the user; nothing else does.
    app.create_user("lead", "lead-password", &["leads"]).await;
    let lead = |m: Method, path: &str| app.as_user("lead", "lead-password", m, path);
    let r = lead(Method::PUT, "/repository/team/a.txt")
        .body("a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "add through the contained role");
    let r = lead(Method::GET, "/repository/team/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = lead(Method::DELETE, "/repository/team/a.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "delete through the role itself");
    let r = lead(Method::GET, "/service/rest/v1/security/users")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Taking the privilege out of the role takes effect at once.
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::PUT,
            "/service/rest/v1/security/roles/uploaders",
        )
        .json(&json!({"id": "uploaders", "name": "uploaders", "privileges": [], "roles": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = lead(Method::PUT, "/repository/team/b.txt")
        .body("b")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // A role still held cannot be deleted; an unused one can.
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::DELETE,
            "/service/rest/v1/security/roles/leads",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("user 'lead'"));

    // Deleting the repository removes its privileges from every role: a new repository of the
    // same name does not inherit the old grants.
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::DELETE,
            "/service/rest/v1/repositories/team",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let leads: Value = app
        .get("/service/rest/v1/security/roles/leads")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(leads["privileges"], json!([]));
    assert_eq!(leads["roles"], json!(["uploaders"]));
    let r = app
        .get("/service/rest/v1/security/privileges/nx-repository-view-raw-team-read")
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .get("/service/rest/v1/security/privileges/team-upload")
        .await;
    assert_eq!(
        r.status(),
        404,
        "custom privileges naming the repository go with it"
    );
}

async fn create_token(app: &TestApp, user: &str, pass: &str, name: &str) -> Value {
    let r = app
        .as_user(
            user,
            pass,
            Method::POST,
            &format!("/service/rest/v1/security/users/{user}/tokens"),
        )
        .json(&json!({"name": name, "expiresInDays": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    r.json().await.unwrap()
}

async fn user_tokens_work_and_revoke(app: TestApp) {
    app.create_raw("ci", "ALLOW").await;
    app.create_user("builder", "builder-password", &["nx-admin"])
        .await;
    let created = create_token(&app, "builder", "builder-password", "gitlab").await;
    let token = created["token"]
        .as_str()
        .expect("the token is shown once")
        .to_owned();
    assert!(token.starts_with("stw_"));
    assert!(created["expires"].is_string());

    // The token is a password for Basic auth, for its owner only.
    let put = |user: &str, secret: &str, path: &str| {
        app.as_user(user, secret, Method::PUT, &format!("/repository/ci/{path}"))
            .body("data")
    };
    assert_eq!(
        put("builder", &token, "one.txt")
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        put("admin", &token, "two.txt")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Listing shows it without the secret, with its last use.
    let list: Vec<Value> = app
        .as_user(
            "builder",
            "builder-password",
            Method::GET,
            "/service/rest/v1/security/users/builder/tokens",
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "gitlab");
    assert!(list[0].get("token").is_none());
    assert!(list[0]["lastUsed"].is_string(), "{list:?}");
    assert!(!serde_json::to_string(&list).unwrap().contains(&token));

    // Same name twice: refused. Another user cannot list or create this user's tokens.
    let r = app
        .as_user(
            "builder",
            "builder-password",
            Method::POST,
            "/service/rest/v1/security/users/builder/tokens",
        )
        .json(&json!({"name": "gitlab"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.create_user("other", "other-password", &[]).await;
    let r = app
        .as_user(
            "other",
            "other-password",
            Method::GET,
            "/service/rest/v1/security/users/builder/tokens",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Revoked: the next use fails at once, although it was just verified (and cached).
    let id = list[0]["id"].as_str().unwrap();
    let r = app
        .as_user(
            "builder",
            "builder-password",
            Method::DELETE,
            &format!("/service/rest/v1/security/users/builder/tokens/{id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        put("builder", &token, "three.txt")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

async fn throttling_per_user_and_address(app: TestApp) {
    app.create_user("victim", "victim-password", &["nx-admin"])
        .await;
    let from = |ip: [u8; 4]| {
        reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap()
    };
    let attacker = from([127, 0, 0, 1]);
    let url = app.url("/service/rest/v1/security/users");
    let mut statuses = Vec::new();
    for _ in 0..100 {
        let r = attacker
            .get(&url)
            .basic_auth("victim", Some("wrong-password"))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
        }
    }
    let first_429 = statuses
        .iter()
        .position(|s| *s == 429)
        .expect("refused at some point");
    assert!(
        statuses[..first_429].iter().all(|s| *s == 401),
        "{statuses:?}"
    );
    assert!(
        statuses[first_429..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    assert!(first_429 <= 20, "refused after {first_429} failures");
    // Even the right password is refused from this address for now…
    let r = attacker
        .get(&url)
        .basic_auth("victim", Some("victim-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    // …but the same user signs in from another address, and another user from this one.
    let r = from([127, 0, 0, 2])
        .get(&url)
        .basic_auth("victim", Some("victim-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = attacker
        .get(&url)
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn audit_log_records_changes(app: TestApp) {
    app.create_raw("audited", "ALLOW").await;
    app.create_user("auditee", "auditee-password", &[]).await;
    let r = app
        .as_user(
            "auditee",
            "not-the-password",
            Method::GET,
            "/service/rest/v1/repositories",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .as_user(
            "admin",
            ADMIN_PASSWORD,
            Method::DELETE,
            "/service/rest/v1/security/users/auditee",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let events: Vec<Value> = app
        .get("/service/rest/v1/audit?limit=50")
        .await
        .json()
        .await
        .unwrap();
    let has = |user: &str, action: &str, target: &str, result: &str| {
        events.iter().any(|e| {
            e["user"] == user
                && e["action"] == action
                && e["target"] == target
                && e["result"] == result
        })
    };
    assert!(
        has("admin", "repository.create", "audited", "success"),
        "{events:#?}"
    );
    assert!(has("admin", "user.create", "auditee", "success"));
    assert!(has("auditee", "signin.basic", "auditee", "failure"));
    assert!(has("admin", "user.delete", "auditee", "success"));
    assert!(
        events
            .iter()
            .all(|e| e["clientIp"] == "127.0.0.1" && e["timestamp"].is_string())
    );
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains("not-the-password") && !text.contains("auditee-password"));
    // The log is a JSON-lines file in the data directory.
    let file = std::fs::read_to_string(app.data_dir.path().join("audit/audit.log")).unwrap();
    assert!(file.lines().count() >= events.len());
    assert!(
        file.lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok())
    );
}

/// Passwords (right and wrong) and tokens never reach the log, the audit trail or an API
/// response other than the one that issues a token. Runs the real binary at debug level and
/// searches everything it printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_logs_and_responses() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base, log) = start_binary(dir.path(), None, "debug");
    let client = reqwest::Client::new();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let first = format!("First-pass-{unique}");
    let second = format!("Second-pass-{unique}");
    let wrong = format!("Wrong-pass-{unique}");
    let admin = |m: Method, path: &str| {
        client
            .request(m, format!("{base}{path}"))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
    };
    let r = admin(Method::POST, "/service/rest/v1/security/users")
        .json(
            &json!({"userId": "secretive", "firstName": "S", "lastName": "U",
            "emailAddress": "s@example.org", "password": first, "status": "active",
            "roles": ["nx-admin"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let as_user = |m: Method, path: &str, secret: &str| {
        client
            .request(m, format!("{base}{path}"))
            .basic_auth("secretive", Some(secret))
    };
    for _ in 0..3 {
        let r = as_user(Method::GET, "/service/rest/v1/repositories", &wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = as_user(
        Method::PUT,
        "/service/rest/v1/security/users/secretive/change-password",
        &first,
    )
    .header("content-type", "text/plain")
    .body(second.clone())
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 204);
    let r = as_user(
        Method::POST,
        "/service/rest/v1/security/users/secretive/tokens",
        &second,
    )
    .json(&json!({"name": "ci"}))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = as_user(
        Method::POST,
        "/service/rest/v1/repositories/raw/hosted",
        &token,
    )
    .json(&crate::helpers::raw_hosted("vault", "ALLOW"))
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let r = as_user(
        Method::GET,
        "/v2/token?service=stowage&scope=repository:vault/x:pull",
        &token,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let bearer = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut responses = String::new();
    for path in [
        "/service/rest/v1/security/users",
        "/service/rest/v1/security/users/secretive/tokens",
        "/service/rest/v1/security/roles",
        "/service/rest/v1/security/anonymous",
        "/service/rest/v1/audit?limit=1000",
        "/service/rest/v1/repositories",
        "/service/rest/v1/repositories/raw/hosted/vault",
        "/service/rest/v1/blobstores",
    ] {
        let r = admin(Method::GET, path).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        responses.push_str(&r.text().await.unwrap());
    }
    let _ = child.kill();
    let _ = child.wait();
    let logged = log.lock().unwrap().join("\n");
    assert!(
        logged.contains("signin"),
        "the log has the sign-in events: {logged}"
    );
    let audit = std::fs::read_to_string(dir.path().join("audit/audit.log")).unwrap();
    assert!(audit.contains("user-token.create"));
    for (what, text) in [
        ("log", &logged),
        ("audit log", &audit),
        ("API responses", &responses),
    ] {
        for (name, secret) in [
            ("first password", &first),
            ("second password", &second),
            ("wrong password", &wrong),
            ("admin password", &ADMIN_PASSWORD.to_owned()),
            ("user token", &token),
            ("docker token", &bearer),
        ] {
            assert!(
                !text.contains(secret.as_str()),
                "the {name} appears in the {what}"
            );
        }
    }
}
