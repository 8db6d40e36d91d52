//! Tickets, their statuses, request types and history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{UserId, wire_enum};

/// A ticket's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TicketId(pub i64);

/// A software title's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SoftwareId(pub i64);

/// A title in the software catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Software {
    /// Database id.
    pub id: SoftwareId,
    /// e.g. `Autodesk AutoCAD`.
    pub name: String,
    /// e.g. `2025`.
    pub version: String,
    /// A retired title stays on the tickets that name it but can no longer
    /// be requested.
    pub retired: bool,
}

/// Longest catalog name or version.
pub const MAX_SOFTWARE_FIELD_CHARS: usize = 120;

/// Checks a catalog title's name (required) and version (may be empty):
/// at most 120 characters each, no control characters.
pub fn validate_software(name: &str, version: &str) -> Result<(), crate::CoreError> {
    for (field, value, required) in [("name", name, true), ("version", version, false)] {
        if required && value.trim().is_empty() {
            return Err(crate::CoreError::bad_input(field, "must not be empty"));
        }
        if value.chars().count() > MAX_SOFTWARE_FIELD_CHARS || value.chars().any(char::is_control) {
            return Err(crate::CoreError::bad_input(
                field,
                format!(
                    "at most {MAX_SOFTWARE_FIELD_CHARS} characters, without control characters"
                ),
            ));
        }
    }
    Ok(())
}

impl Software {
    /// Name and version, as people say it: `Autodesk AutoCAD 2025`.
    pub fn label(&self) -> String {
        if self.version.is_empty() {
            self.name.clone()
        } else {
            format!("{} {}", self.name, self.version)
        }
    }
}

wire_enum! {
    /// What the requester asks for.
    RequestType {
        /// Install a title from the catalog (software required).
        SoftwareInstall => "SOFTWARE_INSTALL",
        /// Grant access to a system or application.
        AccessRequest => "ACCESS_REQUEST",
        /// A hardware problem or request (software refused).
        Hardware => "HARDWARE",
        /// Something is broken.
        Incident => "INCIDENT",
        /// Anything else.
        Other => "OTHER",
    }
}

impl RequestType {
    /// What the request type is for, as the request form explains it.
    pub fn explanation(self) -> &'static str {
        match self {
            RequestType::SoftwareInstall => {
                "Install a program from the software catalog on your computer."
            }
            RequestType::AccessRequest => {
                "Get access to a system, application, shared folder or mailing list."
            }
            RequestType::Hardware => {
                "A new or broken device: laptop, monitor, phone, printer, peripherals."
            }
            RequestType::Incident => "Something that worked has stopped working, or works wrongly.",
            RequestType::Other => "Anything else you need from IT.",
        }
    }
}

/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 120;

/// A subject derived from a description, for clients that send none: its
/// first non-blank line, trimmed, cut to [`MAX_SUBJECT_CHARS`] (with `…`).
pub fn derive_subject(description: &str) -> String {
    let line = description
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("");
    let line: String = line.chars().filter(|c| !c.is_control()).collect();
    if line.chars().count() <= MAX_SUBJECT_CHARS {
        return line;
    }
    let mut cut: String = line.chars().take(MAX_SUBJECT_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// Whether a request type takes a software title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftwareRule {
    /// Must name a title.
    Required,
    /// May name a title.
    Optional,
    /// Must not name a title.
    Refused,
}

impl RequestType {
    /// Whether this request type takes a software title.
    pub fn software_rule(self) -> SoftwareRule {
        match self {
            RequestType::SoftwareInstall => SoftwareRule::Required,
            RequestType::Hardware => SoftwareRule::Refused,
            RequestType::AccessRequest | RequestType::Incident | RequestType::Other => {
                SoftwareRule::Optional
            }
        }
    }
}

wire_enum! {
    /// Where a ticket stands.
    TicketStatus {
        /// Newly created, not yet picked up ("Start" in the seed).
        Start => "START",
        /// Someone is working on it.
        InProgress => "IN_PROGRESS",
        /// Waiting on something.
        OnHold => "ON_HOLD",
        /// Done, awaiting confirmation.
        Resolved => "RESOLVED",
        /// Finished for good.
        Closed => "CLOSED",
        /// Withdrawn.
        Cancelled => "CANCELLED",
    }
}

impl TicketStatus {
    /// The label people see, e.g. `Start`.
    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Start => "Start",
            TicketStatus::InProgress => "In progress",
            TicketStatus::OnHold => "On hold",
            TicketStatus::Resolved => "Resolved",
            TicketStatus::Closed => "Closed",
            TicketStatus::Cancelled => "Cancelled",
        }
    }
}

