//! Which Distribution API endpoint a path names, parsed from its end as the spec's patterns are
//! anchored there (an image name may itself contain `blobs` or `manifests` components).
//!
//! A manifest reference that is neither a tag nor a digest names nothing that could be stored,
//! so reading or deleting by it is `MANIFEST_UNKNOWN` (404, as distribution answers); only a
//! `PUT` under it is `MANIFEST_INVALID` (400), since that asks to store something under it.

use crate::errors::{ErrorCode, RegistryError};
use crate::reference::{Digest, ImageName, Reference};
use actix_web::http::Method;

impl Route {
    /// The image the endpoint addresses.
    pub fn image(&self) -> &ImageName {
        match self {
            Route::Tags(n)
            | Route::Manifest(n, _)
            | Route::StartUpload(n)
            | Route::Upload(n, _)
            | Route::Blob(n, _)
            | Route::Referrers(n, _) => n,
        }
    }
}

/// A parsed endpoint below `/v2/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `<name>/tags/list`
    Tags(ImageName),
    /// `<name>/manifests/<reference>`
    Manifest(ImageName, Reference),
    /// `<name>/blobs/uploads/`
    StartUpload(ImageName),
    /// `<name>/blobs/uploads/<id>`
    Upload(ImageName, String),
    /// `<name>/blobs/<digest>`
    Blob(ImageName, Digest),
    /// `<name>/referrers/<digest>`
    Referrers(ImageName, Digest),
}

fn name(segments: &[&str]) -> Result<ImageName, RegistryError> {
    ImageName::parse(&segments.join("/"))
}

/// A manifest reference as the request's `method` needs it: a malformed one is unknown to a
/// lookup (`GET`, `HEAD`, `DELETE`) and invalid to anything that would store it.
fn manifest_reference(method: &Method, s: &str) -> Result<Reference, RegistryError> {
    Reference::parse(s).map_err(|e| {
        if matches!(*method, Method::GET | Method::HEAD | Method::DELETE) {
            RegistryError::new(
                ErrorCode::ManifestUnknown,
                format!("no manifest can be stored under {s:?}: {}", e.detail),
            )
        } else {
            e
        }
    })
}

