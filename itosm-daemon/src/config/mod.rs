//! The daemon's configuration: built-in defaults < `config/itosm.toml` (or
//! `--config FILE`) < environment `ITOSM_…` with `__` for nesting
//! (`ITOSM_DATABASE__URL`). Every key is documented in `config/itosm.toml`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod attachments;
mod duration;
mod size;
pub use attachments::{AttachmentsConfig, BlobStoreKind, S3Config};
pub use duration::ConfigDuration;
pub use size::ConfigBytes;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use itosm_core::number::TicketNumberFormat;
use itosm_core::token::MIN_SECRET_BYTES;

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
    fn invalid(key: &str, message: impl Into<String>) -> Self {
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
    /// Listen address.
    pub addr: String,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
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
    pub url: String,
    /// Connection pool size (0: the backend's default).
    pub max_connections: u32,
    /// Run migrations at start.
    pub migrate_on_start: bool,
    /// How long a request waits for a database connection before it is
    /// answered `UNAVAILABLE`, e.g. `1s`.
    pub acquire_timeout: ConfigDuration,
}

/// `[transport]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportConfig {
    /// `in-process` or `rabbitmq`.
    pub kind: String,
    /// Broker URL for `rabbitmq`.
    pub amqp_url: String,
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
}

/// `[auth]`
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// HMAC secret for tokens, at least 32 bytes. Required unless the
    /// database is SQLite, where one is generated and kept in the database.
    pub token_secret: Option<String>,
    /// A file holding the token secret instead (e.g. a mounted secret); it
    /// must not be readable by other users.
    pub token_secret_file: Option<PathBuf>,
    /// How long a login lasts, e.g. `12h`.
    pub token_ttl: ConfigDuration,
    /// Login attempts allowed per username within `login_window`.
    pub login_attempts_per_user: u32,
    /// Login attempts allowed per client address within `login_window`.
    pub login_attempts_per_address: u32,
    /// The login throttling window, e.g. `15m`.
    pub login_window: ConfigDuration,
    /// Ways of logging in that are on: any of `employee_id` (the seed's
    /// username + employee ID, for the demo; anyone who knows a colleague's
    /// employee ID can log in as him), `password` (local argon2id
    /// passwords) and `oidc` (single sign-on).
    pub methods: Vec<AuthMethod>,
    /// Earlier token secrets whose tokens are still accepted, so the secret
    /// can be rotated without logging everyone out: put the old secret
    /// here and a new one in `token_secret`; drop it after `token_ttl`.
    pub previous_token_secrets: Vec<String>,
    /// Single sign-on (`[auth.oidc]`), required when `methods` has `oidc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<OidcConfig>,
}

/// `[auth.oidc]`: the OpenID provider the portal's "Sign in with SSO" uses
/// (authorization code flow with PKCE).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer URL, exactly as its ID tokens name it
    /// (`https://login.example.com/realms/it`); its discovery document is
    /// read from `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// This application's client id at the provider.
    pub client_id: String,
    /// This application's client secret at the provider.
    pub client_secret: String,
    /// Where the provider sends the browser back: this server's
    /// `https://<host>/api/auth/oidc/callback`, registered at the provider.
    pub redirect_url: String,
    /// The ID token claim holding the user's groups or roles (`groups`,
    /// `roles`); unset: roles are managed in itosm, not by the provider.
    #[serde(default)]
    pub role_claim: Option<String>,
    /// Values of `role_claim` → itosm role (`requester`, `agent`,
    /// `admin`), e.g. `{ "it-admins" = "admin", "it-staff" = "agent" }`;
    /// the highest mapped role wins, none mapped: requester.
    #[serde(default)]
    pub role_map: std::collections::BTreeMap<String, String>,
    /// Scopes asked for; `openid` must be one.
    #[serde(default = "default_oidc_scopes")]
    pub scopes: Vec<String>,
    /// How long a request to the provider may take, e.g. `5s`.
    #[serde(default = "default_oidc_timeout")]
    pub http_timeout: ConfigDuration,
}

fn default_oidc_scopes() -> Vec<String> {
    vec![
        "openid".to_owned(),
        "profile".to_owned(),
        "email".to_owned(),
    ]
}

fn default_oidc_timeout() -> ConfigDuration {
    ConfigDuration::secs(5)
}

