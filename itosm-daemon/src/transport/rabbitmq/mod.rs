//! The RabbitMQ transport (lapin): topology, a confirming publisher for the
//! relay, the notifier's consumer, the live-feed consumer, and the DLQ tools.
//!
//! lapin does not reconnect by itself. The publisher reconnects lazily on the
//! next publish after a failure; the consumers run under supervisors that
//! rebuild connection, channel, topology and consumer with backoff, and treat
//! a consumer stream that ends as a cancellation to recover from.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use itosm_core::event::EventEnvelope;
use itosm_core::transport::{BroadcastFeed, EventPublisher, TransportError};
use lapin::Confirmation;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions,
    BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::notifier::{DeadLetters, Disposition, Notifier};

mod consume;
mod dlq;
mod kind;
pub use consume::{DeliveryHandler, run_feed_consumer, run_notifier_consumer};
pub use dlq::{DeadLetter, dlq_list, dlq_replay};
pub use kind::{RabbitMq, RabbitMqConfig, build};

/// The header `itosm dlq replay` puts on a replayed event, so the notifier
/// takes back deliveries that failed for good.
pub const REPLAY_HEADER: &str = "x-itosm-replay";

/// Names and limits of the broker topology.
#[derive(Debug, Clone)]
pub struct AmqpSettings {
    /// Broker URL.
    pub url: String,
    /// The durable topic exchange (`ticket_exchange`).
    pub exchange: String,
    /// The notifier's durable queue (`notification_queue`).
    pub queue: String,
    /// Unacked deliveries per notifier consumer.
    pub prefetch: u16,
    /// How long to wait for the broker to answer a connect (and each step
    /// of setting up a channel).
    pub connect_timeout: Duration,
    /// How long to wait for a publish's confirm before taking the broker
    /// for lost.
    pub confirm_timeout: Duration,
    /// AMQP heartbeat in seconds (used unless the URL names one): a link
    /// silent for two of them is taken for lost.
    pub heartbeat: u16,
}

impl AmqpSettings {
    /// The broker's host and port, for log lines (no credentials).
    pub fn broker(&self) -> String {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        let authority = rest.split(['/', '?']).next().unwrap_or(rest);
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host)
            .to_owned()
    }

    /// The URL with the heartbeat added, unless it names one.
    fn url_with_heartbeat(&self) -> String {
        if self.url.contains("heartbeat=") || self.heartbeat == 0 {
            return self.url.clone();
        }
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}heartbeat={}", self.url, self.heartbeat)
    }

    /// The dead-letter queue: `<queue>.dlq`.
    pub fn dlq(&self) -> String {
        format!("{}.dlq", self.queue)
    }

    /// The dead-letter exchange: `<queue>.dlx`.
    pub fn dlx(&self) -> String {
        format!("{}.dlx", self.queue)
    }
}

/// Whether the broker is reachable, as last seen by each part of this
/// process that talks to it (publisher, notifier consumer, live feed): up
/// only while every part that reported is up.
#[derive(Debug, Default)]
pub struct BrokerHealth {
    parts: StdMutex<BTreeMap<&'static str, bool>>,
    broker: String,
}

impl BrokerHealth {
    /// Health for the broker at `broker` (host:port, named in log lines).
    pub fn new(broker: String) -> Self {
        BrokerHealth {
            parts: StdMutex::default(),
            broker,
        }
    }

    /// Records what `part` last saw; logs when it loses or regains the
    /// broker.
    pub fn set(&self, part: &'static str, up: bool) {
        let was = self
            .parts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(part, up);
        let broker = &self.broker;
        match (was, up) {
            (Some(true), false) => {
                tracing::error!(%broker, part, "lost the broker (RabbitMQ); reconnecting, not ready until it is back")
            }
            (Some(false), true) => tracing::warn!(%broker, part, "the broker (RabbitMQ) is back"),
            _ => {}
        }
    }

    /// Whether every part is up.
    pub fn is_up(&self) -> bool {
        let parts = self.parts.lock().unwrap_or_else(|p| p.into_inner());
        !parts.is_empty() && parts.values().all(|up| *up)
    }
}

