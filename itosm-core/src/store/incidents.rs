//! The incident store role: which open ticket monitoring opened for a
//! condition (a device `DOWN`, a firing alert), so a repeat comments on it
//! instead of opening another, and recovery resolves it after a hold-down.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::TicketId;

/// An incident monitoring opened and has not closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Row id.
    pub id: i64,
    /// The condition, e.g. `asset:PC-000123:DOWN`.
    pub key: String,
    /// The ticket opened for it.
    pub ticket: TicketId,
    /// Its number.
    pub ticket_number: String,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When the condition cleared, if it has (the ticket is resolved once
    /// it stays clear for the hold-down).
    pub recovered_at: Option<DateTime<Utc>>,
}

/// Open incidents by condition. At most one incident per key is open.
#[async_trait]
pub trait IncidentStore: Send + Sync {
    /// The open incident for `key`.
    async fn open_incident(&self, key: &str) -> Result<Option<Incident>, StoreError>;
    /// Records a new open incident; `Conflict` if one is open for `key`.
    async fn insert_incident(
        &self,
        key: &str,
        ticket: &crate::Ticket,
        now: DateTime<Utc>,
    ) -> Result<Incident, StoreError>;
    /// Sets (or, with `None`, clears) when the condition cleared.
    async fn set_incident_recovered(
        &self,
        id: i64,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;
    /// Open incidents that recovered before `before`, oldest first.
    async fn recovered_incidents(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Incident>, StoreError>;
    /// Closes an incident: its key is free for a new one.
    async fn close_incident(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError>;
}