impl OidcConfig {
    /// The itosm role a `role_map` value names.
    pub fn parse_role(value: &str) -> Option<itosm_core::Role> {
        match value.trim().to_ascii_lowercase().as_str() {
            "requester" => Some(itosm_core::Role::Requester),
            "agent" => Some(itosm_core::Role::Agent),
            "admin" => Some(itosm_core::Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_url", &self.redirect_url)
            .field("role_claim", &self.role_claim)
            .field("role_map", &self.role_map)
            .field("scopes", &self.scopes)
            .field("http_timeout", &self.http_timeout)
            .finish()
    }
}

/// One way of logging in, as named in `auth.methods`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Username + employee ID (the seed's login).
    EmployeeId,
    /// Username + local password.
    Password,
    /// OpenID Connect single sign-on.
    Oidc,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field(
                "token_secret",
                &self.token_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("token_secret_file", &self.token_secret_file)
            .field("token_ttl", &self.token_ttl)
            .field("login_attempts_per_user", &self.login_attempts_per_user)
            .field(
                "login_attempts_per_address",
                &self.login_attempts_per_address,
            )
            .field("login_window", &self.login_window)
            .field("methods", &self.methods)
            .field(
                "previous_token_secrets",
                &format!("[{} redacted]", self.previous_token_secrets.len()),
            )
            .field("oidc", &self.oidc)
            .finish()
    }
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
    pub default_priority: String,
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

/// One sink, chosen by `kind`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SinkConfig {
    /// Prints the seed's notification block to standard output.
    Console {
        /// Unique sink name.
        #[serde(default = "console_name")]
        name: String,
    },
    /// Accepts every notification and sends nothing (benchmarks, dry runs).
    Noop {
        /// Unique sink name.
        name: String,
    },
    /// POSTs the event envelope as JSON, signed the Standard Webhooks way
    /// (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    Webhook {
        /// Unique sink name.
        name: String,
        /// Where to POST (http or https).
        url: String,
        /// Signing secrets, the current one first; each delivery carries one
        /// `v1` signature per secret, so a receiver verifies with either
        /// during a rotation. `whsec_<base64>` (24 to 64 bytes once decoded)
        /// or a plain secret of at least 16 bytes.
        #[serde(default)]
        secrets: Vec<String>,
        /// The older single-secret form, the same as `secrets = [secret]`;
        /// set one of the two.
        #[serde(default)]
        secret: Option<String>,
        /// Event types routed to this sink (e.g. `ticket.created`); empty: all.
        #[serde(default)]
        events: Vec<String>,
        /// Request timeout, e.g. `5s`.
        #[serde(default = "default_timeout")]
        timeout: ConfigDuration,
    },
    /// Sends email over SMTP, with templated text and HTML bodies.
    Email {
        /// Unique sink name.
        name: String,
        /// SMTP host.
        host: String,
        /// SMTP port.
        #[serde(default = "default_smtp_port")]
        port: u16,
        /// `none`, `starttls` or `tls`.
        #[serde(default = "default_smtp_tls")]
        tls: String,
        /// SMTP user, if the server wants one.
        #[serde(default)]
        username: Option<String>,
        /// SMTP password.
        #[serde(default)]
        password: Option<String>,
        /// Sender address, e.g. `itosm <itosm@example.com>`.
        from: String,
        /// Recipients: addresses, or the roles `requester`, `assignee`, `admins`.
        to: Vec<String>,
        /// Event types routed to this sink (e.g. `ticket.created`); empty: all.
        #[serde(default)]
        events: Vec<String>,
        /// Base URL of the portal, for links to tickets.
        #[serde(default = "default_portal_url")]
        portal_url: String,
        /// Overrides the subject template (minijinja).
        #[serde(default)]
        subject_template: Option<String>,
        /// Overrides the text body template (minijinja).
        #[serde(default)]
        text_template: Option<String>,
        /// Overrides the HTML body template (minijinja, auto-escaped).
        #[serde(default)]
        html_template: Option<String>,
        /// SMTP command timeout, e.g. `10s`.
        #[serde(default = "default_timeout")]
        timeout: ConfigDuration,
    },
    /// Sends SMS through an HTTP gateway speaking the Twilio Messages API.
    Sms {
        /// Unique sink name.
        name: String,
        /// Gateway base URL; `/2010-04-01/Accounts/{sid}/Messages.json` is appended.
        #[serde(default = "default_sms_base_url")]
        base_url: String,
        /// Account SID (the basic-auth user).
        account_sid: String,
        /// Auth token (the basic-auth password).
        auth_token: String,
        /// Sender, E.164.
        from: String,
        /// Recipients, E.164 (e.g. the on-call phone).
        to: Vec<String>,
        /// Event types routed to this sink (e.g. `ticket.created`); empty: all.
        #[serde(default)]
        events: Vec<String>,
        /// Request timeout, e.g. `5s`.
        #[serde(default = "default_timeout")]
        timeout: ConfigDuration,
    },
    /// Appends one JSON line per event to a file (an audit trail).
    File {
        /// Unique sink name.
        name: String,
        /// The file; its directory must exist.
        path: PathBuf,
    },
}

impl SinkConfig {
    /// The sink's kind, as written in `kind = "…"`.
    pub fn kind(&self) -> &'static str {
        match self {
            SinkConfig::Console { .. } => "console",
            SinkConfig::Noop { .. } => "noop",
            SinkConfig::File { .. } => "file",
            SinkConfig::Webhook { .. } => "webhook",
            SinkConfig::Email { .. } => "email",
            SinkConfig::Sms { .. } => "sms",
        }
    }

    /// The sink's unique name.
    pub fn name(&self) -> &str {
        match self {
            SinkConfig::Console { name }
            | SinkConfig::Noop { name }
            | SinkConfig::File { name, .. }
            | SinkConfig::Webhook { name, .. }
            | SinkConfig::Email { name, .. }
            | SinkConfig::Sms { name, .. } => name,
        }
    }
}

fn default_timeout() -> ConfigDuration {
    ConfigDuration::secs(5)
}

fn default_smtp_port() -> u16 {
    587
}

fn default_smtp_tls() -> String {
    "starttls".to_owned()
}

fn default_portal_url() -> String {
    "http://127.0.0.1:8080".to_owned()
}

fn default_sms_base_url() -> String {
    "https://api.twilio.com".to_owned()
}

fn console_name() -> String {
    "console".to_owned()
}

