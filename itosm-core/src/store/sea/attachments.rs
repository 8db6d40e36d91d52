//! Attachment rows on SQLite and PostgreSQL.

use super::*;
use crate::store::{ATTACHMENT_GONE, AttachmentStore};
use crate::{Attachment, AttachmentId, NewAttachment};
use entity::attachments;

fn attachment_from(row: attachments::Model) -> Attachment {
    Attachment {
        id: AttachmentId(row.id),
        ticket: row.ticket_id.map(TicketId),
        comment: row.comment_id.map(CommentId),
        internal: row.internal,
        filename: row.filename,
        content_type: row.content_type,
        size: row.size_bytes.unsigned_abs(),
        sha256: row.sha256,
        uploaded_by: UserId(row.uploaded_by),
        created_at: row.created_at,
    }
}

impl SeaStore {
    /// Links `ids` to a ticket (and comment) inside the change's own
    /// transaction: only rows still staged by `owner` move, and unless all
    /// of them do the caller rolls the whole change back.
    pub(super) async fn link_attachments(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        ids: &[AttachmentId],
        owner: UserId,
        ticket: TicketId,
        comment: Option<CommentId>,
        internal: bool,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut distinct: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        distinct.sort();
        distinct.dedup();
        let linked = attachments::Entity::update_many()
            .col_expr(attachments::Column::TicketId, Expr::value(Some(ticket.0)))
            .col_expr(
                attachments::Column::CommentId,
                Expr::value(comment.map(|c| c.0)),
            )
            .col_expr(attachments::Column::Internal, Expr::value(internal))
            .filter(attachments::Column::Id.is_in(distinct.clone()))
            .filter(attachments::Column::TicketId.is_null())
            .filter(attachments::Column::UploadedBy.eq(owner.0))
            .exec(txn)
            .await
            .map_err(classify)?;
        if distinct.len() != ids.len() || linked.rows_affected != distinct.len() as u64 {
            return Err(StoreError::Conflict(ATTACHMENT_GONE.to_owned()));
        }
        Ok(())
    }
}

#[async_trait]
impl AttachmentStore for SeaStore {
    async fn stage_attachment(&self, new: &NewAttachment) -> Result<Attachment, StoreError> {
        let _guard = self.write_guard().await;
        let size = i64::try_from(new.size)
            .map_err(|_| StoreError::Internal("attachment size out of range".to_owned()))?;
        attachments::ActiveModel {
            id: Set(new.id.0),
            ticket_id: Set(None),
            comment_id: Set(None),
            internal: Set(false),
            filename: Set(new.filename.clone()),
            content_type: Set(new.content_type.clone()),
            size_bytes: Set(size),
            sha256: Set(new.sha256.clone()),
            uploaded_by: Set(new.uploaded_by.0),
            created_at: Set(new.now),
        }
        .insert(&self.db)
        .await
        .map_err(classify)
        .map(attachment_from)
    }

    async fn get_attachment(&self, id: AttachmentId) -> Result<Option<Attachment>, StoreError> {
        Ok(attachments::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(attachment_from))
    }

    async fn ticket_attachments(
        &self,
        ticket: TicketId,
        include_internal: bool,
    ) -> Result<Vec<Attachment>, StoreError> {
        let mut select =
            attachments::Entity::find().filter(attachments::Column::TicketId.eq(ticket.0));
        if !include_internal {
            select = select.filter(attachments::Column::Internal.eq(false));
        }
        Ok(select
            .order_by_asc(attachments::Column::CreatedAt)
            .order_by_asc(attachments::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(attachment_from)
            .collect())
    }

    async fn count_staged_attachments(&self, user: UserId) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        attachments::Entity::find()
            .filter(attachments::Column::UploadedBy.eq(user.0))
            .filter(attachments::Column::TicketId.is_null())
            .count(&self.db)
            .await
            .map_err(classify)
    }

    async fn abandoned_attachments(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Attachment>, StoreError> {
        Ok(attachments::Entity::find()
            .filter(attachments::Column::TicketId.is_null())
            .filter(attachments::Column::CreatedAt.lt(before))
            .order_by_asc(attachments::Column::CreatedAt)
            .order_by_asc(attachments::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(attachment_from)
            .collect())
    }

    async fn delete_staged_attachments(
        &self,
        ids: &[AttachmentId],
    ) -> Result<Vec<AttachmentId>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let _guard = self.write_guard().await;
        let txn = self
            .db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)?;
        let uuids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        // Only rows still staged: one linked meanwhile stays with its ticket.
        let staged: Vec<AttachmentId> = attachments::Entity::find()
            .filter(attachments::Column::Id.is_in(uuids))
            .filter(attachments::Column::TicketId.is_null())
            .all(&txn)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| AttachmentId(row.id))
            .collect();
        attachments::Entity::delete_many()
            .filter(attachments::Column::Id.is_in(staged.iter().map(|id| id.0)))
            .filter(attachments::Column::TicketId.is_null())
            .exec(&txn)
            .await
            .map_err(classify)?;
        txn.commit().await.map_err(classify)?;
        Ok(staged)
    }
}
