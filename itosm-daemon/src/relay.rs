//! The outbox relay: the only publisher. It claims unsent outbox rows, oldest
//! first, publishes each with confirmation, and marks a row sent only after
//! its confirm. It wakes at once when this process commits a ticket, and
//! sweeps periodically for rows committed elsewhere or released after errors.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use itosm_core::event::EventEnvelope;
use itosm_core::store::Store;
use itosm_core::transport::EventPublisher;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::bounded::bounded;
use crate::metrics::Metrics;

/// Relay settings.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// Rows claimed per round.
    pub batch_size: u64,
    /// Sweep interval without wake-ups.
    pub sweep_interval: Duration,
    /// How long a claim is held.
    pub claim_lease: Duration,
    /// How long to gather commits after a wake-up before claiming.
    pub coalesce: Duration,
}

/// Runs the relay until `shutdown` fires.
pub async fn run(
    store: Arc<dyn Store>,
    publisher: Arc<dyn EventPublisher>,
    wakeup: Arc<Notify>,
    settings: RelaySettings,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    let lease =
        chrono::Duration::from_std(settings.claim_lease).unwrap_or(chrono::Duration::seconds(30));
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        let claimed =
            match bounded(store.claim_outbox(settings.batch_size, lease, Utc::now())).await {
                Ok(rows) => rows,
                Err(error) => {
                    tracing::warn!(%error, "relay could not claim outbox rows; retrying");
                    if sleep_or_shutdown(backoff.next_delay(), &shutdown).await {
                        return;
                    }
                    continue;
                }
            };
        let full_batch = claimed.len() as u64 >= settings.batch_size;
        let mut rows = Vec::with_capacity(claimed.len());
        let mut events = Vec::with_capacity(claimed.len());
        for row in claimed {
            match EventEnvelope::from_json(row.payload.as_bytes()) {
                Ok(event) => {
                    rows.push(row);
                    events.push(event);
                }
                // Left claimed: it is retried (and logged) only when its
                // lease runs out, instead of spinning the relay.
                Err(error) => {
                    tracing::error!(%error, outbox_id = row.id, ticket = %row.ticket_number, "unreadable outbox payload")
                }
            }
        }
        // Pipelined: every publish goes out, then every confirm is awaited.
        let results = publisher.publish_batch(&events).await;
        let mut sent = Vec::with_capacity(rows.len());
        let mut failed = false;
        for ((row, event), result) in rows.iter().zip(&events).zip(results) {
            match result {
                Ok(()) => {
                    sent.push(row.id);
                    metrics.event_published();
                    tracing::debug!(ticket = %event.subject_key(), event_id = %event.event_id, "event published");
                }
                Err(error) => {
                    failed = true;
                    tracing::warn!(%error, ticket = %event.subject_key(), event_id = %event.event_id, attempts = row.attempts, "publish failed; will retry");
                    let _ = bounded(store.release_outbox(row.id, &error.to_string())).await;
                }
            }
        }
        if let Err(error) = bounded(store.mark_outbox_sent(&sent, Utc::now())).await {
            // The events went out; they may go out again after the lease,
            // which the notifier absorbs by event id.
            tracing::warn!(%error, count = sent.len(), "published but not marked sent");
        }
        if failed {
            if sleep_or_shutdown(backoff.next_delay(), &shutdown).await {
                return;
            }
            continue;
        }
        backoff.reset();
        if full_batch {
            continue;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = wakeup.notified() => {
                // Let commits arriving together share one claim and one
                // publish round trip.
                if !settings.coalesce.is_zero() && sleep_or_shutdown(settings.coalesce, &shutdown).await {
                    return;
                }
            }
            _ = tokio::time::sleep(settings.sweep_interval) => {}
        }
    }
}

/// Sleeps; returns true if shutdown fired meanwhile.
async fn sleep_or_shutdown(duration: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        _ = shutdown.cancelled() => true,
        _ = tokio::time::sleep(duration) => false,
    }
}

/// Wakes the relay when another process commits outbox rows (PostgreSQL
/// `LISTEN`), reconnecting with backoff. Does nothing on SQLite.
pub async fn listen_for_commits(
    store: Arc<itosm_core::store::sea::SeaStore>,
    wakeup: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    while !shutdown.is_cancelled() {
        match store.listen_outbox().await {
            Ok(None) => return,
            Ok(Some(mut listener)) => {
                backoff.reset();
                // Rows may have committed while we were not listening.
                wakeup.notify_one();
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        woke = listener.wait() => match woke {
                            Ok(()) => wakeup.notify_one(),
                            Err(error) => {
                                tracing::warn!(%error, "outbox listener lost; reconnecting");
                                break;
                            }
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for outbox commits; relying on sweeps")
            }
        }
        if sleep_or_shutdown(backoff.next_delay(), &shutdown).await {
            return;
        }
    }
}
