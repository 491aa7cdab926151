//! Pushed manifest and index JSON: what is accepted is a schema-2 manifest of a supported kind,
//! and the facts read from it (blobs, child manifests, subject) are the descriptors it lists.

use serde_json::Value;
use stowage_docker::manifest::{DEFAULT_MAX_MANIFEST_BYTES, Manifest};
use stowage_docker::{Digest, ErrorCode, media_types};

/// Input: the `Content-Type` header, a newline, then the body.
pub fn check(data: &[u8]) {
    let (content_type, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let Some(content_type) = super::text(content_type) else {
        return;
    };
    let m = match Manifest::parse(content_type, body, DEFAULT_MAX_MANIFEST_BYTES) {
        Ok(m) => m,
        Err(e) => {
            assert_eq!(e.code, ErrorCode::ManifestInvalid, "{}", e.detail);
            assert_eq!(e.status(), 400);
            return;
        }
    };
    assert!(
        media_types::is_supported_manifest(&m.media_type),
        "{}",
        m.media_type
    );
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if media_types::is_supported_manifest(essence) {
        assert_eq!(m.media_type, essence, "the Content-Type is the media type");
    }
    let json: Value = serde_json::from_slice(body).expect("an accepted manifest is JSON");
    assert_eq!(json["schemaVersion"], 2);
    if let Some(declared) = json["mediaType"].as_str() {
        assert_eq!(declared, m.media_type, "the declared mediaType is kept");
    }
    let digests = |v: &Value| -> Vec<Digest> {
        v.as_array()
            .map(|a| a.iter().map(digest_of).collect())
            .unwrap_or_default()
    };
    if media_types::is_index(&m.media_type) {
        assert!(m.blobs.is_empty());
        assert_eq!(m.manifests, digests(&json["manifests"]));
    } else {
        assert!(m.manifests.is_empty());
        let mut blobs = vec![digest_of(&json["config"])];
        blobs.extend(digests(&json["layers"]));
        assert_eq!(m.blobs, blobs);
    }
    assert_eq!(
        m.subject,
        json.get("subject").filter(|s| !s.is_null()).map(digest_of)
    );
    // Parsing is a function of the input, and the size limit is exact.
    let again = Manifest::parse(content_type, body, body.len()).expect("accepted at its own size");
    assert_eq!(again, m);
    if let Some(one_less) = body.len().checked_sub(1) {
        let e = Manifest::parse(content_type, body, one_less).expect_err("over the limit");
        assert_eq!(e.status(), 413);
    }
}

fn digest_of(descriptor: &Value) -> Digest {
    let d = descriptor["digest"]
        .as_str()
        .expect("a descriptor's digest");
    Digest::parse(d).expect("an accepted descriptor's digest is valid")
}
