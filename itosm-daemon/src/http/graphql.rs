//! GraphQL over HTTP and WebSocket.

use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::Extension;
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use itosm_graphql::{Caller, ClientAddress};

use super::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/graphql", get(graphiql).post(graphql))
        .route("/graphql/ws", get(graphql_ws))
}

async fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

async fn graphql(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> GraphQLResponse {
    state.metrics.http_requests.inc();
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = Caller::from_authorization(&state.itosm, authorization).await;
    let mut request = request.into_inner().data(caller);
    if let Some(Extension(address)) = address {
        request = request.data(address);
    }
    state.schema.execute(request).await.into()
}

/// Subscriptions over graphql-transport-ws (and the legacy graphql-ws).
/// Browsers cannot set headers on a WebSocket, so the token travels in the
/// `connection_init` payload as `token` or `Authorization`.
async fn graphql_ws(
    State(state): State<AppState>,
    address: Option<Extension<ClientAddress>>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema.clone();
    let itosm = state.itosm.clone();
    let draining = state.draining.clone();
    upgrade
        .max_message_size(64 * 1024)
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            super::drain::serve_until_drained(socket, draining, move |sink, stream| {
                GraphQLWebSocket::new_with_pair(sink, stream, schema, protocol)
                    .keepalive_timeout(Duration::from_secs(30))
                    .on_connection_init(move |payload| async move {
                        let token = ["token", "Authorization", "authorization"]
                            .iter()
                            .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
                            .map(str::to_owned);
                        let caller = Caller::from_authorization(&itosm, token.as_deref()).await;
                        if let Caller::Refused(reason) = &caller {
                            return Err(async_graphql::Error::new(reason.clone()));
                        }
                        let mut data = Data::default();
                        data.insert(caller);
                        if let Some(Extension(address)) = address {
                            data.insert(address);
                        }
                        Ok(data)
                    })
                    .serve()
            })
        })
        .into_response()
}
