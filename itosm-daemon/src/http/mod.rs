//! The HTTP surface, on one port: GraphQL (+ GraphiQL, graphql-ws), the
//! seed's REST routes, health, metrics and the portal's static files.

mod drain;
mod error;
mod graphql;
mod health;
mod rest;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse};
use itosm_core::Itosm;
use itosm_core::store::Store;
use itosm_graphql::{ClientAddress, ItosmSchema};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::Running;
use crate::metrics::Metrics;

pub use error::ApiError;

/// Puts the client's address into the request's extensions (for login
/// throttling): the socket peer, or, when `http.trust_forwarded_for` is set,
/// the last `X-Forwarded-For` entry — the one our own proxy added, which a
/// client cannot forge.
async fn client_address(
    trust_forwarded_for: bool,
    mut request: Request,
    next: Next,
) -> axum::response::Response {
    let forwarded = trust_forwarded_for
        .then(|| {
            request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|v| !v.is_empty())
                .and_then(|v| v.parse::<std::net::IpAddr>().ok())
        })
        .flatten();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(ip) = forwarded.or(peer) {
        request
            .extensions_mut()
            .insert(ClientAddress(ip.to_string()));
    }
    next.run(request).await
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The services.
    pub itosm: Arc<Itosm>,
    /// The GraphQL schema.
    pub schema: ItosmSchema,
    /// The store (for readiness and metrics).
    pub store: Arc<dyn Store>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Broker health, with the rabbitmq transport.
    pub broker: Option<Arc<crate::transport::rabbitmq::BrokerHealth>>,
    /// Fires when the daemon starts shutting down.
    pub draining: tokio_util::sync::CancellationToken,
}

/// The whole router.
pub fn router(running: &Running) -> Router {
    let state = AppState {
        itosm: Arc::clone(&running.itosm),
        schema: running.schema.clone(),
        store: running.store.clone(),
        metrics: Arc::clone(&running.metrics),
        broker: running.broker.clone(),
        draining: running.draining_token(),
    };
    let config = &running.config;
    let api = Router::new()
        .merge(graphql::router())
        .merge(rest::router())
        .merge(health::router())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.duration("http.request_timeout"),
        ));
    let index = config.portal.dir.join("index.html");
    let app = if index.is_file() {
        // The portal is a single-page app: unknown paths get index.html.
        api.fallback_service(ServeDir::new(&config.portal.dir).fallback(ServeFile::new(index)))
    } else {
        tracing::warn!(dir = %config.portal.dir.display(), "portal not built; serving a placeholder at /");
        api.fallback(portal_missing)
    };
    let trust_forwarded_for = config.http.trust_forwarded_for;
    app.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| client_address(trust_forwarded_for, request, next),
    ))
    .layer(DefaultBodyLimit::max(config.http.max_body_bytes))
    .layer(RequestBodyLimitLayer::new(config.http.max_body_bytes))
    .layer(TraceLayer::new_for_http())
    .with_state(state)
}

async fn portal_missing() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html><title>itosm</title><h1>itosm is running</h1>\
             <p>The portal is not built. Run <code>scripts/run</code>, or \
             <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>.</p>\
             <p>GraphQL: <a href=\"/graphql\">/graphql</a></p>",
        ),
    )
}
