//! The error every service answers with, and its stable code.

use crate::store::StoreError;

/// Stable, machine-readable error codes shared by every surface
/// (GraphQL `extensions.code`, REST bodies, CLI exit messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No valid credentials or token.
    Unauthenticated,
    /// Authenticated, but the policy refuses the action.
    Forbidden,
    /// The caller's input is wrong; nothing was changed.
    BadUserInput,
    /// The thing asked for does not exist (or is not the caller's to see).
    NotFound,
    /// A concurrent change or uniqueness clash; retry with fresh data.
    Conflict,
    /// A dependency (database, broker) is down; nothing was changed.
    Unavailable,
    /// A bug or unexpected state on our side.
    Internal,
    /// Too many attempts (logins); wait and try again.
    RateLimited,
}

impl ErrorCode {
    /// The code as it appears on the wire, e.g. `BAD_USER_INPUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::RateLimited => "RATE_LIMITED",
        }
    }
}

/// An error from an itosm service, with a message safe to show the caller.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// See [`ErrorCode::Unauthenticated`].
    #[error("{0}")]
    Unauthenticated(String),
    /// See [`ErrorCode::Forbidden`].
    #[error("{0}")]
    Forbidden(String),
    /// See [`ErrorCode::BadUserInput`]; `field` names the offending input.
    #[error("{field}: {message}")]
    BadUserInput {
        /// The input field at fault, e.g. `description`.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// See [`ErrorCode::NotFound`].
    #[error("{0}")]
    NotFound(String),
    /// See [`ErrorCode::Conflict`].
    #[error("{0}")]
    Conflict(String),
    /// See [`ErrorCode::Unavailable`].
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// See [`ErrorCode::Internal`]. The detail is for logs, not for callers.
    #[error("internal error: {0}")]
    Internal(String),
    /// See [`ErrorCode::RateLimited`].
    #[error("too many requests: try again in {retry_after_seconds} s")]
    RateLimited {
        /// Seconds until the next attempt may be made.
        retry_after_seconds: u64,
    },
}

impl CoreError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::Unauthenticated(_) => ErrorCode::Unauthenticated,
            CoreError::Forbidden(_) => ErrorCode::Forbidden,
            CoreError::BadUserInput { .. } => ErrorCode::BadUserInput,
            CoreError::NotFound(_) => ErrorCode::NotFound,
            CoreError::Conflict(_) => ErrorCode::Conflict,
            CoreError::Unavailable(_) => ErrorCode::Unavailable,
            CoreError::Internal(_) => ErrorCode::Internal,
            CoreError::RateLimited { .. } => ErrorCode::RateLimited,
        }
    }

    /// The message to show a client: internal details are never exposed.
    pub fn public_message(&self) -> String {
        match self {
            CoreError::Internal(_) => "internal error".to_owned(),
            CoreError::Unavailable(_) => "service temporarily unavailable, try again".to_owned(),
            other => other.to_string(),
        }
    }

    /// Shorthand for a [`CoreError::BadUserInput`].
    pub fn bad_input(field: &'static str, message: impl Into<String>) -> Self {
        CoreError::BadUserInput {
            field,
            message: message.into(),
        }
    }
}

impl From<StoreError> for CoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(m) => CoreError::Unavailable(m),
            StoreError::Conflict(m) => CoreError::Conflict(m),
            StoreError::Internal(m) => CoreError::Internal(m),
        }
    }
}