/// `[portal]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalConfig {
    /// Directory of the built portal (`frontend/dist`).
    pub dir: PathBuf,
}

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// A tracing filter, e.g. `info` or `itosm=debug,info`.
    pub level: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            demo_data: true,
            http: HttpConfig {
                addr: "127.0.0.1:8080".to_owned(),
                max_body_bytes: 64 * 1024,
                request_timeout: ConfigDuration::secs(30),
                trust_forwarded_for: false,
                header_read_timeout: ConfigDuration::secs(10),
                idle_timeout: ConfigDuration::secs(60),
            },
            database: DatabaseConfig {
                url: "sqlite://itosm.db?mode=rwc".to_owned(),
                max_connections: 0,
                migrate_on_start: true,
                acquire_timeout: ConfigDuration::secs(1),
            },
            transport: TransportConfig {
                kind: "in-process".to_owned(),
                amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
                exchange: "ticket_exchange".to_owned(),
                queue: "notification_queue".to_owned(),
                prefetch: 200,
                connect_timeout: ConfigDuration::secs(5),
                confirm_timeout: ConfigDuration::secs(10),
                heartbeat: ConfigDuration::secs(10),
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
                default_priority: "MEDIUM".to_owned(),
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
                sinks: vec![SinkConfig::Console {
                    name: console_name(),
                }],
            },
            portal: PortalConfig {
                dir: PathBuf::from("frontend/dist"),
            },
            log: LogConfig {
                format: "text".to_owned(),
                level: "info".to_owned(),
            },
            shutdown: ShutdownConfig {
                grace: ConfigDuration::secs(30),
            },
            attachments: AttachmentsConfig::default(),
        }
    }
}

fn target(first_response: ConfigDuration, resolution: ConfigDuration) -> SlaTargetConfig {
    SlaTargetConfig {
        first_response,
        resolution,
    }
}

/// The top-level keys; other `ITOSM_*` variables (e.g. the tests'
/// `ITOSM_TEST_DATABASE_URL`) are not configuration.
/// The top-level keys of [`Config`], read off its serialized defaults so
/// a new section is picked up from the environment without a second list.
static SECTIONS: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    });

/// Whether an `ITOSM_…` variable (prefix stripped, before or after the
/// `__` split) names a configuration key.
fn is_config_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECTIONS.iter().any(|section| {
        key == *section
            || key
                .strip_prefix(section.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with("__"))
    })
}

/// Variables that start with `ITOSM_` without being configuration on
/// purpose: the test suite's and scripts' own.
const NOT_CONFIGURATION: &[&str] = &["test_", "e2e_", "bin"];

