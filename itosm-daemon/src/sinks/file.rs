//! The file sink: appends one JSON line per event — an audit trail, and a
//! sink whose every delivery can be counted.

use std::io::Write;
use std::path::PathBuf;

use async_trait::async_trait;
use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink};

/// Appends events to a file.
pub struct FileSink {
    name: String,
    path: PathBuf,
}

impl FileSink {
    /// A sink appending to `path`.
    pub fn new(name: String, path: PathBuf) -> Self {
        FileSink { name, path }
    }
}

#[async_trait]
impl NotificationSink for FileSink {
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome {
        let line = format!("{}\n", notification.event.to_json());
        let path = self.path.clone();
        let written = tokio::task::spawn_blocking(move || {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            file.write_all(line.as_bytes())?;
            file.sync_data()
        })
        .await;
        match written {
            Ok(Ok(())) => DeliveryOutcome::Delivered,
            // A missing directory or a full disk may be fixed: retry.
            Ok(Err(error)) => {
                DeliveryOutcome::Retryable(format!("{}: {error}", self.path.display()))
            }
            Err(error) => DeliveryOutcome::Retryable(error.to_string()),
        }
    }
}
