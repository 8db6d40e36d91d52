//! The delivery log (the notifier's work queue) on SQLite and PostgreSQL.

use super::*;

/// A claimed delivery from a `RETURNING event_id, sink, recipient,
/// attempts, retry_until` row; a row without a horizon (written before
/// rows had one) gets `default_retry_until`.
pub(super) fn claimed_from(
    row: &sea_orm::QueryResult,
    default_retry_until: DateTime<Utc>,
) -> Result<ClaimedDelivery, StoreError> {
    let retry_until: Option<DateTime<Utc>> = row.try_get("", "retry_until").map_err(classify)?;
    Ok(ClaimedDelivery {
        key: DeliveryKey {
            event_id: row.try_get("", "event_id").map_err(classify)?,
            sink: row.try_get("", "sink").map_err(classify)?,
            recipient: row.try_get("", "recipient").map_err(classify)?,
        },
        attempts: row.try_get("", "attempts").map_err(classify)?,
        retry_until: retry_until.unwrap_or(default_retry_until),
    })
}

#[async_trait]
impl DeliveryStore for SeaStore {
    async fn was_delivered(
        &self,
        event_id: uuid::Uuid,
        sink: &str,
        recipient: &str,
    ) -> Result<bool, StoreError> {
        let query = self.stmt(
            "SELECT 1 AS one FROM notification_deliveries WHERE event_id = $1 AND sink = $2 AND recipient = $3 AND status = 'DELIVERED'",
            "SELECT 1 AS one FROM notification_deliveries WHERE event_id = ? AND sink = ? AND recipient = ? AND status = 'DELIVERED'",
            vec![event_id.into(), sink.into(), recipient.into()],
        );
        Ok(self
            .db
            .query_one_raw(query)
            .await
            .map_err(classify)?
            .is_some())
    }

    async fn record_delivery(&self, record: &DeliveryRecord) -> Result<(), StoreError> {
        self.record_deliveries(std::slice::from_ref(record)).await
    }

