//! An in-memory store for tests and embedders that need no database.

mod assets;
mod attachments;
mod deliveries;
mod incidents;

use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, Utc};

use super::{
    CREATED_NOTE, CatalogStore, DeliveryStore, NewComment, NewTicket, OutboxRecord, OutboxStore,
    SettingsStore, StoreError, StoreHealth, TicketQuery, TicketSort, TicketStore, UserPatch,
    UserQuery, UserStore, new_ticket_parts,
};
use super::{
    ClaimOptions, ClaimedDelivery, DeliveryClaim, DeliveryKey, DeliveryRecord, DeliveryStatus,
    DueDelivery,
};
use crate::event::EventEnvelope;
use crate::number::TicketNumberFormat;
use crate::{
    Attachment, Comment, CommentId, HistoryEntry, NewUser, Software, SoftwareId, Ticket, TicketId,
    User, UserId,
};

#[derive(Debug)]
struct OutboxRow {
    record: OutboxRecord,
    claimed_until: Option<DateTime<Utc>>,
    sent_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    users: Vec<User>,
    software: Vec<Software>,
    tickets: Vec<Ticket>,
    history: Vec<HistoryEntry>,
    comments: Vec<Comment>,
    outbox: Vec<OutboxRow>,
    counters: std::collections::HashMap<(String, i32), i64>,
    settings: std::collections::HashMap<String, String>,
    deliveries: Vec<deliveries::DeliveryRow>,
    password_hashes: std::collections::HashMap<UserId, String>,
    attachments: Vec<Attachment>,
    assets: assets::AssetTables,
    incidents: Vec<incidents::IncidentRow>,
}

impl State {
    fn push_outbox(&mut self, event: &EventEnvelope) {
        self.outbox.push(OutboxRow {
            record: OutboxRecord {
                id: self.outbox.len() as i64 + 1,
                event_id: event.event_id,
                event_type: event.event_type.as_str().to_owned(),
                ticket_number: event.subject_key().to_owned(),
                payload: event.to_json(),
                attempts: 0,
            },
            claimed_until: None,
            sent_at: None,
            last_error: None,
        });
    }
}

/// Everything in one mutex: every operation is trivially atomic.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}

