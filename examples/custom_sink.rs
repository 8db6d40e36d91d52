//! An integrator's own notification sink: a "chat" sink that keeps an
//! append-only transcript of one line per event, using only itosm-core's
//! public API. Register it in the daemon beside the built-in kinds, or call
//! it from your own notifier as below.
//!
//! Run: `cargo run -p itosm-examples --example custom_sink`

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use itosm_core::event::{EventEnvelope, EventType, TicketSnapshot};
use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink, Recipient};
use itosm_core::{Priority, RequestType, TicketStatus};

/// Appends `[#it-desk] New Ticket Created: INC-… by john.doe` lines to a file.
struct ChatTranscriptSink {
    name: String,
    channel: String,
    path: PathBuf,
}

#[async_trait::async_trait]
impl NotificationSink for ChatTranscriptSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome {
        let line = format!(
            "[{}] {} by {} (event {})\n",
            self.channel,
            notification.subject,
            notification.event.ticket.requester,
            notification.event.event_id
        );
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        match written {
            Ok(()) => DeliveryOutcome::Delivered,
            // Disk full or a missing directory may be fixed: ask for a retry.
            Err(error) => DeliveryOutcome::Retryable(error.to_string()),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::temp_dir().join(format!("itosm-chat-{}.log", std::process::id()));
    let sink = ChatTranscriptSink {
        name: "chat".into(),
        channel: "#it-desk".into(),
        path: path.clone(),
    };

    let now = chrono::Utc::now();
    let event = Arc::new(EventEnvelope::new(
        EventType::TicketCreated,
        uuid::Uuid::new_v4(),
        now,
        None,
        TicketSnapshot {
            number: "INC-2026-0001".into(),
            subject: String::new(),
            requester: "john.doe".into(),
            requester_name: "John Doe".into(),
            requester_email: Some("john.doe@example.com".into()),
            request_type: RequestType::SoftwareInstall,
            software: Some("Autodesk AutoCAD 2025".into()),
            description: "Please install AutoCAD".into(),
            status: TicketStatus::Start,
            priority: Priority::Medium,
            assignee: None,
            assignee_email: None,
            created_at: now,
            updated_at: now,
            version: 1,
            first_response_due_at: None,
            resolution_due_at: None,
        },
    ));
    let notification = Notification {
        subject: format!("New Ticket Created: {}", event.ticket.number),
        text_body: event.ticket.description.clone(),
        html_body: None,
        recipient: Recipient::Broadcast,
        event,
    };

    let outcome = sink.deliver(&notification).await;
    anyhow::ensure!(
        outcome == DeliveryOutcome::Delivered,
        "delivery failed: {outcome:?}"
    );
    let transcript = std::fs::read_to_string(&path)?;
    print!("{transcript}");
    anyhow::ensure!(
        transcript.contains("[#it-desk] New Ticket Created: INC-2026-0001 by john.doe")
    );
    std::fs::remove_file(&path)?;
    Ok(())
}
