//! The versioned event envelope that travels through the outbox, the broker
//! and every sink.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    Asset, AssetHealth, AssetKind, AssetStatus, Priority, RequestType, Software, Ticket,
    TicketStatus, User,
};

/// The envelope's schema version; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// What happened to a ticket; also the AMQP routing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// A ticket was created.
    #[serde(rename = "ticket.created")]
    TicketCreated,
    /// A ticket's status changed.
    #[serde(rename = "ticket.status_changed")]
    TicketStatusChanged,
    /// A ticket was (un)assigned.
    #[serde(rename = "ticket.assigned")]
    TicketAssigned,
    /// A comment was added.
    #[serde(rename = "ticket.commented")]
    TicketCommented,
    /// A ticket's priority (and so its SLA due times) changed.
    #[serde(rename = "ticket.priority_changed")]
    TicketPriorityChanged,
    /// A device's health changed (`UP`, `DEGRADED`, `DOWN`).
    #[serde(rename = "asset.health_changed")]
    AssetHealthChanged,
}

impl EventType {
    /// Every event type, in declaration order. The published JSON Schema
    /// (`docs/events.schema.json`) has one definition for each; a test fails
    /// when they differ.
    pub const ALL: &'static [EventType] = &[
        EventType::TicketCreated,
        EventType::TicketStatusChanged,
        EventType::TicketAssigned,
        EventType::TicketCommented,
        EventType::TicketPriorityChanged,
        EventType::AssetHealthChanged,
    ];

    /// The wire name and routing key, e.g. `ticket.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::TicketCreated => "ticket.created",
            EventType::TicketStatusChanged => "ticket.status_changed",
            EventType::TicketAssigned => "ticket.assigned",
            EventType::TicketCommented => "ticket.commented",
            EventType::TicketPriorityChanged => "ticket.priority_changed",
            EventType::AssetHealthChanged => "asset.health_changed",
        }
    }

    /// Parses a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        EventType::ALL.iter().copied().find(|t| t.as_str() == value)
    }
}

/// The ticket as it was when the event happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSnapshot {
    /// e.g. `INC-2026-0001`.
    pub number: String,
    /// The requester's username.
    pub requester: String,
    /// The requester's display name.
    pub requester_name: String,
    /// The requester's email, for notifications addressed to him.
    pub requester_email: Option<String>,
    /// What kind of request.
    pub request_type: RequestType,
    /// The software label, e.g. `Autodesk AutoCAD 2025`.
    pub software: Option<String>,
    /// The ticket's subject (absent from events written before subjects
    /// existed, which read it as empty).
    #[serde(default)]
    pub subject: String,
    /// The requester's words, as given.
    pub description: String,
    /// Status after the event.
    pub status: TicketStatus,
    /// Priority after the event.
    pub priority: Priority,
    /// The assignee's username.
    pub assignee: Option<String>,
    /// The assignee's email, for notifications addressed to him.
    #[serde(default)]
    pub assignee_email: Option<String>,
    /// When the ticket was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The ticket's version after the event.
    pub version: i32,
    /// When a first response is due.
    #[serde(default)]
    pub first_response_due_at: Option<DateTime<Utc>>,
    /// When resolution is due.
    #[serde(default)]
    pub resolution_due_at: Option<DateTime<Utc>>,
}

/// The comment a `ticket.commented` event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentSnapshot {
    /// The comment's id.
    pub id: i64,
    /// The author's username.
    pub author: String,
    /// The author's display name.
    pub author_name: String,
    /// What was said, as written.
    pub body: String,
    /// A staff-only note: never delivered to a requester.
    pub internal: bool,
}

/// The device an `asset.*` event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetSnapshot {
    /// e.g. `PC-000123`.
    pub tag: String,
    /// Its name.
    pub name: String,
    /// The host name its agent reported.
    pub hostname: Option<String>,
    /// What kind of device.
    pub kind: AssetKind,
    /// Where it is in its life.
    pub status: AssetStatus,
    /// The owner's username.
    pub owner: Option<String>,
    /// The owner's email, for notifications addressed to him.
    #[serde(default)]
    pub owner_email: Option<String>,
    /// Health after the event.
    pub health: AssetHealth,
    /// Health before the event.
    pub previous_health: AssetHealth,
    /// Why it is not `UP`.
    pub health_reason: Option<String>,
    /// When its agent was last heard from.
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl AssetSnapshot {
    /// The snapshot of `asset` (after the change) with its owner resolved.
    pub fn of(asset: &Asset, owner: Option<&User>, previous_health: AssetHealth) -> Self {
        AssetSnapshot {
            tag: asset.tag.clone(),
            name: asset.name.clone(),
            hostname: asset.hostname.clone(),
            kind: asset.kind,
            status: asset.status,
            owner: owner.map(|o| o.username.to_string()),
            owner_email: owner.and_then(|o| o.email.as_ref().map(ToString::to_string)),
            health: asset.health,
            previous_health,
            health_reason: asset.health_reason.clone(),
            last_seen_at: asset.last_seen_at,
        }
    }
}

