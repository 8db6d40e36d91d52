//! `itosm dlq list|replay`: the notifier's dead-letter queue.

use super::*;

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
    let channel = open_channel(&connection, settings).await?;
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
    let channel = open_channel(&connection, settings).await?;
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
                publish_confirmed(&channel, &settings.exchange, &event, true).await?;
                delivery
                    .ack(BasicAckOptions::default())
                    .await
                    .map_err(unavailable)?;
                tracing::info!(ticket = %event.subject_key(), event_id = %event.event_id, "replayed from the DLQ");
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
