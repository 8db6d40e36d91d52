//! The retry sweeper: due retries, and deliveries whose claim ran out after
//! a crash, claimed per lane and dispatched again.

use super::*;

/// Claims due retries (and deliveries whose lease ran out after a crash)
/// for every lane with room, and dispatches them.
pub(super) async fn run_sweeper(inner: Arc<Inner>) {
    let interval = inner
        .settings
        .retry_backoff
        .clamp(Duration::from_millis(50), Duration::from_secs(1));
    let lease = chrono::Duration::from_std(inner.settings.claim_lease)
        .unwrap_or(chrono::Duration::seconds(60));
    loop {
        tokio::select! {
            _ = inner.stop.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        for (index, lane) in inner.lanes.iter().enumerate() {
            let room = lane.queue.capacity().min(MAX_LOG_BATCH);
            if room == 0 {
                continue;
            }
            let due = match bounded(inner.store.claim_due_deliveries(
                lane.name(),
                room as u64,
                lease,
                Utc::now(),
            ))
            .await
            {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(%error, sink = lane.name(), "retry sweep failed; trying again");
                    break;
                }
            };
            let mut given_back = Vec::new();
            let mut unreadable = Vec::new();
            let mut events: HashMap<uuid::Uuid, Arc<EventEnvelope>> = HashMap::new();
            for delivery in due {
                let event_id = delivery.claimed.key.event_id;
                let event = match events.get(&event_id) {
                    Some(event) => Some(Arc::clone(event)),
                    None => delivery
                        .payload
                        .as_deref()
                        .and_then(|p| EventEnvelope::from_json(p.as_bytes()).ok())
                        .map(Arc::new),
                };
                let Some(event) = event else {
                    tracing::error!(sink = lane.name(), ticket = %delivery.ticket_number, event_id = %event_id, "the event of a due retry is not in the outbox; failing it");
                    unreadable.push(DeliveryRecord {
                        event_id,
                        event_type: delivery.event_type.clone(),
                        ticket_number: delivery.ticket_number.clone(),
                        sink: delivery.claimed.key.sink.clone(),
                        recipient: delivery.claimed.key.recipient.clone(),
                        status: DeliveryStatus::Failed,
                        attempts: 0,
                        last_error: Some("the event is not in the outbox".to_owned()),
                        at: Utc::now(),
                        next_attempt_at: None,
                    });
                    continue;
                };
                events.insert(event_id, Arc::clone(&event));
                let job = Job {
                    recipient: lane.recipient_from(&delivery.claimed.key.recipient),
                    event,
                    claimed: delivery.claimed,
                };
                if let Err(job) = inner.dispatch(index, job) {
                    given_back.push(job);
                }
            }
            inner.give_back(given_back);
            if !unreadable.is_empty() {
                inner.record_until_done(unreadable).await;
            }
        }
    }
}