/// One event, as stored in the outbox and published to the broker. A
/// `ticket.*` event carries the ticket, an `asset.*` event the asset.
///
/// The seed's `TicketCreatedEvent` fields `ticketId`, `username` and
/// `requestType` are kept at the top level of ticket events for its
/// consumers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Unique per event; sinks deduplicate on it.
    pub event_id: Uuid,
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// See [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Who did it (username), if anyone.
    pub actor: Option<String>,
    /// The ticket after the event (`ticket.*` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketSnapshot>,
    /// The comment, for `ticket.commented`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<CommentSnapshot>,
    /// The device after the event (`asset.*` events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<AssetSnapshot>,
    /// Seed compatibility: the ticket number.
    #[serde(rename = "ticketId", default, skip_serializing_if = "Option::is_none")]
    pub seed_ticket_id: Option<String>,
    /// Seed compatibility: the requester's username.
    #[serde(rename = "username", default, skip_serializing_if = "Option::is_none")]
    pub seed_username: Option<String>,
    /// Seed compatibility: the request type.
    #[serde(
        rename = "requestType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub seed_request_type: Option<RequestType>,
}

impl TicketSnapshot {
    /// The snapshot of `ticket` with its people and software resolved.
    pub fn of(
        ticket: &Ticket,
        requester: &User,
        software: Option<&Software>,
        assignee: Option<&User>,
    ) -> Self {
        TicketSnapshot {
            number: ticket.number.to_string(),
            requester: requester.username.to_string(),
            requester_name: requester.display_name.clone(),
            requester_email: requester.email.as_ref().map(ToString::to_string),
            request_type: ticket.request_type,
            software: software.map(Software::label),
            subject: ticket.subject.clone(),
            description: ticket.description.clone(),
            status: ticket.status,
            priority: ticket.priority,
            assignee: assignee.map(|a| a.username.to_string()),
            assignee_email: assignee.and_then(|a| a.email.as_ref().map(ToString::to_string)),
            created_at: ticket.created_at,
            updated_at: ticket.updated_at,
            version: ticket.version,
            first_response_due_at: ticket.first_response_due_at,
            resolution_due_at: ticket.resolution_due_at,
        }
    }
}

impl EventEnvelope {
    /// Builds an event about the ticket in `snapshot`.
    pub fn new(
        event_type: EventType,
        event_id: Uuid,
        occurred_at: DateTime<Utc>,
        actor: Option<&User>,
        snapshot: TicketSnapshot,
    ) -> Self {
        EventEnvelope {
            event_id,
            event_type,
            occurred_at,
            schema_version: SCHEMA_VERSION,
            actor: actor.map(|a| a.username.to_string()),
            seed_ticket_id: Some(snapshot.number.clone()),
            seed_username: Some(snapshot.requester.clone()),
            seed_request_type: Some(snapshot.request_type),
            ticket: Some(snapshot),
            comment: None,
            asset: None,
        }
    }

    /// Builds an event about the device in `snapshot`.
    pub fn about_asset(
        event_type: EventType,
        event_id: Uuid,
        occurred_at: DateTime<Utc>,
        actor: Option<&User>,
        snapshot: AssetSnapshot,
    ) -> Self {
        EventEnvelope {
            event_id,
            event_type,
            occurred_at,
            schema_version: SCHEMA_VERSION,
            actor: actor.map(|a| a.username.to_string()),
            ticket: None,
            comment: None,
            asset: Some(snapshot),
            seed_ticket_id: None,
            seed_username: None,
            seed_request_type: None,
        }
    }

    /// What the event is about, for logs, the outbox and per-subject
    /// ordering: the ticket number, or the asset tag.
    pub fn subject_key(&self) -> &str {
        match (&self.ticket, &self.asset) {
            (Some(ticket), _) => &ticket.number,
            (None, Some(asset)) => &asset.tag,
            (None, None) => "",
        }
    }

    /// The envelope as JSON.
    pub fn to_json(&self) -> String {
        // Every field serializes infallibly (strings, numbers, enums, dates).
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether this event carries an internal (staff-only) note, which must
    /// never reach a requester.
    pub fn is_internal(&self) -> bool {
        self.comment.as_ref().is_some_and(|c| c.internal)
    }

    /// Parses an envelope from JSON.
    pub fn from_json(json: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(json)
    }
}

#[cfg(test)]
mod tests {
    use super::EventType;

    /// Where each variant sits in [`EventType::ALL`]. The match is
    /// exhaustive, so a new variant does not compile here until it is
    /// given a place, and the test below checks that place.
    fn position(event_type: EventType) -> usize {
        match event_type {
            EventType::TicketCreated => 0,
            EventType::TicketStatusChanged => 1,
            EventType::TicketAssigned => 2,
            EventType::TicketCommented => 3,
            EventType::TicketPriorityChanged => 4,
            EventType::AssetHealthChanged => 5,
        }
    }

    #[test]
    fn all_lists_every_event_type_once() {
        for (i, event_type) in EventType::ALL.iter().enumerate() {
            assert_eq!(position(*event_type), i, "{event_type:?}");
            assert_eq!(EventType::parse(event_type.as_str()), Some(*event_type));
            let json = serde_json::to_string(event_type).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", event_type.as_str()));
        }
        assert_eq!(EventType::parse("ticket.exploded"), None);
    }
}
