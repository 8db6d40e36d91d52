//! `itosm bench agents`: simulates a fleet of agents over HTTP against a
//! running daemon — each enrols once, then sends one heartbeat per
//! interval, spread evenly — and reports heartbeats/s, latency percentiles
//! and write transactions per heartbeat (PostgreSQL's transaction ids
//! assigned in the window, read before and after: only a transaction that
//! writes takes one), the number the batched writer exists to keep far
//! below one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use itosm_core::policy::Actor;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::app;
use crate::bench::percentile;
use crate::config::Config;

/// Enrolments in flight at once.
const ENROL_CONCURRENCY: usize = 32;

fn inventory(n: usize) -> Value {
    json!({
        "hostname": format!("bench-{n:06}"),
        "os": { "name": "Debian GNU/Linux", "version": "12", "kernel": "6.1.0" },
        "serial": format!("BENCH-{n:06}"),
        "cpu": { "model": "bench", "cores": 4 },
        "memory_bytes": 8_589_934_592u64,
        "disks": [{ "mount": "/", "device": "/dev/vda1", "filesystem": "ext4", "total_bytes": 100_000_000_000u64 }],
    })
}

fn sample(n: usize) -> Value {
    json!({ "sample": {
        "cpu_percent": (n % 50) as f64,
        "memory_used_bytes": 2_000_000_000u64,
        "memory_total_bytes": 8_589_934_592u64,
        "load": [0.3, 0.2, 0.1],
        "uptime_seconds": 3600 + n,
        "disks": [{ "mount": "/", "used_bytes": 40_000_000_000u64, "total_bytes": 100_000_000_000u64 }],
    } })
}

async fn commits(store: &itosm_core::store::sea::SeaStore) -> Option<i64> {
    if store.is_sqlite() {
        return None;
    }
    let row = store
        .connection()
        .query_one_raw(Statement::from_string(
            sea_orm::DbBackend::Postgres,
            // The next transaction id: it advances once per transaction that
            // wrote (reads, the credential checks among them, take none).
            "SELECT txid_snapshot_xmax(txid_current_snapshot())::bigint AS next_xid",
        ))
        .await
        .ok()??;
    row.try_get::<i64>("", "next_xid").ok()
}

/// Sends heartbeats for `duration`, each agent once per `interval`;
/// the latencies (ms) of those accepted and the count of the others.
async fn beat(
    client: &reqwest::Client,
    url: &str,
    credentials: &Arc<Vec<String>>,
    interval: Duration,
    duration: Duration,
) -> (Vec<f64>, u64) {
    let fleet = credentials.len();
    let every = interval.div_f64(fleet as f64);
    let deadline = Instant::now() + duration;
    let mut ticker = tokio::time::interval(every.max(Duration::from_micros(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut inflight = futures::stream::FuturesUnordered::new();
    let mut latencies = Vec::new();
    let (mut sent, mut errors) = (0usize, 0u64);
    while Instant::now() < deadline {
        tokio::select! {
            _ = ticker.tick() => {
                let n = sent % fleet;
                sent += 1;
                let (client, url, credential) = (client.clone(), url.to_owned(), credentials[n].clone());
                inflight.push(async move {
                    let at = Instant::now();
                    let ok = client
                        .post(&url)
                        .bearer_auth(credential)
                        .json(&sample(n))
                        .send()
                        .await
                        .is_ok_and(|r| r.status().as_u16() == 202);
                    (ok, at.elapsed().as_secs_f64() * 1000.0)
                });
            }
            Some((ok, ms)) = inflight.next(), if !inflight.is_empty() => {
                if ok { latencies.push(ms) } else { errors += 1 }
            }
        }
    }
    while let Some((ok, ms)) = inflight.next().await {
        if ok {
            latencies.push(ms);
        } else {
            errors += 1;
        }
    }
    (latencies, errors)
}

/// Runs `itosm bench agents`.
pub async fn agents(
    config: &Config,
    url: &str,
    agents: usize,
    interval: Duration,
    duration: Duration,
) -> anyhow::Result<()> {
    let base = url.trim_end_matches('/').to_owned();
    let store = app::open_store(config, app::DatabaseAccess::ExistingOnly).await?;
    let itosm = app::services(config, store.clone()).await?;
    let operator = Actor::operator();
    println!("itosm bench agents: enrolling {agents} agents against {base}");
    let mut tokens = Vec::with_capacity(agents);
    for _ in 0..agents {
        let (token, _) = itosm
            .create_enrollment_token(Some(&operator), chrono::Duration::hours(1))
            .await
            .context("creating enrolment tokens")?;
        tokens.push(token);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?;
    let enrol_started = Instant::now();
    let credentials: Vec<String> = futures::stream::iter(tokens.into_iter().enumerate())
        .map(|(n, token)| {
            let client = client.clone();
            let url = format!("{base}{}", itosm_core::agent_protocol::ENROLL_PATH);
            async move {
                let body = json!({ "token": token, "hints": { "hostname": format!("bench-{n:06}"), "serial": format!("BENCH-{n:06}") }, "inventory": inventory(n) });
                let answer: Value = client.post(&url).json(&body).send().await.ok()?.json().await.ok()?;
                answer["credential"].as_str().map(str::to_owned)
            }
        })
        .buffer_unordered(ENROL_CONCURRENCY)
        .filter_map(|c| async move { c })
        .collect()
        .await;
    println!(
        "  enrolled {} of {agents} in {:.1}s",
        credentials.len(),
        enrol_started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(!credentials.is_empty(), "no agent could enrol");

    // Each agent beats once per interval, the fleet spread evenly over it:
    // the steady load of a real fleet (open loop). The first interval
    // (every device's first heartbeat turns it from UNKNOWN to UP, an
    // event each) warms up and is not counted.
    let credentials = Arc::new(credentials);
    let fleet = credentials.len();
    let url = format!("{base}{}", itosm_core::agent_protocol::HEARTBEAT_PATH);
    println!("  warming up for {interval:?} (first heartbeats: UNKNOWN → UP events)");
    beat(&client, &url, &credentials, interval, interval).await;
    tokio::time::sleep(config.agents.flush_interval.get() * 3).await;
    let commits_before = commits(&store).await;
    let started = Instant::now();
    let (mut latencies, errors) = beat(&client, &url, &credentials, interval, duration).await;
    let elapsed = started.elapsed().as_secs_f64();
    // Let the writer flush what it acknowledged before counting commits.
    tokio::time::sleep(config.agents.flush_interval.get() * 3).await;
    let commits_after = commits(&store).await;
    latencies.sort_by(f64::total_cmp);
    let done = latencies.len();
    println!(
        "  measured: {done} heartbeats in {elapsed:.1}s = {:.0}/s (target {:.0}/s: {fleet} agents every {interval:?}), errors {errors}",
        done as f64 / elapsed,
        fleet as f64 / interval.as_secs_f64()
    );
    println!(
        "  latency ms: p50 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0)
    );
    match (commits_before, commits_after) {
        (Some(before), Some(after)) if done > 0 => println!(
            "  database write transactions: {} for {done} heartbeats = {:.4} per heartbeat (every write in the window, the relay's and notifier's included)",
            after - before,
            (after - before) as f64 / done as f64
        ),
        _ => println!("  database write transactions: not measured (PostgreSQL only)"),
    }
    Ok(())
}
