//! The service desk's own metrics, through the `metrics` facade into a
//! Prometheus recorder, rendered at `GET /metrics`. Names, labels and
//! buckets are the contract in docs/METRICS.md.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Buckets of `itosm_http_request_duration_seconds` (docs/METRICS.md).
const HTTP_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Buckets of `itosm_event_lag_seconds` (docs/METRICS.md).
const LAG_BUCKETS: [f64; 13] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// What the notifier did with an event for one sink (label `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationOutcome {
    /// An attempt succeeded.
    Delivered,
    /// An attempt failed.
    Failed,
    /// A failed attempt will be tried again after a backoff.
    Retried,
    /// Skipped: the delivery log already has this event for this sink.
    Deduplicated,
    /// The sink gave up and the event went to the dead-letter queue.
    DeadLettered,
}

impl NotificationOutcome {
    fn as_str(self) -> &'static str {
        match self {
            NotificationOutcome::Delivered => "delivered",
            NotificationOutcome::Failed => "failed",
            NotificationOutcome::Retried => "retried",
            NotificationOutcome::Deduplicated => "deduplicated",
            NotificationOutcome::DeadLettered => "dead_lettered",
        }
    }
}

/// The daemon's metrics: a handle on the process's Prometheus recorder.
/// Recording goes through the `metrics` facade, so any part of the daemon
/// (or an integrator's sink) can add its own.
#[derive(Debug, Clone)]
pub struct Metrics {
    handle: Option<PrometheusHandle>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::install()
    }
}

impl Metrics {
    /// The process's recorder, installed on first use. When another
    /// recorder was installed first (an embedding program's), recording
    /// goes there and `/metrics` renders nothing of ours.
    pub fn install() -> Self {
        static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
        let handle = HANDLE.get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("itosm_http_request_duration_seconds".to_owned()),
                    &HTTP_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("itosm_event_lag_seconds".to_owned()),
                        &LAG_BUCKETS,
                    )
                });
            match builder.and_then(PrometheusBuilder::install_recorder) {
                Ok(handle) => Some(handle),
                Err(error) => {
                    tracing::warn!(%error, "metrics recorder not installed; /metrics stays empty");
                    None
                }
            }
        });
        Metrics {
            handle: handle.clone(),
        }
    }

    /// An event the transport confirmed (the relay).
    pub fn event_published(&self) {
        metrics::counter!("itosm_events_published_total").increment(1);
    }

    /// What the notifier did with an event for `sink`.
    pub fn notification(&self, sink: &str, outcome: NotificationOutcome) {
        metrics::counter!(
            "itosm_notifications_total",
            "sink" => sink.to_owned(),
            "outcome" => outcome.as_str(),
        )
        .increment(1);
    }

    /// From an event's commit to its delivery at a sink.
    pub fn event_lag(&self, lag: Duration) {
        metrics::histogram!("itosm_event_lag_seconds").record(lag.as_secs_f64());
    }

    /// An HTTP request answered: `route` is the matched route template
    /// (or `unmatched`), never the raw path.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let method = match method {
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS" => method.to_owned(),
            _ => "OTHER".to_owned(),
        };
        metrics::counter!(
            "itosm_http_requests_total",
            "method" => method.clone(),
            "route" => route.to_owned(),
            "status" => status.to_string(),
        )
        .increment(1);
        metrics::histogram!(
            "itosm_http_request_duration_seconds",
            "method" => method,
            "route" => route.to_owned(),
        )
        .record(took.as_secs_f64());
    }

    /// Prometheus text exposition, with the outbox gauge read from the
    /// store just now (`None` when the store did not answer).
    pub fn render(&self, outbox_pending: Option<u64>) -> String {
        if let Some(pending) = outbox_pending {
            // Precision is irrelevant below 2^53 rows.
            #[allow(clippy::cast_precision_loss)]
            metrics::gauge!("itosm_outbox_pending").set(pending as f64);
        }
        match &self.handle {
            Some(handle) => {
                handle.run_upkeep();
                handle.render()
            }
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_values_are_rendered_with_their_labels() {
        let metrics = Metrics::install();
        metrics.event_published();
        metrics.notification("it-admins", NotificationOutcome::Deduplicated);
        metrics.http_request("BREW", "/graphql", 200, Duration::from_millis(7));
        let text = metrics.render(Some(3));
        assert!(text.contains("itosm_events_published_total"), "{text}");
        assert!(
            text.contains(r#"itosm_notifications_total{sink="it-admins",outcome="deduplicated"}"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"itosm_http_requests_total{method="OTHER",route="/graphql",status="200"}"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"itosm_http_request_duration_seconds_bucket{method="OTHER",route="/graphql",le="0.01"}"#),
            "{text}"
        );
        assert!(text.contains("itosm_outbox_pending 3"), "{text}");
    }
}
