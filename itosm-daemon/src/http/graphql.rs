//! GraphQL over HTTP and WebSocket, both through the same [`Gate`]: bounds
//! checked before parsing, and every operation run as the caller its
//! credentials name at that moment.

use std::time::Duration;

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Extension;
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use itosm_graphql::{Caller, CallerKey, CallerPermit, ClientAddress, ConnectionCredentials, Gate};

use super::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/graphql", get(super::graphiql::page).post(graphql))
        .route("/graphql/ws", get(graphql_ws))
}

/// The open-connection slot of one WebSocket, released when it closes.
struct ConnectionSlot {
    _permit: CallerPermit,
}

async fn graphql(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let authorization = match super::session::graphql_authorization(&headers) {
        Ok(authorization) => authorization,
        Err(refused) => return refused.into_response(),
    };
    let caller = Caller::from_authorization(&state.itosm, authorization.as_deref()).await;
    let mut request = request.into_inner();
    let address = address.map(|Extension(a)| a);
    if let Some(address) = &address {
        request = request.data(address.clone());
    }
    let caller_name = super::caller_name(&caller);
    let response = state
        .gate
        .execute_http(request, caller, address.as_ref().map(|a| a.0.as_str()))
        .await;
    let mut response = GraphQLResponse::from(response).into_response();
    // Answers carry tokens and personal data: never cache them.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.extensions_mut().insert(caller_name);
    response
}

/// GraphQL over graphql-transport-ws (and the legacy graphql-ws). Browsers
/// cannot set headers on a WebSocket, so the token travels in the
/// `connection_init` payload as `token` or `Authorization`; without one, the
/// session cookie of a same-origin upgrade counts. The connection keeps only
/// that credential: each operation sent on it is authorized as a fresh
/// request would be (see [`Gate`]).
async fn graphql_ws(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let cookie = match super::session::websocket_cookie(&headers) {
        Ok(cookie) => cookie,
        Err(refused) => return refused.into_response(),
    };
    let gate: Gate = state.gate.clone();
    let itosm = state.itosm.clone();
    let connections = state.connections.clone();
    let max_connections = state.limits.max_connections_per_user;
    let draining = state.draining.clone();
    upgrade
        .max_message_size(state.limits.max_message_bytes)
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            super::drain::serve_until_drained(socket, draining, move |sink, stream| {
                GraphQLWebSocket::new_with_pair(sink, stream, gate, protocol)
                    .keepalive_timeout(Duration::from_secs(30))
                    .on_connection_init(move |payload| async move {
                        let authorization = ["token", "Authorization", "authorization"]
                            .iter()
                            .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
                            .map(str::to_owned)
                            .or_else(|| cookie.map(|token| format!("Bearer {token}")));
                        let address = address.map(|Extension(a)| a);
                        let caller = Caller::from_authorization(&itosm, authorization.as_deref()).await;
                        match &caller {
                            Caller::Refused(reason) => {
                                return Err(async_graphql::Error::new(reason.clone()));
                            }
                            Caller::Unavailable(detail) => {
                                tracing::warn!(error = %detail, "WebSocket refused: cannot check its token");
                                return Err(async_graphql::Error::new(
                                    "service temporarily unavailable, try again",
                                ));
                            }
                            Caller::Anonymous | Caller::Authenticated { .. } => {}
                        }
                        let key = CallerKey::of(&caller, address.as_ref().map(|a| a.0.as_str()));
                        let slot = connections.try_enter(key, max_connections).map_err(|_| {
                            async_graphql::Error::new(format!(
                                "too many open connections (at most {max_connections} per user); close some first"
                            ))
                        })?;
                        let mut data = Data::default();
                        data.insert(ConnectionCredentials { authorization });
                        data.insert(Gate::connection_operations());
                        data.insert(ConnectionSlot { _permit: slot });
                        if let Some(address) = address {
                            data.insert(address);
                        }
                        Ok(data)
                    })
                    .serve()
            })
        })
        .into_response()
}
