//! Where docker content lives among a repository's assets, the same for every docker recipe
//! (Nexus's layout): blobs repository-wide under `v2/-/blobs/<digest>`, manifests under
//! `v2/<image>/manifests/<digest or tag>`. A tag's asset is the component of that tag, and
//! lists its manifest and what the manifest references as members.

use crate::manifest::Manifest;
use crate::{Digest, ImageName};

/// The folder of an image's manifests in asset paths (`v2/<image>/manifests/…`).
pub const MANIFESTS: &str = "manifests";

/// Asset path of a blob.
pub fn blob_path(digest: &Digest) -> String {
    format!("v2/-/blobs/{digest}")
}

/// Asset path of a manifest by digest or tag.
pub fn manifest_path(image: &ImageName, reference: &str) -> String {
    format!("v2/{image}/{MANIFESTS}/{reference}")
}

/// The asset paths a tag's component lists: its manifest (`digest`), then the blobs (config
/// and layers) and child manifests that manifest references.
pub fn tag_members(image: &ImageName, digest: &Digest, manifest: &Manifest) -> Vec<String> {
    std::iter::once(manifest_path(image, digest.as_str()))
        .chain(manifest.blobs.iter().map(blob_path))
        .chain(
            manifest
                .manifests
                .iter()
                .map(|m| manifest_path(image, m.as_str())),
        )
        .collect()
}
