//! The contract integrators in other languages build on, checked against
//! the real thing: `docs/events.schema.json` matches `EventType` and the
//! domain's enums, and validates every kind of message a real daemon
//! publishes to a real RabbitMQ; the Python consumer in docs/EVENTS.md
//! processes each event once; webhooks are signed the Standard Webhooks way
//! and verify with either secret during a rotation, in Rust, with the
//! documented Python function and with the reference `standardwebhooks`
//! library; tampered, foreign and stale deliveries are refused; and the docs
//! show exactly the code that is tested.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::App;
use crate::support::broker::Broker;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use itosm_core::event::{
    CommentSnapshot, EventEnvelope, EventType, SCHEMA_VERSION, TicketSnapshot,
};
use itosm_core::{Priority, RequestType, TicketStatus};
use itosm_daemon::sinks::webhook::{self, VerifyError, WebhookSecret};
use lapin::options::{
    BasicGetOptions, BasicPublishOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel};
use serde_json::{Value, json};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(repo().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn schema() -> Value {
    serde_json::from_str(&read("docs/events.schema.json")).expect("the schema is JSON")
}

/// The published schema, with `format` (uuid, date-time) checked too.
fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema())
        .expect("the schema compiles")
}

/// Why `instance` does not match the schema (empty: it does).
fn violations(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value) {
    let errors = violations(validator, instance);
    assert!(
        errors.is_empty(),
        "{instance:#}\ndoes not match docs/events.schema.json:\n{}",
        errors.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The schema against the code
// ---------------------------------------------------------------------------

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{value} is not an array"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

#[test]
fn the_schema_has_one_definition_per_event_type_and_the_domains_enums() {
    let schema = schema();
    jsonschema::meta::validate(&schema).expect("a valid draft 2020-12 schema");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let defs = &schema["$defs"];
    let mut in_schema = BTreeSet::new();
    for branch in schema["oneOf"].as_array().expect("oneOf on type") {
        let name = branch["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .expect("each branch refers to a definition");
        let definition = &defs[name];
        assert_eq!(definition["properties"]["type"]["const"], name);
        assert_eq!(definition["additionalProperties"], false, "{name}");
        let required = strings(&definition["required"]);
        let about_ticket = name.starts_with("ticket.");
        for field in ["event_id", "type", "occurred_at", "schema_version", "actor"] {
            assert!(required.contains(field), "{name} requires {field}");
        }
        // A ticket event carries the ticket and the seed's fields; a device
        // event carries the asset and none of those.
        for field in ["ticket", "ticketId", "username", "requestType"] {
            assert_eq!(required.contains(field), about_ticket, "{name} and {field}");
            assert_eq!(
                definition["properties"].get(field).is_some(),
                about_ticket,
                "{name} and {field}"
            );
        }
        assert_eq!(
            required.contains("asset"),
            !about_ticket,
            "{name} and asset"
        );
        assert_eq!(
            required.contains("comment"),
            name == EventType::TicketCommented.as_str(),
            "only ticket.commented carries (and requires) a comment"
        );
        assert!(in_schema.insert(name.to_owned()), "{name} twice");
    }
    let in_code: BTreeSet<String> = EventType::ALL
        .iter()
        .map(|t| t.as_str().to_owned())
        .collect();
    assert_eq!(
        in_schema, in_code,
        "docs/events.schema.json must define exactly the event types of EventType"
    );

    let wire = |all: &[&str]| all.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(
        strings(&defs["status"]["enum"]),
        wire(
            &TicketStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(
        strings(&defs["priority"]["enum"]),
        wire(&Priority::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>())
    );
    assert_eq!(
        strings(&defs["request_type"]["enum"]),
        wire(
            &RequestType::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
        )
    );
    assert_eq!(defs["schema_version"]["const"], SCHEMA_VERSION);
    assert_eq!(defs["event_id"]["format"], "uuid");
    assert_eq!(defs["occurred_at"]["format"], "date-time");
    // Strict where the envelope is ours, and the policy said out loud.
    for object in ["ticket", "comment", "asset"] {
        assert_eq!(defs[object]["additionalProperties"], false, "{object}");
    }
    let description = schema["description"].as_str().unwrap_or_default();
    for words in ["ignore fields", "schema_version", "additive", "breaking"] {
        assert!(
            description.contains(words),
            "the description says {words:?}"
        );
    }
}

fn snapshot(full: bool) -> TicketSnapshot {
    let now = Utc::now();
    TicketSnapshot {
        number: "INC-2026-0042".into(),
        subject: String::new(),
        requester: "john.doe".into(),
        requester_name: "John Doe".into(),
        requester_email: full.then(|| "john.doe@example.com".into()),
        request_type: if full {
            RequestType::SoftwareInstall
        } else {
            RequestType::Other
        },
        software: full.then(|| "Autodesk AutoCAD 2025".into()),
        description: "Please install AutoCAD".into(),
        status: TicketStatus::InProgress,
        priority: Priority::High,
        assignee: full.then(|| "admin.user".into()),
        assignee_email: full.then(|| "admin@example.com".into()),
        created_at: now,
        updated_at: now,
        version: 3,
        first_response_due_at: full.then_some(now),
        resolution_due_at: full.then_some(now),
    }
}

/// An envelope of `event_type` as the core builds it.
fn sample(event_type: EventType, full: bool) -> Value {
    if event_type == EventType::AssetHealthChanged {
        let event = EventEnvelope::about_asset(
            event_type,
            uuid::Uuid::new_v4(),
            Utc::now(),
            None,
            itosm_core::event::AssetSnapshot {
                tag: "PC-000042".into(),
                name: "Jane's laptop".into(),
                hostname: full.then(|| "pc-jane".into()),
                kind: itosm_core::AssetKind::Laptop,
                status: itosm_core::AssetStatus::InUse,
                owner: full.then(|| "jane.smith".into()),
                owner_email: full.then(|| "jane.smith@example.com".into()),
                health: itosm_core::AssetHealth::Down,
                previous_health: itosm_core::AssetHealth::Up,
                health_reason: full.then(|| "no heartbeat since 09:00".into()),
                last_seen_at: full.then(Utc::now),
            },
        );
        return serde_json::from_str(&event.to_json()).expect("JSON");
    }
    let mut event = EventEnvelope::new(
        event_type,
        uuid::Uuid::new_v4(),
        Utc::now(),
        None,
        snapshot(full),
    );
    if full {
        event.actor = Some("admin.user".into());
    }
    if event_type == EventType::TicketCommented {
        event.comment = Some(CommentSnapshot {
            id: 7,
            author: "admin.user".into(),
            author_name: "Admin".into(),
            body: "Licence ordered".into(),
            internal: !full,
        });
    }
    serde_json::from_str(&event.to_json()).expect("JSON")
}

#[test]
fn a_serialized_envelope_of_every_type_validates_and_drift_does_not() {
    let validator = validator();
    for event_type in EventType::ALL {
        for full in [true, false] {
            assert_valid(&validator, &sample(*event_type, full));
        }
    }

    let created = sample(EventType::TicketCreated, true);
    let commented = sample(EventType::TicketCommented, true);
    let drifted: Vec<(&str, Value)> = vec![
        ("an unknown top-level field", {
            let mut e = created.clone();
            e["extra"] = json!(1);
            e
        }),
        ("an unknown ticket field", {
            let mut e = created.clone();
            e["ticket"]["sla"] = json!("soon");
            e
        }),
        ("a missing event_id", {
            let mut e = created.clone();
            e.as_object_mut().unwrap().remove("event_id");
            e
        }),
        ("an event_id that is no UUID", {
            let mut e = created.clone();
            e["event_id"] = json!("evt-1");
            e
        }),
        ("an occurred_at that is no date-time", {
            let mut e = created.clone();
            e["occurred_at"] = json!("yesterday");
            e
        }),
        ("an unknown status", {
            let mut e = created.clone();
            e["ticket"]["status"] = json!("Start");
            e
        }),
        ("an unknown event type", {
            let mut e = created.clone();
            e["type"] = json!("ticket.exploded");
            e
        }),
        ("another schema_version", {
            let mut e = created.clone();
            e["schema_version"] = json!(2);
            e
        }),
        ("a seed field with the wrong type", {
            let mut e = created.clone();
            e["requestType"] = json!("install");
            e
        }),
        ("a comment on ticket.created", {
            let mut e = created.clone();
            e["comment"] = commented["comment"].clone();
            e
        }),
        ("ticket.commented without its comment", {
            let mut e = commented.clone();
            e.as_object_mut().unwrap().remove("comment");
            e
        }),
        ("a version that is a string", {
            let mut e = created.clone();
            e["ticket"]["version"] = json!("3");
            e
        }),
    ];
    for (what, event) in drifted {
        assert!(
            !violations(&validator, &event).is_empty(),
            "the schema accepts {what}"
        );
    }
}

// ---------------------------------------------------------------------------
// Real messages from the broker
// ---------------------------------------------------------------------------

async fn serve_rabbitmq(broker: &Broker, roles: &str) -> App {
    let db = itosm_testkit::TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("itosm.toml");
    std::fs::write(&config, broker.config("")).unwrap();
    let config = config.display().to_string();
    App::launch(
        dir,
        db.url.clone(),
        Some(db),
        &["serve", "--config", &config, "--roles", roles],
        &[],
        true,
    )
    .await
}

/// Creates a ticket over the seed's REST route; its number.
async fn create(app: &App, user: (&str, &str), body: Value) -> String {
    let token = app.login(user.0, user.1).await;
    let (status, created) = app.rest_post(Some(&token), "/api/tickets", body).await;
    assert_eq!(status, 201, "{created}");
    created["ticketId"].as_str().unwrap().to_owned()
}

/// Runs a GraphQL mutation that must succeed; its `data`.
async fn mutate(app: &App, token: &str, query: &str, variables: Value) -> Value {
    let answer = app.graphql(token, query, variables).await;
    assert!(answer["errors"].is_null(), "{query}: {answer}");
    answer["data"].clone()
}

/// Declares an exclusive queue bound to the exchange with `#`: every
/// message, whatever its routing key.
async fn bind_everything(broker: &Broker, channel: &Channel) -> String {
    let queue = channel
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("declare");
    channel
        .queue_bind(
            queue.name().clone(),
            broker.exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("bind");
    queue.name().as_str().to_owned()
}

/// One message as a consumer sees it.
struct Received {
    routing_key: String,
    message_id: Option<String>,
    content_type: Option<String>,
    body: Value,
}

/// Takes `n` messages from `queue` (bounded wait), in order.
async fn take(channel: &Channel, queue: &str, n: usize) -> Vec<Received> {
    let mut received = Vec::new();
    for _ in 0..300 {
        while let Some(message) = channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
            .expect("basic_get")
        {
            let delivery = message.delivery;
            received.push(Received {
                routing_key: delivery.routing_key.as_str().to_owned(),
                message_id: delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|s| s.as_str().to_owned()),
                content_type: delivery
                    .properties
                    .content_type()
                    .as_ref()
                    .map(|s| s.as_str().to_owned()),
                body: serde_json::from_slice(&delivery.data).expect("a JSON body"),
            });
        }
        if received.len() >= n {
            return received;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} of {n} messages arrived within 30s", received.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_message_the_broker_carries_matches_the_schema() {
    let broker = Broker::new("contract").await;
    let (connection, channel) = broker.channel().await;
    // No notifier: the events are left in notification_queue for cleanup.
    let app = serve_rabbitmq(&broker, "api,relay").await;
    let everything = bind_everything(&broker, &channel).await;

    let install = create(
        &app,
        ("john.doe", "EMP123"),
        json!({ "requestType": "SOFTWARE_INSTALL", "softwareId": 1, "description": "Please install AutoCAD" }),
    )
    .await;
    let admin = app.login("admin.user", "ADMIN01").await;
    let john = app.login("john.doe", "EMP123").await;
    let admin_id = app.graphql(&admin, "{ me { id } }", json!({})).await["data"]["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let n = json!(install);
    mutate(
        &app,
        &admin,
        "mutation($n: String!) { changeStatus(number: $n, status: IN_PROGRESS, note: \"on it\", version: 1) { version } }",
        json!({ "n": n }),
    )
    .await;
    mutate(
        &app,
        &admin,
        "mutation($n: String!, $a: ID) { assignTicket(number: $n, assigneeId: $a, version: 2) { version } }",
        json!({ "n": n, "a": admin_id }),
    )
    .await;
    mutate(
        &app,
        &admin,
        "mutation($n: String!) { changePriority(number: $n, priority: HIGH, version: 3) { version } }",
        json!({ "n": n }),
    )
    .await;
    mutate(
        &app,
        &john,
        "mutation($n: String!) { addComment(number: $n, body: \"Any news?\") { id } }",
        json!({ "n": n }),
    )
    .await;
    mutate(
        &app,
        &admin,
        "mutation($n: String!) { addComment(number: $n, body: \"Licence ordered\", internal: true) { id } }",
        json!({ "n": n }),
    )
    .await;
    mutate(
        &app,
        &admin,
        "mutation($n: String!) { assignTicket(number: $n, assigneeId: null, version: 4) { version } }",
        json!({ "n": n }),
    )
    .await;
    // No software, no assignee, no email: the nulls validate too.
    let other = create(
        &app,
        ("jane.smith", "EMP124"),
        json!({ "requestType": "OTHER", "description": "My chair squeaks" }),
    )
    .await;

    // A device's first heartbeat: UNKNOWN → UP, through the same outbox.
    let token = app
        .graphql(
            &admin,
            "mutation { createEnrollmentToken { token } }",
            json!({}),
        )
        .await["data"]["createEnrollmentToken"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let inventory = json!({ "hostname": "pc-1", "os": { "name": "Debian", "version": "12", "kernel": "6.1" },
        "cpu": { "model": "x", "cores": 4 }, "memory_bytes": 8589934592u64 });
    let (status, enrolled) = app
        .rest_post(
            None,
            "/api/agent/enroll",
            json!({ "token": token, "hints": { "hostname": "pc-1" }, "inventory": inventory }),
        )
        .await;
    assert_eq!(status, 201, "{enrolled}");
    let credential = enrolled["credential"]
        .as_str()
        .expect("a credential")
        .to_owned();
    let (status, _) = app
        .rest_post(
            Some(&credential),
            "/api/agent/heartbeat",
            json!({ "sample": { "cpu_percent": 5.0, "memory_used_bytes": 1, "memory_total_bytes": 4,
                "load": [0.1, 0.1, 0.1], "uptime_seconds": 60 } }),
        )
        .await;
    assert_eq!(status, 202);

    let received = take(&channel, &everything, 9).await;
    let validator = validator();
    let mut seen = BTreeSet::new();
    let mut versions: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for message in &received {
        let event = &message.body;
        assert_valid(&validator, event);
        let kind = event["type"].as_str().unwrap().to_owned();
        assert_eq!(message.routing_key, kind, "the routing key is the type");
        assert_eq!(
            message.message_id.as_deref(),
            event["event_id"].as_str(),
            "the AMQP message_id is the event id"
        );
        assert_eq!(message.content_type.as_deref(), Some("application/json"));
        if kind == EventType::AssetHealthChanged.as_str() {
            assert_eq!(event["asset"]["health"], "UP", "{event}");
            assert_eq!(event["asset"]["previous_health"], "UNKNOWN");
            seen.insert(kind);
            continue;
        }
        assert_eq!(event["ticketId"], event["ticket"]["number"]);
        assert_eq!(event["username"], event["ticket"]["requester"]);
        assert_eq!(event["requestType"], event["ticket"]["request_type"]);
        versions
            .entry(event["ticket"]["number"].as_str().unwrap().to_owned())
            .or_default()
            .push((kind.clone(), event["ticket"]["version"].as_i64().unwrap()));
        seen.insert(kind);
    }
    let every: BTreeSet<String> = EventType::ALL
        .iter()
        .map(|t| t.as_str().to_owned())
        .collect();
    assert_eq!(seen, every, "every event type was published and checked");
    assert_eq!(
        versions[&install],
        [
            ("ticket.created".to_owned(), 1),
            ("ticket.status_changed".to_owned(), 2),
            ("ticket.assigned".to_owned(), 3),
            ("ticket.priority_changed".to_owned(), 4),
            ("ticket.commented".to_owned(), 4),
            ("ticket.commented".to_owned(), 4),
            ("ticket.assigned".to_owned(), 5),
        ],
        "one ticket's changes raise its version; comments keep it"
    );
    assert_eq!(versions[&other], [("ticket.created".to_owned(), 1)]);
    let internal = received
        .iter()
        .find(|m| m.body["comment"]["internal"] == true)
        .expect("the internal note was published");
    assert_eq!(internal.body["comment"]["body"], "Licence ordered");

    app.stop().await;
    let _ = connection.close(200, "done".into()).await;
    broker.cleanup().await;
}

// ---------------------------------------------------------------------------
// The Python consumer of docs/EVENTS.md
// ---------------------------------------------------------------------------

/// A child process whose standard output is collected line by line.
struct Python {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

impl Python {
    fn spawn(command: &mut Command) -> Python {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs (install Python 3)");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = child.stdout.take().unwrap();
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Python {
            child,
            lines,
            stderr,
        }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    async fn wait_for_line(&mut self, wanted: &str, seconds: u64) {
        for _ in 0..seconds * 10 {
            if self.lines().iter().any(|l| l == wanted) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "python exited ({status}) before printing {wanted:?}:\n{}",
                    self.stderr.lock().unwrap()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("python did not print {wanted:?} within {seconds}s");
    }

    /// Waits (bounded) for the process to end by itself; its exit status.
    async fn wait(&mut self, seconds: u64) -> std::process::ExitStatus {
        for _ in 0..seconds * 10 {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader threads drain the pipes.
                tokio::time::sleep(Duration::from_millis(200)).await;
                return status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = self.child.kill();
        panic!(
            "python did not finish within {seconds}s; it printed {:?}",
            self.lines()
        );
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python modules the examples need, or a failure that says how to
/// install them (never a silent skip).
fn require_python_modules(modules: &[&str]) {
    let check = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    let output = Command::new("python3")
        .args(["-c", &check])
        .output()
        .expect("python3 runs (install Python 3)");
    assert!(
        output.status.success(),
        "the docs' Python examples need {modules:?}: pip install pika==1.4.4 standardwebhooks==1.1.0 (.ci/run and scripts/test do)\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Deletes the durable queues a consumer declared, even when the test fails.
struct DeleteQueues {
    url: String,
    queues: Vec<String>,
}

impl Drop for DeleteQueues {
    fn drop(&mut self) {
        let url = self.url.clone();
        let queues = self.queues.clone();
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(connection) =
                    lapin::Connection::connect(&url, lapin::ConnectionProperties::default()).await
                else {
                    return;
                };
                if let Ok(channel) = connection.create_channel().await {
                    for queue in queues {
                        let _ = channel
                            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                            .await;
                    }
                }
                let _ = connection.close(200, "test done".into()).await;
            });
        })
        .join();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_python_consumer_processes_each_event_once() {
    require_python_modules(&["pika"]);
    let broker = Broker::new("pyconsumer").await;
    let (connection, channel) = broker.channel().await;
    let app = serve_rabbitmq(&broker, "api,relay").await;
    let listener = broker.bind_listener(&channel).await;
    let queue = format!("{}_reporting", broker.queue);
    let _cleanup = DeleteQueues {
        url: broker.url.clone(),
        queues: vec![queue.clone(), format!("{queue}.dlq")],
    };
    let state = tempfile::tempdir().unwrap();

    let mut consumer = Python::spawn(
        Command::new("python3")
            .arg(repo().join("docs/examples/consume_events.py"))
            .current_dir(state.path())
            .env("AMQP_URL", &broker.url)
            .env("EXCHANGE", &broker.exchange)
            .env("QUEUE", &queue)
            .env("DB", state.path().join("reporting.db"))
            .env("IDLE_SECONDS", "15"),
    );
    consumer.wait_for_line("ready", 30).await;

    let first = create(
        &app,
        ("john.doe", "EMP123"),
        json!({ "requestType": "OTHER", "description": "Printer jams" }),
    )
    .await;
    let second = create(
        &app,
        ("jane.smith", "EMP124"),
        json!({ "requestType": "HARDWARE", "description": "New mouse" }),
    )
    .await;
    let admin = app.login("admin.user", "ADMIN01").await;
    mutate(
        &app,
        &admin,
        "mutation($n: String!) { changeStatus(number: $n, status: IN_PROGRESS, version: 1) { version } }",
        json!({ "n": first }),
    )
    .await;
    let published = take(&channel, &listener, 3).await;
    // A duplicate, as a broker restart before a publisher confirm or a
    // consumer crash before its ack would deliver it.
    let again = &published[0];
    channel
        .basic_publish(
            broker.exchange.as_str().into(),
            again.routing_key.as_str().into(),
            BasicPublishOptions::default(),
            again.body.to_string().as_bytes(),
            BasicProperties::default().with_content_type("application/json".into()),
        )
        .await
        .expect("republish")
        .await
        .expect("published");

    let status = consumer.wait(60).await;
    assert!(
        status.success(),
        "the consumer failed:\n{}",
        consumer.stderr.lock().unwrap()
    );
    let printed = consumer.lines();
    for message in &published {
        let event = &message.body;
        let line = format!(
            "processed {} {} {}",
            event["event_id"].as_str().unwrap(),
            event["type"].as_str().unwrap(),
            event["ticket"]["number"].as_str().unwrap()
        );
        assert_eq!(
            printed.iter().filter(|l| **l == line).count(),
            1,
            "{line:?} once in {printed:?}"
        );
    }
    let duplicate = format!("duplicate {}", again.body["event_id"].as_str().unwrap());
    assert!(
        printed.contains(&duplicate),
        "the republished event was recognised: {printed:?}"
    );
    assert_eq!(
        printed
            .iter()
            .filter(|l| l.starts_with("processed"))
            .count(),
        3,
        "{printed:?}"
    );
    assert!(
        printed
            .iter()
            .any(|l| l.ends_with(&format!("ticket.created {second}")))
    );

    app.stop().await;
    let _ = connection.close(200, "done".into()).await;
    broker.cleanup().await;
}

// ---------------------------------------------------------------------------
// Webhooks, Standard Webhooks style
// ---------------------------------------------------------------------------

/// The current secret, in the Standard Webhooks format.
fn new_secret() -> String {
    format!(
        "whsec_{}",
        STANDARD.encode(*b"itosm-test-key-32-bytes-long!!!!")
    )
}

/// The previous secret, a plain one (as configs written before `secrets`
/// have).
const OLD_SECRET: &str = "the-previous-plain-secret-42";

/// What the receiver got and what it concluded.
#[derive(Clone, Debug)]
struct Delivery {
    headers: HeaderMap,
    body: Bytes,
    with_new: Result<(), VerifyError>,
    with_old: Result<(), VerifyError>,
}

#[derive(Clone, Default)]
struct Receiver {
    deliveries: Arc<Mutex<Vec<Delivery>>>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A receiver that checks each delivery with the new secret alone and the
/// old one alone, as the two sides of a rotation would, and answers 200
/// only when both accept it.
async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let now = Utc::now().timestamp();
    let check = |secret: &str| {
        webhook::verify(
            &[WebhookSecret::parse(secret).unwrap()],
            header(&headers, "webhook-id"),
            header(&headers, "webhook-timestamp"),
            header(&headers, "webhook-signature"),
            &body,
            now,
        )
    };
    let delivery = Delivery {
        with_new: check(&new_secret()),
        with_old: check(OLD_SECRET),
        headers: headers.clone(),
        body,
    };
    let accepted = delivery.with_new.is_ok() && delivery.with_old.is_ok();
    receiver.deliveries.lock().unwrap().push(delivery);
    if accepted {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}

async fn daemon_with_webhook(url: &str) -> App {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("itosm.toml");
    std::fs::write(
        &config,
        format!(
            "[notifications]\nmax_attempts = 3\nretry_backoff = \"50ms\"\n\n\
             [[notifications.sinks]]\nkind = \"webhook\"\nname = \"bridge\"\nurl = \"{url}\"\n\
             secrets = [\"{}\", \"{OLD_SECRET}\"]\nevents = [\"ticket.created\"]\n",
            new_secret()
        ),
    )
    .unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("itosm.db").display()
    );
    let config = config.display().to_string();
    App::launch(dir, db, None, &["serve", "--config", &config], &[], true).await
}

/// The documented Python function, run on `cases` (each: secrets, headers,
/// base64 body); one `accepted` or `rejected: …` line per case.
fn python_verify(cases: &Value) -> Vec<String> {
    const HARNESS: &str = r#"
import base64, json, sys
sys.path.insert(0, sys.argv[1])
from verify_webhook import WebhookRejected, verify_webhook
for case in json.load(sys.stdin):
    try:
        verify_webhook(case["secrets"], case["headers"], base64.b64decode(case["body"]))
        print("accepted")
    except WebhookRejected as error:
        print("rejected:", error)
"#;
    run_python(HARNESS, &repo().join("docs/examples"), cases)
}

/// The reference library (`standardwebhooks` on PyPI) on `cases`.
fn reference_verify(cases: &Value) -> Vec<String> {
    const HARNESS: &str = r#"
import base64, json, sys
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
for case in json.load(sys.stdin):
    try:
        Webhook(case["secrets"][0]).verify(base64.b64decode(case["body"]), case["headers"])
        print("accepted")
    except WebhookVerificationError as error:
        print("rejected:", error)
"#;
    run_python(HARNESS, Path::new("."), cases)
}

fn run_python(code: &str, arg: &Path, input: &Value) -> Vec<String> {
    let mut child = Command::new("python3")
        .args(["-c", code])
        .arg(arg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn case(secrets: &[&str], headers: &HashMap<&str, String>, body: &[u8]) -> Value {
    json!({ "secrets": secrets, "headers": headers, "body": STANDARD.encode(body) })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_verify_with_either_secret_during_rotation_and_forgeries_are_refused() {
    require_python_modules(&["standardwebhooks"]);
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let router = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let app = daemon_with_webhook(&url).await;

    let number = create(
        &app,
        ("john.doe", "EMP123"),
        json!({ "requestType": "SOFTWARE_INSTALL", "softwareId": 1, "description": "Install AutoCAD" }),
    )
    .await;
    let mut delivered = None;
    for _ in 0..100 {
        if let Some(first) = receiver.deliveries.lock().unwrap().first() {
            delivered = Some(first.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivery = delivered.expect("the webhook was delivered within 10s");
    let (headers, body) = (&delivery.headers, delivery.body.to_vec());

    // The receiver, holding either side of the rotation, accepted it.
    assert_eq!(delivery.with_new, Ok(()));
    assert_eq!(delivery.with_old, Ok(()));
    let event: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(event["ticket"]["number"], number.as_str());
    assert_valid(&validator(), &event);
    let id = header(headers, "webhook-id");
    assert_eq!(id, event["event_id"].as_str().unwrap());
    let timestamp = header(headers, "webhook-timestamp");
    let sent: i64 = timestamp.parse().expect("Unix seconds");
    assert!((Utc::now().timestamp() - sent).abs() < 60);
    let signatures = header(headers, "webhook-signature");
    assert_eq!(signatures.split(' ').count(), 2, "{signatures}");
    assert!(signatures.split(' ').all(|s| s.starts_with("v1,")));
    assert_eq!(header(headers, "content-type"), "application/json");
    // Kept (deprecated) for receivers written against earlier versions.
    assert_eq!(header(headers, "x-itosm-event-id"), id);
    assert!(header(headers, "x-itosm-signature").starts_with("sha256="));

    // The same check refuses what it must, in Rust...
    let new = WebhookSecret::parse(&new_secret()).unwrap();
    let old = WebhookSecret::parse(OLD_SECRET).unwrap();
    let now = Utc::now().timestamp();
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'A').unwrap();
    tampered[at] = b'B';
    assert_eq!(
        webhook::verify(
            &[new.clone(), old.clone()],
            id,
            timestamp,
            signatures,
            &tampered,
            now
        ),
        Err(VerifyError::NoMatchingSignature),
        "a tampered body"
    );
    let stranger = WebhookSecret::parse("somebody-elses-secret-000").unwrap();
    assert_eq!(
        webhook::verify(&[stranger], id, timestamp, signatures, &body, now),
        Err(VerifyError::NoMatchingSignature),
        "the wrong secret"
    );
    assert!(
        matches!(
            webhook::verify(
                std::slice::from_ref(&new),
                id,
                timestamp,
                signatures,
                &body,
                sent + 301
            ),
            Err(VerifyError::StaleTimestamp(301))
        ),
        "the real delivery, replayed five minutes and a second later"
    );

    // ...and in the documented Python function, on the real delivery and on
    // correctly signed but stale or future copies of it.
    let real: HashMap<&str, String> = ["webhook-id", "webhook-timestamp", "webhook-signature"]
        .into_iter()
        .map(|name| (name, header(headers, name).to_owned()))
        .collect();
    let resigned = |at: i64| {
        let mut h = real.clone();
        h.insert("webhook-timestamp", at.to_string());
        h.insert(
            "webhook-signature",
            webhook::signature_header(&[new.clone(), old.clone()], id, at, &body),
        );
        h
    };
    let mut unsigned = real.clone();
    unsigned.remove("webhook-signature");
    let new_secret = new_secret();
    let cases = json!([
        case(&[&new_secret], &real, &body),
        case(&[OLD_SECRET], &real, &body),
        case(&["somebody-elses-secret-000", OLD_SECRET], &real, &body),
        case(&[&new_secret, OLD_SECRET], &real, &tampered),
        case(&["somebody-elses-secret-000"], &real, &body),
        case(&[&new_secret], &resigned(now - 600), &body),
        case(&[&new_secret], &resigned(now + 600), &body),
        case(&[&new_secret], &resigned(now - 60), &body),
        case(&[&new_secret], &unsigned, &body),
    ]);
    let verdicts = python_verify(&cases);
    let expected = [
        "accepted", // the new secret
        "accepted", // the old secret
        "accepted", // a wrong one and the old one
        "rejected: no signature matches",
        "rejected: no signature matches",
        "rejected: webhook-timestamp is too old (or too far ahead): a replay?",
        "rejected: webhook-timestamp is too old (or too far ahead): a replay?",
        "accepted", // a minute old: within the tolerance
        "rejected: missing webhook-id, webhook-timestamp or webhook-signature",
    ];
    assert_eq!(verdicts, expected);

    // The reference Standard Webhooks library agrees with us on the
    // `whsec_` secret.
    let reference = reference_verify(&json!([
        case(&[&new_secret], &real, &body),
        case(&[&new_secret], &real, &tampered),
        case(&[&new_secret], &resigned(now - 600), &body),
    ]));
    assert_eq!(reference[0], "accepted", "{reference:?}");
    assert!(reference[1].starts_with("rejected"), "{reference:?}");
    assert!(reference[2].starts_with("rejected"), "{reference:?}");

    // The receiver said 200: one delivery, recorded as delivered.
    let admin = app.login("admin.user", "ADMIN01").await;
    let log = app
        .settled_notifications(&admin, &number, "sink status attempts")
        .await;
    let rows = &log["data"]["ticket"]["notifications"];
    assert_eq!(rows[0]["status"], "DELIVERED", "{log}");
    assert_eq!(rows[0]["attempts"], 1, "{log}");
    app.stop().await;
}

// ---------------------------------------------------------------------------
// Config and docs
// ---------------------------------------------------------------------------

fn load(sink: &str) -> Result<itosm_daemon::config::Config, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("itosm.toml");
    std::fs::write(
        &path,
        format!("[[notifications.sinks]]\nkind = \"webhook\"\nname = \"w\"\nurl = \"https://hooks.example.com/itosm\"\n{sink}\n"),
    )
    .unwrap();
    itosm_daemon::config::Config::load(Some(&path)).map_err(|e| e.to_string())
}

#[test]
fn the_webhook_sink_takes_secrets_or_the_older_secret() {
    let whsec = new_secret();
    for good in [
        format!("secret = \"{OLD_SECRET}\""),
        format!("secrets = [\"{whsec}\"]"),
        format!("secrets = [\"{whsec}\", \"{OLD_SECRET}\"]"),
    ] {
        load(&good).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for (bad, key) in [
        ("", "notifications.sinks[0].secrets"),
        ("secrets = []", "notifications.sinks[0].secrets"),
        (
            "secret = \"the-previous-plain-secret-42\"\nsecrets = [\"the-previous-plain-secret-42\"]",
            "notifications.sinks[0].secrets",
        ),
        ("secret = \"short\"", "notifications.sinks[0].secret"),
        (
            "secrets = [\"the-previous-plain-secret-42\", \"whsec_not base64\"]",
            "notifications.sinks[0].secrets[1]",
        ),
        (
            "secrets = [\"whsec_c2hvcnQ=\"]",
            "notifications.sinks[0].secrets[0]",
        ),
    ] {
        let error = load(bad).expect_err(bad);
        assert!(
            error.contains(key),
            "{bad:?} gave {error:?}, not naming {key}"
        );
    }
}

#[test]
fn the_docs_show_the_tested_code_and_every_event_type() {
    let events = read("docs/EVENTS.md");
    for example in [
        "docs/examples/verify_webhook.py",
        "docs/examples/consume_events.py",
    ] {
        let code = read(example);
        assert!(
            events.contains(code.trim_end()),
            "docs/EVENTS.md must show {example} verbatim (copy the file into its code block)"
        );
    }
    for event_type in EventType::ALL {
        assert!(
            events.contains(&format!("`{}`", event_type.as_str())),
            "docs/EVENTS.md documents {}",
            event_type.as_str()
        );
    }
    assert!(events.contains("events.schema.json"));
    // Every JSON example in the doc is a valid event.
    let validator = validator();
    let examples: Vec<&str> = events
        .split("```json\n")
        .skip(1)
        .filter_map(|block| block.split("\n```").next())
        .collect();
    assert!(!examples.is_empty(), "docs/EVENTS.md shows an envelope");
    for example in examples {
        assert_valid(&validator, &serde_json::from_str(example).expect("JSON"));
    }
    let readme = read("README.md");
    assert!(readme.contains("docs/EVENTS.md"));
    assert!(
        readme.contains("secrets"),
        "the README's config table names secrets"
    );
}
