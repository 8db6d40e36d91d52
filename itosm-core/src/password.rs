//! Local passwords: argon2id hashes in the PHC string format
//! (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), made and checked off the async
//! runtime's threads (hashing is deliberately slow). The hash never leaves
//! the store's password methods; the password never leaves this module.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::CoreError;

/// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` with a fresh random salt.
pub async fn hash(password: String) -> Result<String, CoreError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| CoreError::Internal(format!("hashing a password: {e}")))
    })
    .await
    .map_err(|e| CoreError::Internal(format!("hashing a password: {e}")))?
}

/// Whether `password` matches `hash` (constant-time). A malformed stored
/// hash never matches.
pub async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// A hash of nothing anyone knows, checked against when the user does not
/// exist or has no password, so that such attempts take as long as real
/// ones (no user enumeration by timing).
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$YWJjZGVmZ2hpamtsbW5vcA$0S+DV1Ei8dRCXSwaDVE9WH8oHb1mI2nyfr3YzlJyQuk";

/// A random temporary password for an admin's reset: 20 characters from an
/// unambiguous alphabet (about 114 bits).
pub fn temporary() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hashed = hash("correct horse battery".into()).await.expect("hash");
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), hashed.clone()).await);
        assert!(!verify("correct horse battery!".into(), hashed.clone()).await);
        assert!(!verify("anything".into(), "not a hash".into()).await);
        assert_ne!(
            hash("correct horse battery".into()).await.expect("hash"),
            hashed,
            "salted"
        );
    }

    #[tokio::test]
    async fn the_decoy_is_a_valid_hash_nobody_matches() {
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify(String::new(), DECOY_HASH.into()).await);
    }

    #[test]
    fn temporary_passwords_are_long_and_varied() {
        let a = temporary();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, temporary());
    }
}
