//! Tickets, their history and comments on SQLite and PostgreSQL.

use super::*;

pub(super) fn ticket_from(row: tickets::Model) -> Result<Ticket, StoreError> {
    Ok(Ticket {
        id: TicketId(row.id),
        request_type: RequestType::parse(&row.request_type)
            .ok_or_else(|| corrupt("request type", &row.request_type))?,
        status: parse_status(&row.status)?,
        priority: Priority::parse(&row.priority)
            .ok_or_else(|| corrupt("priority", &row.priority))?,
        number: crate::TicketNumber::from_stored(row.ticket_id),
        requester: UserId(row.user_id),
        software: row.software_id.map(SoftwareId),
        // Rows written by the seed's SQL (or an older release) have none.
        subject: if row.subject.is_empty() {
            crate::derive_subject(&row.description)
        } else {
            row.subject
        },
        description: row.description,
        assignee: row.assignee_id.map(UserId),
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
        first_response_due_at: row.first_response_due_at,
        resolution_due_at: row.resolution_due_at,
        first_responded_at: row.first_responded_at,
        resolved_at: row.resolved_at,
    })
}

pub(super) fn comment_from(row: ticket_comments::Model) -> Comment {
    Comment {
        id: CommentId(row.id),
        ticket: TicketId(row.ticket_id),
        author: UserId(row.author_id),
        body: row.body,
        internal: row.internal,
        created_at: row.created_at,
    }
}

/// The SQL form of [`Ticket::sla_breached`] at `now`.
pub(super) fn breached_condition(now: DateTime<Utc>) -> Condition {
    use tickets::Column as C;
    let open = TicketStatus::ALL
        .iter()
        .filter(|status| status.is_open())
        .map(|status| status.as_str());
    let first_response = Condition::all()
        .add(C::FirstResponseDueAt.is_not_null())
        .add(
            Condition::any()
                .add(
                    Condition::all()
                        .add(C::FirstRespondedAt.is_not_null())
                        .add(Expr::col(C::FirstRespondedAt).gt(Expr::col(C::FirstResponseDueAt))),
                )
                .add(
                    Condition::all()
                        .add(C::FirstRespondedAt.is_null())
                        .add(C::Status.is_in(open))
                        .add(C::FirstResponseDueAt.lt(now)),
                ),
        );
    let resolution = Condition::all().add(C::ResolutionDueAt.is_not_null()).add(
        Condition::any()
            .add(
                Condition::all()
                    .add(C::ResolvedAt.is_not_null())
                    .add(Expr::col(C::ResolvedAt).gt(Expr::col(C::ResolutionDueAt))),
            )
            .add(
                Condition::all()
                    .add(C::ResolvedAt.is_null())
                    .add(C::ResolutionDueAt.lt(now)),
            ),
    );
    Condition::all()
        .add(C::Status.ne(TicketStatus::Cancelled.as_str()))
        .add(Condition::any().add(first_response).add(resolution))
}

pub(super) fn parse_status(value: &str) -> Result<TicketStatus, StoreError> {
    // The seed stored the initial status as "Start".
    TicketStatus::parse(value)
        .or_else(|| {
            TicketStatus::ALL
                .iter()
                .copied()
                .find(|s| s.label() == value)
        })
        .ok_or_else(|| corrupt("status", value))
}

#[async_trait]
impl TicketStore for SeaStore {
    async fn create_ticket(
        &self,
        format: &TicketNumberFormat,
        new: NewTicket,
    ) -> Result<(Ticket, EventEnvelope), StoreError> {
        let year = new.now.year();
        let counter_year = format.counter_year(year);
        let sequence = if self.is_sqlite() {
            None
        } else {
            Some(self.ensure_sequence(format, counter_year).await?)
        };
        let _guard = self.write_guard().await;
        let txn = self
            .db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)?;

        let next = match &sequence {
            Some(name) => self.stmt(&format!("SELECT nextval('{name}') AS value"), "", vec![]),
            None => self.stmt(
                "",
                "INSERT INTO ticket_counters (scope, year, value) VALUES (?, ?, 1) \
                 ON CONFLICT (scope, year) DO UPDATE SET value = value + 1 RETURNING value",
                vec![format.scope().into(), counter_year.into()],
            ),
        };
        let seq: i64 = txn
            .query_one_raw(next)
            .await
            .map_err(classify)?
            .ok_or_else(|| StoreError::Internal("ticket counter returned no row".to_owned()))?
            .try_get("", "value")
            .map_err(classify)?;
        let number = format.render(year, seq);

