//! Open incidents in memory.

use super::*;
use crate::store::{Incident, IncidentStore};

/// An incident row, with when it closed.
#[derive(Debug)]
pub(super) struct IncidentRow {
    incident: Incident,
    closed_at: Option<DateTime<Utc>>,
}

#[async_trait]
impl IncidentStore for MemoryStore {
    async fn open_incident(&self, key: &str) -> Result<Option<Incident>, StoreError> {
        Ok(self.with(|s| {
            s.incidents
                .iter()
                .find(|r| r.closed_at.is_none() && r.incident.key == key)
                .map(|r| r.incident.clone())
        }))
    }

    async fn insert_incident(
        &self,
        key: &str,
        ticket: &Ticket,
        now: DateTime<Utc>,
    ) -> Result<Incident, StoreError> {
        self.with(|s| {
            if s.incidents
                .iter()
                .any(|r| r.closed_at.is_none() && r.incident.key == key)
            {
                return Err(StoreError::Conflict(format!(
                    "an incident for {key} is open"
                )));
            }
            let incident = Incident {
                id: s.incidents.len() as i64 + 1,
                key: key.to_owned(),
                ticket: ticket.id,
                ticket_number: ticket.number.to_string(),
                opened_at: now,
                recovered_at: None,
            };
            s.incidents.push(IncidentRow {
                incident: incident.clone(),
                closed_at: None,
            });
            Ok(incident)
        })
    }

    async fn set_incident_recovered(
        &self,
        id: i64,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.with(|s| {
            for row in s.incidents.iter_mut().filter(|r| r.incident.id == id) {
                row.incident.recovered_at = at;
            }
        });
        Ok(())
    }

    async fn recovered_incidents(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Incident>, StoreError> {
        Ok(self.with(|s| {
            s.incidents
                .iter()
                .filter(|r| {
                    r.closed_at.is_none() && r.incident.recovered_at.is_some_and(|at| at < before)
                })
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|r| r.incident.clone())
                .collect()
        }))
    }

    async fn close_incident(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.with(|s| {
            for row in s.incidents.iter_mut().filter(|r| r.incident.id == id) {
                row.closed_at.get_or_insert(now);
            }
        });
        Ok(())
    }
}
