//! Attachment bytes over HTTP: `POST /api/attachments` stages an upload,
//! `DELETE /api/attachments/{id}` discards one's own unused upload, and
//! `GET /api/tickets/{number}/attachments/{id}` downloads a ticket's file.
//! Each goes through the services, so the ticket's policy decides; the
//! body bound is `attachments.max_bytes`, checked before reading.

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use itosm_core::policy::Actor;
use itosm_core::{Attachment, AttachmentId, CoreError, ErrorCode};
use itosm_graphql::{Caller, CallerKey};
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, AppState};

/// Uploads one user may have in flight at once: each holds up to
/// `attachments.max_bytes` in memory.
const MAX_UPLOADS_PER_CALLER: usize = 3;

/// The attachment routes, with their own body bound and timeout (uploads
/// are larger and slower than API requests).
pub(super) fn router(upload_timeout: std::time::Duration) -> Router<AppState> {
    Router::new()
        .route("/api/attachments", post(upload))
        .route("/api/attachments/{id}", delete(discard))
        .route("/api/tickets/{number}/attachments/{id}", get(download))
        // The upload checks `attachments.max_bytes` itself (the declared
        // length before reading, the bytes while reading), answering a
        // 413 with its code; only the upload reads a body.
        .layer(DefaultBodyLimit::disable())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            upload_timeout,
        ))
}

/// The caller of an attachment request: the `Authorization` header, or
/// the session cookie — with the CSRF header on anything but a download.
async fn actor(state: &AppState, headers: &HeaderMap, safe: bool) -> Result<Actor, ApiError> {
    // The refusal is answered in this API's REST shape, not GraphQL's.
    let authorization = super::session::request_authorization(headers, !safe).map_err(|_| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "a request authenticated by the session cookie must carry the header \
             `X-Itosm-Csrf: 1`",
        )
    })?;
    let caller = Caller::from_authorization(&state.itosm, authorization.as_deref()).await;
    Ok(caller.actor().map_err(ApiError::from)?.clone())
}

fn attachment_json(attachment: &Attachment) -> serde_json::Value {
    json!({
        "id": attachment.id.to_string(),
        "filename": attachment.filename,
        "contentType": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "createdAt": attachment.created_at,
    })
}

fn parse_id(raw: &str) -> Result<AttachmentId, ApiError> {
    AttachmentId::parse(raw)
        .ok_or_else(|| ApiError::from(CoreError::NotFound(format!("no attachment {raw:?}"))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    filename: String,
}

/// `POST /api/attachments?filename=NAME` with the file as the raw body:
/// 201 with the staged upload's id, to name in `createTicket` or
/// `addComment`. 413 when it is over `attachments.max_bytes`.
async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &headers, false).await?;
    let Query(query) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            format!("filename: give the file's name as ?filename=… ({e})"),
        )
    })?;
    let max_bytes = state.itosm.config().attachments.max_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BadUserInput,
            format!("file: at most {max_bytes} bytes are allowed"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_bytes) {
        return Err(too_large());
    }
    let key = CallerKey::User(actor.user.id.0);
    let _slot = state
        .uploads
        .try_enter(key, MAX_UPLOADS_PER_CALLER)
        .map_err(ApiError::from)?;
    let limit = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let attachment = state
        .itosm
        .upload_attachment(Some(&actor), &query.filename, bytes.to_vec())
        .await?;
    Ok((StatusCode::CREATED, Json(attachment_json(&attachment))).into_response())
}

/// `DELETE /api/attachments/{id}`: 204 once the caller's unused upload is
/// gone; 404 when there is no such upload of his.
async fn discard(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &headers, false).await?;
    let id = parse_id(&id)?;
    let discarded = state.itosm.discard_attachments(Some(&actor), &[id]).await?;
    if discarded == 0 {
        return Err(
            CoreError::NotFound(format!("no upload {id} of yours waiting to be attached")).into(),
        );
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/tickets/{number}/attachments/{id}`: the file, always as a
/// download (`Content-Disposition: attachment`), sandboxed and never
/// sniffed by the browser, typed as sniffed at upload — except markup and
/// scripts, served as opaque bytes.
async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((number, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &headers, true).await?;
    let id = parse_id(&id)?;
    let (attachment, bytes) = state
        .itosm
        .download_attachment(Some(&actor), &number, id)
        .await?;
    let mut response = Response::new(Body::from(bytes));
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(served_type(&attachment.content_type))
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(disposition) = HeaderValue::from_str(&content_disposition(&attachment.filename)) {
        out.insert(header::CONTENT_DISPOSITION, disposition);
    }
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    tracing::debug!(ticket = %number, attachment = %attachment.id, "attachment downloaded");
    Ok(response)
}

/// The type a download is served as: what was sniffed, unless a browser
/// could run it (markup, scripts), which go out as opaque bytes.
fn served_type(sniffed: &str) -> &str {
    let lower = sniffed.to_ascii_lowercase();
    let active = ["html", "xml", "javascript", "ecmascript", "svg"]
        .iter()
        .any(|kind| lower.contains(kind));
    if active {
        "application/octet-stream"
    } else {
        sniffed
    }
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`
/// (RFC 6266): an ASCII fallback with quotes and controls replaced, and
/// the exact name for clients that read `filename*`.
fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in filename.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_name_the_file_safely() {
        assert_eq!(
            content_disposition("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            content_disposition("größe \"x\".txt"),
            "attachment; filename=\"gr__e _x_.txt\"; filename*=UTF-8''gr%C3%B6%C3%9Fe%20%22x%22.txt"
        );
    }

    #[test]
    fn markup_is_never_served_as_markup() {
        assert_eq!(served_type("image/png"), "image/png");
        assert_eq!(
            served_type("text/plain; charset=utf-8"),
            "text/plain; charset=utf-8"
        );
        for active in [
            "text/html",
            "application/xhtml+xml",
            "image/svg+xml",
            "text/xml",
        ] {
            assert_eq!(served_type(active), "application/octet-stream");
        }
    }
}
