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

/// Longest ticket number accepted as input.
pub const MAX_NUMBER_CHARS: usize = 64;
/// Longest search text accepted as input.
pub const MAX_SEARCH_CHARS: usize = 100;
/// Longest page cursor accepted as input.
const MAX_CURSOR_CHARS: usize = 64;
/// Deepest offset a sorted ticket list pages to.
const MAX_OFFSET: u64 = 100_000;

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
    /// Longest accepted comment or status note, in characters.
    pub max_comment_chars: usize,
    /// Priority of a new ticket.
    pub default_priority: Priority,
    /// First-response and resolution targets per priority.
    pub sla: SlaPolicy,
    /// Login attempts allowed per username and per address.
    pub login_throttle: ThrottleConfig,
    /// New tickets one user may open per minute (0: no limit).
    pub max_tickets_per_minute: u32,
    /// Comments one user may write per minute (0: no limit).
    pub max_comments_per_minute: u32,
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
            max_comment_chars: 4000,
            default_priority: Priority::Medium,
            sla: SlaPolicy::default(),
            login_throttle: ThrottleConfig::default(),
            max_tickets_per_minute: 10,
            max_comments_per_minute: 30,
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
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only tickets assigned to the caller, or to nobody.
    pub assignee: Option<AssigneeFilter>,
    /// Only SLA-breached (`true`) or not breached (`false`) tickets.
    pub breached: Option<bool>,
    /// Only tickets whose number or description contains this plain text.
    pub search: Option<String>,
}

/// "Assigned to me" or "unassigned".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Assigned to the caller.
    Me,
    /// Assigned to nobody.
    Unassigned,
}

/// Filters for [`Itosm::list_users`].
#[derive(Debug, Clone, Default)]
pub struct UserFilterInput {
    /// Only this role.
    pub role: Option<Role>,
    /// Only active or only deactivated users.
    pub active: Option<bool>,
    /// Only users whose username, name or email contains this text.
    pub search: Option<String>,
}

/// A comment with its author resolved.
#[derive(Debug, Clone)]
pub struct CommentView {
    /// The comment.
    pub comment: Comment,
    /// Who wrote it (absent only if the user row is gone).
    pub author: Option<User>,
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

/// One page of a list, with the cursor of each item.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, each with the cursor that pages past it.
    pub items: Vec<(String, T)>,
    /// Whether more items follow.
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// The cursor of the last item on the page.
    pub fn end_cursor(&self) -> Option<&str> {
        self.items.last().map(|(cursor, _)| cursor.as_str())
    }
}

/// One page of tickets, in the order asked for.
pub type TicketPage = Page<TicketView>;

