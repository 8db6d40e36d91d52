//! The agent API under `/api/agent/`: enrolment with a one-time token, and
//! inventory, heartbeats and problem reports authenticated by the agent's
//! own credential (never a user's token), checked against the store on
//! every request. Bodies are bounded before they are read, and every
//! payload is checked against the protocol's bounds before it is stored.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use itosm_core::agent_protocol::{
    self as protocol, EnrollRequest, EnrollResponse, HeartbeatRequest, InventoryRequest,
    ReportRequest, ReportResponse,
};
use itosm_core::{AgentSession, CoreError};
use tower_http::limit::RequestBodyLimitLayer;

use super::rest::parse_body;
use super::{ApiError, AppState, CallerName};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(protocol::ENROLL_PATH, post(enroll))
        .route(protocol::INVENTORY_PATH, post(inventory))
        .route(protocol::HEARTBEAT_PATH, post(heartbeat))
        .route(protocol::REPORT_PATH, post(report))
        .layer(DefaultBodyLimit::max(protocol::limits::MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(protocol::limits::MAX_BODY_BYTES))
}

async fn session(state: &AppState, headers: &HeaderMap) -> Result<AgentSession, ApiError> {
    let credential = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .trim();
    Ok(state.itosm.authenticate_agent(credential).await?)
}

fn named(mut response: Response, session: &AgentSession) -> Response {
    response
        .extensions_mut()
        .insert(CallerName(format!("agent:{}", session.agent.id)));
    response
}

async fn enroll(State(state): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let request: EnrollRequest = parse_body(&body)?;
    let enrolled = state
        .itosm
        .enroll_agent(&request.token, &request.hints, &request.inventory)
        .await?;
    let answer = EnrollResponse {
        agent_id: enrolled.agent.id.to_string(),
        credential: enrolled.credential,
        asset_tag: enrolled.asset.tag.clone(),
        matched_existing: enrolled.matched.is_some(),
        settings: state.itosm.config().agents.settings(),
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

async fn inventory(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let session = session(&state, &headers).await?;
    let request: InventoryRequest = parse_body(&body)?;
    let asset = state
        .itosm
        .agent_inventory(&session, &request.inventory)
        .await?;
    tracing::debug!(agent_id = %session.agent.id, asset = %asset.tag, "inventory received");
    let settings = state.itosm.config().agents.settings();
    Ok(named(Json(settings).into_response(), &session))
}

async fn heartbeat(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let session = session(&state, &headers).await?;
    let request: HeartbeatRequest = parse_body(&body)?;
    let beat = state.itosm.agent_heartbeat(&session, request.sample)?;
    let queue = state
        .heartbeats
        .as_ref()
        .ok_or_else(|| CoreError::Unavailable("this process takes no heartbeats".to_owned()))?;
    queue.push(beat)?;
    let settings = state.itosm.config().agents.settings();
    Ok(named(
        (StatusCode::ACCEPTED, Json(settings)).into_response(),
        &session,
    ))
}

async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let session = session(&state, &headers).await?;
    let request: ReportRequest = parse_body(&body)?;
    let view = state
        .itosm
        .agent_report(&session, &request.description)
        .await?;
    let answer = ReportResponse {
        number: view.ticket.number.to_string(),
    };
    Ok(named(
        (StatusCode::CREATED, Json(answer)).into_response(),
        &session,
    ))
}
