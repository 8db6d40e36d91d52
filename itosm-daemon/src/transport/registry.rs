//! The transport kinds a daemon knows: each a `transport.kind` name, typed
//! settings read from the `[transport]` table, and a factory.

use std::fmt::Display;
use std::sync::Arc;

use async_trait::async_trait;
use figment::value::Dict;
use itosm_core::transport::{BroadcastFeed, EventPublisher};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::rabbitmq::BrokerHealth;
use crate::app::Roles;
use crate::config::{Config, ConfigError};
use crate::kinds::{self, Registry, Settings};
use crate::notifier::{DeadLetters, Notifier};

/// The `[transport]` keys every kind has (the built-in broker's); the
/// others are the kind's own settings.
pub const COMMON_KEYS: &[&str] = &[
    "kind",
    "amqp_url",
    "exchange",
    "queue",
    "prefetch",
    "connect_timeout",
    "confirm_timeout",
    "heartbeat",
];

/// Why a transport could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportStartError(pub String);

/// What the transport is handed when the daemon starts it.
pub struct TransportWiring {
    /// The roles this instance runs.
    pub roles: Roles,
    /// The notifier, with the `notifier` role: events published reach it.
    pub notifier: Option<Arc<Notifier>>,
    /// The live feed, with the `api` role: events published reach it.
    pub feed: BroadcastFeed,
    /// Fires when shutdown begins, after HTTP drained: consumers stop
    /// taking and hand back what they hold.
    pub shutdown: CancellationToken,
    /// Fires once the relay and the consumers stopped, just before the
    /// notifier stops: for a hand-off to the notifier that must outlive
    /// the relay.
    pub handoff_stop: CancellationToken,
}

/// A started transport.
pub struct StartedTransport {
    /// What the outbox relay publishes through.
    pub publisher: Arc<dyn EventPublisher>,
    /// Consumers, awaited (within the grace period) once `shutdown` fired.
    pub tasks: Vec<JoinHandle<()>>,
    /// Awaited once `handoff_stop` fired.
    pub handoff: Option<JoinHandle<()>>,
}

/// One `check-config --connect` check of a transport.
#[derive(Debug, Clone)]
pub struct TransportCheck {
    /// What was tried, e.g. `broker amqp://guest:***@host/`.
    pub what: String,
    /// `Ok(detail)` or `Err(why)`.
    pub outcome: Result<String, String>,
}

/// A transport, built from config by its kind's factory.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Whether api, relay and notifier may run in separate processes (with
    /// `--roles`): only through something between them, like a broker.
    fn splits_roles(&self) -> bool {
        true
    }

    /// Runs once when `serve` starts, before anything else: fail fast on a
    /// wrong address, declare what must exist. Later outages are the
    /// transport's to ride out.
    async fn prepare(&self) -> Result<(), TransportStartError> {
        Ok(())
    }

    /// `check-config --connect`: tries what the transport reaches, without
    /// sending anything; `None` when there is nothing to reach.
    async fn check(&self) -> Option<TransportCheck> {
        None
    }

    /// Whether the transport is connected, for `/readyz`; `None`: always.
    fn health(&self) -> Option<Arc<BrokerHealth>> {
        None
    }

    /// Where the notifier dead-letters an event whose delivery failed for
    /// good; `None`: it stays `FAILED` in the delivery log.
    fn dead_letters(&self) -> Option<Arc<dyn DeadLetters>> {
        None
    }

    /// Starts the transport: events the returned publisher takes reach
    /// `wiring.notifier` and `wiring.feed` (in this process or others).
    fn start(&self, wiring: TransportWiring) -> Result<StartedTransport, TransportStartError>;
}

/// What a transport factory knows besides its settings.
#[derive(Debug, Clone, Copy)]
pub struct TransportContext<'a> {
    config: &'a Config,
}

impl<'a> TransportContext<'a> {
    /// The whole configuration.
    pub fn config(&self) -> &'a Config {
        self.config
    }
}