/// One page of users, by id.
pub type UserPage = Page<User>;

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
            throttle: LoginThrottle::new(config.login_throttle),
            ticket_limiter: ActionLimiter::new(config.max_tickets_per_minute, Duration::minutes(1)),
            comment_limiter: ActionLimiter::new(
                config.max_comments_per_minute,
                Duration::minutes(1),
            ),
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
        self.login_from(username, employee_id, None).await
    }

    /// [`Itosm::login`] from a client `address` (an IP, as the surface sees
    /// it): attempts are throttled per username and per address, and the
    /// attempt is counted before the credentials are checked.
    pub async fn login_from(
        &self,
        username: &str,
        employee_id: &str,
        address: Option<&str>,
    ) -> Result<AuthSession, CoreError> {
        validate_username(username)?;
        validate_employee_id(employee_id)?;
        let attempted_at = self.clock.now();
        if let Err(refused) = self.throttle.try_acquire(username, address, attempted_at) {
            tracing::warn!(username, address, "login throttled");
            return Err(refused);
        }
        let refused = || CoreError::Unauthenticated("unknown username or employee ID".to_owned());
        let found = match self.store.find_user_by_username(username).await {
            Ok(found) => found,
            Err(error) => {
                // Not the caller's fault: the attempt was never checked.
                self.throttle.refund(username, address, attempted_at);
                return Err(error.into());
            }
        };
        let Some(user) = found.filter(|user| {
            constant_time_eq(user.employee_id.as_bytes(), employee_id.as_bytes()) && user.active
        }) else {
            // Never the employee ID: it is the credential.
            tracing::warn!(username, address, "login failed");
            return Err(refused());
        };
        self.throttle.succeeded(username, address);
        let (token, expires_at) =
            self.signer
                .issue(user.id, user.role, user.token_generation, self.clock.now());
        tracing::info!(username = %user.username, address, "login");
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
        if user.token_generation != claims.generation {
            return Err(CoreError::Unauthenticated(
                "this session has ended (logged out, or the account changed): log in again"
                    .to_owned(),
            ));
        }
        Ok(Actor { user })
    }

    /// Ends every session of the caller, on every device: each token issued
    /// so far stops working at once, this one included.
    pub async fn logout_everywhere(&self, actor: Option<&Actor>) -> Result<(), CoreError> {
        policy::authorize(actor, Action::EndOwnSessions)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        let patch = UserPatch {
            revoke_tokens: true,
            ..UserPatch::default()
        };
        self.store.update_user(actor.user.id, patch).await?;
        tracing::info!(username = %actor.user.username, "logged out everywhere");
        Ok(())
    }

    /// The user id a token names if its signature is ours and it has not
    /// expired, without asking the store: for per-caller budgets at the edge
    /// (never for authorization, which [`Itosm::authenticate`] does).
    pub fn token_subject(&self, token: &str) -> Option<UserId> {
        self.signer
            .verify(token, self.clock.now())
            .ok()
            .map(|claims| claims.user_id())
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
        let now = self.clock.now();
        self.ticket_limiter.try_acquire(actor.user.id.0, now)?;
        let created = self.store_new_ticket(actor, input, now).await;
        if created.is_err() {
            self.ticket_limiter.refund(actor.user.id.0, now);
        }
        created
    }

    async fn store_new_ticket(
        &self,
        actor: &Actor,
        input: CreateTicketInput,
        now: DateTime<Utc>,
    ) -> Result<TicketView, CoreError> {
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
        let priority = self.config.default_priority;
        let (first_response_due_at, resolution_due_at) = self.config.sla.due_times(priority, now);
        let new = NewTicket {
            requester: actor.user.clone(),
            request_type: input.request_type,
            software: software.clone(),
            description: input.description,
            priority,
            first_response_due_at,
            resolution_due_at,
            now,
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
        validate_text(
            "description",
            description,
            self.config.max_description_chars,
        )
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
        if number.is_empty()
            || number.chars().count() > MAX_NUMBER_CHARS
            || number.chars().any(char::is_control)
        {
            // No store sees it: PostgreSQL refuses a NUL byte in text.
            let shown: String = number
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_NUMBER_CHARS)
                .collect();
            return Err(policy::ticket_not_found(&shown));
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

    /// Lists tickets (newest first unless `sort` says otherwise): a
    /// requester's own, or (for staff) all.
    pub async fn list_tickets(
        &self,
        actor: Option<&Actor>,
        filter: TicketFilterInput,
        sort: TicketSort,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Result<TicketPage, CoreError> {
        policy::authorize(actor, Action::ViewCatalog)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        let first = self.page_size(first)?;
        let cursor = after.map(decode_cursor).transpose()?;
        let (before, offset) = match (sort, cursor) {
            (_, None) => (None, 0),
            (TicketSort::Newest, Some(Cursor::Before(id))) => (Some(id), 0),
            (TicketSort::Newest, Some(Cursor::Offset(_)))
            | (_, Some(Cursor::Before(_)))
            | (_, Some(Cursor::User(_))) => {
                return Err(CoreError::bad_input(
                    "after",
                    "this cursor belongs to a list in another order",
                ));
            }
            (_, Some(Cursor::Offset(offset))) => (None, offset),
        };
        if let Some(number) = &filter.number
            && (number.chars().count() > MAX_NUMBER_CHARS || number.chars().any(char::is_control))
        {
            return Err(CoreError::bad_input(
                "filter.number",
                format!("at most {MAX_NUMBER_CHARS} characters, without control characters"),
            ));
        }
        let search = validate_search("filter.search", filter.search)?;
        let sees_all = policy::authorize(Some(actor), Action::ListAllTickets).is_ok();
        let requester = (filter.mine || !sees_all).then_some(actor.user.id);
        let query = TicketQuery {
            requester,
            status: filter.status,
            request_type: filter.request_type,
            number: filter.number.filter(|n| !n.is_empty()),
            priority: filter.priority,
            assignee: filter.assignee.map(|a| match a {
                AssigneeFilter::Me => AssigneeQuery::Is(actor.user.id),
                AssigneeFilter::Unassigned => AssigneeQuery::Unassigned,
            }),
            breached: filter.breached,
            search,
            sort,
            before,
            offset,
            // One more than asked, to learn whether another page follows.
            limit: first + 1,
            now: Some(self.clock.now()),
        };
        let mut tickets = self.store.list_tickets(&query).await?;
        let has_next_page = tickets.len() as u64 > first;
        tickets.truncate(usize::try_from(first).unwrap_or(0));
        let items = self
            .views(tickets)
            .await?
            .into_iter()
            .enumerate()
            .map(|(index, view)| {
                let cursor = match sort {
                    TicketSort::Newest => encode_cursor(&Cursor::Before(view.ticket.id)),
                    _ => encode_cursor(&Cursor::Offset(offset + index as u64 + 1)),
                };
                (cursor, view)
            })
            .collect();
        Ok(TicketPage {
            items,
            has_next_page,
        })
    }

    fn page_size(&self, first: Option<i64>) -> Result<u64, CoreError> {
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
            validate_text("note", note, self.config.max_comment_chars)?;
        }
        let (ticket, event) = self
            .commit_change(&view, actor, version, TicketUpdate::Status(status), note)
            .await?;
        tracing::info!(ticket = %ticket.number, event_id = %event.event_id, from = %current, to = %status, actor = %actor.user.username, "status changed");
        Ok(TicketView { ticket, ..view })
    }

    /// Applies `update` to the ticket in `view` if `version` is still the
    /// current one (else `CONFLICT`, changing nothing): the store writes it
    /// with its history row and outbox event, and the relay is woken.
    async fn commit_change(
        &self,
        view: &TicketView,
        actor: &Actor,
        version: i32,
        update: TicketUpdate,
        note: Option<String>,
    ) -> Result<(Ticket, EventEnvelope), CoreError> {
        if version != view.ticket.version {
            return Err(CoreError::Conflict(crate::store::STALE_VERSION.to_owned()));
        }
        let change = TicketChange {
            ticket: view.ticket.clone(),
            update,
            note,
            actor: actor.user.clone(),
            requester: view.requester.clone(),
            software: view.software.clone(),
            assignee: view.assignee.clone(),
            now: self.clock.now(),
            event_id: Uuid::now_v7(),
        };
        let committed = self.store.update_ticket(change).await?;
        self.outbox_wakeup.notify_one();
        Ok(committed)
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
        let note = match &new_assignee {
            Some(user) => format!("Assigned to {}", user.username),
            None => "Unassigned".to_owned(),
        };
        let update = TicketUpdate::Assignee(new_assignee.clone());
        let (ticket, event) = self
            .commit_change(&view, actor, version, update, Some(note))
            .await?;
        tracing::info!(ticket = %ticket.number, event_id = %event.event_id, assignee = ?new_assignee.as_ref().map(|u| &u.username), actor = %actor.user.username, "ticket assigned");
        Ok(TicketView {
            ticket,
            assignee: new_assignee,
            ..view
        })
    }

    /// The status moves `actor` may make on `ticket` now.
    pub fn allowed_statuses(&self, actor: Option<&Actor>, ticket: &Ticket) -> Vec<TicketStatus> {
        ticket
            .status
            .allowed_next()
            .iter()
            .copied()
            .filter(|to| policy::authorize(actor, Action::ChangeStatus(ticket, *to)).is_ok())
            .collect()
    }

    /// Whether `actor` may assign tickets, change priorities and write
    /// internal notes (agents and admins).
    pub fn can_work_tickets(&self, actor: Option<&Actor>) -> bool {
        policy::authorize(actor, Action::Assign).is_ok()
    }

    /// Whether `actor` may see `user`'s email address and phone number.
    pub fn can_view_contact(&self, actor: Option<&Actor>, user: &User) -> bool {
        policy::authorize(actor, Action::ViewContact(user)).is_ok()
    }

    /// Changes a ticket's priority (staff) if `version` is still current;
    /// its SLA due times follow from the new priority and its creation time.
    pub async fn change_priority(
        &self,
        actor: Option<&Actor>,
        number: &str,
        priority: Priority,
        version: i32,
    ) -> Result<TicketView, CoreError> {
        let view = self.get_ticket(actor, number).await?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        policy::authorize(Some(actor), Action::ChangePriority)?;
        let from = view.ticket.priority;
        let (first_response_due_at, resolution_due_at) =
            self.config.sla.due_times(priority, view.ticket.created_at);
        let update = TicketUpdate::Priority {
            priority,
            first_response_due_at,
            resolution_due_at,
        };
        let note = format!("Priority {from} → {priority}");
        let (ticket, event) = self
            .commit_change(&view, actor, version, update, Some(note))
            .await?;
        tracing::info!(ticket = %ticket.number, event_id = %event.event_id, %from, to = %priority, actor = %actor.user.username, "priority changed");
        Ok(TicketView { ticket, ..view })
    }

    /// Adds a comment: a requester publicly on his own ticket; staff on any
    /// ticket, publicly or as an internal note. Closed and cancelled tickets
    /// take no more comments.
    pub async fn add_comment(
        &self,
        actor: Option<&Actor>,
        number: &str,
        body: &str,
        internal: bool,
    ) -> Result<CommentView, CoreError> {
        let view = self.get_ticket(actor, number).await?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        policy::authorize(
            Some(actor),
            Action::Comment {
                ticket: &view.ticket,
                internal,
            },
        )?;
        let body = body.trim();
        validate_text("body", body, self.config.max_comment_chars)?;
        if matches!(
            view.ticket.status,
            TicketStatus::Closed | TicketStatus::Cancelled
        ) {
            return Err(CoreError::bad_input(
                "number",
                format!(
                    "ticket {} is {} and takes no more comments",
                    view.ticket.number,
                    view.ticket.status.label().to_lowercase()
                ),
            ));
        }
        let now = self.clock.now();
        self.comment_limiter.try_acquire(actor.user.id.0, now)?;
        let new = NewComment {
            ticket: view.ticket.clone(),
            body: body.to_owned(),
            internal,
            author: actor.user.clone(),
            requester: view.requester.clone(),
            software: view.software.clone(),
            assignee: view.assignee.clone(),
            now,
            event_id: Uuid::now_v7(),
        };
        let (comment, ticket, event) = match self.store.add_comment(new).await {
            Ok(added) => added,
            Err(error) => {
                self.comment_limiter.refund(actor.user.id.0, now);
                return Err(error.into());
            }
        };
        self.outbox_wakeup.notify_one();
        tracing::info!(ticket = %ticket.number, event_id = %event.event_id, internal, actor = %actor.user.username, "comment added");
        Ok(CommentView {
            comment,
            author: Some(actor.user.clone()),
        })
    }

    /// A ticket's comments, oldest first: internal notes only for staff.
    pub async fn ticket_comments(
        &self,
        actor: Option<&Actor>,
        ticket: &Ticket,
    ) -> Result<Vec<CommentView>, CoreError> {
        policy::authorize(actor, Action::ViewTicket(ticket))?;
        let include_internal = policy::authorize(actor, Action::ViewInternalNotes).is_ok();
        let comments = self
            .store
            .ticket_comments(ticket.id, include_internal)
            .await?;
        let ids: Vec<UserId> = comments.iter().map(|c| c.author).collect();
        let users = self.users_map(&ids).await?;
        Ok(comments
            .into_iter()
            .map(|comment| CommentView {
                author: users.get(&comment.author).cloned(),
                comment,
            })
            .collect())
    }

    /// Lists users by id (admins).
    pub async fn list_users(
        &self,
        actor: Option<&Actor>,
        filter: UserFilterInput,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Result<UserPage, CoreError> {
        policy::authorize(actor, Action::ManageUsers)?;
        let first = self.page_size(first)?;
        let after = match after.map(decode_cursor).transpose()? {
            None => None,
            Some(Cursor::User(id)) => Some(id),
            Some(_) => {
                return Err(CoreError::bad_input(
                    "after",
                    "this cursor is not a user list's",
                ));
            }
        };
        let query = UserQuery {
            role: filter.role,
            active: filter.active,
            search: validate_search("filter.search", filter.search)?,
            after,
            limit: first + 1,
        };
        let mut users = self.store.list_users(&query).await?;
        let has_next_page = users.len() as u64 > first;
        users.truncate(usize::try_from(first).unwrap_or(0));
        Ok(UserPage {
            items: users
                .into_iter()
                .map(|u| (encode_cursor(&Cursor::User(u.id)), u))
                .collect(),
            has_next_page,
        })
    }

    /// One user by username (admins).
    pub async fn user_by_username(
        &self,
        actor: Option<&Actor>,
        username: &str,
    ) -> Result<User, CoreError> {
        policy::authorize(actor, Action::ManageUsers)?;
        validate_username(username)?;
        self.store
            .find_user_by_username(username)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("no user {username}")))
    }

    /// Creates a user (admins); the username must be free.
    pub async fn create_user(
        &self,
        actor: Option<&Actor>,
        user: NewUser,
    ) -> Result<User, CoreError> {
        policy::authorize(actor, Action::ManageUsers)?;
        let created = self.bootstrap_user(user).await?;
        tracing::info!(username = %created.username, role = %created.role, by = ?actor.map(|a| &a.user.username), "user created");
        Ok(created)
    }

    /// Creates a user without a caller: for the operator's CLI
    /// (`itosm user add`), which no network surface reaches.
    pub async fn bootstrap_user(&self, mut user: NewUser) -> Result<User, CoreError> {
        user.display_name = user.display_name.trim().to_owned();
        user.email = user
            .email
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty());
        user.phone = user
            .phone
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty());
        validate_new_user(&user)?;
        // Every store names the clash itself: "username … is taken".
        Ok(self.store.create_user(&user).await?)
    }

    /// Changes a user's role (admins; not their own).
    pub async fn change_user_role(
        &self,
        actor: Option<&Actor>,
        id: UserId,
        role: Role,
    ) -> Result<User, CoreError> {
        self.patch_user(
            actor,
            id,
            UserPatch {
                role: Some(role),
                active: None,
                // The old role's tokens must not outlive it.
                revoke_tokens: true,
            },
        )
        .await
    }

    /// Deactivates (`false`) or reactivates a user (admins; not themselves).
    /// A deactivated user cannot log in, and his tokens and live
    /// subscriptions stop working at once.
    pub async fn set_user_active(
        &self,
        actor: Option<&Actor>,
        id: UserId,
        active: bool,
    ) -> Result<User, CoreError> {
        self.patch_user(
            actor,
            id,
            UserPatch {
                role: None,
                active: Some(active),
                // Tokens from before a deactivation never work again, not
                // even after a reactivation.
                revoke_tokens: !active,
            },
        )
        .await
    }

    async fn patch_user(
        &self,
        actor: Option<&Actor>,
        id: UserId,
        patch: UserPatch,
    ) -> Result<User, CoreError> {
        policy::authorize(actor, Action::ManageUsers)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        if actor.user.id == id {
            // Keeps at least one admin: the one making the change.
            return Err(CoreError::bad_input(
                "id",
                "you cannot change your own role or deactivate yourself",
            ));
        }
        let user = self
            .store
            .update_user(id, patch)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("no user with id {}", id.0)))?;
        tracing::info!(username = %user.username, role = %user.role, active = user.active, by = %actor.user.username, "user changed");
        Ok(user)
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
        if event.is_internal() && policy::authorize(actor, Action::ViewInternalNotes).is_err() {
            return Ok(None);
        }
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

