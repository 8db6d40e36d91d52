//! The outbox, as the relay claims it, on SQLite and PostgreSQL.

use super::*;

#[async_trait]
impl OutboxStore for SeaStore {
    async fn claim_outbox(
        &self,
        limit: u64,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        let _guard = self.write_guard().await;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Claim and lease in one statement; SKIP LOCKED lets several relays
        // share the table on PostgreSQL without waiting on each other.
        let claim = self.stmt(
            "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL \
               AND (claimed_until IS NULL OR claimed_until < $2) \
               ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, event_id, event_type, ticket_number, payload, attempts",
            "UPDATE outbox SET claimed_until = ?, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL \
               AND (claimed_until IS NULL OR claimed_until < ?) \
               ORDER BY id LIMIT ?) \
             RETURNING id, event_id, event_type, ticket_number, payload, attempts",
            vec![(now + lease).into(), now.into(), limit.into()],
        );
        let txn = self
            .db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)?;
        let rows = txn.query_all_raw(claim).await.map_err(classify)?;
        txn.commit().await.map_err(classify)?;
        let mut records = rows
            .into_iter()
            .map(|row| {
                Ok(OutboxRecord {
                    id: row.try_get("", "id").map_err(classify)?,
                    event_id: row.try_get("", "event_id").map_err(classify)?,
                    event_type: row.try_get("", "event_type").map_err(classify)?,
                    ticket_number: row.try_get("", "ticket_number").map_err(classify)?,
                    payload: row.try_get("", "payload").map_err(classify)?,
                    attempts: row.try_get("", "attempts").map_err(classify)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        records.sort_by_key(|r| r.id);
        Ok(records)
    }

    async fn mark_outbox_sent(&self, ids: &[i64], now: DateTime<Utc>) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let _guard = self.write_guard().await;
        outbox::Entity::update_many()
            .col_expr(outbox::Column::SentAt, sea_orm::sea_query::Expr::value(now))
            .col_expr(
                outbox::Column::LastError,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .filter(outbox::Column::Id.is_in(ids.iter().copied()))
            .exec(&self.db)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn release_outbox(&self, id: i64, error: &str) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let error: String = error.chars().take(1000).collect();
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::ClaimedUntil,
                sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                outbox::Column::LastError,
                sea_orm::sea_query::Expr::value(error),
            )
            .filter(outbox::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn count_unsent_outbox(&self) -> Result<u64, StoreError> {
        use sea_orm::PaginatorTrait;
        outbox::Entity::find()
            .filter(outbox::Column::SentAt.is_null())
            .count(&self.db)
            .await
            .map_err(classify)
    }
}
