//! Notification sinks built from config, and how an event becomes a
//! notification for each.

pub mod console;
pub mod email;
pub mod file;
pub mod sms;
pub mod webhook;

use std::sync::Arc;

use itosm_core::Role;
use itosm_core::event::{EventEnvelope, EventType};
use itosm_core::sink::{Notification, NotificationSink, Recipient};
use itosm_core::store::{Store, StoreError};

use crate::config::SinkConfig;

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
            RecipientSpec::Requester => event
                .ticket
                .requester_email
                .clone()
                .map(Recipient::Email)
                .into_iter()
                .collect(),
            RecipientSpec::Assignee => event
                .ticket
                .assignee_email
                .clone()
                .map(Recipient::Email)
                .into_iter()
                .collect(),
            RecipientSpec::Admins => store
                .active_users_with_roles(&[Role::Admin])
                .await?
                .into_iter()
                .filter_map(|admin| admin.email.map(Recipient::Email))
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
                        tracing::warn!(ticket = %event.ticket.number, event_id = %event.event_id, "skipping a user's email address that is not one plain address");
                    }
                    plain
                }
                _ => true,
            });
        }
        if internal {
            let requester = event.ticket.requester_email.as_deref();
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
    /// The event types it gets; empty: all.
    pub events: Vec<EventType>,
}

impl ConfiguredSink {
    /// Whether events of `event_type` are routed to this sink.
    pub fn routes(&self, event_type: EventType) -> bool {
        self.events.is_empty() || self.events.contains(&event_type)
    }
}

impl ConfiguredSink {
    /// A sink with no addressee (console, file, noop, custom).
    pub fn broadcast(sink: Arc<dyn NotificationSink>) -> Self {
        ConfiguredSink {
            sink,
            events: Vec::new(),
            recipients: vec![RecipientSpec::Fixed(Recipient::Broadcast)],
        }
    }
}

/// Whether the host and port of `url` accept a TCP connection within
/// `timeout`: what a sink's health check can learn without sending anything.
pub(crate) async fn reachable(url: &str, timeout: std::time::Duration) -> Result<(), String> {
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

/// Builds the configured sinks (config is validated already).
pub fn build(configs: &[SinkConfig]) -> Result<Vec<ConfiguredSink>, String> {
    configs
        .iter()
        .map(|config| {
            let mut sink = build_one(config)?;
            sink.events = config
                .events()
                .iter()
                .filter_map(|e| EventType::parse(e))
                .collect();
            Ok(sink)
        })
        .collect()
}

fn build_one(config: &SinkConfig) -> Result<ConfiguredSink, String> {
    Ok(match config {
        SinkConfig::Console { name } => {
            ConfiguredSink::broadcast(Arc::new(console::ConsoleSink::stdout(name.clone())))
        }
        SinkConfig::File { name, path } => {
            ConfiguredSink::broadcast(Arc::new(file::FileSink::new(name.clone(), path.clone())))
        }
        SinkConfig::Noop { name } => ConfiguredSink::broadcast(Arc::new(NoopSink(name.clone()))),
        SinkConfig::Webhook {
            name,
            url,
            secrets,
            secret,
            timeout,
            ..
        } => ConfiguredSink {
            sink: Arc::new(
                webhook::WebhookSink::new(
                    name.clone(),
                    url.clone(),
                    secret
                        .as_ref()
                        .map_or(secrets.as_slice(), std::slice::from_ref),
                    timeout.get(),
                )
                .map_err(|e| format!("sink {name}: {e}"))?,
            ),
            events: Vec::new(),
            recipients: vec![RecipientSpec::Fixed(Recipient::Url(url.clone()))],
        },
        SinkConfig::Sms {
            name,
            base_url,
            account_sid,
            auth_token,
            from,
            to,
            timeout,
            ..
        } => ConfiguredSink {
            sink: Arc::new(sms::SmsSink::new(
                name.clone(),
                base_url,
                account_sid.clone(),
                auth_token.clone(),
                from.clone(),
                timeout.get(),
            )),
            events: Vec::new(),
            recipients: to
                .iter()
                .cloned()
                .map(|p| RecipientSpec::Fixed(Recipient::Phone(p)))
                .collect(),
        },
        SinkConfig::Email {
            name,
            host,
            port,
            tls,
            username,
            password,
            from,
            to,
            portal_url,
            subject_template,
            text_template,
            html_template,
            timeout,
            ..
        } => {
            let templates = email::EmailTemplates::new(
                subject_template.as_deref(),
                text_template.as_deref(),
                html_template.as_deref(),
            )
            .map_err(|e| format!("sink {name}: {e}"))?;
            let settings = email::EmailSettings {
                name: name.clone(),
                host: host.clone(),
                port: *port,
                tls: match tls.as_str() {
                    "none" => email::TlsMode::None,
                    "tls" => email::TlsMode::Tls,
                    _ => email::TlsMode::StartTls,
                },
                credentials: username
                    .clone()
                    .map(|u| (u, password.clone().unwrap_or_default())),
                from: from
                    .parse()
                    .map_err(|e| format!("sink {name}: from: {e}"))?,
                timeout: timeout.get(),
                templates,
                portal_url: portal_url.clone(),
            };
            ConfiguredSink {
                sink: Arc::new(
                    email::EmailSink::new(settings).map_err(|e| format!("sink {name}: {e}"))?,
                ),
                events: Vec::new(),
                recipients: to
                    .iter()
                    .map(|address| match address.as_str() {
                        "requester" => RecipientSpec::Requester,
                        "assignee" => RecipientSpec::Assignee,
                        "admins" => RecipientSpec::Admins,
                        other => RecipientSpec::Fixed(Recipient::Email(other.to_owned())),
                    })
                    .collect(),
            }
        }
    })
}

/// Accepts everything and sends nothing.
pub struct NoopSink(pub String);

#[async_trait::async_trait]
impl NotificationSink for NoopSink {
    fn name(&self) -> &str {
        &self.0
    }

    async fn deliver(&self, _notification: &Notification) -> itosm_core::sink::DeliveryOutcome {
        itosm_core::sink::DeliveryOutcome::Delivered
    }
}

/// The notification `recipient` gets for `event`.
pub fn notification_for(event: Arc<EventEnvelope>, recipient: Recipient) -> Notification {
    let ticket = &event.ticket;
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
