//! The client of the daemon's agent API (`/api/agent/…`): JSON over
//! HTTPS, the credential as a bearer token, and answers sorted into what
//! the caller must do about them.

use std::time::Duration;

use itosm_agent_protocol::ErrorBody;
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long one request may take; a hung server must not stall the
/// heartbeat loop forever.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No answer: DNS, connection, TLS or timeout. Worth retrying.
    #[error("cannot reach the server: {}", error_chain(.0))]
    Transport(#[source] reqwest::Error),
    /// The server failed (5xx) or asked to slow down (429). Worth retrying.
    #[error("server error {status}: {code}: {message}")]
    Unavailable {
        /// The HTTP status.
        status: u16,
        /// The error code, or the HTTP reason when the body had none.
        code: String,
        /// The message.
        message: String,
    },
    /// 401: the credential (or, at enrolment, the token) is not accepted.
    #[error("{code}: {message}")]
    Unauthenticated {
        /// The error code, normally `UNAUTHENTICATED`.
        code: String,
        /// The message.
        message: String,
    },
    /// Any other refusal (4xx), e.g. `BAD_USER_INPUT`: retrying the same
    /// request would be refused again.
    #[error("refused ({status}): {code}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
    /// A success whose body is not what the protocol says.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

/// reqwest's own message hides the cause ("error sending request"); the
/// cause ("connection refused", "certificate expired") is what an operator
/// can act on.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

impl ApiError {
    /// Whether the same request may succeed later (outages heal).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Transport(_) | Self::Unavailable { .. } | Self::Decode(_)
        )
    }
}

/// A connection to one itosm server.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    server: String,
    credential: Option<String>,
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server URL is not `http(s)://…`.
    #[error("the server URL must start with https:// (or http://), got {0:?}")]
    BadUrl(String),
    /// The HTTP stack could not start (e.g. no TLS roots).
    #[error("cannot set up HTTP: {0}")]
    Http(#[from] reqwest::Error),
}

impl Client {
    /// A client of `server` (its base URL), authenticated with
    /// `credential` once enrolled.
    pub fn new(server: &str, credential: Option<String>) -> Result<Self, ClientError> {
        let server = server.trim().trim_end_matches('/').to_owned();
        if !(server.starts_with("https://") || server.starts_with("http://")) {
            return Err(ClientError::BadUrl(server));
        }
        let http = reqwest::Client::builder()
            .user_agent(crate::USER_AGENT)
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .build()?;
        Ok(Self {
            http,
            server,
            credential,
        })
    }

    /// The base URL, normalised.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// POSTs `body` as JSON to `path` and reads the answer.
    pub async fn post<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, ApiError> {
        let mut request = self.http.post(format!("{}{path}", self.server)).json(body);
        if let Some(credential) = &self.credential {
            request = request.bearer_auth(credential);
        }
        let response = request.send().await.map_err(ApiError::Transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(ApiError::Transport)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| ApiError::Decode(e.to_string()));
        }
        Err(classify(status, &bytes))
    }
}

/// Sorts a refusal by what the agent must do about it.
pub fn classify(status: StatusCode, body: &[u8]) -> ApiError {
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(body) => (body.error.code, body.error.message),
        Err(_) => (
            status.canonical_reason().unwrap_or("ERROR").to_owned(),
            // A proxy's HTML error page is not worth more than a line.
            itosm_agent_protocol::fit_text(&String::from_utf8_lossy(body), 200),
        ),
    };
    let status_code = status.as_u16();
    if status == StatusCode::UNAUTHORIZED {
        ApiError::Unauthenticated { code, message }
    } else if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        ApiError::Unavailable {
            status: status_code,
            code,
            message,
        }
    } else {
        ApiError::Refused {
            status: status_code,
            code,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_sorted_by_what_to_do() {
        let body = br#"{"error":{"code":"UNAUTHENTICATED","message":"unknown agent"}}"#;
        let error = classify(StatusCode::UNAUTHORIZED, body);
        assert!(
            matches!(&error, ApiError::Unauthenticated { code, .. } if code == "UNAUTHENTICATED")
        );
        assert!(!error.is_transient());
        let bad = br#"{"error":{"code":"BAD_USER_INPUT","message":"inventory.disks: at most 64 entries"}}"#;
        let error = classify(StatusCode::BAD_REQUEST, bad);
        assert!(matches!(&error, ApiError::Refused { code, .. } if code == "BAD_USER_INPUT"));
        assert!(!error.is_transient());
        let error = classify(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert!(
            matches!(&error, ApiError::Unavailable { status: 502, code, .. } if code == "Bad Gateway")
        );
        assert!(error.is_transient());
        assert!(classify(StatusCode::TOO_MANY_REQUESTS, b"").is_transient());
    }

    #[test]
    fn server_urls_are_checked_and_normalised() -> Result<(), ClientError> {
        assert!(matches!(
            Client::new("itosm.example.org", None),
            Err(ClientError::BadUrl(_))
        ));
        let client = Client::new(" https://itosm.example.org/ ", None)?;
        assert_eq!(client.server(), "https://itosm.example.org");
        Ok(())
    }
}
