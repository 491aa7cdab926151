//! What the admin UI shows of docker repositories: the address clients use (`host:port` on the
//! repository's own port, else `host/<repository>`), the commands to copy, the tree (images,
//! then an image's tags page by page, merged across a group's members), a tag's manifest with
//! the blobs it references, and the pull-by-digest command of a manifest asset.

use askama::Template;
use futures_util::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use stowage_core::attributes::GroupAttributes;
use stowage_core::catalogue::{Catalogue, ComponentWithAssets};
use stowage_core::format::ui::{
    BrowseExtras, TreeEntry, TreeView, UiContext, from_member, human_bytes, uploaded_by,
};
use stowage_core::model::{Asset, Component, RepoKind, Repository};
use stowage_core::web::encode_path as encode;
use stowage_core::{CoreError, Result, rfc3339};
use stowage_docker::layout::MANIFESTS;

/// Tags shown per page of an image.
const TAGS_PER_PAGE: i64 = 100;

/// What `docker login/tag/push/pull` use for `repo`: `host:port` on its own port, else the
/// path-routing form `host/<repo>`.
pub(crate) fn registry(ui: &UiContext<'_>, repo: &Repository) -> String {
    let h = ui.host();
    match ui.port_of(repo) {
        Some(port) => {
            let hostname = h.rsplit_once(':').map_or(h.as_str(), |(n, _)| n);
            format!("{hostname}:{port}")
        }
        None => format!("{h}/{}", repo.name),
    }
}

/// `docker login`, then push (a hosted repository, or a group with a writable member) or pull.
pub(crate) fn commands(ui: &UiContext<'_>, repo: &Repository) -> Vec<String> {
    let registry = registry(ui, repo);
    let host = registry.split('/').next().unwrap_or(&registry).to_owned();
    let takes_pushes = repo.kind == RepoKind::Hosted
        || GroupAttributes::of(&repo.attributes)
            .writable_member()
            .is_some();
    if takes_pushes {
        vec![
            format!("docker login {host}"),
            format!("docker tag alpine {registry}/alpine"),
            format!("docker push {registry}/alpine"),
        ]
    } else {
        vec![
            format!("docker login {host}"),
            format!("docker pull {registry}/alpine"),
        ]
    }
}

/// The images of `repo` (its `sources`: itself, or a group's members), or the tags of the
/// image `dir`.
pub(crate) async fn tree(
    ui: &UiContext<'_>,
    repo: &Repository,
    sources: &[Repository],
    dir: &str,
    after: Option<&str>,
) -> Result<TreeView> {
    let catalogue = &ui.services.catalogue;
    let base = format!("/ui/browse/{}/", repo.name);
    let image = dir.trim_end_matches('/');
    let mut view = TreeView::default();
    if image.is_empty() {
        view.heading = format!("Images in {}", repo.name);
        let mut names = BTreeSet::new();
        for s in sources {
            names.extend(catalogue.component_names(&s.id).await?);
        }
        for name in names {
            view.entries.push(TreeEntry {
                href: format!("{base}{}/", encode(&name)),
                name,
                detail: "image".into(),
                size: String::new(),
            });
        }
        return Ok(view);
    }
    view.heading = format!("Tags of {image}");
    view.crumbs
        .push((image.to_owned(), format!("{base}{}/", encode(image))));
    let (tags, more) = merged_tags(catalogue, sources, image, after, TAGS_PER_PAGE).await?;
    if tags.is_empty() && after.is_none() {
        return Err(CoreError::NotFound(format!(
            "image '{image}' in '{}'",
            repo.name
        )));
    }
    if more && let Some((last, _)) = tags.last() {
        view.next_page = Some(format!(
            "{base}{}/?after={}",
            encode(image),
            percent_encoding::utf8_percent_encode(
                &last.version,
                percent_encoding::NON_ALPHANUMERIC
            )
        ));
    }
    view.command = Some(format!("docker pull {}/{image}:<tag>", registry(ui, repo)));
    let group = repo.kind == RepoKind::Group;
    for (t, member) in tags {
        view.entries.push(TreeEntry {
            href: format!("/ui/components/{}", t.id),
            name: t.version,
            detail: from_member(rfc3339(t.created_at), group, member),
            size: String::new(),
        });
    }
    Ok(view)
}