        let inserted = tickets::ActiveModel {
            id: NotSet,
            ticket_id: Set(number.clone()),
            user_id: Set(new.requester.id.0),
            request_type: Set(new.request_type.as_str().to_owned()),
            software_id: Set(new.software.as_ref().map(|s| s.id.0)),
            subject: Set(new.subject.clone()),
            description: Set(new.description.clone()),
            status: Set(TicketStatus::Start.as_str().to_owned()),
            priority: Set(new.priority.as_str().to_owned()),
            assignee_id: Set(None),
            created_at: Set(new.now),
            updated_at: Set(new.now),
            version: Set(1),
            first_response_due_at: Set(Some(new.first_response_due_at)),
            resolution_due_at: Set(Some(new.resolution_due_at)),
            first_responded_at: Set(None),
            resolved_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(classify)?;
        let (ticket, event) = new_ticket_parts(TicketId(inserted.id), number, &new);
        // On failure the transaction drops uncommitted: nothing is written.
        self.link_attachments(
            &txn,
            &new.attachments,
            new.requester.id,
            ticket.id,
            None,
            false,
        )
        .await?;
        self.link_assets_in(&txn, &ticket, &new.assets, Some(new.requester.id), new.now)
            .await?;

        ticket_history::ActiveModel {
            id: NotSet,
            ticket_id: Set(inserted.id),
            status: Set(ticket.status.as_str().to_owned()),
            notes: Set(Some(CREATED_NOTE.to_owned())),
            actor_id: Set(Some(new.requester.id.0)),
            updated_at: Set(new.now),
        }
        .insert(&txn)
        .await
        .map_err(classify)?;

        self.insert_outbox(&txn, &event, new.now).await?;
        txn.commit().await.map_err(classify)?;
        Ok((ticket, event))
    }

