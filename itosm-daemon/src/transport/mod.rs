//! Transports: how events travel from the outbox relay to the notifier and
//! the live feed.

pub mod in_process;
pub mod rabbitmq;