/// Where a page starts: past a ticket id (newest-first lists), past an
/// offset (lists in another order), or past a user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    Before(TicketId),
    Offset(u64),
    User(UserId),
}

fn encode_cursor(cursor: &Cursor) -> String {
    let text = match cursor {
        Cursor::Before(id) => format!("t:{}", id.0),
        Cursor::Offset(n) => format!("o:{n}"),
        Cursor::User(id) => format!("u:{}", id.0),
    };
    URL_SAFE_NO_PAD.encode(text)
}

fn decode_cursor(cursor: &str) -> Result<Cursor, CoreError> {
    let malformed = || CoreError::bad_input("after", "malformed cursor; use a pageInfo.endCursor");
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(malformed());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| malformed())?;
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed())?;
    let (kind, value) = text.split_once(':').ok_or_else(malformed)?;
    let value: i64 = value.parse().map_err(|_| malformed())?;
    match kind {
        "t" if value > 0 => Ok(Cursor::Before(TicketId(value))),
        "u" if value > 0 => Ok(Cursor::User(UserId(value))),
        "o" if value > 0 && value.unsigned_abs() <= MAX_OFFSET => {
            Ok(Cursor::Offset(value.unsigned_abs()))
        }
        _ => Err(malformed()),
    }
}

/// Checks free text: not blank, at most `max` characters, no control
/// characters but newlines and tabs.
fn validate_text(field: &'static str, value: &str, max: usize) -> Result<(), CoreError> {
    if value.trim().is_empty() {
        return Err(CoreError::bad_input(field, "must not be empty"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(CoreError::bad_input(
            field,
            format!("is {chars} characters; at most {max} are allowed"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(CoreError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// A search text: trimmed, blank means none, bounded and free of control
/// characters. It is matched as plain text, never as a pattern.
fn validate_search(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<String>, CoreError> {
    let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_SEARCH_CHARS {
        return Err(CoreError::bad_input(
            field,
            format!("at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(CoreError::bad_input(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(value))
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
        for cursor in [
            Cursor::Before(TicketId(42)),
            Cursor::Offset(40),
            Cursor::User(UserId(7)),
        ] {
            assert_eq!(decode_cursor(&encode_cursor(&cursor)).ok(), Some(cursor));
        }
        let too_deep = URL_SAFE_NO_PAD.encode("o:100001");
        for junk in [
            "",
            "x",
            "dDo=",
            "dDotMQ",
            "dDphYmM",
            &too_deep,
            &"A".repeat(100),
        ] {
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
