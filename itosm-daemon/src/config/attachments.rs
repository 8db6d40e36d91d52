//! `[attachments]`: where uploaded files live and how large and many they
//! may be.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigBytes, ConfigDuration, ConfigError};

/// `[attachments]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentsConfig {
    /// Where the bytes are kept: `filesystem` (under `dir`) or `s3`
    /// (`[attachments.s3]`).
    pub store: BlobStoreKind,
    /// The directory of the `filesystem` store (created, mode 0700).
    pub dir: PathBuf,
    /// Largest file accepted, e.g. `10MiB`.
    pub max_bytes: ConfigBytes,
    /// Most files on one new ticket or comment.
    pub max_count: u32,
    /// Most uploads one user may hold before attaching them.
    pub max_staged_per_user: u32,
    /// How long an upload waits for its ticket or comment before it is
    /// purged, e.g. `24h`.
    pub staged_for: ConfigDuration,
    /// Longest an upload or download request may take, e.g. `5m` (files
    /// are larger and slower than API requests).
    pub upload_timeout: ConfigDuration,
    /// The S3-compatible object store, for `store = "s3"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Config>,
}

/// Where attachment bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobStoreKind {
    /// Files under `attachments.dir` (the embedded default).
    Filesystem,
    /// An S3-compatible object store (`[attachments.s3]`).
    S3,
}

/// `[attachments.s3]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// The bucket (it must exist).
    pub bucket: String,
    /// The endpoint of a non-AWS service, e.g. `http://minio:9000`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The region.
    #[serde(default = "default_region")]
    pub region: String,
    /// Key prefix inside the bucket, e.g. `itosm/`.
    #[serde(default)]
    pub prefix: String,
    /// Access key id; without one, the environment's AWS credentials apply.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Secret access key.
    #[serde(default)]
    pub secret_access_key: Option<String>,
    /// Allow a plain `http://` endpoint (a service on a private network).
    #[serde(default)]
    pub allow_http: bool,
    /// Longest one request to the store may take before the upload or
    /// download fails with `UNAVAILABLE`.
    #[serde(default = "default_s3_timeout")]
    pub timeout: ConfigDuration,
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

fn default_s3_timeout() -> ConfigDuration {
    ConfigDuration::secs(10)
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            store: BlobStoreKind::Filesystem,
            dir: PathBuf::from("attachments"),
            max_bytes: ConfigBytes::mib(10),
            max_count: 10,
            max_staged_per_user: 20,
            staged_for: ConfigDuration::hours(24),
            upload_timeout: ConfigDuration::mins(5),
            s3: None,
        }
    }
}

/// Largest `attachments.max_bytes` accepted: files are held in memory
/// while they pass through.
pub const MAX_ATTACHMENT_BYTES: u64 = 1 << 30;

impl AttachmentsConfig {
    /// Checks the bounds serde's types do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=MAX_ATTACHMENT_BYTES).contains(&self.max_bytes.get()) {
            return Err(ConfigError::invalid(
                "attachments.max_bytes",
                "must be between 1B and 1GiB",
            ));
        }
        if !(1..=100).contains(&self.max_count) {
            return Err(ConfigError::invalid(
                "attachments.max_count",
                "must be between 1 and 100",
            ));
        }
        if !(1..=1000).contains(&self.max_staged_per_user) {
            return Err(ConfigError::invalid(
                "attachments.max_staged_per_user",
                "must be between 1 and 1000",
            ));
        }
        if self.staged_for.get() < std::time::Duration::from_secs(60) {
            return Err(ConfigError::invalid(
                "attachments.staged_for",
                "must be at least 1m: uploads need time to be attached",
            ));
        }
        match (self.store, &self.s3) {
            (BlobStoreKind::S3, None) => Err(ConfigError::invalid(
                "attachments.s3",
                "store = \"s3\" needs an [attachments.s3] table with at least `bucket`",
            )),
            (BlobStoreKind::S3, Some(s3)) if s3.bucket.trim().is_empty() => Err(
                ConfigError::invalid("attachments.s3.bucket", "must name a bucket"),
            ),
            (BlobStoreKind::S3, Some(s3))
                if s3
                    .endpoint
                    .as_deref()
                    .is_some_and(|e| e.starts_with("http://"))
                    && !s3.allow_http =>
            {
                Err(ConfigError::invalid(
                    "attachments.s3.endpoint",
                    "is plain http: set allow_http = true if that is intended",
                ))
            }
            _ => Ok(()),
        }
    }
}
