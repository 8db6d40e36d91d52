//! A local webhook receiver for tests: answers with a scripted list of
//! statuses (the last one repeats), optionally after a delay, and records
//! every request's event id.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// The receiver's shared state.
#[derive(Clone, Default)]
pub struct Receiver {
    /// Event ids of the requests answered 2xx, in order.
    pub delivered: Arc<Mutex<Vec<String>>>,
    /// Every request's event id, whatever the answer.
    pub seen: Arc<Mutex<Vec<String>>>,
    /// Every request's body, whatever the answer.
    pub bodies: Arc<Mutex<Vec<String>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
    delay: Arc<Mutex<Duration>>,
    /// `http://127.0.0.1:PORT/hook`
    pub url: String,
}

async fn hook(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    receiver
        .bodies
        .lock()
        .unwrap()
        .push(String::from_utf8_lossy(&body).into_owned());
    let id = headers
        .get("x-itosm-event-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    receiver.seen.lock().unwrap().push(id.clone());
    let delay = *receiver.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = {
        let mut statuses = receiver.statuses.lock().unwrap();
        if statuses.len() > 1 {
            statuses.remove(0)
        } else {
            statuses[0]
        }
    };
    if (200..300).contains(&status) {
        receiver.delivered.lock().unwrap().push(id);
    }
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    /// Starts a receiver answering `statuses` at `/hook`.
    pub async fn start(statuses: &[u16]) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            statuses: Arc::new(Mutex::new(statuses.to_vec())),
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            ..Receiver::default()
        };
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    /// From now on, answer `status`.
    pub fn answer(&self, status: u16) {
        *self.statuses.lock().unwrap() = vec![status];
    }

    /// Waits this long before answering each request.
    pub fn delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    /// Event ids delivered so far.
    pub fn delivered(&self) -> Vec<String> {
        self.delivered.lock().unwrap().clone()
    }

    /// Waits (bounded) until a request's body contains `text`; that body.
    /// (Only `examples/tests/custom_sink.rs` uses it.)
    #[allow(dead_code)]
    pub async fn wait_body_containing(&self, text: &str, seconds: u64) -> String {
        for _ in 0..seconds * 10 {
            let found = self
                .bodies
                .lock()
                .unwrap()
                .iter()
                .find(|b| b.contains(text))
                .cloned();
            if let Some(body) = found {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no request to the receiver contained {text:?} after {seconds}s; it got {:?}",
            self.bodies.lock().unwrap()
        );
    }

    /// Waits (bounded) until `n` distinct events were delivered.
    pub async fn wait_distinct(&self, n: usize, seconds: u64) -> Vec<String> {
        for _ in 0..seconds * 10 {
            let delivered = self.delivered();
            let distinct: std::collections::HashSet<&String> = delivered.iter().collect();
            if distinct.len() >= n {
                return delivered;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let delivered = self.delivered();
        panic!(
            "the receiver got {} distinct events of {n} after {seconds}s ({} requests)",
            delivered
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len(),
            self.seen.lock().unwrap().len()
        );
    }
}

/// A webhook sink section for `url`.
pub fn webhook_sink(name: &str, url: &str) -> String {
    format!(
        "[[notifications.sinks]]\nkind = \"webhook\"\nname = \"{name}\"\nurl = \"{url}\"\nsecret = \"webhook-secret-0123456789\"\ntimeout = \"2s\"\n\n"
    )
}