/// Runs `step` with the connect timeout: on a silent link a channel step
/// would otherwise wait forever.
async fn within<T>(
    settings: &AmqpSettings,
    what: &str,
    step: impl std::future::Future<Output = Result<T, lapin::Error>>,
) -> Result<T, TransportError> {
    match tokio::time::timeout(settings.connect_timeout, step).await {
        Ok(result) => result.map_err(unavailable),
        Err(_) => Err(TransportError::Unavailable(format!(
            "no answer from the broker to {what} within {:?}",
            settings.connect_timeout
        ))),
    }
}

fn unavailable(error: impl std::fmt::Display) -> TransportError {
    TransportError::Unavailable(error.to_string())
}

/// Connects with a timeout.
pub async fn connect(settings: &AmqpSettings) -> Result<Connection, TransportError> {
    let url = settings.url_with_heartbeat();
    let connecting = Connection::connect(&url, ConnectionProperties::default());
    match tokio::time::timeout(settings.connect_timeout, connecting).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(unavailable(error)),
        Err(_) => Err(TransportError::Unavailable(format!(
            "no answer from the broker within {:?}",
            settings.connect_timeout
        ))),
    }
}

/// Opens a channel on `connection` and declares the topology on it, each
/// step bounded by the connect timeout (a silent link answers nothing).
async fn open_channel(
    connection: &Connection,
    settings: &AmqpSettings,
) -> Result<Channel, TransportError> {
    let channel = within(settings, "open a channel", connection.create_channel()).await?;
    match tokio::time::timeout(
        settings.connect_timeout,
        declare_topology(&channel, settings),
    )
    .await
    {
        Ok(declared) => declared?,
        Err(_) => {
            return Err(TransportError::Unavailable(format!(
                "no answer from the broker to declaring the topology within {:?}",
                settings.connect_timeout
            )));
        }
    }
    Ok(channel)
}

