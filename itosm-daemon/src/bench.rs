//! `itosm bench`: load generators that measure itosm against the limit of
//! the same machine in the same run.
//!
//! - `tickets`: creates tickets over GraphQL HTTP at a chosen concurrency
//!   against a running daemon, reports tickets/s and latency percentiles,
//!   the event lag (ticket commit → notifier delivery, from the delivery
//!   log), and the ratio to pgbench running the same SQL as one ticket
//!   creation at the same concurrency.
//! - `notifier`: pre-fills the notification queue and measures how fast a
//!   notifier with a no-op sink drains it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use futures::future::join_all;
use itosm_core::event::{EventEnvelope, EventType, TicketSnapshot};
use itosm_core::store::prelude::*;
use itosm_core::{Priority, RequestType, TicketStatus};
use lapin::options::{ConfirmSelectOptions, QueuePurgeOptions};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::app;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::notifier::Notifier;
use crate::sinks::NoopSink;
use crate::transport::rabbitmq;

/// The no-op sink, counting what it was given: the notifier bench's
/// finish line.
struct CountingSink {
    inner: NoopSink,
    delivered: Arc<std::sync::atomic::AtomicU64>,
}

#[async_trait::async_trait]
impl itosm_core::sink::NotificationSink for CountingSink {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn deliver(
        &self,
        notification: &itosm_core::sink::Notification,
    ) -> itosm_core::sink::DeliveryOutcome {
        let outcome = self.inner.deliver(notification).await;
        if matches!(outcome, itosm_core::sink::DeliveryOutcome::Delivered) {
            self.delivered
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        outcome
    }
}

/// Percentile of sorted values.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// How `bench tickets` loads the daemon.
#[derive(Debug, Clone, Copy)]
pub enum Load {
    /// `concurrency` clients, each sending its next request when the last
    /// one answered (closed loop: finds the saturation rate).
    Clients(usize),
    /// `rate` requests per second whatever the answers (open loop), at most
    /// `max_outstanding` at once.
    Rate {
        /// Requests per second.
        rate: u32,
        /// Requests waiting for an answer at most (past it a tick is
        /// skipped and counted).
        max_outstanding: usize,
    },
}

/// Runs `itosm bench tickets`.
pub async fn tickets(
    config: &Config,
    url: &str,
    load: Load,
    duration: Duration,
) -> anyhow::Result<()> {
    let concurrency = match load {
        Load::Clients(clients) => clients,
        Load::Rate {
            max_outstanding, ..
        } => max_outstanding,
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let graphql = format!("{}/graphql", url.trim_end_matches('/'));
    let login: Value = client
        .post(&graphql)
        .json(&json!({ "query": "mutation { login(username: \"john.doe\", employeeId: \"EMP123\") { token } }" }))
        .send()
        .await
        .with_context(|| format!("cannot reach {graphql}"))?
        .json()
        .await?;
    let token = login["data"]["login"]["token"]
        .as_str()
        .context("login as john.doe failed: run the daemon with demo_data = true")?
        .to_owned();

    let started_at = Utc::now();
    let store = app::open_store(config, app::DatabaseAccess::ExistingOnly).await?;
    // The backlog (unsent outbox rows + deliveries waiting) every second.
    let sampling = CancellationToken::new();
    let sampler = tokio::spawn(sample_backlog(Arc::clone(&store), sampling.clone()));
    let (latencies, errors, skipped, elapsed) = match load {
        Load::Clients(clients) => {
            println!("itosm bench tickets: {clients} clients for {duration:?} against {graphql}");
            let (l, e, el) = closed_loop(&client, &graphql, &token, clients, duration).await;
            (l, e, 0, el)
        }
        Load::Rate {
            rate,
            max_outstanding,
        } => {
            println!(
                "itosm bench tickets: {rate} tickets/s (open loop, at most {max_outstanding} outstanding) for {duration:?} against {graphql}"
            );
            open_loop(&client, &graphql, &token, rate, max_outstanding, duration).await
        }
    };
    let created = latencies.len();
    let tps = created as f64 / elapsed;
    println!(
        "tickets created: {created} ({errors} errors, {skipped} ticks skipped) in {elapsed:.1}s"
    );
    println!("itosm tickets/s: {tps:.1}");
    println!(
        "latency ms: p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN)
    );

    event_lag(store.as_ref(), started_at, created).await?;
    sampling.cancel();
    let samples = sampler.await.unwrap_or_default();
    report_backlog(&samples);

    if config.is_embedded_database() {
        println!("pgbench: skipped (database is SQLite)");
        return Ok(());
    }
    if matches!(load, Load::Rate { .. }) {
        println!("pgbench: skipped (open loop)");
        return Ok(());
    }
    let pg_tps = pgbench(config, store.as_ref(), concurrency, duration).await?;
    println!(
        "pgbench transactions/s (same SQL as one ticket creation, {concurrency} clients): {pg_tps:.1}"
    );
    println!("ratio itosm/pgbench: {:.2}", tps / pg_tps);
    Ok(())
}

/// One `createTicket`; its latency in ms if it succeeded.
async fn create_one(
    client: &reqwest::Client,
    graphql: &str,
    token: &str,
    n: String,
) -> Option<f64> {
    let body = json!({
        "query": "mutation($d: String!) { createTicket(input: { requestType: OTHER, description: $d }) { number } }",
        "variables": { "d": format!("bench {n}") },
    });
    let sent = Instant::now();
    let response = client
        .post(graphql)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await;
    let ok = match response {
        Ok(r) => r
            .json::<Value>()
            .await
            .ok()
            .is_some_and(|v| v["data"]["createTicket"]["number"].is_string()),
        Err(_) => false,
    };
    ok.then(|| sent.elapsed().as_secs_f64() * 1000.0)
}

/// Sends at `rate` per second for `duration`; returns sorted latencies,
/// errors, skipped ticks and the seconds taken.
async fn open_loop(
    client: &reqwest::Client,
    graphql: &str,
    token: &str,
    rate: u32,
    max_outstanding: usize,
    duration: Duration,
) -> (Vec<f64>, u64, u64, f64) {
    let slots = Arc::new(tokio::sync::Semaphore::new(max_outstanding.max(1)));
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let measured = Instant::now();
    let deadline = measured + duration;
    let mut requests = tokio::task::JoinSet::new();
    let mut skipped = 0u64;
    let mut n = 0u64;
    while Instant::now() < deadline {
        ticker.tick().await;
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            skipped += 1;
            continue;
        };
        n += 1;
        let (client, graphql, token) = (client.clone(), graphql.to_owned(), token.to_owned());
        requests.spawn(async move {
            let latency = create_one(&client, &graphql, &token, format!("open-{n}")).await;
            drop(slot);
            latency
        });
    }
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    while let Some(done) = requests.join_next().await {
        match done {
            Ok(Some(latency)) => latencies.push(latency),
            _ => errors += 1,
        }
    }
    latencies.sort_by(f64::total_cmp);
    (latencies, errors, skipped, measured.elapsed().as_secs_f64())
}

/// `clients` closed-loop clients for `duration`.
async fn closed_loop(
    client: &reqwest::Client,
    graphql: &str,
    token: &str,
    concurrency: usize,
    duration: Duration,
) -> (Vec<f64>, u64, f64) {
    let deadline = Instant::now() + duration;
    let workers = (0..concurrency).map(|worker| {
        let client = client.clone();
        let graphql = graphql.to_owned();
        let token = token.to_owned();
        async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                match create_one(&client, &graphql, &token, format!("{worker}-{n}")).await {
                    Some(latency) => latencies.push(latency),
                    None => errors += 1,
                }
            }
            (latencies, errors)
        }
    });
    let measured = Instant::now();
    let results = join_all(workers).await;
    let elapsed = measured.elapsed().as_secs_f64();
    let mut latencies: Vec<f64> = results
        .iter()
        .flat_map(|(l, _)| l.iter().copied())
        .collect();
    let errors: u64 = results.iter().map(|(_, e)| e).sum();
    latencies.sort_by(f64::total_cmp);
    (latencies, errors, elapsed)
}

