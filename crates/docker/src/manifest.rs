//! Manifest parsing: what a pushed manifest is, what it references, and whether it may be
//! stored. Bytes are kept exactly as pushed; this only reads them.

use crate::errors::{ErrorCode, RegistryError};
use crate::media_types;
use crate::reference::Digest;
use serde::Deserialize;

/// Default upper bound on a manifest's size (4 MiB, as distribution and most registries).
pub const DEFAULT_MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    media_type: Option<String>,
    digest: String,
    size: Option<i64>,
    /// Read only for display, so anything is accepted here.
    platform: Option<serde_json::Value>,
}

/// One descriptor a stored manifest lists, as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// `config`, `layer` or `manifest`, with an index entry's platform (`manifest linux/arm64/v8`).
    pub kind: String,
    /// Its media type, or empty.
    pub media_type: String,
    /// Its digest as written.
    pub digest: String,
    /// Its declared size (0 when absent).
    pub size: i64,
}

/// What stored manifest bytes list: config, layers, then an index's manifests. Bytes that do
/// not read as a manifest list nothing (they were validated when pushed).
pub fn listed(body: &[u8]) -> Vec<Listed> {
    let Ok(raw) = serde_json::from_slice::<RawManifest>(body) else {
        return Vec::new();
    };
    let entry = |kind: &str, d: &Descriptor| {
        let kind = match &d.platform {
            Some(p) if p.is_object() => format!(
                "{kind} {}/{}{}",
                p["os"].as_str().unwrap_or("?"),
                p["architecture"].as_str().unwrap_or("?"),
                p["variant"]
                    .as_str()
                    .map(|v| format!("/{v}"))
                    .unwrap_or_default()
            ),
            _ => kind.to_owned(),
        };
        Listed {
            kind,
            media_type: d.media_type.clone().unwrap_or_default(),
            digest: d.digest.clone(),
            size: d.size.unwrap_or(0),
        }
    };
    raw.config
        .iter()
        .map(|c| entry("config", c))
        .chain(raw.layers.iter().map(|l| entry("layer", l)))
        .chain(raw.manifests.iter().map(|m| entry("manifest", m)))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: Option<i64>,
    media_type: Option<String>,
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
    subject: Option<Descriptor>,
}

/// A validated manifest's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The media type it is stored and served with.
    pub media_type: String,
    /// Blobs it references (config and layers), in order.
    pub blobs: Vec<Digest>,
    /// Manifests it references (an index's entries), in order.
    pub manifests: Vec<Digest>,
    /// The manifest this one refers to (`subject`), for the referrers API.
    pub subject: Option<Digest>,
    /// `artifactType`, or the config's media type for an image manifest with one.
    pub artifact_type: Option<String>,
}

fn invalid(detail: impl Into<String>) -> RegistryError {
    RegistryError::new(ErrorCode::ManifestInvalid, detail)
}

fn digest_of(d: &Descriptor, what: &str) -> Result<Digest, RegistryError> {
    if d.size.is_some_and(|s| s < 0) {
        return Err(invalid(format!("{what} has a negative size")));
    }
    Digest::parse(&d.digest).map_err(|e| invalid(format!("{what}: {}", e.detail)))
}

