//! The notifier: hands each event to every configured sink, retries
//! retryable failures with backoff, and records every outcome in the
//! delivery log (`notification_deliveries`). A delivery already logged as
//! delivered is skipped, so a redelivered event is never sent twice.
//!
//! The delivery log is the notifier's hot path: every event costs a check
//! and a record per sink and recipient. [`DeliveryLog`] gathers the checks
//! and records of all deliveries in flight (up to the prefetch window) and
//! runs each kind as one statement, so a busy notifier commits once per
//! batch instead of once per delivery.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use itosm_core::event::EventEnvelope;
use itosm_core::sink::DeliveryOutcome;
use itosm_core::store::{DeliveryKey, DeliveryRecord, DeliveryStatus, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;
use crate::sinks::{ConfiguredSink, notification_for};
use crate::transport::rabbitmq::DeliveryHandler;

/// What to do with an event after the sinks answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every sink delivered (or had delivered before): acknowledge.
    Done,
    /// A sink failed for good or after every retry: dead-letter it.
    DeadLetter,
    /// The delivery log could not be read or written: try again later.
    Retry,
}

/// Most requests one delivery-log batch takes.
const MAX_LOG_BATCH: usize = 500;

enum LogRequest {
    Check(DeliveryKey, oneshot::Sender<Result<bool, StoreError>>),
    Record(DeliveryRecord, oneshot::Sender<Result<(), StoreError>>),
}

/// The delivery log with group commit: concurrent callers' requests are
/// gathered while a batch runs and then answered together. A caller hears
/// back only after its batch is committed, so nothing is acknowledged
/// before it is logged.
#[derive(Clone)]
pub struct DeliveryLog {
    requests: mpsc::Sender<LogRequest>,
}

impl DeliveryLog {
    /// Starts the batching task over `store` (it ends when every handle is
    /// dropped).
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (requests, mut inbox) = mpsc::channel::<LogRequest>(MAX_LOG_BATCH * 4);
        tokio::spawn(async move {
            while let Some(first) = inbox.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_LOG_BATCH {
                    match inbox.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                run_batch(store.as_ref(), batch).await;
            }
        });
        DeliveryLog { requests }
    }

    /// Whether `key` was already delivered.
    pub async fn was_delivered(&self, key: DeliveryKey) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(LogRequest::Check(key, reply)).await?;
        answer.await.unwrap_or_else(|_| Err(log_stopped()))
    }

    /// Records an outcome; returns once it is committed.
    pub async fn record(&self, record: DeliveryRecord) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(LogRequest::Record(record, reply)).await?;
        answer.await.unwrap_or_else(|_| Err(log_stopped()))
    }

    async fn send(&self, request: LogRequest) -> Result<(), StoreError> {
        self.requests.send(request).await.map_err(|_| log_stopped())
    }
}

fn log_stopped() -> StoreError {
    StoreError::Unavailable("the delivery log task stopped".to_owned())
}

async fn run_batch(store: &dyn Store, batch: Vec<LogRequest>) {
    let mut checks = Vec::new();
    let mut records = Vec::new();
    for request in batch {
        match request {
            LogRequest::Check(key, reply) => checks.push((key, reply)),
            LogRequest::Record(record, reply) => records.push((record, reply)),
        }
    }
    if !checks.is_empty() {
        let keys: Vec<DeliveryKey> = checks.iter().map(|(key, _)| key.clone()).collect();
        let answer = store.delivered_among(&keys).await;
        for (key, reply) in checks {
            let _ = reply.send(
                answer
                    .as_ref()
                    .map(|delivered| delivered.contains(&key))
                    .map_err(Clone::clone),
            );
        }
    }
    if !records.is_empty() {
        let rows: Vec<DeliveryRecord> = records.iter().map(|(r, _)| r.clone()).collect();
        let answer = store.record_deliveries(&rows).await;
        for (_, reply) in records {
            let _ = reply.send(answer.clone());
        }
    }
}

/// Delivers events to sinks.
pub struct Notifier {
    sinks: Vec<ConfiguredSink>,
    store: Arc<dyn Store>,
    log: DeliveryLog,
    max_attempts: u32,
    backoff: Duration,
    metrics: Arc<Metrics>,
}

