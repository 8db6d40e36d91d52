//! The HTTP surface, on one port: GraphQL (+ GraphiQL, graphql-ws), the
//! seed's REST routes, health, metrics and the portal's static files.

mod agent;
mod attachments;
mod drain;
mod error;
mod graphiql;
mod graphql;
mod health;
mod observe;
pub mod oidc;
mod rest;
mod session;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse};
use itosm_core::Itosm;
use itosm_core::store::Store;
use itosm_graphql::{Caller, CallerBudgets, ClientAddress, Gate, GateLimits};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::timeout::TimeoutLayer;

use crate::app::Running;
use crate::metrics::Metrics;

pub use error::ApiError;
pub use session::{COOKIE as SESSION_COOKIE, CSRF_HEADER};

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

/// Per-caller bounds at the HTTP edge.
#[derive(Debug, Clone, Copy)]
pub struct EdgeLimits {
    /// WebSocket connections one user (or anonymous address) may hold open.
    pub max_connections_per_user: usize,
    /// Largest WebSocket message, as large as the largest request body.
    pub max_message_bytes: usize,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The services.
    pub itosm: Arc<Itosm>,
    /// The GraphQL schema behind its gate.
    pub gate: Gate,
    /// Open WebSocket connections per caller.
    pub connections: Arc<CallerBudgets>,
    /// Uploads in flight per caller.
    pub uploads: Arc<CallerBudgets>,
    /// Per-caller bounds.
    pub limits: EdgeLimits,
    /// The store (for readiness and metrics).
    pub store: Arc<dyn Store>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Broker health, with the rabbitmq transport.
    pub broker: Option<Arc<crate::transport::rabbitmq::BrokerHealth>>,
    /// Fires when the daemon starts shutting down.
    pub draining: tokio_util::sync::CancellationToken,
    /// Single sign-on, when `auth.methods` has `oidc`.
    pub oidc: Option<Arc<oidc::Oidc>>,
    /// Where agents' heartbeats are queued.
    pub heartbeats: Option<crate::agents::HeartbeatQueue>,
}

/// The whole router.
pub fn router(running: &Running) -> Router {
    let config = &running.config;
    // Validated at load to 1KiB..16MiB.
    let body_limit = usize::try_from(config.http.max_body_bytes.get()).unwrap_or(usize::MAX);
    let gate = Gate::new(
        running.schema.clone(),
        Arc::clone(&running.itosm),
        GateLimits {
            max_nesting: config.graphql.max_nesting,
            max_operations_per_connection: config.graphql.max_operations_per_connection,
            max_concurrent_per_caller: config.graphql.max_concurrent_per_caller,
        },
    );
    let state = AppState {
        itosm: Arc::clone(&running.itosm),
        gate,
        connections: Arc::new(CallerBudgets::default()),
        uploads: Arc::new(CallerBudgets::default()),
        limits: EdgeLimits {
            max_connections_per_user: config.graphql.max_connections_per_user,
            max_message_bytes: body_limit,
        },
        store: running.store.clone(),
        metrics: Arc::clone(&running.metrics),
        broker: running.broker.clone(),
        draining: running.draining_token(),
        oidc: running.oidc.clone(),
        heartbeats: running.heartbeats.clone(),
    };
    let api = Router::new()
        .merge(graphql::router())
        .merge(graphiql::router())
        .merge(rest::router())
        .merge(session::router())
        .merge(oidc::router())
        .merge(health::router())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.http.request_timeout.get(),
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        // Attachments carry their own, larger body bound and timeout; the
        // agent API its own bound (an inventory is larger than a request).
        .merge(attachments::router(config.attachments.upload_timeout.get()))
        .merge(agent::router().layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.http.request_timeout.get(),
        )));
    let index = config.portal.dir.join("index.html");
    let app = if index.is_file() {
        // The portal is a single-page app: unknown paths get index.html.
        api.fallback_service(ServeDir::new(&config.portal.dir).fallback(ServeFile::new(index)))
    } else {
        tracing::warn!(dir = %config.portal.dir.display(), "portal not built; serving a placeholder at /");
        api.fallback(portal_missing)
    };
    let trust_forwarded_for = config.http.trust_forwarded_for;
    let itosm = Arc::clone(&running.itosm);
    let metrics = Arc::clone(&running.metrics);
    app.layer(axum::middleware::from_fn(security_headers))
        .layer(axum::middleware::from_fn(close_after_unread_body))
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                observe::observe(Arc::clone(&itosm), Arc::clone(&metrics), request, next)
            },
        ))
        .layer(axum::middleware::from_fn(
            move |request: Request, next: Next| client_address(trust_forwarded_for, request, next),
        ))
        .with_state(state)
}

/// Who made a request, as the access log names him (set by handlers that
/// resolved the caller).
#[derive(Debug, Clone)]
pub struct CallerName(pub String);

/// The access log's name for `caller`.
pub(crate) fn caller_name(caller: &Caller) -> CallerName {
    CallerName(match caller {
        Caller::Authenticated { actor, .. } => actor.user.username.to_string(),
        Caller::Anonymous => "anonymous".to_owned(),
        Caller::Refused(_) => "refused-token".to_owned(),
        Caller::Unavailable(_) => "unchecked".to_owned(),
    })
}

/// The browser-facing hardening every answer carries: no sniffing, no
/// framing, no referrer, scripts only from this origin (the portal and
/// GraphiQL ship no inline script), and nothing of the API cached.
/// A body refused unread (413) leaves the connection mid-request: say
/// `Connection: close`, so the client opens a fresh one for its next
/// request instead of reusing one the server is about to drop.
async fn close_after_unread_body(request: Request, next: Next) -> axum::response::Response {
    let mut response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

async fn security_headers(request: Request, next: Next) -> axum::response::Response {
    let api = {
        let path = request.uri().path();
        path.starts_with("/api/") || path == "/graphql" && request.method() == Method::POST
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // A route with a stricter policy of its own (downloads) keeps it.
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Scripts, styles, fonts and connections from this origin only; inline
/// styles allowed (React and GraphiQL set them), inline scripts never.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
    connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

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
