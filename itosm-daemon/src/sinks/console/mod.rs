//! The console sink (`kind = "console"`): the seed's notification block on
//! standard output.

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use itosm_core::event::EventType;
use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink};
use serde::Deserialize;

use super::{ConfiguredSink, Settings, SinkContext};

/// `kind = "console"`: no settings of its own (its `name` defaults to
/// `console`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {}

impl Settings for ConsoleConfig {}

/// Builds a console sink on standard output.
pub fn build(_config: ConsoleConfig, context: &SinkContext) -> Result<ConfiguredSink, Infallible> {
    Ok(ConfiguredSink::broadcast(Arc::new(ConsoleSink::stdout(
        context.name().to_owned(),
    ))))
}

/// Where the console sink writes.
type Output = Arc<Mutex<dyn Write + Send>>;

/// Prints every event as the seed's block.
pub struct ConsoleSink {
    name: String,
    output: Output,
}

impl ConsoleSink {
    /// A console sink on standard output.
    pub fn stdout(name: String) -> Self {
        ConsoleSink {
            name,
            output: Arc::new(Mutex::new(std::io::stdout())),
        }
    }

    /// A console sink writing to `output` (tests).
    pub fn to_writer(name: String, output: Output) -> Self {
        ConsoleSink { name, output }
    }
}

/// The seed's block for one event.
pub fn render_block(notification: &Notification) -> String {
    let event = &notification.event;
    let Some(ticket) = &event.ticket else {
        return format!(
            "--- Device Health Notification ---\n{}\nEvent: {} {}\n",
            notification.subject,
            event.event_type.as_str(),
            event.event_id
        );
    };
    let heading = match event.event_type {
        EventType::TicketCreated => "--- New Ticket Notification ---",
        _ => "--- Ticket Update Notification ---",
    };
    let request = match &ticket.software {
        Some(software) => format!("{} ({software})", ticket.request_type),
        None => ticket.request_type.to_string(),
    };
    let mut block = format!(
        "{heading}\nTicket ID: {}\nUser: {}\nRequest: {request}\nStatus: {}\nEvent: {} {}\n",
        ticket.number,
        ticket.requester,
        ticket.status.label(),
        event.event_type.as_str(),
        event.event_id,
    );
    if let Some(assignee) = &ticket.assignee {
        block.push_str(&format!("Assignee: {assignee}\n"));
    }
    block
}

#[async_trait]
impl NotificationSink for ConsoleSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome {
        let block = render_block(notification);
        let mut output = self.output.lock().unwrap_or_else(|p| p.into_inner());
        match output
            .write_all(block.as_bytes())
            .and_then(|()| output.flush())
        {
            Ok(()) => DeliveryOutcome::Delivered,
            Err(error) => DeliveryOutcome::Retryable(error.to_string()),
        }
    }
}
