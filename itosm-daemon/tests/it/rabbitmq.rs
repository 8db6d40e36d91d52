//! The production transport against a real RabbitMQ and PostgreSQL: the
//! outbox relay publishes with confirms, the notifier consumes with manual
//! acks and deduplicates, failures dead-letter and replay, and API instances
//! share the live feed through the broker. Each test uses its own exchange
//! and queue names and deletes them afterwards.

use std::path::Path;
use std::process::Command;

use crate::support;
use crate::support::App;
use crate::support::broker::{Broker, lines, wait_lines};
use crate::support::receiver::{Receiver, webhook_sink};
use itosm_testkit::proxy::{ChaosProxy, ProxyMode};
use serde_json::json;

fn write_config(dir: &Path, toml: &str) -> String {
    let path = dir.join("itosm.toml");
    std::fs::write(&path, toml).expect("config written");
    path.display().to_string()
}

fn file_sink(name: &str, path: &Path) -> String {
    format!(
        "[[notifications.sinks]]\nkind = \"file\"\nname = \"{name}\"\npath = \"{}\"\n\n",
        path.display()
    )
}

/// Starts `itosm serve --roles <roles>` with `toml` on database `url`.
async fn serve(url: &str, toml: &str, roles: &str, wait_ready: bool) -> App {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), toml);
    App::launch(
        dir,
        url.to_owned(),
        None,
        &["serve", "--config", &config, "--roles", roles],
        &[],
        wait_ready,
    )
    .await
}