    async fn update_ticket(
        &self,
        change: crate::store::TicketChange,
    ) -> Result<(Ticket, EventEnvelope), StoreError> {
        let _guard = self.write_guard().await;
        let txn = self
            .db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)?;
        let (ticket, event) = change.apply();
        // Optimistic concurrency: only the holder of the current version wins.
        let updated = tickets::Entity::update_many()
            .col_expr(
                tickets::Column::Status,
                sea_orm::sea_query::Expr::value(ticket.status.as_str()),
            )
            .col_expr(
                tickets::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(ticket.updated_at),
            )
            .col_expr(
                tickets::Column::Version,
                sea_orm::sea_query::Expr::value(ticket.version),
            )
            .col_expr(
                tickets::Column::AssigneeId,
                sea_orm::sea_query::Expr::value(ticket.assignee.map(|a| a.0)),
            )
            .col_expr(
                tickets::Column::Priority,
                Expr::value(ticket.priority.as_str()),
            )
            .col_expr(
                tickets::Column::FirstResponseDueAt,
                Expr::value(ticket.first_response_due_at),
            )
            .col_expr(
                tickets::Column::ResolutionDueAt,
                Expr::value(ticket.resolution_due_at),
            )
            .col_expr(
                tickets::Column::FirstRespondedAt,
                Expr::value(ticket.first_responded_at),
            )
            .col_expr(tickets::Column::ResolvedAt, Expr::value(ticket.resolved_at))
            .filter(tickets::Column::Id.eq(ticket.id.0))
            .filter(tickets::Column::Version.eq(change.ticket.version))
            .exec(&txn)
            .await
            .map_err(classify)?;
        if updated.rows_affected != 1 {
            txn.rollback().await.map_err(classify)?;
            return Err(StoreError::Conflict(crate::store::STALE_VERSION.to_owned()));
        }
        ticket_history::ActiveModel {
            id: NotSet,
            ticket_id: Set(ticket.id.0),
            status: Set(ticket.status.as_str().to_owned()),
            notes: Set(change.note.clone()),
            actor_id: Set(Some(change.actor.id.0)),
            updated_at: Set(change.now),
        }
        .insert(&txn)
        .await
        .map_err(classify)?;
        self.insert_outbox(&txn, &event, change.now).await?;
        txn.commit().await.map_err(classify)?;
        Ok((ticket, event))
    }

    async fn add_comment(
        &self,
        new: NewComment,
    ) -> Result<(Comment, Ticket, EventEnvelope), StoreError> {
        let _guard = self.write_guard().await;
        let txn = self
            .db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)?;
        let mut find = tickets::Entity::find_by_id(new.ticket.id.0);
        if !self.is_sqlite() {
            // Hold the row so a concurrent change cannot interleave with
            // this comment's first-response and updated_at bookkeeping.
            find = find.lock_exclusive();
        }
        let current = find
            .one(&txn)
            .await
            .map_err(classify)?
            .ok_or_else(|| StoreError::Internal("no such ticket".to_owned()))
            .and_then(ticket_from)?;
        let inserted = ticket_comments::ActiveModel {
            id: NotSet,
            ticket_id: Set(current.id.0),
            author_id: Set(new.author.id.0),
            body: Set(new.body.clone()),
            internal: Set(new.internal),
            created_at: Set(new.now),
        }
        .insert(&txn)
        .await
        .map_err(classify)?;
        let (comment, ticket, event) = new.parts(CommentId(inserted.id), current);
        self.link_attachments(
            &txn,
            &new.attachments,
            new.author.id,
            ticket.id,
            Some(comment.id),
            new.internal,
        )
        .await?;
        tickets::Entity::update_many()
            .col_expr(tickets::Column::UpdatedAt, Expr::value(ticket.updated_at))
            .col_expr(
                tickets::Column::FirstRespondedAt,
                Expr::value(ticket.first_responded_at),
            )
            .filter(tickets::Column::Id.eq(ticket.id.0))
            .exec(&txn)
            .await
            .map_err(classify)?;
        self.insert_outbox(&txn, &event, new.now).await?;
        txn.commit().await.map_err(classify)?;
        Ok((comment, ticket, event))
    }

    async fn ticket_comments(
        &self,
        ticket: TicketId,
        include_internal: bool,
    ) -> Result<Vec<Comment>, StoreError> {
        let mut select =
            ticket_comments::Entity::find().filter(ticket_comments::Column::TicketId.eq(ticket.0));
        if !include_internal {
            select = select.filter(ticket_comments::Column::Internal.eq(false));
        }
        Ok(select
            .order_by_asc(ticket_comments::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(comment_from)
            .collect())
    }

    async fn get_ticket(&self, number: &str) -> Result<Option<Ticket>, StoreError> {
        tickets::Entity::find()
            .filter(tickets::Column::TicketId.eq(number))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(ticket_from)
            .transpose()
    }

    async fn list_tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>, StoreError> {
        use sea_orm::sea_query::{NullOrdering, Order};
        let mut select = tickets::Entity::find();
        if let Some(requester) = q.requester {
            select = select.filter(tickets::Column::UserId.eq(requester.0));
        }
        if let Some(status) = q.status {
            select = select.filter(tickets::Column::Status.eq(status.as_str()));
        }
        if let Some(kind) = q.request_type {
            select = select.filter(tickets::Column::RequestType.eq(kind.as_str()));
        }
        if let Some(number) = &q.number {
            select = select.filter(tickets::Column::TicketId.eq(number.as_str()));
        }
        if let Some(priority) = q.priority {
            select = select.filter(tickets::Column::Priority.eq(priority.as_str()));
        }
        match q.assignee {
            Some(AssigneeQuery::Is(id)) => {
                select = select.filter(tickets::Column::AssigneeId.eq(id.0));
            }
            Some(AssigneeQuery::Unassigned) => {
                select = select.filter(tickets::Column::AssigneeId.is_null());
            }
            None => {}
        }
        if let Some(breached) = q.breached {
            let condition = breached_condition(q.now.unwrap_or_else(Utc::now));
            select = select.filter(if breached { condition } else { condition.not() });
        }
        if let Some(needle) = &q.search {
            select = select.filter(
                Condition::any()
                    .add(column_contains(tickets::Column::TicketId, needle))
                    .add(column_contains(tickets::Column::Subject, needle))
                    .add(column_contains(tickets::Column::Description, needle)),
            );
        }
        select = match q.sort {
            TicketSort::Newest => {
                if let Some(before) = q.before {
                    select = select.filter(tickets::Column::Id.lt(before.0));
                }
                select.order_by_desc(tickets::Column::Id)
            }
            TicketSort::Oldest => select.order_by_asc(tickets::Column::Id),
            TicketSort::ResolutionDue => select
                .order_by_with_nulls(
                    tickets::Column::ResolutionDueAt,
                    Order::Asc,
                    NullOrdering::Last,
                )
                .order_by_asc(tickets::Column::Id),
            TicketSort::FirstResponseDue => select
                .order_by_with_nulls(
                    tickets::Column::FirstResponseDueAt,
                    Order::Asc,
                    NullOrdering::Last,
                )
                .order_by_asc(tickets::Column::Id),
        };
        if q.sort != TicketSort::Newest && q.offset > 0 {
            select = select.offset(q.offset);
        }
        select
            .limit(q.limit)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(ticket_from)
            .collect()
    }

    async fn ticket_history(&self, ticket: TicketId) -> Result<Vec<HistoryEntry>, StoreError> {
        ticket_history::Entity::find()
            .filter(ticket_history::Column::TicketId.eq(ticket.0))
            .order_by_asc(ticket_history::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| {
                Ok(HistoryEntry {
                    id: row.id,
                    ticket: TicketId(row.ticket_id),
                    status: parse_status(&row.status)?,
                    notes: row.notes,
                    actor: row.actor_id.map(UserId),
                    at: row.updated_at,
                })
            })
            .collect()
    }
}