impl TicketStatus {
    /// Whether the ticket is still being worked (not resolved, closed or cancelled).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TicketStatus::Start | TicketStatus::InProgress | TicketStatus::OnHold
        )
    }

    /// The statuses a ticket may move to from this one:
    /// `START → IN_PROGRESS ⇄ ON_HOLD → RESOLVED → CLOSED`, `RESOLVED →
    /// IN_PROGRESS` (reopen), and `CANCELLED` from any open status.
    pub fn allowed_next(self) -> &'static [TicketStatus] {
        use TicketStatus::*;
        match self {
            Start => &[InProgress, Cancelled],
            InProgress => &[OnHold, Resolved, Cancelled],
            OnHold => &[InProgress, Resolved, Cancelled],
            Resolved => &[Closed, InProgress],
            Closed | Cancelled => &[],
        }
    }

    /// Whether moving from this status to `next` is a legal transition.
    pub fn can_move_to(self, next: TicketStatus) -> bool {
        self.allowed_next().contains(&next)
    }
}

wire_enum! {
    /// How urgent a ticket is.
    Priority {
        /// Whenever convenient.
        Low => "LOW",
        /// The default.
        Medium => "MEDIUM",
        /// Soon.
        High => "HIGH",
        /// Now.
        Critical => "CRITICAL",
    }
}

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Database id.
    pub id: TicketId,
    /// The number people quote, e.g. `INC-2026-0001`.
    pub number: super::TicketNumber,
    /// Who asked.
    pub requester: UserId,
    /// What kind of request.
    pub request_type: RequestType,
    /// The software title, for software requests.
    pub software: Option<SoftwareId>,
    /// A short line that names the request in lists, feeds and emails.
    pub subject: String,
    /// The requester's words, stored as given.
    pub description: String,
    /// Where it stands.
    pub status: TicketStatus,
    /// How urgent.
    pub priority: Priority,
    /// Who works it.
    pub assignee: Option<UserId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version, starting at 1.
    pub version: i32,
    /// When a first response is due (from the priority's SLA target).
    pub first_response_due_at: Option<DateTime<Utc>>,
    /// When resolution is due (from the priority's SLA target).
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// When staff first answered visibly: a public comment or a status change.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// When the resolution clock stopped (resolved or cancelled); cleared on reopen.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl Ticket {
    /// Whether the first-response target was missed (or is being missed
    /// now). Cancelled tickets never breach.
    pub fn first_response_breached(&self, now: DateTime<Utc>) -> bool {
        let Some(due) = self.first_response_due_at else {
            return false;
        };
        self.status != TicketStatus::Cancelled
            && match self.first_responded_at {
                Some(at) => at > due,
                None => self.status.is_open() && now > due,
            }
    }

    /// Whether the resolution target was missed (or is being missed now).
    /// Cancelled tickets never breach.
    pub fn resolution_breached(&self, now: DateTime<Utc>) -> bool {
        let Some(due) = self.resolution_due_at else {
            return false;
        };
        self.status != TicketStatus::Cancelled
            && match self.resolved_at {
                Some(at) => at > due,
                None => now > due,
            }
    }

    /// Whether either SLA target was missed.
    pub fn sla_breached(&self, now: DateTime<Utc>) -> bool {
        self.first_response_breached(now) || self.resolution_breached(now)
    }
}

/// SLA targets for one priority: how soon a first response and a resolution
/// are due after creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTarget {
    /// Time to the first visible staff response.
    pub first_response: chrono::Duration,
    /// Time to resolution.
    pub resolution: chrono::Duration,
}

/// SLA targets per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPolicy {
    /// For [`Priority::Low`].
    pub low: SlaTarget,
    /// For [`Priority::Medium`].
    pub medium: SlaTarget,
    /// For [`Priority::High`].
    pub high: SlaTarget,
    /// For [`Priority::Critical`].
    pub critical: SlaTarget,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        let target = |first_hours: i64, resolution_hours: i64| SlaTarget {
            first_response: chrono::Duration::hours(first_hours),
            resolution: chrono::Duration::hours(resolution_hours),
        };
        SlaPolicy {
            low: target(24, 120),
            medium: target(8, 48),
            high: target(2, 16),
            critical: SlaTarget {
                first_response: chrono::Duration::minutes(30),
                resolution: chrono::Duration::hours(4),
            },
        }
    }
}

impl SlaPolicy {
    /// The target for `priority`.
    pub fn target(&self, priority: Priority) -> SlaTarget {
        match priority {
            Priority::Low => self.low,
            Priority::Medium => self.medium,
            Priority::High => self.high,
            Priority::Critical => self.critical,
        }
    }

