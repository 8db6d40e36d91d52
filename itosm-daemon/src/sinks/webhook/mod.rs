//! The webhook sink (`kind = "webhook"`): POSTs the event envelope as JSON, signed the
//! [Standard Webhooks](https://www.standardwebhooks.com) way.
//!
//! Every request carries
//!
//! - `webhook-id`: the event id (the same on every retry and redelivery, so
//!   receivers deduplicate on it);
//! - `webhook-timestamp`: when this attempt was sent, in Unix seconds;
//! - `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
//!   for each configured secret, space-separated, so receivers holding
//!   either the new or the old secret verify during a rotation.
//!
//! A secret written `whsec_<base64>` is base64-decoded after the prefix (the
//! format of the Standard Webhooks libraries); any other secret is used as
//! its bytes. Receivers reject a timestamp further than
//! [`TIMESTAMP_TOLERANCE`] from their clock; [`verify`] is the reference
//! check, and `docs/examples/verify_webhook.py` the same in Python.
//!
//! Deprecated, for receivers written against earlier versions: the event id
//! in `X-Itosm-Event-Id`, its type in `X-Itosm-Event-Type`, and
//! `X-Itosm-Signature: sha256=<hex HMAC-SHA256 of the body>` under the first
//! secret (no timestamp, so it does not protect against replays).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink, Recipient};
use serde::Deserialize;
use sha2::Sha256;

use super::{ConfiguredSink, InvalidSetting, RecipientSpec, Settings, SinkContext};
use crate::config::ConfigDuration;

/// `kind = "webhook"`: its settings.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where to POST (http or https).
    pub url: String,
    /// Signing secrets, the current one first; each delivery carries one
    /// `v1` signature per secret, so a receiver verifies with either
    /// during a rotation. `whsec_<base64>` (24 to 64 bytes once decoded)
    /// or a plain secret of at least 16 bytes.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// The older single-secret form, the same as `secrets = [secret]`;
    /// set one of the two.
    #[serde(default)]
    pub secret: Option<String>,
    /// Request timeout, e.g. `5s`.
    #[serde(default = "super::default_timeout")]
    pub timeout: ConfigDuration,
}

impl Settings for WebhookConfig {
    fn validate(&self) -> Result<(), InvalidSetting> {
        super::require_http_url("url", &self.url)?;
        match (&self.secret, self.secrets.is_empty()) {
            (Some(_), false) => Err(InvalidSetting::new(
                "secrets",
                "set either secrets or the older secret, not both",
            )),
            (None, true) => Err(InvalidSetting::new(
                "secrets",
                "name at least one signing secret (e.g. secrets = [\"whsec_…\"])",
            )),
            (Some(secret), true) => WebhookSecret::parse(secret)
                .map(drop)
                .map_err(|e| InvalidSetting::new("secret", e.to_string())),
            (None, false) => self.secrets.iter().enumerate().try_for_each(|(n, secret)| {
                WebhookSecret::parse(secret)
                    .map(drop)
                    .map_err(|e| InvalidSetting::new(format!("secrets[{n}]"), e.to_string()))
            }),
        }
    }
}

/// Builds a webhook sink; its one recipient is its URL.
pub fn build(config: WebhookConfig, context: &SinkContext) -> Result<ConfiguredSink, WebhookError> {
    let secrets = config
        .secret
        .as_ref()
        .map_or(config.secrets.as_slice(), std::slice::from_ref);
    let sink = WebhookSink::new(
        context.name().to_owned(),
        config.url.clone(),
        secrets,
        config.timeout.get(),
    )?;
    let recipient = RecipientSpec::Fixed(Recipient::Url(config.url));
    Ok(ConfiguredSink::to(
        std::sync::Arc::new(sink),
        vec![recipient],
    ))
}

/// How far from the receiver's clock a `webhook-timestamp` may be: five
/// minutes either way. Older deliveries are refused as replays.
pub const TIMESTAMP_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// The prefix of a base64-encoded (Standard Webhooks) secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// The shortest plain (not `whsec_`) secret accepted, in bytes.
pub const MIN_PLAIN_SECRET_BYTES: usize = 16;

