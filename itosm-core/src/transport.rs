//! How events leave the outbox and reach sinks and live subscribers.
//!
//! The outbox relay is the only publisher: it claims unsent rows from the
//! store, hands each event to an [`EventPublisher`], and marks the row sent
//! only once the publisher confirmed it. Live subscribers (GraphQL
//! subscriptions) read a [`LiveFeed`]. Implementations — in-process, RabbitMQ —
//! live outside core.

use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::{BoxStream, StreamExt};
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::event::EventEnvelope;

/// Why a publish was not confirmed; the relay retries later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The transport is down (broker unreachable, consumer gone).
    #[error("transport unavailable: {0}")]
    Unavailable(String),
    /// The transport refused this event (nack, unroutable).
    #[error("publish rejected: {0}")]
    Rejected(String),
}

/// Publishes events with confirmation: `Ok` means the transport has taken
/// responsibility for delivering the event.
#[async_trait]
pub trait EventPublisher: Send + Sync + 'static {
    /// Publishes one event and waits for its confirmation.
    async fn publish(&self, event: &EventEnvelope) -> Result<(), TransportError>;

    /// Publishes events in order and reports each one's confirmation.
    /// Transports that can pipeline (send all, then await the confirms)
    /// override this; the default publishes one by one and stops at the
    /// first failure, reporting the rest as not attempted.
    async fn publish_batch(&self, events: &[EventEnvelope]) -> Vec<Result<(), TransportError>> {
        let mut results = Vec::with_capacity(events.len());
        for event in events {
            let result = self.publish(event).await;
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
        while results.len() < events.len() {
            results.push(Err(TransportError::Unavailable(
                "not attempted after an earlier failure".to_owned(),
            )));
        }
        results
    }
}

/// One item of a live feed.
#[derive(Debug, Clone)]
pub enum FeedItem {
    /// An event, in publication order.
    Event(Arc<EventEnvelope>),
    /// The subscriber fell behind and `missed` events were dropped; it must
    /// resynchronise (re-query) instead of silently missing tickets.
    Lagged {
        /// How many events were dropped.
        missed: u64,
    },
    /// The feed's source (e.g. the broker connection) was interrupted and
    /// events may have been missed meanwhile; resynchronise.
    Interrupted,
}

/// A fan-out of published events to live subscribers.
pub trait LiveFeed: Send + Sync + 'static {
    /// A new subscription that sees every event published from now on.
    fn subscribe(&self) -> BoxStream<'static, FeedItem>;
}

/// A [`LiveFeed`] over a tokio broadcast channel: what every transport uses
/// to fan events out to the subscribers inside one process.
#[derive(Debug, Clone)]
pub struct BroadcastFeed {
    sender: broadcast::Sender<FeedItem>,
}

impl BroadcastFeed {
    /// A feed that buffers up to `capacity` events per slow subscriber.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        BroadcastFeed { sender }
    }

    /// Sends `event` to every current subscriber (none is fine).
    pub fn send(&self, event: Arc<EventEnvelope>) {
        // An error only means nobody is subscribed right now.
        let _ = self.sender.send(FeedItem::Event(event));
    }

    /// Tells every subscriber that events may have been missed.
    pub fn interrupted(&self) {
        let _ = self.sender.send(FeedItem::Interrupted);
    }

    /// How many subscribers are connected.
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }
}

impl LiveFeed for BroadcastFeed {
    fn subscribe(&self) -> BoxStream<'static, FeedItem> {
        BroadcastStream::new(self.sender.subscribe())
            .map(|item| match item {
                Ok(item) => item,
                Err(BroadcastStreamRecvError::Lagged(missed)) => FeedItem::Lagged { missed },
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventType, TicketSnapshot};
    use crate::{Priority, RequestType, TicketStatus};
    use chrono::Utc;

    fn event(n: u32) -> Arc<EventEnvelope> {
        let now = Utc::now();
        Arc::new(EventEnvelope::new(
            EventType::TicketCreated,
            uuid::Uuid::new_v4(),
            now,
            None,
            TicketSnapshot {
                number: format!("INC-2026-{n:04}"),
                subject: String::new(),
                requester: "john.doe".into(),
                requester_name: String::new(),
                requester_email: None,
                request_type: RequestType::Other,
                software: None,
                description: String::new(),
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
        ))
    }

    #[tokio::test]
    async fn a_slow_subscriber_is_told_it_lagged() {
        let feed = BroadcastFeed::new(2);
        let mut stream = feed.subscribe();
        for n in 1..=5 {
            feed.send(event(n));
        }
        match stream.next().await {
            Some(FeedItem::Lagged { missed }) => assert_eq!(missed, 3),
            other => panic!("expected a lag notice, got {other:?}"),
        }
        match stream.next().await {
            Some(FeedItem::Event(e)) => assert_eq!(e.subject_key(), "INC-2026-0004"),
            other => panic!("expected an event, got {other:?}"),
        }
    }
}
