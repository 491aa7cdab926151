//! Checks Basic credentials without running argon2 on every request.
//!
//! The password may be the user's password or one of the user's tokens (`stw_…`, see
//! [`super::user_tokens`]). A verified (user, password) pair is remembered for [`CACHE_TTL`]
//! under the sha256 of the pair, so a client that sends Basic credentials with each request
//! (curl, docker with forceBasicAuth) pays for argon2 once a minute, not per request. Changing,
//! disabling or deleting a user, or revoking a token, forgets its entries.

use super::password;
use super::user_tokens;
use crate::catalogue::Catalogue;
use crate::model::UserStatus;
use crate::{CoreError, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a verified credential is trusted without re-checking its hash.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// A user whose credentials checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// User id.
    pub user_id: String,
    /// The user's role ids.
    pub roles: Vec<String>,
    /// The id of the user token used, when it was one.
    pub token_id: Option<String>,
}

/// Verifies credentials against the catalogue's users and user tokens.
pub struct Authenticator {
    catalogue: Catalogue,
    cache: Mutex<HashMap<[u8; 32], (Identity, Instant)>>,
}

impl Authenticator {
    /// A verifier over `catalogue`'s users.
    pub fn new(catalogue: Catalogue) -> Self {
        Self {
            catalogue,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn key(user: &str, pass: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(user.as_bytes());
        h.update([0]);
        h.update(pass.as_bytes());
        h.finalize().into()
    }

    /// The cached identity for `user`/`pass`, when verified less than [`CACHE_TTL`] ago.
    pub fn cached(&self, user: &str, pass: &str) -> Option<Identity> {
        let key = Self::key(user, pass);
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(&key)
            .filter(|(_, at)| at.elapsed() < CACHE_TTL)
            .map(|(i, _)| i.clone())
    }

    /// The identity for `user`/`pass`, or `Unauthenticated` (unknown user, wrong password,
    /// expired token or disabled account alike, so the answer does not reveal which).
    pub async fn basic(&self, user: &str, pass: &str) -> Result<Identity> {
        if let Some(found) = self.cached(user, pass) {
            return Ok(found);
        }
        let identity = if user_tokens::looks_like_token(pass) {
            self.check_token(user, pass).await?
        } else {
            self.check_password(user, pass).await?
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
        cache.insert(Self::key(user, pass), (identity.clone(), Instant::now()));
        Ok(identity)
    }

    async fn check_password(&self, user: &str, pass: &str) -> Result<Identity> {
        let found = self.catalogue.find_user(user).await?;
        let Some(u) =
            found.filter(|u| u.status == UserStatus::Active && !u.password_hash.is_empty())
        else {
            // Spend the same time as a real check so timing does not reveal unknown users.
            let pass = pass.to_owned();
            let _ = tokio::task::spawn_blocking(move || password::verify(&DUMMY_HASH, &pass)).await;
            return Err(CoreError::Unauthenticated);
        };
        let hash = u.password_hash.clone();
        let pass = pass.to_owned();
        let ok = tokio::task::spawn_blocking(move || password::verify(&hash, &pass))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        if !ok {
            return Err(CoreError::Unauthenticated);
        }
        Ok(Identity {
            user_id: u.user_id,
            roles: u.roles,
            token_id: None,
        })
    }

    /// A user token: high-entropy, so a sha256 lookup is enough (no argon2).
    async fn check_token(&self, user: &str, token: &str) -> Result<Identity> {
        let hash = user_tokens::hash(token);
        let Some(t) = self.catalogue.find_user_token(&hash).await? else {
            return Err(CoreError::Unauthenticated);
        };
        if t.user_id != user || t.is_expired(crate::now_millis()) {
            return Err(CoreError::Unauthenticated);
        }
        let Some(u) = self
            .catalogue
            .find_user(user)
            .await?
            .filter(|u| u.status == UserStatus::Active)
        else {
            return Err(CoreError::Unauthenticated);
        };
        self.catalogue.touch_user_token(&t.id).await?;
        Ok(Identity {
            user_id: u.user_id,
            roles: u.roles,
            token_id: Some(t.id),
        })
    }

    /// Forgets cached credentials of `user_id` (after a password, role or status change, or a
    /// revoked token).
    pub fn forget(&self, user_id: &str) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (i, _)| i.user_id != user_id);
    }

    /// Forgets every cached credential (after a role or privilege change).
    pub fn forget_all(&self) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// A hash with the current parameters, verified against when the user does not exist, so the
/// answer takes as long as for a real user.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| password::hash(&password::random_secret()));
