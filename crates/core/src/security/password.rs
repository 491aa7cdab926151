//! argon2id password hashing. Both functions are CPU-heavy by design: call them off the async
//! runtime (`tokio::task::spawn_blocking`).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory per hash, KiB. OWASP lists argon2id with m = 7 MiB, t = 5, p = 1 as equal in strength
/// to its m = 19 MiB, t = 2 default: the same work in a third of the memory, which a registry
/// answering many sign-ins at once (and staying within its memory budget) prefers.
const MEMORY_KIB: u32 = 7 * 1024;
/// Passes over the memory.
const ITERATIONS: u32 = 5;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` to a PHC string (`$argon2id$v=19$…`) with a random salt.
pub fn hash(password: &str) -> String {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// Whether `password` matches the PHC string `phc` (whose own parameters apply, so hashes
/// made with other settings still verify).
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A random secret of 32 hex characters (122 bits of randomness from the OS).
pub fn random_secret() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHasher;

    #[test]
    fn hash_then_verify() {
        let h = super::hash("s3cret");
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        assert!(super::verify(&h, "s3cret"));
        assert!(!super::verify(&h, "wrong"));
        assert!(!super::verify("garbage", "s3cret"));
        // A hash made with the crate's default parameters (m=19456, t=2) still verifies.
        let old = argon2::Argon2::default()
            .hash_password(b"s3cret")
            .unwrap()
            .to_string();
        assert!(old.contains("m=19456"));
        assert!(super::verify(&old, "s3cret"));
    }
}
