//! ID token verification: signature, issuer, audience, times and nonce.

use super::*;

/// Why an ID token was refused; [`Refusal::code`] is the reason answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a JWT, or its claims are not JSON.
    #[error("the ID token is malformed")]
    Malformed,
    /// `none`, HMAC or another algorithm not accepted.
    #[error("the ID token's algorithm is not accepted")]
    Algorithm,
    /// No key of the provider has the token's `kid`.
    #[error("the ID token is signed with a key the provider does not publish")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the ID token's signature does not verify")]
    Signature,
    /// `iss` is not the configured issuer.
    #[error("the ID token is from another issuer")]
    Issuer,
    /// `aud` does not contain the client id, or `azp` names another client.
    #[error("the ID token is for another client")]
    Audience,
    /// `exp` has passed.
    #[error("the ID token has expired")]
    Expired,
    /// `iat` is in the future.
    #[error("the ID token is issued in the future")]
    IssuedInFuture,
    /// `nonce` is not the one this login sent.
    #[error("the ID token's nonce is not this login's")]
    Nonce,
    /// A claim required is missing.
    #[error("the ID token lacks the claim {0}")]
    MissingClaim(String),
}

impl Refusal {
    /// The reason code answered and logged.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed => "MALFORMED",
            Refusal::Algorithm => "ALGORITHM",
            Refusal::UnknownKey => "UNKNOWN_KEY",
            Refusal::Signature => "SIGNATURE",
            Refusal::Issuer => "ISSUER",
            Refusal::Audience => "AUDIENCE",
            Refusal::Expired => "EXPIRED",
            Refusal::IssuedInFuture => "ISSUED_IN_FUTURE",
            Refusal::Nonce => "NONCE",
            Refusal::MissingClaim(_) => "MISSING_CLAIM",
        }
    }
}

/// The asymmetric algorithms accepted; `none` and HS* never are.
const ACCEPTED: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Verifies an ID token: signature against `jwks` (RSA or ECDSA only),
/// `iss` == `issuer`, `aud` contains `client_id` (and `azp` is
/// `client_id` when present or when there are several audiences), `exp`
/// in the future and `iat` not in the future (60 s leeway each), `nonce` ==
/// `nonce`. Returns the token's claims.
pub fn verify_id_token(
    token: &str,
    jwks: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<Map<String, Value>, Refusal> {
    let now = chrono::Utc::now().timestamp();
    verify_id_token_at(token, jwks, issuer, client_id, nonce, now)
}

/// [`verify_id_token`] as if the time were `now` (Unix seconds), for
/// `exp` and `iat`.
pub fn verify_id_token_at(
    token: &str,
    jwks: &JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<Map<String, Value>, Refusal> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Malformed)?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(Refusal::Algorithm);
    }
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or(Refusal::UnknownKey)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| Refusal::UnknownKey)?;
    let mut validation = Validation::new(header.alg);
    validation.leeway = LEEWAY_SECONDS;
    // `exp` is checked below against `now`.
    validation.validate_exp = false;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    let data =
        jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(|error| {
            use jsonwebtoken::errors::ErrorKind;
            match error.kind() {
                ErrorKind::InvalidSignature => Refusal::Signature,
                ErrorKind::ExpiredSignature => Refusal::Expired,
                ErrorKind::InvalidIssuer => Refusal::Issuer,
                ErrorKind::InvalidAudience => Refusal::Audience,
                ErrorKind::InvalidAlgorithm | ErrorKind::UnsupportedAlgorithm => Refusal::Algorithm,
                ErrorKind::MissingRequiredClaim(claim) => Refusal::MissingClaim(claim.clone()),
                _ => Refusal::Malformed,
            }
        })?;
    let claims = data.claims;
    let now = u64::try_from(now).unwrap_or_default();
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or_else(|| Refusal::MissingClaim("exp".to_owned()))?;
    if exp + LEEWAY_SECONDS <= now {
        return Err(Refusal::Expired);
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or_else(|| Refusal::MissingClaim("iat".to_owned()))?;
    if iat > now + LEEWAY_SECONDS {
        return Err(Refusal::IssuedInFuture);
    }
    let audiences: HashSet<&str> = match claims.get("aud") {
        Some(Value::String(one)) => HashSet::from([one.as_str()]),
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => HashSet::new(),
    };
    let azp = claims.get("azp").and_then(Value::as_str);
    if azp.is_some_and(|azp| azp != client_id) || (audiences.len() > 1 && azp.is_none()) {
        return Err(Refusal::Audience);
    }
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err(Refusal::Nonce);
    }
    Ok(claims)
}
