//! The file sink (`kind = "file"`): appends one JSON line per event — an
//! audit trail, and a sink whose every delivery can be counted.

use std::convert::Infallible;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use itosm_core::sink::{DeliveryOutcome, Notification, NotificationSink};
use serde::Deserialize;

use super::{ConfiguredSink, InvalidSetting, Settings, SinkContext};

/// `kind = "file"`: its settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The file; its directory must exist.
    pub path: PathBuf,
}

impl Settings for FileConfig {
    fn validate(&self) -> Result<(), InvalidSetting> {
        if self.path.as_os_str().is_empty() {
            return Err(InvalidSetting::new("path", "must not be empty"));
        }
        Ok(())
    }
}

/// Builds a file sink.
pub fn build(config: FileConfig, context: &SinkContext) -> Result<ConfiguredSink, Infallible> {
    Ok(ConfiguredSink::broadcast(Arc::new(FileSink::new(
        context.name().to_owned(),
        config.path,
    ))))
}

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

    async fn check(&self) -> Result<(), String> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::OpenOptionsExt;
            // Opening for append (as a delivery would) writes nothing.
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(&path)
                .map(drop)
                .map_err(|error| format!("cannot append to {}: {error}", path.display()))
        })
        .await
        .map_err(|error| format!("check interrupted: {error}"))?
    }

    async fn deliver(&self, notification: &Notification) -> DeliveryOutcome {
        let line = format!("{}\n", notification.event.to_json());
        let path = self.path.clone();
        let written = tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::OpenOptionsExt;
            // The trail holds people's names, addresses and words: private.
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn bad_settings_name_their_key() {
        crate::sinks::assert_refused(&[
            ("kind = \"file\"\nname = \"f\"\npath = \"\"", "path"),
            ("kind = \"file\"\nname = \"f\"\npath = 7", "path"),
            ("kind = \"file\"\nname = \"f\"\npath = \"/x\"\nmode = 1", ""),
        ]);
    }
    use itosm_core::sink::Recipient;

    #[tokio::test]
    async fn the_trail_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let sink = FileSink::new("audit".into(), path.clone());
        let store = itosm_core::store::memory::MemoryStore::new();
        itosm_core::seed::load_demo_data(&store).await.unwrap();
        let itosm = itosm_core::Itosm::new(
            Arc::new(store),
            itosm_core::ServiceConfig::with_secret(vec![7; 32]),
        )
        .unwrap();
        let session = itosm.login("john.doe", "EMP123").await.unwrap();
        let actor = itosm.authenticate(&session.token).await.unwrap();
        itosm
            .create_ticket(
                Some(&actor),
                itosm_core::CreateTicketInput {
                    request_type: itosm_core::RequestType::Other,
                    software_id: None,
                    subject: None,
                    description: "a mouse".into(),
                    attachments: Vec::new(),
                    asset_tags: Vec::new(),
                },
            )
            .await
            .unwrap();
        let claimed = itosm
            .store()
            .claim_outbox(10, chrono::Duration::seconds(30), chrono::Utc::now())
            .await
            .unwrap();
        let event =
            itosm_core::event::EventEnvelope::from_json(claimed[0].payload.as_bytes()).unwrap();
        let notification = crate::sinks::notification_for(Arc::new(event), Recipient::Broadcast);
        assert!(matches!(
            sink.deliver(&notification).await,
            DeliveryOutcome::Delivered
        ));
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