#[async_trait]
impl StoreHealth for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self.with(|s| s.users.iter().find(|u| u.username == username).cloned()))
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        Ok(self.with(|s| {
            s.users
                .iter()
                .filter(|u| ids.contains(&u.id))
                .cloned()
                .collect()
        }))
    }

    async fn active_users_with_roles(
        &self,
        roles: &[crate::Role],
    ) -> Result<Vec<User>, StoreError> {
        Ok(self.with(|s| {
            s.users
                .iter()
                .filter(|u| u.active && roles.contains(&u.role))
                .cloned()
                .collect()
        }))
    }

    async fn upsert_user(&self, user: &NewUser) -> Result<User, StoreError> {
        Ok(self.with(|s| {
            let next_id = UserId(s.users.len() as i64 + 1);
            let existing = s.users.iter_mut().find(|u| u.username == user.username);
            let stored = User {
                id: existing.as_ref().map_or(next_id, |u| u.id),
                username: user.username.clone(),
                employee_id: user.employee_id.clone(),
                display_name: user.display_name.clone(),
                email: user.email.clone(),
                phone: user.phone.clone(),
                role: user.role,
                active: existing.as_ref().is_none_or(|u| u.active),
                token_generation: existing.as_ref().map_or(0, |u| u.token_generation),
                has_password: existing.as_ref().is_some_and(|u| u.has_password),
                must_change_password: existing.as_ref().is_some_and(|u| u.must_change_password),
            };
            match existing {
                Some(slot) => *slot = stored.clone(),
                None => s.users.push(stored.clone()),
            }
            stored
        }))
    }

    async fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
        self.with(|s| {
            if s.users.iter().any(|u| u.username == user.username) {
                return Err(StoreError::Conflict(format!(
                    "username {} is taken",
                    user.username
                )));
            }
            let stored = User {
                id: UserId(s.users.len() as i64 + 1),
                username: user.username.clone(),
                employee_id: user.employee_id.clone(),
                display_name: user.display_name.clone(),
                email: user.email.clone(),
                phone: user.phone.clone(),
                role: user.role,
                active: true,
                token_generation: 0,
                has_password: false,
                must_change_password: false,
            };
            s.users.push(stored.clone());
            Ok(stored)
        })
    }

    async fn update_user(&self, id: UserId, patch: UserPatch) -> Result<Option<User>, StoreError> {
        Ok(self.with(|s| {
            let user = s.users.iter_mut().find(|u| u.id == id)?;
            if let Some(role) = patch.role {
                user.role = role;
            }
            if let Some(active) = patch.active {
                user.active = active;
            }
            if patch.revoke_tokens {
                user.token_generation += 1;
            }
            Some(user.clone())
        }))
    }

    async fn update_profile(
        &self,
        id: UserId,
        display_name: &str,
        email: Option<&crate::Email>,
    ) -> Result<(), StoreError> {
        self.with(|s| {
            if let Some(user) = s.users.iter_mut().find(|u| u.id == id) {
                user.display_name = display_name.to_owned();
                user.email = email.cloned();
            }
        });
        Ok(())
    }

    async fn password_hash(&self, id: UserId) -> Result<Option<String>, StoreError> {
        Ok(self.with(|s| s.password_hashes.get(&id).cloned()))
    }

    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        must_change: bool,
    ) -> Result<Option<User>, StoreError> {
        Ok(self.with(|s| {
            let user = s.users.iter_mut().find(|u| u.id == id)?;
            user.has_password = true;
            user.must_change_password = must_change;
            user.token_generation += 1;
            let user = user.clone();
            s.password_hashes.insert(id, hash.to_owned());
            Some(user)
        }))
    }

    async fn list_users(&self, q: &UserQuery) -> Result<Vec<User>, StoreError> {
        Ok(self.with(|s| {
            s.users
                .iter()
                .filter(|u| q.after.is_none_or(|after| u.id > after))
                .filter(|u| q.matches(u))
                .take(usize::try_from(q.limit).unwrap_or(usize::MAX))
                .cloned()
                .collect()
        }))
    }
}

#[async_trait]
impl CatalogStore for MemoryStore {
    async fn list_software(&self, include_retired: bool) -> Result<Vec<Software>, StoreError> {
        let mut all: Vec<Software> = self.with(|s| {
            s.software
                .iter()
                .filter(|x| include_retired || !x.retired)
                .cloned()
                .collect()
        });
        all.sort_by(|a, b| (&a.name, &a.version, a.id).cmp(&(&b.name, &b.version, b.id)));
        Ok(all)
    }

    async fn get_software(&self, id: SoftwareId) -> Result<Option<Software>, StoreError> {
        Ok(self.with(|s| s.software.iter().find(|x| x.id == id).cloned()))
    }

    async fn upsert_software(&self, name: &str, version: &str) -> Result<Software, StoreError> {
        Ok(self.with(|s| {
            if let Some(found) = s
                .software
                .iter()
                .find(|x| x.name == name && x.version == version)
            {
                return found.clone();
            }
            let software = Software {
                id: SoftwareId(s.software.len() as i64 + 1),
                name: name.to_owned(),
                version: version.to_owned(),
                retired: false,
            };
            s.software.push(software.clone());
            software
        }))
    }

    async fn add_software(&self, name: &str, version: &str) -> Result<Software, StoreError> {
        self.with(|s| {
            if s.software
                .iter()
                .any(|x| x.name == name && x.version == version)
            {
                return Err(StoreError::Conflict(format!(
                    "{name} {version} is already in the catalog"
                )));
            }
            let software = Software {
                id: SoftwareId(s.software.len() as i64 + 1),
                name: name.to_owned(),
                version: version.to_owned(),
                retired: false,
            };
            s.software.push(software.clone());
            Ok(software)
        })
    }

