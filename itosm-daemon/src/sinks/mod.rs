//! Notification sinks built from config, and how an event becomes a
//! notification for each.
//!
//! Each built-in kind is one folder, `sinks/<kind>/mod.rs`: its settings
//! (the keys of its `[[notifications.sinks]]` table, a [`Settings`]),
//! their validation, its `build` factory and its tests; and one line in
//! [`SinkKinds::standard`]. A daemon built with
//! [`crate::Daemon::sink_kind`] adds kinds the same way.

pub mod console;
pub mod email;
pub mod file;
pub mod noop;
pub mod registry;
pub mod sms;
pub mod webhook;

pub use crate::kinds::{InvalidSetting, Settings};
pub use noop::NoopSink;
pub use registry::{SinkContext, SinkError, SinkKinds};

use std::sync::Arc;

use itosm_core::Role;
use itosm_core::event::{EventEnvelope, EventType};
use itosm_core::sink::{Notification, NotificationSink, Recipient};
use itosm_core::store::{Store, StoreError};

impl SinkKinds {
    /// The built-in kinds: `console`, `email`, `file`, `noop`, `sms`,
    /// `webhook`.
    pub fn standard() -> Self {
        let mut kinds = SinkKinds::empty();
        kinds.register("console", console::build);
        kinds.register("email", email::build);
        kinds.register("file", file::build);
        kinds.register("noop", noop::build);
        kinds.register("sms", sms::build);
        kinds.register("webhook", webhook::build);
        kinds
    }
}

/// The default request timeout of the HTTP and SMTP sinks.
pub(crate) fn default_timeout() -> crate::config::ConfigDuration {
    crate::config::ConfigDuration::secs(5)
}

/// `url` must be http or https; the error names `key`.
pub fn require_http_url(key: &str, url: &str) -> Result<(), InvalidSetting> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(InvalidSetting::new(
            key,
            format!("{url:?} must start with http:// or https://"),
        ))
    }
}

/// Who a sink delivers an event to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientSpec {
    /// Always this recipient.
    Fixed(Recipient),
    /// The ticket's requester (his email), resolved per event.
    Requester,
    /// The ticket's assignee (his email), resolved per event.
    Assignee,
    /// Every active admin's email.
    Admins,
}

impl RecipientSpec {
    /// The concrete recipients for `event` (none when the role is empty).
    ///
    /// An internal note never goes to the requester: not as `requester`, and
    /// not to a fixed address that happens to be his.
    pub async fn resolve(
        &self,
        event: &EventEnvelope,
        store: &dyn Store,
    ) -> Result<Vec<Recipient>, StoreError> {
        let internal = event.is_internal();
        if internal && *self == RecipientSpec::Requester {
            return Ok(Vec::new());
        }
        let mut recipients = match self {
            RecipientSpec::Fixed(recipient) => vec![recipient.clone()],
            // Events about a device have no requester or assignee: they go
            // to admins and fixed recipients only.
            RecipientSpec::Requester => event
                .ticket
                .as_ref()
                .and_then(|t| t.requester_email.clone())
                .map(Recipient::Email)
                .into_iter()
                .collect(),
            RecipientSpec::Assignee => event
                .ticket
                .as_ref()
                .and_then(|t| t.assignee_email.clone())
                .map(Recipient::Email)
                .into_iter()
                .collect(),
            RecipientSpec::Admins => store
                .active_users_with_roles(&[Role::Admin])
                .await?
                .into_iter()
                .filter_map(|admin| admin.email.map(|e| Recipient::Email(e.into_string())))
                .collect(),
        };
        if !matches!(self, RecipientSpec::Fixed(_)) {
            // Users' addresses must each be one plain address: a stored
            // `x<evil@…>` (written before addresses were checked this
            // strictly) would otherwise reach another mailbox.
            recipients.retain(|recipient| match recipient {
                Recipient::Email(address) => {
                    let plain = itosm_core::validate_email(address).is_ok();
                    if !plain {
                        tracing::warn!(ticket = %event.subject_key(), event_id = %event.event_id, "skipping a user's email address that is not one plain address");
                    }
                    plain
                }
                _ => true,
            });
        }
        if internal {
            let requester = event
                .ticket
                .as_ref()
                .and_then(|t| t.requester_email.as_deref());
            recipients.retain(|recipient| match (recipient, requester) {
                (Recipient::Email(address), Some(requester)) => {
                    !requester.eq_ignore_ascii_case(address)
                }
                _ => true,
            });
        }
        Ok(recipients)
    }
}

/// A sink and the recipients it delivers each event to.
pub struct ConfiguredSink {
    /// The sink.
    pub sink: Arc<dyn NotificationSink>,
    /// Its recipients; broadcast sinks (console, file) have one, `*`.
    pub recipients: Vec<RecipientSpec>,
    /// The event types it gets; empty: all. [`SinkKinds::build`] sets it
    /// from the entry's `events` (a factory leaves it empty).
    pub events: Vec<EventType>,
}

impl ConfiguredSink {
    /// Whether events of `event_type` are routed to this sink.
    pub fn routes(&self, event_type: EventType) -> bool {
        self.events.is_empty() || self.events.contains(&event_type)
    }
}

impl ConfiguredSink {
    /// `sink`, delivering each event to each of `recipients`.
    pub fn to(sink: Arc<dyn NotificationSink>, recipients: Vec<RecipientSpec>) -> Self {
        ConfiguredSink {
            sink,
            events: Vec::new(),
            recipients,
        }
    }

