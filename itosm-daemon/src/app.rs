//! Assembles a running itosm from its config: store, services, transport,
//! relay, notifier, GraphQL schema and HTTP router.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use itosm_core::number::TicketNumberFormat;
use itosm_core::store::Store;
use itosm_core::store::sea::{SeaStore, SeaStoreOptions};
use itosm_core::transport::{BroadcastFeed, LiveFeed};
use itosm_core::{Itosm, ServiceConfig};
use itosm_graphql::{ItosmSchema, SchemaLimits};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::Daemon;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::notifier::{Notifier, NotifierSettings};
use crate::relay::{self, RelaySettings};
use crate::transport::TransportWiring;
use crate::transport::rabbitmq::{AmqpSettings, BrokerHealth};

/// What a daemon instance does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Serves HTTP (GraphQL, REST, portal).
    Api,
    /// Publishes the outbox.
    Relay,
    /// Delivers events to sinks.
    Notifier,
}

/// A set of roles, parsed from `--roles api,relay,notifier`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(pub BTreeSet<Role>);

impl Roles {
    /// Every role (the default).
    pub fn all() -> Self {
        Roles(
            [Role::Api, Role::Relay, Role::Notifier]
                .into_iter()
                .collect(),
        )
    }

    /// Parses a comma-separated list.
    pub fn parse(value: &str) -> anyhow::Result<Self> {
        let mut roles = BTreeSet::new();
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            roles.insert(match part {
                "api" => Role::Api,
                "relay" => Role::Relay,
                "notifier" => Role::Notifier,
                other => bail!("--roles: unknown role {other:?}; use api, relay, notifier"),
            });
        }
        if roles.is_empty() {
            bail!("--roles: name at least one of api, relay, notifier");
        }
        Ok(Roles(roles))
    }

    /// Whether `role` is included.
    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }
}

/// Whether a command may create the embedded database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseAccess {
    /// `serve`, `migrate` and `seed` may create it.
    MayCreate,
    /// Every other command works on an existing database only, so that a
    /// command run in the wrong directory fails instead of "succeeding" on a
    /// new, empty file.
    ExistingOnly,
}

/// Opens (and, if configured, migrates) the configured database.
pub async fn open_store(config: &Config, access: DatabaseAccess) -> anyhow::Result<Arc<SeaStore>> {
    let mut options = SeaStoreOptions::new(config.database.url.clone());
    if config.database.max_connections > 0 {
        options.max_connections = config.database.max_connections;
    }
    options.acquire_timeout = config.database.acquire_timeout.get();
    options.create_if_missing = access == DatabaseAccess::MayCreate;
    let store = SeaStore::connect(options)
        .await
        .with_context(|| "config key `database.url`: cannot open the database".to_owned())?;
    if config.database.migrate_on_start {
        store.migrate().await.context("running migrations")?;
    }
    Ok(Arc::new(store))
}

/// The token secret: configured, or generated once and kept in the
/// embedded database.
pub async fn token_secret(config: &Config, store: &dyn Store) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.auth.token_secret {
        return Ok(secret.clone().into_bytes());
    }
    if let Some(path) = &config.auth.token_secret_file {
        return Ok(crate::config::read_secret_file("auth.token_secret_file", path)?.into_bytes());
    }
    if !config.is_embedded_database() {
        bail!("config key `auth.token_secret`: required when database.url is not SQLite");
    }
    let secret = store
        .setting_or_insert("auth.token_secret", &itosm_core::token::generate_secret())
        .await
        .context("storing the generated token secret")?;
    Ok(secret.into_bytes())
}

