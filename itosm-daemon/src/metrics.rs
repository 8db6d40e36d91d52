//! A few Prometheus counters, rendered by hand at `GET /metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonically increasing counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The daemon's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Events confirmed by the transport.
    pub events_published: Counter,
    /// Notifications delivered by sinks.
    pub notifications_delivered: Counter,
    /// Notification attempts that failed.
    pub notifications_failed: Counter,
    /// Notifications skipped because already delivered.
    pub notifications_deduplicated: Counter,
    /// HTTP requests answered.
    pub http_requests: Counter,
}

impl Metrics {
    /// Prometheus text exposition, with `outbox_unsent` from the store.
    pub fn render(&self, outbox_unsent: Option<u64>) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            ));
        };
        counter(
            "itosm_events_published_total",
            "Events confirmed by the transport.",
            self.events_published.get(),
        );
        counter(
            "itosm_notifications_delivered_total",
            "Notifications delivered by sinks.",
            self.notifications_delivered.get(),
        );
        counter(
            "itosm_notifications_failed_total",
            "Failed notification attempts.",
            self.notifications_failed.get(),
        );
        counter(
            "itosm_notifications_deduplicated_total",
            "Notifications skipped as already delivered.",
            self.notifications_deduplicated.get(),
        );
        counter(
            "itosm_http_requests_total",
            "HTTP requests answered.",
            self.http_requests.get(),
        );
        if let Some(unsent) = outbox_unsent {
            out.push_str(&format!(
                "# HELP itosm_outbox_unsent Outbox rows not yet published.\n# TYPE itosm_outbox_unsent gauge\nitosm_outbox_unsent {unsent}\n"
            ));
        }
        out
    }
}