/// Parses the path after `/v2/` (and after the repository segment when path-routed) of a
/// request with `method`.
pub fn parse(method: &Method, path: &str) -> Result<Route, RegistryError> {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let segs: Vec<&str> = decoded.split('/').collect();
    let n = segs.len();
    let unknown = || {
        RegistryError::new(
            ErrorCode::Unsupported,
            format!("no Distribution API endpoint at /v2/{decoded}"),
        )
    };
    if n >= 3 && segs[n - 2] == "tags" && segs[n - 1] == "list" {
        return Ok(Route::Tags(name(&segs[..n - 2])?));
    }
    if n >= 4 && segs[n - 3] == "blobs" && segs[n - 2] == "uploads" {
        let image = name(&segs[..n - 3])?;
        return Ok(if segs[n - 1].is_empty() {
            Route::StartUpload(image)
        } else {
            Route::Upload(image, segs[n - 1].to_owned())
        });
    }
    if n >= 3 && segs[n - 2] == "blobs" && segs[n - 1] == "uploads" {
        return Ok(Route::StartUpload(name(&segs[..n - 2])?));
    }
    if n >= 3 {
        let last = segs[n - 1];
        match segs[n - 2] {
            "manifests" => {
                return Ok(Route::Manifest(
                    name(&segs[..n - 2])?,
                    manifest_reference(method, last)?,
                ));
            }
            "blobs" => {
                let image = if segs[..n - 2] == ["-"] {
                    ImageName::repository_wide()
                } else {
                    name(&segs[..n - 2])?
                };
                return Ok(Route::Blob(image, Digest::parse(last)?));
            }
            "referrers" => {
                return Ok(Route::Referrers(
                    name(&segs[..n - 2])?,
                    Digest::parse(last)?,
                ));
            }
            _ => {}
        }
    }
    Err(unknown())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let d = format!("sha256:{}", "a".repeat(64));
        assert!(
            matches!(parse(&Method::GET, "alpine/tags/list").unwrap(), Route::Tags(n) if n.as_str() == "alpine")
        );
        assert!(
            matches!(parse(&Method::GET, "library/alpine/manifests/latest").unwrap(),
            Route::Manifest(n, Reference::Tag(_)) if n.as_str() == "library/alpine")
        );
        assert!(matches!(
            parse(&Method::GET, &format!("a/manifests/{d}")).unwrap(),
            Route::Manifest(_, Reference::Digest(_))
        ));
        assert!(
            matches!(parse(&Method::GET, "a/b/blobs/uploads/").unwrap(), Route::StartUpload(n) if n.as_str() == "a/b")
        );
        assert!(matches!(
            parse(&Method::GET, "a/blobs/uploads").unwrap(),
            Route::StartUpload(_)
        ));
        assert!(
            matches!(parse(&Method::GET, "a/blobs/uploads/abc").unwrap(), Route::Upload(_, id) if id == "abc")
        );
        assert!(matches!(
            parse(&Method::GET, &format!("a/blobs/{d}")).unwrap(),
            Route::Blob(..)
        ));
        assert!(matches!(
            parse(&Method::GET, &format!("a/referrers/{d}")).unwrap(),
            Route::Referrers(..)
        ));
        // Nexus's repository-wide blob path.
        assert!(
            matches!(parse(&Method::GET, &format!("-/blobs/{d}")).unwrap(), Route::Blob(n, _) if n.as_str() == "-")
        );
        assert!(parse(&Method::GET, "-/manifests/v1").is_err());
        // An image may be called "blobs".
        assert!(
            matches!(parse(&Method::GET, "blobs/manifests/v1").unwrap(), Route::Manifest(n, _) if n.as_str() == "blobs")
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse(&Method::GET, "Alpine/tags/list").unwrap_err().code,
            ErrorCode::NameInvalid
        );
        assert_eq!(
            parse(&Method::GET, "a/blobs/sha256:zz").unwrap_err().code,
            ErrorCode::DigestInvalid
        );
        // A malformed reference: nothing to find by it, nothing may be stored under it.
        for (method, code) in [
            (Method::GET, ErrorCode::ManifestUnknown),
            (Method::HEAD, ErrorCode::ManifestUnknown),
            (Method::DELETE, ErrorCode::ManifestUnknown),
            (Method::PUT, ErrorCode::ManifestInvalid),
        ] {
            for reference in ["-bad", ".INVALID_MANIFEST_NAME"] {
                let e = parse(&method, &format!("a/manifests/{reference}")).unwrap_err();
                assert_eq!(e.code, code, "{method} {reference}");
            }
        }
        let e = parse(&Method::GET, "a/manifests/sha256:zz").unwrap_err();
        assert_eq!(e.code, ErrorCode::ManifestUnknown);
        let e = parse(&Method::PUT, "a/manifests/sha256:zz").unwrap_err();
        assert_eq!(e.code, ErrorCode::DigestInvalid);
        assert_eq!(
            parse(&Method::GET, "a/whatever").unwrap_err().code,
            ErrorCode::Unsupported
        );
    }
}

/// A route parsed by the `/v2` routing, kept in the request's extensions with the path it was
/// parsed from, so the recipe (and a group's members) do not parse it again.
#[derive(Clone)]
struct Parsed {
    path: String,
    route: Result<Route, RegistryError>,
}

/// Parses `path` for `req` as [`parse`] does and keeps the result in the request for [`parsed`].
pub fn parse_into(req: &actix_web::HttpRequest, path: &str) -> Result<Route, RegistryError> {
    use actix_web::HttpMessage;
    let route = parse(req.method(), path);
    req.extensions_mut().insert(Parsed {
        path: path.to_owned(),
        route: route.clone(),
    });
    route
}

/// The route of `req` at `path`: the one [`parse_into`] kept, or parsed now.
pub fn parsed(req: &actix_web::HttpRequest, path: &str) -> Result<Route, RegistryError> {
    use actix_web::HttpMessage;
    if let Some(p) = req.extensions().get::<Parsed>()
        && p.path == path
    {
        return p.route.clone();
    }
    parse(req.method(), path)
}