/// The shortest and longest key a `whsec_` secret may decode to, in bytes
/// (Standard Webhooks: 24 to 64).
pub const WHSEC_KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// Why a configured secret is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// What follows `whsec_` is not base64.
    #[error("what follows `whsec_` must be base64 (e.g. `whsec_$(openssl rand -base64 32)`)")]
    NotBase64,
    /// A `whsec_` secret decodes to too few or too many bytes.
    #[error("a `whsec_` secret must decode to 24 to 64 bytes; this one has {0}")]
    KeyLength(usize),
    /// A plain secret is too short.
    #[error("must be at least 16 bytes")]
    TooShort,
}

/// One signing key. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// Base64 with or without padding, as Standard Webhooks secrets come both ways.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

impl WebhookSecret {
    /// Parses a configured secret: `whsec_<base64>` is decoded, anything
    /// else is used as its bytes.
    pub fn parse(secret: &str) -> Result<Self, SecretError> {
        if let Some(encoded) = secret.strip_prefix(SECRET_PREFIX) {
            let key = LENIENT_BASE64
                .decode(encoded)
                .map_err(|_| SecretError::NotBase64)?;
            if !WHSEC_KEY_BYTES.contains(&key.len()) {
                return Err(SecretError::KeyLength(key.len()));
            }
            Ok(WebhookSecret { key })
        } else if secret.len() < MIN_PLAIN_SECRET_BYTES {
            Err(SecretError::TooShort)
        } else {
            Ok(WebhookSecret {
                key: secret.as_bytes().to_vec(),
            })
        }
    }

    /// The HMAC key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
        // HMAC accepts keys of any length, so this is always `Some`.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        Some(mac)
    }
}

/// One Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of
/// "{id}.{timestamp}.{body}">`.
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> String {
    match secret.mac(id, &timestamp.to_string(), body) {
        Some(mac) => format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())),
        None => String::new(),
    }
}

/// The `webhook-signature` header: one signature per secret, space-separated.
pub fn signature_header(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|secret| sign(secret, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a receiver refuses a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A header is missing or empty.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not an integer.
    #[error("webhook-timestamp is not Unix seconds")]
    BadTimestamp,
    /// `webhook-timestamp` is too far from the receiver's clock.
    #[error("webhook-timestamp is {0}s away from now, more than the tolerance")]
    StaleTimestamp(i64),
    /// No `v1` signature matches any of the receiver's secrets.
    #[error("no signature matches")]
    NoMatchingSignature,
}

/// The receiver's check, as `docs/EVENTS.md` documents it: the headers are
/// present, the timestamp is within [`TIMESTAMP_TOLERANCE`] of `now` (Unix
/// seconds), and one `v1` signature matches one of `secrets` (compared in
/// constant time). `body` is the raw request body, before any JSON parsing.
pub fn verify(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    if id.is_empty() {
        return Err(VerifyError::MissingHeader("webhook-id"));
    }
    if timestamp.is_empty() {
        return Err(VerifyError::MissingHeader("webhook-timestamp"));
    }
    if signatures.is_empty() {
        return Err(VerifyError::MissingHeader("webhook-signature"));
    }
    let sent: i64 = timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
    let age = now.saturating_sub(sent);
    let tolerance = i64::try_from(TIMESTAMP_TOLERANCE.as_secs()).unwrap_or(i64::MAX);
    if age.saturating_abs() > tolerance {
        return Err(VerifyError::StaleTimestamp(age));
    }
    for candidate in signatures.split(' ') {
        let Some(("v1", encoded)) = candidate.split_once(',') else {
            continue;
        };
        let Ok(signature) = STANDARD.decode(encoded) else {
            continue;
        };
        for secret in secrets {
            if let Some(mac) = secret.mac(id, timestamp, body)
                && mac.verify_slice(&signature).is_ok()
            {
                return Ok(());
            }
        }
    }
    Err(VerifyError::NoMatchingSignature)
}

/// The deprecated `X-Itosm-Signature` value: `sha256=<lowercase hex
/// HMAC-SHA256 of the body>`.
pub fn legacy_signature(secret: &WebhookSecret, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.key()) {
        Ok(mac) => mac,
        // HMAC accepts keys of any length.
        Err(_) => return String::new(),
    };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// Maps an HTTP answer to a delivery outcome: 2xx delivered; 408, 429 and
/// 5xx retryable; any other status permanent.
pub fn outcome_of(status: reqwest::StatusCode, body: &str) -> DeliveryOutcome {
    let detail = || {
        format!(
            "HTTP {status}: {}",
            body.chars().take(200).collect::<String>()
        )
    };
    if status.is_success() {
        DeliveryOutcome::Delivered
    } else if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
        DeliveryOutcome::Retryable(detail())
    } else {
        DeliveryOutcome::Permanent(detail())
    }
}

