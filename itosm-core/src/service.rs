//! The services every surface calls. Each method authenticates nothing
//! itself: it takes the caller as an [`Actor`] (from [`Itosm::authenticate`])
//! and asks [`policy::authorize`] before touching anything.

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
use crate::store::{NewTicket, Store, TicketQuery};
use crate::token::{TokenError, TokenSigner};
use crate::{
    CoreError, HistoryEntry, Priority, RequestType, Software, SoftwareId, SoftwareRule, Ticket,
    TicketId, TicketStatus, User, UserId, validate_employee_id, validate_username,
};

/// Longest ticket number accepted as input.
pub const MAX_NUMBER_CHARS: usize = 64;
/// Longest page cursor accepted as input.
const MAX_CURSOR_CHARS: usize = 64;

/// What the services need to know; built by the daemon from its config.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// HMAC secret for tokens (at least 32 bytes).
    pub token_secret: Vec<u8>,
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
}

impl ServiceConfig {
    /// The defaults, with the given token secret.
    pub fn with_secret(token_secret: Vec<u8>) -> Self {
        ServiceConfig {
            token_secret,
            token_ttl: Duration::hours(12),
            number_format: TicketNumberFormat::default(),
            max_description_chars: 4000,
            max_page_size: 100,
            default_page_size: 20,
        }
    }
}

/// A successful login.
#[derive(Debug, Clone)]
pub struct AuthSession {
    /// The bearer token.
    pub token: String,
    /// When the token stops working.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub user: User,
}

/// A new ticket as a caller asks for it; the requester is always the caller.
#[derive(Debug, Clone)]
pub struct CreateTicketInput {
    /// What kind of request.
    pub request_type: RequestType,
    /// The software title, for software requests.
    pub software_id: Option<SoftwareId>,
    /// What the requester needs, in his words.
    pub description: String,
}

/// Filters for [`Itosm::list_tickets`].
#[derive(Debug, Clone, Default)]
pub struct TicketFilterInput {
    /// Only this status.
    pub status: Option<TicketStatus>,
    /// Only this request type.
    pub request_type: Option<RequestType>,
    /// Only this exact number.
    pub number: Option<String>,
    /// Only the caller's own tickets (always so for requesters).
    pub mine: bool,
}

/// A ticket with its people and software resolved, as surfaces show it.
#[derive(Debug, Clone)]
pub struct TicketView {
    /// The ticket.
    pub ticket: Ticket,
    /// Who asked.
    pub requester: User,
    /// The software title.
    pub software: Option<Software>,
    /// Who works it.
    pub assignee: Option<User>,
}

/// One page of tickets, newest first.
#[derive(Debug, Clone)]
pub struct TicketPage {
    /// The tickets, each with the cursor that pages past it.
    pub items: Vec<(String, TicketView)>,
    /// Whether more tickets follow.
    pub has_next_page: bool,
}

impl TicketPage {
    /// The cursor of the last ticket on the page.
    pub fn end_cursor(&self) -> Option<&str> {
        self.items.last().map(|(cursor, _)| cursor.as_str())
    }
}

