//! Signed, expiring session tokens.
//!
//! A token is `v2.<key id>.<claims>.<signature>`: the id of the key that
//! signed it, base64url (no padding) of the JSON claims, and of the
//! HMAC-SHA256 of everything before the signature. Verification is
//! constant-time; expiry is checked against the caller's clock. Several keys
//! may verify (the current one and previous ones), so a secret can be
//! rotated without ending every session.

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

/// One signing key: its id (derived from the secret, so nothing to
/// configure) and the secret.
#[derive(Clone)]
struct SigningKey {
    id: String,
    secret: Vec<u8>,
}

impl SigningKey {
    fn new(secret: Vec<u8>) -> Result<Self, WeakSecret> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(WeakSecret);
        }
        Ok(SigningKey {
            id: key_id(&secret),
            secret,
        })
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length, so this cannot fail.
        match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(mac) => mac,
            Err(_) => unreachable_hmac(),
        }
    }
}

/// A key's id: the first 8 hex digits of the SHA-256 of its secret. It
/// names the key in each token without revealing anything usable.
pub fn key_id(secret: &[u8]) -> String {
    use sha2::Digest;
    crate::hex::lower_hex(&Sha256::digest(secret)[..4])
}

/// Signs tokens with the current secret and verifies them with it or with
/// any previous one, so a secret can be rotated without logging everyone
/// out: configure the new secret as current and keep the old one as
/// previous until the longest token lifetime has passed.
///
/// A token is `v2.<key id>.<claims>.<signature>`; the signature covers
/// everything before it. Tokens of the first format (`v1.<claims>.<sig>`,
/// no key id) are still verified against every key.
#[derive(Clone)]
pub struct TokenSigner {
    current: SigningKey,
    previous: Vec<SigningKey>,
    ttl: Duration,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("current_key", &self.current.id)
            .field(
                "previous_keys",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl TokenSigner {
    /// A signer with `secret` (at least 32 bytes) issuing tokens valid for `ttl`.
    pub fn new(secret: Vec<u8>, ttl: Duration) -> Result<Self, WeakSecret> {
        Self::with_previous(secret, Vec::new(), ttl)
    }

    /// A signer that signs with `current` and still accepts tokens signed
    /// with any of `previous` (each at least 32 bytes).
    pub fn with_previous(
        current: Vec<u8>,
        previous: Vec<Vec<u8>>,
        ttl: Duration,
    ) -> Result<Self, WeakSecret> {
        Ok(TokenSigner {
            current: SigningKey::new(current)?,
            previous: previous
                .into_iter()
                .map(SigningKey::new)
                .collect::<Result<_, _>>()?,
            ttl,
        })
    }

    /// How long issued tokens live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The id of the key new tokens are signed with.
    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    fn keys(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.current).chain(&self.previous)
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
        let signed = format!("v2.{}.{}", self.current.id, URL_SAFE_NO_PAD.encode(json));
        let mut mac = self.current.mac();
        mac.update(signed.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        (format!("{signed}.{signature}"), expires_at)
    }

    /// Verifies `token` and returns its claims if one of our keys signed it
    /// and it is unexpired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_CHARS {
            return Err(TokenError::Invalid);
        }
        let pieces: Vec<&str> = token.split('.').collect();
        let (signed_len, body, signature, candidates): (usize, &str, &str, Vec<&SigningKey>) =
            match pieces.as_slice() {
                ["v2", kid, body, signature] => (
                    "v2.".len() + kid.len() + 1 + body.len(),
                    body,
                    signature,
                    self.keys().filter(|k| k.id == *kid).collect(),
                ),
                ["v1", body, signature] => (
                    "v1.".len() + body.len(),
                    body,
                    signature,
                    self.keys().collect(),
                ),
                _ => return Err(TokenError::Invalid),
            };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Invalid)?;
        let signed = &token[..signed_len];
        let verified = candidates.iter().any(|key| {
            let mut mac = key.mac();
            mac.update(signed.as_bytes());
            mac.verify_slice(&signature).is_ok()
        });
        if !verified {
            return Err(TokenError::Invalid);
        }
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
    crate::hex::lower_hex(&bytes)
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
        let forged = format!("v2.{}.{forged_claims}.{}", pieces[1], pieces[3]);
        assert_eq!(signer().verify(&forged, now), Err(TokenError::Invalid));
        // Naming another key does not help either.
        let renamed = format!("v2.00000000.{}.{}", pieces[2], pieces[3]);
        assert_eq!(signer().verify(&renamed, now), Err(TokenError::Invalid));

        for junk in [
            "",
            "v1",
            "v1..",
            "v2.a.b",
            "v1.a.b.c",
            "v2.a.b",
            "v2.a.b.c.d",
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
    fn a_rotated_secret_keeps_earlier_tokens_working() {
        let now = Utc::now();
        let old = TokenSigner::new(vec![1u8; 32], Duration::hours(1)).expect("strong");
        let (before, _) = old.issue(UserId(9), Role::Agent, 0, now);
        let rotated =
            TokenSigner::with_previous(vec![2u8; 32], vec![vec![1u8; 32]], Duration::hours(1))
                .expect("strong");
        assert_eq!(rotated.verify(&before, now).map(|c| c.sub), Ok(9));
        let (after, _) = rotated.issue(UserId(9), Role::Agent, 0, now);
        assert!(after.starts_with(&format!("v2.{}.", rotated.current_key_id())));
        assert_ne!(rotated.current_key_id(), old.current_key_id());
        assert_eq!(
            old.verify(&after, now),
            Err(TokenError::Invalid),
            "the old key alone does not know the new one"
        );
        // Once the old secret is dropped, its tokens end.
        let done = TokenSigner::new(vec![2u8; 32], Duration::hours(1)).expect("strong");
        assert_eq!(done.verify(&before, now), Err(TokenError::Invalid));
        assert!(done.verify(&after, now).is_ok());
        assert!(
            TokenSigner::with_previous(vec![2u8; 32], vec![b"short".to_vec()], Duration::hours(1))
                .is_err()
        );
    }

    #[test]
    fn first_format_tokens_still_verify() {
        let now = Utc::now();
        let key = vec![7u8; 32];
        let claims = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&Claims {
                sub: 5,
                role: Role::Requester,
                iat: now.timestamp(),
                exp: now.timestamp() + 60,
                generation: 0,
            })
            .expect("json"),
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("hmac");
        mac.update(format!("v1.{claims}").as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let v1 = format!("v1.{claims}.{sig}");
        assert_eq!(signer().verify(&v1, now).map(|c| c.sub), Ok(5));
    }

    #[test]
    fn weak_secrets_are_refused_and_generated_ones_are_strong() {
        assert!(TokenSigner::new(b"short".to_vec(), Duration::hours(1)).is_err());
        let secret = generate_secret();
        assert_eq!(secret.len(), 64);
        assert!(TokenSigner::new(secret.into_bytes(), Duration::hours(1)).is_ok());
    }
}