/// Samples the backlog every second until `stop`: unsent outbox rows plus
/// deliveries claimed or waiting for a retry.
async fn sample_backlog(
    store: Arc<itosm_core::store::sea::SeaStore>,
    stop: CancellationToken,
) -> Vec<u64> {
    let mut samples = Vec::new();
    let db = store.connection();
    let pending = Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM notification_deliveries WHERE status = 'PENDING'",
    );
    loop {
        tokio::select! {
            _ = stop.cancelled() => return samples,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let unsent = store.count_unsent_outbox().await.unwrap_or(0);
        let waiting = match db.query_one_raw(pending.clone()).await {
            Ok(Some(row)) => row
                .try_get::<i64>("", "n")
                .ok()
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(0),
            _ => 0,
        };
        samples.push(unsent + waiting);
    }
}

/// Prints the backlog samples and whether the backlog grew: the mean of the
/// last third of the run against the first third.
fn report_backlog(samples: &[u64]) {
    if samples.len() < 3 {
        println!("backlog: too few samples");
        return;
    }
    let third = samples.len() / 3;
    let mean = |part: &[u64]| part.iter().sum::<u64>() as f64 / part.len().max(1) as f64;
    let (first, last) = (
        mean(&samples[..third]),
        mean(&samples[samples.len() - third..]),
    );
    let grew = last > first * 2.0 + 50.0;
    println!(
        "backlog (unsent + pending deliveries, per second): max {}  first third {first:.0}  last third {last:.0}  grew: {}",
        samples.iter().max().copied().unwrap_or(0),
        if grew { "YES" } else { "no" }
    );
}

