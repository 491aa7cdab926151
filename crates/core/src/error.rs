//! The core's error type. It says what went wrong in domain terms; the server maps it to HTTP once.

/// Result with [`CoreError`].
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// Everything the core can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// Input was rejected; `field` names the offending field or parameter.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field, parameter or path that was wrong.
        field: String,
        /// What is wrong with it, for a person.
        message: String,
    },
    /// Something named does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with what is stored (a name taken, a write policy refusing).
    #[error("{0}")]
    Conflict(String),
    /// No or wrong credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Credentials are fine but the caller lacks the privilege.
    #[error("{0}")]
    Forbidden(String),
    /// The catalogue database failed.
    #[error("catalogue error")]
    Database(#[from] sqlx::Error),
    /// A migration failed at start-up.
    #[error("catalogue migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A blob store failed.
    #[error("blob store error")]
    Storage(#[from] object_store::Error),
    /// Local I/O failed.
    #[error("i/o error")]
    Io(#[from] std::io::Error),
    /// The upload stream from the client broke off.
    #[error("upload interrupted: {0}")]
    Interrupted(String),
    /// Uploaded content did not match the digest the client declared.
    #[error("digest mismatch: expected sha256:{expected}, content is sha256:{actual}")]
    DigestMismatch {
        /// Declared hex sha256.
        expected: String,
        /// Computed hex sha256.
        actual: String,
    },
    /// Too many failed sign-ins from this address for this user; retry after the duration.
    #[error("too many failed sign-ins; try again in {} seconds", .0.as_secs().max(1))]
    Throttled(std::time::Duration),
    /// The repository (or what it depends on) cannot serve now: offline, or every member of a
    /// group failed. Answered 503 with the message.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else unexpected.
    #[error("{0}")]
    Internal(String),
}

/// `e` and its causes, joined with ": ".
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

impl CoreError {
    /// A validation error for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_joins_every_source() {
        let io = std::io::Error::other("disk on fire");
        assert_eq!(chain(&io), "disk on fire");
        let e = CoreError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            CoreError::Internal("inner".into()),
        ));
        assert_eq!(chain(&e), "i/o error: inner");
    }
}
