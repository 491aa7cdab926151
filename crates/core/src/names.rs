//! Validated names: parse, don't validate. Each constructor rejects what could not be stored safely.

use crate::CoreError;
use std::fmt;

/// A repository name as Nexus allows it: letters, digits, `.`, `-`, `_`; not starting with `.` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepositoryName(String);

impl RepositoryName {
    /// Longest name accepted.
    pub const MAX_LEN: usize = 200;

    /// Parses a repository name, naming the `name` field in the error.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let err = |m: &str| CoreError::invalid("name", m);
        if s.is_empty() {
            return Err(err("must not be empty"));
        }
        if s.len() > Self::MAX_LEN {
            return Err(err("must be at most 200 characters"));
        }
        if s.starts_with('.') || s.starts_with('_') {
            return Err(err("must not start with '.' or '_'"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(err("may only contain letters, digits, '.', '-' and '_'"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A blob store name: same alphabet as repository names.
pub fn parse_blob_store_name(s: &str) -> Result<String, CoreError> {
    RepositoryName::parse(s).map(|n| n.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_nexus_style_names() {
        for ok in ["raw-hosted", "docker.io", "a_b", "R1"] {
            assert_eq!(RepositoryName::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn rejects_bad_names() {
        for bad in ["", ".hidden", "_x", "a/b", "a b", "../x", "x\0"] {
            assert!(RepositoryName::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(RepositoryName::parse(&"a".repeat(201)).is_err());
    }
}