/// Warnings about `ITOSM_…` environment variables that configure nothing
/// (a misspelt section is otherwise ignored in silence), each naming the
/// variable and, when one is close, the section meant.
pub fn environment_warnings() -> Vec<String> {
    let mut warnings = Vec::new();
    for (name, _) in std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v))) {
        let Some(rest) = name.strip_prefix("ITOSM_") else {
            continue;
        };
        let lower = rest.to_ascii_lowercase();
        if is_config_key(&lower) || NOT_CONFIGURATION.iter().any(|p| lower.starts_with(p)) {
            continue;
        }
        let section = lower.split("__").next().unwrap_or(&lower);
        let hint = SECTIONS
            .iter()
            .map(|known| (edit_distance(section, known), known.as_str()))
            .filter(|(distance, _)| *distance <= 2)
            .min()
            .map(|(_, known)| format!(" (did you mean ITOSM_{}…?)", known.to_ascii_uppercase()))
            .unwrap_or_default();
        warnings.push(format!(
            "ignoring environment variable {name}: `{section}` is not a configuration section{hint}"
        ));
    }
    warnings.sort();
    warnings
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A URL with its password masked, for logs and messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
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
    /// `config/itosm.toml` if present) < environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
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
        Self::from_figment(figment)
    }

    /// Loads from an explicit figment (tests compose their own).
    pub fn from_figment(figment: Figment) -> Result<Config, ConfigError> {
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
        config.validate()?;
        Ok(config)
    }

    /// Checks every value that serde's types do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.http_addr()?;
        self.attachments.validate()?;
        if !(1024..=16 * 1024 * 1024).contains(&self.http.max_body_bytes) {
            return Err(ConfigError::invalid(
                "http.max_body_bytes",
                "must be between 1024 and 16777216",
            ));
        }
        for (key, timeout) in [
            (
                "http.header_read_timeout",
                self.http.header_read_timeout.get(),
            ),
            ("http.idle_timeout", self.http.idle_timeout.get()),
        ] {
            if timeout < Duration::from_millis(100) || timeout > Duration::from_secs(3600) {
                return Err(ConfigError::invalid(key, "must be between 100ms and 1h"));
            }
        }
        let grace = self.shutdown.grace.get();
        if grace > Duration::from_secs(3600) {
            return Err(ConfigError::invalid("shutdown.grace", "must be at most 1h"));
        }
        let url = &self.database.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::invalid(
                "database.url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        let kind = self.transport_kind()?;
        if kind == TransportKind::RabbitMq
            && !(self.transport.amqp_url.starts_with("amqp://")
                || self.transport.amqp_url.starts_with("amqps://"))
        {
            return Err(ConfigError::invalid(
                "transport.amqp_url",
                "must start with amqp:// or amqps://",
            ));
        }
        if let Some(secret) = &self.auth.token_secret
            && secret.len() < MIN_SECRET_BYTES
        {
            return Err(ConfigError::invalid(
                "auth.token_secret",
                format!("must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)"),
            ));
        }
        for (index, previous) in self.auth.previous_token_secrets.iter().enumerate() {
            if previous.len() < MIN_SECRET_BYTES {
                return Err(ConfigError::invalid(
                    "auth.previous_token_secrets",
                    format!("entry {index} must be at least {MIN_SECRET_BYTES} bytes"),
                ));
            }
        }
        if self.auth.methods.is_empty() {
            return Err(ConfigError::invalid(
                "auth.methods",
                "must name at least one of employee_id, password, oidc",
            ));
        }
        if self.auth.methods.contains(&AuthMethod::Oidc) {
            let Some(oidc) = &self.auth.oidc else {
                return Err(ConfigError::invalid(
                    "auth.oidc",
                    "auth.methods has oidc, which needs an [auth.oidc] section (issuer, client_id, client_secret, redirect_url)",
                ));
            };
            validate_oidc(oidc)?;
        }
        if let Some(path) = &self.auth.token_secret_file {
            if self.auth.token_secret.is_some() {
                return Err(ConfigError::invalid(
                    "auth.token_secret_file",
                    "set either auth.token_secret or auth.token_secret_file, not both",
                ));
            }
            read_secret_file("auth.token_secret_file", path)?;
        }
        let timeout = self.database.acquire_timeout.get();
        if timeout < Duration::from_millis(100) || timeout > Duration::from_secs(60) {
            return Err(ConfigError::invalid(
                "database.acquire_timeout",
                "must be between 100ms and 60s",
            ));
        }
        if !is_log_filter(&self.log.level) {
            return Err(ConfigError::invalid(
                "log.level",
                format!(
                    "{:?} is not a log filter like info, warn or itosm=debug,info",
                    self.log.level
                ),
            ));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError::invalid("log.format", "must be text or json"));
        }
        if self.auth.token_secret.is_none()
            && self.auth.token_secret_file.is_none()
            && !self.is_embedded_database()
        {
            return Err(ConfigError::invalid(
                "auth.token_secret",
                "is required when database.url is not SQLite (set ITOSM_AUTH__TOKEN_SECRET)",
            ));
        }
        let ttl = self.auth.token_ttl.get();
        if ttl < Duration::from_secs(60) || ttl > Duration::from_secs(30 * 24 * 3600) {
            return Err(ConfigError::invalid(
                "auth.token_ttl",
                "must be between 1m and 30d",
            ));
        }
        TicketNumberFormat::parse(&self.tickets.number_format)
            .map_err(|e| ConfigError::invalid("tickets.number_format", e.reason))?;
        if !(1..=100_000).contains(&self.tickets.max_description_chars) {
            return Err(ConfigError::invalid(
                "tickets.max_description_chars",
                "must be between 1 and 100000",
            ));
        }
        if !(1..=100_000).contains(&self.tickets.max_comment_chars) {
            return Err(ConfigError::invalid(
                "tickets.max_comment_chars",
                "must be between 1 and 100000",
            ));
        }
        self.default_priority()?;
        self.sla_policy()?;
        for (key, value) in [
            (
                "auth.login_attempts_per_user",
                self.auth.login_attempts_per_user,
            ),
            (
                "auth.login_attempts_per_address",
                self.auth.login_attempts_per_address,
            ),
        ] {
            if !(1..=10_000).contains(&value) {
                return Err(ConfigError::invalid(key, "must be between 1 and 10000"));
            }
        }
        let window = self.auth.login_window.get();
        if window < Duration::from_secs(1) || window > Duration::from_secs(24 * 3600) {
            return Err(ConfigError::invalid(
                "auth.login_window",
                "must be between 1s and 1d",
            ));
        }
        for (key, value, range) in [
            ("graphql.max_nesting", self.graphql.max_nesting, 8..=128),
            (
                "graphql.max_operations_per_connection",
                self.graphql.max_operations_per_connection,
                1..=1000,
            ),
            (
                "graphql.max_concurrent_per_caller",
                self.graphql.max_concurrent_per_caller,
                1..=1000,
            ),
            (
                "graphql.max_connections_per_user",
                self.graphql.max_connections_per_user,
                1..=1000,
            ),
        ] {
            if !range.contains(&value) {
                return Err(ConfigError::invalid(
                    key,
                    format!("must be between {} and {}", range.start(), range.end()),
                ));
            }
        }
        for (key, value) in [
            (
                "tickets.max_created_per_minute",
                self.tickets.max_created_per_minute,
            ),
            (
                "tickets.max_comments_per_minute",
                self.tickets.max_comments_per_minute,
            ),
        ] {
            if value > 100_000 {
                return Err(ConfigError::invalid(
                    key,
                    "must be at most 100000 (0 means no limit)",
                ));
            }
        }
        if !(2..=64).contains(&self.graphql.max_depth) {
            return Err(ConfigError::invalid(
                "graphql.max_depth",
                "must be between 2 and 64",
            ));
        }
        if !(10..=100_000).contains(&self.graphql.max_complexity) {
            return Err(ConfigError::invalid(
                "graphql.max_complexity",
                "must be between 10 and 100000",
            ));
        }
        if !(1..=1000).contains(&self.graphql.max_page_size) {
            return Err(ConfigError::invalid(
                "graphql.max_page_size",
                "must be between 1 and 1000",
            ));
        }
        let recheck = self.graphql.subscription_recheck.get();
        if recheck < Duration::from_secs(1) || recheck > Duration::from_secs(3600) {
            return Err(ConfigError::invalid(
                "graphql.subscription_recheck",
                "must be between 1s and 1h",
            ));
        }
        if !(1..=10_000).contains(&self.relay.batch_size) {
            return Err(ConfigError::invalid(
                "relay.batch_size",
                "must be between 1 and 10000",
            ));
        }
        if self.relay.coalesce.get() > Duration::from_secs(1) {
            return Err(ConfigError::invalid("relay.coalesce", "must be at most 1s"));
        }
        if self.notifications.max_attempts > 1000 {
            return Err(ConfigError::invalid(
                "notifications.max_attempts",
                "must be between 0 (no limit) and 1000",
            ));
        }
        let n = &self.notifications;
        let (backoff, max_delay) = (n.retry_backoff.get(), n.max_retry_delay.get());
        if backoff.is_zero() || max_delay < backoff {
            return Err(ConfigError::invalid(
                "notifications.max_retry_delay",
                "must be at least retry_backoff, which must be more than 0",
            ));
        }
        let horizon = n.retry_horizon.get();
        if horizon.is_zero() || horizon > Duration::from_secs(30 * 24 * 3600) {
            return Err(ConfigError::invalid(
                "notifications.retry_horizon",
                "must be between 1ms and 30d",
            ));
        }
        let (lease, attempt) = (n.claim_lease.get(), n.attempt_timeout.get());
        if attempt.is_zero() || attempt >= lease {
            return Err(ConfigError::invalid(
                "notifications.attempt_timeout",
                "must be more than 0 and less than notifications.claim_lease",
            ));
        }
        if !(1..=10_000).contains(&n.sink_concurrency) {
            return Err(ConfigError::invalid(
                "notifications.sink_concurrency",
                "must be between 1 and 10000",
            ));
        }
        if !(1..=100_000).contains(&n.max_in_flight) {
            return Err(ConfigError::invalid(
                "notifications.max_in_flight",
                "must be between 1 and 100000",
            ));
        }
        for (key, name) in [
            ("transport.exchange", &self.transport.exchange),
            ("transport.queue", &self.transport.queue),
        ] {
            if name.is_empty()
                || name.len() > 200
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            {
                return Err(ConfigError::invalid(
                    key,
                    "must be 1-200 characters of letters, digits, '.', '_' or '-'",
                ));
            }
        }
        if !(1..=1000).contains(&self.transport.prefetch) {
            return Err(ConfigError::invalid(
                "transport.prefetch",
                "must be between 1 and 1000",
            ));
        }
        if self.transport.confirm_timeout.get().is_zero() {
            return Err(ConfigError::invalid(
                "transport.confirm_timeout",
                "must be more than 0",
            ));
        }
        let heartbeat = self.transport.heartbeat.get();
        if heartbeat.as_secs() > 600 || !heartbeat.as_millis().is_multiple_of(1000) {
            return Err(ConfigError::invalid(
                "transport.heartbeat",
                "must be whole seconds, at most 600s (0s: off)",
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, sink) in self.notifications.sinks.iter().enumerate() {
            let name = sink.name();
            if let SinkConfig::File { path, .. } = sink
                && path.as_os_str().is_empty()
            {
                return Err(ConfigError::invalid(
                    &format!("notifications.sinks[{i}].path"),
                    "must not be empty",
                ));
            }
            validate_sink(i, sink)?;
            if name.is_empty() || name.len() > 64 || !names.insert(name.to_owned()) {
                return Err(ConfigError::invalid(
                    &format!("notifications.sinks[{i}].name"),
                    "must be 1-64 characters and unique",
                ));
            }
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(ConfigError::invalid(
                "log.format",
                "must be `text` or `json`",
            ));
        }
        Ok(())
    }

    /// `tickets.default_priority`, parsed.
    pub fn default_priority(&self) -> Result<itosm_core::Priority, ConfigError> {
        itosm_core::Priority::parse(&self.tickets.default_priority).ok_or_else(|| {
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
        self.http.addr.parse().map_err(|_| {
            ConfigError::invalid(
                "http.addr",
                format!("{:?} is not an address like 127.0.0.1:8080", self.http.addr),
            )
        })
    }

    /// The transport kind.
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

/// Recipient roles an email sink accepts in `to`.
pub const RECIPIENT_ROLES: &[&str] = &["requester", "assignee", "admins"];

impl SinkConfig {
    /// The event types routed to this sink; empty means all.
    pub fn events(&self) -> &[String] {
        match self {
            SinkConfig::Webhook { events, .. }
            | SinkConfig::Sms { events, .. }
            | SinkConfig::Email { events, .. } => events,
            SinkConfig::Console { .. } | SinkConfig::Noop { .. } | SinkConfig::File { .. } => &[],
        }
    }
}

fn validate_sink(i: usize, sink: &SinkConfig) -> Result<(), ConfigError> {
    let key = |field: &str| format!("notifications.sinks[{i}].{field}");
    for event in sink.events() {
        if itosm_core::event::EventType::parse(event).is_none() {
            return Err(ConfigError::invalid(
                &key("events"),
                format!(
                    "unknown event type {event:?}; use ticket.created, ticket.status_changed, ticket.assigned, ticket.commented"
                ),
            ));
        }
    }
    let http = |field: &str, url: &str| {
        if url.starts_with("http://") || url.starts_with("https://") {
            Ok(())
        } else {
            Err(ConfigError::invalid(
                &key(field),
                format!("{url:?} must start with http:// or https://"),
            ))
        }
    };
    match sink {
        SinkConfig::Webhook {
            url,
            secrets,
            secret,
            ..
        } => {
            use crate::sinks::webhook::WebhookSecret;
            http("url", url)?;
            match (secret, secrets.is_empty()) {
                (Some(_), false) => {
                    return Err(ConfigError::invalid(
                        &key("secrets"),
                        "set either secrets or the older secret, not both",
                    ));
                }
                (None, true) => {
                    return Err(ConfigError::invalid(
                        &key("secrets"),
                        "name at least one signing secret (e.g. secrets = [\"whsec_…\"])",
                    ));
                }
                (Some(secret), true) => {
                    WebhookSecret::parse(secret)
                        .map_err(|e| ConfigError::invalid(&key("secret"), e.to_string()))?;
                }
                (None, false) => {
                    for (n, secret) in secrets.iter().enumerate() {
                        WebhookSecret::parse(secret).map_err(|e| {
                            ConfigError::invalid(&key(&format!("secrets[{n}]")), e.to_string())
                        })?;
                    }
                }
            }
        }
        SinkConfig::Sms {
            base_url,
            account_sid,
            auth_token,
            from,
            to,
            ..
        } => {
            http("base_url", base_url)?;
            if account_sid.is_empty() || auth_token.is_empty() {
                return Err(ConfigError::invalid(
                    &key("account_sid"),
                    "account_sid and auth_token are required",
                ));
            }
            itosm_core::validate_e164(from)
                .map_err(|e| ConfigError::invalid(&key("from"), e.to_string()))?;
            if to.is_empty() {
                return Err(ConfigError::invalid(
                    &key("to"),
                    "name at least one E.164 number",
                ));
            }
            for number in to {
                itosm_core::validate_e164(number).map_err(|_| {
                    ConfigError::invalid(
                        &key("to"),
                        format!("{number:?} is not E.164 (e.g. +919876543210)"),
                    )
                })?;
            }
        }
        SinkConfig::Email {
            host,
            tls,
            from,
            to,
            portal_url,
            subject_template,
            text_template,
            html_template,
            ..
        } => {
            if host.is_empty() {
                return Err(ConfigError::invalid(
                    &key("host"),
                    "the SMTP host is required",
                ));
            }
            if !matches!(tls.as_str(), "none" | "starttls" | "tls") {
                return Err(ConfigError::invalid(
                    &key("tls"),
                    "must be none, starttls or tls",
                ));
            }
            from.parse::<lettre::message::Mailbox>()
                .map_err(|e| ConfigError::invalid(&key("from"), format!("{from:?}: {e}")))?;
            if to.is_empty() {
                return Err(ConfigError::invalid(
                    &key("to"),
                    "name at least one address or `requester`",
                ));
            }
            for address in to.iter().filter(|a| !RECIPIENT_ROLES.contains(&a.as_str())) {
                address
                    .parse::<lettre::message::Mailbox>()
                    .map_err(|e| ConfigError::invalid(&key("to"), format!("{address:?}: {e}")))?;
            }
            http("portal_url", portal_url)?;
            crate::sinks::email::EmailTemplates::new(
                subject_template.as_deref(),
                text_template.as_deref(),
                html_template.as_deref(),
            )
            .map_err(|e| ConfigError::invalid(&key("templates"), e))?;
        }
        SinkConfig::Console { .. } | SinkConfig::Noop { .. } | SinkConfig::File { .. } => {}
    }
    Ok(())
}

/// Whether `filter` is a log filter whose every directive names a level:
/// `info`, `warn,itosm=debug`, `itosm::access=off`. (tracing's own parser
/// takes any word as a target, so `verbose` would silently log nothing.)
fn is_log_filter(filter: &str) -> bool {
    const LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error", "off"];
    !filter.trim().is_empty()
        && tracing_subscriber::EnvFilter::try_new(filter).is_ok()
        && filter.split(',').map(str::trim).all(|directive| {
            let level = directive.rsplit_once('=').map_or(directive, |(_, l)| l);
            LEVELS.contains(&level.to_ascii_lowercase().as_str())
        })
}

/// Reads a secret from `path` (trimmed), refusing a file other users may
/// read: whoever reads the token secret can forge any user's token.
pub fn read_secret_file(key: &str, path: &Path) -> Result<String, ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path)
        .map_err(|e| ConfigError::invalid(key, format!("cannot read {}: {e}", path.display())))?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::invalid(
            key,
            format!(
                "{} is readable by other users (mode {mode:o}); `chmod 600` it",
                path.display()
            ),
        ));
    }
    let secret = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::invalid(key, format!("cannot read {}: {e}", path.display())))?
        .trim()
        .to_owned();
    if secret.len() < MIN_SECRET_BYTES {
        return Err(ConfigError::invalid(
            key,
            format!(
                "the secret in {} must be at least {MIN_SECRET_BYTES} bytes",
                path.display()
            ),
        ));
    }
    Ok(secret)
}

