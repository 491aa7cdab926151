//! User tokens: named, expiring secrets a user creates for CI and uses as the password for
//! `docker login` and HTTP Basic. Only their sha256 is stored; the token itself is shown once.
//! A token carries 244 random bits, so a plain hash lookup is safe (no argon2 needed).

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Every token starts with this, which tells it apart from a password.
pub const PREFIX: &str = "stw_";

/// A stored token (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserToken {
    /// Id, for listing and revoking.
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// The owner's name for it ("gitlab-ci").
    pub name: String,
    /// Creation time, ms since the epoch.
    pub created: i64,
    /// Expiry, ms since the epoch; `None` never expires.
    pub expires: Option<i64>,
    /// Last successful use, ms since the epoch.
    pub last_used: Option<i64>,
}

impl UserToken {
    /// Whether the token has expired at `now` (ms).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires.is_some_and(|e| e <= now)
    }
}

/// A new random token.
pub fn generate() -> String {
    format!(
        "{PREFIX}{}{}",
        super::password::random_secret(),
        super::password::random_secret()
    )
}

/// Whether `secret` has a token's shape.
pub fn looks_like_token(secret: &str) -> bool {
    secret.len() == PREFIX.len() + 64
        && secret.starts_with(PREFIX)
        && secret[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
}

/// What is stored for `token`.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_hash() {
        let t = generate();
        assert!(looks_like_token(&t), "{t}");
        assert!(!looks_like_token("stw_short"));
        assert!(!looks_like_token("a-normal-password"));
        assert_ne!(generate(), t);
        assert_eq!(hash(&t).len(), 64);
        assert_ne!(hash(&t), t);
    }
}
