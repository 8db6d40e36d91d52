//! An integrator's daemon: the standard `itosm` daemon with one more sink
//! kind, `chat`, which posts a line per event to a chat webhook (the
//! `{"text": …}` shape of Slack, Mattermost and Rocket.Chat incoming
//! webhooks). Every command works as in `itosm`, and `check-config` checks
//! the chat sink's table too. With `examples/chat.toml`:
//!
//! ```toml
//! [[notifications.sinks]]
//! kind = "chat"
//! name = "it-desk"
//! url = "https://chat.example.com/hooks/it-desk"
//! channel = "#it-desk"          # optional
//! events = ["ticket.created"]   # optional, as for every sink
//! ```
//!
//! Run: `cargo run -p itosm-examples --example custom_sink -- serve --config examples/chat.toml`

use std::sync::Arc;
use std::time::Duration;

use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink};
use itosm_daemon::sinks::{self, ConfiguredSink};
use itosm_daemon::{Daemon, InvalidSetting, Settings};

/// The chat sink's own keys in its `[[notifications.sinks]]` table.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatConfig {
    /// The chat's incoming-webhook URL.
    url: String,
    /// Shown before each line, e.g. `#it-desk`.
    #[serde(default)]
    channel: Option<String>,
}

impl Settings for ChatConfig {
    fn validate(&self) -> Result<(), InvalidSetting> {
        sinks::require_http_url("url", &self.url)
    }
}

/// Posts `[#it-desk] New Ticket Created: INC-2026-0001 (john.doe)`: its
/// name, settings and HTTP client.
struct ChatSink(String, ChatConfig, reqwest::Client);

#[async_trait::async_trait]
impl NotificationSink for ChatSink {
    fn name(&self) -> &str {
        &self.0
    }

    async fn check(&self) -> Result<(), String> {
        sinks::reachable(&self.1.url, Duration::from_secs(5)).await
    }

    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome {
        let subject = &notification.subject;
        let mut text = match &notification.event.ticket {
            Some(ticket) => format!("{subject} ({})", ticket.requester),
            None => subject.clone(),
        };
        if let Some(channel) = &self.1.channel {
            text = format!("[{channel}] {text}");
        }
        let body = serde_json::json!({ "text": text });
        // 2xx delivered; 408, 429 and 5xx retried; other answers permanent.
        match self.2.post(&self.1.url).json(&body).send().await {
            Ok(answer) => sinks::webhook::outcome_of(answer.status(), ""),
            Err(error) => DeliveryOutcome::Retryable(error.to_string()),
        }
    }
}

fn main() -> std::process::ExitCode {
    Daemon::standard()
        .sink_kind("chat", |config: ChatConfig, context| {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(5));
            let sink = ChatSink(context.name().to_owned(), config, client.build()?);
            Ok::<_, reqwest::Error>(ConfiguredSink::broadcast(Arc::new(sink)))
        })
        .run_cli()
}