/// Event lag: from each ticket's commit to the notifier's first delivery.
async fn event_lag(
    store: &itosm_core::store::sea::SeaStore,
    since: DateTime<Utc>,
    created: usize,
) -> anyhow::Result<()> {
    let db = store.connection();
    let backend = db.get_database_backend();
    let wait_until = Instant::now() + Duration::from_secs(60);
    let pending = Statement::from_string(
        backend,
        "SELECT COUNT(*) AS n FROM notification_deliveries WHERE status = 'PENDING'",
    );
    loop {
        let unsent = store.count_unsent_outbox().await?;
        let waiting = db
            .query_one_raw(pending.clone())
            .await?
            .and_then(|row| row.try_get::<i64>("", "n").ok())
            .unwrap_or(0);
        if (unsent == 0 && waiting == 0) || Instant::now() > wait_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Delivered: the time the sink's answer was logged (`updated_at` of the
    // first DELIVERED row; rows are created when claimed).
    let sql = "SELECT t.created_at AS created, MIN(d.updated_at) AS delivered FROM tickets t \
         JOIN notification_deliveries d ON d.ticket_number = t.ticket_id \
         WHERE t.created_at >= $1 AND d.status = 'DELIVERED' GROUP BY t.id, t.created_at";
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            vec![since.into()],
        ))
        .await?;
    let mut lags: Vec<f64> = rows
        .iter()
        .filter_map(|row| {
            let created: DateTime<Utc> = row.try_get("", "created").ok()?;
            let delivered: DateTime<Utc> = row.try_get("", "delivered").ok()?;
            Some((delivered - created).num_microseconds()? as f64 / 1000.0)
        })
        .collect();
    lags.sort_by(f64::total_cmp);
    println!(
        "event lag ms (commit -> delivered to a sink, {} of {created} tickets): p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}",
        lags.len(),
        percentile(&lags, 50.0),
        percentile(&lags, 95.0),
        percentile(&lags, 99.0),
        lags.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}