    async fn update_software(
        &self,
        id: SoftwareId,
        name: &str,
        version: &str,
    ) -> Result<Option<Software>, StoreError> {
        self.with(|s| {
            if s.software
                .iter()
                .any(|x| x.id != id && x.name == name && x.version == version)
            {
                return Err(StoreError::Conflict(format!(
                    "{name} {version} is already in the catalog"
                )));
            }
            Ok(s.software.iter_mut().find(|x| x.id == id).map(|x| {
                x.name = name.to_owned();
                x.version = version.to_owned();
                x.clone()
            }))
        })
    }

    async fn set_software_retired(
        &self,
        id: SoftwareId,
        retired: bool,
        _now: DateTime<Utc>,
    ) -> Result<Option<Software>, StoreError> {
        Ok(self.with(|s| {
            s.software.iter_mut().find(|x| x.id == id).map(|x| {
                x.retired = retired;
                x.clone()
            })
        }))
    }
}

#[async_trait]
impl TicketStore for MemoryStore {
    async fn create_ticket(
        &self,
        format: &TicketNumberFormat,
        new: NewTicket,
    ) -> Result<(Ticket, EventEnvelope), StoreError> {
        self.with(|s| {
            // Mirror the SQL stores' foreign keys so all stores conform.
            if !s.users.iter().any(|u| u.id == new.requester.id) {
                return Err(StoreError::Internal("requester does not exist".to_owned()));
            }
            s.check_attachments(&new.attachments, new.requester.id)?;
            s.assets.check_exist(&new.assets)?;
            if let Some(software) = &new.software
                && !s.software.iter().any(|x| x.id == software.id)
            {
                return Err(StoreError::Internal("software does not exist".to_owned()));
            }
            let year = new.now.year();
            let counter = s
                .counters
                .entry((format.scope(), format.counter_year(year)))
                .or_insert(0);
            *counter += 1;
            let number = format.render(year, *counter);
            let id = TicketId(s.tickets.len() as i64 + 1);
            let (ticket, event) = new_ticket_parts(id, number, &new);
            s.history.push(HistoryEntry {
                id: s.history.len() as i64 + 1,
                ticket: id,
                status: ticket.status,
                notes: Some(CREATED_NOTE.to_owned()),
                actor: Some(new.requester.id),
                at: new.now,
            });
            s.push_outbox(&event);
            s.tickets.push(ticket.clone());
            s.link_attachments(&new.attachments, id, None, false);
            s.assets
                .link(&ticket, &new.assets, Some(new.requester.id), new.now)?;
            Ok((ticket, event))
        })
    }

    async fn update_ticket(
        &self,
        change: super::TicketChange,
    ) -> Result<(Ticket, EventEnvelope), StoreError> {
        self.with(|s| {
            let Some(stored) = s.tickets.iter_mut().find(|t| t.id == change.ticket.id) else {
                return Err(StoreError::Internal("no such ticket".to_owned()));
            };
            if stored.version != change.ticket.version {
                return Err(StoreError::Conflict(super::STALE_VERSION.to_owned()));
            }
            let (ticket, event) = change.apply();
            *stored = ticket.clone();
            s.history.push(HistoryEntry {
                id: s.history.len() as i64 + 1,
                ticket: ticket.id,
                status: ticket.status,
                notes: change.note.clone(),
                actor: Some(change.actor.id),
                at: change.now,
            });
            s.push_outbox(&event);
            Ok((ticket, event))
        })
    }