    /// A sink with no addressee (console, file, noop, custom).
    pub fn broadcast(sink: Arc<dyn NotificationSink>) -> Self {
        Self::to(sink, vec![RecipientSpec::Fixed(Recipient::Broadcast)])
    }
}

/// Whether the host and port of `url` accept a TCP connection within
/// `timeout`: what a sink's health check
/// ([`NotificationSink::check`]) can learn without sending anything.
pub async fn reachable(url: &str, timeout: std::time::Duration) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("{url}: no host"))?
        .to_owned();
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| format!("{url}: no port"))?;
    match tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("cannot connect to {host}:{port}: {error}")),
        Err(_) => Err(format!("no answer from {host}:{port} within {timeout:?}")),
    }
}

/// One line about a device's health change, e.g. `Device PC-000123
/// (pc-jane) is DOWN (was UP): no heartbeat since …`.
pub fn asset_summary(asset: &itosm_core::event::AssetSnapshot) -> String {
    let host = asset
        .hostname
        .as_deref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    let reason = asset
        .health_reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    format!(
        "Device {}{host} is {} (was {}){reason}",
        asset.tag, asset.health, asset.previous_health
    )
}

/// The notification `recipient` gets for `event`.
pub fn notification_for(event: Arc<EventEnvelope>, recipient: Recipient) -> Notification {
    let Some(ticket) = &event.ticket else {
        let subject = event.asset.as_ref().map(asset_summary).unwrap_or_default();
        let mut notification = Notification {
            text_body: subject.clone(),
            subject,
            html_body: None,
            recipient,
            event,
        };
        if matches!(notification.recipient, Recipient::Phone(_)) {
            notification.text_body = sms::sms_text(&notification);
        }
        return notification;
    };
    let subject = match event.event_type {
        EventType::TicketCreated => format!("New Ticket Created: {}", ticket.number),
        EventType::TicketStatusChanged => {
            format!("Ticket {} is now {}", ticket.number, ticket.status.label())
        }
        EventType::TicketAssigned => format!("Ticket {} assigned", ticket.number),
        EventType::TicketCommented => match &event.comment {
            Some(comment) if comment.internal => {
                format!("Internal note on {} by {}", ticket.number, comment.author)
            }
            Some(comment) => format!("New comment on {} by {}", ticket.number, comment.author),
            None => format!("New comment on {}", ticket.number),
        },
        EventType::TicketPriorityChanged => format!(
            "Ticket {} priority is now {}",
            ticket.number, ticket.priority
        ),
        EventType::AssetHealthChanged => format!("Ticket {}", ticket.number),
    };
    let mut notification = Notification {
        text_body: subject.clone(),
        subject,
        html_body: None,
        recipient,
        event,
    };
    if matches!(notification.recipient, Recipient::Phone(_)) {
        notification.text_body = sms::sms_text(&notification);
    }
    notification
}

/// Asserts that each `[[notifications.sinks]]` table of `cases` is refused
/// with an error naming `notifications.sinks[0].<key>` (`""`: the table, for
/// a missing or unknown key) — the sinks' tests.
#[cfg(test)]
pub(crate) fn assert_refused(cases: &[(&str, &str)]) {
    for (table, key) in cases {
        let key = match key {
            &"" => "notifications.sinks[0]".to_owned(),
            key => format!("notifications.sinks[0].{key}"),
        };
        let error = crate::config::from_toml(&format!("[[notifications.sinks]]\n{table}"))
            .err()
            .unwrap_or_else(|| panic!("{table:?} was accepted"))
            .to_string();
        assert!(
            error.contains(&key),
            "{table:?} gave {error:?}, which does not name {key}"
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]

    use super::*;
    use itosm_core::event::{EventType, TicketSnapshot};
    use itosm_core::store::memory::MemoryStore;

    fn event(requester_email: &str) -> EventEnvelope {
        let now = chrono::Utc::now();
        EventEnvelope::new(
            EventType::TicketCreated,
            uuid::Uuid::new_v4(),
            now,
            None,
            TicketSnapshot {
                number: "INC-2026-0001".into(),
                subject: String::new(),
                requester: "john.doe".into(),
                requester_name: "John".into(),
                requester_email: Some(requester_email.into()),
                request_type: itosm_core::RequestType::Other,
                software: None,
                description: String::new(),
                status: itosm_core::TicketStatus::Start,
                priority: itosm_core::Priority::Medium,
                assignee: None,
                assignee_email: Some("x<attacker@evil.example>".into()),
                created_at: now,
                updated_at: now,
                version: 1,
                first_response_due_at: None,
                resolution_due_at: None,
            },
        )
    }

    #[tokio::test]
    async fn a_users_address_must_be_one_plain_address() {
        let store = MemoryStore::new();
        let plain = event("john@example.com");
        let resolved = RecipientSpec::Requester
            .resolve(&plain, &store)
            .await
            .unwrap();
        assert_eq!(resolved, vec![Recipient::Email("john@example.com".into())]);
        let smuggled = event("x<attacker@evil.example>");
        for spec in [RecipientSpec::Requester, RecipientSpec::Assignee] {
            let resolved = spec.resolve(&smuggled, &store).await.unwrap();
            assert!(resolved.is_empty(), "{spec:?}: {resolved:?}");
        }
    }
}