/// The tags of `image` after `after` across `sources`, the first source's tag where several
/// have it, at most `limit` in version order; and whether there are more. Each source is asked
/// for at most `limit + 1`: the first `limit` tags of the union are among them.
async fn merged_tags<'a>(
    catalogue: &Catalogue,
    sources: &'a [Repository],
    image: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<(Component, &'a str)>, bool)> {
    let mut merged: BTreeMap<String, (Component, &str)> = BTreeMap::new();
    let mut more = false;
    for s in sources {
        let (tags, has_more) = catalogue
            .components_named(&s.id, image, after, limit)
            .await?;
        more |= has_more;
        for t in tags {
            merged
                .entry(t.version.clone())
                .or_insert((t, s.name.as_str()));
        }
    }
    let limit = usize::try_from(limit).unwrap_or(0);
    more |= merged.len() > limit;
    Ok((merged.into_values().take(limit).collect(), more))
}

/// A blob a manifest lists.
struct LayerRow {
    kind: String,
    media_type: String,
    digest: String,
    size: String,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "manifest.html")]
struct LayersTable {
    layers: Vec<LayerRow>,
}

/// A tag's page: the image crumb, the pull command, its manifest's facts and layers.
pub(crate) async fn component(
    ui: &UiContext<'_>,
    repo: &Repository,
    c: &ComponentWithAssets,
) -> Result<BrowseExtras> {
    let name = &c.component.name;
    let mut extras = BrowseExtras::default();
    extras.crumbs.push((
        name.clone(),
        format!("/ui/browse/{}/{}/", repo.name, encode(name)),
    ));
    extras.command = Some(format!(
        "docker pull {}/{name}:{}",
        registry(ui, repo),
        c.component.version
    ));
    let manifest_prefix = format!("v2/{name}/{MANIFESTS}/");
    let Some(m) = c
        .assets
        .iter()
        .find(|a| a.path.starts_with(&manifest_prefix))
    else {
        return Ok(extras);
    };
    let store = ui.services.blob_store(&m.blob.blob_store).await?;
    let mut read = store.read(m.blob.digest.hex(), None).await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = read.stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(CoreError::Io)?);
    }
    let by_path: BTreeMap<&str, &Asset> = c.assets.iter().map(|a| (a.path.as_str(), a)).collect();
    let mut total = m.blob.size;
    let layers: Vec<LayerRow> = stowage_docker::manifest::listed(&bytes)
        .into_iter()
        .map(|l| {
            total += l.size;
            let href = stowage_docker::Digest::parse(&l.digest)
                .ok()
                .and_then(|d| by_path.get(stowage_docker::layout::blob_path(&d).as_str()))
                .map(|a| format!("/ui/assets/{}", a.id));
            LayerRow {
                kind: l.kind,
                media_type: l.media_type,
                digest: l.digest,
                size: human_bytes(l.size),
                href,
            }
        })
        .collect();
    extras.facts = vec![
        ("Manifest".into(), m.blob.digest.to_string()),
        ("Media type".into(), m.content_type.clone()),
        ("Manifest size".into(), human_bytes(m.blob.size)),
        ("Total size".into(), human_bytes(total)),
        (
            "Last downloaded".into(),
            m.last_downloaded
                .map(rfc3339)
                .unwrap_or_else(|| "never".into()),
        ),
        ("Uploaded by".into(), uploaded_by(repo, m)),
    ];
    let table = LayersTable { layers }
        .render()
        .map_err(|e| CoreError::Internal(format!("layers table: {e}")))?;
    extras.html = Some(table);
    Ok(extras)
}

/// A manifest asset's pull-by-digest command; docker assets get no folder crumb.
pub(crate) fn asset(ui: &UiContext<'_>, repo: &Repository, a: &Asset) -> BrowseExtras {
    let marker = format!("/{MANIFESTS}/");
    let command = a.path.contains(&marker).then(|| {
        let image = a
            .path
            .trim_start_matches("v2/")
            .split(&marker)
            .next()
            .unwrap_or("");
        format!(
            "docker pull {}/{image}@{}",
            registry(ui, repo),
            a.blob.digest
        )
    });
    BrowseExtras {
        command,
        ..BrowseExtras::default()
    }
}
