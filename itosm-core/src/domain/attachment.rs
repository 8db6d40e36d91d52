//! Files attached to tickets and comments.
//!
//! An upload is *staged* first (stored, owned by its uploader, on no ticket
//! yet), then linked to a new ticket or comment in that change's own
//! transaction. A staged file nobody links is purged after a while; a failed
//! create discards the files it named, so nothing is left behind.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{CommentId, TicketId, UserId};

/// Longest accepted file name, in characters.
pub const MAX_FILENAME_CHARS: usize = 255;

/// An attachment's id: random, so ids say nothing about other uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AttachmentId(pub Uuid);

impl AttachmentId {
    /// A fresh random id.
    pub fn random() -> Self {
        AttachmentId(Uuid::new_v4())
    }

    /// Reads an id as clients write it; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        Uuid::parse_str(text).ok().map(AttachmentId)
    }

    /// Reads the `attachmentIds` a new ticket or comment names; the first
    /// that is not an id is a bad input naming it.
    pub fn parse_list<'a>(
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<Self>, crate::CoreError> {
        texts
            .into_iter()
            .map(|text| {
                Self::parse(text).ok_or_else(|| {
                    crate::CoreError::bad_input(
                        "attachmentIds",
                        format!("{text:?} is not an attachment id"),
                    )
                })
            })
            .collect()
    }

    /// The key its bytes are stored under in a [`crate::blob::BlobStore`].
    pub fn blob_key(&self) -> String {
        self.0.simple().to_string()
    }
}

impl std::fmt::Display for AttachmentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A stored file and where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Its id.
    pub id: AttachmentId,
    /// The ticket it is on; `None` while staged.
    pub ticket: Option<TicketId>,
    /// The comment it came with, if it came with one.
    pub comment: Option<CommentId>,
    /// Whether it came with an internal note (then only staff see it).
    pub internal: bool,
    /// The file name as uploaded (a base name, no path).
    pub filename: String,
    /// The content type sniffed from the bytes, never the client's claim.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: UserId,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

impl Attachment {
    /// Whether it is still waiting for a ticket or comment.
    pub fn is_staged(&self) -> bool {
        self.ticket.is_none()
    }
}

/// The file name to keep for an upload: the base name of what the client
/// sent (browsers and tools sometimes send a path), trimmed. Refuses empty
/// names, names longer than [`MAX_FILENAME_CHARS`] and control characters.
pub fn clean_filename(raw: &str) -> Result<String, &'static str> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw).trim();
    if base.is_empty() || base == "." || base == ".." {
        return Err("must name a file");
    }
    if base.chars().count() > MAX_FILENAME_CHARS {
        return Err("is too long (at most 255 characters)");
    }
    if base.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    Ok(base.to_owned())
}

/// The content type of `bytes`, judged from the bytes alone: known magic
/// numbers first, then UTF-8 text without NUL bytes as `text/plain`, else
/// `application/octet-stream`. The client's claim is never consulted, so
/// a script renamed `.png` is not served as an image.
pub fn sniff_content_type(bytes: &[u8]) -> String {
    if let Some(kind) = infer::get(bytes) {
        return kind.mime_type().to_owned();
    }
    if !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        return "text/plain; charset=utf-8".to_owned();
    }
    "application/octet-stream".to_owned()
}

/// A file about to be staged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// Its id (also its blob key).
    pub id: AttachmentId,
    /// The cleaned file name.
    pub filename: String,
    /// The sniffed content type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Who uploads it.
    pub uploaded_by: UserId,
    /// When.
    pub now: DateTime<Utc>,
}

impl NewAttachment {
    /// The staged attachment this becomes once stored.
    pub fn staged(&self) -> Attachment {
        Attachment {
            id: self.id,
            ticket: None,
            comment: None,
            internal: false,
            filename: self.filename.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
            uploaded_by: self.uploaded_by,
            created_at: self.now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_their_path_and_keep_their_name() {
        assert_eq!(clean_filename("report.pdf"), Ok("report.pdf".to_owned()));
        assert_eq!(
            clean_filename("C:\\Users\\jo\\screen shot.png"),
            Ok("screen shot.png".to_owned())
        );
        assert_eq!(clean_filename("../../etc/passwd"), Ok("passwd".to_owned()));
        assert!(clean_filename("").is_err());
        assert!(clean_filename("dir/").is_err());
        assert!(clean_filename("..").is_err());
        assert!(clean_filename("a\u{0}b").is_err());
        assert!(clean_filename(&"x".repeat(256)).is_err());
        assert!(clean_filename(&"x".repeat(255)).is_ok());
    }

    #[test]
    fn content_types_come_from_the_bytes() {
        let png = [
            0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
        ];
        assert_eq!(sniff_content_type(&png), "image/png");
        assert_eq!(sniff_content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(
            sniff_content_type("plain words, ünïcode".as_bytes()),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            sniff_content_type(&[0xff, 0xfe, 0x00, 0x01]),
            "application/octet-stream"
        );
    }
}
