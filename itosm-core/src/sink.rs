//! Notification sinks: where events end up (email, SMS, webhook, console,
//! or an integrator's own).
//!
//! A sink gets a rendered [`Notification`] and answers with a
//! [`DeliveryOutcome`]. The notifier deduplicates by event id and sink before
//! calling, retries retryable failures with backoff, and dead-letters the
//! rest; a sink only has to do one delivery attempt well.

use std::sync::Arc;

use async_trait::async_trait;

use crate::event::EventEnvelope;

/// Who a notification is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// An email address.
    Email(String),
    /// An E.164 phone number.
    Phone(String),
    /// A URL (webhooks).
    Url(String),
    /// A sink with no addressee (console, logs).
    Broadcast,
}

impl std::fmt::Display for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recipient::Email(a) | Recipient::Phone(a) | Recipient::Url(a) => f.write_str(a),
            Recipient::Broadcast => f.write_str("*"),
        }
    }
}

/// One message for one recipient, ready to send.
#[derive(Debug, Clone)]
pub struct Notification {
    /// The event behind it; `event.event_id` is the deduplication key.
    pub event: Arc<EventEnvelope>,
    /// Who it is for.
    pub recipient: Recipient,
    /// A one-line subject (no CR/LF).
    pub subject: String,
    /// The plain-text body.
    pub text_body: String,
    /// An HTML body, for sinks that can show one.
    pub html_body: Option<String>,
}

/// The answer of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Delivered; do not send again.
    Delivered,
    /// Failed, but may succeed later (timeout, 5xx, refused connection).
    Retryable(String),
    /// Failed for good (bad address, 4xx); retrying will not help.
    Permanent(String),
}

/// A destination for notifications. Implement this and register the kind
/// in the daemon's sink config to add your own.
#[async_trait]
pub trait NotificationSink: Send + Sync + 'static {
    /// The sink's configured name, unique per daemon (e.g. `it-admins-email`);
    /// part of the deduplication key.
    fn name(&self) -> &str;

    /// Attempts one delivery.
    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome;

    /// Checks that the sink's endpoint can be reached, without delivering
    /// anything (`itosm check-config --connect`, and a warning at start):
    /// `Err` says what failed. The default trusts the sink.
    async fn check(&self) -> Result<(), String> {
        Ok(())
    }
}
