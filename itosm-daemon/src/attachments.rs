//! Attachment bytes on the filesystem or in S3-compatible object storage,
//! both through the `object_store` crate, behind core's
//! [`BlobStore`].

use std::sync::Arc;

use async_trait::async_trait;
use itosm_core::blob::{BlobError, BlobStore};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::config::{AttachmentsConfig, BlobStoreKind, S3Config};

/// Why the blob store could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum BlobSetupError {
    /// The attachments directory could not be created or opened.
    #[error("attachments.dir {dir}: {source}")]
    Directory {
        /// The directory.
        dir: String,
        /// Why.
        source: std::io::Error,
    },
    /// The object store client could not be built from the config.
    #[error("attachments.{key}: {message}")]
    Store {
        /// The config key at fault.
        key: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// The blob store `config` names. One that cannot be set up (a directory
/// that cannot be created, a bad S3 setting) answers every request with
/// `UNAVAILABLE` and the reason, so the daemon still starts, tickets
/// without files still work, and `check-config --connect` names the fault.
pub fn blob_store(config: &AttachmentsConfig) -> Arc<dyn BlobStore> {
    if config.store == BlobStoreKind::Filesystem {
        return Arc::new(LazyFilesystem {
            dir: config.dir.clone(),
            store: tokio::sync::OnceCell::new(),
        });
    }
    match ObjectBlobStore::from_config(config) {
        Ok(store) => Arc::new(store),
        Err(error) => {
            tracing::error!(%error, "attachments are unavailable until this is fixed");
            Arc::new(UnavailableBlobStore(error.to_string()))
        }
    }
}

/// The filesystem store, set up at first use: roles that never touch a
/// file (relay, notifier, commands) never create the directory, and one
/// that cannot be created is retried on the next use.
#[derive(Debug)]
struct LazyFilesystem {
    dir: std::path::PathBuf,
    store: tokio::sync::OnceCell<ObjectBlobStore>,
}

impl LazyFilesystem {
    async fn store(&self) -> Result<&ObjectBlobStore, BlobError> {
        self.store
            .get_or_try_init(|| async {
                let dir = self.dir.clone();
                tokio::task::spawn_blocking(move || ObjectBlobStore::filesystem(&dir))
                    .await
                    .map_err(|e| BlobError::Unavailable(e.to_string()))?
                    .map_err(|e| BlobError::Unavailable(e.to_string()))
            })
            .await
    }
}

#[async_trait]
impl BlobStore for LazyFilesystem {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.store().await?.put(key, bytes).await
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        self.store().await?.get(key).await
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        self.store().await?.delete(key).await
    }

    async fn check(&self) -> Result<(), BlobError> {
        self.store().await?.check().await
    }
}

/// A blob store that could not be set up: every call fails with why.
#[derive(Debug)]
pub struct UnavailableBlobStore(String);

#[async_trait]
impl BlobStore for UnavailableBlobStore {
    async fn put(&self, _key: &str, _bytes: Vec<u8>) -> Result<(), BlobError> {
        Err(BlobError::Unavailable(self.0.clone()))
    }

    async fn get(&self, _key: &str) -> Result<Vec<u8>, BlobError> {
        Err(BlobError::Unavailable(self.0.clone()))
    }

    async fn delete(&self, _key: &str) -> Result<(), BlobError> {
        Err(BlobError::Unavailable(self.0.clone()))
    }

    async fn check(&self) -> Result<(), BlobError> {
        Err(BlobError::Unavailable(self.0.clone()))
    }
}

/// Attachment bytes in an `object_store` backend, under a key prefix.
#[derive(Debug)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

impl ObjectBlobStore {
    /// The store `config` names.
    pub fn from_config(config: &AttachmentsConfig) -> Result<Self, BlobSetupError> {
        match (config.store, &config.s3) {
            (BlobStoreKind::S3, Some(s3)) => Self::s3(s3),
            (BlobStoreKind::S3, None) => Err(BlobSetupError::Store {
                key: "s3",
                message: "store = \"s3\" needs an [attachments.s3] table".to_owned(),
            }),
            (BlobStoreKind::Filesystem, _) => Self::filesystem(&config.dir),
        }
    }