/// Builds the services from config over `store`.
pub async fn services(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<Arc<Itosm>> {
    let secret = token_secret(config, store.as_ref()).await?;
    let mut service_config = ServiceConfig::with_secret(secret);
    service_config.token_ttl = chrono::Duration::from_std(config.auth.token_ttl.get())
        .context("config key `auth.token_ttl`")?;
    service_config.number_format = TicketNumberFormat::parse(&config.tickets.number_format)
        .map_err(|e| anyhow::anyhow!("config key `tickets.number_format`: {}", e.reason))?;
    service_config.max_description_chars = config.tickets.max_description_chars;
    service_config.max_comment_chars = config.tickets.max_comment_chars;
    service_config.default_priority = config.default_priority()?;
    service_config.sla = config.sla_policy()?;
    service_config.login_throttle = config.login_throttle();
    service_config.max_tickets_per_minute = config.tickets.max_created_per_minute;
    service_config.max_comments_per_minute = config.tickets.max_comments_per_minute;
    service_config.max_page_size = config.graphql.max_page_size;
    service_config.auth_methods = config.auth_methods();
    service_config.previous_token_secrets = config
        .auth
        .previous_token_secrets
        .iter()
        .map(|secret| secret.as_bytes().to_vec())
        .collect();
    service_config.default_page_size = config.graphql.max_page_size.min(20);
    service_config.attachments = itosm_core::AttachmentLimits {
        max_bytes: config.attachments.max_bytes.get(),
        max_count: config.attachments.max_count,
        max_staged_per_user: config.attachments.max_staged_per_user,
        staged_for: chrono::Duration::from_std(config.attachments.staged_for.get())
            .context("config key `attachments.staged_for`")?,
    };
    service_config.agents = config.agents.policy()?;
    let blobs = crate::attachments::blob_store(&config.attachments);
    Ok(Arc::new(
        Itosm::new(store, service_config)?.with_blobs(blobs),
    ))
}

/// A running daemon: its shared state and background tasks.
pub struct Running {
    /// The configuration in force.
    pub config: Config,
    /// The services.
    pub itosm: Arc<Itosm>,
    /// The store.
    pub store: Arc<SeaStore>,
    /// The live feed subscriptions read.
    pub feed: Arc<dyn LiveFeed>,
    /// The GraphQL schema.
    pub schema: ItosmSchema,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The broker's health, with the rabbitmq transport.
    pub broker: Option<Arc<BrokerHealth>>,
    /// The roles this instance runs.
    pub roles: Roles,
    /// The notifier, with the `notifier` role.
    pub notifier: Option<Arc<Notifier>>,
    /// Single sign-on, when `auth.methods` has `oidc`.
    pub oidc: Option<Arc<crate::http::oidc::Oidc>>,
    /// Where the agent API queues heartbeats (the api role).
    pub heartbeats: Option<crate::agents::HeartbeatQueue>,
    /// Fires first on shutdown: readiness off, HTTP drains, WebSockets close.
    draining: CancellationToken,
    /// Fires next: the relay finishes its batch, consumers stop taking.
    shutdown: CancellationToken,
    /// Fires last, before the notifier stops: the in-process handoff.
    handoff_stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    /// Held while the daemon runs: one daemon per SQLite file.
    _database_lock: Option<std::fs::File>,
    handoff: Option<JoinHandle<()>>,
}

impl Running {
    /// The HTTP router for the `api` role.
    pub fn router(&self) -> axum::Router {
        crate::http::router(self)
    }

    /// Shuts down in order, within `grace`: readiness off (if not already),
    /// the relay finishes and flushes its batch, consumers stop taking and
    /// ack what they hold, the notifier gives back what it has not started
    /// and finishes (and logs) what it has.
    pub async fn shutdown(self, grace: Duration) {
        let deadline = tokio::time::Instant::now() + grace;
        self.draining.cancel();
        if let Some(notifier) = &self.notifier {
            notifier.stop_claiming();
        }
        self.shutdown.cancel();
        for mut task in self.tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                tracing::warn!("a background task did not stop within the grace period");
                task.abort();
            }
        }
        self.handoff_stop.cancel();
        if let Some(mut handoff) = self.handoff
            && tokio::time::timeout_at(deadline, &mut handoff)
                .await
                .is_err()
        {
            handoff.abort();
        }
        if let Some(notifier) = &self.notifier {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            notifier.shutdown(left).await;
        }
    }

    /// A token that fires when shutdown begins (readiness off, HTTP
    /// drains); cancel it to begin.
    pub fn draining_token(&self) -> CancellationToken {
        self.draining.clone()
    }
}

/// The notifier's settings from `[notifications]`.
pub fn notifier_settings(config: &Config) -> NotifierSettings {
    let n = &config.notifications;
    NotifierSettings {
        retry_backoff: config.notifications.retry_backoff.get(),
        max_retry_delay: config.notifications.max_retry_delay.get(),
        retry_horizon: config.notifications.retry_horizon.get(),
        max_attempts: n.max_attempts,
        claim_lease: config.notifications.claim_lease.get(),
        attempt_timeout: config.notifications.attempt_timeout.get(),
        sink_concurrency: n.sink_concurrency,
        max_in_flight: n.max_in_flight,
        ..NotifierSettings::default()
    }
}

