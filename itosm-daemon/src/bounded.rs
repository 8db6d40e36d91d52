//! Store calls with a bound on their wait.
//!
//! A database behind a silent partition answers nothing and no socket
//! error says so; the database driver would wait for hours. The relay and
//! the notifier give every store call [`STORE_TIMEOUT`]; past it the call
//! counts as failed and is retried (a claim that did commit is taken again
//! when its lease runs out).

use std::time::Duration;

use itosm_core::store::StoreError;

/// Longest a background store call may take.
pub const STORE_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs a store call with [`STORE_TIMEOUT`].
pub async fn bounded<T>(
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(STORE_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| {
            Err(StoreError::Unavailable(format!(
                "no answer from the database within {STORE_TIMEOUT:?}"
            )))
        })
}