    /// First-response and resolution due times of a ticket created at
    /// `created_at` with `priority`.
    pub fn due_times(
        &self,
        priority: Priority,
        created_at: DateTime<Utc>,
    ) -> (DateTime<Utc>, DateTime<Utc>) {
        let target = self.target(priority);
        (
            created_at + target.first_response,
            created_at + target.resolution,
        )
    }
}

/// A comment's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CommentId(pub i64);

/// A comment on a ticket: public (everyone who sees the ticket) or an
/// internal note (agents and admins only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Database id.
    pub id: CommentId,
    /// The ticket.
    pub ticket: TicketId,
    /// Who wrote it.
    pub author: UserId,
    /// What was said, stored as given (clients render it as text).
    pub body: String,
    /// Staff-only when true.
    pub internal: bool,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// One row of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Database id.
    pub id: i64,
    /// The ticket.
    pub ticket: TicketId,
    /// The status after this change.
    pub status: TicketStatus,
    /// What was done or said.
    pub notes: Option<String>,
    /// Who did it.
    pub actor: Option<UserId>,
    /// When.
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    #[test]
    fn every_transition_is_legal_or_refused_exactly_as_designed() {
        let legal = [
            (Start, InProgress),
            (Start, Cancelled),
            (InProgress, OnHold),
            (InProgress, Resolved),
            (InProgress, Cancelled),
            (OnHold, InProgress),
            (OnHold, Resolved),
            (OnHold, Cancelled),
            (Resolved, Closed),
            (Resolved, InProgress),
        ];
        for from in TicketStatus::ALL {
            for to in TicketStatus::ALL {
                assert_eq!(
                    from.can_move_to(*to),
                    legal.contains(&(*from, *to)),
                    "{from} -> {to}"
                );
            }
        }
        assert!(Closed.allowed_next().is_empty() && Cancelled.allowed_next().is_empty());
        assert!(Start.is_open() && OnHold.is_open() && !Resolved.is_open() && !Cancelled.is_open());
    }

    fn ticket_at(status: TicketStatus) -> Ticket {
        let created = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let (first, resolution) = SlaPolicy::default().due_times(Priority::High, created);
        Ticket {
            id: TicketId(1),
            subject: String::new(),
            number: crate::TicketNumber::from_stored("INC-2026-0001".into()),
            requester: UserId(1),
            request_type: RequestType::Other,
            software: None,
            description: "x".into(),
            status,
            priority: Priority::High,
            assignee: None,
            created_at: created,
            updated_at: created,
            version: 1,
            first_response_due_at: Some(first),
            resolution_due_at: Some(resolution),
            first_responded_at: None,
            resolved_at: None,
        }
    }

    #[test]
    fn sla_breaches_follow_due_times_and_stop_when_answered_or_resolved() {
        let mut ticket = ticket_at(Start);
        let created = ticket.created_at;
        let hours = |h| created + chrono::Duration::hours(h);
        assert!(!ticket.sla_breached(hours(1)));
        assert!(ticket.first_response_breached(hours(3)));
        assert!(!ticket.resolution_breached(hours(3)));
        ticket.first_responded_at = Some(hours(1));
        assert!(!ticket.first_response_breached(hours(30)));
        assert!(ticket.resolution_breached(hours(17)));
        ticket.resolved_at = Some(hours(10));
        ticket.status = Resolved;
        assert!(
            !ticket.sla_breached(hours(100)),
            "resolved in time stays green"
        );
        ticket.resolved_at = Some(hours(20));
        assert!(
            ticket.resolution_breached(hours(100)),
            "resolved late stays red"
        );
        let mut cancelled = ticket_at(Cancelled);
        cancelled.resolved_at = Some(hours(50));
        assert!(
            !cancelled.sla_breached(hours(100)),
            "cancelled never breaches"
        );
        let mut legacy = ticket_at(Start);
        legacy.first_response_due_at = None;
        legacy.resolution_due_at = None;
        assert!(!legacy.sla_breached(hours(1000)));
    }

    #[test]
    fn software_rules_and_labels() {
        assert_eq!(
            RequestType::SoftwareInstall.software_rule(),
            SoftwareRule::Required
        );
        assert_eq!(RequestType::Hardware.software_rule(), SoftwareRule::Refused);
        assert_eq!(
            RequestType::Incident.software_rule(),
            SoftwareRule::Optional
        );
        assert_eq!(Start.label(), "Start");
        for status in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(status.as_str()), Some(*status));
        }
    }
}
