//! # itosm-core
//!
//! The heart of itosm, an IT ticketing core: the ticket domain, ticket-number
//! generation, the one authorization policy, the services every surface calls,
//! and the traits for stores, transports and notification sinks.
//!
//! Core knows nothing of HTTP, AMQP or SMTP. Surfaces (GraphQL, REST, CLI) call
//! [`Itosm`]; stores implement [`store::Store`]; transports implement
//! [`transport::EventPublisher`] and [`transport::LiveFeed`]; sinks implement
//! [`sink::NotificationSink`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), itosm_core::CoreError> {
//! use std::sync::Arc;
//! use itosm_core::{Itosm, ServiceConfig, store::memory::MemoryStore};
//!
//! let store = Arc::new(MemoryStore::new());
//! itosm_core::seed::load_demo_data(store.as_ref()).await?;
//! let itosm = Itosm::new(store, ServiceConfig::with_secret(b"a long random secret".to_vec()))?;
//! let session = itosm.login("john.doe", "EMP123").await?;
//! # Ok(()) }
//! ```

pub use itosm_agent_protocol as agent_protocol;
pub mod blob;
pub mod clock;
pub mod domain;
mod error;
pub mod event;
mod hex;
pub mod number;
pub mod password;
pub mod policy;
pub mod seed;
mod services;
pub mod sink;
pub mod store;
pub mod throttle;
pub mod token;
pub mod transport;

pub use domain::*;
pub use error::{CoreError, ErrorCode};
pub use services::{
    AgentPolicy, AgentSession, AssetFilterInput, AssetInput, AssetPage, AssigneeFilter,
    AttachmentLimits, AuthMethods, AuthSession, CommentView, CreateTicketInput, EnrolledAgent,
    FederatedIdentity, Itosm, MAX_NUMBER_CHARS, MAX_SAMPLES, MAX_SEARCH_CHARS, MAX_TICKET_ASSETS,
    MONITOR_USERNAME, Page, ServiceConfig, TicketFilterInput, TicketPage, TicketView,
    UserFilterInput, UserPage,
};
