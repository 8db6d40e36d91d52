//! The daemon's integration tests, one binary: each module runs the real
//! `itosm` binary (see `support`) and checks one area through its HTTP,
//! WebSocket, CLI and sink surfaces. Run one module with
//! `cargo test -p itosm-daemon --test it <module>::`, e.g.
//! `cargo test -p itosm-daemon --test it authorization_matrix -- --nocapture`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

mod accounts;
mod advisories;
mod agents;
mod attachments;
mod auth;
mod authorization_matrix;
mod broker_faults;
mod email;
mod events_contract;
mod hardening;
mod http_sinks;
mod journey;
mod lifecycle;
mod metrics;
mod oidc;
mod rabbitmq;
mod sessions;
mod status;
mod working;
