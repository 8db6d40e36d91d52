//! A real RabbitMQ for tests: per-test exchange and queue names (so tests
//! can run side by side), a plain AMQP client, and cleanup.

use std::path::Path;
use std::time::Duration;

use lapin::options::{
    BasicGetOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{Channel, Connection, ConnectionProperties};

/// This test's topology names.
pub struct Broker {
    pub url: String,
    pub exchange: String,
    pub queue: String,
    extra_queues: std::sync::Mutex<Vec<String>>,
}

impl Broker {
    pub async fn new(tag: &str) -> Broker {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Broker {
            url: itosm_testkit::amqp_url().await,
            exchange: format!("itosm_test_{tag}_{}_exchange", &id[..8]),
            queue: format!("itosm_test_{tag}_{}_queue", &id[..8]),
            extra_queues: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The daemon config for this broker, plus `rest` appended.
    pub fn config(&self, rest: &str) -> String {
        format!(
            "demo_data = true\n\n[transport]\nkind = \"rabbitmq\"\namqp_url = \"{}\"\nexchange = \"{}\"\nqueue = \"{}\"\nconnect_timeout = \"2s\"\n\n[relay]\nsweep_interval = \"200ms\"\n\n{rest}",
            self.url, self.exchange, self.queue
        )
    }

    pub async fn channel(&self) -> (Connection, Channel) {
        let connection = Connection::connect(&self.url, ConnectionProperties::default())
            .await
            .expect("test client connects");
        let channel = connection.create_channel().await.expect("channel");
        (connection, channel)
    }

    /// A plain client's own queue bound to the exchange with `ticket.#`.
    pub async fn bind_listener(&self, channel: &Channel) -> String {
        let name = format!("{}_listener", self.queue);
        channel
            .queue_declare(
                name.as_str().into(),
                QueueDeclareOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("declare");
        channel
            .queue_bind(
                name.as_str().into(),
                self.exchange.as_str().into(),
                "ticket.#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .expect("bind");
        self.extra_queues.lock().unwrap().push(name.clone());
        name
    }

    /// Waits (bounded) for one message on `queue`; returns body and routing key.
    pub async fn get_one(&self, channel: &Channel, queue: &str) -> (serde_json::Value, String) {
        for _ in 0..100 {
            if let Some(message) = channel
                .basic_get(queue.into(), BasicGetOptions { no_ack: true })
                .await
                .expect("basic_get")
            {
                let body = serde_json::from_slice(&message.delivery.data).expect("JSON body");
                return (body, message.delivery.routing_key.to_string());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no message on {queue} within 10s");
    }

    /// Deletes everything this test declared.
    pub async fn cleanup(&self) {
        let Ok(connection) = Connection::connect(&self.url, ConnectionProperties::default()).await
        else {
            return;
        };
        let Ok(channel) = connection.create_channel().await else {
            return;
        };
        let mut queues = self.extra_queues.lock().unwrap().clone();
        queues.extend([self.queue.clone(), format!("{}.dlq", self.queue)]);
        for queue in queues {
            let _ = channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
        for exchange in [self.exchange.clone(), format!("{}.dlx", self.queue)] {
            let _ = channel
                .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
                .await;
        }
        let _ = connection.close(200, "test done".into()).await;
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let url = self.url.clone();
        let me = Broker {
            url,
            exchange: self.exchange.clone(),
            queue: self.queue.clone(),
            extra_queues: std::sync::Mutex::new(self.extra_queues.lock().unwrap().clone()),
        };
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(me.cleanup());
            }
            std::mem::forget(me);
        })
        .join();
    }
}

/// Lines in a file (0 if it does not exist).
pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Waits (bounded) until `path` has at least `n` lines.
pub async fn wait_lines(path: &Path, n: usize, seconds: u64) -> Vec<String> {
    for _ in 0..seconds * 10 {
        let found = lines(path);
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{} has {} lines, expected {n}, after {seconds}s",
        path.display(),
        lines(path).len()
    );
}
