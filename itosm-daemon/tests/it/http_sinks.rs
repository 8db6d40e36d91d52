//! The webhook and SMS sinks against a real local HTTP server: request
//! shape, authentication and signature; 5xx retried, 4xx not.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::App;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

/// One request the test server received.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// A local HTTP server answering with a scripted list of statuses (the last
/// one repeats) and recording every request.
#[derive(Clone)]
struct Server {
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
    base: String,
}

async fn record(State(server): State<Server>, headers: HeaderMap, body: Bytes) -> StatusCode {
    server
        .received
        .lock()
        .unwrap()
        .push(Received { headers, body });
    let mut statuses = server.statuses.lock().unwrap();
    let status = if statuses.len() > 1 {
        statuses.remove(0)
    } else {
        statuses[0]
    };
    StatusCode::from_u16(status).unwrap()
}

impl Server {
    async fn start(path: &str, statuses: &[u16]) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = Server {
            received: Arc::default(),
            statuses: Arc::new(Mutex::new(statuses.to_vec())),
            base,
        };
        let app = Router::new()
            .route(path, post(record))
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        server
    }

    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..100 {
            let received = self.received.lock().unwrap().clone();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the server got {} requests, expected {n}",
            self.received.lock().unwrap().len()
        );
    }
}

async fn daemon_with(sinks: &str) -> App {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("itosm.toml");
    std::fs::write(
        &config,
        format!("[notifications]\nmax_attempts = 3\nretry_backoff = \"50ms\"\n\n{sinks}"),
    )
    .unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let config = config.display().to_string();
    App::launch(dir, url, None, &["serve", "--config", &config], &[], true).await
}

async fn create(app: &App, description: &str) -> String {
    let token = app.login("john.doe", "EMP123").await;
    let (status, body) = app
        .rest_post(Some(&token), "/api/tickets", json!({ "requestType": "SOFTWARE_INSTALL", "softwareId": 1, "description": description }))
        .await;
    assert_eq!(status, 201, "{body}");
    body["ticketId"].as_str().unwrap().to_owned()
}

