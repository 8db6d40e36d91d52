//! Tickets: opening, reading, listing and working them.

use super::paging::{Cursor, decode_cursor, encode_cursor};
use super::text::{validate_search, validate_text};
use super::*;

/// A new ticket as a caller asks for it; the requester is always the caller.
#[derive(Debug, Clone)]
pub struct CreateTicketInput {
    /// What kind of request.
    pub request_type: RequestType,
    /// The software title, for software requests.
    pub software_id: Option<SoftwareId>,
    /// A short line naming the request; derived from the description's
    /// first line when absent, so older clients keep working.
    pub subject: Option<String>,
    /// What the requester needs, in his words.
    pub description: String,
    /// Files the caller uploaded for this ticket
    /// ([`Itosm::upload_attachment`]); discarded if the ticket fails.
    pub attachments: Vec<crate::AttachmentId>,
    /// Tags of the devices the ticket concerns; a requester may name only
    /// his own.
    pub asset_tags: Vec<String>,
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

/// One page of tickets, in the order asked for.
pub type TicketPage = Page<TicketView>;

impl Itosm {
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
        let attachments = input.attachments.clone();
        self.discarding_on_failure(actor, &attachments, async {
            self.validate_description(&input.description)?;
            self.check_staged(actor, &input.attachments).await?;
            let now = self.clock.now();
            self.ticket_limiter.try_acquire(actor.user.id.0, now)?;
            let created = self.store_new_ticket(actor, input, now).await;
            if created.is_err() {
                self.ticket_limiter.refund(actor.user.id.0, now);
            }
            created
        })
        .await
    }

    pub(super) async fn store_new_ticket(
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
            (_, Some(id)) => match self.store.get_software(id).await? {
                Some(software) if !software.retired => Some(software),
                Some(software) => {
                    return Err(CoreError::bad_input(
                        "softwareId",
                        format!(
                            "{} is retired and can no longer be requested",
                            software.label()
                        ),
                    ));
                }
                None => {
                    return Err(CoreError::bad_input(
                        "softwareId",
                        format!("no software with id {}", id.0),
                    ));
                }
            },
        };
        let subject = match input.subject.map(|s| s.trim().to_owned()) {
            Some(subject) => {
                validate_text("subject", &subject, crate::MAX_SUBJECT_CHARS)?;
                if subject.contains(['\n', '\r']) {
                    return Err(CoreError::bad_input("subject", "must be one line"));
                }
                subject
            }
            None => crate::derive_subject(&input.description),
        };
        let assets = self.assets_for_new_ticket(actor, &input.asset_tags).await?;
        let priority = self.config.default_priority;
        let (first_response_due_at, resolution_due_at) = self.config.sla.due_times(priority, now);
        let new = NewTicket {
            requester: actor.user.clone(),
            request_type: input.request_type,
            software: software.clone(),
            subject,
            description: input.description,
            priority,
            first_response_due_at,
            resolution_due_at,
            now,
            event_id: Uuid::now_v7(),
            attachments: input.attachments,
            assets,
        };
        let new_attachments = new.attachments.len();
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
            attachments = new_attachments,
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
        let Ok(number) = crate::TicketNumber::parse(number) else {
            // No store sees it: PostgreSQL refuses a NUL byte in text.
            let shown: String = number
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_NUMBER_CHARS)
                .collect();
            return Err(policy::ticket_not_found(&shown));
        };
        let ticket = self
            .store
            .get_ticket(&number)
            .await?
            .ok_or_else(|| policy::ticket_not_found(&number))?;
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
            | (_, Some(Cursor::User(_) | Cursor::Asset(_))) => {
                return Err(CoreError::bad_input(
                    "after",
                    "this cursor belongs to a list in another order",
                ));
            }
            (_, Some(Cursor::Offset(offset))) => (None, offset),
        };
        if let Some(number) = &filter.number
            && !number.is_empty()
            && crate::validate_ticket_number(number).is_err()
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
        let Some(ticket) = &event.ticket else {
            return Ok(None);
        };
        match self.get_ticket(actor, &ticket.number).await {
            Ok(view) => Ok(Some(view)),
            Err(CoreError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    pub(super) async fn views(&self, tickets: Vec<Ticket>) -> Result<Vec<TicketView>, CoreError> {
        let ids: Vec<UserId> = tickets
            .iter()
            .flat_map(|t| std::iter::once(t.requester).chain(t.assignee))
            .collect();
        let users = self.users_map(&ids).await?;
        let catalog: HashMap<SoftwareId, Software> = if tickets.iter().any(|t| t.software.is_some())
        {
            self.store
                .list_software(true)
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
