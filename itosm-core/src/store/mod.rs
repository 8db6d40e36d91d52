//! Where tickets live: the [`Store`] role traits and their implementations.
//!
//! Every store passes the same conformance suite (`tests/store_conformance.rs`):
//! in-memory ([`memory::MemoryStore`]), SQLite and PostgreSQL
//! ([`sea::SeaStore`], feature `sea-orm`).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::event::EventEnvelope;
use crate::number::TicketNumberFormat;
use crate::{
    Attachment, AttachmentId, Comment, HistoryEntry, NewAttachment, NewUser, Priority, RequestType,
    Role, Software, SoftwareId, Ticket, TicketId, TicketStatus, User, UserId,
};

mod assets;
mod incidents;
pub mod memory;
pub mod prelude;
#[cfg(feature = "sea-orm")]
pub mod sea;

/// A store failure, classified for the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached; nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness or concurrency clash.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Anything else.
    #[error("store error: {0}")]
    Internal(String),
}

pub use crate::domain::change::{
    ASSET_GONE, ATTACHMENT_GONE, CREATED_NOTE, NewComment, NewTicket, STALE_ASSET, STALE_VERSION,
    TicketChange, TicketUpdate, new_ticket_parts,
};

pub use assets::{
    AssetQuery, AssetSave, AssetStore, EnrollAgent, Enrolled, HealthChange, Heartbeat, NewAsset,
};
pub use incidents::{Incident, IncidentStore};

/// Whose tickets, by assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeQuery {
    /// Assigned to this user.
    Is(UserId),
    /// Assigned to nobody.
    Unassigned,
}

/// The order of a ticket list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TicketSort {
    /// Newest first, keyset-paged by id (`before`).
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// Resolution due soonest first; tickets without a due time last.
    ResolutionDue,
    /// First response due soonest first; tickets without a due time last.
    FirstResponseDue,
}

/// Which tickets to list: keyset-paged by id (`before`) when newest first,
/// by `offset` in any other order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketQuery {
    /// Only this requester's tickets.
    pub requester: Option<UserId>,
    /// Only tickets in this status.
    pub status: Option<TicketStatus>,
    /// Only tickets of this type.
    pub request_type: Option<RequestType>,
    /// Only the ticket with this exact number.
    pub number: Option<String>,
    /// Only tickets of this priority.
    pub priority: Option<Priority>,
    /// Only tickets with this assignee (or none).
    pub assignee: Option<AssigneeQuery>,
    /// Only breached (`true`) or not breached (`false`) tickets, judged at `now`.
    pub breached: Option<bool>,
    /// Only tickets whose number, subject or description contains this text,
    /// ignoring ASCII case. Plain text: `%`, `_` and quotes match themselves.
    pub search: Option<String>,
    /// The order.
    pub sort: TicketSort,
    /// Only tickets older than this one (the page cursor, with `Newest`).
    pub before: Option<TicketId>,
    /// Tickets to skip (the page cursor, with any other sort).
    pub offset: u64,
    /// At most this many.
    pub limit: u64,
    /// The time `breached` is judged at.
    pub now: Option<DateTime<Utc>>,
}

impl TicketQuery {
    /// Whether `ticket` passes every filter except the cursor: the reference
    /// semantics the SQL stores must match (the conformance suite checks).
    pub fn matches(&self, ticket: &Ticket) -> bool {
        let now = self.now.unwrap_or_else(Utc::now);
        self.requester.is_none_or(|r| ticket.requester == r)
            && self.status.is_none_or(|x| ticket.status == x)
            && self.request_type.is_none_or(|x| ticket.request_type == x)
            && self.number.as_ref().is_none_or(|n| &ticket.number == n)
            && self.priority.is_none_or(|p| ticket.priority == p)
            && self.assignee.is_none_or(|a| match a {
                AssigneeQuery::Is(id) => ticket.assignee == Some(id),
                AssigneeQuery::Unassigned => ticket.assignee.is_none(),
            })
            && self.breached.is_none_or(|b| ticket.sla_breached(now) == b)
            && self.search.as_ref().is_none_or(|needle| {
                let needle = needle.to_ascii_lowercase();
                ticket.number.to_ascii_lowercase().contains(&needle)
                    || ticket.subject.to_ascii_lowercase().contains(&needle)
                    || ticket.description.to_ascii_lowercase().contains(&needle)
            })
    }
}

/// Which users to list, by username, keyset-paged by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Only this role.
    pub role: Option<Role>,
    /// Only active (`true`) or deactivated (`false`) users.
    pub active: Option<bool>,
    /// Only users whose username, display name or email contains this text,
    /// ignoring ASCII case.
    pub search: Option<String>,
    /// Only users with a larger id (the page cursor).
    pub after: Option<UserId>,
    /// At most this many.
    pub limit: u64,
}

