//! Which Distribution API endpoint a path names, parsed from its end as the spec's patterns are
//! anchored there (an image name may itself contain `blobs` or `manifests` components).

use crate::errors::{ErrorCode, RegistryError};
use crate::reference::{Digest, ImageName, Reference};

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
#[derive(Debug, PartialEq, Eq)]
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

/// Parses the path after `/v2/` (and after the repository segment when path-routed).
pub fn parse(path: &str) -> Result<Route, RegistryError> {
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
                    Reference::parse(last)?,
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
            matches!(parse("alpine/tags/list").unwrap(), Route::Tags(n) if n.as_str() == "alpine")
        );
        assert!(matches!(parse("library/alpine/manifests/latest").unwrap(),
            Route::Manifest(n, Reference::Tag(_)) if n.as_str() == "library/alpine"));
        assert!(matches!(
            parse(&format!("a/manifests/{d}")).unwrap(),
            Route::Manifest(_, Reference::Digest(_))
        ));
        assert!(
            matches!(parse("a/b/blobs/uploads/").unwrap(), Route::StartUpload(n) if n.as_str() == "a/b")
        );
        assert!(matches!(
            parse("a/blobs/uploads").unwrap(),
            Route::StartUpload(_)
        ));
        assert!(
            matches!(parse("a/blobs/uploads/abc").unwrap(), Route::Upload(_, id) if id == "abc")
        );
        assert!(matches!(
            parse(&format!("a/blobs/{d}")).unwrap(),
            Route::Blob(..)
        ));
        assert!(matches!(
            parse(&format!("a/referrers/{d}")).unwrap(),
            Route::Referrers(..)
        ));
        // Nexus's repository-wide blob path.
        assert!(
            matches!(parse(&format!("-/blobs/{d}")).unwrap(), Route::Blob(n, _) if n.as_str() == "-")
        );
        assert!(parse("-/manifests/v1").is_err());
        // An image may be called "blobs".
        assert!(
            matches!(parse("blobs/manifests/v1").unwrap(), Route::Manifest(n, _) if n.as_str() == "blobs")
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            parse("Alpine/tags/list").unwrap_err().code,
            ErrorCode::NameInvalid
        );
        assert_eq!(
            parse("a/blobs/sha256:zz").unwrap_err().code,
            ErrorCode::DigestInvalid
        );
        assert_eq!(
            parse("a/manifests/-bad").unwrap_err().code,
            ErrorCode::ManifestInvalid
        );
        assert_eq!(
            parse("a/whatever").unwrap_err().code,
            ErrorCode::Unsupported
        );
    }
}