/// itosm's services over one store.
pub struct Itosm {
    store: Arc<dyn Store>,
    signer: TokenSigner,
    config: ServiceConfig,
    clock: Arc<dyn Clock>,
    outbox_wakeup: Arc<Notify>,
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
        let signer = TokenSigner::new(config.token_secret.clone(), config.token_ttl)
            .map_err(|e| CoreError::bad_input("auth.token_secret", e.to_string()))?;
        Ok(Itosm {
            store,
            signer,
            config,
            clock: Arc::new(SystemClock),
            outbox_wakeup: Arc::new(Notify::new()),
        })
    }

    /// Replaces the clock (tests, simulations).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
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

    /// Checks `username` + `employee_id` and issues a token.
    pub async fn login(&self, username: &str, employee_id: &str) -> Result<AuthSession, CoreError> {
        validate_username(username)?;
        validate_employee_id(employee_id)?;
        let refused = || CoreError::Unauthenticated("unknown username or employee ID".to_owned());
        let user = self
            .store
            .find_user_by_username(username)
            .await?
            .ok_or_else(refused)?;
        if !constant_time_eq(user.employee_id.as_bytes(), employee_id.as_bytes()) || !user.active {
            return Err(refused());
        }
        let (token, expires_at) = self.signer.issue(user.id, user.role, self.clock.now());
        tracing::info!(username = %user.username, "login");
        Ok(AuthSession {
            token,
            expires_at,
            user,
        })
    }

    /// Turns a bearer token into the caller, loaded fresh from the store so
    /// that deactivation and role changes take effect at once.
    pub async fn authenticate(&self, token: &str) -> Result<Actor, CoreError> {
        let claims = self
            .signer
            .verify(token, self.clock.now())
            .map_err(|e| match e {
                TokenError::Expired => {
                    CoreError::Unauthenticated("token expired: log in again".to_owned())
                }
                TokenError::Invalid => CoreError::Unauthenticated("invalid token".to_owned()),
            })?;
        let user = self
            .store
            .users_by_ids(&[claims.user_id()])
            .await?
            .into_iter()
            .next()
            .filter(|u| u.active)
            .ok_or_else(|| {
                CoreError::Unauthenticated(
                    "this account no longer exists or is deactivated".to_owned(),
                )
            })?;
        Ok(Actor { user })
    }

    /// The software catalog.
    pub async fn software_catalog(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<Software>, CoreError> {
        policy::authorize(actor, Action::ViewCatalog)?;
        Ok(self.store.list_software().await?)
    }

    /// Opens a ticket for the caller.
    pub async fn create_ticket(
        &self,
        actor: Option<&Actor>,
        input: CreateTicketInput,
    ) -> Result<TicketView, CoreError> {
        policy::authorize(actor, Action::CreateTicket)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        self.validate_description(&input.description)?;
        let software = match (input.request_type.software_rule(), input.software_id) {
            (SoftwareRule::Required, None) => {
                return Err(CoreError::bad_input(
                    "softwareId",
                    "a software install needs a software title from the catalog",
                ));
            }
            (SoftwareRule::Refused, Some(_)) => {
                return Err(CoreError::bad_input(
                    "softwareId",
                    format!("a {} request takes no software title", input.request_type),
                ));
            }
            (_, None) => None,
            (_, Some(id)) => Some(self.store.get_software(id).await?.ok_or_else(|| {
                CoreError::bad_input("softwareId", format!("no software with id {}", id.0))
            })?),
        };
        let new = NewTicket {
            requester: actor.user.clone(),
            request_type: input.request_type,
            software: software.clone(),
            description: input.description,
            priority: Priority::Medium,
            now: self.clock.now(),
            event_id: Uuid::now_v7(),
        };
        let (ticket, event) = self
            .store
            .create_ticket(&self.config.number_format, new)
            .await?;
        self.outbox_wakeup.notify_one();
        tracing::info!(
            ticket = %ticket.number,
            event_id = %event.event_id,
            requester = %actor.user.username,
            request_type = %ticket.request_type,
            "ticket created"
        );
        Ok(TicketView {
            ticket,
            requester: actor.user.clone(),
            software,
            assignee: None,
        })
    }

    fn validate_description(&self, description: &str) -> Result<(), CoreError> {
        if description.trim().is_empty() {
            return Err(CoreError::bad_input("description", "must not be empty"));
        }
        let chars = description.chars().count();
        if chars > self.config.max_description_chars {
            return Err(CoreError::bad_input(
                "description",
                format!(
                    "is {chars} characters; at most {} are allowed",
                    self.config.max_description_chars
                ),
            ));
        }
        if description
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(CoreError::bad_input(
                "description",
                "must not contain control characters",
            ));
        }
        Ok(())
    }

    /// One ticket by number. A ticket the caller may not see is reported
    /// exactly like one that does not exist.
    pub async fn get_ticket(
        &self,
        actor: Option<&Actor>,
        number: &str,
    ) -> Result<TicketView, CoreError> {
        // Authenticate before looking anything up.
        policy::authorize(actor, Action::ViewCatalog)?;
        if number.is_empty() || number.chars().count() > MAX_NUMBER_CHARS {
            return Err(policy::ticket_not_found(
                number.get(..MAX_NUMBER_CHARS).unwrap_or(""),
            ));
        }
        let ticket = self
            .store
            .get_ticket(number)
            .await?
            .ok_or_else(|| policy::ticket_not_found(number))?;
        policy::authorize(actor, Action::ViewTicket(&ticket))?;
        let mut views = self.views(vec![ticket]).await?;
        views
            .pop()
            .ok_or_else(|| CoreError::Internal("ticket vanished while loading".to_owned()))
    }

    /// Lists tickets newest first: a requester's own, or (for staff) all.
    pub async fn list_tickets(
        &self,
        actor: Option<&Actor>,
        filter: TicketFilterInput,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Result<TicketPage, CoreError> {
        policy::authorize(actor, Action::ViewCatalog)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        let max = i64::from(self.config.max_page_size);
        let first = first.unwrap_or(i64::from(self.config.default_page_size));
        if !(1..=max).contains(&first) {
            return Err(CoreError::bad_input(
                "first",
                format!("must be between 1 and {max}"),
            ));
        }
        let before = after.map(decode_cursor).transpose()?;
        if let Some(number) = &filter.number
            && number.chars().count() > MAX_NUMBER_CHARS
        {
            return Err(CoreError::bad_input(
                "filter.number",
                format!("at most {MAX_NUMBER_CHARS} characters"),
            ));
        }
        let sees_all = policy::authorize(Some(actor), Action::ListAllTickets).is_ok();
        let requester = (filter.mine || !sees_all).then_some(actor.user.id);
        let query = TicketQuery {
            requester,
            status: filter.status,
            request_type: filter.request_type,
            number: filter.number.filter(|n| !n.is_empty()),
            before,
            // One more than asked, to learn whether another page follows.
            limit: first.unsigned_abs() + 1,
        };
        let mut tickets = self.store.list_tickets(&query).await?;
        let has_next_page = tickets.len() as u64 > first.unsigned_abs();
        tickets.truncate(usize::try_from(first).unwrap_or(0));
        let items = self
            .views(tickets)
            .await?
            .into_iter()
            .map(|view| (encode_cursor(view.ticket.id), view))
            .collect();
        Ok(TicketPage {
            items,
            has_next_page,
        })
    }

    /// A ticket's history, oldest first, with each actor resolved.
    pub async fn ticket_history(
        &self,
        actor: Option<&Actor>,
        ticket: &Ticket,
    ) -> Result<Vec<(HistoryEntry, Option<User>)>, CoreError> {
        policy::authorize(actor, Action::ViewTicket(ticket))?;
        let entries = self.store.ticket_history(ticket.id).await?;
        let ids: Vec<UserId> = entries.iter().filter_map(|e| e.actor).collect();
        let users = self.users_map(&ids).await?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let who = e.actor.and_then(|id| users.get(&id).cloned());
                (e, who)
            })
            .collect())
    }

    /// The notifications sent for a ticket (admins only), oldest first.
    pub async fn ticket_notifications(
        &self,
        actor: Option<&Actor>,
        ticket: &Ticket,
    ) -> Result<Vec<crate::store::DeliveryRecord>, CoreError> {
        policy::authorize(actor, Action::ViewTicket(ticket))?;
        policy::authorize(actor, Action::ViewDeliveries)?;
        Ok(self.store.deliveries_for_ticket(&ticket.number).await?)
    }

    /// Moves a ticket to `status` if the caller may, the move is legal and
    /// `version` is still current; writes history and a
    /// `ticket.status_changed` event with it.
    pub async fn change_status(
        &self,
        actor: Option<&Actor>,
        number: &str,
        status: TicketStatus,
        note: Option<String>,
        version: i32,
    ) -> Result<TicketView, CoreError> {
        let view = self.get_ticket(actor, number).await?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        policy::authorize(Some(actor), Action::ChangeStatus(&view.ticket, status))?;
        let current = view.ticket.status;
        if !current.can_move_to(status) {
            let allowed: Vec<&str> = current.allowed_next().iter().map(|s| s.as_str()).collect();
            return Err(CoreError::bad_input(
                "status",
                if allowed.is_empty() {
                    format!("a {current} ticket cannot change status")
                } else {
                    format!(
                        "cannot go from {current} to {status}; allowed: {}",
                        allowed.join(", ")
                    )
                },
            ));
        }
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if let Some(note) = &note {
            if note.chars().count() > self.config.max_description_chars {
                return Err(CoreError::bad_input(
                    "note",
                    format!("at most {} characters", self.config.max_description_chars),
                ));
            }
            if note
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
            {
                return Err(CoreError::bad_input(
                    "note",
                    "must not contain control characters",
                ));
            }
        }
        if version != view.ticket.version {
            return Err(CoreError::Conflict(crate::store::STALE_VERSION.to_owned()));
        }
        let change = crate::store::TicketChange {
            ticket: view.ticket.clone(),
            update: crate::store::TicketUpdate::Status(status),
            note,
            actor: actor.user.clone(),
            requester: view.requester.clone(),
            software: view.software.clone(),
            assignee: view.assignee.clone(),
            now: self.clock.now(),
            event_id: Uuid::now_v7(),
        };
        let (ticket, event) = self.store.update_ticket(change).await?;
        self.outbox_wakeup.notify_one();
        tracing::info!(ticket = %ticket.number, event_id = %event.event_id, from = %current, to = %status, actor = %actor.user.username, "status changed");
        Ok(TicketView { ticket, ..view })
    }

    /// Agents and admins a ticket can be assigned to (staff only).
    pub async fn assignable_agents(&self, actor: Option<&Actor>) -> Result<Vec<User>, CoreError> {
        policy::authorize(actor, Action::Assign)?;
        Ok(self
            .store
            .active_users_with_roles(&[crate::Role::Agent, crate::Role::Admin])
            .await?)
    }

    /// Assigns a ticket to an agent or admin, or unassigns it (`None`), if
    /// `version` is still current; writes history and a `ticket.assigned`
    /// event with it.
    pub async fn assign_ticket(
        &self,
        actor: Option<&Actor>,
        number: &str,
        assignee: Option<UserId>,
        version: i32,
    ) -> Result<TicketView, CoreError> {
        let view = self.get_ticket(actor, number).await?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        policy::authorize(Some(actor), Action::Assign)?;
        let new_assignee = match assignee {
            None => None,
            Some(id) => {
                let user = self.store.users_by_ids(&[id]).await?.into_iter().next();
                match user {
                    Some(user) if user.active && user.role.is_staff() => Some(user),
                    _ => {
                        return Err(CoreError::bad_input(
                            "assigneeId",
                            "tickets can only be assigned to an active agent or admin",
                        ));
                    }
                }
            }
        };
        if version != view.ticket.version {
            return Err(CoreError::Conflict(crate::store::STALE_VERSION.to_owned()));
        }
        let note = match &new_assignee {
            Some(user) => format!("Assigned to {}", user.username),
            None => "Unassigned".to_owned(),
        };
        let change = crate::store::TicketChange {
            ticket: view.ticket.clone(),
            update: crate::store::TicketUpdate::Assignee(new_assignee.clone()),
            note: Some(note),
            actor: actor.user.clone(),
            requester: view.requester.clone(),
            software: view.software.clone(),
            assignee: view.assignee.clone(),
            now: self.clock.now(),
            event_id: Uuid::now_v7(),
        };
        let (ticket, event) = self.store.update_ticket(change).await?;
        self.outbox_wakeup.notify_one();
        tracing::info!(ticket = %ticket.number, event_id = %event.event_id, assignee = ?new_assignee.as_ref().map(|u| &u.username), actor = %actor.user.username, "ticket assigned");
        Ok(TicketView {
            ticket,
            assignee: new_assignee,
            ..view
        })
    }

    /// Checks that the caller may follow every ticket live (the admin feed).
    pub fn authorize_feed(&self, actor: Option<&Actor>) -> Result<(), CoreError> {
        policy::authorize(actor, Action::SubscribeAllTickets)
    }

    /// The ticket an event is about, as `actor` may see it now; `None` when
    /// the policy says he may not (so a feed skips it silently).
    pub async fn ticket_for_event(
        &self,
        actor: Option<&Actor>,
        event: &EventEnvelope,
    ) -> Result<Option<TicketView>, CoreError> {
        match self.get_ticket(actor, &event.ticket.number).await {
            Ok(view) => Ok(Some(view)),
            Err(CoreError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    async fn users_map(&self, ids: &[UserId]) -> Result<HashMap<UserId, User>, CoreError> {
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

    async fn views(&self, tickets: Vec<Ticket>) -> Result<Vec<TicketView>, CoreError> {
        let ids: Vec<UserId> = tickets
            .iter()
            .flat_map(|t| std::iter::once(t.requester).chain(t.assignee))
            .collect();
        let users = self.users_map(&ids).await?;
        let catalog: HashMap<SoftwareId, Software> = if tickets.iter().any(|t| t.software.is_some())
        {
            self.store
                .list_software()
                .await?
                .into_iter()
                .map(|s| (s.id, s))
                .collect()
        } else {
            HashMap::new()
        };
        tickets
            .into_iter()
            .map(|ticket| {
                let requester = users.get(&ticket.requester).cloned().ok_or_else(|| {
                    CoreError::Internal(format!("ticket {} has no requester row", ticket.number))
                })?;
                Ok(TicketView {
                    software: ticket.software.and_then(|id| catalog.get(&id).cloned()),
                    assignee: ticket.assignee.and_then(|id| users.get(&id).cloned()),
                    requester,
                    ticket,
                })
            })
            .collect()
    }
}

fn encode_cursor(id: TicketId) -> String {
    URL_SAFE_NO_PAD.encode(format!("t:{}", id.0))
}

fn decode_cursor(cursor: &str) -> Result<TicketId, CoreError> {
    let malformed = || CoreError::bad_input("after", "malformed cursor; use a pageInfo.endCursor");
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(malformed());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| malformed())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed())?;
    let id: i64 = text
        .strip_prefix("t:")
        .and_then(|n| n.parse().ok())
        .ok_or_else(malformed)?;
    if id <= 0 {
        return Err(malformed());
    }
    Ok(TicketId(id))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        assert_eq!(
            decode_cursor(&encode_cursor(TicketId(42))).ok(),
            Some(TicketId(42))
        );
        for junk in ["", "x", "dDo=", "dDotMQ", "dDphYmM", &"A".repeat(100)] {
            let error = decode_cursor(junk).expect_err(junk);
            assert_eq!(error.code().as_str(), "BAD_USER_INPUT");
        }
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"EMP123", b"EMP123"));
        assert!(!constant_time_eq(b"EMP123", b"EMP124"));
        assert!(!constant_time_eq(b"EMP123", b"EMP12"));
    }
}