/// Declares the topology idempotently: the topic exchange, the notifier's
/// quorum queue bound with `ticket.#` and dead-lettering at least once to
/// `<queue>.dlx`, and the dead-letter queue bound to it.
///
/// Quorum rather than classic: it survives a broker node loss, and only
/// quorum queues dead-letter at least once (classic queues may drop a
/// dead-lettered message).
pub async fn declare_topology(
    channel: &Channel,
    settings: &AmqpSettings,
) -> Result<(), TransportError> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            settings.exchange.as_str().into(),
            ExchangeKind::Topic,
            durable,
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    channel
        .exchange_declare(
            settings.dlx().as_str().into(),
            ExchangeKind::Fanout,
            durable,
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    let mut dlq_args = FieldTable::default();
    dlq_args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    channel
        .queue_declare(
            settings.dlq().as_str().into(),
            QueueDeclareOptions::durable(),
            dlq_args,
        )
        .await
        .map_err(unavailable)?;
    channel
        .queue_bind(
            settings.dlq().as_str().into(),
            settings.dlx().as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(settings.dlx().as_str().into()),
    );
    args.insert(
        "x-dead-letter-strategy".into(),
        AMQPValue::LongString("at-least-once".into()),
    );
    args.insert(
        "x-overflow".into(),
        AMQPValue::LongString("reject-publish".into()),
    );
    args.insert("x-delivery-limit".into(), AMQPValue::LongInt(20));
    channel
        .queue_declare(
            settings.queue.as_str().into(),
            QueueDeclareOptions::durable(),
            args,
        )
        .await
        .map_err(unavailable)?;
    channel
        .queue_bind(
            settings.queue.as_str().into(),
            settings.exchange.as_str().into(),
            "ticket.#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Sends one envelope (persistent, mandatory, routing key = event type);
/// the returned future resolves to its confirm.
async fn send(
    channel: &Channel,
    exchange: &str,
    event: &EventEnvelope,
    replay: bool,
) -> Result<lapin::PublisherConfirm, TransportError> {
    let payload = event.to_json();
    let mut properties = BasicProperties::default();
    if replay {
        let mut headers = FieldTable::default();
        headers.insert(REPLAY_HEADER.into(), AMQPValue::Boolean(true));
        properties = properties.with_headers(headers);
    }
    let properties = properties
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(ShortString::from(event.event_id.to_string()))
        .with_type(event.event_type.as_str().into())
        .with_timestamp(u64::try_from(event.occurred_at.timestamp()).unwrap_or(0));
    channel
        .basic_publish(
            exchange.into(),
            event.event_type.as_str().into(),
            BasicPublishOptions {
                mandatory: true,
                ..BasicPublishOptions::default()
            },
            payload.as_bytes(),
            properties,
        )
        .await
        .map_err(unavailable)
}

/// Reads a confirm. An unroutable mandatory publish comes back as
/// `Ack(Some(returned))`: a failure, not a success.
fn judge(confirmation: Confirmation, exchange: &str) -> Result<(), TransportError> {
    match confirmation {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(returned)) => Err(TransportError::Rejected(format!(
            "unroutable: no queue is bound to {exchange} for {}",
            returned.routing_key
        ))),
        Confirmation::Nack(_) => Err(TransportError::Rejected(
            "the broker nacked the message".to_owned(),
        )),
        Confirmation::NotRequested => Err(TransportError::Rejected(
            "publisher confirms were not enabled".to_owned(),
        )),
    }
}

/// Publishes one envelope (marked as a replay if `replay`) and waits for
/// its confirm.
pub async fn publish_confirmed(
    channel: &Channel,
    exchange: &str,
    event: &EventEnvelope,
    replay: bool,
) -> Result<(), TransportError> {
    let confirm = send(channel, exchange, event, replay).await?;
    judge(confirm.await.map_err(unavailable)?, exchange)
}

/// The relay's publisher: one confirm-mode channel, rebuilt after failures.
pub struct RabbitPublisher {
    settings: AmqpSettings,
    /// Where it publishes (the exchange, or the dead-letter exchange).
    exchange: String,
    part: &'static str,
    channel: Mutex<Option<(Connection, Channel)>>,
    health: Arc<BrokerHealth>,
}

impl RabbitPublisher {
    /// A publisher to the exchange that connects on first use.
    pub fn new(settings: AmqpSettings, health: Arc<BrokerHealth>) -> Self {
        RabbitPublisher {
            exchange: settings.exchange.clone(),
            settings,
            part: "publisher",
            channel: Mutex::new(None),
            health,
        }
    }

    /// A publisher to the dead-letter exchange (`<queue>.dlx`), for the
    /// notifier's events that keep failing.
    pub fn dead_letters(settings: AmqpSettings, health: Arc<BrokerHealth>) -> Self {
        RabbitPublisher {
            exchange: settings.dlx(),
            settings,
            part: "dead-letter publisher",
            channel: Mutex::new(None),
            health,
        }
    }

    async fn open(&self) -> Result<(Connection, Channel), TransportError> {
        let connection = connect(&self.settings).await?;
        let channel = open_channel(&connection, &self.settings).await?;
        within(
            &self.settings,
            "confirm.select",
            channel.confirm_select(ConfirmSelectOptions::default()),
        )
        .await?;
        Ok((connection, channel))
    }
}

impl RabbitPublisher {
    /// The open channel, reconnecting if it is gone.
    async fn ready_channel<'a>(
        &self,
        slot: &'a mut Option<(Connection, Channel)>,
    ) -> Result<&'a Channel, TransportError> {
        let healthy = slot
            .as_ref()
            .is_some_and(|(c, ch)| c.status().connected() && ch.status().connected());
        if !healthy {
            *slot = None;
            match self.open().await {
                Ok(opened) => *slot = Some(opened),
                Err(error) => {
                    self.health.set(self.part, false);
                    return Err(error);
                }
            }
        }
        slot.as_ref()
            .map(|(_, channel)| channel)
            .ok_or_else(|| TransportError::Unavailable("no channel".to_owned()))
    }
}

