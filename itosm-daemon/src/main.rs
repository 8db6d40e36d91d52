//! The `itosm` command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use itosm_daemon::app::{self, Role, Roles};
use itosm_daemon::config::Config;
use itosm_daemon::transport::rabbitmq;
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
    CheckConfig,
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
}

#[derive(Subcommand)]
enum BenchKind {
    /// Creates tickets over GraphQL against a running daemon; compares with pgbench.
    Tickets {
        /// The daemon's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Concurrent clients.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Seconds to run.
        #[arg(long, default_value_t = 20)]
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
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("itosm: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Schema = cli.command {
        print!("{}", itosm_graphql::schema_sdl());
        return Ok(());
    }
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::CheckConfig => {
            config.transport_kind()?;
            println!(
                "config ok: http.addr={} database={} transport={}",
                config.http.addr,
                redact(&config.database.url),
                config.transport.kind
            );
            Ok(())
        }
        Command::Migrate => {
            init_tracing(&config);
            let mut config = config;
            config.database.migrate_on_start = true;
            app::open_store(&config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed => {
            init_tracing(&config);
            let store = app::open_store(&config).await?;
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
            let running = app::start(config, &roles).await?;
            let shutdown = running.shutdown_token();
            let signal_shutdown = shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                signal_shutdown.cancel();
            });
            if roles.has(Role::Api) {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("config key `http.addr`: cannot listen on {addr}"))?;
                tracing::info!(%addr, "itosm listening; portal at http://{addr}/");
                axum::serve(listener, running.router())
                    .with_graceful_shutdown(async move { shutdown.cancelled().await })
                    .await
                    .context("HTTP server failed")?;
            } else {
                tracing::info!(roles = ?roles.0, "itosm running without HTTP");
                shutdown.cancelled().await;
            }
            running.shutdown().await;
            Ok(())
        }
        Command::Bench { kind } => match kind {
            BenchKind::Tickets {
                url,
                concurrency,
                seconds,
            } => {
                if !(1..=1024).contains(&concurrency) || !(1..=3600).contains(&seconds) {
                    anyhow::bail!("--concurrency must be 1-1024 and --seconds 1-3600");
                }
                itosm_daemon::bench::tickets(
                    &config,
                    &url,
                    concurrency,
                    std::time::Duration::from_secs(seconds),
                )
                .await
            }
            BenchKind::Notifier { events } => {
                if !(1..=10_000_000).contains(&events) {
                    anyhow::bail!("--events must be 1-10000000");
                }
                itosm_daemon::bench::notifier(&config, events).await
            }
        },
        Command::Dlq { action } => {
            init_tracing(&config);
            if config.transport_kind()? != itosm_daemon::config::TransportKind::RabbitMq {
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
                                event.ticket.number,
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
        Command::Schema => Ok(()),
    }
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
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
