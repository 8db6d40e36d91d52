//! The RabbitMQ transport (lapin): topology, a confirming publisher for the
//! relay, the notifier's consumer, the live-feed consumer, and the DLQ tools.
//!
//! lapin does not reconnect by itself. The publisher reconnects lazily on the
//! next publish after a failure; the consumers run under supervisors that
//! rebuild connection, channel, topology and consumer with backoff, and treat
//! a consumer stream that ends as a cancellation to recover from.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use itosm_core::event::EventEnvelope;
use itosm_core::transport::{BroadcastFeed, EventPublisher, TransportError};
use lapin::Confirmation;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicPublishOptions,
    BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

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
    /// How long to wait for the broker to answer a connect.
    pub connect_timeout: Duration,
}

impl AmqpSettings {
    /// The dead-letter queue: `<queue>.dlq`.
    pub fn dlq(&self) -> String {
        format!("{}.dlq", self.queue)
    }

    /// The dead-letter exchange: `<queue>.dlx`.
    pub fn dlx(&self) -> String {
        format!("{}.dlx", self.queue)
    }
}

/// Whether the broker is reachable, as last seen by this process.
#[derive(Debug, Default)]
pub struct BrokerHealth(AtomicBool);

impl BrokerHealth {
    /// Records the latest state.
    pub fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }

    /// The latest state.
    pub fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

fn unavailable(error: impl std::fmt::Display) -> TransportError {
    TransportError::Unavailable(error.to_string())
}

/// Connects with a timeout.
pub async fn connect(settings: &AmqpSettings) -> Result<Connection, TransportError> {
    let connecting = Connection::connect(&settings.url, ConnectionProperties::default());
    match tokio::time::timeout(settings.connect_timeout, connecting).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(unavailable(error)),
        Err(_) => Err(TransportError::Unavailable(format!(
            "no answer from the broker within {:?}",
            settings.connect_timeout
        ))),
    }
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
) -> Result<lapin::PublisherConfirm, TransportError> {
    let payload = event.to_json();
    let properties = BasicProperties::default()
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

/// Publishes one envelope and waits for its confirm.
pub async fn publish_confirmed(
    channel: &Channel,
    exchange: &str,
    event: &EventEnvelope,
) -> Result<(), TransportError> {
    let confirm = send(channel, exchange, event).await?;
    judge(confirm.await.map_err(unavailable)?, exchange)
}

/// The relay's publisher: one confirm-mode channel, rebuilt after failures.
pub struct RabbitPublisher {
    settings: AmqpSettings,
    channel: Mutex<Option<(Connection, Channel)>>,
    health: Arc<BrokerHealth>,
}

impl RabbitPublisher {
    /// A publisher that connects on first use.
    pub fn new(settings: AmqpSettings, health: Arc<BrokerHealth>) -> Self {
        RabbitPublisher {
            settings,
            channel: Mutex::new(None),
            health,
        }
    }

    async fn open(&self) -> Result<(Connection, Channel), TransportError> {
        let connection = connect(&self.settings).await?;
        let channel = connection.create_channel().await.map_err(unavailable)?;
        declare_topology(&channel, &self.settings).await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(unavailable)?;
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
                    self.health.set(false);
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
        // round trip per batch instead of one per event.
        let mut pending = Vec::with_capacity(events.len());
        for event in events {
            pending.push(send(channel, &self.settings.exchange, event).await);
        }
        let mut results = Vec::with_capacity(events.len());
        for sent in pending {
            results.push(match sent {
                Ok(confirm) => match confirm.await {
                    Ok(confirmation) => judge(confirmation, &self.settings.exchange),
                    Err(error) => Err(unavailable(error)),
                },
                Err(error) => Err(error),
            });
        }
        if results
            .iter()
            .any(|r| matches!(r, Err(TransportError::Unavailable(_))))
        {
            self.health.set(false);
            *slot = None;
        } else {
            self.health.set(true);
        }
        results
    }
}

/// What the notifier does with one delivery.
#[async_trait]
pub trait DeliveryHandler: Send + Sync + 'static {
    /// Handles one envelope; `true` acks it, `false` dead-letters it.
    async fn handle(&self, event: Arc<EventEnvelope>) -> bool;
}

