//! REST errors: one JSON shape, one status per code. Internal and
//! unavailable errors are logged and answered without detail.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use itosm_core::{CoreError, ErrorCode};
use serde_json::json;

/// An error answered by a REST route.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code, e.g. `BAD_USER_INPUT`.
    pub code: ErrorCode,
    /// A message safe to show.
    pub message: String,
    /// Seconds to wait before retrying (`Retry-After`), when rate limited.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// A client error with its own status.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        let code = error.code();
        // UNAUTHENTICATED → 401, FORBIDDEN → 403, BAD_USER_INPUT → 400,
        // NOT_FOUND → 404, CONFLICT → 409, UNAVAILABLE → 503, INTERNAL → 500,
        // RATE_LIMITED → 429.
        let status = match code {
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        };
        if matches!(code, ErrorCode::Internal | ErrorCode::Unavailable) {
            tracing::error!(%error, "request failed");
        }
        let retry_after = match &error {
            CoreError::RateLimited {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            _ => None,
        };
        ApiError {
            status,
            code,
            message: error.public_message(),
            retry_after,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({ "error": { "code": self.code.as_str(), "message": self.message } })),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