    async fn add_comment(
        &self,
        new: NewComment,
    ) -> Result<(Comment, Ticket, EventEnvelope), StoreError> {
        self.with(|s| {
            let Some(index) = s.tickets.iter().position(|t| t.id == new.ticket.id) else {
                return Err(StoreError::Internal("no such ticket".to_owned()));
            };
            s.check_attachments(&new.attachments, new.author.id)?;
            let id = CommentId(s.comments.len() as i64 + 1);
            let (comment, ticket, event) = new.parts(id, s.tickets[index].clone());
            s.tickets[index] = ticket.clone();
            s.comments.push(comment.clone());
            s.link_attachments(&new.attachments, ticket.id, Some(id), new.internal);
            s.push_outbox(&event);
            Ok((comment, ticket, event))
        })
    }

    async fn ticket_comments(
        &self,
        ticket: TicketId,
        include_internal: bool,
    ) -> Result<Vec<Comment>, StoreError> {
        Ok(self.with(|s| {
            s.comments
                .iter()
                .filter(|c| c.ticket == ticket && (include_internal || !c.internal))
                .cloned()
                .collect()
        }))
    }

    async fn get_ticket(&self, number: &str) -> Result<Option<Ticket>, StoreError> {
        Ok(self.with(|s| s.tickets.iter().find(|t| t.number == number).cloned()))
    }

    async fn list_tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>, StoreError> {
        Ok(self.with(|s| {
            let mut found: Vec<Ticket> = s
                .tickets
                .iter()
                .filter(|t| q.matches(t))
                .filter(|t| q.sort != TicketSort::Newest || q.before.is_none_or(|b| t.id < b))
                .cloned()
                .collect();
            // Missing due times sort last, as `NULLS LAST` in SQL.
            let due_key = |due: Option<DateTime<Utc>>| (due.is_none(), due);
            match q.sort {
                TicketSort::Newest => found.sort_by_key(|t| std::cmp::Reverse(t.id)),
                TicketSort::Oldest => found.sort_by_key(|t| t.id),
                TicketSort::ResolutionDue => {
                    found.sort_by_key(|t| (due_key(t.resolution_due_at), t.id))
                }
                TicketSort::FirstResponseDue => {
                    found.sort_by_key(|t| (due_key(t.first_response_due_at), t.id))
                }
            }
            let skip = if q.sort == TicketSort::Newest {
                0
            } else {
                usize::try_from(q.offset).unwrap_or(usize::MAX)
            };
            found
                .into_iter()
                .skip(skip)
                .take(usize::try_from(q.limit).unwrap_or(usize::MAX))
                .collect()
        }))
    }

    async fn ticket_history(&self, ticket: TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        Ok(self.with(|s| {
            s.history
                .iter()
                .filter(|h| h.ticket == ticket)
                .cloned()
                .collect()
        }))
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn claim_outbox(
        &self,
        limit: u64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        Ok(self.with(|s| {
            s.outbox
                .iter_mut()
                .filter(|row| {
                    row.sent_at.is_none() && row.claimed_until.is_none_or(|until| until < now)
                })
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|row| {
                    row.claimed_until = Some(now + lease);
                    row.record.attempts += 1;
                    row.record.clone()
                })
                .collect()
        }))
    }

    async fn mark_outbox_sent(&self, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
        self.with(|s| {
            for row in s.outbox.iter_mut().filter(|r| ids.contains(&r.record.id)) {
                row.sent_at = Some(now);
            }
        });
        Ok(())
    }

    async fn release_outbox(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.with(|s| {
            if let Some(row) = s.outbox.iter_mut().find(|r| r.record.id == id) {
                row.claimed_until = None;
                row.last_error = Some(error.to_owned());
            }
        });
        Ok(())
    }

    async fn count_unsent_outbox(&self) -> Result<u64, StoreError> {
        Ok(self.with(|s| s.outbox.iter().filter(|r| r.sent_at.is_none()).count() as u64))
    }
}

#[async_trait]
impl SettingsStore for MemoryStore {
    async fn setting_or_insert(&self, key: &str, default: &str) -> Result<String, StoreError> {
        Ok(self.with(|s| {
            s.settings
                .entry(key.to_owned())
                .or_insert_with(|| default.to_owned())
                .clone()
        }))
    }
}