/// The same SQL as one ticket creation on PostgreSQL: number from a
/// sequence, ticket, first history row, outbox row, NOTIFY, in one
/// transaction. Outbox rows are born sent so no relay publishes them.
const PGBENCH_SCRIPT: &str = r#"\set uid random(1, 3)
BEGIN;
SELECT nextval('itosm_pgbench_seq') AS seq \gset
INSERT INTO tickets (ticket_id, user_id, request_type, software_id, description, status, priority, assignee_id, created_at, updated_at, version)
  VALUES ('PGBENCH-' || :seq, (SELECT id FROM users ORDER BY id LIMIT 1), 'OTHER', NULL, 'pgbench ' || :seq, 'START', 'MEDIUM', NULL, now(), now(), 1) RETURNING id AS tid \gset
INSERT INTO ticket_history (ticket_id, status, notes, actor_id, updated_at) VALUES (:tid, 'START', 'Ticket created', NULL, now());
INSERT INTO outbox (event_id, event_type, ticket_number, payload, created_at, claimed_until, sent_at, attempts, last_error)
  VALUES (md5(random()::text || :seq)::uuid, 'ticket.created', 'PGBENCH-' || :seq, repeat('x', 900), now(), NULL, now(), 0, NULL);
NOTIFY itosm_pgbench;
COMMIT;
"#;

async fn pgbench(
    config: &Config,
    store: &itosm_core::store::sea::SeaStore,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let db = store.connection();
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(
        backend,
        "CREATE SEQUENCE IF NOT EXISTS itosm_pgbench_seq",
    ))
    .await?;
    let script = std::env::temp_dir().join(format!("itosm-pgbench-{}.sql", std::process::id()));
    std::fs::write(&script, PGBENCH_SCRIPT)?;
    let output = tokio::process::Command::new("pgbench")
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &duration.as_secs().max(1).to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(&config.database.url)
        .output()
        .await
        .context("running pgbench (install postgresql-client)")?;
    let _ = std::fs::remove_file(&script);
    for cleanup in [
        "DELETE FROM ticket_history WHERE ticket_id IN (SELECT id FROM tickets WHERE ticket_id LIKE 'PGBENCH-%')",
        "DELETE FROM tickets WHERE ticket_id LIKE 'PGBENCH-%'",
        "DELETE FROM outbox WHERE ticket_number LIKE 'PGBENCH-%'",
    ] {
        db.execute_raw(Statement::from_string(backend, cleanup))
            .await?;
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no tps in pgbench output: {stdout}"))
}

