//! The `itosm` command line: parsing and dispatch of every command, for
//! [`crate::Daemon::run_cli`].

use std::path::PathBuf;

use crate::Daemon;
use crate::app::{self, Role, Roles};
use crate::cli::manage::{self, CatalogAction, UserAction};
use crate::config::Config;
use crate::transport::rabbitmq;
use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// itosm: IT ticketing core.
#[derive(Parser)]
#[command(name = "itosm", version, about)]
struct Cli {
    /// Config file (default: config/itosm.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the daemon.
    Serve {
        /// Roles to run: any of api, relay, notifier.
        #[arg(long, default_value = "api,relay,notifier")]
        roles: String,
    },
    /// Applies database migrations.
    Migrate,
    /// Loads the demo users and software.
    Seed,
    /// Validates the configuration and exits.
    CheckConfig {
        /// Also try the database, the broker and each sink's endpoint
        /// (connecting only: nothing is written or sent); fails if any
        /// cannot be reached.
        #[arg(long)]
        connect: bool,
    },
    /// Prints the GraphQL schema (SDL).
    Schema,
    /// Measures itosm against this machine's limit (see docs/BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        kind: BenchKind,
    },
    /// Inspects or replays the notifier's dead-letter queue (rabbitmq).
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
    /// Writes a consistent copy of the live database to FILE (a new file,
    /// private to its owner): SQLite with `VACUUM INTO`, PostgreSQL with
    /// `pg_dump --format=custom` (restore with `pg_restore`).
    Backup {
        /// Where to write the copy; it must not exist.
        file: PathBuf,
    },
    /// Manages users from the operator's shell (e.g. the first admin).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manages the software catalog people request from.
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
    /// Manages agent enrolment tokens and agents.
    Agent {
        #[command(subcommand)]
        action: crate::cli::agent::AgentAction,
    },
}

async fn manage_store(config: &Config) -> anyhow::Result<std::sync::Arc<itosm_core::Itosm>> {
    let store = open_announced(config, app::DatabaseAccess::ExistingOnly).await?;
    app::services(config, store).await
}

