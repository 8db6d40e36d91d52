//! The daemon's side of agents: heartbeats written in batches, and the
//! sweep that marks silent devices `DOWN`.
//!
//! A heartbeat is acknowledged once it is queued; the writer commits
//! whatever is queued every `agents.flush_interval` (or sooner when a batch
//! fills), in one transaction — so 10,000 agents at one heartbeat a minute
//! cost a few commits a second, not 167. A heartbeat lost in a crash is one
//! sample; the next one a minute later carries the device's state again.

use std::sync::Arc;
use std::time::Duration;

use itosm_core::store::Heartbeat;
use itosm_core::{CoreError, Itosm};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;

/// Most heartbeats written in one transaction.
const MAX_BATCH: usize = 2_000;

/// Where the agent API queues heartbeats for the writer.
#[derive(Debug, Clone)]
pub struct HeartbeatQueue(mpsc::Sender<Heartbeat>);

impl HeartbeatQueue {
    /// Queues a heartbeat; `UNAVAILABLE` when the writer is this far
    /// behind (the database is down or slow), so the agent retries later.
    pub fn push(&self, beat: Heartbeat) -> Result<(), CoreError> {
        self.0.try_send(beat).map_err(|_| {
            metrics::counter!("itosm_agent_heartbeats_refused_total").increment(1);
            CoreError::Unavailable("heartbeats are not being written fast enough".to_owned())
        })
    }
}

/// Starts the heartbeat writer; it drains the queue and stops at
/// `shutdown` after writing what is queued.
pub fn start_heartbeat_writer(
    itosm: Arc<Itosm>,
    capacity: usize,
    flush_interval: Duration,
    shutdown: CancellationToken,
) -> (HeartbeatQueue, tokio::task::JoinHandle<()>) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    let task = tokio::spawn(write_heartbeats(itosm, receiver, flush_interval, shutdown));
    (HeartbeatQueue(sender), task)
}

async fn write_heartbeats(
    itosm: Arc<Itosm>,
    mut receiver: mpsc::Receiver<Heartbeat>,
    flush_interval: Duration,
    shutdown: CancellationToken,
) {
    let mut batch: Vec<Heartbeat> = Vec::with_capacity(MAX_BATCH);
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
    loop {
        let stopping = shutdown.is_cancelled();
        if batch.is_empty() {
            tokio::select! {
                received = receiver.recv() => match received {
                    Some(beat) => batch.push(beat),
                    None => return,
                },
                () = shutdown.cancelled(), if !stopping => {}
            }
            if shutdown.is_cancelled() && batch.is_empty() {
                // Take what is still queued, then stop.
                while let Ok(beat) = receiver.try_recv() {
                    batch.push(beat);
                }
                if batch.is_empty() {
                    return;
                }
            }
            // Let a batch gather, unless shutting down.
            if !shutdown.is_cancelled() {
                let deadline = tokio::time::Instant::now() + flush_interval;
                while batch.len() < MAX_BATCH {
                    tokio::select! {
                        received = receiver.recv() => match received {
                            Some(beat) => batch.push(beat),
                            None => break,
                        },
                        () = tokio::time::sleep_until(deadline) => break,
                        () = shutdown.cancelled() => break,
                    }
                }
            }
        }
        let started = std::time::Instant::now();
        match itosm.record_heartbeats(&batch).await {
            Ok(changes) => {
                metrics::counter!("itosm_agent_heartbeats_total").increment(batch.len() as u64);
                metrics::histogram!("itosm_agent_heartbeat_batch_seconds")
                    .record(started.elapsed().as_secs_f64());
                tracing::debug!(
                    heartbeats = batch.len(),
                    health_changes = changes.len(),
                    "heartbeats written"
                );
                batch.clear();
                backoff.reset();
            }
            Err(error) => {
                // The batch is kept and written again: heartbeats queued
                // meanwhile wait in the bounded queue.
                let delay = backoff.next_delay();
                tracing::warn!(%error, heartbeats = batch.len(), retry_in = ?delay, "cannot write heartbeats; will retry");
                if shutdown.is_cancelled() {
                    return;
                }
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = shutdown.cancelled() => {}
                }
            }
        }
    }
}

/// Marks silent devices `DOWN` a few times per heartbeat interval, and
/// prunes old samples. Every api replica may run it: the store marks each
/// device once.
pub async fn watch_silence(
    itosm: Arc<Itosm>,
    heartbeat_interval: Duration,
    shutdown: CancellationToken,
) {
    let every = (heartbeat_interval / 3).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut last_prune = std::time::Instant::now();
    loop {
        match itosm.sweep_silent_assets().await {
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot check for silent devices; will retry"),
        }
        match itosm.resolve_recovered_incidents().await {
            Ok(0) => {}
            Ok(resolved) => tracing::info!(resolved, "incident tickets resolved after recovery"),
            Err(error) => tracing::warn!(%error, "cannot resolve recovered incidents; will retry"),
        }
        if last_prune.elapsed() > Duration::from_secs(600) {
            match itosm.prune_samples().await {
                Ok(0) => {}
                Ok(pruned) => tracing::debug!(pruned, "old health samples deleted"),
                Err(error) => tracing::warn!(%error, "cannot prune health samples; will retry"),
            }
            last_prune = std::time::Instant::now();
        }
        let jitter = crate::backoff::full_jitter(every / 4, every / 4, 1);
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every + jitter) => {}
        }
    }
}
