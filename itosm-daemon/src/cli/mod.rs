//! Pieces of the `itosm` command line that live in the library, so the
//! binary stays a thin dispatcher and tests can reach them.

pub mod agent;
pub mod connect;
pub mod manage;
pub(crate) mod run;
