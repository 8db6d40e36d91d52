//! The daemon's configuration: built-in defaults < `config/itosm.toml` (or
//! `--config FILE`) < environment `ITOSM_…` with `__` for nesting
//! (`ITOSM_DATABASE__URL`). Every key is documented in `config/itosm.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod agents;
mod attachments;
mod auth;
mod duration;
mod env;
mod size;
mod url;
mod validate;

pub use agents::{AgentsConfig, ThresholdsConfig};
pub use attachments::{AttachmentsConfig, BlobStoreKind, S3Config};
pub use auth::{AuthConfig, AuthMethod, OidcConfig, read_secret_file};
pub use duration::ConfigDuration;
pub use env::{environment_warnings, redact_url};
pub use size::ConfigBytes;
pub use url::ConfigUrl;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::Daemon;
use env::is_config_key;

/// The default config file, relative to the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "config/itosm.toml";

/// A configuration problem, naming the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key has a bad value.
    #[error("config key `{key}`: {message}")]
    Invalid {
        /// Dotted key, e.g. `transport.kind`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The file or environment could not be read as the config's shape.
    #[error("config: {0}")]
    Load(String),
}

impl ConfigError {
    /// A bad value of `key`.
    pub fn invalid(key: &str, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Load the seed's demo users and software at start.
    pub demo_data: bool,
    /// HTTP server.
    pub http: HttpConfig,
    /// Database.
    pub database: DatabaseConfig,
    /// Event transport.
    pub transport: TransportConfig,
    /// Authentication.
    pub auth: AuthConfig,
    /// Tickets.
    pub tickets: TicketsConfig,
    /// Service-level targets per priority.
    pub sla: SlaConfig,
    /// GraphQL bounds.
    pub graphql: GraphqlConfig,
    /// Outbox relay.
    pub relay: RelayConfig,
    /// Notification sinks.
    pub notifications: NotificationsConfig,
    /// The web portal's static files.
    pub portal: PortalConfig,
    /// Logging.
    pub log: LogConfig,
    /// Stopping on SIGTERM or Ctrl-C.
    pub shutdown: ShutdownConfig,
    /// Files attached to tickets and comments.
    pub attachments: AttachmentsConfig,
    /// Enrolled agents and their devices' health.
    pub agents: AgentsConfig,
}

/// `[shutdown]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShutdownConfig {
    /// How long to finish in-flight requests and deliveries after SIGTERM
    /// or Ctrl-C before exiting anyway, e.g. `30s`.
    pub grace: ConfigDuration,
}

/// `[http]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Listen address, e.g. `127.0.0.1:8080` (port 0: any free port, said
    /// on stdout).
    pub addr: SocketAddr,
    /// Largest request body accepted, e.g. `64KiB` (1KiB..16MiB).
    pub max_body_bytes: ConfigBytes,
    /// Longest a request may take, e.g. `30s`.
    pub request_timeout: ConfigDuration,
    /// Take the client address from the last `X-Forwarded-For` entry (the
    /// one the reverse proxy in front added). Only behind such a proxy.
    pub trust_forwarded_for: bool,
    /// Longest a client may take to send a request's headers, e.g. `10s`;
    /// a slower one is disconnected.
    pub header_read_timeout: ConfigDuration,
    /// How long a connection may sit idle (no request in flight, no bytes
    /// either way) before it is closed, e.g. `60s`. Open WebSockets are not
    /// idle connections.
    pub idle_timeout: ConfigDuration,
}

/// `[database]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://itosm.db?mode=rwc` or `postgres://user@host/db`.
    pub url: ConfigUrl,
    /// Connection pool size (0: the backend's default).
    pub max_connections: u32,
    /// Run migrations at start.
    pub migrate_on_start: bool,
    /// How long a request waits for a database connection before it is
    /// answered `UNAVAILABLE`, e.g. `1s`.
    pub acquire_timeout: ConfigDuration,
}