/// Runs the notifier's consumer until `shutdown`, reconnecting with backoff.
pub async fn run_notifier_consumer(
    settings: AmqpSettings,
    handler: Arc<dyn DeliveryHandler>,
    health: Arc<BrokerHealth>,
    shutdown: CancellationToken,
) {
    supervise("notifier consumer", &health, &shutdown, || {
        consume_notifications(&settings, Arc::clone(&handler), &health, &shutdown)
    })
    .await;
}

/// Runs `session` until shutdown, restarting it with exponential backoff
/// (200 ms up to 10 s) whenever it fails. A session that ran for a minute
/// resets the backoff, so an outage after days starts again quickly.
async fn supervise<F, Fut>(
    what: &str,
    health: &BrokerHealth,
    shutdown: &CancellationToken,
    mut session: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), TransportError>>,
{
    const FIRST: Duration = Duration::from_millis(200);
    let mut backoff = FIRST;
    while !shutdown.is_cancelled() {
        let started = tokio::time::Instant::now();
        if let Err(error) = session().await {
            health.set(false);
            if started.elapsed() >= Duration::from_secs(60) {
                backoff = FIRST;
            }
            tracing::warn!(%error, retry_in = ?backoff, "{what} lost the broker; reconnecting");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

async fn consume_notifications(
    settings: &AmqpSettings,
    handler: Arc<dyn DeliveryHandler>,
    health: &BrokerHealth,
    shutdown: &CancellationToken,
) -> Result<(), TransportError> {
    let connection = connect(settings).await?;
    let channel = connection.create_channel().await.map_err(unavailable)?;
    declare_topology(&channel, settings).await?;
    channel
        .basic_qos(settings.prefetch, BasicQosOptions::default())
        .await
        .map_err(unavailable)?;
    let consumer = channel
        .basic_consume(
            settings.queue.as_str().into(),
            "itosm-notifier".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    health.set(true);
    tracing::info!(queue = %settings.queue, prefetch = settings.prefetch, "notifier consuming");
    let concurrency = usize::from(settings.prefetch.max(1));
    let work = consumer.for_each_concurrent(concurrency, |delivery| {
        let handler = Arc::clone(&handler);
        async move {
            let delivery = match delivery {
                Ok(delivery) => delivery,
                Err(error) => {
                    tracing::warn!(%error, "consumer error");
                    return;
                }
            };
            let outcome = match EventEnvelope::from_json(&delivery.data) {
                Ok(event) => handler.handle(Arc::new(event)).await,
                Err(error) => {
                    tracing::error!(%error, "unreadable message; dead-lettering it");
                    false
                }
            };
            let acked = if outcome {
                delivery.ack(BasicAckOptions::default()).await
            } else {
                delivery
                    .nack(BasicNackOptions {
                        requeue: false,
                        ..BasicNackOptions::default()
                    })
                    .await
            };
            if let Err(error) = acked {
                // The broker will redeliver; the delivery log absorbs it.
                tracing::warn!(%error, "ack failed");
            }
        }
    });
    tokio::select! {
        _ = shutdown.cancelled() => {
            let _ = connection.close(200, "shutting down".into()).await;
            Ok(())
        }
        () = work => Err(TransportError::Unavailable("consumer stream ended (cancelled or disconnected)".to_owned())),
    }
}

/// Runs the live-feed consumer of one API instance: an exclusive queue bound
/// to the exchange, feeding `feed`. Subscribers are told when it reconnects,
/// since events may have been missed meanwhile.
pub async fn run_feed_consumer(
    settings: AmqpSettings,
    feed: BroadcastFeed,
    health: Arc<BrokerHealth>,
    shutdown: CancellationToken,
) {
    let mut first = true;
    supervise("live feed", &health, &shutdown, || {
        if !std::mem::replace(&mut first, false) {
            feed.interrupted();
        }
        consume_feed(&settings, &feed, &health, &shutdown)
    })
    .await;
}

async fn consume_feed(
    settings: &AmqpSettings,
    feed: &BroadcastFeed,
    health: &BrokerHealth,
    shutdown: &CancellationToken,
) -> Result<(), TransportError> {
    let connection = connect(settings).await?;
    let channel = connection.create_channel().await.map_err(unavailable)?;
    declare_topology(&channel, settings).await?;
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
        .map_err(unavailable)?;
    channel
        .queue_bind(
            queue.name().clone(),
            settings.exchange.as_str().into(),
            "ticket.#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    let mut consumer = channel
        .basic_consume(
            queue.name().clone(),
            "itosm-live-feed".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .map_err(unavailable)?;
    health.set(true);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                let _ = connection.close(200, "shutting down".into()).await;
                return Ok(());
            }
            next = consumer.next() => match next {
                Some(Ok(delivery)) => match EventEnvelope::from_json(&delivery.data) {
                    Ok(event) => feed.send(Arc::new(event)),
                    Err(error) => tracing::warn!(%error, "unreadable live-feed message skipped"),
                },
                Some(Err(error)) => return Err(unavailable(error)),
                None => return Err(TransportError::Unavailable("live-feed consumer cancelled".to_owned())),
            }
        }
    }
}

/// One message waiting in the dead-letter queue.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// The envelope (if readable).
    pub event: Option<EventEnvelope>,
    /// The raw body.
    pub body: Vec<u8>,
}

/// Lists the dead-letter queue without consuming it.
pub async fn dlq_list(settings: &AmqpSettings) -> Result<Vec<DeadLetter>, TransportError> {
    let connection = connect(settings).await?;
    let channel = connection.create_channel().await.map_err(unavailable)?;
    declare_topology(&channel, settings).await?;
    let mut letters = Vec::new();
    // Held unacked until the channel closes, so each is read once and all
    // go back to the queue.
    while let Some(message) = channel
        .basic_get(settings.dlq().as_str().into(), BasicGetOptions::default())
        .await
        .map_err(unavailable)?
    {
        let body = message.delivery.data.clone();
        letters.push(DeadLetter {
            event: EventEnvelope::from_json(&body).ok(),
            body,
        });
    }
    let _ = channel.close(200, "listed".into()).await;
    let _ = connection.close(200, "listed".into()).await;
    Ok(letters)
}

/// Republishes every dead letter to the exchange (with confirms) and removes
/// it from the DLQ; returns how many were replayed.
pub async fn dlq_replay(settings: &AmqpSettings) -> Result<usize, TransportError> {
    let connection = connect(settings).await?;
    let channel = connection.create_channel().await.map_err(unavailable)?;
    declare_topology(&channel, settings).await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(unavailable)?;
    let mut replayed = 0;
    while let Some(message) = channel
        .basic_get(settings.dlq().as_str().into(), BasicGetOptions::default())
        .await
        .map_err(unavailable)?
    {
        let delivery = message.delivery;
        match EventEnvelope::from_json(&delivery.data) {
            Ok(event) => {
                publish_confirmed(&channel, &settings.exchange, &event).await?;
                delivery
                    .ack(BasicAckOptions::default())
                    .await
                    .map_err(unavailable)?;
                tracing::info!(ticket = %event.ticket.number, event_id = %event.event_id, "replayed from the DLQ");
                replayed += 1;
            }
            Err(error) => {
                tracing::error!(%error, "unreadable dead letter left in the DLQ");
                delivery
                    .nack(BasicNackOptions {
                        requeue: true,
                        ..BasicNackOptions::default()
                    })
                    .await
                    .map_err(unavailable)?;
                break;
            }
        }
    }
    let _ = connection.close(200, "replayed".into()).await;
    Ok(replayed)
}
