//! What a format tells the admin UI: its form fields ([`FieldSpec`]), and its browse views
//! ([`TreeView`], [`BrowseExtras`]), rendered by the server's page shell.

use super::Services;
use crate::model::Repository;
use actix_web::HttpRequest;

/// What a form input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of text.
    Text,
    /// A whole number; empty sends `null`.
    Number,
    /// A checkbox: `true` or `false`.
    Check,
    /// One of these options (the blob store select lists the stores when empty).
    Select(&'static [&'static str]),
    /// Comma-separated, sent as a JSON list.
    List,
    /// A secret: never filled in from what is stored.
    Password,
}

/// One field of a repository form, named by its path in the REST request body, so a
/// validation error (`PARAMETER docker.httpPort`) lands next to its input.
#[derive(Debug)]
pub struct FieldSpec {
    /// Dotted path in the REST body, e.g. `proxy.remoteUrl`.
    pub name: &'static str,
    /// The label.
    pub label: &'static str,
    /// The input.
    pub input: Input,
    /// One sentence of help under it.
    pub help: &'static str,
}

/// A [`FieldSpec`], short enough for tables of them.
pub const fn field(
    name: &'static str,
    label: &'static str,
    input: Input,
    help: &'static str,
) -> FieldSpec {
    FieldSpec {
        name,
        label,
        input,
        help,
    }
}

/// Where a UI page is being rendered: the request and the shared services.
pub struct UiContext<'a> {
    /// The page's request.
    pub req: &'a HttpRequest,
    /// Shared services.
    pub services: &'a Services,
}

impl UiContext<'_> {
    /// The URL clients reach this server at.
    pub fn base_url(&self) -> String {
        crate::web::base_url(self.req)
    }

    /// Host (and port) clients reach this server at.
    pub fn host(&self) -> String {
        crate::web::host(self.req)
    }

    /// The port repository `repo` listens on of its own, if any.
    pub fn port_of(&self, repo: &Repository) -> Option<u16> {
        self.services.ports.port_of(&repo.name)
    }
}

/// One entry of a tree listing.
#[derive(Debug, Clone)]
pub struct TreeEntry {
    /// What is listed.
    pub name: String,
    /// Where it links to.
    pub href: String,
    /// A date, a count, and the member it comes from in a group.
    pub detail: String,
    /// A size, or empty.
    pub size: String,
}

/// A tree page a format lists itself.
#[derive(Debug, Default)]
pub struct TreeView {
    /// The page heading.
    pub heading: String,
    /// Crumbs after `Browse / <repository>`: (label, href).
    pub crumbs: Vec<(String, String)>,
    /// The entries.
    pub entries: Vec<TreeEntry>,
    /// The next page's URL, if there is more.
    pub next_page: Option<String>,
    /// A command to copy (docker: `docker pull host/image:<tag>`).
    pub command: Option<String>,
}

/// What a format adds to a component's or asset's page.
#[derive(Debug, Default)]
pub struct BrowseExtras {
    /// Crumbs after `Browse / <repository>`: (label, href).
    pub crumbs: Vec<(String, String)>,
    /// A command to copy (docker: `docker pull …`).
    pub command: Option<String>,
    /// Facts for the page's list: (term, value).
    pub facts: Vec<(String, String)>,
    /// A section the format rendered itself, as HTML (its own templates escape what they show).
    pub html: Option<String>,
}

/// `detail`, followed by the member it comes from when the tree is a group's.
pub fn from_member(detail: String, group: bool, member: &str) -> String {
    if group {
        format!("{detail} · from {member}")
    } else {
        detail
    }
}

/// `1.5 MiB` and the like.
pub fn human_bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The remote a proxy repository caches from (Nexus's `proxy.remoteUrl`, whatever the format).
pub fn remote_of(repo: &Repository) -> Option<String> {
    if repo.kind != crate::model::RepoKind::Proxy {
        return None;
    }
    crate::attributes::ProxyAttributes::of(&repo.attributes)
        .remote_url()
        .map(str::to_owned)
}

/// Who put an asset there: the user (and address) that wrote it, or, for a proxy's copy, the
/// remote it was cached from (and whose request fetched it, when that was recorded).
pub fn uploaded_by(repo: &Repository, a: &crate::model::Asset) -> String {
    let who = match (&a.uploader, &a.uploader_ip) {
        (Some(u), Some(ip)) => Some(format!("{u} from {ip}")),
        (Some(u), None) => Some(u.clone()),
        _ => None,
    };
    match (remote_of(repo), who) {
        (Some(remote), Some(who)) => format!("cached from {remote} (fetched for {who})"),
        (Some(remote), None) => format!("cached from {remote}"),
        (None, Some(who)) => who,
        (None, None) => "unknown".into(),
    }
}