const SECRET: &str = "webhook-secret-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_is_signed_carries_the_event_id_and_retries_5xx() {
    let server = Server::start("/hook", &[503, 200]).await;
    let app = daemon_with(&format!(
        "[[notifications.sinks]]\nkind = \"webhook\"\nname = \"ops\"\nurl = \"{}/hook\"\nsecret = \"{SECRET}\"\n",
        server.base
    ))
    .await;
    let number = create(&app, "Install AutoCAD").await;
    let received = server.wait_for(2).await;
    // Once the delivery log has settled (DELIVERED), nothing more is sent.
    let admin = app.login("admin.user", "ADMIN01").await;
    let log = app
        .settled_notifications(&admin, &number, "sink recipient status attempts eventId")
        .await;
    assert_eq!(
        server.received.lock().unwrap().len(),
        2,
        "one retry after the 503, none after the 200"
    );

    let request = &received[1];
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["ticket"]["number"], number.as_str());
    assert_eq!(body["type"], "ticket.created");
    assert_eq!(
        request.headers["x-itosm-event-id"].to_str().unwrap(),
        body["event_id"].as_str().unwrap()
    );
    assert_eq!(request.headers["content-type"], "application/json");
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&request.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        request.headers["x-itosm-signature"].to_str().unwrap(),
        format!("sha256={expected}"),
        "the signature verifies with the secret"
    );
    assert_eq!(
        received[0].headers["x-itosm-event-id"], received[1].headers["x-itosm-event-id"],
        "a retry is the same event"
    );

    // The delivery log says what the server saw: one delivery, two attempts.
    let rows = log["data"]["ticket"]["notifications"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), 1, "{log}");
    assert_eq!(rows[0]["sink"], "ops");
    assert_eq!(rows[0]["recipient"], format!("{}/hook", server.base));
    assert_eq!(rows[0]["status"], "DELIVERED");
    assert_eq!(rows[0]["attempts"], 2);
    assert_eq!(rows[0]["eventId"], body["event_id"]);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4xx_from_the_webhook_is_permanent() {
    let server = Server::start("/hook", &[400]).await;
    let app = daemon_with(&format!(
        "[[notifications.sinks]]\nkind = \"webhook\"\nname = \"ops\"\nurl = \"{}/hook\"\nsecret = \"{SECRET}\"\n",
        server.base
    ))
    .await;
    let number = create(&app, "Install Revit").await;
    server.wait_for(1).await;
    // Settled (FAILED, not PENDING): no retry is coming.
    let admin = app.login("admin.user", "ADMIN01").await;
    let log = app
        .settled_notifications(&admin, &number, "status attempts")
        .await;
    assert_eq!(
        log["data"]["ticket"]["notifications"][0]["status"], "FAILED",
        "{log}"
    );
    assert_eq!(
        server.received.lock().unwrap().len(),
        1,
        "no retry after a 400"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_speaks_the_twilio_messages_shape() {
    let server = Server::start("/2010-04-01/Accounts/AC123/Messages.json", &[201]).await;
    let app = daemon_with(&format!(
        "[[notifications.sinks]]\nkind = \"sms\"\nname = \"on-call\"\nbase_url = \"{}\"\naccount_sid = \"AC123\"\nauth_token = \"tok\"\nfrom = \"+15005550006\"\nto = [\"+919876543210\", \"+919876543211\"]\n",
        server.base
    ))
    .await;
    let long = format!(
        "Please install AutoCAD\r\nBcc: evil@example.com {}",
        "x".repeat(300)
    );
    let number = create(&app, &long).await;
    let received = server.wait_for(2).await;
    let mut to = Vec::new();
    for request in &received {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("AC123:tok")
        );
        assert_eq!(request.headers["authorization"].to_str().unwrap(), expected);
        assert!(
            request.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/x-www-form-urlencoded")
        );
        let form: std::collections::HashMap<String, String> = url_form(&request.body);
        assert_eq!(form["From"], "+15005550006");
        let body = &form["Body"];
        assert!(body.starts_with(&format!("New Ticket: {number}")), "{body}");
        assert!(
            body.chars().count() <= 160,
            "{} chars",
            body.chars().count()
        );
        assert!(
            !body.contains('\r') && !body.contains('\n'),
            "no control characters reach the gateway"
        );
        to.push(form["To"].clone());
    }
    to.sort();
    assert_eq!(
        to,
        ["+919876543210", "+919876543211"],
        "one message per on-call number"
    );
    app.stop().await;
}

fn url_form(body: &[u8]) -> std::collections::HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(value: &str) -> String {
    let bytes = value.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// In-process too, a webhook that is down for a while gets every event once
/// it is back, with no operator: retried with backoff from the delivery log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_down_for_a_while_gets_every_event_in_process() {
    use crate::support::receiver::{Receiver, webhook_sink};
    use itosm_testkit::proxy::{ChaosProxy, ProxyMode};
    let receiver = Receiver::start(&[200]).await;
    let (proxy, url) = ChaosProxy::for_url(&receiver.url).await;
    proxy.set(ProxyMode::Down);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("itosm.toml");
    std::fs::write(
        &config,
        format!(
            "[notifications]\nretry_backoff = \"100ms\"\nmax_retry_delay = \"500ms\"\n\n{}",
            webhook_sink("ops", &url)
        ),
    )
    .unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let config = config.display().to_string();
    let app = App::launch(dir, db, None, &["serve", "--config", &config], &[], true).await;
    let mut numbers = Vec::new();
    for i in 0..4 {
        numbers.push(create(&app, &format!("outage {i}")).await);
    }
    let admin = app.login("admin.user", "ADMIN01").await;
    // Retrying, shown as PENDING with the last error.
    let mut shown = serde_json::Value::Null;
    for _ in 0..100 {
        shown = app
            .graphql(&admin, "query($n: String!) { ticket(number: $n) { notifications { status attempts lastError } } }", json!({ "n": numbers[0] }))
            .await;
        if shown["data"]["ticket"]["notifications"][0]["attempts"]
            .as_i64()
            .is_some_and(|a| a >= 2)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        shown["data"]["ticket"]["notifications"][0]["status"], "PENDING",
        "{shown}"
    );
    assert!(shown["data"]["ticket"]["notifications"][0]["lastError"].is_string());
    proxy.set(ProxyMode::Forward);
    let delivered = receiver.wait_distinct(4, 30).await;
    assert_eq!(delivered.len(), 4, "each event once: {delivered:?}");
    let log = app
        .settled_notifications(&admin, &numbers[3], "status")
        .await;
    assert_eq!(
        log["data"]["ticket"]["notifications"][0]["status"], "DELIVERED",
        "{log}"
    );
    app.stop().await;
}