async fn create_ticket(app: &App, description: &str) -> String {
    let token = app.login("john.doe", "EMP123").await;
    let (status, body) = app
        .rest_post(
            Some(&token),
            "/api/tickets",
            json!({ "requestType": "OTHER", "description": description }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["ticketId"].as_str().unwrap().to_owned()
}

fn itosm(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_itosm"))
        .args(args)
        .output()
        .expect("itosm runs");
    assert!(
        output.status.success(),
        "itosm {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Waits (bounded) until `itosm dlq list` shows `number`; returns the listing.
async fn wait_for_dead_letter(config: &str, number: &str) -> String {
    let mut listed = String::new();
    for _ in 0..100 {
        listed = itosm(&["dlq", "list", "--config", config]);
        if listed.contains(number) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    listed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_ticket_reaches_the_queue_and_any_bound_client() {
    let broker = Broker::new("envelope").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let (connection, channel) = broker.channel().await;
    // No notifier runs, so the event waits in notification_queue.
    let api = serve(&db.url, &broker.config(""), "api,relay", true).await;
    let listener = broker.bind_listener(&channel).await;

    let number = create_ticket(&api, "Please install Revit").await;

    let (event, _) = broker.get_one(&channel, &broker.queue).await;
    assert_eq!(event["type"], "ticket.created");
    assert_eq!(event["schema_version"], 1);
    assert!(uuid::Uuid::parse_str(event["event_id"].as_str().unwrap()).is_ok());
    assert!(event["occurred_at"].as_str().is_some());
    assert_eq!(event["ticket"]["number"], number.as_str());
    assert_eq!(event["ticket"]["requester"], "john.doe");
    assert_eq!(event["ticket"]["status"], "START");
    assert_eq!(
        event["ticketId"],
        number.as_str(),
        "the seed's TicketCreatedEvent fields"
    );
    assert_eq!(event["username"], "john.doe");
    assert_eq!(event["requestType"], "OTHER");

    let (seen, routing_key) = broker.get_one(&channel, &listener).await;
    assert_eq!(routing_key, "ticket.created");
    assert_eq!(seen["event_id"], event["event_id"]);

    let (status, ready) = api.rest_get_raw("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert!(ready.contains("\"broker\":\"ok\""), "{ready}");
    api.stop().await;
    let _ = connection.close(200, "done".into()).await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notifier_killed_before_acking_gets_the_event_again_and_sinks_see_it_once() {
    let broker = Broker::new("redeliver").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let sinks = tempfile::tempdir().unwrap();
    let audit = sinks.path().join("audit.log");
    let pending_dir = sinks.path().join("later");
    let flaky = pending_dir.join("flaky.log");
    // A short claim lease: the killed notifier may die mid-attempt, holding
    // the flaky delivery's claim until the lease runs out.
    let toml = broker.config(&format!(
        "[notifications]\nmax_attempts = 100\nretry_backoff = \"100ms\"\nclaim_lease = \"3s\"\nattempt_timeout = \"2s\"\n\n{}{}",
        file_sink("audit", &audit),
        file_sink("flaky", &flaky)
    ));
    let api = serve(&db.url, &toml, "api,relay", true).await;
    let mut first = serve(&db.url, &toml, "notifier", false).await;

    let number = create_ticket(&api, "Grant VPN access").await;
    // The audit sink delivered; the flaky one keeps retrying (its directory
    // is missing), so the message is received but not acked.
    let delivered = wait_lines(&audit, 1, 30).await;
    assert!(delivered[0].contains(&number));
    first.kill();

    std::fs::create_dir_all(&pending_dir).unwrap();
    let second = serve(&db.url, &toml, "notifier", false).await;
    let healed = wait_lines(&flaky, 1, 30).await;
    assert!(
        healed[0].contains(&number),
        "the event was redelivered to the new notifier"
    );
    // Once the delivery log holds an outcome for both sinks nothing is
    // sent again: count then, instead of after a fixed wait.
    let admin = api.login("admin.user", "ADMIN01").await;
    let log = api
        .settled_notifications(&admin, &number, "sink status")
        .await;
    let rows = log["data"]["ticket"]["notifications"].as_array().unwrap();
    assert!(
        rows.iter().all(|row| row["status"] == "DELIVERED") && rows.len() == 2,
        "{log}"
    );
    assert_eq!(
        lines(&audit).len(),
        1,
        "the audit sink saw the redelivered event once"
    );
    assert_eq!(lines(&flaky).len(), 1);

    second.stop().await;
    api.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_that_keeps_failing_dead_letters_and_replay_delivers_it() {
    let broker = Broker::new("dlq").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let sinks = tempfile::tempdir().unwrap();
    let pending_dir = sinks.path().join("later");
    let flaky = pending_dir.join("flaky.log");
    let toml = broker.config(&format!(
        "[notifications]\nmax_attempts = 2\nretry_backoff = \"50ms\"\n\n{}",
        file_sink("flaky", &flaky)
    ));
    let api = serve(&db.url, &toml, "api,relay,notifier", true).await;
    let config_dir = tempfile::tempdir().unwrap();
    let config = write_config(config_dir.path(), &toml);

    let number = create_ticket(&api, "Replace the dock").await;
    let listed = wait_for_dead_letter(&config, &number).await;
    assert!(
        listed.contains(&number),
        "the event is in the DLQ: {listed}"
    );
    assert!(listed.contains("1 dead-lettered event(s)"), "{listed}");
    // Listing does not consume.
    assert!(itosm(&["dlq", "list", "--config", &config]).contains(&number));
    assert!(lines(&flaky).is_empty());

    std::fs::create_dir_all(&pending_dir).unwrap();
    let replayed = itosm(&["dlq", "replay", "--config", &config]);
    assert!(replayed.contains("replayed 1 event(s)"), "{replayed}");
    let healed = wait_lines(&flaky, 1, 30).await;
    assert!(healed[0].contains(&number));
    assert!(itosm(&["dlq", "list", "--config", &config]).contains("0 dead-lettered event(s)"));

    api.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_one_instance_sees_tickets_created_on_another() {
    let broker = Broker::new("feed").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let toml = broker.config("");
    let a = serve(&db.url, &toml, "api,relay,notifier", true).await;
    let b = serve(&db.url, &toml, "api", true).await;
    let admin_on_b = b.login("admin.user", "ADMIN01").await;
    let mut feed = b
        .subscribe(
            &admin_on_b,
            "subscription { ticketCreated { number requester { username } } }",
        )
        .await;
    // Let B's exclusive queue bind before publishing.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let number = create_ticket(&a, "Monitor flickers").await;
    let pushed = feed.next_payload().await;
    assert_eq!(
        pushed["data"]["ticketCreated"]["number"],
        number.as_str(),
        "{pushed}"
    );

    b.stop().await;
    a.stop().await;
    broker.cleanup().await;
}

#[test]
fn an_unreachable_broker_at_start_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_itosm"))
        .arg("serve")
        .current_dir(dir.path())
        .env("ITOSM_TRANSPORT__KIND", "rabbitmq")
        .env(
            "ITOSM_TRANSPORT__AMQP_URL",
            "amqp://guest:guest@127.0.0.1:1/%2f",
        )
        .env("ITOSM_TRANSPORT__CONNECT_TIMEOUT", "2s")
        .output()
        .expect("itosm runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("transport.amqp_url"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_server_that_is_down_ends_in_the_dlq_after_backoff() {
    let broker = Broker::new("smtpdown").await;
    let db = itosm_testkit::TestDatabase::create().await;
    // Nothing listens on this port: every attempt is refused.
    let port = support::free_port();
    let toml = broker.config(&format!(
        "[notifications]\nmax_attempts = 3\nretry_backoff = \"50ms\"\n\n\
         [[notifications.sinks]]\nkind = \"email\"\nname = \"mail\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\n\
         from = \"itosm@example.com\"\nto = [\"it-admin-group@example.com\"]\ntimeout = \"2s\"\n"
    ));
    let api = serve(&db.url, &toml, "api,relay,notifier", true).await;
    let config_dir = tempfile::tempdir().unwrap();
    let config = write_config(config_dir.path(), &toml);

    let number = create_ticket(&api, "Mail server is down").await;
    let listed = wait_for_dead_letter(&config, &number).await;
    assert!(
        listed.contains(&number),
        "the event is dead-lettered: {listed}"
    );
    let admin = api.login("admin.user", "ADMIN01").await;
    let log = api
        .graphql(&admin, "query($n: String!) { ticket(number: $n) { notifications { status attempts lastError } } }", json!({ "n": number }))
        .await;
    let row = &log["data"]["ticket"]["notifications"][0];
    assert_eq!(row["status"], "FAILED", "{log}");
    assert_eq!(
        row["attempts"], 3,
        "retried with backoff up to max_attempts: {log}"
    );
    assert!(row["lastError"].as_str().is_some_and(|e| !e.is_empty()));
    api.stop().await;
    broker.cleanup().await;
}

/// Creates `n` tickets on `app`; returns their numbers.
async fn create_tickets(app: &App, n: usize, what: &str) -> Vec<String> {
    let token = app.login("john.doe", "EMP123").await;
    let mut numbers = Vec::new();
    for i in 0..n {
        let (status, body) = app
            .rest_post(
                Some(&token),
                "/api/tickets",
                json!({ "requestType": "OTHER", "description": format!("{what} {i}") }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        numbers.push(body["ticketId"].as_str().unwrap().to_owned());
    }
    numbers
}

/// Retries with a short backoff and a long horizon, so outages of seconds
/// are ridden out in a test's time.
const FAST_RETRIES: &str =
    "[notifications]\nretry_backoff = \"100ms\"\nmax_retry_delay = \"500ms\"\n\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_failing_for_a_while_gets_every_event_without_replay() {
    let broker = Broker::new("hook503").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let receiver = Receiver::start(&[503]).await;
    let toml = broker.config(&format!(
        "{FAST_RETRIES}{}",
        webhook_sink("ops", &receiver.url)
    ));
    let app = serve(&db.url, &toml, "api,relay,notifier", true).await;
    create_tickets(&app, 5, "webhook outage").await;
    // Failing for a while: several attempts answered 503.
    for _ in 0..100 {
        if receiver.seen.lock().unwrap().len() >= 15 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(receiver.delivered().is_empty());
    receiver.answer(200);
    let delivered = receiver.wait_distinct(5, 30).await;
    assert_eq!(
        delivered.len(),
        5,
        "each event delivered once: {delivered:?}"
    );
    let config_dir = tempfile::tempdir().unwrap();
    let config = write_config(config_dir.path(), &toml);
    assert!(
        itosm(&["dlq", "list", "--config", &config]).contains("0 dead-lettered event(s)"),
        "nothing was dead-lettered"
    );
    app.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_retry_horizon_an_event_is_dead_lettered_and_replay_delivers_it() {
    let broker = Broker::new("horizon").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let receiver = Receiver::start(&[200]).await;
    let (proxy, url) = ChaosProxy::for_url(&receiver.url).await;
    proxy.set(ProxyMode::Down);
    let toml = broker.config(&format!(
        "[notifications]\nretry_backoff = \"100ms\"\nmax_retry_delay = \"300ms\"\nretry_horizon = \"2s\"\n\n{}",
        webhook_sink("ops", &url)
    ));
    let app = serve(&db.url, &toml, "api,relay,notifier", true).await;
    let config_dir = tempfile::tempdir().unwrap();
    let config = write_config(config_dir.path(), &toml);
    let number = create_tickets(&app, 1, "horizon").await.remove(0);
    let listed = wait_for_dead_letter(&config, &number).await;
    assert!(listed.contains(&number), "dead-lettered: {listed}");
    let admin = app.login("admin.user", "ADMIN01").await;
    let log = app
        .graphql(&admin, "query($n: String!) { ticket(number: $n) { notifications { status attempts lastError } } }", json!({ "n": number }))
        .await;
    assert_eq!(
        log["data"]["ticket"]["notifications"][0]["status"], "FAILED",
        "{log}"
    );
    assert!(
        log["data"]["ticket"]["notifications"][0]["attempts"]
            .as_i64()
            .unwrap()
            > 1
    );

    proxy.set(ProxyMode::Forward);
    let replayed = itosm(&["dlq", "replay", "--config", &config]);
    assert!(replayed.contains("replayed 1 event(s)"), "{replayed}");
    let delivered = receiver.wait_distinct(1, 30).await;
    assert_eq!(delivered.len(), 1);
    app.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_copies_of_an_event_at_once_on_two_notifiers_are_delivered_once() {
    let broker = Broker::new("twice").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let receiver = Receiver::start(&[200]).await;
    let toml = broker.config(&webhook_sink("ops", &receiver.url));
    // The API creates the ticket; no notifier yet, so its event waits.
    let api = serve(&db.url, &toml, "api,relay", true).await;
    let number = create_tickets(&api, 1, "published twice").await.remove(0);
    let (connection, channel) = broker.channel().await;
    let (event, _) = broker.get_one(&channel, &broker.queue).await;
    assert_eq!(event["ticket"]["number"], number.as_str());
    // Two notifiers, and the same envelope published twice at the same
    // moment (as a publish whose confirm was lost is published again).
    let first = serve(&db.url, &toml, "notifier", false).await;
    let second = serve(&db.url, &toml, "notifier", false).await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    channel
        .confirm_select(lapin::options::ConfirmSelectOptions::default())
        .await
        .unwrap();
    let body = event.to_string();
    let publish = || {
        channel.basic_publish(
            broker.exchange.as_str().into(),
            "ticket.created".into(),
            lapin::options::BasicPublishOptions::default(),
            body.as_bytes(),
            lapin::BasicProperties::default().with_delivery_mode(2),
        )
    };
    let (a, b) = tokio::join!(publish(), publish());
    a.unwrap().await.unwrap();
    b.unwrap().await.unwrap();
    receiver.wait_distinct(1, 30).await;
    // Both copies are done once the delivery log holds the outcome: a
    // second send could only have happened before that.
    let admin = api.login("admin.user", "ADMIN01").await;
    let log = api.settled_notifications(&admin, &number, "status").await;
    assert_eq!(
        log["data"]["ticket"]["notifications"][0]["status"], "DELIVERED",
        "{log}"
    );
    assert_eq!(
        receiver.seen.lock().unwrap().len(),
        1,
        "the receiver saw the event once"
    );
    let _ = connection.close(200, "done".into()).await;
    first.stop().await;
    second.stop().await;
    api.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notifier_killed_mid_drain_resends_at_most_its_in_flight_deliveries() {
    const EVENTS: usize = 120;
    const IN_FLIGHT: usize = 8;
    let broker = Broker::new("killdrain").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let receiver = Receiver::start(&[200]).await;
    // A receiver slow enough that the kill lands mid-drain.
    receiver.delay(std::time::Duration::from_millis(30));
    let toml = broker.config(&format!(
        "[notifications]\nmax_in_flight = {IN_FLIGHT}\nclaim_lease = \"3s\"\nattempt_timeout = \"2s\"\nretry_backoff = \"100ms\"\n\n{}",
        webhook_sink("ops", &receiver.url)
    ));
    let api = serve(&db.url, &toml, "api,relay", true).await;
    create_tickets(&api, EVENTS, "drain").await;
    let mut first = serve(&db.url, &toml, "notifier", false).await;
    for _ in 0..300 {
        if receiver.delivered().len() >= EVENTS / 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    first.kill();
    let at_kill = receiver.seen.lock().unwrap().len();
    assert!(at_kill < EVENTS, "killed mid-drain ({at_kill} sent)");
    let second = serve(&db.url, &toml, "notifier", false).await;
    let delivered = receiver.wait_distinct(EVENTS, 60).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let duplicates = receiver.delivered().len() - EVENTS;
    println!("kill -9 mid-drain of {EVENTS} events: {duplicates} sent twice (bound {IN_FLIGHT})");
    assert!(
        duplicates <= IN_FLIGHT,
        "{duplicates} duplicates, more than the {IN_FLIGHT} deliveries in flight ({} requests)",
        delivered.len()
    );
    second.stop().await;
    api.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notifier_whose_database_goes_away_dead_letters_nothing_and_delivers_all() {
    let broker = Broker::new("dbdown").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let receiver = Receiver::start(&[200]).await;
    let (db_proxy, proxied_db) = ChaosProxy::for_url(&db.url).await;
    let toml = broker.config(&format!(
        "{FAST_RETRIES}{}",
        webhook_sink("ops", &receiver.url)
    ));
    let api = serve(&db.url, &toml, "api,relay", true).await;
    let notifier = serve(&proxied_db, &toml, "notifier", false).await;
    create_tickets(&api, 2, "before").await;
    receiver.wait_distinct(2, 30).await;

    db_proxy.set(ProxyMode::Down);
    create_tickets(&api, 5, "database away").await;
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    db_proxy.set(ProxyMode::Forward);

    let delivered = receiver.wait_distinct(7, 60).await;
    assert_eq!(delivered.len(), 7, "each delivered once: {delivered:?}");
    let config_dir = tempfile::tempdir().unwrap();
    let config = write_config(config_dir.path(), &toml);
    assert!(
        itosm(&["dlq", "list", "--config", &config]).contains("0 dead-lettered event(s)"),
        "a database outage dead-letters nothing"
    );
    notifier.stop().await;
    api.stop().await;
    broker.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_broker_partition_is_noticed_and_loses_no_event() {
    let broker = Broker::new("partition").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let sinks = tempfile::tempdir().unwrap();
    let audit = sinks.path().join("audit.log");
    let (amqp_proxy, proxied_amqp) = ChaosProxy::for_url(&broker.url).await;
    let toml = broker
        .config(&file_sink("audit", &audit))
        .replace(&broker.url, &proxied_amqp)
        .replace(
            "connect_timeout = \"2s\"",
            "connect_timeout = \"2s\"\nheartbeat = \"2s\"\nconfirm_timeout = \"2s\"",
        );
    let app = serve(&db.url, &toml, "api,relay,notifier", true).await;
    let mut numbers = create_tickets(&app, 1, "before the partition").await;
    wait_lines(&audit, 1, 30).await;

    amqp_proxy.set(ProxyMode::Blackhole);
    numbers.extend(create_tickets(&app, 3, "during the partition").await);
    let mut ready = String::new();
    for _ in 0..300 {
        let (status, body) = app.rest_get_raw("/readyz").await;
        ready = body;
        if status == 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        ready.contains("\"broker\":\"unavailable\""),
        "readiness reports the partition: {ready}"
    );
    let log = app.wait_for_log("lost the broker", 30).await;
    assert!(log.contains(&broker_host(&broker.url)) || log.contains("127.0.0.1"));

    amqp_proxy.set(ProxyMode::Forward);
    let lines = wait_lines(&audit, 4, 90).await;
    for number in &numbers {
        assert!(
            lines.iter().any(|l| l.contains(number.as_str())),
            "{number} delivered after the partition: {lines:?}"
        );
    }
    for _ in 0..100 {
        if app.rest_get_raw("/readyz").await.0 == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.rest_get_raw("/readyz").await.0, 200, "ready again");
    app.stop().await;
    broker.cleanup().await;
}

fn broker_host(url: &str) -> String {
    url.split('@')
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or(url)
        .to_owned()
}
