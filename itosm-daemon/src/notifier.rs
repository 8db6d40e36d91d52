//! The notifier: takes each event from the transport, hands it to every
//! configured sink, retries retryable failures with backoff, and confirms
//! the event only after every sink has answered. Deliveries are deduplicated
//! by (event id, sink name), so a redelivered event is not sent twice.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use itosm_core::event::EventEnvelope;
use itosm_core::sink::{DeliveryOutcome, NotificationSink};
use uuid::Uuid;

use crate::metrics::Metrics;
use crate::sinks::broadcast_notification;

/// How many recent deliveries the in-memory dedupe remembers.
const DEDUPE_CAPACITY: usize = 100_000;

/// Remembers recent (event, sink) deliveries.
#[derive(Debug, Default)]
struct Delivered {
    seen: HashSet<(Uuid, String)>,
    order: VecDeque<(Uuid, String)>,
}

impl Delivered {
    fn contains(&self, key: &(Uuid, String)) -> bool {
        self.seen.contains(key)
    }

    fn insert(&mut self, key: (Uuid, String)) {
        if self.seen.insert(key.clone()) {
            self.order.push_back(key);
            if self.order.len() > DEDUPE_CAPACITY
                && let Some(old) = self.order.pop_front()
            {
                self.seen.remove(&old);
            }
        }
    }
}

/// Delivers events to sinks.
pub struct Notifier {
    sinks: Vec<Arc<dyn NotificationSink>>,
    max_attempts: u32,
    backoff: Duration,
    delivered: Mutex<Delivered>,
    metrics: Arc<Metrics>,
}

impl Notifier {
    /// A notifier over `sinks`.
    pub fn new(
        sinks: Vec<Arc<dyn NotificationSink>>,
        max_attempts: u32,
        backoff: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        Notifier {
            sinks,
            max_attempts: max_attempts.max(1),
            backoff,
            delivered: Mutex::new(Delivered::default()),
            metrics,
        }
    }

    /// Runs every sink for `event`; returns the sinks that failed for good.
    pub async fn handle(&self, event: Arc<EventEnvelope>) -> Vec<String> {
        let mut failed = Vec::new();
        for sink in &self.sinks {
            let key = (event.event_id, sink.name().to_owned());
            if self
                .delivered
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(&key)
            {
                self.metrics.notifications_deduplicated.inc();
                continue;
            }
            let notification = broadcast_notification(Arc::clone(&event));
            let mut delay = self.backoff;
            let mut attempt = 1;
            loop {
                match sink.deliver(&notification).await {
                    DeliveryOutcome::Delivered => {
                        self.delivered
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(key);
                        self.metrics.notifications_delivered.inc();
                        break;
                    }
                    DeliveryOutcome::Retryable(error) if attempt < self.max_attempts => {
                        self.metrics.notifications_failed.inc();
                        tracing::warn!(sink = sink.name(), ticket = %event.ticket.number, event_id = %event.event_id, attempt, %error, "delivery failed; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(30));
                        attempt += 1;
                    }
                    DeliveryOutcome::Retryable(error) | DeliveryOutcome::Permanent(error) => {
                        self.metrics.notifications_failed.inc();
                        tracing::error!(sink = sink.name(), ticket = %event.ticket.number, event_id = %event.event_id, attempt, %error, "delivery failed for good");
                        failed.push(sink.name().to_owned());
                        break;
                    }
                }
            }
        }
        failed
    }
}
