//! The services every surface calls, one file per aggregate (tickets,
//! comments, users, the catalog, authentication). Each method authenticates nothing
//! itself: it takes the caller as an [`Actor`] (from [`Itosm::authenticate`])
//! and asks [`policy::authorize`] before touching anything.

mod agents;
mod assets;
mod attachments;
mod auth;
mod catalog;
mod comments;
mod paging;
mod text;
mod tickets;
mod users;

pub use agents::{AgentPolicy, AgentSession, EnrolledAgent, MONITOR_USERNAME};
pub use assets::{AssetFilterInput, AssetInput, AssetPage, MAX_SAMPLES, MAX_TICKET_ASSETS};
pub use attachments::AttachmentLimits;
pub use auth::{AuthMethods, AuthSession, FederatedIdentity};
pub use comments::CommentView;
pub use paging::Page;
pub use text::{MAX_NUMBER_CHARS, MAX_SEARCH_CHARS};
pub use tickets::{AssigneeFilter, CreateTicketInput, TicketFilterInput, TicketPage, TicketView};
pub use users::{UserFilterInput, UserPage};

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::event::EventEnvelope;
use crate::number::TicketNumberFormat;
use crate::policy::{self, Action, Actor};
use crate::store::{
    AssigneeQuery, NewComment, NewTicket, Store, TicketChange, TicketQuery, TicketSort,
    TicketUpdate, UserPatch, UserQuery,
};
use crate::throttle::{ActionLimiter, LoginThrottle, ThrottleConfig};
use crate::token::{TokenError, TokenSigner};
use crate::{
    Comment, CoreError, HistoryEntry, NewUser, Priority, RequestType, Role, SlaPolicy, Software,
    SoftwareId, SoftwareRule, Ticket, TicketId, TicketStatus, User, UserId, validate_employee_id,
    validate_new_user, validate_username,
};

/// What the services need to know; built by the daemon from its config.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// HMAC secret new tokens are signed with (at least 32 bytes).
    pub token_secret: Vec<u8>,
    /// Earlier secrets whose tokens are still accepted (rotation): keep one
    /// here until the longest token lifetime has passed.
    pub previous_token_secrets: Vec<Vec<u8>>,
    /// How long a login lasts.
    pub token_ttl: Duration,
    /// How ticket numbers look.
    pub number_format: TicketNumberFormat,
    /// Longest accepted description, in characters.
    pub max_description_chars: usize,
    /// Largest accepted page size.
    pub max_page_size: u32,
    /// Page size when the caller names none.
    pub default_page_size: u32,
    /// Longest accepted comment or status note, in characters.
    pub max_comment_chars: usize,
    /// Priority of a new ticket.
    pub default_priority: Priority,
    /// First-response and resolution targets per priority.
    pub sla: SlaPolicy,
    /// Login attempts allowed per username and per address.
    pub login_throttle: ThrottleConfig,
    /// Which ways of logging in are on.
    pub auth_methods: AuthMethods,
    /// New tickets one user may open per minute (0: no limit).
    pub max_tickets_per_minute: u32,
    /// Comments one user may write per minute (0: no limit).
    pub max_comments_per_minute: u32,
    /// Bounds on attachments.
    pub attachments: AttachmentLimits,
    /// What agents are told and how their health is judged.
    pub agents: AgentPolicy,
}

impl ServiceConfig {
    /// The defaults, with the given token secret.
    pub fn with_secret(token_secret: Vec<u8>) -> Self {
        ServiceConfig {
            token_secret,
            previous_token_secrets: Vec::new(),
            token_ttl: Duration::hours(12),
            number_format: TicketNumberFormat::default(),
            max_description_chars: 4000,
            max_page_size: 100,
            default_page_size: 20,
            max_comment_chars: 4000,
            default_priority: Priority::Medium,
            sla: SlaPolicy::default(),
            login_throttle: ThrottleConfig::default(),
            auth_methods: AuthMethods::default(),
            max_tickets_per_minute: 10,
            max_comments_per_minute: 30,
            attachments: AttachmentLimits::default(),
            agents: AgentPolicy::default(),
        }
    }
}

/// itosm's services over one store.
pub struct Itosm {
    store: Arc<dyn Store>,
    signer: TokenSigner,
    throttle: LoginThrottle,
    ticket_limiter: ActionLimiter,
    comment_limiter: ActionLimiter,
    config: ServiceConfig,
    clock: Arc<dyn Clock>,
    outbox_wakeup: Arc<Notify>,
    blobs: Option<Arc<dyn crate::blob::BlobStore>>,
}

impl std::fmt::Debug for Itosm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Itosm")
            .field("config", &self.config.number_format)
            .finish_non_exhaustive()
    }
}

impl Itosm {
    /// Services over `store`; fails if the token secret is too weak.
    pub fn new(store: Arc<dyn Store>, config: ServiceConfig) -> Result<Self, CoreError> {
        let signer = TokenSigner::with_previous(
            config.token_secret.clone(),
            config.previous_token_secrets.clone(),
            config.token_ttl,
        )
        .map_err(|e| CoreError::bad_input("auth.token_secret", e.to_string()))?;
        Ok(Itosm {
            store,
            signer,
            throttle: LoginThrottle::new(config.login_throttle),
            ticket_limiter: ActionLimiter::new(config.max_tickets_per_minute, Duration::minutes(1)),
            comment_limiter: ActionLimiter::new(
                config.max_comments_per_minute,
                Duration::minutes(1),
            ),
            config,
            clock: Arc::new(SystemClock),
            outbox_wakeup: Arc::new(Notify::new()),
            blobs: None,
        })
    }

    /// Replaces the clock (tests, simulations).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Keeps attachment bytes in `blobs`; without one, uploads are refused.
    pub fn with_blobs(mut self, blobs: Arc<dyn crate::blob::BlobStore>) -> Self {
        self.blobs = Some(blobs);
        self
    }

    /// The store behind the services.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The configuration in force.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The clock in use.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Notified after every commit that wrote outbox rows, so a relay in this
    /// process wakes at once instead of waiting for its next sweep.
    pub fn outbox_wakeup(&self) -> Arc<Notify> {
        Arc::clone(&self.outbox_wakeup)
    }

    pub(super) fn page_size(&self, first: Option<i64>) -> Result<u64, CoreError> {
        let max = i64::from(self.config.max_page_size);
        let first = first.unwrap_or(i64::from(self.config.default_page_size));
        if !(1..=max).contains(&first) {
            return Err(CoreError::bad_input(
                "first",
                format!("must be between 1 and {max}"),
            ));
        }
        Ok(first.unsigned_abs())
    }

    pub(super) async fn users_map(
        &self,
        ids: &[UserId],
    ) -> Result<HashMap<UserId, User>, CoreError> {
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self
            .store
            .users_by_ids(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect())
    }
}
