//! The delivery log in memory: claims, outcomes and the retry sweep.

use super::*;

/// A delivery-log row with its claim.
#[derive(Debug)]
pub(super) struct DeliveryRow {
    record: DeliveryRecord,
    claimed_until: Option<DateTime<Utc>>,
    retry_until: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    fn is(&self, key: &DeliveryKey) -> bool {
        self.record.event_id == key.event_id
            && self.record.sink == key.sink
            && self.record.recipient == key.recipient
    }

    /// Pending, due and not leased: what a retry may claim.
    fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.record.status == DeliveryStatus::Pending
            && self.record.next_attempt_at.is_none_or(|at| at <= now)
            && self.claimed_until.is_none_or(|until| until < now)
    }

    fn claimed(&self) -> ClaimedDelivery {
        ClaimedDelivery {
            key: DeliveryKey {
                event_id: self.record.event_id,
                sink: self.record.sink.clone(),
                recipient: self.record.recipient.clone(),
            },
            attempts: self.record.attempts,
            retry_until: self.retry_until.unwrap_or(self.record.at),
        }
    }
}

#[async_trait]
impl DeliveryStore for MemoryStore {
    async fn was_delivered(
        &self,
        event_id: uuid::Uuid,
        sink: &str,
        recipient: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.with(|s| {
            s.deliveries.iter().any(|d| {
                d.record.event_id == event_id
                    && d.record.sink == sink
                    && d.record.recipient == recipient
                    && d.record.status == DeliveryStatus::Delivered
            })
        }))
    }

    async fn record_delivery(&self, record: &DeliveryRecord) -> Result<(), StoreError> {
        self.with(|s| {
            let key = DeliveryKey {
                event_id: record.event_id,
                sink: record.sink.clone(),
                recipient: record.recipient.clone(),
            };
            match s.deliveries.iter_mut().find(|d| d.is(&key)) {
                Some(row) if row.record.status == DeliveryStatus::Delivered => {}
                Some(row) => {
                    row.record.status = record.status;
                    row.record.attempts += record.attempts;
                    row.record.last_error = record.last_error.clone();
                    row.record.at = record.at;
                    row.record.next_attempt_at = record.next_attempt_at;
                    row.claimed_until = None;
                }
                None => s.deliveries.push(DeliveryRow {
                    record: record.clone(),
                    claimed_until: None,
                    retry_until: None,
                }),
            }
        });
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        claims: &[DeliveryClaim],
        options: &ClaimOptions,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let now = options.now;
        Ok(self.with(|s| {
            let mut won: Vec<ClaimedDelivery> = Vec::new();
            for claim in claims {
                if won.iter().any(|w| w.key == claim.key) {
                    continue;
                }
                let index = match s.deliveries.iter().position(|d| d.is(&claim.key)) {
                    Some(index) => index,
                    None => {
                        s.deliveries.push(DeliveryRow {
                            record: DeliveryRecord {
                                event_id: claim.key.event_id,
                                event_type: claim.event_type.clone(),
                                ticket_number: claim.ticket_number.clone(),
                                sink: claim.key.sink.clone(),
                                recipient: claim.key.recipient.clone(),
                                status: DeliveryStatus::Pending,
                                attempts: 0,
                                last_error: None,
                                at: now,
                                next_attempt_at: Some(now),
                            },
                            claimed_until: Some(now + options.lease),
                            retry_until: Some(options.retry_until),
                        });
                        won.push(s.deliveries[s.deliveries.len() - 1].claimed());
                        continue;
                    }
                };
                let row = &mut s.deliveries[index];
                let replayed = options.replay && row.record.status == DeliveryStatus::Failed;
                if row.is_due(now) || replayed {
                    row.record.status = DeliveryStatus::Pending;
                    row.record.at = now;
                    row.record.next_attempt_at = Some(now);
                    row.claimed_until = Some(now + options.lease);
                    if replayed {
                        row.retry_until = Some(options.retry_until);
                    }
                    won.push(row.claimed());
                }
            }
            won
        }))
    }

    async fn claim_due_deliveries(
        &self,
        sink: &str,
        limit: u64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        Ok(self.with(|s| {
            let mut due: Vec<usize> = (0..s.deliveries.len())
                .filter(|&i| s.deliveries[i].record.sink == sink && s.deliveries[i].is_due(now))
                .collect();
            due.sort_by_key(|&i| (s.deliveries[i].record.next_attempt_at, i));
            due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            due.into_iter()
                .map(|i| {
                    let row = &mut s.deliveries[i];
                    row.claimed_until = Some(now + lease);
                    let claimed = row.claimed();
                    let (event_type, ticket_number) = (
                        row.record.event_type.clone(),
                        row.record.ticket_number.clone(),
                    );
                    let payload = s
                        .outbox
                        .iter()
                        .find(|o| o.record.event_id == claimed.key.event_id)
                        .map(|o| o.record.payload.clone());
                    DueDelivery {
                        claimed,
                        event_type,
                        ticket_number,
                        payload,
                    }
                })
                .collect()
        }))
    }

    async fn deliveries_for_ticket(&self, number: &str) -> Result<Vec<DeliveryRecord>, StoreError> {
        Ok(self.with(|s| {
            s.deliveries
                .iter()
                .filter(|d| d.record.ticket_number == number)
                .map(|d| d.record.clone())
                .collect()
        }))
    }
}
