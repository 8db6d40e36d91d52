//! Comments and internal notes.

use super::text::validate_text;
use super::*;

/// A comment with its author resolved.
#[derive(Debug, Clone)]
pub struct CommentView {
    /// The comment.
    pub comment: Comment,
    /// Who wrote it (absent only if the user row is gone).
    pub author: Option<User>,
}

impl Itosm {
    /// Adds a comment: a requester publicly on his own ticket; staff on any
    /// ticket, publicly or as an internal note. Closed and cancelled tickets
    /// take no more comments. `attachments` are the caller's uploads to go
    /// with it (discarded if the comment fails); those of an internal note
    /// are staff-only like the note.
    pub async fn add_comment(
        &self,
        actor: Option<&Actor>,
        number: &str,
        body: &str,
        internal: bool,
        attachments: &[crate::AttachmentId],
    ) -> Result<CommentView, CoreError> {
        // Authenticate before anything; the comment itself is authorized
        // once its ticket is loaded.
        policy::authorize(actor, Action::ViewCatalog)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        self.discarding_on_failure(
            actor,
            attachments,
            self.comment_with_files(actor, number, body, internal, attachments),
        )
        .await
    }

    async fn comment_with_files(
        &self,
        actor: &Actor,
        number: &str,
        body: &str,
        internal: bool,
        attachments: &[crate::AttachmentId],
    ) -> Result<CommentView, CoreError> {
        let view = self.get_ticket(Some(actor), number).await?;
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
        self.check_staged(actor, attachments).await?;
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
            attachments: attachments.to_vec(),
        };
        let (comment, ticket, event) = match self.store.add_comment(new).await {
            Ok(added) => added,
            Err(error) => {
                self.comment_limiter.refund(actor.user.id.0, now);
                return Err(error.into());
            }
        };
        self.outbox_wakeup.notify_one();
        tracing::info!(ticket = %ticket.number, event_id = %event.event_id, internal, attachments = attachments.len(), actor = %actor.user.username, "comment added");
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
}