/// Why a webhook sink cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No signing secret was given.
    #[error("a webhook needs at least one signing secret")]
    NoSecret,
    /// A secret is refused.
    #[error("secret {index}: {source}")]
    Secret {
        /// Its position in the configured list (the older `secret` key is 0).
        index: usize,
        /// Why.
        source: SecretError,
    },
}

/// Posts events to one URL.
pub struct WebhookSink {
    name: String,
    url: String,
    secrets: Vec<WebhookSecret>,
    client: reqwest::Client,
    timeout: Duration,
}

impl WebhookSink {
    /// A webhook to `url` signed with each of `secrets` (the current one
    /// first; the others during a rotation).
    pub fn new(
        name: String,
        url: String,
        secrets: &[String],
        timeout: Duration,
    ) -> Result<Self, WebhookError> {
        if secrets.is_empty() {
            return Err(WebhookError::NoSecret);
        }
        let secrets = secrets
            .iter()
            .enumerate()
            .map(|(index, secret)| {
                WebhookSecret::parse(secret)
                    .map_err(|source| WebhookError::Secret { index, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        Ok(WebhookSink {
            name,
            url,
            secrets,
            client,
            timeout,
        })
    }
}

#[async_trait]
impl NotificationSink for WebhookSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn check(&self) -> Result<(), String> {
        // Connecting proves the receiver listens; a POST would be a
        // delivery the receiver never asked for.
        super::reachable(&self.url, self.timeout).await
    }

    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome {
        let event = &notification.event;
        let body = event.to_json();
        let id = event.event_id.to_string();
        // Each attempt is signed anew: a retry an hour later is not stale.
        let timestamp = chrono::Utc::now().timestamp();
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature_header(&self.secrets, &id, timestamp, body.as_bytes()),
            )
            .header("x-itosm-event-id", &id)
            .header("x-itosm-event-type", event.event_type.as_str());
        if let Some(current) = self.secrets.first() {
            request = request.header(
                "x-itosm-signature",
                legacy_signature(current, body.as_bytes()),
            );
        }
        match request.body(body).send().await {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                outcome_of(status, &text)
            }
            Err(error) => DeliveryOutcome::Retryable(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bad_settings_name_their_key() {
        crate::sinks::assert_refused(&[
            (
                "kind = \"webhook\"\nname = \"w\"\nurl = \"ftp://x\"\nsecret = \"0123456789abcdef\"",
                "url",
            ),
            (
                "kind = \"webhook\"\nname = \"w\"\nurl = \"https://x\"\nsecret = \"short\"",
                "secret",
            ),
            (
                "kind = \"webhook\"\nname = \"w\"\nurl = \"https://x\"\nsecrets = [\"0123456789abcdef\", \"short\"]",
                "secrets[1]",
            ),
            (
                "kind = \"webhook\"\nname = \"w\"\nurl = \"https://x\"\nsecret = \"0123456789abcdef\"\ntimeout = \"soon\"",
                "timeout",
            ),
        ]);
    }

    /// An example the reference Python library (`standardwebhooks`) signs
    /// the same way.
    const REFERENCE_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn signs_like_the_standard_webhooks_reference() {
        let secret = WebhookSecret::parse(REFERENCE_SECRET).unwrap();
        assert_eq!(
            sign(
                &secret,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_parse() {
        assert_eq!(
            WebhookSecret::parse("plain-secret-0123456789")
                .unwrap()
                .key(),
            b"plain-secret-0123456789"
        );
        // Unpadded base64 is accepted too.
        let padded =
            WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 32]))).unwrap();
        assert_eq!(padded.key(), [7u8; 32]);
        assert_eq!(
            WebhookSecret::parse(&format!(
                "whsec_{}",
                STANDARD.encode([7u8; 25]).trim_end_matches('=')
            ))
            .unwrap()
            .key(),
            [7u8; 25]
        );
        assert_eq!(WebhookSecret::parse("short"), Err(SecretError::TooShort));
        assert_eq!(
            WebhookSecret::parse("whsec_not base64!"),
            Err(SecretError::NotBase64)
        );
        assert_eq!(
            WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([1u8; 8]))),
            Err(SecretError::KeyLength(8))
        );
        assert_eq!(format!("{padded:?}"), "WebhookSecret([redacted])");
    }

    #[test]
    fn verification_accepts_any_listed_signature_and_refuses_the_rest() {
        let new = WebhookSecret::parse(REFERENCE_SECRET).unwrap();
        let old = WebhookSecret::parse("the-old-plain-secret-0123").unwrap();
        let other = WebhookSecret::parse("somebody-elses-secret-0123").unwrap();
        let body = br#"{"type":"ticket.created"}"#;
        let now = 1_800_000_000;
        let header = signature_header(&[new.clone(), old.clone()], "e1", now, body);
        assert_eq!(header.split(' ').count(), 2);
        let ts = now.to_string();
        for secrets in [
            vec![new.clone()],
            vec![old.clone()],
            vec![other.clone(), old],
        ] {
            assert_eq!(verify(&secrets, "e1", &ts, &header, body, now + 10), Ok(()));
        }
        let mine = std::slice::from_ref(&new);
        assert_eq!(
            verify(std::slice::from_ref(&other), "e1", &ts, &header, body, now),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            verify(
                mine,
                "e1",
                &ts,
                &header,
                br#"{"type":"ticket.closed"}"#,
                now
            ),
            Err(VerifyError::NoMatchingSignature)
        );
        assert_eq!(
            verify(mine, "e2", &ts, &header, body, now),
            Err(VerifyError::NoMatchingSignature),
            "the id is signed"
        );
        assert_eq!(
            verify(mine, "e1", &ts, &header, body, now + 301),
            Err(VerifyError::StaleTimestamp(301))
        );
        assert_eq!(
            verify(mine, "e1", &ts, &header, body, now - 301),
            Err(VerifyError::StaleTimestamp(-301)),
            "from the future, too"
        );
        assert_eq!(verify(mine, "e1", &ts, &header, body, now + 300), Ok(()));
        assert_eq!(
            verify(mine, "e1", "soon", &header, body, now),
            Err(VerifyError::BadTimestamp)
        );
        assert_eq!(
            verify(mine, "", &ts, &header, body, now),
            Err(VerifyError::MissingHeader("webhook-id"))
        );
        assert_eq!(
            verify(mine, "e1", &ts, "v2,abc sha256=00", body, now),
            Err(VerifyError::NoMatchingSignature)
        );
    }

    #[test]
    fn the_legacy_signature_is_hex_of_the_body() {
        let secret = WebhookSecret::parse("webhook-secret-0123456789").unwrap();
        let value = legacy_signature(&secret, b"{}");
        assert!(value.starts_with("sha256="));
        assert_eq!(value.len(), "sha256=".len() + 64);
    }

    #[test]
    fn a_sink_needs_a_valid_secret() {
        let timeout = Duration::from_secs(1);
        assert!(matches!(
            WebhookSink::new("w".into(), "http://x".into(), &[], timeout),
            Err(WebhookError::NoSecret)
        ));
        assert!(matches!(
            WebhookSink::new(
                "w".into(),
                "http://x".into(),
                &["long-enough-secret-01".into(), "short".into()],
                timeout
            ),
            Err(WebhookError::Secret {
                index: 1,
                source: SecretError::TooShort
            })
        ));
    }
}
