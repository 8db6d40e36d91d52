//! Signed, expiring session tokens.
//!
//! A token is `v1.<claims>.<signature>`: base64url (no padding) of the JSON
//! claims, and of their HMAC-SHA256 under the configured secret. Verification
//! is constant-time; expiry is checked against the caller's clock.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{Role, UserId};

/// Longest token accepted for verification; anything longer is refused unread.
pub const MAX_TOKEN_CHARS: usize = 1024;

/// Shortest accepted secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// What a token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: i64,
    /// The role at login (informational: the policy uses the stored role).
    pub role: Role,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
    /// The user's token generation at issue; a token from an earlier
    /// generation is refused (see [`crate::User::token_generation`]).
    /// Tokens issued before generations existed count as generation 0.
    #[serde(default)]
    pub generation: i64,
}

impl Claims {
    /// The bearer's id.
    pub fn user_id(&self) -> UserId {
        UserId(self.sub)
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of ours (shape, encoding or signature).
    #[error("invalid token")]
    Invalid,
    /// Once valid, now past its expiry.
    #[error("token expired")]
    Expired,
}

/// Why a signer could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token secret must be at least {MIN_SECRET_BYTES} bytes")]
pub struct WeakSecret;

/// Signs and verifies tokens with one secret.
#[derive(Clone)]
pub struct TokenSigner {
    secret: Vec<u8>,
    ttl: Duration,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("secret", &"[redacted]")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl TokenSigner {
    /// A signer with `secret` (at least 32 bytes) issuing tokens valid for `ttl`.
    pub fn new(secret: Vec<u8>, ttl: Duration) -> Result<Self, WeakSecret> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(WeakSecret);
        }
        Ok(TokenSigner { secret, ttl })
    }

    /// How long issued tokens live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length, so this cannot fail.
        match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => unreachable_hmac(),
        }
    }

    /// Issues a token for `user` with `role` under the user's token
    /// `generation`, valid from `now` for the TTL.
    pub fn issue(
        &self,
        user: UserId,
        role: Role,
        generation: i64,
        now: DateTime<Utc>,
    ) -> (String, DateTime<Utc>) {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user.0,
            role,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            generation,
        };
        // Serializing a struct of integers and a unit enum cannot fail.
        let json = serde_json::to_vec(&claims).unwrap_or_default();
        let body = URL_SAFE_NO_PAD.encode(json);
        let mut mac = self.mac();
        mac.update(b"v1.");
        mac.update(body.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        (format!("v1.{body}.{signature}"), expires_at)
    }

    /// Verifies `token` and returns its claims if it is ours and unexpired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_CHARS {
            return Err(TokenError::Invalid);
        }
        let mut pieces = token.split('.');
        let (Some("v1"), Some(body), Some(signature), None) =
            (pieces.next(), pieces.next(), pieces.next(), pieces.next())
        else {
            return Err(TokenError::Invalid);
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Invalid)?;
        let mut mac = self.mac();
        mac.update(b"v1.");
        mac.update(body.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::Invalid)?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| TokenError::Invalid)?;
        let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Invalid)?;
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cold]
fn unreachable_hmac() -> ! {
    // Hmac::new_from_slice only fails for fixed-size-key MACs; HMAC has none.
    panic!("HMAC-SHA256 refused a key, which it never does")
}

/// A fresh random secret, hex-encoded, for the embedded default.
pub fn generate_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> TokenSigner {
        TokenSigner::new(vec![7u8; 32], Duration::hours(1)).expect("strong secret")
    }

    #[test]
    fn a_token_verifies_until_it_expires() {
        let now = Utc::now();
        let (token, expires_at) = signer().issue(UserId(5), Role::Requester, 0, now);
        assert_eq!(expires_at, now + Duration::hours(1));
        let claims = signer().verify(&token, now).expect("valid");
        assert_eq!(claims.user_id(), UserId(5));
        assert_eq!(
            signer().verify(&token, now + Duration::hours(2)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn forged_tokens_are_refused() {
        let now = Utc::now();
        let (token, _) = signer().issue(UserId(5), Role::Requester, 0, now);
        let other = TokenSigner::new(vec![8u8; 32], Duration::hours(1)).expect("strong");
        assert_eq!(other.verify(&token, now), Err(TokenError::Invalid));

        // Swap in claims that promote the bearer, keeping the old signature.
        let pieces: Vec<&str> = token.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&Claims {
                sub: 1,
                role: Role::Admin,
                iat: 0,
                exp: i64::MAX,
                generation: 0,
            })
            .expect("json"),
        );
        let forged = format!("v1.{forged_claims}.{}", pieces[2]);
        assert_eq!(signer().verify(&forged, now), Err(TokenError::Invalid));

        for junk in [
            "",
            "v1",
            "v1..",
            "v2.a.b",
            "v1.a.b.c",
            "Bearer x",
            &"a".repeat(5000),
        ] {
            assert_eq!(
                signer().verify(junk, now),
                Err(TokenError::Invalid),
                "{junk}"
            );
        }
    }

    #[test]
    fn weak_secrets_are_refused_and_generated_ones_are_strong() {
        assert!(TokenSigner::new(b"short".to_vec(), Duration::hours(1)).is_err());
        let secret = generate_secret();
        assert_eq!(secret.len(), 64);
        assert!(TokenSigner::new(secret.into_bytes(), Duration::hours(1)).is_ok());
    }
}