/// Whether `url` is https, or http to a loopback host (a provider on the
/// same machine, tests).
fn is_https_or_loopback(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

fn validate_oidc(oidc: &OidcConfig) -> Result<(), ConfigError> {
    if !is_https_or_loopback(&oidc.issuer) {
        return Err(ConfigError::invalid(
            "auth.oidc.issuer",
            "must be an https:// URL (http:// only to localhost)",
        ));
    }
    if !is_https_or_loopback(&oidc.redirect_url) {
        return Err(ConfigError::invalid(
            "auth.oidc.redirect_url",
            "must be an https:// URL (http:// only to localhost), ending in /api/auth/oidc/callback",
        ));
    }
    if oidc.client_id.trim().is_empty() {
        return Err(ConfigError::invalid(
            "auth.oidc.client_id",
            "must not be empty",
        ));
    }
    if oidc.client_secret.is_empty() {
        return Err(ConfigError::invalid(
            "auth.oidc.client_secret",
            "must not be empty",
        ));
    }
    if !oidc.scopes.iter().any(|s| s == "openid") {
        return Err(ConfigError::invalid(
            "auth.oidc.scopes",
            "must include openid",
        ));
    }
    for (value, role) in &oidc.role_map {
        if OidcConfig::parse_role(role).is_none() {
            return Err(ConfigError::invalid(
                "auth.oidc.role_map",
                format!("{value:?} maps to {role:?}, which is not requester, agent or admin"),
            ));
        }
    }
    let timeout = oidc.http_timeout.get();
    if timeout < Duration::from_millis(100) || timeout > Duration::from_secs(60) {
        return Err(ConfigError::invalid(
            "auth.oidc.http_timeout",
            "must be between 100ms and 60s",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(toml: &str) -> Result<Config, ConfigError> {
        Config::from_figment(
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(toml)),
        )
    }

    #[test]
    fn defaults_are_the_embedded_default() {
        let config = with("").expect("defaults are valid");
        assert_eq!(config.http.addr, "127.0.0.1:8080");
        assert!(config.is_embedded_database());
        assert_eq!(config.transport_kind().ok(), Some(TransportKind::InProcess));
        assert!(config.demo_data);
    }

    #[test]
    fn sla_targets_come_from_config() {
        let config =
            with("[sla.high]\nfirst_response = \"90m\"\nresolution = \"1d\"").expect("valid");
        let policy = config.sla_policy().expect("valid");
        assert_eq!(policy.high.first_response, chrono::Duration::minutes(90));
        assert_eq!(policy.high.resolution, chrono::Duration::days(1));
        assert_eq!(policy.medium.resolution, chrono::Duration::days(2));
        assert_eq!(
            config.default_priority().ok(),
            Some(itosm_core::Priority::Medium)
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            ("[transport]\nkind = \"kafka\"", "transport.kind"),
            (
                "[transport]\nkind = \"rabbitmq\"\namqp_url = \"http://x\"",
                "transport.amqp_url",
            ),
            ("[http]\naddr = \"nowhere\"", "http.addr"),
            ("[http]\nmax_body_bytes = \"lots\"", "http.max_body_bytes"),
            ("[database]\nurl = \"mysql://x\"", "database.url"),
            ("[database]\nurl = \"postgres://x/y\"", "auth.token_secret"),
            ("[auth]\ntoken_secret = \"short\"", "auth.token_secret"),
            ("[auth]\ntoken_ttl = \"forever\"", "auth.token_ttl"),
            (
                "[tickets]\nnumber_format = \"INC-{year}\"",
                "tickets.number_format",
            ),
            ("[graphql]\nmax_page_size = 0", "graphql.max_page_size"),
            ("[sla.high]\nresolution = \"soon\"", "sla.high.resolution"),
            (
                "[sla.low]\nfirst_response = \"0s\"",
                "sla.low.first_response",
            ),
            (
                "[sla.medium]\nfirst_response = \"3d\"",
                "sla.medium.first_response",
            ),
            (
                "[sla.critical]\nresolution = \"400d\"",
                "sla.critical.resolution",
            ),
            (
                "[tickets]\ndefault_priority = \"URGENT\"",
                "tickets.default_priority",
            ),
            (
                "[tickets]\nmax_comment_chars = 0",
                "tickets.max_comment_chars",
            ),
            (
                "[auth]\nlogin_attempts_per_user = 0",
                "auth.login_attempts_per_user",
            ),
            ("[auth]\nlogin_window = \"2d\"", "auth.login_window"),
            ("[http]\nadr = \"127.0.0.1:1\"", "http"),
            (
                "[[notifications.sinks]]\nkind = \"pigeon\"",
                "notifications.sinks",
            ),
            ("[transport]\nprefetch = 0", "transport.prefetch"),
            (
                "[[notifications.sinks]]\nkind = \"sms\"\nname = \"s\"\naccount_sid = \"AC1\"\nauth_token = \"t\"\nfrom = \"+15005550006\"\nto = [\"98765\"]",
                "notifications.sinks[0].to",
            ),
            (
                "[[notifications.sinks]]\nkind = \"email\"\nname = \"e\"\nhost = \"\"\nfrom = \"a@b.c\"\nto = [\"requester\"]",
                "notifications.sinks[0].host",
            ),
            (
                "[[notifications.sinks]]\nkind = \"email\"\nname = \"e\"\nhost = \"h\"\nfrom = \"not an address\"\nto = [\"requester\"]",
                "notifications.sinks[0].from",
            ),
            (
                "[[notifications.sinks]]\nkind = \"email\"\nname = \"e\"\nhost = \"h\"\nfrom = \"a@b.c\"\nto = [\"x@\"]",
                "notifications.sinks[0].to",
            ),
            (
                "[[notifications.sinks]]\nkind = \"email\"\nname = \"e\"\nhost = \"h\"\nfrom = \"a@b.c\"\nto = [\"requester\"]\nsubject_template = \"{% if %}\"",
                "notifications.sinks[0].templates",
            ),
            (
                "[[notifications.sinks]]\nkind = \"webhook\"\nname = \"w\"\nurl = \"https://x\"\nsecret = \"0123456789abcdef\"\nevents = [\"ticket.exploded\"]",
                "notifications.sinks[0].events",
            ),
            (
                "[[notifications.sinks]]\nkind = \"webhook\"\nname = \"w\"\nurl = \"ftp://x\"\nsecret = \"0123456789abcdef\"",
                "notifications.sinks[0].url",
            ),
            (
                "[[notifications.sinks]]\nkind = \"webhook\"\nname = \"w\"\nurl = \"https://x\"\nsecret = \"short\"",
                "notifications.sinks[0].secret",
            ),
            ("[transport]\nqueue = \"bad queue\"", "transport.queue"),
            ("[http]\nidle_timeout = \"0s\"", "http.idle_timeout"),
            (
                "[http]\nheader_read_timeout = \"slow\"",
                "http.header_read_timeout",
            ),
            ("[shutdown]\ngrace = \"2h\"", "shutdown.grace"),
            (
                "[notifications]\nretry_horizon = \"0s\"",
                "notifications.retry_horizon",
            ),
            (
                "[notifications]\nmax_retry_delay = \"10ms\"",
                "notifications.max_retry_delay",
            ),
            (
                "[notifications]\nattempt_timeout = \"2m\"",
                "notifications.attempt_timeout",
            ),
            (
                "[notifications]\nsink_concurrency = 0",
                "notifications.sink_concurrency",
            ),
            ("[transport]\nheartbeat = \"1500ms\"", "transport.heartbeat"),
            (
                "[transport]\nconfirm_timeout = \"0s\"",
                "transport.confirm_timeout",
            ),
        ];
        for (toml, key) in cases {
            let error = with(toml).expect_err(toml).to_string();
            assert!(
                error.contains(key),
                "{toml:?} gave {error:?}, which does not name {key}"
            );
        }
    }

    #[test]
    fn oidc_needs_its_section_and_checks_it() {
        let section = "[auth]\nmethods = [\"password\", \"oidc\"]\n[auth.oidc]\n\
             issuer = \"https://login.example.com\"\nclient_id = \"itosm\"\n\
             client_secret = \"s\"\n\
             redirect_url = \"https://itosm.example.com/api/auth/oidc/callback\"\n";
        let config = with(section).expect("valid");
        let oidc = config.auth.oidc.as_ref().expect("the section");
        assert_eq!(oidc.scopes, ["openid", "profile", "email"]);
        assert!(config.auth_methods().oidc);
        assert!(!format!("{config:?}").contains("client_secret: \"s\""));
        let missing = with("[auth]\nmethods = [\"oidc\"]").expect_err("no section");
        assert!(missing.to_string().contains("auth.oidc"), "{missing}");
        for (extra, key) in [
            (
                "role_claim = \"groups\"\nrole_map = { \"x\" = \"boss\" }",
                "auth.oidc.role_map",
            ),
            ("scopes = [\"email\"]", "auth.oidc.scopes"),
        ] {
            let error = with(&format!("{section}{extra}")).expect_err(extra);
            assert!(error.to_string().contains(key), "{extra}: {error}");
        }
        let plain = section.replace("https://login", "http://login");
        let error = with(&plain).expect_err("plain http issuer");
        assert!(error.to_string().contains("auth.oidc.issuer"), "{error}");
        let local = section.replace("https://login.example.com", "http://127.0.0.1:9400");
        assert!(with(&local).is_ok());
    }

    #[test]
    fn only_section_variables_are_configuration() {
        assert!(is_config_key("http__addr"));
        assert!(is_config_key("DATABASE.url"));
        assert!(is_config_key("demo_data"));
        assert!(!is_config_key("test_database_url"));
        assert!(!is_config_key("httpx__addr"));
    }

    #[test]
    fn log_filters_name_levels() {
        for good in [
            "info",
            "warn,itosm=debug",
            "itosm::access=off,INFO",
            "trace",
        ] {
            assert!(is_log_filter(good), "{good}");
        }
        for bad in ["", "loud!!", "verbose", "itosm", "info,itosm=chatty"] {
            assert!(!is_log_filter(bad), "{bad}");
        }
    }

    #[test]
    fn misspelt_sections_are_recognised() {
        assert_eq!(edit_distance("databse", "database"), 1);
        assert_eq!(edit_distance("http", "http"), 0);
        assert!(edit_distance("kafka", "database") > 2);
        assert_eq!(
            redact_url("postgres://itosm:s3cr@t@db/itosm"),
            "postgres://itosm:***@db/itosm"
        );
        assert_eq!(redact_url("sqlite://itosm.db"), "sqlite://itosm.db");
    }

    #[test]
    fn every_section_is_read_from_the_environment() {
        for key in [
            "demo_data",
            "attachments__max_bytes",
            "shutdown__grace",
            "http.addr",
        ] {
            assert!(is_config_key(key), "{key}");
        }
        assert!(!is_config_key("attachment__max_bytes"));
        assert!(SECTIONS.len() >= 14, "{:?}", *SECTIONS);
    }
}
