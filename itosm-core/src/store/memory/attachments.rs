//! Attachment rows in memory.

use super::*;
use crate::store::{ATTACHMENT_GONE, AttachmentStore};
use crate::{AttachmentId, NewAttachment};

impl State {
    /// Refuses the whole change unless every one of `ids` is a staged
    /// upload of `owner`'s, as the SQL stores' guarded update does.
    pub(super) fn check_attachments(
        &self,
        ids: &[AttachmentId],
        owner: UserId,
    ) -> Result<(), StoreError> {
        let usable = |id: &AttachmentId| {
            self.attachments
                .iter()
                .any(|a| a.id == *id && a.is_staged() && a.uploaded_by == owner)
        };
        let mut distinct = ids.to_vec();
        distinct.sort();
        distinct.dedup();
        if distinct.len() != ids.len() || !ids.iter().all(usable) {
            return Err(StoreError::Conflict(ATTACHMENT_GONE.to_owned()));
        }
        Ok(())
    }

    /// Links checked attachments to a ticket (and comment).
    pub(super) fn link_attachments(
        &mut self,
        ids: &[AttachmentId],
        ticket: TicketId,
        comment: Option<CommentId>,
        internal: bool,
    ) {
        for attachment in self.attachments.iter_mut().filter(|a| ids.contains(&a.id)) {
            attachment.ticket = Some(ticket);
            attachment.comment = comment;
            attachment.internal = internal;
        }
    }
}

#[async_trait]
impl AttachmentStore for MemoryStore {
    async fn stage_attachment(&self, new: &NewAttachment) -> Result<Attachment, StoreError> {
        self.with(|s| {
            if !s.users.iter().any(|u| u.id == new.uploaded_by) {
                return Err(StoreError::Internal("uploader does not exist".to_owned()));
            }
            if s.attachments.iter().any(|a| a.id == new.id) {
                return Err(StoreError::Conflict(format!(
                    "attachment {} exists",
                    new.id
                )));
            }
            let staged = new.staged();
            s.attachments.push(staged.clone());
            Ok(staged)
        })
    }

    async fn get_attachment(&self, id: AttachmentId) -> Result<Option<Attachment>, StoreError> {
        Ok(self.with(|s| s.attachments.iter().find(|a| a.id == id).cloned()))
    }

    async fn ticket_attachments(
        &self,
        ticket: TicketId,
        include_internal: bool,
    ) -> Result<Vec<Attachment>, StoreError> {
        Ok(self.with(|s| {
            let mut found: Vec<Attachment> = s
                .attachments
                .iter()
                .filter(|a| a.ticket == Some(ticket) && (include_internal || !a.internal))
                .cloned()
                .collect();
            found.sort_by_key(|a| (a.created_at, a.id));
            found
        }))
    }

    async fn count_staged_attachments(&self, user: UserId) -> Result<u64, StoreError> {
        Ok(self.with(|s| {
            s.attachments
                .iter()
                .filter(|a| a.is_staged() && a.uploaded_by == user)
                .count() as u64
        }))
    }

    async fn abandoned_attachments(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Attachment>, StoreError> {
        Ok(self.with(|s| {
            let mut found: Vec<Attachment> = s
                .attachments
                .iter()
                .filter(|a| a.is_staged() && a.created_at < before)
                .cloned()
                .collect();
            found.sort_by_key(|a| (a.created_at, a.id));
            found.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            found
        }))
    }

    async fn delete_staged_attachments(
        &self,
        ids: &[AttachmentId],
    ) -> Result<Vec<AttachmentId>, StoreError> {
        Ok(self.with(|s| {
            let mut deleted = Vec::new();
            s.attachments.retain(|a| {
                let goes = a.is_staged() && ids.contains(&a.id);
                if goes {
                    deleted.push(a.id);
                }
                !goes
            });
            deleted
        }))
    }
}