/// The broker settings from config.
pub fn amqp_settings(config: &Config) -> AmqpSettings {
    AmqpSettings {
        url: config.transport.amqp_url.to_string(),
        exchange: config.transport.exchange.clone(),
        queue: config.transport.queue.clone(),
        prefetch: config.transport.prefetch,
        connect_timeout: config.transport.connect_timeout.get(),
        confirm_timeout: config.transport.confirm_timeout.get(),
        heartbeat: u16::try_from(config.transport.heartbeat.get().as_secs()).unwrap_or(u16::MAX),
    }
}

/// Starts the daemon's roles from `config`, with the sink and transport
/// kinds `daemon` registers.
pub async fn start(config: Config, roles: &Roles, daemon: &Daemon) -> anyhow::Result<Running> {
    config.validate_with(daemon)?;
    log_startup_summary(&config, roles);
    let transport = daemon.transport_kinds().build(&config)?;
    if !transport.splits_roles() && *roles != Roles::all() {
        bail!(
            "config key `transport.kind`: the {} transport runs api, relay and notifier together; use rabbitmq to split roles",
            config.transport.kind
        );
    }
    transport.prepare().await?;
    let database_lock = lock_embedded_database(&config)?;
    let store = open_store(&config, DatabaseAccess::MayCreate).await?;
    if config.demo_data {
        itosm_core::seed::load_demo_data(store.as_ref())
            .await
            .context("loading demo data")?;
    }
    let dyn_store: Arc<dyn Store> = store.clone();
    let itosm = services(&config, Arc::clone(&dyn_store)).await?;
    let metrics = Arc::new(Metrics::default());
    let shutdown = CancellationToken::new();

    let broadcast = BroadcastFeed::new(1024);
    let feed: Arc<dyn LiveFeed> = Arc::new(broadcast.clone());
    let kinds = daemon.sink_kinds().clone();
    let sinks = kinds
        .build(&config.notifications.sinks)
        .map_err(|e| anyhow::anyhow!("config key `notifications.sinks`: {e}"))?;
    if roles.has(Role::Notifier) {
        // A sink down at start is worth a warning, not a refusal: its
        // deliveries wait in the delivery log and are retried.
        let config = config.clone();
        tokio::spawn(async move {
            for check in crate::cli::connect::sink_checks(&config, &kinds).await {
                if let Err(error) = check.outcome {
                    tracing::warn!(sink = %check.what, %error, "sink unreachable at start; its deliveries will be retried");
                }
            }
        });
    }
    let broker = transport.health();
    let notifier = roles.has(Role::Notifier).then(|| {
        Notifier::start(
            sinks,
            Arc::clone(&dyn_store),
            notifier_settings(&config),
            transport.dead_letters(),
            Arc::clone(&metrics),
        )
    });
    let handoff_stop = CancellationToken::new();
    let started = transport.start(TransportWiring {
        roles: roles.clone(),
        notifier: notifier.clone(),
        feed: broadcast.clone(),
        shutdown: shutdown.clone(),
        handoff_stop: handoff_stop.clone(),
    })?;
    let (publisher, mut tasks, handoff) = (started.publisher, started.tasks, started.handoff);

    if roles.has(Role::Relay) {
        tasks.push(tokio::spawn(relay::run(
            Arc::clone(&dyn_store),
            publisher,
            itosm.outbox_wakeup(),
            RelaySettings {
                batch_size: config.relay.batch_size,
                sweep_interval: config.relay.sweep_interval.get(),
                claim_lease: config.relay.claim_lease.get(),
                coalesce: config.relay.coalesce.get(),
            },
            Arc::clone(&metrics),
            shutdown.clone(),
        )));
        tasks.push(tokio::spawn(relay::listen_for_commits(
            Arc::clone(&store),
            itosm.outbox_wakeup(),
            shutdown.clone(),
        )));
    }

    let mut heartbeats = None;
    if roles.has(Role::Api) {
        tasks.push(tokio::spawn(purge_abandoned_uploads(
            Arc::clone(&itosm),
            config.attachments.staged_for.get(),
            shutdown.clone(),
        )));
        let (queue, writer) = crate::agents::start_heartbeat_writer(
            Arc::clone(&itosm),
            config.agents.max_pending_heartbeats,
            config.agents.flush_interval.get(),
            shutdown.clone(),
        );
        tasks.push(writer);
        heartbeats = Some(queue);
        tasks.push(tokio::spawn(crate::agents::watch_silence(
            Arc::clone(&itosm),
            config.agents.heartbeat_interval.get(),
            shutdown.clone(),
        )));
    }

    let schema = itosm_graphql::build_schema(
        Arc::clone(&itosm),
        Arc::clone(&feed),
        SchemaLimits {
            max_depth: config.graphql.max_depth,
            max_complexity: config.graphql.max_complexity,
            subscription_recheck: config.graphql.subscription_recheck.get(),
        },
    );
    let oidc = match (&config.auth.oidc, config.auth_methods().oidc) {
        (Some(oidc_config), true) if roles.has(Role::Api) => {
            let secret = token_secret(&config, dyn_store.as_ref()).await?;
            let oidc = Arc::new(crate::http::oidc::Oidc::new(oidc_config.clone(), &secret)?);
            let warm = Arc::clone(&oidc);
            tasks.push(tokio::spawn(async move { warm.warm_up().await }));
            Some(oidc)
        }
        _ => None,
    };
    Ok(Running {
        config,
        oidc,
        heartbeats,
        itosm,
        store,
        feed,
        schema,
        metrics,
        broker,
        roles: roles.clone(),
        notifier,
        draining: CancellationToken::new(),
        shutdown,
        handoff_stop,
        tasks,
        _database_lock: database_lock,
        handoff,
    })
}