type Build =
    dyn Fn(&Dict, TransportContext<'_>) -> Result<Arc<dyn Transport>, String> + Send + Sync;

/// The transport kinds a daemon can run, by `transport.kind` name.
#[derive(Clone, Default, Debug)]
pub struct TransportKinds {
    kinds: Registry<Build>,
}

impl TransportKinds {
    /// No kinds at all.
    pub fn empty() -> Self {
        TransportKinds::default()
    }

    /// The built-in kinds: `in-process` and `rabbitmq`.
    pub fn standard() -> Self {
        let mut kinds = TransportKinds::empty();
        kinds.register("in-process", super::in_process::build);
        kinds.register("rabbitmq", super::rabbitmq::build);
        kinds
    }

    /// Registers `kind`: with `transport.kind = "<kind>"`, the `[transport]`
    /// keys other than [`COMMON_KEYS`] are read as `C` and `factory` builds
    /// the transport. A kind registered again replaces the earlier one.
    pub fn register<C, F, E>(&mut self, kind: &str, factory: F)
    where
        C: Settings,
        F: Fn(C, TransportContext<'_>) -> Result<Arc<dyn Transport>, E> + Send + Sync + 'static,
        E: Display,
    {
        let build = move |table: &Dict, context: TransportContext<'_>| {
            let settings = kinds::read::<C>(table).map_err(|error| error.to_string())?;
            factory(settings, context).map_err(|error| error.to_string())
        };
        self.kinds.insert::<C>(kind, Arc::new(build));
    }

    /// The registered kind names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.kinds.names()
    }

    fn unknown(&self, config: &Config) -> ConfigError {
        let known: Vec<String> = self.names().map(|name| format!("`{name}`")).collect();
        ConfigError::invalid(
            "transport.kind",
            format!(
                "unknown transport {:?}; use {}",
                config.transport.kind,
                known.join(" or ")
            ),
        )
    }

    /// Checks `transport.kind` and the kind's settings in `[transport]`;
    /// the error names the key.
    pub fn validate(&self, config: &Config) -> Result<(), ConfigError> {
        let checked = self
            .kinds
            .validate(&config.transport.kind, &config.transport.settings)
            .ok_or_else(|| self.unknown(config))?;
        checked.map_err(|error| {
            let mut message = format!("transport {:?}: {}", config.transport.kind, error.message);
            if error.message.starts_with("unknown field") {
                message.push_str(&format!("; [transport] keys: {}", COMMON_KEYS.join(", ")));
            }
            ConfigError::invalid(&error.key_in("transport"), message)
        })
    }

    /// Builds the configured transport (not started yet).
    pub fn build(&self, config: &Config) -> Result<Arc<dyn Transport>, ConfigError> {
        self.validate(config)?;
        let build = self
            .kinds
            .builder(&config.transport.kind)
            .ok_or_else(|| self.unknown(config))?;
        build(&config.transport.settings, TransportContext { config }).map_err(|message| {
            ConfigError::invalid(
                "transport.kind",
                format!("transport {:?}: {message}", config.transport.kind),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use std::convert::Infallible;

    use figment::Figment;
    use figment::providers::{Format, Serialized, Toml};

    use super::*;
    use crate::Daemon;
    use crate::kinds::InvalidSetting;
    use crate::transport::in_process::InProcess;

    /// A transport kind of an integrator's: its own `[transport]` keys.
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct LoopbackConfig {
        lanes: u8,
    }

    impl Settings for LoopbackConfig {
        fn validate(&self) -> Result<(), InvalidSetting> {
            if self.lanes == 0 {
                return Err(InvalidSetting::new("lanes", "must be at least 1"));
            }
            Ok(())
        }
    }

    fn daemon() -> Daemon {
        Daemon::standard().transport_kind("loopback", |_: LoopbackConfig, _| {
            Ok::<_, Infallible>(Arc::new(InProcess) as Arc<dyn Transport>)
        })
    }

    fn load(daemon: &Daemon, toml: &str) -> Result<Config, ConfigError> {
        Config::from_figment_with(
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(toml)),
            daemon,
        )
    }

    #[test]
    fn a_registered_kind_reads_its_own_keys() {
        let daemon = daemon();
        let config =
            load(&daemon, "[transport]\nkind = \"loopback\"\nlanes = 2").expect("a valid table");
        let transport = daemon.transport_kinds().build(&config).expect("built");
        assert!(!transport.splits_roles());
        for (toml, names) in [
            (
                "[transport]\nkind = \"loopback\"\nlanes = 0",
                "transport.lanes",
            ),
            (
                "[transport]\nkind = \"loopback\"\nlanes = \"x\"",
                "transport.lanes",
            ),
            ("[transport]\nkind = \"loopback\"", "missing field `lanes`"),
            ("[transport]\nlanes = 2", "transport.lanes"),
            (
                "[transport]\nkind = \"kafka\"",
                "`in-process` or `loopback` or `rabbitmq`",
            ),
        ] {
            let error = load(&daemon, toml).expect_err(toml).to_string();
            assert!(
                error.contains(names),
                "{toml:?} gave {error:?}, not naming {names}"
            );
        }
        // The standard daemon does not know it.
        let error = load(
            &Daemon::standard(),
            "[transport]\nkind = \"loopback\"\nlanes = 2",
        )
        .expect_err("unknown kind")
        .to_string();
        assert!(error.contains("transport.kind"), "{error}");
    }
}
