//! The portal's browser session: the token in an `HttpOnly` cookie, so a new
//! tab or an emailed link is still logged in and no script (an XSS payload
//! included) can read it.
//!
//! - `POST /api/session` with `Authorization: Bearer <token>` checks the
//!   token exactly as any request is checked and answers `Set-Cookie:
//!   itosm_session=<token>` for the token's remaining lifetime;
//!   `DELETE /api/session` clears it.
//! - `/graphql` accepts the cookie only when the request has no
//!   `Authorization` header and carries `X-Itosm-Csrf` (a header a cross-site
//!   form or `<img>` cannot send); `/graphql/ws` accepts it only when the
//!   upgrade's `Origin` is this server's own.
//!
//! The cookie is only a place to keep the bearer token: every request it
//! comes with is authorized as a fresh bearer request (expiry, deactivation,
//! token generations).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use itosm_core::{CoreError, ErrorCode};
use itosm_graphql::Caller;
use serde_json::json;

use super::{ApiError, AppState};

/// The session cookie's name.
pub const COOKIE: &str = "itosm_session";

/// The header that must come with a cookie-authenticated `/graphql` request.
/// Browsers let a cross-site page send only "simple" headers without a CORS
/// preflight (which this server never grants), so its presence shows the
/// request came from a page of this origin.
pub const CSRF_HEADER: &str = "x-itosm-csrf";

/// Longest cookie value read: tokens are far shorter.
const MAX_COOKIE_CHARS: usize = 2048;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/session", post(open).delete(close))
}

/// The `itosm_session` cookie of a request, if it sent one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|value| !value.is_empty() && value.len() <= MAX_COOKIE_CHARS)
        .map(str::to_owned)
}

/// The `Authorization` value a `/graphql` request runs with: its own header
/// when it has one (API clients; the cookie is then ignored), else its
/// session cookie if the request also carries [`CSRF_HEADER`]. A cookie
/// without that header is refused with a 403 rather than ignored, so a
/// client that forgot it learns why.
pub(crate) fn graphql_authorization(headers: &HeaderMap) -> Result<Option<String>, Refused> {
    request_authorization(headers, true)
}

/// The `Authorization` value a request runs with: its own header when it
/// has one, else its session cookie — which, when `csrf_required` (any
/// request that changes something), counts only beside [`CSRF_HEADER`].
pub(crate) fn request_authorization(
    headers: &HeaderMap,
    csrf_required: bool,
) -> Result<Option<String>, Refused> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        return Ok(value.to_str().ok().map(str::to_owned));
    }
    let Some(token) = session_cookie(headers) else {
        return Ok(None);
    };
    let proven = headers
        .get(CSRF_HEADER)
        .is_some_and(|v| !v.as_bytes().trim_ascii().is_empty());
    if csrf_required && !proven {
        return Err(Refused::CsrfHeaderMissing);
    }
    Ok(Some(format!("Bearer {token}")))
}

/// Why a request may not use the session cookie it sent (answered 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// A `/graphql` request with the cookie but without [`CSRF_HEADER`].
    CsrfHeaderMissing,
    /// A WebSocket upgrade with the cookie from another origin.
    CrossOriginWebSocket,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            // Shaped like a GraphQL answer, for GraphQL clients.
            Refused::CsrfHeaderMissing => (
                StatusCode::FORBIDDEN,
                Json(json!({
                    "data": null,
                    "errors": [{
                        "message": "a request authenticated by the session cookie must carry the header \
                                    `X-Itosm-Csrf: 1`; API clients send `Authorization: Bearer <token>` instead",
                        "extensions": { "code": "FORBIDDEN", "reason": "CSRF_HEADER_MISSING" }
                    }]
                })),
            )
                .into_response(),
            Refused::CrossOriginWebSocket => ApiError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                "a WebSocket from another origin may not use the session cookie; \
                 send the token in connection_init instead",
            )
            .into_response(),
        }
    }
}

/// The session cookie a WebSocket upgrade may use: refused (403) when the
/// upgrade comes from another origin, since browsers send cookies on
/// cross-origin WebSockets (and SameSite does not tell ports apart) and a
/// WebSocket has no preflight. A client that sends no `Origin` is not a
/// browser, so no other site can be speaking through it.
pub(crate) fn websocket_cookie(headers: &HeaderMap) -> Result<Option<String>, Refused> {
    let Some(token) = session_cookie(headers) else {
        return Ok(None);
    };
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(Some(token));
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same_origin = match (origin.to_str().ok().and_then(origin_authority), host) {
        (Some(origin), Some(host)) => origin.eq_ignore_ascii_case(host.trim()),
        _ => false,
    };
    if same_origin {
        Ok(Some(token))
    } else {
        Err(Refused::CrossOriginWebSocket)
    }
}