impl Manifest {
    /// Parses `body` pushed with Content-Type `content_type`, refusing docker schema 1, unknown
    /// kinds, malformed JSON and bodies over `max_bytes` (413).
    pub fn parse(content_type: &str, body: &[u8], max_bytes: usize) -> Result<Self, RegistryError> {
        if body.len() > max_bytes {
            let mut e = RegistryError::new(
                ErrorCode::SizeInvalid,
                format!("manifest is {} bytes; the limit is {max_bytes}", body.len()),
            );
            e.status_override = Some(413);
            return Err(e);
        }
        let content_type = content_type.split(';').next().unwrap_or("").trim();
        let not_json = |e: serde_json::Error| invalid(format!("manifest is not valid JSON: {e}"));
        // The typed parse below skips the fields it does not know (annotations, platform, …)
        // without checking their UTF-8 or escapes, yet the whole body is stored and served as
        // JSON: read it all once as a document first. The typed parse still refuses a known
        // field given twice.
        serde_json::from_slice::<serde_json::Value>(body).map_err(not_json)?;
        let raw: RawManifest = serde_json::from_slice(body).map_err(not_json)?;
        let declared = raw.media_type.as_deref();
        let media_type = match (content_type, declared) {
            (ct, _) if media_types::is_schema1(ct) => {
                return Err(invalid(
                    "docker schema 1 manifests are not supported: push with a current docker \
                     or convert the image to schema 2 / OCI",
                ));
            }
            (_, Some(d)) if media_types::is_schema1(d) => {
                return Err(invalid("docker schema 1 manifests are not supported"));
            }
            (ct, Some(d)) if media_types::is_supported_manifest(ct) && ct != d => {
                return Err(invalid(format!(
                    "Content-Type {ct} does not match the manifest's mediaType {d}"
                )));
            }
            (ct, _) if media_types::is_supported_manifest(ct) => ct.to_owned(),
            (_, Some(d)) if media_types::is_supported_manifest(d) => d.to_owned(),
            (_, None) if !raw.manifests.is_empty() => media_types::OCI_INDEX.to_owned(),
            (_, None) if raw.config.is_some() => media_types::OCI_MANIFEST.to_owned(),
            (ct, d) => {
                return Err(invalid(format!(
                    "unsupported manifest type (Content-Type {ct:?}, mediaType {d:?})"
                )));
            }
        };
        if raw.schema_version != Some(2) {
            return Err(invalid("schemaVersion must be 2"));
        }
        let mut blobs = Vec::new();
        let mut manifests = Vec::new();
        if media_types::is_index(&media_type) {
            if raw.config.is_some() || !raw.layers.is_empty() {
                return Err(invalid("an index must not have config or layers"));
            }
            for (i, m) in raw.manifests.iter().enumerate() {
                manifests.push(digest_of(m, &format!("manifests[{i}]"))?);
            }
        } else {
            let config = raw
                .config
                .as_ref()
                .ok_or_else(|| invalid("an image manifest needs a config descriptor"))?;
            blobs.push(digest_of(config, "config")?);
            for (i, l) in raw.layers.iter().enumerate() {
                blobs.push(digest_of(l, &format!("layers[{i}]"))?);
            }
            if !raw.manifests.is_empty() {
                return Err(invalid("an image manifest must not list manifests"));
            }
        }
        let subject = raw
            .subject
            .as_ref()
            .map(|s| digest_of(s, "subject"))
            .transpose()?;
        let artifact_type = raw.artifact_type.clone().or_else(|| {
            raw.config
                .as_ref()
                .and_then(|c| c.media_type.clone())
                .filter(|_| media_type == media_types::OCI_MANIFEST)
        });
        Ok(Self {
            media_type,
            blobs,
            manifests,
            subject,
            artifact_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media_types::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn image(media_type: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{media_type}",
               "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":10}},
               "layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":20}}]}}"#,
            d('a'),
            d('b')
        )
    }

    #[test]
    fn image_manifests_list_their_blobs() {
        for mt in [OCI_MANIFEST, DOCKER_MANIFEST] {
            let m = Manifest::parse(mt, image(mt).as_bytes(), DEFAULT_MAX_MANIFEST_BYTES).unwrap();
            assert_eq!(m.media_type, mt);
            let blobs: Vec<_> = m.blobs.iter().map(|b| b.to_string()).collect();
            assert_eq!(blobs, [d('a'), d('b')]);
            assert!(m.manifests.is_empty());
        }
        let m = Manifest::parse(OCI_MANIFEST, image(OCI_MANIFEST).as_bytes(), 1 << 20).unwrap();
        assert_eq!(
            m.artifact_type.as_deref(),
            Some("application/vnd.oci.image.config.v1+json")
        );
    }

    #[test]
    fn indexes_list_their_manifests_and_subject_is_read() {
        for mt in [OCI_INDEX, DOCKER_MANIFEST_LIST] {
            let body = format!(
                r#"{{"schemaVersion":2,"mediaType":"{mt}","manifests":[
                    {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":5}},
                    {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":6}}],
                    "subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":7}}}}"#,
                d('c'),
                d('e'),
                d('f')
            );
            let m = Manifest::parse(mt, body.as_bytes(), 1 << 20).unwrap();
            assert_eq!(m.manifests.len(), 2);
            assert!(m.blobs.is_empty());
            assert_eq!(m.subject.unwrap().to_string(), d('f'));
        }
    }

    #[test]
    fn refusals_say_why() {
        let schema1 = r#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#;
        let e = Manifest::parse(DOCKER_SCHEMA1_SIGNED, schema1.as_bytes(), 1 << 20).unwrap_err();
        assert_eq!(e.code, ErrorCode::ManifestInvalid);
        assert!(e.detail.contains("schema 1"), "{}", e.detail);

        let e = Manifest::parse(OCI_MANIFEST, b"{not json", 1 << 20).unwrap_err();
        assert_eq!(e.code, ErrorCode::ManifestInvalid);

        // Found by fuzzing: invalid UTF-8 or a lone surrogate in a field the typed parse
        // skips (here an annotation) was accepted, and stored as a manifest that is not JSON.
        for junk in [&b"\"crea\xf8ted\""[..], br#""\ud800""#] {
            let mut body = image(OCI_MANIFEST).into_bytes();
            body.pop();
            body.extend_from_slice(br#","annotations":{"a":"#);
            body.extend_from_slice(junk);
            body.extend_from_slice(b"}}");
            let e = Manifest::parse(OCI_MANIFEST, &body, 1 << 20).unwrap_err();
            assert!(e.detail.contains("not valid JSON"), "{}", e.detail);
        }
        let dup = image(OCI_MANIFEST).replacen("\"config\"", "\"config\":null,\"config\"", 1);
        assert!(Manifest::parse(OCI_MANIFEST, dup.as_bytes(), 1 << 20).is_err());

        let e = Manifest::parse(OCI_INDEX, image(OCI_MANIFEST).as_bytes(), 1 << 20).unwrap_err();
        assert!(e.detail.contains("does not match"), "{}", e.detail);

        let bad_digest = image(OCI_MANIFEST).replace(&d('b'), "sha256:xyz");
        let e = Manifest::parse(OCI_MANIFEST, bad_digest.as_bytes(), 1 << 20).unwrap_err();
        assert!(e.detail.contains("layers[0]"), "{}", e.detail);

        let e = Manifest::parse(OCI_MANIFEST, image(OCI_MANIFEST).as_bytes(), 10).unwrap_err();
        assert_eq!(e.status(), 413);

        let no_config =
            format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","layers":[]}}"#);
        assert!(Manifest::parse(OCI_MANIFEST, no_config.as_bytes(), 1 << 20).is_err());
        let v3 = image(OCI_MANIFEST).replace("\"schemaVersion\":2", "\"schemaVersion\":3");
        assert!(Manifest::parse(OCI_MANIFEST, v3.as_bytes(), 1 << 20).is_err());
    }
}
