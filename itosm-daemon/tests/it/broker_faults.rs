//! A broker outage loses nothing: with RabbitMQ down for this daemon,
//! tickets are still created (the events wait in the outbox); once it is
//! back, every event is delivered exactly once to the sink. The outage is
//! staged with a chaos proxy between this daemon and the broker: the shared
//! broker other tests use is never stopped.

use std::collections::HashSet;

use crate::support;
use crate::support::App;
use crate::support::broker::{Broker, wait_lines};
use itosm_testkit::proxy::{ChaosProxy, ProxyMode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_loses_no_ticket_and_no_event() {
    let broker = Broker::new("outage").await;
    let db = itosm_testkit::TestDatabase::create().await;
    let sinks = tempfile::tempdir().unwrap();
    let audit = sinks.path().join("audit.log");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("itosm.toml");
    let (proxy, proxied_amqp) = ChaosProxy::for_url(&broker.url).await;
    std::fs::write(
        &config,
        broker
            .config(&format!(
                "[[notifications.sinks]]\nkind = \"file\"\nname = \"audit\"\npath = \"{}\"\n",
                audit.display()
            ))
            .replace(&broker.url, &proxied_amqp),
    )
    .unwrap();
    let config = config.display().to_string();
    let app = App::launch(
        dir,
        db.url.clone(),
        None,
        &["serve", "--config", &config],
        &[],
        true,
    )
    .await;
    let token = app.login("john.doe", "EMP123").await;
    let create = |i: usize| {
        let app = &app;
        let token = token.clone();
        async move {
            let (status, body) = app
                .rest_post(
                    Some(&token),
                    "/api/tickets",
                    json!({ "requestType": "OTHER", "description": format!("outage ticket {i}") }),
                )
                .await;
            assert_eq!(
                status, 201,
                "ticket {i} is created whatever the broker: {body}"
            );
            body["ticketId"].as_str().unwrap().to_owned()
        }
    };
    let mut numbers = vec![create(0).await];
    wait_lines(&audit, 1, 30).await;

    proxy.set(ProxyMode::Down);
    for i in 1..=10 {
        numbers.push(create(i).await);
    }
    let mut status = 0;
    for _ in 0..100 {
        status = app.rest_get_raw("/readyz").await.0;
        if status == 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 503, "readiness reports the broker down");
    proxy.set(ProxyMode::Forward);

    let delivered = wait_lines(&audit, 11, 90).await;
    // Once every ticket's delivery log holds its outcome nothing is sent
    // again: count then, instead of after a fixed wait.
    let admin = app.login("admin.user", "ADMIN01").await;
    for number in &numbers {
        let log = app.settled_notifications(&admin, number, "status").await;
        let rows = log["data"]["ticket"]["notifications"].as_array().unwrap();
        assert!(
            !rows.is_empty() && rows.iter().all(|row| row["status"] == "DELIVERED"),
            "{number}: {log}"
        );
    }
    let delivered_again = support::broker::lines(&audit);
    assert_eq!(
        delivered_again.len(),
        11,
        "each event delivered once: {delivered:?}"
    );
    let seen: HashSet<String> = delivered_again
        .iter()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["ticket"]["number"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        seen,
        numbers.into_iter().collect::<HashSet<_>>(),
        "none lost"
    );
    app.stop().await;
    broker.cleanup().await;
}
