//! `[agents]`: what enrolled agents are told, and how the server judges
//! their devices' health.

use serde::{Deserialize, Serialize};

use super::{ConfigDuration, ConfigError};

/// `[agents]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsConfig {
    /// Time between an agent's heartbeats, e.g. `60s` (5s..1h).
    pub heartbeat_interval: ConfigDuration,
    /// Time between full inventories, e.g. `1d`.
    pub inventory_interval: ConfigDuration,
    /// Heartbeats missed before a device counts as `DOWN` (2..100).
    pub missed_heartbeats: u32,
    /// `host:port` targets each heartbeat's reachability probe measures.
    pub reachability_targets: Vec<String>,
    /// How long health samples are kept in the database.
    pub sample_retention: ConfigDuration,
    /// Longest heartbeats wait in memory before they are written, in one
    /// transaction per batch.
    pub flush_interval: ConfigDuration,
    /// Most heartbeats waiting to be written; past it agents are told to
    /// retry (`UNAVAILABLE`).
    pub max_pending_heartbeats: usize,
    /// Longest lifetime of an enrolment token, e.g. `90d`.
    pub max_token_lifetime: ConfigDuration,
    /// Open an incident ticket per device and condition (`DOWN`,
    /// `DEGRADED`), comment on a repeat, resolve it after recovery.
    pub incidents: bool,
    /// How long a device must stay recovered before its incident ticket is
    /// resolved, e.g. `5m` (against flapping).
    pub incident_hold_down: ConfigDuration,
    /// When a device counts as `DEGRADED`.
    pub thresholds: ThresholdsConfig,
}

/// `[agents.thresholds]`: percentages and milliseconds above which a
/// sample is `DEGRADED`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdsConfig {
    /// CPU busy, percent.
    pub cpu_percent: f64,
    /// Memory used, percent.
    pub memory_percent: f64,
    /// Any disk used, percent.
    pub disk_percent: f64,
    /// Probes lost to any reachability target, percent.
    pub loss_percent: f64,
    /// Round trip to any reachability target, milliseconds.
    pub latency_ms: f64,
}

impl Default for AgentsConfig {
    fn default() -> Self {
        AgentsConfig {
            heartbeat_interval: ConfigDuration::secs(60),
            inventory_interval: ConfigDuration::days(1),
            missed_heartbeats: 3,
            reachability_targets: Vec::new(),
            sample_retention: ConfigDuration::hours(6),
            flush_interval: ConfigDuration::secs(1),
            max_pending_heartbeats: 100_000,
            max_token_lifetime: ConfigDuration::days(90),
            incidents: false,
            incident_hold_down: ConfigDuration::mins(5),
            thresholds: ThresholdsConfig::default(),
        }
    }
}

impl Default for ThresholdsConfig {
    fn default() -> Self {
        let defaults = itosm_core::HealthThresholds::default();
        ThresholdsConfig {
            cpu_percent: defaults.cpu_percent,
            memory_percent: defaults.memory_percent,
            disk_percent: defaults.disk_percent,
            loss_percent: defaults.loss_percent,
            latency_ms: defaults.latency_ms,
        }
    }
}

impl AgentsConfig {
    /// Checks the bounds serde's types do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        use std::time::Duration;
        let heartbeat = self.heartbeat_interval.get();
        if !(Duration::from_secs(5)..=Duration::from_secs(3600)).contains(&heartbeat) {
            return Err(ConfigError::invalid(
                "agents.heartbeat_interval",
                "must be between 5s and 1h",
            ));
        }
        if self.inventory_interval.get() < Duration::from_secs(60) {
            return Err(ConfigError::invalid(
                "agents.inventory_interval",
                "must be at least 1m",
            ));
        }
        if !(2..=100).contains(&self.missed_heartbeats) {
            return Err(ConfigError::invalid(
                "agents.missed_heartbeats",
                "must be between 2 and 100",
            ));
        }
        if self.reachability_targets.len() > itosm_core::agent_protocol::limits::MAX_TARGETS {
            return Err(ConfigError::invalid(
                "agents.reachability_targets",
                format!(
                    "at most {} targets",
                    itosm_core::agent_protocol::limits::MAX_TARGETS
                ),
            ));
        }
        for target in &self.reachability_targets {
            let valid = target.rsplit_once(':').is_some_and(|(host, port)| {
                !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
            }) && target.len() <= 255;
            if !valid {
                return Err(ConfigError::invalid(
                    "agents.reachability_targets",
                    format!("{target:?} is not host:port"),
                ));
            }
        }
        if self.sample_retention.get() < Duration::from_secs(60) {
            return Err(ConfigError::invalid(
                "agents.sample_retention",
                "must be at least 1m",
            ));
        }
        if !(Duration::from_millis(10)..=Duration::from_secs(60))
            .contains(&self.flush_interval.get())
        {
            return Err(ConfigError::invalid(
                "agents.flush_interval",
                "must be between 10ms and 60s",
            ));
        }
        if !(100..=10_000_000).contains(&self.max_pending_heartbeats) {
            return Err(ConfigError::invalid(
                "agents.max_pending_heartbeats",
                "must be between 100 and 10000000",
            ));
        }
        if self.max_token_lifetime.get() < Duration::from_secs(60) {
            return Err(ConfigError::invalid(
                "agents.max_token_lifetime",
                "must be at least 1m",
            ));
        }
        let t = &self.thresholds;
        for (key, value) in [
            ("agents.thresholds.cpu_percent", t.cpu_percent),
            ("agents.thresholds.memory_percent", t.memory_percent),
            ("agents.thresholds.disk_percent", t.disk_percent),
            ("agents.thresholds.loss_percent", t.loss_percent),
        ] {
            if !(0.0..=100.0).contains(&value) {
                return Err(ConfigError::invalid(key, "must be a percentage, 0..100"));
            }
        }
        if !(t.latency_ms.is_finite() && t.latency_ms > 0.0) {
            return Err(ConfigError::invalid(
                "agents.thresholds.latency_ms",
                "must be positive",
            ));
        }
        Ok(())
    }

    /// The core's agent policy.
    pub fn policy(&self) -> Result<itosm_core::AgentPolicy, ConfigError> {
        let duration = |key: &'static str, value: ConfigDuration| {
            chrono::Duration::from_std(value.get())
                .map_err(|_| ConfigError::invalid(key, "too long"))
        };
        let t = &self.thresholds;
        Ok(itosm_core::AgentPolicy {
            heartbeat_interval: duration("agents.heartbeat_interval", self.heartbeat_interval)?,
            inventory_interval: duration("agents.inventory_interval", self.inventory_interval)?,
            reachability_targets: self.reachability_targets.clone(),
            thresholds: itosm_core::HealthThresholds {
                cpu_percent: t.cpu_percent,
                memory_percent: t.memory_percent,
                disk_percent: t.disk_percent,
                loss_percent: t.loss_percent,
                latency_ms: t.latency_ms,
            },
            missed_heartbeats: self.missed_heartbeats,
            sample_retention: duration("agents.sample_retention", self.sample_retention)?,
            max_token_lifetime: duration("agents.max_token_lifetime", self.max_token_lifetime)?,
            incidents: self.incidents,
            incident_hold_down: duration("agents.incident_hold_down", self.incident_hold_down)?,
        })
    }
}
