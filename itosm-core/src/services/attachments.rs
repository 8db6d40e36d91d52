//! Attachments: staging uploads, reading them under the ticket's policy,
//! and discarding what no ticket or comment ended up using.

use sha2::{Digest, Sha256};

use super::*;
use crate::blob::BlobStore;
use crate::{Attachment, AttachmentId, NewAttachment, clean_filename, sniff_content_type};

/// Bounds on attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// Largest accepted file, in bytes.
    pub max_bytes: u64,
    /// Most files on one new ticket or one comment.
    pub max_count: u32,
    /// Most uploads one user may hold staged (uploaded, not yet used).
    pub max_staged_per_user: u32,
    /// How long a staged upload waits for its ticket or comment before the
    /// purge removes it.
    pub staged_for: Duration,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits {
            max_bytes: 10 * 1024 * 1024,
            max_count: 10,
            max_staged_per_user: 20,
            staged_for: Duration::hours(24),
        }
    }
}

/// How many abandoned uploads one purge pass removes at most.
const PURGE_BATCH: u64 = 100;

impl Itosm {
    /// Stages a file for the caller's next ticket or comment: bounded in
    /// size and in how many he may hold, its content type sniffed from the
    /// bytes. The bytes are stored first and the row second, so a row
    /// never names missing bytes; a failed row removes the bytes again.
    pub async fn upload_attachment(
        &self,
        actor: Option<&Actor>,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<Attachment, CoreError> {
        policy::authorize(actor, Action::UploadAttachment)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        let blobs = self.blobs()?;
        let filename = clean_filename(filename).map_err(|m| CoreError::bad_input("filename", m))?;
        let limits = self.config.attachments;
        let size = bytes.len() as u64;
        if size == 0 {
            return Err(CoreError::bad_input("file", "is empty"));
        }
        if size > limits.max_bytes {
            return Err(CoreError::bad_input(
                "file",
                format!("is {size} bytes; at most {} are allowed", limits.max_bytes),
            ));
        }
        let staged = self.store.count_staged_attachments(actor.user.id).await?;
        if staged >= u64::from(limits.max_staged_per_user) {
            return Err(CoreError::bad_input(
                "file",
                format!(
                    "you have {staged} uploads not yet attached to a ticket or comment \
                     (at most {}); send or remove them first",
                    limits.max_staged_per_user
                ),
            ));
        }
        let new = NewAttachment {
            id: AttachmentId::random(),
            filename,
            content_type: sniff_content_type(&bytes),
            size,
            sha256: crate::hex::lower_hex(&Sha256::digest(&bytes)),
            uploaded_by: actor.user.id,
            now: self.clock.now(),
        };
        blobs.put(&new.id.blob_key(), bytes).await?;
        match self.store.stage_attachment(&new).await {
            Ok(attachment) => {
                tracing::info!(attachment = %attachment.id, size, content_type = %attachment.content_type, uploader = %actor.user.username, "attachment staged");
                Ok(attachment)
            }
            Err(error) => {
                delete_blob(blobs.as_ref(), new.id).await;
                Err(error.into())
            }
        }
    }

    /// The files on a ticket the caller may see, oldest first: those of
    /// internal notes only for staff.
    pub async fn ticket_attachments(
        &self,
        actor: Option<&Actor>,
        ticket: &Ticket,
    ) -> Result<Vec<Attachment>, CoreError> {
        policy::authorize(actor, Action::ViewTicket(ticket))?;
        let include_internal = policy::authorize(actor, Action::ViewInternalNotes).is_ok();
        Ok(self
            .store
            .ticket_attachments(ticket.id, include_internal)
            .await?)
    }

    /// One file of ticket `number`, with its bytes, if the caller may see
    /// both; anything else is `NotFound`, whether it exists or not.
    pub async fn download_attachment(
        &self,
        actor: Option<&Actor>,
        number: &str,
        id: AttachmentId,
    ) -> Result<(Attachment, Vec<u8>), CoreError> {
        let view = self.get_ticket(actor, number).await?;
        let attachment = self
            .store
            .get_attachment(id)
            .await?
            .ok_or_else(|| policy::attachment_not_found(&id))?;
        policy::authorize(
            actor,
            Action::ViewAttachment {
                ticket: &view.ticket,
                attachment: &attachment,
            },
        )?;
        let bytes = self.blobs()?.get(&id.blob_key()).await?;
        Ok((attachment, bytes))
    }

    /// Removes the caller's own staged uploads among `ids` (a file taken
    /// off the form before sending); others' and used files are left alone.
    pub async fn discard_attachments(
        &self,
        actor: Option<&Actor>,
        ids: &[AttachmentId],
    ) -> Result<usize, CoreError> {
        policy::authorize(actor, Action::UploadAttachment)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        self.discard_staged(actor, ids).await
    }

    /// Removes staged uploads older than the configured wait, bytes and
    /// rows, in batches; returns how many went.
    pub async fn purge_abandoned_attachments(&self) -> Result<usize, CoreError> {
        let Some(blobs) = self.blobs.clone() else {
            return Ok(0);
        };
        let before = self.clock.now() - self.config.attachments.staged_for;
        let mut purged = 0;
        loop {
            let abandoned = self
                .store
                .abandoned_attachments(before, PURGE_BATCH)
                .await?;
            if abandoned.is_empty() {
                return Ok(purged);
            }
            let ids: Vec<AttachmentId> = abandoned.iter().map(|a| a.id).collect();
            let deleted = self.store.delete_staged_attachments(&ids).await?;
            for id in &deleted {
                delete_blob(blobs.as_ref(), *id).await;
            }
            purged += deleted.len();
            if (abandoned.len() as u64) < PURGE_BATCH || deleted.is_empty() {
                return Ok(purged);
            }
        }
    }

    /// Checks the files a new ticket or comment names: within the count
    /// bound, named once each, and every one a staged upload of the
    /// caller's.
    pub(super) async fn check_staged(
        &self,
        actor: &Actor,
        ids: &[AttachmentId],
    ) -> Result<(), CoreError> {
        let max = self.config.attachments.max_count;
        if ids.len() > max as usize {
            return Err(CoreError::bad_input(
                "attachmentIds",
                format!("at most {max} files per ticket or comment"),
            ));
        }
        let mut distinct = ids.to_vec();
        distinct.sort();
        distinct.dedup();
        if distinct.len() != ids.len() {
            return Err(CoreError::bad_input("attachmentIds", "names a file twice"));
        }
        if !ids.is_empty() {
            self.blobs()?;
        }
        for id in ids {
            let usable = self
                .store
                .get_attachment(*id)
                .await?
                .is_some_and(|a| a.is_staged() && a.uploaded_by == actor.user.id);
            if !usable {
                return Err(CoreError::bad_input(
                    "attachmentIds",
                    format!("{id} is not an upload of yours waiting to be attached"),
                ));
            }
        }
        Ok(())
    }

    /// Deletes the caller's staged uploads among `ids`, rows then bytes:
    /// what a failed create leaves must not outlive it.
    pub(super) async fn discard_staged(
        &self,
        actor: &Actor,
        ids: &[AttachmentId],
    ) -> Result<usize, CoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let blobs = self.blobs()?;
        let mut own = Vec::new();
        for id in ids {
            if let Some(attachment) = self.store.get_attachment(*id).await?
                && attachment.is_staged()
                && attachment.uploaded_by == actor.user.id
            {
                own.push(attachment.id);
            }
        }
        let deleted = self.store.delete_staged_attachments(&own).await?;
        for id in &deleted {
            delete_blob(blobs.as_ref(), *id).await;
        }
        Ok(deleted.len())
    }

    /// Runs `work` (a create that names `ids`); if it fails, the caller's
    /// staged uploads among `ids` are discarded before the error returns.
    pub(super) async fn discarding_on_failure<T>(
        &self,
        actor: &Actor,
        ids: &[AttachmentId],
        work: impl std::future::Future<Output = Result<T, CoreError>>,
    ) -> Result<T, CoreError> {
        let result = work.await;
        if result.is_err()
            && !ids.is_empty()
            && let Err(error) = self.discard_staged(actor, ids).await
        {
            // The purge takes them later; the caller hears the first error.
            tracing::warn!(%error, "could not discard the uploads of a failed change");
        }
        result
    }

    fn blobs(&self) -> Result<&Arc<dyn BlobStore>, CoreError> {
        self.blobs.as_ref().ok_or_else(|| {
            CoreError::bad_input("file", "attachments are not enabled on this server")
        })
    }
}

async fn delete_blob(blobs: &dyn BlobStore, id: AttachmentId) {
    if let Err(error) = blobs.delete(&id.blob_key()).await {
        tracing::warn!(attachment = %id, %error, "could not delete attachment bytes");
    }
}