impl UserQuery {
    /// Whether `user` passes every filter except the cursor.
    pub fn matches(&self, user: &User) -> bool {
        self.role.is_none_or(|r| user.role == r)
            && self.active.is_none_or(|a| user.active == a)
            && self.search.as_ref().is_none_or(|needle| {
                let needle = needle.to_ascii_lowercase();
                [
                    Some(user.username.as_str()),
                    Some(user.display_name.as_str()),
                    user.email.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|field| field.to_ascii_lowercase().contains(&needle))
            })
    }
}

/// A change to a user (admins).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserPatch {
    /// A new role.
    pub role: Option<Role>,
    /// Activate or deactivate.
    pub active: Option<bool>,
    /// Raise the token generation, ending every token issued so far.
    pub revoke_tokens: bool,
}

/// An outbox row claimed by a relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Row id.
    pub id: i64,
    /// The event's id.
    pub event_id: Uuid,
    /// The event type (routing key).
    pub event_type: String,
    /// The ticket the event is about.
    pub ticket_number: String,
    /// The envelope as JSON.
    pub payload: String,
    /// How many times the row has been claimed, this claim included.
    pub attempts: i32,
}

/// How one delivery (event × sink × recipient) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Claimed by a notifier and being sent, or waiting for its next
    /// attempt (`next_attempt_at`) after a retryable failure.
    Pending,
    /// The sink accepted it; never send again.
    Delivered,
    /// The sink refused it for good, or it kept failing past the retry
    /// horizon (then it was dead-lettered).
    Failed,
}

impl DeliveryStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Failed => "FAILED",
        }
    }

    /// Parses a stored name.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "PENDING" => Some(DeliveryStatus::Pending),
            "DELIVERED" => Some(DeliveryStatus::Delivered),
            "FAILED" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// What the delivery log is keyed by: one event, sink and recipient.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeliveryKey {
    /// The event.
    pub event_id: Uuid,
    /// The sink's configured name.
    pub sink: String,
    /// The recipient (`*` for broadcast sinks).
    pub recipient: String,
}

/// One row of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The event delivered.
    pub event_id: Uuid,
    /// Its type, e.g. `ticket.created`.
    pub event_type: String,
    /// The ticket it is about.
    pub ticket_number: String,
    /// The sink's configured name.
    pub sink: String,
    /// Who it was for (`*` for broadcast sinks).
    pub recipient: String,
    /// How it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far (accumulated across redeliveries).
    pub attempts: i32,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// When this row last changed.
    pub at: DateTime<Utc>,
    /// For a `Pending` row: when it is due for its next attempt.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery a notifier is about to make, to be claimed first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryClaim {
    /// Event, sink and recipient.
    pub key: DeliveryKey,
    /// The event type, e.g. `ticket.created`.
    pub event_type: String,
    /// The ticket the event is about.
    pub ticket_number: String,
}

/// How deliveries are claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimOptions {
    /// The time of the claim.
    pub now: DateTime<Utc>,
    /// How long the claim holds the row against other notifiers; after a
    /// crash, the row is claimable again once it runs out.
    pub lease: Duration,
    /// Until when a failing delivery is retried (set on a new row, and on
    /// a failed row taken back by a replay).
    pub retry_until: DateTime<Utc>,
    /// A replay from the dead-letter queue: failed rows are claimed again.
    pub replay: bool,
}

/// A delivery this notifier now holds: it alone sends it until the lease
/// runs out or it records an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedDelivery {
    /// Event, sink and recipient.
    pub key: DeliveryKey,
    /// Attempts already made.
    pub attempts: i32,
    /// Until when a failure is retried; past it the delivery fails for good.
    pub retry_until: DateTime<Utc>,
}

/// A delivery due for another attempt, claimed by the retry sweeper, with
/// the event's payload from the outbox (`None` if the outbox has no row
/// for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The claimed delivery.
    pub claimed: ClaimedDelivery,
    /// The event type.
    pub event_type: String,
    /// The ticket the event is about.
    pub ticket_number: String,
    /// The envelope as JSON, from the outbox row with this event id.
    pub payload: Option<String>,
}

/// Persistence for itosm, as one object: every role below. Surfaces hold an
/// `Arc<dyn Store>`; parts of the daemon that need only one role (the relay,
/// the notifier) take that role's trait object, to which an `Arc<dyn Store>`
/// coerces.
///
/// Every implementation passes the conformance suite; see each role for its
/// guarantees.
pub trait Store:
    StoreHealth
    + UserStore
    + CatalogStore
    + TicketStore
    + OutboxStore
    + DeliveryStore
    + SettingsStore
    + AttachmentStore
    + AssetStore
    + IncidentStore
    + 'static
{
}

