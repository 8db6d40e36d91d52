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
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use super::{StartedTransport, Transport, TransportContext, TransportStartError, TransportWiring};
use crate::kinds::Settings;

/// `transport.kind = "in-process"`: no settings of its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InProcessConfig {}

impl Settings for InProcessConfig {}

/// Builds the in-process transport.
pub fn build(
    _config: InProcessConfig,
    _context: TransportContext<'_>,
) -> Result<Arc<dyn Transport>, std::convert::Infallible> {
    Ok(Arc::new(InProcess))
}

/// The in-process transport kind: api, relay and notifier in one process.
#[derive(Debug, Clone, Copy)]
pub struct InProcess;

/// How long a publish waits for the notifier to claim its deliveries.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(120);

#[async_trait]
impl Transport for InProcess {
    fn splits_roles(&self) -> bool {
        false
    }

    fn start(&self, wiring: TransportWiring) -> Result<StartedTransport, TransportStartError> {
        let (transport, mut handoffs) = InProcessTransport::new(wiring.feed, CONFIRM_TIMEOUT);
        let notifier = wiring.notifier.ok_or_else(|| {
            TransportStartError("the in-process transport runs the notifier role".to_owned())
        })?;
        let stop = wiring.handoff_stop;
        // Handoffs are taken in batches, in the relay's (outbox) order:
        // one claim statement per batch, and deliveries queued in order.
        let handoff = tokio::spawn(async move {
            loop {
                let first = tokio::select! {
                    _ = stop.cancelled() => return,
                    handoff = handoffs.recv() => match handoff { Some(h) => h, None => return },
                };
                let mut batch = vec![first];
                while batch.len() < 500 {
                    match handoffs.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let events: Vec<_> = batch.iter().map(|h| Arc::clone(&h.event)).collect();
                // Confirmed once claimed: the outcomes are the delivery
                // log's (in-process there is no DLQ, a failure stays
                // FAILED in the log). Not claimed (stopping): the relay
                // publishes them again later.
                if notifier.accept_until_claimed(&events, false).await {
                    for handoff in batch {
                        let _ = handoff.confirm.send(());
                    }
                }
            }
        });
        Ok(StartedTransport {
            publisher: Arc::new(transport),
            tasks: Vec::new(),
            handoff: Some(handoff),
        })
    }
}

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
