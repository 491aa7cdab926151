//! Validated names: parse, don't validate. Each constructor rejects what could not be stored safely.

use crate::CoreError;
use std::fmt;

/// A repository name as Nexus allows it: letters, digits, `.`, `-`, `_`; not starting with `.` or `_`.
///
/// Names keep the case they were created with, but two names that differ only in case name the
/// same repository, as in Nexus: [`same_repository`] is the one rule, used by the catalogue's
/// lookups (SQL `lower(name)`, with a unique index on it), by privilege matching (which ignores
/// ASCII case in every part, as Shiro does) and by group member checks.
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

/// Whether `a` and `b` name the same repository: equal ignoring ASCII case. Names are ASCII
/// (see [`RepositoryName::parse`]), so this agrees with SQL `lower()` on both catalogues.
pub fn same_repository(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
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

    #[test]
    fn names_that_differ_only_in_case_are_the_same_repository() {
        assert!(same_repository("dupe", "DUPE"));
        assert!(same_repository("Sec-A", "sec-a"));
        assert!(!same_repository("sec-a", "sec-b"));
    }
}