/// `[transport]`: the kind, the built-in broker's keys, and the keys of
/// any other kind (see [`crate::transport::TransportKinds`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TransportConfig {
    /// `in-process`, `rabbitmq`, or a kind the daemon registers.
    pub kind: String,
    /// Broker URL for `rabbitmq`.
    pub amqp_url: ConfigUrl,
    /// The durable topic exchange events are published to.
    pub exchange: String,
    /// The notifier's durable queue (its DLQ is `<queue>.dlq`).
    pub queue: String,
    /// Unacked deliveries per notifier (1..=1000).
    pub prefetch: u16,
    /// How long to wait for the broker to answer a connect.
    pub connect_timeout: ConfigDuration,
    /// How long to wait for a publish's confirm before taking the broker
    /// for lost (and reconnecting), e.g. `10s`.
    pub confirm_timeout: ConfigDuration,
    /// AMQP heartbeat, e.g. `10s` (`0s`: off); a link silent for two
    /// heartbeats is taken for lost. A `heartbeat=` in `amqp_url` wins.
    pub heartbeat: ConfigDuration,
    /// The other keys: the settings of the transport's kind (none for the
    /// built-in kinds, which refuse any).
    #[serde(flatten)]
    pub settings: figment::value::Dict,
}

/// `[tickets]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketsConfig {
    /// e.g. `INC-{year}-{seq:04}`.
    pub number_format: String,
    /// Longest description, in characters.
    pub max_description_chars: usize,
    /// Longest comment or status note, in characters.
    pub max_comment_chars: usize,
    /// Priority of a new ticket: `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`.
    pub default_priority: itosm_core::Priority,
    /// New tickets one user may open per minute (0: no limit).
    pub max_created_per_minute: u32,
    /// Comments one user may write per minute (0: no limit).
    pub max_comments_per_minute: u32,
}

/// `[sla]`: first-response and resolution targets per priority.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaConfig {
    /// `[sla.low]`
    pub low: SlaTargetConfig,
    /// `[sla.medium]`
    pub medium: SlaTargetConfig,
    /// `[sla.high]`
    pub high: SlaTargetConfig,
    /// `[sla.critical]`
    pub critical: SlaTargetConfig,
}

/// One priority's targets.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargetConfig {
    /// Time to the first visible staff response, e.g. `4h`.
    pub first_response: ConfigDuration,
    /// Time to resolution, e.g. `2d`.
    pub resolution: ConfigDuration,
}

/// `[graphql]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlConfig {
    /// Deepest selection accepted.
    pub max_depth: usize,
    /// Largest query complexity accepted.
    pub max_complexity: usize,
    /// Largest page (`first`).
    pub max_page_size: u32,
    /// How often an idle subscription checks its caller again, e.g. `60s`.
    pub subscription_recheck: ConfigDuration,
    /// Deepest nesting of brackets in a document (and of lists and objects
    /// in its variables), checked before the document is parsed.
    pub max_nesting: usize,
    /// Operations open at once on one WebSocket.
    pub max_operations_per_connection: usize,
    /// GraphQL requests one caller may have running at once.
    pub max_concurrent_per_caller: usize,
    /// WebSocket connections one user (or anonymous address) may hold open.
    pub max_connections_per_user: usize,
}

/// `[relay]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// Rows claimed per round.
    pub batch_size: u64,
    /// How often to sweep for unsent rows even without a wake-up, e.g. `1s`.
    pub sweep_interval: ConfigDuration,
    /// How long a claim is held before another relay may take the row.
    pub claim_lease: ConfigDuration,
    /// After a wake-up, how long to gather further commits before claiming
    /// (trades a little event lag for fewer, larger batches).
    pub coalesce: ConfigDuration,
}

/// `[notifications]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsConfig {
    /// Attempts per delivery before giving up whatever the horizon; `0`
    /// (the default): no limit, only `retry_horizon` ends the retries.
    pub max_attempts: u32,
    /// First retry delay, doubled each attempt (with full jitter), e.g.
    /// `200ms`.
    pub retry_backoff: ConfigDuration,
    /// Longest delay between two attempts, e.g. `5m`.
    pub max_retry_delay: ConfigDuration,
    /// How long a failing delivery is retried before its event is
    /// dead-lettered, e.g. `6h`.
    pub retry_horizon: ConfigDuration,
    /// How long a notifier's claim on a delivery holds; after a crash,
    /// another notifier takes it once it runs out, e.g. `60s`.
    pub claim_lease: ConfigDuration,
    /// Longest one delivery attempt may take (less than `claim_lease`).
    pub attempt_timeout: ConfigDuration,
    /// Concurrent attempts per sink.
    pub sink_concurrency: usize,
    /// Deliveries started but not yet logged, across all sinks: the most a
    /// crashed notifier can send twice.
    pub max_in_flight: usize,
    /// The sinks.
    pub sinks: Vec<SinkConfig>,
}

