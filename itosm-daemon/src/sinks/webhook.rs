//! The webhook sink: POSTs the event envelope as JSON, with the event id in
//! `X-Itosm-Event-Id` (for deduplication) and an HMAC-SHA256 of the body in
//! `X-Itosm-Signature: sha256=<hex>` (for verification).

use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink};
use sha2::Sha256;

/// Signs `body` with `secret`: `sha256=<lowercase hex>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
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

/// Posts events to one URL.
pub struct WebhookSink {
    name: String,
    url: String,
    secret: Vec<u8>,
    client: reqwest::Client,
}

impl WebhookSink {
    /// A webhook to `url` signed with `secret`.
    pub fn new(name: String, url: String, secret: String, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        WebhookSink {
            name,
            url,
            secret: secret.into_bytes(),
            client,
        }
    }
}

#[async_trait]
impl NotificationSink for WebhookSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome {
        let event = &notification.event;
        let body = event.to_json();
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-itosm-event-id", event.event_id.to_string())
            .header("x-itosm-event-type", event.event_type.as_str())
            .header(
                "x-itosm-signature",
                signature(&self.secret, body.as_bytes()),
            )
            .body(body)
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                outcome_of(status, &text)
            }
            Err(error) => DeliveryOutcome::Retryable(error.to_string()),
        }
    }
}
