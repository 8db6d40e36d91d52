//! Liveness, readiness and metrics.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use super::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Ready when the database answers and, with the rabbitmq transport, the
/// broker is connected; not ready once shutdown began.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    // Shutting down: the load balancer stops sending while in-flight
    // requests finish.
    if state.draining.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({ "status": "shutting down" })),
        );
    }
    // Bounded: a database behind a silent partition never answers.
    let ping = tokio::time::timeout(std::time::Duration::from_secs(2), state.store.ping());
    let database = match ping.await {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: database");
            false
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within 2s");
            false
        }
    };
    let broker = state.broker.as_ref().map(|health| health.is_up());
    let ready = database && broker.unwrap_or(true);
    let word = |up: bool| if up { "ok" } else { "unavailable" };
    let body = json!({
        "status": if ready { "ready" } else { "not ready" },
        "database": word(database),
        "broker": broker.map(word).unwrap_or("in-process"),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let unsent = state.store.count_unsent_outbox().await.ok();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(unsent),
    )
}