/// One `[[notifications.sinks]]` entry: the keys every sink has (`kind`,
/// `name`, `events`) and the rest of its table, which the sink kind
/// registered under `kind` reads as its own typed settings (see
/// [`crate::sinks::SinkKinds`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SinkConfig {
    /// The sink's kind, e.g. `webhook`: which registered kind builds it.
    pub kind: String,
    /// Unique sink name; defaults to the kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Event types routed to this sink (e.g. `ticket.created`); empty: all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// The kind's own keys (`url`, `to`, …), deserialized by its kind.
    #[serde(flatten)]
    pub settings: figment::value::Dict,
}

impl SinkConfig {
    /// A sink of `kind` named `name` with no settings of its own.
    pub fn new(kind: &str, name: &str) -> Self {
        SinkConfig {
            kind: kind.to_owned(),
            name: Some(name.to_owned()),
            events: Vec::new(),
            settings: figment::value::Dict::new(),
        }
    }

    /// The sink's kind, as written in `kind = "…"`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The sink's unique name (the kind when `name` is not set).
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.kind)
    }

    /// The event types routed to this sink; empty means all.
    pub fn events(&self) -> &[String] {
        &self.events
    }
}

/// `[portal]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalConfig {
    /// Directory of the built portal (`frontend/dist`).
    pub dir: PathBuf,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `itosm=debug,info`.
    pub level: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            demo_data: true,
            http: HttpConfig {
                addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
                max_body_bytes: ConfigBytes::bytes(64 * 1024),
                request_timeout: ConfigDuration::secs(30),
                trust_forwarded_for: false,
                header_read_timeout: ConfigDuration::secs(10),
                idle_timeout: ConfigDuration::secs(60),
            },
            database: DatabaseConfig {
                url: ConfigUrl::builtin("sqlite://itosm.db?mode=rwc"),
                max_connections: 0,
                migrate_on_start: true,
                acquire_timeout: ConfigDuration::secs(1),
            },
            transport: TransportConfig {
                kind: "in-process".to_owned(),
                amqp_url: ConfigUrl::builtin("amqp://guest:guest@127.0.0.1:5672/%2f"),
                exchange: "ticket_exchange".to_owned(),
                queue: "notification_queue".to_owned(),
                prefetch: 200,
                connect_timeout: ConfigDuration::secs(5),
                confirm_timeout: ConfigDuration::secs(10),
                heartbeat: ConfigDuration::secs(10),
                settings: figment::value::Dict::new(),
            },
            auth: AuthConfig {
                token_secret: None,
                token_secret_file: None,
                token_ttl: ConfigDuration::hours(12),
                login_attempts_per_user: 5,
                login_attempts_per_address: 20,
                login_window: ConfigDuration::mins(15),
                methods: vec![AuthMethod::EmployeeId, AuthMethod::Password],
                previous_token_secrets: Vec::new(),
                oidc: None,
            },
            tickets: TicketsConfig {
                number_format: itosm_core::number::DEFAULT_FORMAT.to_owned(),
                max_description_chars: 4000,
                max_comment_chars: 4000,
                default_priority: itosm_core::Priority::Medium,
                max_created_per_minute: 10,
                max_comments_per_minute: 30,
            },
            sla: SlaConfig {
                low: target(ConfigDuration::hours(24), ConfigDuration::days(5)),
                medium: target(ConfigDuration::hours(8), ConfigDuration::days(2)),
                high: target(ConfigDuration::hours(2), ConfigDuration::hours(16)),
                critical: target(ConfigDuration::mins(30), ConfigDuration::hours(4)),
            },
            graphql: GraphqlConfig {
                max_depth: 12,
                max_complexity: 2000,
                max_page_size: 100,
                subscription_recheck: ConfigDuration::secs(60),
                max_nesting: 32,
                max_operations_per_connection: 25,
                max_concurrent_per_caller: 8,
                max_connections_per_user: 10,
            },
            relay: RelayConfig {
                batch_size: 100,
                sweep_interval: ConfigDuration::secs(1),
                claim_lease: ConfigDuration::secs(30),
                coalesce: ConfigDuration::millis(5),
            },
            notifications: NotificationsConfig {
                max_attempts: 0,
                retry_backoff: ConfigDuration::millis(200),
                max_retry_delay: ConfigDuration::mins(5),
                retry_horizon: ConfigDuration::hours(6),
                claim_lease: ConfigDuration::secs(60),
                attempt_timeout: ConfigDuration::secs(30),
                sink_concurrency: 32,
                max_in_flight: 1000,
                sinks: vec![SinkConfig::new("console", "console")],
            },
            portal: PortalConfig {
                dir: PathBuf::from("frontend/dist"),
            },
            log: LogConfig {
                format: LogFormat::Text,
                level: "info".to_owned(),
            },
            shutdown: ShutdownConfig {
                grace: ConfigDuration::secs(30),
            },
            attachments: AttachmentsConfig::default(),
            agents: AgentsConfig::default(),
        }
    }
}

