//! The notifier: turns each event into deliveries (event × sink ×
//! recipient), sends them, retries the ones that fail, and dead-letters
//! those still failing past the retry horizon.
//!
//! The delivery log (`notification_deliveries`) is its durable work queue:
//!
//! 1. When an event arrives, its recipients are resolved and every delivery
//!    is **claimed** in the log (`Store::claim_deliveries`, one batched
//!    statement for all events in flight): a row `PENDING` with a lease.
//!    Only then is the transport told the event is taken (AMQP ack,
//!    in-process confirm). A delivery not won is another notifier's, or done.
//! 2. Claimed deliveries go to their sink's **lane**: a bounded queue with
//!    its own concurrency and a timeout per attempt, so a slow SMTP server
//!    backs up only the email lane; one attempt per ticket at a time, so a
//!    sink sees a ticket's events in order while nothing fails. A full lane
//!    gives the claim back for the sweeper.
//! 3. Outcomes are group-committed: `DELIVERED`; `PENDING` with
//!    `next_attempt_at` after an exponential backoff with full jitter; or
//!    `FAILED` (a permanent error, or past `retry_until`), after the event
//!    was handed to the dead-letter queue (with `rabbitmq`).
//! 4. A **sweeper** claims due retries, and rows whose lease ran out after a
//!    crash, loads the event from the outbox and dispatches them again.
//!
//! The log is never skipped: if it cannot be written, the bookkeeping is
//! retried until it can (nothing is sent again meanwhile), and an event that
//! cannot be claimed is held (not acked) until the database answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use itosm_core::event::EventEnvelope;
use itosm_core::sink::{DeliveryOutcome, Recipient};
use itosm_core::store::{
    ClaimOptions, ClaimedDelivery, DeliveryClaim, DeliveryKey, DeliveryRecord, DeliveryStatus,
    Store, StoreError,
};
use itosm_core::transport::TransportError;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::bounded::bounded;
use crate::metrics::{Metrics, NotificationOutcome};
use crate::sinks::{ConfiguredSink, RecipientSpec, notification_for};

mod delivery_log;
mod sweeper;

pub use delivery_log::DeliveryLog;
use delivery_log::MAX_LOG_BATCH;
use sweeper::run_sweeper;

/// How the notifier retries and how much it keeps in flight.
#[derive(Debug, Clone)]
pub struct NotifierSettings {
    /// First retry delay; each attempt doubles it (before jitter).
    pub retry_backoff: Duration,
    /// Longest delay between two attempts.
    pub max_retry_delay: Duration,
    /// How long a failing delivery is retried before it is dead-lettered.
    pub retry_horizon: Duration,
    /// Attempts before giving up, whatever the horizon (0: no limit).
    pub max_attempts: u32,
    /// How long a claim holds a delivery against other notifiers.
    pub claim_lease: Duration,
    /// Longest one attempt may take (shorter than the lease).
    pub attempt_timeout: Duration,
    /// Concurrent attempts per sink.
    pub sink_concurrency: usize,
    /// Deliveries started but not yet logged, across all sinks: what a
    /// crash may send twice.
    pub max_in_flight: usize,
    /// Deliveries waiting per sink before claims are given back.
    pub queue_capacity: usize,
}

impl Default for NotifierSettings {
    fn default() -> Self {
        NotifierSettings {
            retry_backoff: Duration::from_millis(200),
            max_retry_delay: Duration::from_secs(300),
            retry_horizon: Duration::from_secs(6 * 3600),
            max_attempts: 0,
            claim_lease: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(30),
            sink_concurrency: 32,
            max_in_flight: 1000,
            queue_capacity: 10_000,
        }
    }
}

impl NotifierSettings {
    /// The delay before attempt `attempts + 1`: exponential, capped, with
    /// full jitter (uniform between zero and the capped delay).
    pub fn backoff(&self, attempts: i32) -> Duration {
        crate::backoff::full_jitter(
            self.retry_backoff,
            self.max_retry_delay,
            u32::try_from(attempts.max(1)).unwrap_or(1),
        )
    }
}

/// Where events that keep failing go (the `rabbitmq` dead-letter queue).
#[async_trait]
pub trait DeadLetters: Send + Sync + 'static {
    /// Hands `event` to the dead-letter queue, confirmed.
    async fn dead_letter(&self, event: &EventEnvelope) -> Result<(), TransportError>;
}

/// What the transport does with a message after the notifier took it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Its deliveries are claimed (or were done before): acknowledge.
    Ack,
    /// The notifier is stopping before it could claim: give it back.
    Requeue,
    /// It cannot be handled (unreadable): dead-letter it.
    DeadLetter,
}

