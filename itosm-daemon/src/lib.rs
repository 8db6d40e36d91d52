//! # itosm-daemon
//!
//! The `itosm` daemon as a library: config, HTTP server, transports, outbox
//! relay, notifier, sinks and the command line. The `itosm` binary is
//! [`Daemon::standard`]`().`[`run_cli`](Daemon::run_cli)`()`; an integrator's
//! binary registers its own sink (or transport) kinds first and keeps every
//! command:
//!
//! ```no_run
//! use std::convert::Infallible;
//! use std::sync::Arc;
//!
//! use itosm_daemon::Daemon;
//! use itosm_daemon::Settings;
//! use itosm_daemon::sinks::{ConfiguredSink, NoopSink};
//!
//! /// `[[notifications.sinks]]` with `kind = "pager"`: its own keys.
//! #[derive(serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct PagerConfig {
//!     team: String,
//! }
//!
//! impl Settings for PagerConfig {}
//!
//! fn main() -> std::process::ExitCode {
//!     Daemon::standard()
//!         .sink_kind("pager", |config: PagerConfig, context| {
//!             let _team = config.team; // … a real sink would page it
//!             Ok::<_, Infallible>(ConfiguredSink::broadcast(Arc::new(NoopSink(
//!                 context.name().to_owned(),
//!             ))))
//!         })
//!         .run_cli()
//! }
//! ```
//!
//! `examples/custom_sink.rs` is a complete one: a chat sink posting to a
//! chat webhook.

pub mod agents;
pub mod app;
pub mod attachments;
pub mod backoff;
pub mod bench;
pub mod bench_agents;
pub mod bounded;
pub mod cli;
pub mod config;
pub mod http;
pub mod kinds;
pub mod metrics;
pub mod notifier;
pub mod relay;
pub mod server;
pub mod sinks;
pub mod transport;

use std::fmt::Display;
use std::process::ExitCode;
use std::sync::Arc;

pub use kinds::{InvalidSetting, Settings};
use sinks::{ConfiguredSink, SinkContext, SinkKinds};
use transport::{Transport, TransportContext, TransportKinds};

/// A daemon: the sink and transport kinds it knows, and its command line
/// (`serve`, `check-config`, `migrate`, … — see `itosm --help`).
#[derive(Debug, Clone)]
pub struct Daemon {
    sinks: SinkKinds,
    transports: TransportKinds,
}

impl Daemon {
    /// The standard daemon, the `itosm` binary: the built-in sink kinds
    /// `console`, `email`, `file`, `noop`, `sms` and `webhook`, and the
    /// transports `in-process` and `rabbitmq`.
    pub fn standard() -> Self {
        Daemon {
            sinks: SinkKinds::standard(),
            transports: TransportKinds::standard(),
        }
    }

    /// Registers sink kind `kind`: a `[[notifications.sinks]]` entry with
    /// `kind = "<kind>"` has the keys of its table other than `kind`, `name`
    /// and `events` deserialized as `C` and checked by
    /// [`Settings::validate`] — at start and by `check-config`, an
    /// error naming the key and the sink — then `factory` builds the sink.
    /// `check-config --connect` calls the built sink's
    /// [`NotificationSink::check`](itosm_core::sink::NotificationSink::check).
    /// Registering a built-in kind's name replaces it.
    pub fn sink_kind<C, F, E>(mut self, kind: &str, factory: F) -> Self
    where
        C: Settings,
        F: Fn(C, &SinkContext) -> Result<ConfiguredSink, E> + Send + Sync + 'static,
        E: Display,
    {
        self.sinks.register(kind, factory);
        self
    }

    /// Registers transport kind `kind`: with `transport.kind = "<kind>"`,
    /// the `[transport]` keys other than the built-in broker's
    /// ([`transport::registry::COMMON_KEYS`]) are deserialized as `C` and
    /// checked by [`Settings::validate`] — at start and by `check-config`,
    /// an error naming the key — then `factory` builds the [`Transport`].
    /// `check-config --connect` calls its [`Transport::check`].
    pub fn transport_kind<C, F, E>(mut self, kind: &str, factory: F) -> Self
    where
        C: Settings,
        F: Fn(C, TransportContext<'_>) -> Result<Arc<dyn Transport>, E> + Send + Sync + 'static,
        E: Display,
    {
        self.transports.register(kind, factory);
        self
    }

    /// The sink kinds this daemon builds sinks of.
    pub fn sink_kinds(&self) -> &SinkKinds {
        &self.sinks
    }

    /// The transport kinds this daemon runs.
    pub fn transport_kinds(&self) -> &TransportKinds {
        &self.transports
    }

    /// Runs the command line of this process (`std::env::args`) on a new
    /// multi-threaded Tokio runtime; errors are printed on standard error
    /// and end in a failure exit code.
    pub fn run_cli(self) -> ExitCode {
        match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => {
                let code = runtime.block_on(self.run_cli_with(std::env::args_os()));
                // Bounded: a background task that never yields (seen in the
                // SQL pool's idle-connection reaper) must not keep a finished
                // command from exiting, as dropping the runtime would.
                runtime.shutdown_timeout(std::time::Duration::from_secs(2));
                code
            }
            Err(error) => {
                eprintln!("itosm: cannot start the async runtime: {error}");
                ExitCode::FAILURE
            }
        }
    }

    /// Runs the command line `args` (the program name first) on the
    /// current Tokio runtime; errors are printed on standard error and end
    /// in a failure exit code.
    pub async fn run_cli_with<I, T>(self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        match cli::run::run(args, &self).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("itosm: {error:#}");
                ExitCode::FAILURE
            }
        }
    }
}
