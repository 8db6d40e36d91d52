//! The broker's consumers: the notifier's on `notification_queue`, and each
//! API instance's live feed on its own exclusive queue, each under a
//! reconnecting supervisor.

use super::*;

/// What the notifier does with one delivery.
#[async_trait]
pub trait DeliveryHandler: Send + Sync + 'static {
    /// Handles one envelope (`replay`: it came back from the DLQ).
    async fn handle(&self, event: Arc<EventEnvelope>, replay: bool) -> Disposition;
}

#[async_trait]
impl DeliveryHandler for Notifier {
    async fn handle(&self, event: Arc<EventEnvelope>, replay: bool) -> Disposition {
        self.disposition(event, replay).await
    }
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
    what: &'static str,
    health: &BrokerHealth,
    shutdown: &CancellationToken,
    mut session: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), TransportError>>,
{
    let mut backoff =
        crate::backoff::Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    while !shutdown.is_cancelled() {
        let started = tokio::time::Instant::now();
        let session = session().await;
        if started.elapsed() >= Duration::from_secs(60) {
            backoff.reset();
        }
        let delay = backoff.next_delay();
        if let Err(error) = session {
            health.set(what, false);
            tracing::warn!(%error, retry_in = ?delay, "{what}: no broker; reconnecting");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

async fn consume_notifications(
    settings: &AmqpSettings,
    handler: Arc<dyn DeliveryHandler>,
    health: &BrokerHealth,
    shutdown: &CancellationToken,
) -> Result<(), TransportError> {
    let connection = connect(settings).await?;
    let channel = open_channel(&connection, settings).await?;
    within(
        settings,
        "basic.qos",
        channel.basic_qos(settings.prefetch, BasicQosOptions::default()),
    )
    .await?;
    let consumer = within(
        settings,
        "basic.consume",
        channel.basic_consume(
            settings.queue.as_str().into(),
            "itosm-notifier".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        ),
    )
    .await?;
    health.set("notifier consumer", true);
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
            let replay = delivery
                .properties
                .headers()
                .as_ref()
                .is_some_and(|headers| headers.contains_key(REPLAY_HEADER));
            let disposition = match EventEnvelope::from_json(&delivery.data) {
                Ok(event) => handler.handle(Arc::new(event), replay).await,
                Err(error) => {
                    tracing::error!(%error, "unreadable message; dead-lettering it");
                    Disposition::DeadLetter
                }
            };
            let answered = match disposition {
                Disposition::Ack => delivery.ack(BasicAckOptions::default()).await,
                Disposition::Requeue | Disposition::DeadLetter => {
                    delivery
                        .nack(BasicNackOptions {
                            requeue: disposition == Disposition::Requeue,
                            ..BasicNackOptions::default()
                        })
                        .await
                }
            };
            if let Err(error) = answered {
                // The broker will redeliver; the claims absorb it.
                tracing::warn!(%error, "ack failed");
            }
        }
    });
    tokio::pin!(work);
    tokio::select! {
        _ = shutdown.cancelled() => {
            // Take no more, let the deliveries in hand finish and be acked,
            // then close; whatever is left goes back to the queue.
            let _ = within(
                settings,
                "basic.cancel",
                channel.basic_cancel("itosm-notifier".into(), BasicCancelOptions::default()),
            )
            .await;
            (&mut work).await;
            let _ = within(settings, "close", connection.close(200, "shutting down".into())).await;
            Ok(())
        }
        () = &mut work => Err(TransportError::Unavailable("consumer stream ended (cancelled or disconnected)".to_owned())),
        error = watch_connection(&connection) => Err(error),
    }
}

/// Resolves when `connection` is no longer connected (a missed heartbeat,
/// a reset): the watchdog of a consumer whose stream may stay silent.
async fn watch_connection(connection: &Connection) -> TransportError {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if !connection.status().connected() {
            return TransportError::Unavailable(
                "the broker connection was lost (missed heartbeats or reset)".to_owned(),
            );
        }
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
    let channel = open_channel(&connection, settings).await?;
    let queue = within(
        settings,
        "queue.declare",
        channel.queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        ),
    )
    .await?;
    within(
        settings,
        "queue.bind",
        channel.queue_bind(
            queue.name().clone(),
            settings.exchange.as_str().into(),
            "ticket.#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        ),
    )
    .await?;
    let mut consumer = within(
        settings,
        "basic.consume",
        channel.basic_consume(
            queue.name().clone(),
            "itosm-live-feed".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        ),
    )
    .await?;
    health.set("live feed", true);
    let watchdog = watch_connection(&connection);
    tokio::pin!(watchdog);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                let _ = within(settings, "close", connection.close(200, "shutting down".into())).await;
                return Ok(());
            }
            error = &mut watchdog => return Err(error),
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