/// One claimed delivery on its way to a sink.
struct Job {
    event: Arc<EventEnvelope>,
    recipient: Recipient,
    claimed: ClaimedDelivery,
}

/// A sink with its queue and concurrency.
struct Lane {
    configured: ConfiguredSink,
    queue: mpsc::Sender<Job>,
    concurrency: Arc<Semaphore>,
}

impl Lane {
    fn name(&self) -> &str {
        self.configured.sink.name()
    }

    /// The recipient a logged delivery was for.
    fn recipient_from(&self, logged: &str) -> Recipient {
        for spec in &self.configured.recipients {
            if let RecipientSpec::Fixed(fixed) = spec
                && fixed.to_string() == logged
            {
                return fixed.clone();
            }
        }
        if logged == "*" {
            Recipient::Broadcast
        } else if logged.starts_with('+') {
            Recipient::Phone(logged.to_owned())
        } else if logged.starts_with("http://") || logged.starts_with("https://") {
            Recipient::Url(logged.to_owned())
        } else {
            Recipient::Email(logged.to_owned())
        }
    }
}

struct Inner {
    lanes: Vec<Lane>,
    store: Arc<dyn Store>,
    log: DeliveryLog,
    settings: NotifierSettings,
    in_flight: Arc<Semaphore>,
    dead_letters: Option<Arc<dyn DeadLetters>>,
    metrics: Arc<Metrics>,
    /// Fires first on shutdown: events not yet claimed are given back.
    claiming: CancellationToken,
    /// Fires last: lanes and the sweeper stop.
    stop: CancellationToken,
}