#[derive(Subcommand)]
enum BenchKind {
    /// Creates tickets over GraphQL against a running daemon; compares with pgbench.
    Tickets {
        /// The daemon's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Concurrent clients (closed loop); with --rate, the most
        /// requests outstanding at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Open loop: this many tickets per second, whatever the answers.
        #[arg(long)]
        rate: Option<u32>,
    },
    /// Simulates a fleet of agents over HTTP against a running daemon:
    /// heartbeats/s, latency and database commits per heartbeat.
    Agents {
        /// The daemon's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Agents to enrol and run.
        #[arg(long, default_value_t = 1000)]
        agents: usize,
        /// Seconds between one agent's heartbeats (60 in production;
        /// less compresses the load).
        #[arg(long, default_value_t = 60)]
        interval: u64,
        /// Seconds to run.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Times a notifier (no-op sink) draining a pre-filled queue.
    Notifier {
        /// Events to pre-fill.
        #[arg(long, default_value_t = 20000)]
        events: u64,
    },
}

#[derive(Subcommand)]
enum DlqAction {
    /// Lists the events waiting in the dead-letter queue.
    List,
    /// Republishes every dead-lettered event for the notifier to retry.
    Replay,
}

fn init_tracing(config: &Config) {
    use std::io::IsTerminal;
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in log files.
        .with_ansi(std::io::stderr().is_terminal());
    if config.log.format == crate::config::LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
    for warning in crate::config::environment_warnings() {
        tracing::warn!("{warning}");
    }
}

/// Opens the configured database, first saying which one (on standard
/// error, so scripts reading standard output are not disturbed).
async fn open_announced(
    config: &Config,
    access: app::DatabaseAccess,
) -> anyhow::Result<std::sync::Arc<itosm_core::store::sea::SeaStore>> {
    eprintln!(
        "itosm: database {}",
        describe_database(&config.database.url)
    );
    app::open_store(config, access).await
}

/// The database URL with its password masked and, for SQLite, the file's
/// full path.
fn describe_database(url: &str) -> String {
    match itosm_core::store::sea::sqlite_file::sqlite_path(url) {
        Some(path) => {
            let full = std::path::absolute(&path).unwrap_or(path);
            format!("{} (SQLite file {})", redact(url), full.display())
        }
        None => redact(url),
    }
}

/// `itosm backup FILE`.
async fn backup(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    if config.is_embedded_database() {
        let store = open_announced(config, app::DatabaseAccess::ExistingOnly).await?;
        store
            .backup_sqlite(file)
            .await
            .with_context(|| format!("backing up to {}", file.display()))?;
    } else {
        eprintln!(
            "itosm: database {}",
            describe_database(&config.database.url)
        );
        itosm_core::store::sea::sqlite_file::create_backup_target(file)?;
        // pg_dump takes a consistent snapshot of a live database.
        let status = std::process::Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--file")
            .arg(file)
            .arg("--dbname")
            .arg(&config.database.url)
            .status();
        match status {
            Ok(status) if status.success() => {}
            Ok(status) => {
                let _ = std::fs::remove_file(file);
                anyhow::bail!("pg_dump failed ({status}); nothing was written");
            }
            Err(error) => {
                let _ = std::fs::remove_file(file);
                anyhow::bail!(
                    "cannot run pg_dump ({error}): install PostgreSQL's client tools to back up a PostgreSQL database"
                );
            }
        }
    }
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    println!("backup written to {} ({size} bytes)", file.display());
    Ok(())
}

/// Runs the command line `args` (the program name first) with the kinds
/// `daemon` registers; what failed, if anything.
pub(crate) async fn run<I, T>(args: I, daemon: &Daemon) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::parse_from(args);
    if let Command::Schema = cli.command {
        print!("{}", itosm_graphql::schema_sdl());
        return Ok(());
    }
    let config = Config::load_with(cli.config.as_deref(), daemon)?;
    match cli.command {
        Command::CheckConfig { connect } => {
            for warning in crate::config::environment_warnings()
                .into_iter()
                .chain(config.security_warnings())
            {
                eprintln!("warning: {warning}");
            }
            println!(
                "config ok: http.addr={} database={} transport={}",
                config.http.addr,
                redact(&config.database.url),
                config.transport.kind
            );
            if !connect {
                return Ok(());
            }
            let checks = crate::cli::connect::check_all(&config, daemon).await;
            let mut failed = Vec::new();
            for check in &checks {
                match &check.outcome {
                    Ok(detail) => println!("ok    {}: {detail}", check.what),
                    Err(why) => {
                        println!("FAIL  {}: {why}", check.what);
                        failed.push(check.what.as_str());
                    }
                }
            }
            if failed.is_empty() {
                Ok(())
            } else {
                anyhow::bail!("cannot reach: {}", failed.join(", "))
            }
        }
        Command::Migrate => {
            init_tracing(&config);
            let mut config = config;
            config.database.migrate_on_start = true;
            open_announced(&config, app::DatabaseAccess::MayCreate).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed => {
            init_tracing(&config);
            let store = open_announced(&config, app::DatabaseAccess::MayCreate).await?;
            itosm_core::seed::load_demo_data(store.as_ref())
                .await
                .context("loading demo data")?;
            println!("demo data loaded");
            Ok(())
        }
        Command::Serve { roles } => {
            init_tracing(&config);
            let roles = Roles::parse(&roles)?;
            let addr = config.http_addr()?;
            let grace = config.shutdown.grace.get();
            let server = crate::server::ServerSettings {
                header_read_timeout: config.http.header_read_timeout.get(),
                idle_timeout: config.http.idle_timeout.get(),
                grace,
            };
            let running = app::start(config, &roles, daemon).await?;
            let draining = running.draining_token();
            let signalled = draining.clone();
            let signalled_at = std::sync::Arc::new(std::sync::OnceLock::new());
            let signal_time = std::sync::Arc::clone(&signalled_at);
            tokio::spawn(async move {
                let signal = shutdown_signal().await;
                let _ = signal_time.set(tokio::time::Instant::now());
                tracing::info!(signal, grace = ?grace, "shutting down: readiness off, finishing in-flight work");
                signalled.cancel();
            });
            if roles.has(Role::Api) {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("config key `http.addr`: cannot listen on {addr}"))?;
                let bound = listener.local_addr().unwrap_or(addr);
                tracing::info!(addr = %bound, "itosm listening; portal at http://{bound}/");
                if addr.port() == 0 {
                    // Asked for any free port: say which, for whoever
                    // started us (tests, supervisors) — no bind-release-
                    // rebind race on their side.
                    println!("itosm listening on http://{bound}");
                }
                crate::server::serve(listener, running.router(), server, draining).await;
            } else {
                tracing::info!(roles = ?roles.0, "itosm running without HTTP");
                draining.cancelled().await;
            }
            let spent = signalled_at
                .get()
                .map(|at: &tokio::time::Instant| at.elapsed())
                .unwrap_or_default();
            running.shutdown(grace.saturating_sub(spent)).await;
            tracing::info!("itosm stopped");
            Ok(())
        }
        Command::Bench { kind } => match kind {
            BenchKind::Tickets {
                url,
                concurrency,
                seconds,
                rate,
            } => {
                if !(1..=4096).contains(&concurrency) || !(1..=3600).contains(&seconds) {
                    anyhow::bail!("--concurrency must be 1-4096 and --seconds 1-3600");
                }
                let load = match rate {
                    Some(rate) if (1..=100_000).contains(&rate) => crate::bench::Load::Rate {
                        rate,
                        max_outstanding: concurrency,
                    },
                    Some(_) => anyhow::bail!("--rate must be 1-100000"),
                    None => crate::bench::Load::Clients(concurrency),
                };
                crate::bench::tickets(&config, &url, load, std::time::Duration::from_secs(seconds))
                    .await
            }
            BenchKind::Agents {
                url,
                agents,
                interval,
                seconds,
            } => {
                if !(1..=200_000).contains(&agents)
                    || !(1..=3600).contains(&interval)
                    || !(1..=3600).contains(&seconds)
                {
                    anyhow::bail!("--agents must be 1-200000, --interval and --seconds 1-3600");
                }
                crate::bench_agents::agents(
                    &config,
                    &url,
                    agents,
                    std::time::Duration::from_secs(interval),
                    std::time::Duration::from_secs(seconds),
                )
                .await
            }
            BenchKind::Notifier { events } => {
                if !(1..=10_000_000).contains(&events) {
                    anyhow::bail!("--events must be 1-10000000");
                }
                crate::bench::notifier(&config, events).await
            }
        },
        Command::Dlq { action } => {
            init_tracing(&config);
            if config.transport.kind != "rabbitmq" {
                anyhow::bail!(
                    "config key `transport.kind`: the dead-letter queue exists only with `rabbitmq`"
                );
            }
            let settings = app::amqp_settings(&config);
            match action {
                DlqAction::List => {
                    let letters = rabbitmq::dlq_list(&settings)
                        .await
                        .map_err(|e| anyhow::anyhow!("config key `transport.amqp_url`: {e}"))?;
                    for letter in &letters {
                        match &letter.event {
                            Some(event) => println!(
                                "{}\t{}\t{}\t{}",
                                event.event_id,
                                event.event_type.as_str(),
                                event.subject_key(),
                                event.occurred_at.to_rfc3339()
                            ),
                            None => println!("(unreadable)\t{} bytes", letter.body.len()),
                        }
                    }
                    println!(
                        "{} dead-lettered event(s) in {}",
                        letters.len(),
                        settings.dlq()
                    );
                }
                DlqAction::Replay => {
                    let replayed = rabbitmq::dlq_replay(&settings)
                        .await
                        .map_err(|e| anyhow::anyhow!("config key `transport.amqp_url`: {e}"))?;
                    println!("replayed {replayed} event(s) from {}", settings.dlq());
                }
            }
            Ok(())
        }
        Command::User { action } => {
            let itosm = manage_store(&config).await?;
            manage::user_command(&itosm, action).await
        }
        Command::Catalog { action } => {
            let itosm = manage_store(&config).await?;
            manage::catalog_command(&itosm, action).await
        }
        Command::Agent { action } => {
            let itosm = manage_store(&config).await?;
            crate::cli::agent::agent_command(&itosm, action).await
        }
        Command::Backup { file } => backup(&config, &file).await,
        Command::Schema => Ok(()),
    }
}

/// Waits for SIGTERM (what service managers send) or SIGINT (Ctrl-C);
/// names the one that came.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "SIGINT"
}

use crate::config::redact_url as redact;
