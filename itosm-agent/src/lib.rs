//! The itosm agent as a library: the collectors, the state file, the
//! client of the daemon's agent API and the run loop. `main.rs` is only the
//! command line around it.

pub mod backoff;
pub mod client;
pub mod collect;
pub mod commands;
pub mod run;
pub mod state;

/// What the agent says it is, in `User-Agent`.
pub const USER_AGENT: &str = concat!("itosm-agent/", env!("CARGO_PKG_VERSION"));

/// Process exit codes, documented in `docs/AGENTS.md`; systemd relies on
/// [`exit::REVOKED`] not to restart a revoked agent in a loop.
pub mod exit {
    /// Done (or stopped by SIGTERM/SIGINT).
    pub const OK: i32 = 0;
    /// Refused by the server, or another failure.
    pub const FAILURE: i32 = 1;
    /// Bad use: not enrolled yet, invalid report text, bad arguments.
    pub const USAGE: i32 = 2;
    /// The credential was revoked or is unknown: enrol again.
    pub const REVOKED: i32 = 3;
}

/// The message shown when the server no longer knows this agent.
pub const REVOKED_MESSAGE: &str =
    "this agent was revoked or is unknown to the server: enrol again with `itosm-agent enroll`";
