//! Checks Basic credentials without running argon2 on every request.
//!
//! A verified (user, password) pair is remembered for [`CACHE_TTL`] under the sha256 of the pair,
//! so a client that sends Basic credentials with each request (curl, docker with forceBasicAuth)
//! pays for argon2 once a minute, not per request. Changing or deleting a user forgets its entries.

use super::Principal;
use super::password;
use crate::catalogue::Catalogue;
use crate::model::UserStatus;
use crate::{CoreError, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a verified credential is trusted without re-checking its hash.
pub const CACHE_TTL: Duration = Duration::from_secs(60);

/// Verifies credentials against the catalogue's users.
pub struct Authenticator {
    catalogue: Catalogue,
    cache: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
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

    /// The principal for `user`/`pass`, or `Unauthenticated` (unknown user, wrong password or
    /// disabled account alike, so the answer does not reveal which).
    pub async fn basic(&self, user: &str, pass: &str) -> Result<Principal> {
        let key = Self::key(user, pass);
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((p, at)) = cache.get(&key)
                && at.elapsed() < CACHE_TTL
            {
                return Ok(p.clone());
            }
        }
        let found = self.catalogue.find_user(user).await?;
        let Some(u) = found.filter(|u| u.status == UserStatus::Active) else {
            // Spend the same time as a real check so timing does not reveal unknown users.
            let pass = pass.to_owned();
            let _ = tokio::task::spawn_blocking(move || password::verify(DUMMY_HASH, &pass)).await;
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
        let principal = Principal {
            user_id: u.user_id,
            roles: u.roles,
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (_, at)| at.elapsed() < CACHE_TTL);
        cache.insert(key, (principal.clone(), Instant::now()));
        Ok(principal)
    }

    /// Forgets cached credentials of `user_id` (after a password, role or status change).
    pub fn forget(&self, user_id: &str) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (p, _)| p.user_id != user_id);
    }
}

/// argon2id hash of a random string, verified against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c3Rvd2FnZWR1bW15c2FsdA$0y0gVZ9xWZPuMWIn7TNDQ4Fq6rEI0ZXl1L8FZTTD4Yk";