/// Deletes uploads nobody attached once they are older than `staged_for`,
/// checking a few times per period (every api replica may run it: a row is
/// deleted once, and deleting bytes twice is harmless).
async fn purge_abandoned_uploads(
    itosm: Arc<Itosm>,
    staged_for: Duration,
    shutdown: CancellationToken,
) {
    let every = (staged_for / 4).clamp(Duration::from_secs(15), Duration::from_secs(3600));
    loop {
        match itosm.purge_abandoned_attachments().await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "abandoned uploads deleted"),
            Err(error) => tracing::warn!(%error, "could not purge abandoned uploads; will retry"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every / 2 + crate::backoff::full_jitter(every / 2, every / 2, 1)) => {}
        }
    }
}

/// Takes the embedded database's lock file (`<file>.lock`, holding the
/// owner's pid) for as long as the returned handle lives. A second daemon on
/// the same SQLite file is refused: its live feed and relay would never see
/// the first one's tickets. Commands other than `serve` do not take it.
pub fn lock_embedded_database(config: &Config) -> anyhow::Result<Option<std::fs::File>> {
    use std::io::{Read, Seek, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let Some(path) = itosm_core::store::sea::sqlite_file::sqlite_path(&config.database.url) else {
        return Ok(None);
    };
    let lock_path = itosm_core::store::sea::sqlite_file::side_file(&path, ".lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .with_context(|| {
            format!(
                "config key `database.url`: cannot open {}",
                lock_path.display()
            )
        })?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut owner = String::new();
            let _ = file.read_to_string(&mut owner);
            let owner = owner.trim();
            bail!(
                "config key `database.url`: {} is in use by another itosm daemon{}; run one daemon per SQLite file (or use PostgreSQL to run several)",
                path.display(),
                if owner.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {owner})")
                }
            );
        }
        Err(std::fs::TryLockError::Error(error)) => {
            return Err(error).with_context(|| format!("locking {}", lock_path.display()));
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    file.flush()?;
    Ok(Some(file))
}

/// What an operator needs to know of this instance, in one line, and a
/// warning for each setting unsafe in front of a company (demo logins,
/// employee-ID login exposed).
fn log_startup_summary(config: &Config, roles: &Roles) {
    let sinks: Vec<String> = config
        .notifications
        .sinks
        .iter()
        .map(|sink| sink.name().to_owned())
        .collect();
    let roles: Vec<&str> = roles
        .0
        .iter()
        .map(|role| match role {
            Role::Api => "api",
            Role::Relay => "relay",
            Role::Notifier => "notifier",
        })
        .collect();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        database = %crate::config::redact_url(&config.database.url),
        transport = %config.transport.kind,
        roles = %roles.join(","),
        sinks = %sinks.join(","),
        http = %config.http.addr,
        "itosm starting"
    );
    for warning in config.security_warnings() {
        tracing::warn!("{warning}");
    }
}