/// Delivers events to sinks (see the module docs).
pub struct Notifier {
    inner: Arc<Inner>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Notifier {
    /// Starts a notifier over `sinks`, logging to `store`: a lane per sink
    /// and the retry sweeper (call it inside a Tokio runtime).
    /// `dead_letters` takes events that keep failing past the horizon;
    /// without one (in-process) they stay `FAILED` in the log.
    pub fn start(
        sinks: Vec<ConfiguredSink>,
        store: Arc<dyn Store>,
        settings: NotifierSettings,
        dead_letters: Option<Arc<dyn DeadLetters>>,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        let mut receivers = Vec::new();
        let lanes = sinks
            .into_iter()
            .map(|configured| {
                let (queue, receiver) = mpsc::channel(settings.queue_capacity.max(1));
                receivers.push(receiver);
                Lane {
                    configured,
                    queue,
                    concurrency: Arc::new(Semaphore::new(settings.sink_concurrency.max(1))),
                }
            })
            .collect();
        let inner = Arc::new(Inner {
            lanes,
            log: DeliveryLog::start(
                Arc::clone(&store),
                settings.claim_lease,
                settings.retry_horizon,
            ),
            store,
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight.max(1))),
            settings,
            dead_letters,
            metrics,
            claiming: CancellationToken::new(),
            stop: CancellationToken::new(),
        });
        let mut tasks: Vec<JoinHandle<()>> = receivers
            .into_iter()
            .enumerate()
            .map(|(index, receiver)| tokio::spawn(run_lane(Arc::clone(&inner), index, receiver)))
            .collect();
        tasks.push(tokio::spawn(run_sweeper(Arc::clone(&inner))));
        Arc::new(Notifier {
            inner,
            tasks: Mutex::new(tasks),
        })
    }

    /// Takes `events` (in order): resolves their recipients, claims every
    /// delivery in one request and queues the ones won, in the events'
    /// order. Returns how many were won; an error means nothing was claimed
    /// (the database did not answer): try again.
    pub async fn accept_all(
        &self,
        events: &[Arc<EventEnvelope>],
        replay: bool,
    ) -> Result<usize, StoreError> {
        let inner = &self.inner;
        // (event, lane, recipient), in order.
        let mut wanted: Vec<(usize, usize, Recipient)> = Vec::new();
        for (nth, event) in events.iter().enumerate() {
            for (index, lane) in inner.lanes.iter().enumerate() {
                if !lane.configured.routes(event.event_type) {
                    continue;
                }
                for spec in &lane.configured.recipients {
                    // A role with nobody behind it (no assignee yet) is skipped.
                    for recipient in bounded(spec.resolve(event, inner.store.as_ref())).await? {
                        if !wanted
                            .iter()
                            .any(|(e, i, r)| *e == nth && *i == index && *r == recipient)
                        {
                            wanted.push((nth, index, recipient));
                        }
                    }
                }
            }
        }
        if wanted.is_empty() {
            return Ok(0);
        }
        let key = |nth: usize, index: usize, recipient: &Recipient| DeliveryKey {
            event_id: events[nth].event_id,
            sink: inner.lanes[index].name().to_owned(),
            recipient: recipient.to_string(),
        };
        let claims = wanted
            .iter()
            .map(|(nth, index, recipient)| DeliveryClaim {
                key: key(*nth, *index, recipient),
                event_type: events[*nth].event_type.as_str().to_owned(),
                ticket_number: events[*nth].subject_key().to_owned(),
            })
            .collect::<Vec<_>>();
        let asked = claims.len();
        let mut won: HashMap<DeliveryKey, ClaimedDelivery> = inner
            .log
            .claim(claims, replay)
            .await?
            .into_iter()
            .map(|w| (w.key.clone(), w))
            .collect();
        let count = won.len();
        if count < asked {
            // Rare (a redelivery, a replay): only then find which were
            // skipped, so the usual batch copies no keys for the metric.
            for (nth, index, recipient) in &wanted {
                if !won.contains_key(&key(*nth, *index, recipient)) {
                    inner.metrics.notification(
                        inner.lanes[*index].name(),
                        NotificationOutcome::Deduplicated,
                    );
                }
            }
            tracing::debug!(
                skipped = asked - count,
                "deliveries held by another notifier or done"
            );
        }
        let mut given_back = Vec::new();
        for (nth, index, recipient) in wanted {
            let Some(claimed) = won.remove(&key(nth, index, &recipient)) else {
                continue;
            };
            let job = Job {
                event: Arc::clone(&events[nth]),
                recipient,
                claimed,
            };
            if let Err(job) = inner.dispatch(index, job) {
                given_back.push(job);
            }
        }
        inner.give_back(given_back);
        Ok(count)
    }

    /// Takes `events` like [`Notifier::accept_all`], waiting for the
    /// database (with backoff) as long as it does not answer; `false` if
    /// the notifier stopped first.
    pub async fn accept_until_claimed(&self, events: &[Arc<EventEnvelope>], replay: bool) -> bool {
        let mut delay = Duration::from_millis(100);
        loop {
            match self.accept_all(events, replay).await {
                Ok(_) => return true,
                Err(error) => {
                    let first = &events[0];
                    tracing::warn!(%error, ticket = %first.subject_key(), event_id = %first.event_id, events = events.len(), retry_in = ?delay, "cannot claim deliveries; waiting for the database");
                }
            }
            tokio::select! {
                _ = self.inner.claiming.cancelled() => return false,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// The first step of shutting down: events still waiting for the
    /// database are given back to the transport instead of claimed.
    pub fn stop_claiming(&self) {
        self.inner.claiming.cancel();
    }

    /// What the transport should do with a message carrying `event`.
    pub async fn disposition(&self, event: Arc<EventEnvelope>, replay: bool) -> Disposition {
        if self.accept_until_claimed(&[event], replay).await {
            Disposition::Ack
        } else {
            Disposition::Requeue
        }
    }

    /// Stops: no more claims or sweeps; deliveries still queued are given
    /// back (for the next notifier), the ones being sent finish and are
    /// logged, all within `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        self.inner.claiming.cancel();
        self.inner.stop.cancel();
        let tasks: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        let settled = async {
            for task in tasks {
                let _ = task.await;
            }
            let all = u32::try_from(self.inner.settings.max_in_flight.max(1)).unwrap_or(u32::MAX);
            let _ = self.inner.in_flight.acquire_many(all).await;
        };
        if tokio::time::timeout(grace, settled).await.is_err() {
            tracing::warn!(grace = ?grace, "deliveries still in flight at the end of the grace period; their leases let another notifier finish them");
        }
    }
}

impl Inner {
    /// Queues `job` on its lane; gives it back if the lane is full.
    fn dispatch(&self, index: usize, job: Job) -> Result<(), Job> {
        match self.lanes[index].queue.try_send(job) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(job) | mpsc::error::TrySendError::Closed(job)) => {
                Err(job)
            }
        }
    }

    /// Releases claims of jobs that were not started: due at once, for the
    /// sweeper (here or in another notifier).
    fn give_back(&self, jobs: Vec<Job>) {
        if jobs.is_empty() {
            return;
        }
        let now = Utc::now();
        let records = jobs
            .into_iter()
            .map(|job| record_of(&job, DeliveryStatus::Pending, 0, None, Some(now)))
            .collect();
        self.log.record_later(records);
    }

    /// Records `records`, retrying until the log takes them: the sends they
    /// describe happened, so they are never sent again for a lost write.
    async fn record_until_done(&self, records: Vec<DeliveryRecord>) {
        let mut delay = Duration::from_millis(100);
        loop {
            match self.log.record(records.clone()).await {
                Ok(()) => return,
                Err(error) => {
                    let first = &records[0];
                    tracing::warn!(%error, ticket = %first.ticket_number, event_id = %first.event_id, sink = %first.sink, retry_in = ?delay, "cannot log a delivery outcome; retrying the bookkeeping");
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// Hands `event` to the dead-letter queue, retrying until it takes it;
    /// `false` if the notifier stopped first.
    async fn dead_letter(&self, event: &EventEnvelope, sink: &str) -> bool {
        let Some(dead_letters) = &self.dead_letters else {
            return true;
        };
        let mut delay = Duration::from_millis(200);
        loop {
            match dead_letters.dead_letter(event).await {
                Ok(()) => {
                    tracing::error!(ticket = %event.subject_key(), event_id = %event.event_id, sink, "event dead-lettered; `itosm dlq replay` retries it");
                    return true;
                }
                Err(error) => {
                    tracing::warn!(%error, ticket = %event.subject_key(), event_id = %event.event_id, sink, "cannot dead-letter the event; retrying");
                }
            }
            tokio::select! {
                _ = self.stop.cancelled() => return false,
                _ = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }
}

fn record_of(
    job: &Job,
    status: DeliveryStatus,
    attempts: i32,
    last_error: Option<String>,
    next_attempt_at: Option<chrono::DateTime<Utc>>,
) -> DeliveryRecord {
    DeliveryRecord {
        event_id: job.event.event_id,
        event_type: job.event.event_type.as_str().to_owned(),
        ticket_number: job.event.subject_key().to_owned(),
        sink: job.claimed.key.sink.clone(),
        recipient: job.claimed.key.recipient.clone(),
        status,
        attempts,
        last_error,
        at: Utc::now(),
        next_attempt_at,
    }
}

/// Runs one sink's lane: takes jobs while a slot is free (per sink and
/// overall), each attempt a task of its own, one at a time per ticket (a
/// ticket's later event waits for its earlier one, so a sink sees a
/// ticket's events in order while nothing fails). On stop, gives back what
/// is still queued.
async fn run_lane(inner: Arc<Inner>, index: usize, mut queue: mpsc::Receiver<Job>) {
    let lane = &inner.lanes[index];
    // Tickets with an attempt in flight, and the jobs waiting behind it.
    let mut busy: HashMap<String, std::collections::VecDeque<Job>> = HashMap::new();
    let (finished, mut done) = mpsc::unbounded_channel::<String>();
    loop {
        let job = tokio::select! {
            biased;
            _ = inner.stop.cancelled() => break,
            Some(ticket) = done.recv() => {
                match busy.get_mut(&ticket).and_then(|waiting| waiting.pop_front()) {
                    Some(next) => next,
                    None => {
                        busy.remove(&ticket);
                        continue;
                    }
                }
            }
            job = queue.recv() => match job {
                Some(job) => {
                    match busy.get_mut(job.event.subject_key()) {
                        Some(waiting) => {
                            waiting.push_back(job);
                            continue;
                        }
                        None => {
                            busy.insert(job.event.subject_key().to_owned(), Default::default());
                            job
                        }
                    }
                }
                None => break,
            },
        };
        let permits = tokio::select! {
            biased;
            _ = inner.stop.cancelled() => {
                inner.give_back(vec![job]);
                break;
            }
            permits = async {
                let sink = Arc::clone(&lane.concurrency).acquire_owned().await;
                let flight = Arc::clone(&inner.in_flight).acquire_owned().await;
                (sink, flight)
            } => permits,
        };
        let (Ok(sink_permit), Ok(flight_permit)) = permits else {
            break;
        };
        let inner = Arc::clone(&inner);
        let finished = finished.clone();
        tokio::spawn(async move {
            let ticket = job.event.subject_key().to_owned();
            attempt(&inner, index, job, sink_permit).await;
            drop(flight_permit);
            let _ = finished.send(ticket);
        });
    }
    queue.close();
    let mut left: Vec<Job> = busy.into_values().flatten().collect();
    while let Ok(job) = queue.try_recv() {
        left.push(job);
    }
    if !left.is_empty() {
        let now = Utc::now();
        let records = left
            .iter()
            .map(|job| record_of(job, DeliveryStatus::Pending, 0, None, Some(now)))
            .collect();
        // Bounded by the shutdown grace: if the log is down, the leases
        // run out and the claims are swept all the same.
        let _ = inner.log.record(records).await;
    }
}

/// One attempt and its bookkeeping.
async fn attempt(
    inner: &Inner,
    index: usize,
    job: Job,
    sink_permit: tokio::sync::OwnedSemaphorePermit,
) {
    let lane = &inner.lanes[index];
    let sink = lane.name();
    let event = Arc::clone(&job.event);
    let notification = notification_for(Arc::clone(&event), job.recipient.clone());
    let timeout = inner.settings.attempt_timeout;
    let outcome =
        match tokio::time::timeout(timeout, lane.configured.sink.deliver(&notification)).await {
            Ok(outcome) => outcome,
            Err(_) => DeliveryOutcome::Retryable(format!("no answer within {timeout:?}")),
        };
    drop(sink_permit);
    let attempts = job.claimed.attempts.saturating_add(1);
    let record = match outcome {
        DeliveryOutcome::Delivered => {
            inner
                .metrics
                .notification(sink, NotificationOutcome::Delivered);
            if let Ok(lag) = (Utc::now() - event.occurred_at).to_std() {
                inner.metrics.event_lag(lag);
            }
            tracing::debug!(sink, ticket = %event.subject_key(), event_id = %event.event_id, attempts, "delivered");
            record_of(&job, DeliveryStatus::Delivered, 1, None, None)
        }
        DeliveryOutcome::Retryable(error) => {
            inner
                .metrics
                .notification(sink, NotificationOutcome::Failed);
            let delay = inner.settings.backoff(attempts);
            let next = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
            let exhausted = inner.settings.max_attempts > 0
                && u32::try_from(attempts).unwrap_or(u32::MAX) >= inner.settings.max_attempts;
            if exhausted || next > job.claimed.retry_until {
                tracing::error!(sink, ticket = %event.subject_key(), event_id = %event.event_id, attempts, %error, "delivery kept failing past the retry horizon");
                if !inner.dead_letter(&event, sink).await {
                    // Stopping before the DLQ took it: retry it next run.
                    inner
                        .metrics
                        .notification(sink, NotificationOutcome::Retried);
                    record_of(
                        &job,
                        DeliveryStatus::Pending,
                        1,
                        Some(error),
                        Some(Utc::now()),
                    )
                } else {
                    inner
                        .metrics
                        .notification(sink, NotificationOutcome::DeadLettered);
                    record_of(&job, DeliveryStatus::Failed, 1, Some(error), None)
                }
            } else {
                inner
                    .metrics
                    .notification(sink, NotificationOutcome::Retried);
                tracing::warn!(sink, ticket = %event.subject_key(), event_id = %event.event_id, attempts, %error, retry_in = ?delay, "delivery failed; will retry");
                record_of(&job, DeliveryStatus::Pending, 1, Some(error), Some(next))
            }
        }
        DeliveryOutcome::Permanent(error) => {
            inner
                .metrics
                .notification(sink, NotificationOutcome::Failed);
            tracing::error!(sink, ticket = %event.subject_key(), event_id = %event.event_id, attempts, %error, "delivery refused for good");
            if inner.dead_letter(&event, sink).await {
                inner
                    .metrics
                    .notification(sink, NotificationOutcome::DeadLettered);
                record_of(&job, DeliveryStatus::Failed, 1, Some(error), None)
            } else {
                record_of(
                    &job,
                    DeliveryStatus::Pending,
                    1,
                    Some(error),
                    Some(Utc::now()),
                )
            }
        }
    };
    inner.record_until_done(vec![record]).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let settings = NotifierSettings {
            retry_backoff: Duration::from_millis(100),
            max_retry_delay: Duration::from_secs(1),
            ..NotifierSettings::default()
        };
        for attempts in 1..=40 {
            let ceiling = Duration::from_millis(100)
                .saturating_mul(2u32.saturating_pow(u32::try_from(attempts - 1).unwrap_or(31)))
                .min(Duration::from_secs(1));
            for _ in 0..50 {
                assert!(settings.backoff(attempts) <= ceiling, "attempt {attempts}");
            }
        }
        // Full jitter: delays spread over the whole range, not bunched at
        // the ceiling.
        let spread: Vec<Duration> = (0..200).map(|_| settings.backoff(10)).collect();
        assert!(spread.iter().any(|d| *d < Duration::from_millis(500)));
        assert!(spread.iter().any(|d| *d > Duration::from_millis(500)));
    }
}
