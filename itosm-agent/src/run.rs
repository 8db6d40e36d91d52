//! `itosm-agent run`: the long-running loop of heartbeats and inventories.
//!
//! The loop never gives up on the network: an outage or a failing server
//! is retried with [`Backoff`] for as long as it lasts, because an agent
//! on a laptop cannot wait for an operator. Only a revoked credential ends
//! it (exit 3), and SIGTERM/SIGINT, after the request in flight.

use std::path::Path;
use std::time::Duration;

use itosm_agent_protocol::{
    AgentSettings, HEARTBEAT_PATH, HeartbeatRequest, INVENTORY_PATH, Inventory, InventoryRequest,
};
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::{Instrument, error, info, info_span, warn};

use crate::backoff::Backoff;
use crate::client::{ApiError, Client, ClientError};
use crate::collect::{Collector, PlatformCollector};
use crate::state::State;

/// Every this many heartbeats the inventory is collected again and sent
/// if it changed, so that a new disk or package shows within the hour
/// rather than at the next full inventory.
pub const HEARTBEATS_PER_CHANGE_CHECK: u64 = 10;

/// A floor on the server's intervals, so that a misconfigured `0` cannot
/// turn the fleet into a denial of service against the server.
pub const MIN_INTERVAL: Duration = Duration::from_secs(5);

/// How the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunExit {
    /// SIGTERM or SIGINT.
    Stopped,
    /// The server does not know the credential any more.
    Revoked,
}

/// The heartbeat and full-inventory intervals of `settings`.
pub fn intervals(settings: &AgentSettings) -> (Duration, Duration) {
    let interval = |s: u64| Duration::from_secs(s).max(MIN_INTERVAL);
    (
        interval(settings.heartbeat_interval_seconds),
        interval(settings.inventory_interval_seconds),
    )
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
                return;
            }
            Err(e) => warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the agent"),
        }
    }
    // If even SIGINT cannot be listened for, run until killed.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Runs the agent until it is stopped or revoked.
pub async fn run(state_path: &Path, state: State) -> Result<RunExit, ClientError> {
    let span = info_span!("agent", agent_id = %state.agent_id, asset_tag = %state.asset_tag);
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        info!("stopping after the request in flight");
        let _ = stop_tx.send(true);
    });
    Agent::new(state_path, state, stop_rx)?
        .run()
        .instrument(span)
        .await
}

struct Agent<'a> {
    state_path: &'a Path,
    state: State,
    client: Client,
    collector: PlatformCollector,
    stop: watch::Receiver<bool>,
    backoff: Backoff,
    last_heartbeat: Option<Instant>,
    last_full_inventory: Option<Instant>,
    heartbeats: u64,
    last_sent: Option<Inventory>,
    changed: Option<Inventory>,
}

/// What one step did, for the schedule.
enum Step {
    Inventory(Box<Inventory>),
    Heartbeat,
}

impl<'a> Agent<'a> {
    fn new(
        state_path: &'a Path,
        state: State,
        stop: watch::Receiver<bool>,
    ) -> Result<Self, ClientError> {
        let client = Client::new(&state.server, Some(state.credential.clone()))?;
        Ok(Self {
            state_path,
            state,
            client,
            collector: PlatformCollector::new(),
            stop,
            backoff: Backoff::default(),
            last_heartbeat: None,
            last_full_inventory: None,
            heartbeats: 0,
            last_sent: None,
            changed: None,
        })
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Sleeps until `deadline` unless a stop signal comes first.
    async fn sleep_until(&mut self, deadline: Instant) {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => {}
            _ = self.stop.changed() => {}
        }
    }

