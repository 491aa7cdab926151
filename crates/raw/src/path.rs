//! Paths inside a raw repository: parsed once, rejecting anything that could escape or alias.

use stowage_core::CoreError;

/// A safe, normalised file path inside a raw repository (no leading `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPath(String);

impl RawPath {
    /// Longest path accepted, in bytes.
    pub const MAX_LEN: usize = 1024;

    /// Parses the still percent-encoded path after `/repository/<name>/`. Rejects `..` and `.`
    /// segments (also when percent-encoded), empty segments (`//`), NUL and other control
    /// characters, backslashes, a `%` not followed by two hex digits, invalid UTF-8 and over-long
    /// paths.
    pub fn parse(encoded: &str) -> Result<Self, CoreError> {
        let err = |m: &str| CoreError::invalid("path", m);
        // The decoder below keeps a malformed escape as it is, so `%zz` would be stored under a
        // name no client meant; `%` itself is sent as `%25`.
        let bytes = encoded.as_bytes();
        for (i, _) in encoded.match_indices('%') {
            let hex = bytes.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return Err(err(
                    "has a '%' that does not start a percent escape of two hex digits; send '%' as '%25'",
                ));
            }
        }
        let decoded = percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .map_err(|_| err("is not valid UTF-8"))?;
        if decoded.is_empty() {
            return Err(err("is empty; give a file path after the repository name"));
        }
        if decoded.len() > Self::MAX_LEN {
            return Err(err("is longer than 1024 bytes"));
        }
        if decoded.chars().any(|c| c.is_control()) {
            return Err(err("must not contain NUL or control characters"));
        }
        if decoded.contains('\\') {
            return Err(err("must not contain backslashes"));
        }
        if decoded.ends_with('/') {
            return Err(err("names a directory; give a file path"));
        }
        for seg in decoded.split('/') {
            match seg {
                "" => {
                    return Err(err(
                        "must not contain empty segments ('//') or start with '/'",
                    ));
                }
                "." | ".." => return Err(err("must not contain '.' or '..' segments")),
                _ => {}
            }
        }
        Ok(Self(decoded.into_owned()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last segment.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// Nexus's raw component group: `/` plus the directory (`/` for top-level files).
    pub fn group(&self) -> String {
        match self.0.rsplit_once('/') {
            Some((dir, _)) => format!("/{dir}"),
            None => "/".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_paths() {
        let p = RawPath::parse("releases/v1.0/app%20x.tar.gz").unwrap();
        assert_eq!(p.as_str(), "releases/v1.0/app x.tar.gz");
        assert_eq!(p.file_name(), "app x.tar.gz");
        assert_eq!(p.group(), "/releases/v1.0");
        assert_eq!(RawPath::parse("top.txt").unwrap().group(), "/");
        assert!(RawPath::parse("a/..b/c..").is_ok());
        assert_eq!(RawPath::parse("50%25%2Bx").unwrap().as_str(), "50%+x");
    }

    #[test]
    fn rejects_traversal_and_junk() {
        for bad in [
            "",
            "../etc/passwd",
            "a/../b",
            "a/./b",
            "%2e%2e/x",
            "a/%2E%2E/b",
            "a//b",
            "/a",
            "a%2f%2fb",
            "a%00b",
            "a/",
            "a\\b",
            "%ff",
            ".",
            "%zz",
            "a/%4",
            "a%2",
            "%g0/b",
            "100%",
        ] {
            assert!(RawPath::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(RawPath::parse(&"a".repeat(1025)).is_err());
    }
}
