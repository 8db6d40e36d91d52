//! Observing every HTTP request: metrics and the access log.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use itosm_core::Itosm;
use itosm_graphql::ClientAddress;

use super::CallerName;
use crate::metrics::Metrics;

/// Every request, whatever answers it (REST, GraphQL, a WebSocket upgrade,
/// health, the portal): counted and timed by route template and status
/// (`itosm_http_requests_total`, `itosm_http_request_duration_seconds`),
/// and one log line with method, route, status, latency, caller, address.
pub(super) async fn observe(
    itosm: Arc<Itosm>,
    metrics: Arc<Metrics>,
    request: Request,
    next: Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    // The log names the path; metrics only the route template, so a
    // path a client makes up cannot mint a new time series.
    let route = matched
        .clone()
        .unwrap_or_else(|| request.uri().path().to_owned());
    let address = request
        .extensions()
        .get::<ClientAddress>()
        .map(|a| a.0.clone());
    // Routes that do not resolve the caller themselves: name the token's
    // subject if its signature is ours (no database round trip).
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("Bearer ").trim().to_owned());
    let response = next.run(request).await;
    let caller = match response.extensions().get::<CallerName>() {
        Some(name) => name.0.clone(),
        None => match bearer.as_deref().map(|t| itosm.token_subject(t)) {
            Some(Some(id)) => format!("user#{}", id.0),
            Some(None) => "refused-token".to_owned(),
            None => "anonymous".to_owned(),
        },
    };
    let status = response.status().as_u16();
    let took = started.elapsed();
    metrics.http_request(
        method.as_str(),
        matched.as_deref().unwrap_or("unmatched"),
        status,
        took,
    );
    let latency_ms = took.as_secs_f64() * 1000.0;
    tracing::info!(
        target: "itosm::access",
        %method,
        %route,
        status,
        latency_ms = %format!("{latency_ms:.1}"),
        %caller,
        address = %address.as_deref().unwrap_or("-"),
        "request"
    );
    response
}
