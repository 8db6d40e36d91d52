//! Transports: how events travel from the outbox relay to the notifier and
//! the live feed. Each built-in kind is a folder (`in_process/`,
//! `rabbitmq/`) with its `build` factory, registered in
//! [`TransportKinds::standard`]; a daemon built with
//! [`crate::Daemon::transport_kind`] adds kinds the same way.

pub mod in_process;
pub mod rabbitmq;
pub mod registry;

pub use registry::{
    StartedTransport, Transport, TransportCheck, TransportContext, TransportKinds,
    TransportStartError, TransportWiring,
};