impl<T> Store for T where
    T: StoreHealth
        + UserStore
        + CatalogStore
        + TicketStore
        + OutboxStore
        + DeliveryStore
        + SettingsStore
        + AttachmentStore
        + AssetStore
        + IncidentStore
        + 'static
{
}

/// Whether the store answers (readiness).
#[async_trait]
pub trait StoreHealth: Send + Sync {
    /// Checks that the store answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// People: lookups for authentication and notifications, and user
/// administration.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Finds a user by username.
    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// Loads the users with these ids (missing ones are skipped).
    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError>;
    /// Active users with one of `roles` (e.g. the admins to notify).
    async fn active_users_with_roles(&self, roles: &[Role]) -> Result<Vec<User>, StoreError>;
    /// Creates the user, or updates the one with the same username.
    async fn upsert_user(&self, user: &NewUser) -> Result<User, StoreError>;
    /// Creates a user; `Conflict("username … is taken")` if it is.
    async fn create_user(&self, user: &NewUser) -> Result<User, StoreError>;
    /// Changes a user's role or active flag; `None` if there is no such user.
    async fn update_user(&self, id: UserId, patch: UserPatch) -> Result<Option<User>, StoreError>;
    /// Users matching `query`, by id.
    async fn list_users(&self, query: &UserQuery) -> Result<Vec<User>, StoreError>;
    /// Updates a user's display name and email (single sign-on keeps them
    /// in step with the provider).
    async fn update_profile(
        &self,
        id: UserId,
        display_name: &str,
        email: Option<&crate::Email>,
    ) -> Result<(), StoreError>;
    /// A user's password hash (PHC string), if he has a password.
    async fn password_hash(&self, id: UserId) -> Result<Option<String>, StoreError>;
    /// Sets a user's password hash and whether it must be changed at the
    /// next login, and raises his token generation (every earlier session
    /// ends); `None` if there is no such user.
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
    ) -> Result<Option<User>, StoreError>;
}

/// The software catalog.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    /// The catalog, ordered by name then version; retired titles only if
    /// asked.
    async fn list_software(&self, include_retired: bool) -> Result<Vec<Software>, StoreError>;
    /// One catalog title.
    async fn get_software(&self, id: SoftwareId) -> Result<Option<Software>, StoreError>;
    /// Adds a title unless one with the same name and version exists.
    async fn upsert_software(&self, name: &str, version: &str) -> Result<Software, StoreError>;
    /// Adds a title; `Conflict` if one with the same name and version exists.
    async fn add_software(&self, name: &str, version: &str) -> Result<Software, StoreError>;
    /// Renames a title; `None` if there is none, `Conflict` on a clash.
    async fn update_software(
        &self,
        id: SoftwareId,
        name: &str,
        version: &str,
    ) -> Result<Option<Software>, StoreError>;
    /// Retires (`true`) or restores a title; `None` if there is none.
    async fn set_software_retired(
        &self,
        id: SoftwareId,
        retired: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<Software>, StoreError>;
}

/// Tickets, their history and comments. Every change commits with its
/// history row and outbox event in one transaction; ticket numbers are
/// unique and increasing under any concurrency.
#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Creates a ticket with the next number of `format`, its first history
    /// row and its `ticket.created` outbox event, in one transaction.
    async fn create_ticket(
        &self,
        format: &TicketNumberFormat,
        ticket: NewTicket,
    ) -> Result<(Ticket, EventEnvelope), StoreError>;
    /// Applies a change if the ticket's version is still the expected one
    /// (else `Conflict`, changing nothing), writing a history row and the
    /// change's outbox event in the same transaction.
    async fn update_ticket(
        &self,
        change: TicketChange,
    ) -> Result<(Ticket, EventEnvelope), StoreError>;
    /// Adds a comment, refreshes the ticket's `updated_at` (and its first
    /// response time, see [`NewComment`]) and writes `ticket.commented` to
    /// the outbox, in one transaction.
    async fn add_comment(
        &self,
        comment: NewComment,
    ) -> Result<(Comment, Ticket, EventEnvelope), StoreError>;
    /// A ticket's comments, oldest first; internal notes only if asked.
    async fn ticket_comments(
        &self,
        ticket: TicketId,
        include_internal: bool,
    ) -> Result<Vec<Comment>, StoreError>;
    /// A ticket by number.
    async fn get_ticket(&self, number: &str) -> Result<Option<Ticket>, StoreError>;
    /// Tickets matching `query`, in its order.
    async fn list_tickets(&self, query: &TicketQuery) -> Result<Vec<Ticket>, StoreError>;
    /// A ticket's history, oldest first.
    async fn ticket_history(&self, ticket: TicketId) -> Result<Vec<HistoryEntry>, StoreError>;
}

