//! Single sign-on with an OpenID Connect provider: the authorization code
//! flow with PKCE (S256), a random `state` and `nonce`.
//!
//! - `GET /api/auth/oidc/login?returnTo=/tickets/…` keeps state, nonce,
//!   PKCE verifier and `returnTo` in a signed (HMAC-SHA256), `HttpOnly`,
//!   `SameSite=Lax` cookie for ten minutes and sends the browser to the
//!   provider.
//! - `GET /api/auth/oidc/callback?code&state` checks the state against that
//!   cookie, exchanges the code, verifies the ID token
//!   ([`verify_id_token`]), logs the user in
//!   ([`itosm_core::Itosm::login_federated`]), sets the session cookie and
//!   answers 303 to `returnTo`.
//! - `GET /api/auth/oidc/logout` clears the session cookie and goes to the
//!   provider's `end_session_endpoint` when it has one.
//!
//! The provider's discovery document and keys are fetched at start and,
//! when the provider was down, again on the next SSO request (at most every
//! few seconds): a provider that is down answers the SSO routes 503 and
//! leaves the other logins alone.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use itosm_core::{ErrorCode, FederatedIdentity, Role};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::config::OidcConfig;

mod routes;
mod token;

pub(in crate::http) use routes::router;
pub use routes::safe_return_to;
pub use token::{Refusal, verify_id_token, verify_id_token_at};

/// The short-lived cookie that carries the flow's state to the callback.
pub const STATE_COOKIE: &str = "itosm_oidc";
/// Where the browser starts single sign-on.
pub const LOGIN_PATH: &str = "/api/auth/oidc/login";
/// Where the provider sends the browser back.
pub const CALLBACK_PATH: &str = "/api/auth/oidc/callback";
/// Where the browser logs out of itosm and the provider.
pub const LOGOUT_PATH: &str = "/api/auth/oidc/logout";

/// How long a started login may take.
const STATE_TTL_SECONDS: i64 = 600;
/// Seconds of clock difference allowed on `exp` and `iat`.
const LEEWAY_SECONDS: u64 = 60;
/// Least time between two discovery attempts while the provider is down.
const DISCOVERY_RETRY: Duration = Duration::from_secs(5);
/// Least time between two JWKS refetches for an unknown key id.
const JWKS_REFETCH: Duration = Duration::from_secs(30);
/// Longest `returnTo` kept.
const MAX_RETURN_TO: usize = 2048;

type HmacSha256 = Hmac<Sha256>;

/// What the provider's discovery document says (the fields used).
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    /// Must equal the configured issuer.
    pub issuer: String,
    /// Where the browser is sent to log in.
    pub authorization_endpoint: String,
    /// Where the code is exchanged.
    pub token_endpoint: String,
    /// The provider's signing keys.
    pub jwks_uri: String,
    /// RP-initiated logout, if supported.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// `client_secret_basic`, `client_secret_post`…; absent means basic.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// A provider whose discovery document and keys were read.
#[derive(Debug, Clone)]
pub struct Provider {
    /// The discovery document.
    pub discovery: Discovery,
    /// The signing keys.
    pub jwks: JwkSet,
}

#[derive(Default)]
struct Cache {
    provider: Option<Arc<Provider>>,
    last_attempt: Option<Instant>,
    last_jwks_fetch: Option<Instant>,
}

/// The single sign-on client: config, the state cookie's key and the
/// provider's metadata once read.
pub struct Oidc {
    config: OidcConfig,
    state_key: Vec<u8>,
    http: reqwest::Client,
    cache: tokio::sync::Mutex<Cache>,
}

/// Why the provider cannot be used right now (answered 503).
#[derive(Debug, thiserror::Error)]
#[error("the single sign-on provider is unavailable: {0}")]
pub struct Unavailable(String);

