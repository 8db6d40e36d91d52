//! The rules of changing a ticket, in one place for every store: what a new
//! ticket, a status/assignment/priority change and a comment do to the
//! ticket row, and the event each writes. Stores persist exactly what these
//! return, so memory, SQLite and PostgreSQL cannot disagree.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::event::{EventEnvelope, EventType, TicketSnapshot};
use crate::{Comment, Priority, RequestType, Software, Ticket, TicketId, TicketStatus, User};

/// A ticket to create; the store allocates its number.
#[derive(Debug, Clone)]
pub struct NewTicket {
    /// Who asks (already loaded and authorized).
    pub requester: User,
    /// What kind of request.
    pub request_type: RequestType,
    /// The software title, already checked to exist.
    pub software: Option<Software>,
    /// The subject, already validated (derived from the description when
    /// the requester gave none).
    pub subject: String,
    /// The requester's words, already validated.
    pub description: String,
    /// Initial priority.
    pub priority: Priority,
    /// When a first response is due.
    pub first_response_due_at: DateTime<Utc>,
    /// When resolution is due.
    pub resolution_due_at: DateTime<Utc>,
    /// Creation time; also picks the number's year.
    pub now: DateTime<Utc>,
    /// Id of the `ticket.created` event written with the ticket.
    pub event_id: Uuid,
    /// Staged attachments of the requester's to link to the ticket in the
    /// same transaction (the store refuses the whole ticket if one is no
    /// longer staged by him).
    pub attachments: Vec<crate::AttachmentId>,
    /// Devices the ticket concerns, already authorized, linked in the same
    /// transaction.
    pub assets: Vec<crate::AssetId>,
}

/// What a [`TicketChange`] changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketUpdate {
    /// A new status (`ticket.status_changed`).
    Status(TicketStatus),
    /// A new assignee, or none (`ticket.assigned`).
    Assignee(Option<User>),
    /// A new priority and the due times it implies (`ticket.priority_changed`).
    Priority {
        /// The new priority.
        priority: Priority,
        /// First response due under the new priority.
        first_response_due_at: DateTime<Utc>,
        /// Resolution due under the new priority.
        resolution_due_at: DateTime<Utc>,
    },
}

/// A change to a ticket, applied only if the ticket is still at the version
/// the caller saw.
#[derive(Debug, Clone)]
pub struct TicketChange {
    /// The ticket as the caller saw it (its version is the expected one).
    pub ticket: Ticket,
    /// What changes.
    pub update: TicketUpdate,
    /// Why, in the actor's words (the history row's notes).
    pub note: Option<String>,
    /// Who changes it.
    pub actor: User,
    /// The ticket's requester, software and current assignee, for the event.
    pub requester: User,
    /// See `requester`.
    pub software: Option<Software>,
    /// See `requester`.
    pub assignee: Option<User>,
    /// When.
    pub now: DateTime<Utc>,
    /// Id of the event written with the change.
    pub event_id: Uuid,
}

impl TicketChange {
    /// The ticket after the change and its event: one definition so all
    /// stores agree.
    pub fn apply(&self) -> (Ticket, EventEnvelope) {
        let mut ticket = self.ticket.clone();
        let mut assignee = self.assignee.as_ref();
        let event_type = match &self.update {
            TicketUpdate::Status(status) => {
                ticket.status = *status;
                // A status change by staff is a response the requester sees.
                if self.actor.role.is_staff() && ticket.first_responded_at.is_none() {
                    ticket.first_responded_at = Some(self.now);
                }
                // The resolution clock stops on resolve or cancel and runs
                // again on reopen; closing keeps the resolve time.
                match status {
                    TicketStatus::Resolved | TicketStatus::Cancelled => {
                        ticket.resolved_at = Some(self.now);
                    }
                    TicketStatus::Start | TicketStatus::InProgress | TicketStatus::OnHold => {
                        ticket.resolved_at = None;
                    }
                    TicketStatus::Closed => {
                        ticket.resolved_at = ticket.resolved_at.or(Some(self.now));
                    }
                }
                EventType::TicketStatusChanged
            }
            TicketUpdate::Assignee(new) => {
                ticket.assignee = new.as_ref().map(|u| u.id);
                assignee = new.as_ref();
                EventType::TicketAssigned
            }
            TicketUpdate::Priority {
                priority,
                first_response_due_at,
                resolution_due_at,
            } => {
                ticket.priority = *priority;
                ticket.first_response_due_at = Some(*first_response_due_at);
                ticket.resolution_due_at = Some(*resolution_due_at);
                EventType::TicketPriorityChanged
            }
        };
        ticket.updated_at = self.now;
        ticket.version += 1;
        let snapshot =
            TicketSnapshot::of(&ticket, &self.requester, self.software.as_ref(), assignee);
        let event = EventEnvelope::new(
            event_type,
            self.event_id,
            self.now,
            Some(&self.actor),
            snapshot,
        );
        (ticket, event)
    }
}