    async fn run(mut self) -> Result<RunExit, ClientError> {
        info!(server = %self.client.server(), "agent running");
        let mut retry_at: Option<Instant> = None;
        loop {
            if self.stopping() {
                info!("stopped");
                return Ok(RunExit::Stopped);
            }
            let (heartbeat_every, inventory_every) = intervals(&self.state.settings);
            let now = Instant::now();
            let heartbeat_due = self.last_heartbeat.map_or(now, |t| t + heartbeat_every);
            let inventory_due = self
                .last_full_inventory
                .map_or(now, |t| t + inventory_every);
            let inventory_now = inventory_due <= now || self.changed.is_some();
            let due = retry_at.unwrap_or(if inventory_now {
                now
            } else {
                heartbeat_due.min(inventory_due)
            });
            if due > now {
                self.sleep_until(due).await;
                continue;
            }
            retry_at = None;
            let (step, result) = if inventory_now {
                let inventory = match self.changed.take() {
                    Some(inventory) => inventory,
                    None => self.collect_inventory(),
                };
                let result = self.send_inventory(&inventory).await;
                (Step::Inventory(Box::new(inventory)), result)
            } else {
                (Step::Heartbeat, self.send_heartbeat().await)
            };
            match result {
                Ok(settings) => {
                    self.backoff.reset();
                    self.adopt(settings);
                    self.done(step, now).await;
                }
                Err(ApiError::Unauthenticated { code, message }) => {
                    error!(%code, %message, "{}", crate::REVOKED_MESSAGE);
                    return Ok(RunExit::Revoked);
                }
                Err(e) if e.is_transient() => {
                    let delay = self.backoff.next_delay();
                    warn!(error = %e, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "request failed; retrying");
                    if let Step::Inventory(inventory) = step {
                        // Kept so that a change is not forgotten by the retry;
                        // anything newer is caught by the next change check.
                        self.changed = Some(*inventory);
                    }
                    retry_at = Some(Instant::now() + delay);
                }
                Err(e) => {
                    // Sending the same payload again would be refused again:
                    // wait for the next cycle, which collects afresh.
                    warn!(error = %e, "request refused; continuing with the next cycle");
                    self.backoff.reset();
                    self.done(step, now).await;
                }
            }
        }
    }

    /// Records that a step is over (sent or refused), for the schedule.
    async fn done(&mut self, step: Step, at: Instant) {
        match step {
            Step::Inventory(inventory) => {
                self.last_full_inventory = Some(at);
                self.last_sent = Some(*inventory);
            }
            Step::Heartbeat => {
                self.last_heartbeat = Some(at);
                self.heartbeats += 1;
                if self.heartbeats.is_multiple_of(HEARTBEATS_PER_CHANGE_CHECK) {
                    let inventory = self.collect_inventory();
                    if self.last_sent.as_ref() != Some(&inventory) {
                        info!("inventory changed; sending it");
                        self.changed = Some(inventory);
                    }
                }
            }
        }
        tokio::task::yield_now().await;
    }

    fn collect_inventory(&mut self) -> Inventory {
        let mut inventory = self.collector.inventory();
        crate::collect::fit_inventory(&mut inventory);
        inventory
    }

    async fn send_inventory(&mut self, inventory: &Inventory) -> Result<AgentSettings, ApiError> {
        if let Err(e) = inventory.check() {
            error!(error = %e, "collected inventory out of bounds after fitting (a bug); not sent");
            return Ok(self.state.settings.clone());
        }
        let request = InventoryRequest {
            inventory: inventory.clone(),
        };
        let settings = self.client.post(INVENTORY_PATH, &request).await?;
        info!(
            software = inventory.software.len(),
            disks = inventory.disks.len(),
            "inventory sent"
        );
        Ok(settings)
    }

    async fn send_heartbeat(&mut self) -> Result<AgentSettings, ApiError> {
        let targets = self.state.settings.reachability_targets.clone();
        let sample = self.collector.sample(&targets).await;
        if let Err(e) = sample.check() {
            error!(error = %e, "health sample out of bounds (a bug); skipped");
            return Ok(self.state.settings.clone());
        }
        let settings = self
            .client
            .post(HEARTBEAT_PATH, &HeartbeatRequest { sample })
            .await?;
        tracing::debug!("heartbeat sent");
        Ok(settings)
    }

    /// Takes the server's settings; the next wait already uses them.
    fn adopt(&mut self, settings: AgentSettings) {
        if settings == self.state.settings {
            return;
        }
        info!(
            heartbeat_interval_seconds = settings.heartbeat_interval_seconds,
            inventory_interval_seconds = settings.inventory_interval_seconds,
            targets = settings.reachability_targets.len(),
            "new settings from the server"
        );
        self.state.settings = settings;
        // The settings would be fetched again at the next answer anyway, so
        // a failure to save them is not worth stopping for.
        if let Err(e) = self.state.save(self.state_path) {
            warn!(error = %e, "cannot save the new settings");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_follow_the_settings_with_a_floor() {
        let mut settings = AgentSettings {
            heartbeat_interval_seconds: 60,
            inventory_interval_seconds: 86_400,
            reachability_targets: Vec::new(),
        };
        assert_eq!(
            intervals(&settings),
            (Duration::from_secs(60), Duration::from_secs(86_400))
        );
        settings.heartbeat_interval_seconds = 0;
        assert_eq!(intervals(&settings).0, MIN_INTERVAL);
    }
}
