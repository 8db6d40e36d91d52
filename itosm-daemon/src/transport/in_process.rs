//! The embedded default: events stay inside this process.
//!
//! A publish fans the event out to live subscribers and hands it to the
//! notifier, and is confirmed only once the notifier has run every sink, so
//! the outbox row stays unsent (and is retried) if the process dies first.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use itosm_core::event::EventEnvelope;
use itosm_core::transport::{BroadcastFeed, EventPublisher, TransportError};
use tokio::sync::{mpsc, oneshot};

/// An event handed to the notifier, with the channel to confirm it on.
#[derive(Debug)]
pub struct Handoff {
    /// The event.
    pub event: Arc<EventEnvelope>,
    /// Answered once the event's deliveries are claimed in the log.
    pub confirm: oneshot::Sender<()>,
}

/// The in-process transport.
#[derive(Debug, Clone)]
pub struct InProcessTransport {
    feed: BroadcastFeed,
    notifier: mpsc::Sender<Handoff>,
    confirm_timeout: Duration,
}

impl InProcessTransport {
    /// A transport feeding `feed`; the notifier reads the returned receiver.
    pub fn new(feed: BroadcastFeed, confirm_timeout: Duration) -> (Self, mpsc::Receiver<Handoff>) {
        let (notifier, receiver) = mpsc::channel(256);
        (
            InProcessTransport {
                feed,
                notifier,
                confirm_timeout,
            },
            receiver,
        )
    }
}

#[async_trait]
impl EventPublisher for InProcessTransport {
    /// Hands the whole batch over, then awaits every confirm together, so
    /// the notifier claims the batch's deliveries in one statement instead
    /// of one event at a time.
    async fn publish_batch(&self, events: &[EventEnvelope]) -> Vec<Result<(), TransportError>> {
        futures::future::join_all(events.iter().map(|event| self.publish(event))).await
    }

    async fn publish(&self, event: &EventEnvelope) -> Result<(), TransportError> {
        let event = Arc::new(event.clone());
        // Live subscribers first: the dashboard should not wait on SMTP.
        self.feed.send(Arc::clone(&event));
        let (confirm, confirmed) = oneshot::channel();
        self.notifier
            .send(Handoff { event, confirm })
            .await
            .map_err(|_| TransportError::Unavailable("notifier is not running".to_owned()))?;
        match tokio::time::timeout(self.confirm_timeout, confirmed).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(TransportError::Unavailable(
                "notifier dropped the event".to_owned(),
            )),
            Err(_) => Err(TransportError::Unavailable(
                "notifier did not confirm in time".to_owned(),
            )),
        }
    }
}