impl Oidc {
    /// A client for `config`; `token_secret` keys the state cookie's HMAC
    /// (a key derived from it, so the cookie is never a token).
    pub fn new(config: OidcConfig, token_secret: &[u8]) -> anyhow::Result<Self> {
        let mut mac = HmacSha256::new_from_slice(token_secret)
            .map_err(|_| anyhow::anyhow!("token secret unusable as HMAC key"))?;
        mac.update(b"itosm oidc state cookie v1");
        let state_key = mac.finalize().into_bytes().to_vec();
        let http = reqwest::Client::builder()
            .timeout(config.http_timeout.get())
            .connect_timeout(config.http_timeout.get())
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Oidc {
            config,
            state_key,
            http,
            cache: tokio::sync::Mutex::new(Cache::default()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// Reads the discovery document and keys now (at start); a failure is
    /// logged and retried on the next SSO request.
    pub async fn warm_up(&self) {
        match self.provider().await {
            Ok(_) => tracing::info!(issuer = %self.config.issuer, "oidc provider ready"),
            Err(error) => tracing::warn!(issuer = %self.config.issuer, %error,
                "oidc provider unavailable at start; single sign-on answers 503 until it is back"),
        }
    }

    /// The provider's metadata: cached, or fetched when not yet known (at
    /// most every five seconds).
    pub async fn provider(&self) -> Result<Arc<Provider>, Unavailable> {
        let mut cache = self.cache.lock().await;
        if let Some(provider) = &cache.provider {
            return Ok(Arc::clone(provider));
        }
        if cache
            .last_attempt
            .is_some_and(|at| at.elapsed() < DISCOVERY_RETRY)
        {
            return Err(Unavailable("down at the last attempt".to_owned()));
        }
        cache.last_attempt = Some(Instant::now());
        let provider = Arc::new(self.discover().await?);
        cache.provider = Some(Arc::clone(&provider));
        cache.last_jwks_fetch = Some(Instant::now());
        Ok(provider)
    }

    async fn discover(&self) -> Result<Provider, Unavailable> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let discovery: Discovery = self.get_json(&url).await?;
        if discovery.issuer != self.config.issuer {
            return Err(Unavailable(format!(
                "the discovery document names issuer {:?}, not the configured {:?}",
                discovery.issuer, self.config.issuer
            )));
        }
        let jwks: JwkSet = self.get_json(&discovery.jwks_uri).await?;
        Ok(Provider { discovery, jwks })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, Unavailable> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| Unavailable(format!("GET {url}: {e}")))?;
        if !response.status().is_success() {
            return Err(Unavailable(format!("GET {url}: {}", response.status())));
        }
        response
            .json()
            .await
            .map_err(|e| Unavailable(format!("GET {url}: {e}")))
    }

    /// Fetches the keys again (a token named a key id we do not know), at
    /// most every 30 seconds; `None` when it is too soon or failed.
    async fn refresh_jwks(&self) -> Option<Arc<Provider>> {
        let mut cache = self.cache.lock().await;
        let current = cache.provider.clone()?;
        if cache
            .last_jwks_fetch
            .is_some_and(|at| at.elapsed() < JWKS_REFETCH)
        {
            return None;
        }
        cache.last_jwks_fetch = Some(Instant::now());
        match self.get_json::<JwkSet>(&current.discovery.jwks_uri).await {
            Ok(jwks) => {
                let provider = Arc::new(Provider {
                    discovery: current.discovery.clone(),
                    jwks,
                });
                cache.provider = Some(Arc::clone(&provider));
                Some(provider)
            }
            Err(error) => {
                tracing::warn!(%error, "oidc: refetching the provider's keys failed");
                None
            }
        }
    }

    fn sign(&self, payload: &[u8]) -> Vec<u8> {
        // An HMAC key of any length is accepted.
        let mut mac = HmacSha256::new_from_slice(&self.state_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    fn seal(&self, state: &FlowState) -> String {
        let payload = serde_json::to_vec(state).unwrap_or_default();
        let signature = self.sign(&payload);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    fn open(&self, cookie: &str) -> Option<FlowState> {
        let (payload, signature) = cookie.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = HmacSha256::new_from_slice(&self.state_key).ok()?;
        mac.update(&payload);
        mac.verify_slice(&signature).ok()?;
        let state: FlowState = serde_json::from_slice(&payload).ok()?;
        (state.expires_at > chrono::Utc::now().timestamp()).then_some(state)
    }

    /// The identity an ID token's claims describe.
    pub fn identity(&self, claims: &Map<String, Value>) -> FederatedIdentity {
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let username = username_from(
            [text("preferred_username"), text("email"), text("sub")]
                .into_iter()
                .flatten(),
        );
        let role = self.config.role_claim.as_ref().map(|claim| {
            let values: Vec<&str> = match claims.get(claim) {
                Some(Value::String(one)) => vec![one.as_str()],
                Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            values
                .iter()
                .filter_map(|v| self.config.role_map.get(*v))
                .filter_map(|r| OidcConfig::parse_role(r))
                .max_by_key(|r| match r {
                    Role::Admin => 2,
                    Role::Agent => 1,
                    _ => 0,
                })
                .unwrap_or(Role::Requester)
        });
        FederatedIdentity {
            display_name: text("name").unwrap_or_else(|| username.clone()),
            email: text("email"),
            username,
            role,
        }
    }
}

/// The first candidate that is a valid itosm username as is, else the
/// first made into one (other characters become `_`).
fn username_from(candidates: impl Iterator<Item = String>) -> String {
    let candidates: Vec<String> = candidates.collect();
    let valid = |c: &str| {
        !c.is_empty()
            && c.len() <= 64
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-'))
    };
    if let Some(good) = candidates.iter().find(|c| valid(c)) {
        return good.clone();
    }
    candidates
        .first()
        .map(|c| {
            c.chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-') {
                        ch
                    } else {
                        '_'
                    }
                })
                .take(64)
                .collect()
        })
        .unwrap_or_default()
}

/// What the state cookie carries from the login to the callback.
#[derive(Debug, Serialize, Deserialize)]
struct FlowState {
    state: String,
    nonce: String,
    verifier: String,
    return_to: String,
    expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_stays_on_this_site() {
        assert_eq!(
            safe_return_to(Some("/tickets/INC-2026-0001")),
            "/tickets/INC-2026-0001"
        );
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "x", ""] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn usernames_come_from_the_claims() {
        assert_eq!(username_from(["alice".to_owned()].into_iter()), "alice");
        assert_eq!(
            username_from(["a@b.c".to_owned(), "sub-1".to_owned()].into_iter()),
            "sub-1"
        );
        assert_eq!(username_from(["a@b.c".to_owned()].into_iter()), "a_b.c");
    }
}
