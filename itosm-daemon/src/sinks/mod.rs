//! Notification sinks built from config, and how an event becomes a
//! notification for each.

pub mod console;
pub mod file;

use std::sync::Arc;

use itosm_core::event::{EventEnvelope, EventType};
use itosm_core::sink::{Notification, NotificationSink, Recipient};

use crate::config::SinkConfig;

/// Builds the configured sinks.
pub fn build(configs: &[SinkConfig]) -> Vec<Arc<dyn NotificationSink>> {
    configs
        .iter()
        .map(|config| match config {
            SinkConfig::Console { name } => {
                Arc::new(console::ConsoleSink::stdout(name.clone())) as Arc<dyn NotificationSink>
            }
            SinkConfig::File { name, path } => {
                Arc::new(file::FileSink::new(name.clone(), path.clone()))
            }
            SinkConfig::Noop { name } => Arc::new(NoopSink(name.clone())),
        })
        .collect()
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

/// The notification a broadcast sink (console) gets for `event`.
pub fn broadcast_notification(event: Arc<EventEnvelope>) -> Notification {
    let ticket = &event.ticket;
    let subject = match event.event_type {
        EventType::TicketCreated => format!("New Ticket Created: {}", ticket.number),
        EventType::TicketStatusChanged => {
            format!("Ticket {} is now {}", ticket.number, ticket.status.label())
        }
        EventType::TicketAssigned => format!("Ticket {} assigned", ticket.number),
        EventType::TicketCommented => format!("New comment on {}", ticket.number),
    };
    Notification {
        text_body: subject.clone(),
        subject,
        html_body: None,
        recipient: Recipient::Broadcast,
        event,
    }
}
