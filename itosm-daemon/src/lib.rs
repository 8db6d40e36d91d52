//! # itosm-daemon
//!
//! The `itosm` binary's library: config, HTTP server, transports, outbox
//! relay, notifier, sinks. `main.rs` is only the CLI.

pub mod app;
pub mod attachments;
pub mod backoff;
pub mod bench;
pub mod bounded;
pub mod cli;
pub mod config;
pub mod http;
pub mod metrics;
pub mod notifier;
pub mod relay;
pub mod server;
pub mod sinks;
pub mod transport;