    async fn delivered_among(
        &self,
        keys: &[crate::store::DeliveryKey],
    ) -> Result<HashSet<crate::store::DeliveryKey>, StoreError> {
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        // One query per batch: every delivered row of these events, then
        // the (sink, recipient) pairs asked about.
        let mut ids: Vec<uuid::Uuid> = keys.iter().map(|k| k.event_id).collect();
        ids.sort();
        ids.dedup();
        let placeholders = self.placeholders(ids.len(), 1);
        let sql = format!(
            "SELECT event_id, sink, recipient FROM notification_deliveries \
             WHERE status = 'DELIVERED' AND event_id IN ({placeholders})"
        );
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                self.backend,
                sql,
                ids.into_iter().map(Value::from),
            ))
            .await
            .map_err(classify)?;
        let mut found = HashSet::new();
        for row in rows {
            found.insert(crate::store::DeliveryKey {
                event_id: row.try_get("", "event_id").map_err(classify)?,
                sink: row.try_get("", "sink").map_err(classify)?,
                recipient: row.try_get("", "recipient").map_err(classify)?,
            });
        }
        Ok(keys
            .iter()
            .filter(|k| found.contains(*k))
            .cloned()
            .collect())
    }

    async fn record_deliveries(&self, records: &[DeliveryRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        // One statement may not upsert the same row twice: fold repeats of
        // a key first, as consecutive single upserts would.
        let mut merged: Vec<DeliveryRecord> = Vec::with_capacity(records.len());
        for record in records {
            match merged.iter_mut().find(|m| {
                m.event_id == record.event_id
                    && m.sink == record.sink
                    && m.recipient == record.recipient
            }) {
                Some(existing) if existing.status == DeliveryStatus::Delivered => {}
                Some(existing) => {
                    existing.status = record.status;
                    existing.attempts = existing.attempts.saturating_add(record.attempts);
                    existing.last_error = record.last_error.clone();
                    existing.at = record.at;
                    existing.next_attempt_at = record.next_attempt_at;
                }
                None => merged.push(record.clone()),
            }
        }
        let _guard = self.write_guard().await;
        // Bounded statements: at most 500 rows (5,500 parameters) each.
        for chunk in merged.chunks(500) {
            let mut values = Vec::with_capacity(chunk.len() * 11);
            let mut rows = Vec::with_capacity(chunk.len());
            for (i, record) in chunk.iter().enumerate() {
                rows.push(format!("({})", numbered(11, i * 11 + 1)));
                let error: Option<String> = record
                    .last_error
                    .as_ref()
                    .map(|e| e.chars().take(1000).collect());
                values.extend([
                    record.event_id.into(),
                    record.event_type.clone().into(),
                    record.ticket_number.clone().into(),
                    record.sink.clone().into(),
                    record.recipient.clone().into(),
                    record.status.as_str().into(),
                    record.attempts.into(),
                    error.into(),
                    record.at.into(),
                    record.at.into(),
                    record.next_attempt_at.into(),
                ]);
            }
            // A row already delivered stays delivered: a late outcome (a
            // claim that outlived its lease) cannot undo it.
            let sql = format!(
                "INSERT INTO notification_deliveries (event_id, event_type, ticket_number, sink, recipient, status, attempts, last_error, created_at, updated_at, next_attempt_at) \
                 VALUES {} \
                 ON CONFLICT (event_id, sink, recipient) DO UPDATE SET status = excluded.status, \
                 attempts = notification_deliveries.attempts + excluded.attempts, last_error = excluded.last_error, \
                 updated_at = excluded.updated_at, next_attempt_at = excluded.next_attempt_at, claimed_until = NULL \
                 WHERE notification_deliveries.status <> 'DELIVERED'",
                rows.join(", ")
            );
            self.db
                .execute_raw(Statement::from_sql_and_values(self.backend, sql, values))
                .await
                .map_err(classify)?;
        }
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        claims: &[DeliveryClaim],
        options: &ClaimOptions,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        // One row per key, in one order: concurrent claimers lock rows in
        // the same order and so never deadlock.
        let mut claims: Vec<&DeliveryClaim> = claims.iter().collect();
        claims.sort_by(|a, b| {
            (a.key.event_id, &a.key.sink, &a.key.recipient).cmp(&(
                b.key.event_id,
                &b.key.sink,
                &b.key.recipient,
            ))
        });
        claims.dedup_by(|a, b| a.key == b.key);
        if claims.is_empty() {
            return Ok(Vec::new());
        }
        let failed_too = if options.replay {
            " OR notification_deliveries.status = 'FAILED'"
        } else {
            ""
        };
        let _guard = self.write_guard().await;
        let mut won = Vec::with_capacity(claims.len());
        for chunk in claims.chunks(500) {
            // $1 now, $2 lease end, $3 retry horizon; five values per row.
            let mut values: Vec<Value> = vec![
                options.now.into(),
                (options.now + options.lease).into(),
                options.retry_until.into(),
            ];
            let mut rows = Vec::with_capacity(chunk.len());
            for (i, claim) in chunk.iter().enumerate() {
                rows.push(format!(
                    "({}, 'PENDING', 0, NULL, $1, $1, $2, $1, $3)",
                    numbered(5, 4 + i * 5)
                ));
                values.extend([
                    claim.key.event_id.into(),
                    claim.event_type.clone().into(),
                    claim.ticket_number.clone().into(),
                    claim.key.sink.clone().into(),
                    claim.key.recipient.clone().into(),
                ]);
            }
            let sql = format!(
                "INSERT INTO notification_deliveries (event_id, event_type, ticket_number, sink, recipient, status, attempts, last_error, created_at, updated_at, claimed_until, next_attempt_at, retry_until) \
                 VALUES {} \
                 ON CONFLICT (event_id, sink, recipient) DO UPDATE SET status = 'PENDING', \
                 claimed_until = excluded.claimed_until, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at, \
                 retry_until = CASE WHEN notification_deliveries.status = 'FAILED' THEN excluded.retry_until ELSE notification_deliveries.retry_until END \
                 WHERE (notification_deliveries.status = 'PENDING' \
                   AND (notification_deliveries.next_attempt_at IS NULL OR notification_deliveries.next_attempt_at <= $1) \
                   AND (notification_deliveries.claimed_until IS NULL OR notification_deliveries.claimed_until < $1)){failed_too} \
                 RETURNING event_id, sink, recipient, attempts, retry_until",
                rows.join(", ")
            );
            let returned = self
                .db
                .query_all_raw(Statement::from_sql_and_values(self.backend, sql, values))
                .await
                .map_err(classify)?;
            for row in returned {
                won.push(claimed_from(&row, options.retry_until)?);
            }
        }
        Ok(won)
    }

    async fn claim_due_deliveries(
        &self,
        sink: &str,
        limit: u64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let lock = if self.is_sqlite() {
            ""
        } else {
            " FOR UPDATE SKIP LOCKED"
        };
        let sql = format!(
            "UPDATE notification_deliveries SET claimed_until = $1 \
             WHERE id IN (SELECT id FROM notification_deliveries WHERE status = 'PENDING' AND sink = $2 \
               AND (next_attempt_at IS NULL OR next_attempt_at <= $3) \
               AND (claimed_until IS NULL OR claimed_until < $3) \
               ORDER BY next_attempt_at, id LIMIT $4{lock}) \
             RETURNING event_id, event_type, ticket_number, sink, recipient, attempts, retry_until"
        );
        let rows = {
            let _guard = self.write_guard().await;
            self.db
                .query_all_raw(Statement::from_sql_and_values(
                    self.backend,
                    sql,
                    vec![(now + lease).into(), sink.into(), now.into(), limit.into()],
                ))
                .await
                .map_err(classify)?
        };
        let mut due = Vec::with_capacity(rows.len());
        for row in &rows {
            due.push(DueDelivery {
                claimed: claimed_from(row, now)?,
                event_type: row.try_get("", "event_type").map_err(classify)?,
                ticket_number: row.try_get("", "ticket_number").map_err(classify)?,
                payload: None,
            });
        }
        if due.is_empty() {
            return Ok(due);
        }
        let mut ids: Vec<uuid::Uuid> = due.iter().map(|d| d.claimed.key.event_id).collect();
        ids.sort();
        ids.dedup();
        let sql = format!(
            "SELECT event_id, payload FROM outbox WHERE event_id IN ({})",
            numbered(ids.len(), 1)
        );
        let payloads: std::collections::HashMap<uuid::Uuid, String> = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                self.backend,
                sql,
                ids.into_iter().map(Value::from),
            ))
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| {
                Ok((
                    row.try_get("", "event_id").map_err(classify)?,
                    row.try_get("", "payload").map_err(classify)?,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        for delivery in &mut due {
            delivery.payload = payloads.get(&delivery.claimed.key.event_id).cloned();
        }
        due.sort_by_key(|d| (d.claimed.key.event_id, d.claimed.key.recipient.clone()));
        Ok(due)
    }

    async fn deliveries_for_ticket(&self, number: &str) -> Result<Vec<DeliveryRecord>, StoreError> {
        let query = self.stmt(
            "SELECT event_id, event_type, ticket_number, sink, recipient, status, attempts, last_error, updated_at, next_attempt_at \
             FROM notification_deliveries WHERE ticket_number = $1 ORDER BY id",
            "SELECT event_id, event_type, ticket_number, sink, recipient, status, attempts, last_error, updated_at, next_attempt_at \
             FROM notification_deliveries WHERE ticket_number = ? ORDER BY id",
            vec![number.into()],
        );
        self.db
            .query_all_raw(query)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| {
                let status: String = row.try_get("", "status").map_err(classify)?;
                Ok(DeliveryRecord {
                    event_id: row.try_get("", "event_id").map_err(classify)?,
                    event_type: row.try_get("", "event_type").map_err(classify)?,
                    ticket_number: row.try_get("", "ticket_number").map_err(classify)?,
                    sink: row.try_get("", "sink").map_err(classify)?,
                    recipient: row.try_get("", "recipient").map_err(classify)?,
                    status: DeliveryStatus::parse(&status)
                        .ok_or_else(|| corrupt("delivery status", &status))?,
                    attempts: row.try_get("", "attempts").map_err(classify)?,
                    last_error: row.try_get("", "last_error").map_err(classify)?,
                    at: row.try_get("", "updated_at").map_err(classify)?,
                    next_attempt_at: row.try_get("", "next_attempt_at").map_err(classify)?,
                })
            })
            .collect()
    }
}