fn target(first_response: ConfigDuration, resolution: ConfigDuration) -> SlaTargetConfig {
    SlaTargetConfig {
        first_response,
        resolution,
    }
}

/// Which transport carries events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Inside this process (embedded default).
    InProcess,
    /// Through RabbitMQ.
    RabbitMq,
}

impl Config {
    /// Loads defaults < `file` (if given, it must exist; else
    /// `config/itosm.toml` if present) < environment, for the standard
    /// daemon's sink and transport kinds.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_with(file, &Daemon::standard())
    }

    /// [`Config::load`], each sink's table and the transport's checked by
    /// the kinds `daemon` registers.
    pub fn load_with(file: Option<&Path>, daemon: &Daemon) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError::Load(format!(
                        "config file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE)),
        }
        figment = figment.merge(
            Env::prefixed("ITOSM_")
                .split("__")
                .filter(|key| is_config_key(key.as_str())),
        );
        Self::from_figment_with(figment, daemon)
    }

    /// Loads from an explicit figment (tests compose their own), for the
    /// standard daemon.
    pub fn from_figment(figment: Figment) -> Result<Config, ConfigError> {
        Self::from_figment_with(figment, &Daemon::standard())
    }

    /// [`Config::from_figment`] with the kinds `daemon` registers.
    pub fn from_figment_with(figment: Figment, daemon: &Daemon) -> Result<Config, ConfigError> {
        let config: Config = figment.extract().map_err(|e| {
            let key = e.path.join(".");
            if key.is_empty() {
                ConfigError::Load(e.to_string())
            } else {
                ConfigError::Invalid {
                    key,
                    message: e.kind.to_string(),
                }
            }
        })?;
        config.validate_with(daemon)?;
        Ok(config)
    }

    /// `tickets.default_priority`, parsed.
    pub fn default_priority(&self) -> Result<itosm_core::Priority, ConfigError> {
        itosm_core::Priority::parse(self.tickets.default_priority.as_str()).ok_or_else(|| {
            ConfigError::invalid(
                "tickets.default_priority",
                "must be LOW, MEDIUM, HIGH or CRITICAL",
            )
        })
    }

    /// `[sla]`, parsed and checked: each target between 1s and 365d, and a
    /// first response due no later than the resolution.
    pub fn sla_policy(&self) -> Result<itosm_core::SlaPolicy, ConfigError> {
        let parse = |name: &str, target: &SlaTargetConfig| {
            let duration = |field: &str, value: ConfigDuration| {
                let key = format!("sla.{name}.{field}");
                let duration = value.get();
                if duration < Duration::from_secs(1) || duration > Duration::from_secs(365 * 86_400)
                {
                    return Err(ConfigError::invalid(&key, "must be between 1s and 365d"));
                }
                chrono::Duration::from_std(duration)
                    .map_err(|_| ConfigError::invalid(&key, "is too long"))
            };
            let first_response = duration("first_response", target.first_response)?;
            let resolution = duration("resolution", target.resolution)?;
            if first_response > resolution {
                return Err(ConfigError::invalid(
                    &format!("sla.{name}.first_response"),
                    "must not be longer than the resolution target",
                ));
            }
            Ok(itosm_core::SlaTarget {
                first_response,
                resolution,
            })
        };
        Ok(itosm_core::SlaPolicy {
            low: parse("low", &self.sla.low)?,
            medium: parse("medium", &self.sla.medium)?,
            high: parse("high", &self.sla.high)?,
            critical: parse("critical", &self.sla.critical)?,
        })
    }

    /// Login throttling, from `[auth]`.
    pub fn login_throttle(&self) -> itosm_core::throttle::ThrottleConfig {
        itosm_core::throttle::ThrottleConfig {
            per_user: self.auth.login_attempts_per_user,
            per_address: self.auth.login_attempts_per_address,
            window: chrono::Duration::from_std(self.auth.login_window.get())
                .unwrap_or(chrono::Duration::minutes(15)),
        }
    }

    /// The ways of logging in that are on, for the services.
    pub fn auth_methods(&self) -> itosm_core::AuthMethods {
        itosm_core::AuthMethods {
            employee_id: self.auth.methods.contains(&AuthMethod::EmployeeId),
            password: self.auth.methods.contains(&AuthMethod::Password),
            oidc: self.auth.methods.contains(&AuthMethod::Oidc),
        }
    }

    /// Settings that are fine for a demo on one's own machine but unsafe in
    /// front of a company, each as a sentence for `check-config` and the
    /// startup log.
    pub fn security_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.auth.methods.contains(&AuthMethod::EmployeeId) {
            let exposed = self
                .http_addr()
                .map(|addr| !addr.ip().is_loopback())
                .unwrap_or(true);
            let mut reasons = Vec::new();
            if exposed {
                reasons.push(format!(
                    "http.addr {} is reachable from other machines",
                    self.http.addr
                ));
            }
            if !self.is_embedded_database() {
                reasons.push("the database is PostgreSQL (a shared, real deployment)".to_owned());
            }
            if !reasons.is_empty() {
                warnings.push(format!(
                    "INSECURE: auth.methods includes employee_id while {}: anyone who knows a colleague's employee ID (printed on badges and payslips) can log in as him; set [auth] methods = [\"password\"] or [\"oidc\"] (see docs/SECURITY.md)",
                    reasons.join(" and ")
                ));
            }
        }
        if self.demo_data {
            warnings.push(
                "demo data is on: the demo users (john.doe/EMP123, admin.user/ADMIN01, …) can log in; set demo_data = false for real use".to_owned(),
            );
        }
        warnings
    }

    /// The listen address.
    pub fn http_addr(&self) -> Result<SocketAddr, ConfigError> {
        Ok(self.http.addr)
    }

    /// The built-in transport kind; an error naming `transport.kind` for
    /// any other (a kind the daemon registers: see
    /// [`crate::transport::TransportKinds`]).
    pub fn transport_kind(&self) -> Result<TransportKind, ConfigError> {
        match self.transport.kind.as_str() {
            "in-process" => Ok(TransportKind::InProcess),
            "rabbitmq" => Ok(TransportKind::RabbitMq),
            other => Err(ConfigError::invalid(
                "transport.kind",
                format!("unknown transport {other:?}; use `in-process` or `rabbitmq`"),
            )),
        }
    }

    /// Whether the database is the embedded SQLite.
    pub fn is_embedded_database(&self) -> bool {
        self.database.url.starts_with("sqlite:")
    }
}

/// The config `toml` makes on top of the defaults, with the built-in sink
/// kinds (tests).
#[cfg(test)]
pub(crate) fn from_toml(toml: &str) -> Result<Config, ConfigError> {
    Config::from_figment(
        Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(toml)),
    )
}

#[cfg(test)]
mod tests;