impl Notifier {
    /// A notifier over `sinks`, logging deliveries to `store` (starts the
    /// delivery log's batching task, so call it inside a Tokio runtime).
    pub fn new(
        sinks: Vec<ConfiguredSink>,
        store: Arc<dyn Store>,
        max_attempts: u32,
        backoff: Duration,
        metrics: Arc<Metrics>,
    ) -> Self {
        Notifier {
            sinks,
            log: DeliveryLog::start(Arc::clone(&store)),
            store,
            max_attempts: max_attempts.max(1),
            backoff,
            metrics,
        }
    }

    /// Runs every sink for `event`.
    pub async fn deliver(&self, event: Arc<EventEnvelope>) -> Outcome {
        let mut outcome = Outcome::Done;
        let mut pairs = Vec::new();
        for configured in self.sinks.iter().filter(|c| c.routes(event.event_type)) {
            for spec in &configured.recipients {
                // A role with nobody behind it (no assignee yet) is skipped.
                match spec.resolve(&event, self.store.as_ref()).await {
                    Ok(recipients) => {
                        for recipient in recipients {
                            pairs.push((Arc::clone(&configured.sink), recipient));
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, event_id = %event.event_id, "cannot resolve recipients");
                        return Outcome::Retry;
                    }
                }
            }
        }
        for (sink, recipient) in pairs {
            let notification = notification_for(Arc::clone(&event), recipient);
            let recipient = notification.recipient.to_string();
            let key = DeliveryKey {
                event_id: event.event_id,
                sink: sink.name().to_owned(),
                recipient: recipient.clone(),
            };
            match self.log.was_delivered(key).await {
                Ok(true) => {
                    self.metrics.notifications_deduplicated.inc();
                    tracing::debug!(sink = sink.name(), ticket = %event.ticket.number, event_id = %event.event_id, "already delivered");
                    continue;
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, event_id = %event.event_id, "delivery log unavailable");
                    return Outcome::Retry;
                }
            }
            let mut delay = self.backoff;
            let mut attempts = 0;
            let (status, last_error) = loop {
                attempts += 1;
                match sink.deliver(&notification).await {
                    DeliveryOutcome::Delivered => {
                        self.metrics.notifications_delivered.inc();
                        break (DeliveryStatus::Delivered, None);
                    }
                    DeliveryOutcome::Retryable(error) if attempts < self.max_attempts => {
                        self.metrics.notifications_failed.inc();
                        tracing::warn!(sink = sink.name(), ticket = %event.ticket.number, event_id = %event.event_id, attempts, %error, "delivery failed; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(30));
                    }
                    DeliveryOutcome::Retryable(error) | DeliveryOutcome::Permanent(error) => {
                        self.metrics.notifications_failed.inc();
                        tracing::error!(sink = sink.name(), ticket = %event.ticket.number, event_id = %event.event_id, attempts, %error, "delivery failed for good");
                        break (DeliveryStatus::Failed, Some(error));
                    }
                }
            };
            let record = DeliveryRecord {
                event_id: event.event_id,
                event_type: event.event_type.as_str().to_owned(),
                ticket_number: event.ticket.number.clone(),
                sink: sink.name().to_owned(),
                recipient,
                status,
                attempts: i32::try_from(attempts).unwrap_or(i32::MAX),
                last_error,
                at: Utc::now(),
            };
            if let Err(error) = self.log.record(record).await {
                // Delivered but not logged: a redelivery may send it again,
                // which at-least-once allows; retry the bookkeeping.
                tracing::warn!(%error, event_id = %event.event_id, "delivery log write failed");
                return Outcome::Retry;
            }
            if status == DeliveryStatus::Failed {
                outcome = Outcome::DeadLetter;
            }
        }
        outcome
    }
}

#[async_trait]
impl DeliveryHandler for Notifier {
    async fn handle(&self, event: Arc<EventEnvelope>) -> bool {
        match self.deliver(event).await {
            Outcome::Done => true,
            Outcome::DeadLetter => false,
            Outcome::Retry => {
                // Hold the message back briefly, then dead-letter it for
                // replay rather than spin on a broken database.
                tokio::time::sleep(self.backoff).await;
                false
            }
        }
    }
}