/// `host[:port]` of an `Origin` value (`http://127.0.0.1:8080`).
fn origin_authority(origin: &str) -> Option<&str> {
    let (scheme, rest) = origin.trim().split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains('/') {
        return None;
    }
    Some(rest)
}

/// Whether the browser reached us over plain http at a loopback address
/// (`http://127.0.0.1:8080`, `http://localhost:8080`): the one case where
/// the cookie goes without `Secure`. Chromium keeps a `Secure` cookie on
/// loopback http, but not every browser has (WebKit long dropped them),
/// and loopback traffic never leaves the machine. Anything a proxy says
/// came over https keeps `Secure`.
pub(super) fn plain_http_to_loopback(headers: &HeaderMap) -> bool {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
        || headers
            .get(header::FORWARDED)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("proto=https"));
    if forwarded_https {
        return false;
    }
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = host.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(ip, _)| ip)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn cookie_header(
    value: &str,
    max_age_seconds: i64,
    headers: &HeaderMap,
) -> Option<HeaderValue> {
    let secure = if plain_http_to_loopback(headers) {
        ""
    } else {
        "; Secure"
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_seconds}{secure}"
    ))
    .ok()
}

/// `POST /api/session`: turns the bearer token of a login into the
/// session cookie. 200 with who is logged in; 401 when the token is missing
/// or refused.
async fn open(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if authorization.is_none() {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "send the token of a login as `Authorization: Bearer <token>`",
        )
        .into_response();
    }
    let caller = Caller::from_authorization(&state.itosm, authorization).await;
    let caller_name = super::caller_name(&caller);
    let mut response = session_response(&state, &caller, &headers);
    response.extensions_mut().insert(caller_name);
    response
}

fn session_response(state: &AppState, caller: &Caller, headers: &HeaderMap) -> Response {
    let Caller::Authenticated { actor, token } = caller else {
        let error = match caller.actor() {
            Err(error) => error,
            Ok(_) => CoreError::Unauthenticated("invalid token".to_owned()),
        };
        return ApiError::from(error).into_response();
    };
    // Checked just now, so it has time left; one that expired in between
    // gets a cookie that is gone at once.
    let remaining = state
        .itosm
        .token_remaining(token)
        .map_or(0, |d| d.num_seconds().max(0));
    let Some(cookie) = cookie_header(token, remaining, headers) else {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthenticated,
            "invalid token",
        )
        .into_response();
    };
    let expires_at = chrono::Utc::now() + chrono::Duration::seconds(remaining);
    let mut response = Json(json!({
        "user": super::rest::user_json(&actor.user),
        "expiresAt": expires_at,
    }))
    .into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// `DELETE /api/session`: forgets the cookie (logging out of this browser).
/// The token itself stays valid until it expires; `logoutEverywhere` ends
/// every token at once.
async fn close(headers: HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Some(cookie) = cookie_header("", 0, &headers) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; itosm_session=v2.k.b.s; z=2")]);
        assert_eq!(session_cookie(&h).as_deref(), Some("v2.k.b.s"));
        assert_eq!(
            session_cookie(&headers(&[("cookie", "itosm_session=")])),
            None
        );
        assert_eq!(session_cookie(&headers(&[("cookie", "other=1")])), None);
    }

    #[test]
    fn loopback_over_plain_http_is_the_only_insecure_case() {
        for host in [
            "127.0.0.1:8080",
            "localhost:3000",
            "[::1]:8080",
            "127.0.0.1",
        ] {
            assert!(
                plain_http_to_loopback(&headers(&[("host", host)])),
                "{host}"
            );
        }
        for host in ["itosm.example.com", "10.0.0.5:8080", "example.com:443"] {
            assert!(
                !plain_http_to_loopback(&headers(&[("host", host)])),
                "{host}"
            );
        }
        assert!(!plain_http_to_loopback(&headers(&[
            ("host", "127.0.0.1:8080"),
            ("x-forwarded-proto", "https")
        ])));
    }

    #[test]
    fn origins_are_compared_with_the_host() {
        assert_eq!(
            origin_authority("http://127.0.0.1:8080"),
            Some("127.0.0.1:8080")
        );
        assert_eq!(origin_authority("null"), None);
        assert_eq!(origin_authority("file:///x"), None);
        let same = headers(&[
            ("cookie", "itosm_session=t"),
            ("origin", "http://127.0.0.1:8080"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert_eq!(websocket_cookie(&same).ok().flatten().as_deref(), Some("t"));
        let other = headers(&[
            ("cookie", "itosm_session=t"),
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:8080"),
        ]);
        assert!(websocket_cookie(&other).is_err());
    }
}