    /// Files under `dir`, created with mode 0700 (only the daemon's user
    /// may list or read them).
    pub fn filesystem(dir: &std::path::Path) -> Result<Self, BlobSetupError> {
        let failed = |source| BlobSetupError::Directory {
            dir: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(failed)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(failed)?;
        }
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(|e| {
            BlobSetupError::Store {
                key: "dir",
                message: e.to_string(),
            }
        })?;
        Ok(ObjectBlobStore {
            store: Arc::new(store),
            prefix: String::new(),
        })
    }

    /// Objects in an S3-compatible bucket. Requests fail within the
    /// configured timeout and are retried at most twice, so an outage
    /// answers `UNAVAILABLE` quickly instead of holding the upload.
    pub fn s3(config: &S3Config) -> Result<Self, BlobSetupError> {
        let timeout = config.timeout.get();
        let mut builder = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_allow_http(config.allow_http)
            .with_client_options(
                object_store::ClientOptions::new()
                    .with_timeout(timeout)
                    .with_connect_timeout(timeout.min(std::time::Duration::from_secs(3)))
                    .with_allow_http(config.allow_http),
            )
            .with_retry(object_store::RetryConfig {
                max_retries: 2,
                retry_timeout: timeout,
                ..Default::default()
            });
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(key) = &config.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let store = builder.build().map_err(|e| BlobSetupError::Store {
            key: "s3",
            message: e.to_string(),
        })?;
        Ok(ObjectBlobStore {
            store: Arc::new(store),
            prefix: config.prefix.trim_matches('/').to_owned(),
        })
    }

    fn path(&self, key: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(key)
        } else {
            ObjectPath::from(format!("{}/{key}", self.prefix))
        }
    }
}

fn classify(key: &str, error: object_store::Error) -> BlobError {
    match error {
        object_store::Error::NotFound { .. } => BlobError::NotFound(key.to_owned()),
        other => BlobError::Unavailable(other.to_string()),
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.store
            .put(&self.path(key), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|e| classify(key, e))
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let found = self
            .store
            .get(&self.path(key))
            .await
            .map_err(|e| classify(key, e))?;
        found
            .bytes()
            .await
            .map(|bytes| bytes.to_vec())
            .map_err(|e| classify(key, e))
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(BlobError::Unavailable(other.to_string())),
        }
    }

    async fn check(&self) -> Result<(), BlobError> {
        // Asking for a key that is never written proves the store answers
        // and accepts our credentials without writing anything.
        match self.store.head(&self.path("itosm-check")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(BlobError::Unavailable(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_store_that_cannot_be_set_up_answers_unavailable() {
        let file = tempfile::NamedTempFile::new().expect("file");
        let config = AttachmentsConfig {
            // A directory under a plain file cannot be created.
            dir: file.path().join("attachments"),
            ..AttachmentsConfig::default()
        };
        let blobs = blob_store(&config);
        for outcome in [
            blobs.put("k", b"x".to_vec()).await.err(),
            blobs.get("k").await.err(),
            blobs.check().await.err(),
        ] {
            assert!(
                matches!(&outcome, Some(BlobError::Unavailable(why)) if why.contains("attachments.dir")),
                "{outcome:?}"
            );
        }
    }

    #[tokio::test]
    async fn files_round_trip_and_deleting_twice_is_fine() {
        let dir = tempfile::tempdir().expect("tempdir");
        let blobs = ObjectBlobStore::filesystem(&dir.path().join("files")).expect("store");
        blobs.check().await.expect("answers");
        blobs.put("abc", b"hello".to_vec()).await.expect("put");
        assert_eq!(blobs.get("abc").await.expect("get"), b"hello");
        blobs.delete("abc").await.expect("delete");
        blobs.delete("abc").await.expect("delete again");
        assert!(matches!(
            blobs.get("abc").await,
            Err(BlobError::NotFound(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("files"))
                .expect("dir")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
