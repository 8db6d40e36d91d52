//! The seed's REST routes, kept for its clients. They call the same
//! services (and so the same policy) as GraphQL.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use itosm_core::policy::Actor;
use itosm_core::{
    CoreError, CreateTicketInput, ErrorCode, RequestType, SoftwareId, TicketFilterInput,
    TicketStatus, TicketView, User,
};
use itosm_graphql::{Caller, ClientAddress};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{ApiError, AppState};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/validate", post(validate))
        .route("/api/tickets", post(create_ticket).get(list_tickets))
        .route("/api/tickets/{ticket_id}", get(get_ticket))
}

pub(super) fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            format!("invalid JSON body: {e}"),
        )
    })
}

async fn actor(state: &AppState, headers: &HeaderMap) -> Result<Actor, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = Caller::from_authorization(&state.itosm, authorization).await;
    Ok(caller.actor().map_err(ApiError::from)?.clone())
}

pub(super) fn user_json(user: &User) -> Value {
    json!({
        "id": user.id.0,
        "username": user.username,
        "employeeId": user.employee_id,
        "isAdmin": user.role == itosm_core::Role::Admin,
        "role": user.role.as_str(),
        "displayName": user.display_name,
        "email": user.email,
    })
}

fn ticket_json(view: &TicketView) -> Value {
    let ticket = &view.ticket;
    json!({
        "id": ticket.id.0,
        "ticketId": ticket.number,
        "userId": ticket.requester.0,
        "username": view.requester.username,
        "requestType": ticket.request_type.as_str(),
        "softwareId": ticket.software.map(|s| s.0),
        "subject": ticket.subject,
        "software": view.software.as_ref().map(itosm_core::Software::label),
        "description": ticket.description,
        "status": ticket.status.as_str(),
        "statusLabel": ticket.status.label(),
        "priority": ticket.priority.as_str(),
        "assignee": view.assignee.as_ref().map(|a| a.username.clone()),
        "createdAt": ticket.created_at,
        "updatedAt": ticket.updated_at,
        "version": ticket.version,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ValidateBody {
    username: String,
    employee_id: String,
}

/// `POST /api/auth/validate`: 200 with the user and a token, or 404.
async fn validate(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: ValidateBody = parse_body(&body)?;
    let address = address.as_ref().map(|Extension(a)| a.0.as_str());
    match state
        .itosm
        .login_from(&body.username, &body.employee_id, address)
        .await
    {
        Ok(session) => {
            let mut user = user_json(&session.user);
            user["token"] = json!(session.token);
            user["expiresAt"] = json!(session.expires_at);
            Ok((StatusCode::OK, Json(user)).into_response())
        }
        // The seed answers 404 for an unknown user or a wrong employee ID.
        Err(CoreError::Unauthenticated(message)) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            message,
        )),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateTicketBody {
    request_type: String,
    #[serde(default)]
    software_id: Option<Value>,
    #[serde(default)]
    subject: Option<String>,
    description: String,
    /// Uploads (`POST /api/attachments`) to attach.
    #[serde(default)]
    attachment_ids: Vec<String>,
}

/// `POST /api/tickets`: 201 with the ticket.
async fn create_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &headers).await?;
    let body: CreateTicketBody = parse_body(&body)?;
    let request_type = RequestType::parse(&body.request_type).ok_or_else(|| {
        ApiError::from(CoreError::bad_input(
            "requestType",
            format!(
                "unknown request type; use one of {}",
                names(RequestType::ALL)
            ),
        ))
    })?;
    let software_id = match body.software_id {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_i64().filter(|n| *n > 0).ok_or_else(bad_software_id)?),
        Some(Value::String(s)) => Some(
            s.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(bad_software_id)?,
        ),
        Some(_) => return Err(bad_software_id()),
    };
    let attachments =
        itosm_core::AttachmentId::parse_list(body.attachment_ids.iter().map(String::as_str))?;
    let view = state
        .itosm
        .create_ticket(
            Some(&actor),
            CreateTicketInput {
                request_type,
                software_id: software_id.map(SoftwareId),
                subject: body.subject,
                description: body.description,
                attachments,
                asset_tags: Vec::new(),
            },
        )
        .await?;
    let location = HeaderValue::from_str(&format!("/api/tickets/{}", view.ticket.number)).ok();
    let mut response = (StatusCode::CREATED, Json(ticket_json(&view))).into_response();
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn bad_software_id() -> ApiError {
    CoreError::bad_input("softwareId", "not a valid id").into()
}

fn names<T: std::fmt::Display>(all: &[T]) -> String {
    all.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    first: Option<i64>,
    after: Option<String>,
    status: Option<String>,
    #[serde(rename = "requestType")]
    request_type: Option<String>,
    mine: Option<bool>,
}

/// `GET /api/tickets`: the caller's tickets (all for staff), newest first; the
/// next page's cursor is in the `X-Next-Cursor` header.
async fn list_tickets(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &headers).await?;
    let Query(query) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput,
            e.body_text(),
        )
    })?;
    let status = match query.status.as_deref() {
        None => None,
        Some(s) => Some(
            TicketStatus::parse(s)
                .ok_or_else(|| ApiError::from(CoreError::bad_input("status", "unknown status")))?,
        ),
    };
    let request_type = match query.request_type.as_deref() {
        None => None,
        Some(s) => Some(RequestType::parse(s).ok_or_else(|| {
            ApiError::from(CoreError::bad_input("requestType", "unknown request type"))
        })?),
    };
    let filter = TicketFilterInput {
        status,
        request_type,
        mine: query.mine.unwrap_or(false),
        ..TicketFilterInput::default()
    };
    let page = state
        .itosm
        .list_tickets(
            Some(&actor),
            filter,
            itosm_core::store::TicketSort::Newest,
            query.first,
            query.after.as_deref(),
        )
        .await?;
    let body: Vec<Value> = page
        .items
        .iter()
        .map(|(_, view)| ticket_json(view))
        .collect();
    let mut response = Json(body).into_response();
    if page.has_next_page
        && let Some(cursor) = page
            .end_cursor()
            .and_then(|c| HeaderValue::from_str(c).ok())
    {
        response.headers_mut().insert("x-next-cursor", cursor);
    }
    Ok(response)
}

/// `GET /api/tickets/{ticketId}`: 200 or 404 (also for tickets not yours).
async fn get_ticket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(ticket_id): Path<String>,
) -> Result<Response, ApiError> {
    let actor = actor(&state, &headers).await?;
    let view = state.itosm.get_ticket(Some(&actor), &ticket_id).await?;
    Ok(Json(ticket_json(&view)).into_response())
}
