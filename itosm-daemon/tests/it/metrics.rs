//! `/metrics` through the real binary: every route is counted and timed by
//! its template (REST, GraphQL, WebSocket upgrades, health, unmatched
//! paths), and the relay's and notifier's work shows, with the names and
//! labels of docs/METRICS.md.
use std::time::Duration;

use crate::support::{App, Backend};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_is_counted_and_timed_by_its_template() {
    let app = App::spawn(Backend::Sqlite).await;
    let john = app.login("john.doe", "EMP123").await;
    let number = app.create_ticket(&john, "metrics please").await;
    let _ = app.wait_for_console(&number).await;
    let (status, _) = app.rest_get(&john, &format!("/api/tickets/{number}")).await;
    assert_eq!(status, 200);
    let (status, _) = app.rest_get(&john, "/api/tickets/INC-2026-9999").await;
    assert_eq!(status, 404);
    let (status, _) = app.rest_get_raw("/healthz").await;
    assert_eq!(status, 200);
    let (status, _) = app.rest_get_raw("/no/such/path/4711").await;
    assert!(status == 200 || status == 404, "{status}");
    let _socket = app.ws_session(Some(&john)).await;

    let mut text = String::new();
    for _ in 0..50 {
        text = app.rest_get_raw("/metrics").await.1;
        if text.contains(r#"outcome="delivered""#) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for expected in [
        r#"itosm_http_requests_total{method="POST",route="/graphql",status="200"}"#,
        r#"itosm_http_requests_total{method="GET",route="/api/tickets/{ticket_id}",status="200"}"#,
        r#"itosm_http_requests_total{method="GET",route="/api/tickets/{ticket_id}",status="404"}"#,
        r#"itosm_http_requests_total{method="GET",route="/healthz",status="200"}"#,
        r#"itosm_http_requests_total{method="GET",route="/graphql/ws",status="101"}"#,
        r#"route="unmatched""#,
        r#"itosm_http_request_duration_seconds_bucket{method="POST",route="/graphql",le="0.005"}"#,
        "itosm_events_published_total",
        r#"itosm_notifications_total{sink="console",outcome="delivered"}"#,
        "itosm_event_lag_seconds_bucket",
        "itosm_outbox_pending",
    ] {
        assert!(text.contains(expected), "missing {expected} in:\n{text}");
    }
    // Raw paths never become label values.
    assert!(!text.contains("4711"), "{text}");
    assert!(!text.contains(&number), "{text}");
    app.stop().await;
}