/// Attachment rows (their bytes live in a [`crate::blob::BlobStore`]).
/// Linking a staged attachment to a ticket or comment happens inside
/// [`TicketStore::create_ticket`] and [`TicketStore::add_comment`].
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Stores the row of a staged (not yet linked) attachment.
    async fn stage_attachment(&self, new: &NewAttachment) -> Result<Attachment, StoreError>;
    /// One attachment.
    async fn get_attachment(&self, id: AttachmentId) -> Result<Option<Attachment>, StoreError>;
    /// A ticket's attachments, oldest first; those of internal notes only
    /// if asked.
    async fn ticket_attachments(
        &self,
        ticket: TicketId,
        include_internal: bool,
    ) -> Result<Vec<Attachment>, StoreError>;
    /// How many staged attachments `user` holds.
    async fn count_staged_attachments(&self, user: UserId) -> Result<u64, StoreError>;
    /// Staged attachments uploaded before `before`, oldest first, at most
    /// `limit`: uploads nobody linked (the purge's work list).
    async fn abandoned_attachments(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Attachment>, StoreError>;
    /// Deletes the rows of those of `ids` that are still staged; returns
    /// the ids deleted (linked attachments are never deleted here).
    async fn delete_staged_attachments(
        &self,
        ids: &[AttachmentId],
    ) -> Result<Vec<AttachmentId>, StoreError>;
}

/// The transactional outbox, as the relay sees it: claim unsent rows with
/// a lease, mark them sent after the transport confirmed.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` unsent outbox rows, oldest first, for `lease`;
    /// rows claimed by another relay whose lease has not run out are skipped.
    async fn claim_outbox(
        &self,
        limit: u64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxRecord>, StoreError>;
    /// Marks claimed rows sent (after their publishes were confirmed).
    async fn mark_outbox_sent(&self, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Gives a claimed row back after a failed publish, noting the error.
    async fn release_outbox(&self, id: i64, error: &str) -> Result<(), StoreError>;
    /// How many outbox rows are not yet sent.
    async fn count_unsent_outbox(&self) -> Result<u64, StoreError>;
}

/// The delivery log, which is also the notifier's durable per-sink work
/// queue: claims before sending, outcomes after.
#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Whether `event_id` was already delivered by `sink` to `recipient`.
    async fn was_delivered(
        &self,
        event_id: Uuid,
        sink: &str,
        recipient: &str,
    ) -> Result<bool, StoreError>;
    /// Records an outcome: inserts the row, or updates it adding `attempts`,
    /// setting `next_attempt_at` and releasing any claim. A row already
    /// `Delivered` stays so.
    async fn record_delivery(&self, record: &DeliveryRecord) -> Result<(), StoreError>;
    /// Which of `keys` were already delivered. Stores answer a whole batch
    /// in one query where they can; this default asks one by one.
    async fn delivered_among(
        &self,
        keys: &[DeliveryKey],
    ) -> Result<std::collections::HashSet<DeliveryKey>, StoreError> {
        let mut delivered = std::collections::HashSet::new();
        for key in keys {
            if self
                .was_delivered(key.event_id, &key.sink, &key.recipient)
                .await?
            {
                delivered.insert(key.clone());
            }
        }
        Ok(delivered)
    }
    /// Records several outcomes, as [`DeliveryStore::record_delivery`] would one by
    /// one and in order. Stores write a whole batch in one statement where
    /// they can; this default writes one by one.
    async fn record_deliveries(&self, records: &[DeliveryRecord]) -> Result<(), StoreError> {
        for record in records {
            self.record_delivery(record).await?;
        }
        Ok(())
    }
    /// Claims deliveries before they are sent, in one statement where the
    /// store can: a missing row is inserted `Pending` with a lease; an
    /// existing row is taken only if it is `Pending`, due
    /// (`next_attempt_at` passed) and not leased (or its lease ran out), or
    /// `Failed` and this is a replay. Returns the claims won; a key not
    /// returned is another notifier's, or done. A key asked twice is
    /// claimed once.
    async fn claim_deliveries(
        &self,
        claims: &[DeliveryClaim],
        options: &ClaimOptions,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;
    /// The retry sweeper's claim: up to `limit` rows of `sink` that are
    /// `Pending`, due at `now` and not leased (or whose lease ran out after
    /// a crash), oldest due first, leased for `lease`, each with its
    /// event's outbox payload. Concurrent sweepers claim disjoint rows.
    async fn claim_due_deliveries(
        &self,
        sink: &str,
        limit: u64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>, StoreError>;
    /// The delivery log of one ticket, oldest first.
    async fn deliveries_for_ticket(&self, number: &str) -> Result<Vec<DeliveryRecord>, StoreError>;
}

/// Small application settings kept in the database (e.g. the embedded
/// default's generated token secret).
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// Returns the setting `key`, storing `default` first if it is absent
    /// (atomically: concurrent callers all get the same value).
    async fn setting_or_insert(&self, key: &str, default: &str) -> Result<String, StoreError>;
}
