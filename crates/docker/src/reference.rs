//! Parse, don't validate: image names, tags, digests and references exactly as the OCI
//! Distribution Spec's grammar allows them. Each constructor rejects anything else.

use crate::errors::{ErrorCode, RegistryError};
use std::fmt;
use stowage_core::Sha256;

/// Longest repository name accepted (the spec suggests clients keep `host/name` under 255).
pub const MAX_NAME_LEN: usize = 255;

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// One path component: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: '.', '_', '__' or one or more '-'.
        let start = i;
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < b.len() && b[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < b.len() && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
        if i == start || i >= b.len() || !is_alnum(b[i]) {
            return false;
        }
    }
    true
}

/// An image (repository) name such as `library/alpine`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageName(String);

impl ImageName {
    /// Parses a name: `/`-separated components of the spec's grammar.
    pub fn parse(s: &str) -> Result<Self, RegistryError> {
        if s.len() > MAX_NAME_LEN {
            return Err(RegistryError::new(
                ErrorCode::NameInvalid,
                format!("name is longer than {MAX_NAME_LEN} characters"),
            ));
        }
        if !s.split('/').all(valid_component) {
            return Err(RegistryError::new(
                ErrorCode::NameInvalid,
                format!(
                    "invalid name {s:?}: lowercase letters and digits separated by '.', '_', '__', '-' or '/'"
                ),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `-`: Nexus's name for a repository's shared blob folder (`v2/-/blobs/<digest>`), valid
    /// only in blob paths.
    pub fn repository_wide() -> Self {
        Self("-".to_owned())
    }
}

impl fmt::Display for ImageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    /// Parses a tag.
    pub fn parse(s: &str) -> Result<Self, RegistryError> {
        let b = s.as_bytes();
        let ok = !b.is_empty()
            && b.len() <= 128
            && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
            && b[1..]
                .iter()
                .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
        if !ok {
            return Err(RegistryError::new(
                ErrorCode::ManifestInvalid,
                format!(
                    "invalid tag {s:?}: up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'"
                ),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A content digest. Only `sha256` is supported (the algorithm every client uses); `sha512`
/// is recognised and refused as unsupported.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(Sha256);

impl Digest {
    /// Parses `sha256:<64 lowercase hex>`.
    pub fn parse(s: &str) -> Result<Self, RegistryError> {
        let Some((algorithm, hex)) = s.split_once(':') else {
            return Err(RegistryError::new(
                ErrorCode::DigestInvalid,
                format!("invalid digest {s:?}: expected algorithm:hex"),
            ));
        };
        let sha512 = || {
            hex.len() == 128
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        match algorithm {
            "sha256" if Sha256::is_hex(hex) => {
                Ok(Self(Sha256::parse(s).map_err(|e| {
                    RegistryError::new(ErrorCode::DigestInvalid, e.to_string())
                })?))
            }
            "sha512" if sha512() => Err(RegistryError::new(
                ErrorCode::Unsupported,
                "sha512 digests are not supported; use sha256",
            )),
            _ => Err(RegistryError::new(
                ErrorCode::DigestInvalid,
                format!("invalid digest {s:?}: expected sha256 and 64 lowercase hex digits"),
            )),
        }
    }

    /// A sha256 digest from its lowercase hex.
    pub fn from_sha256_hex(hex: &str) -> Result<Self, RegistryError> {
        Self::parse(&format!("sha256:{hex}"))
    }

    /// The hex part.
    pub fn hex(&self) -> &str {
        self.0.hex()
    }

    /// The whole digest, `sha256:…`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The core's sha256 this digest names.
    pub fn sha256(&self) -> &Sha256 {
        &self.0
    }
}

impl From<Sha256> for Digest {
    fn from(sha256: Sha256) -> Self {
        Self(sha256)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a manifest URL names: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// By tag.
    Tag(Tag),
    /// By digest.
    Digest(Digest),
}

impl Reference {
    /// A reference containing `:` is a digest, anything else a tag.
    pub fn parse(s: &str) -> Result<Self, RegistryError> {
        if s.contains(':') {
            Digest::parse(s).map(Self::Digest)
        } else {
            Tag::parse(s).map(Self::Tag)
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(t) => t.fmt(f),
            Self::Digest(d) => d.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in [
            "alpine",
            "library/alpine",
            "a.b_c__d---e/f0",
            "x/y/z",
            "my-app",
        ] {
            assert!(ImageName::parse(ok).is_ok(), "{ok} refused");
        }
        for bad in [
            "", "Alpine", "a//b", "/a", "a/", "a..b", "a___b", "-a", "a-", "a_", ".a", "a b",
            "a/../b", "a:b", "é",
        ] {
            let e = ImageName::parse(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::NameInvalid, "{bad:?}");
        }
        assert!(ImageName::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn tags() {
        for ok in ["latest", "v1.0.0", "_x", "A-b_c.d", &"t".repeat(128)] {
            assert!(Tag::parse(ok).is_ok(), "{ok} refused");
        }
        for bad in ["", ".x", "-x", "a/b", "a:b", &"t".repeat(129)] {
            assert!(Tag::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn digests() {
        let hex = "a".repeat(64);
        let d = Digest::parse(&format!("sha256:{hex}")).unwrap();
        assert_eq!(d.hex(), hex);
        assert_eq!(Digest::from_sha256_hex(&hex).unwrap(), d);
        for bad in [
            "sha256:".to_owned(),
            format!("sha256:{}", "A".repeat(64)),
            format!("sha256:{}", "a".repeat(63)),
            format!("md5:{}", "a".repeat(32)),
            "a".repeat(64),
        ] {
            assert_eq!(
                Digest::parse(&bad).unwrap_err().code,
                ErrorCode::DigestInvalid,
                "{bad}"
            );
        }
        let e = Digest::parse(&format!("sha512:{}", "b".repeat(128))).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unsupported);
    }

    #[test]
    fn references() {
        assert!(matches!(
            Reference::parse("latest").unwrap(),
            Reference::Tag(_)
        ));
        let d = format!("sha256:{}", "0".repeat(64));
        assert!(matches!(
            Reference::parse(&d).unwrap(),
            Reference::Digest(_)
        ));
        assert!(Reference::parse("sha256:zz").is_err());
    }
}