#[async_trait]
impl EventPublisher for RabbitPublisher {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), TransportError> {
        self.publish_batch(std::slice::from_ref(event))
            .await
            .pop()
            .unwrap_or_else(|| Err(TransportError::Unavailable("nothing published".to_owned())))
    }

    async fn publish_batch(&self, events: &[EventEnvelope]) -> Vec<Result<(), TransportError>> {
        let mut slot = self.channel.lock().await;
        let channel = match self.ready_channel(&mut slot).await {
            Ok(channel) => channel,
            Err(error) => return events.iter().map(|_| Err(error.clone())).collect(),
        };
        // Send every message first, then await the confirms together: one
        // round trip per batch instead of one per event. A silent link
        // (a partition) shows as confirms that never come: past
        // `confirm_timeout` the broker is taken for lost.
        let exchange = self.exchange.as_str();
        let publish = async {
            let mut pending = Vec::with_capacity(events.len());
            for event in events {
                pending.push(send(channel, exchange, event, false).await);
            }
            let mut results = Vec::with_capacity(events.len());
            for sent in pending {
                results.push(match sent {
                    Ok(confirm) => match confirm.await {
                        Ok(confirmation) => judge(confirmation, exchange),
                        Err(error) => Err(unavailable(error)),
                    },
                    Err(error) => Err(error),
                });
            }
            results
        };
        let timeout = self.settings.confirm_timeout;
        let results = match tokio::time::timeout(timeout, publish).await {
            Ok(results) => results,
            Err(_) => events
                .iter()
                .map(|_| {
                    Err(TransportError::Unavailable(format!(
                        "no confirm from the broker within {timeout:?}"
                    )))
                })
                .collect(),
        };
        if results
            .iter()
            .any(|r| matches!(r, Err(TransportError::Unavailable(_))))
        {
            self.health.set(self.part, false);
            if let Some((connection, _)) = slot.take() {
                // Not awaited: on a silent link the close would hang too.
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        connection.close(200, "reconnecting".into()),
                    )
                    .await;
                });
            }
        } else {
            self.health.set(self.part, true);
        }
        results
    }
}

#[async_trait]
impl DeadLetters for RabbitPublisher {
    async fn dead_letter(&self, event: &EventEnvelope) -> Result<(), TransportError> {
        self.publish(event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, heartbeat: u16) -> AmqpSettings {
        AmqpSettings {
            url: url.to_owned(),
            exchange: "x".into(),
            queue: "q".into(),
            prefetch: 1,
            connect_timeout: Duration::from_secs(1),
            confirm_timeout: Duration::from_secs(1),
            heartbeat,
        }
    }

    #[test]
    fn the_heartbeat_goes_into_the_url_unless_it_names_one() {
        let plain = settings("amqp://guest:secret@rabbit:5672/%2f", 10);
        assert_eq!(
            plain.url_with_heartbeat(),
            "amqp://guest:secret@rabbit:5672/%2f?heartbeat=10"
        );
        assert_eq!(plain.broker(), "rabbit:5672", "no credentials in log lines");
        let query = settings("amqp://rabbit/%2f?frame_max=8192", 5);
        assert_eq!(
            query.url_with_heartbeat(),
            "amqp://rabbit/%2f?frame_max=8192&heartbeat=5"
        );
        let named = settings("amqp://rabbit/%2f?heartbeat=60", 5);
        assert_eq!(named.url_with_heartbeat(), "amqp://rabbit/%2f?heartbeat=60");
        assert_eq!(
            settings("amqp://rabbit", 0).url_with_heartbeat(),
            "amqp://rabbit"
        );
    }

    #[test]
    fn the_broker_is_up_only_while_every_part_is() {
        let health = BrokerHealth::new("rabbit:5672".into());
        assert!(!health.is_up(), "nobody has reached it yet");
        health.set("publisher", true);
        health.set("live feed", true);
        assert!(health.is_up());
        health.set("live feed", false);
        assert!(!health.is_up());
        health.set("live feed", true);
        assert!(health.is_up());
    }
}
