//! Docker image names, tags, digests and references, and the Distribution API routes built
//! from them, against the OCI Distribution Spec's regular expressions.

use actix_web::http::Method;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use regex_lite::Regex;
use std::sync::LazyLock;
use stowage_docker::reference::MAX_NAME_LEN;
use stowage_docker::route::{self, Route};
use stowage_docker::{Digest, ErrorCode, ImageName, Reference, Tag};

/// The spec's `<name>`: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
static NAME: LazyLock<Regex> = LazyLock::new(|| {
    let component = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*";
    Regex::new(&format!("^{component}(?:/{component})*$")).expect("name regex")
});
/// The spec's `<reference>` as a tag.
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$").expect("tag regex"));
static SHA256: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^sha256:[a-f0-9]{64}$").expect("sha256 regex"));
static SHA512: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^sha512:[a-f0-9]{128}$").expect("sha512 regex"));

/// Checks `data` as a name, a tag, a digest, a reference and a route path.
pub fn check(data: &[u8]) {
    let Some(s) = super::text(data) else {
        return;
    };
    name(s);
    tag(s);
    digest(s);
    reference(s);
    route_path(s);
}

fn name(s: &str) {
    let expected = s.len() <= MAX_NAME_LEN && NAME.is_match(s);
    match ImageName::parse(s) {
        Ok(n) => {
            assert!(expected, "name {s:?} accepted against the spec");
            assert_eq!(n.as_str(), s);
            assert_eq!(ImageName::parse(&n.to_string()).ok(), Some(n));
        }
        Err(e) => {
            assert!(!expected, "name {s:?} refused: {}", e.detail);
            assert_eq!(e.code, ErrorCode::NameInvalid);
            assert_eq!(e.status(), 400);
        }
    }
}

fn tag(s: &str) {
    let expected = TAG.is_match(s);
    match Tag::parse(s) {
        Ok(t) => {
            assert!(expected, "tag {s:?} accepted against the spec");
            assert_eq!(Tag::parse(&t.to_string()).ok(), Some(t));
        }
        Err(e) => {
            assert!(!expected, "tag {s:?} refused: {}", e.detail);
            assert_eq!(e.status(), 400);
        }
    }
}

fn digest(s: &str) {
    match Digest::parse(s) {
        Ok(d) => {
            assert!(SHA256.is_match(s), "digest {s:?} accepted");
            assert_eq!(d.as_str(), s);
            assert_eq!(d.hex(), &s[7..]);
            assert_eq!(Digest::from_sha256_hex(d.hex()).ok(), Some(d));
        }
        Err(e) if SHA512.is_match(s) => assert_eq!(e.code, ErrorCode::Unsupported),
        Err(e) => {
            assert!(!SHA256.is_match(s), "digest {s:?} refused: {}", e.detail);
            assert_eq!(e.code, ErrorCode::DigestInvalid);
        }
    }
}

fn reference(s: &str) {
    match Reference::parse(s) {
        Ok(r) => {
            match &r {
                Reference::Tag(_) => assert!(TAG.is_match(s)),
                Reference::Digest(_) => assert!(SHA256.is_match(s)),
            }
            assert_eq!(r.to_string(), s);
            assert_eq!(Reference::parse(&r.to_string()).ok(), Some(r));
        }
        Err(e) => {
            assert!(
                !TAG.is_match(s) && !SHA256.is_match(s),
                "{s:?}: {}",
                e.detail
            );
            assert!((400..500).contains(&e.status()), "{s:?}: {}", e.status());
        }
    }
}

/// A route renders back to a path that parses to the same route; what a write accepts, a read
/// routes the same way.
fn route_path(s: &str) {
    let Ok(r) = route::parse(&Method::PUT, s) else {
        return;
    };
    assert_eq!(
        route::parse(&Method::GET, s).ok().as_ref(),
        Some(&r),
        "{s:?}: a read routes as a write"
    );
    let image = r.image().clone();
    assert!(
        image == ImageName::repository_wide() || ImageName::parse(image.as_str()).is_ok(),
        "{s:?} routes to image {image}"
    );
    let path = match &r {
        Route::Tags(n) => format!("{n}/tags/list"),
        Route::Manifest(n, reference) => format!("{n}/manifests/{reference}"),
        Route::StartUpload(n) => format!("{n}/blobs/uploads/"),
        // The upload id is the one free-form segment: encode it, as a client would.
        Route::Upload(n, id) => format!(
            "{n}/blobs/uploads/{}",
            utf8_percent_encode(id, NON_ALPHANUMERIC)
        ),
        Route::Blob(n, d) => format!("{n}/blobs/{d}"),
        Route::Referrers(n, d) => format!("{n}/referrers/{d}"),
    };
    assert_eq!(
        route::parse(&Method::PUT, &path).ok(),
        Some(r),
        "{s:?} rendered as {path:?}"
    );
}
