//! Where attachment bytes live: the [`BlobStore`] trait. The daemon puts
//! them on the filesystem (the embedded default) or in S3-compatible object
//! storage; [`MemoryBlobStore`] serves tests and embedders that keep
//! nothing on disk.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

/// A blob store failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// No blob under that key.
    #[error("no blob {0}")]
    NotFound(String),
    /// The store cannot be reached or refused the operation; nothing
    /// was written.
    #[error("blob store unavailable: {0}")]
    Unavailable(String),
}

impl From<BlobError> for crate::CoreError {
    fn from(error: BlobError) -> Self {
        match error {
            // A row whose bytes are gone is our fault, not the caller's.
            BlobError::NotFound(key) => {
                crate::CoreError::Internal(format!("attachment bytes missing: {key}"))
            }
            BlobError::Unavailable(detail) => crate::CoreError::Unavailable(detail),
        }
    }
}

/// Bytes by key. Keys are attachment ids ([`crate::AttachmentId::blob_key`]):
/// plain hex, safe as a file name or an object key.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing what was there.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError>;
    /// The bytes under `key`.
    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError>;
    /// Removes `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
    /// Checks that the store answers (`check-config --connect`, readiness).
    async fn check(&self) -> Result<(), BlobError>;
}

/// Blobs in memory, lost with the process.
#[derive(Debug, Default)]
pub struct MemoryBlobStore {
    blobs: Mutex<HashMap<String, Vec<u8>>>,
}

impl MemoryBlobStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys stored, sorted (tests check nothing is left behind).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().keys().cloned().collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        // A panic elsewhere while holding the lock leaves the map intact.
        self.blobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.lock().insert(key.to_owned(), bytes);
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        self.lock()
            .get(key)
            .cloned()
            .ok_or_else(|| BlobError::NotFound(key.to_owned()))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.lock().remove(key);
        Ok(())
    }

    async fn check(&self) -> Result<(), BlobError> {
        Ok(())
    }
}