/// A comment to add; the store also refreshes the ticket's `updated_at` for a
/// public comment (and `first_responded_at` for a staff member's first public
/// comment), without touching its version: comments never conflict with
/// other changes.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// The ticket as the caller saw it.
    pub ticket: Ticket,
    /// What was said, already validated.
    pub body: String,
    /// Staff-only note.
    pub internal: bool,
    /// Who wrote it.
    pub author: User,
    /// The ticket's requester, software and assignee, for the event.
    pub requester: User,
    /// See `requester`.
    pub software: Option<Software>,
    /// See `requester`.
    pub assignee: Option<User>,
    /// When.
    pub now: DateTime<Utc>,
    /// Id of the `ticket.commented` event.
    pub event_id: Uuid,
    /// Staged attachments of the author's to link to the comment (and its
    /// ticket) in the same transaction; they inherit its `internal` flag.
    pub attachments: Vec<crate::AttachmentId>,
}

impl NewComment {
    /// Whether this comment is the staff's first visible response.
    pub fn responds(&self) -> bool {
        self.author.role.is_staff() && !self.internal
    }

    /// The comment, the ticket after it and its event, given the stored
    /// comment id and the ticket row as it is now: one definition so all
    /// stores agree.
    pub fn parts(&self, id: crate::CommentId, current: Ticket) -> (Comment, Ticket, EventEnvelope) {
        let comment = Comment {
            id,
            ticket: current.id,
            author: self.author.id,
            body: self.body.clone(),
            internal: self.internal,
            created_at: self.now,
        };
        let mut ticket = current;
        // An internal note is invisible to the requester, and so must be
        // its trace: `updated_at` moves only for what he can see.
        if !self.internal {
            ticket.updated_at = self.now;
        }
        if self.responds() && ticket.first_responded_at.is_none() {
            ticket.first_responded_at = Some(self.now);
        }
        let snapshot = TicketSnapshot::of(
            &ticket,
            &self.requester,
            self.software.as_ref(),
            self.assignee.as_ref(),
        );
        let mut event = EventEnvelope::new(
            EventType::TicketCommented,
            self.event_id,
            self.now,
            Some(&self.author),
            snapshot,
        );
        event.comment = Some(crate::event::CommentSnapshot {
            id: id.0,
            author: self.author.username.to_string(),
            author_name: self.author.display_name.clone(),
            body: self.body.clone(),
            internal: self.internal,
        });
        (comment, ticket, event)
    }
}

/// The ticket row, first history note and event that every store writes for
/// a new ticket: one definition so all stores agree.
pub fn new_ticket_parts(id: TicketId, number: String, new: &NewTicket) -> (Ticket, EventEnvelope) {
    let ticket = Ticket {
        id,
        // Rendered from the configured format: the store's own number.
        number: crate::TicketNumber::from_stored(number),
        requester: new.requester.id,
        request_type: new.request_type,
        software: new.software.as_ref().map(|s| s.id),
        subject: new.subject.clone(),
        description: new.description.clone(),
        status: TicketStatus::Start,
        priority: new.priority,
        assignee: None,
        created_at: new.now,
        updated_at: new.now,
        version: 1,
        first_response_due_at: Some(new.first_response_due_at),
        resolution_due_at: Some(new.resolution_due_at),
        first_responded_at: None,
        resolved_at: None,
    };
    let snapshot = TicketSnapshot::of(&ticket, &new.requester, new.software.as_ref(), None);
    let event = EventEnvelope::new(
        EventType::TicketCreated,
        new.event_id,
        new.now,
        Some(&new.requester),
        snapshot,
    );
    (ticket, event)
}

/// The message of the `Conflict` when a named attachment is no longer the
/// caller's staged upload (linked elsewhere or purged meanwhile).
pub const ATTACHMENT_GONE: &str =
    "an attachment is no longer available (already used or expired); upload it again";

/// The message of the `Conflict` for a stale version.
pub const STALE_VERSION: &str = "the ticket changed since you loaded it; reload and try again";

/// The message of the `Conflict` for a stale asset version.
pub const STALE_ASSET: &str = "the asset changed since you loaded it; reload and try again";

/// The message of the `Conflict` when a change names an asset that no
/// longer exists.
pub const ASSET_GONE: &str = "an asset named no longer exists";

/// The note on every ticket's first history row.
pub const CREATED_NOTE: &str = "Ticket created";
