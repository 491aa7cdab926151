//! The security model end to end, part one: a permission matrix over every registered route of
//! the main listener, the admin UI (`security_ui_matrix`) and a repository's own port, with
//! every kind of caller.

use crate::both_backends;
use crate::helpers::{ADMIN_PASSWORD, TestApp, docker_body, repository_port, ui_sign_in};
use crate::security_ui_matrix::{judge_ui, send_ui, ui_probes_for};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use stowage_server::routes::{Route, main_routes, port_routes};

both_backends!(permission_matrix);

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persona {
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
    pub(crate) fn anonymous(self) -> bool {
        matches!(self, AnonOff | AnonOn)
    }
    pub(crate) fn user(self) -> &'static str {
        match self {
            AnonOff | AnonOn => "anonymous",
            Reader => "reader",
            Deployer => "deployer",
            Admin => "admin",
        }
    }
    pub(crate) fn password(self) -> &'static str {
        match self {
            Admin => ADMIN_PASSWORD,
            _ => "persona-password",
        }
    }
}

/// What a probe needs, in terms of the personas above.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Allowed {
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
    pub(crate) fn lets(self, p: Persona) -> bool {
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
pub(crate) struct Probe {
    method: Method,
    path: String,
    body: &'static str,
    allowed: Allowed,
}

pub(crate) fn probe(
    method: Method,
    path: impl Into<String>,
    body: &'static str,
    allowed: Allowed,
) -> Probe {
    Probe {
        method,
        path: path.into(),
        body,
        allowed,
    }
}

/// The body of every probe that takes JSON. It is malformed: the caller and its privileges are
/// checked before a body is read, so a probe without them gets 401 or 403, never 400.
pub(crate) const JSON: &str = "{";

/// Ids the probes fill into path parameters.
pub(crate) struct Fixture {
    pub(crate) asset_id: String,
    pub(crate) component_id: String,
}

/// The probes for one route of the main listener. Every route must have a case: a route added
/// without one fails the matrix, so nobody adds a route without saying who may use it.
pub(crate) fn main_probes(route: &Route, p: Persona, fx: &Fixture) -> Vec<Probe> {
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
pub(crate) fn port_probes(route: &Route) -> Vec<Probe> {
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

pub(crate) async fn send(app: &TestApp, base: &str, p: Persona, probe: &Probe) -> StatusCode {
    let mut req = app
        .client
        .request(probe.method.clone(), format!("{base}{}", probe.path))
        .body(probe.body);
    if !p.anonymous() {
        req = req.basic_auth(p.user(), Some(p.password()));
    }
    req.send().await.expect("request").status()
}

pub(crate) fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

pub(crate) fn judge(p: Persona, probe: &Probe, status: StatusCode, failures: &mut Vec<String>) {
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

/// `files` (raw, with `seed.txt`), `images` (docker on its own port), roles `readers` and
/// `deployers`, users `reader` and `deployer`.
async fn matrix_fixture(app: &TestApp) -> (Fixture, u16) {
    app.create_raw("files", "ALLOW").await;
    let port = repository_port();
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
    app.create_role("readers", &refs(&readers), &[]).await;
    app.create_role("deployers", &refs(&deployers), &["readers"])
        .await;
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
        app.set_anonymous(p == AnonOn).await;
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