/// Runs `itosm bench notifier`: pre-fills the queue with `events` and times
/// a notifier (no-op sink, real delivery log) draining it.
pub async fn notifier(config: &Config, events: u64) -> anyhow::Result<()> {
    let settings = app::amqp_settings(config);
    let store = app::open_store(config, app::DatabaseAccess::ExistingOnly).await?;
    let connection = rabbitmq::connect(&settings)
        .await
        .map_err(|e| anyhow::anyhow!("transport.amqp_url: {e}"))?;
    let channel = connection.create_channel().await?;
    rabbitmq::declare_topology(&channel, &settings)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    channel
        .queue_purge(settings.queue.as_str().into(), QueuePurgeOptions::default())
        .await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    println!(
        "itosm bench notifier: pre-filling {} with {events} events",
        settings.queue
    );
    let now = Utc::now();
    let mut confirms = Vec::new();
    // The outbox holds every event (born sent), as it does for real ones:
    // the retry sweeper loads payloads from it.
    let mut outbox_rows: Vec<EventEnvelope> = Vec::new();
    for n in 0..events {
        let event = EventEnvelope::new(
            EventType::TicketCreated,
            uuid::Uuid::now_v7(),
            now,
            None,
            TicketSnapshot {
                number: format!("BENCH-{n:07}"),
                subject: String::new(),
                requester: "john.doe".into(),
                requester_name: "John Doe".into(),
                requester_email: None,
                request_type: RequestType::Other,
                software: None,
                description: "bench".into(),
                status: TicketStatus::Start,
                priority: Priority::Medium,
                assignee: None,
                assignee_email: None,
                created_at: now,
                updated_at: now,
                version: 1,
                first_response_due_at: None,
                resolution_due_at: None,
            },
        );
        let payload = event.to_json();
        outbox_rows.push(event);
        if outbox_rows.len() >= 500 {
            insert_outbox(store.as_ref(), &outbox_rows).await?;
            outbox_rows.clear();
        }
        let confirm = channel
            .basic_publish(
                settings.exchange.as_str().into(),
                "ticket.created".into(),
                lapin::options::BasicPublishOptions::default(),
                payload.as_bytes(),
                lapin::BasicProperties::default().with_delivery_mode(2),
            )
            .await?;
        confirms.push(confirm);
        if confirms.len() >= 1000 {
            for confirm in join_all(confirms.drain(..)).await {
                confirm?;
            }
        }
    }
    for confirm in join_all(confirms.drain(..)).await {
        confirm?;
    }
    insert_outbox(store.as_ref(), &outbox_rows).await?;
    let _ = connection.close(200, "filled".into()).await;

    let metrics = Arc::new(Metrics::default());
    let delivered = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let notifier = Notifier::start(
        vec![crate::sinks::ConfiguredSink::broadcast(Arc::new(
            CountingSink {
                inner: NoopSink("noop".into()),
                delivered: Arc::clone(&delivered),
            },
        ))],
        store.clone(),
        app::notifier_settings(config),
        None,
        Arc::clone(&metrics),
    );
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let consumer = tokio::spawn(rabbitmq::run_notifier_consumer(
        settings.clone(),
        notifier.clone(),
        Arc::new(rabbitmq::BrokerHealth::new(settings.broker())),
        shutdown.clone(),
    ));
    let count = || delivered.load(std::sync::atomic::Ordering::Relaxed);
    while count() < events {
        if started.elapsed() > Duration::from_secs(600) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Delivered counts sink answers; the drain ends when they are logged.
    notifier.shutdown(Duration::from_secs(60)).await;
    let elapsed = started.elapsed().as_secs_f64();
    shutdown.cancel();
    let _ = consumer.await;
    let drained = count();
    println!(
        "drained {drained} events in {elapsed:.2}s: {:.0} events/s (prefetch {}, claimed and logged in the delivery log)",
        drained as f64 / elapsed,
        settings.prefetch
    );
    let db = store.connection();
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "DELETE FROM notification_deliveries WHERE ticket_number LIKE 'BENCH-%'",
    ))
    .await?;
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "DELETE FROM outbox WHERE ticket_number LIKE 'BENCH-%'",
    ))
    .await?;
    Ok(())
}

/// Writes `events` to the outbox as already sent (one statement).
async fn insert_outbox(
    store: &itosm_core::store::sea::SeaStore,
    events: &[EventEnvelope],
) -> anyhow::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let db = store.connection();
    let now = Utc::now();
    let mut rows = Vec::with_capacity(events.len());
    let mut values: Vec<sea_orm::Value> = vec![now.into()];
    for (i, event) in events.iter().enumerate() {
        let n = 2 + i * 4;
        rows.push(format!(
            "(${}, ${}, ${}, ${}, $1, NULL, $1, 1, NULL)",
            n,
            n + 1,
            n + 2,
            n + 3
        ));
        values.extend([
            event.event_id.into(),
            event.event_type.as_str().into(),
            event.subject_key().to_owned().into(),
            event.to_json().into(),
        ]);
    }
    let sql = format!(
        "INSERT INTO outbox (event_id, event_type, ticket_number, payload, created_at, claimed_until, sent_at, attempts, last_error) VALUES {}",
        rows.join(", ")
    );
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await?;
    Ok(())
}
