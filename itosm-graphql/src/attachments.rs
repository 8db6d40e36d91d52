//! Files on tickets and comments. Bytes travel over plain HTTP (upload
//! `POST /api/attachments`, download [`AttachmentNode::url`]); GraphQL names
//! them and links staged uploads to new tickets and comments.

use async_graphql::{ID, Object, Result};
use chrono::{DateTime, Utc};
use itosm_core::{Attachment, AttachmentId};

use crate::errors::to_graphql_error;

/// A file attached to a ticket, possibly with one of its comments.
pub struct AttachmentNode {
    /// The file.
    pub attachment: Attachment,
    /// The number of its ticket (for its download address).
    pub ticket_number: String,
}

#[Object(name = "Attachment")]
impl AttachmentNode {
    async fn id(&self) -> ID {
        ID(self.attachment.id.to_string())
    }
    /// The file name as uploaded.
    async fn filename(&self) -> &str {
        &self.attachment.filename
    }
    /// Sniffed from the bytes, never taken from the uploader.
    async fn content_type(&self) -> &str {
        &self.attachment.content_type
    }
    /// Size in bytes.
    async fn size(&self) -> i64 {
        i64::try_from(self.attachment.size).unwrap_or(i64::MAX)
    }
    /// SHA-256 of the bytes, lowercase hex.
    async fn sha256(&self) -> &str {
        &self.attachment.sha256
    }
    /// The comment it came with; `null` when it came with the ticket.
    async fn comment_id(&self) -> Option<ID> {
        self.attachment.comment.map(|c| ID(c.0.to_string()))
    }
    /// It came with an internal note (only agents and admins see it).
    async fn internal(&self) -> bool {
        self.attachment.internal
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.attachment.created_at
    }
    /// Where to download it (same credentials as the API; always served
    /// as a download, never rendered inline).
    async fn url(&self) -> String {
        download_path(&self.ticket_number, self.attachment.id)
    }
}

/// The download address of an attachment of ticket `number`.
pub fn download_path(number: &str, id: AttachmentId) -> String {
    format!("/api/tickets/{number}/attachments/{id}")
}

/// Parses the ids of staged uploads given to a mutation.
pub(crate) fn parse_attachment_ids(ids: Option<Vec<ID>>) -> Result<Vec<AttachmentId>> {
    let ids = ids.unwrap_or_default();
    AttachmentId::parse_list(ids.iter().map(|id| id.as_str())).map_err(to_graphql_error)
}
