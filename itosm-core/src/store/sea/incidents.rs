//! Open incidents on SQLite and PostgreSQL.

use super::*;
use crate::store::{Incident, IncidentStore};
use entity::incidents;

fn incident_from(row: incidents::Model) -> Incident {
    Incident {
        id: row.id,
        key: row.key,
        ticket: TicketId(row.ticket_id),
        ticket_number: row.ticket_number,
        opened_at: row.opened_at,
        recovered_at: row.recovered_at,
    }
}

#[async_trait]
impl IncidentStore for SeaStore {
    async fn open_incident(&self, key: &str) -> Result<Option<Incident>, StoreError> {
        Ok(incidents::Entity::find()
            .filter(incidents::Column::OpenKey.eq(key))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(incident_from))
    }

    async fn insert_incident(
        &self,
        key: &str,
        ticket: &Ticket,
        now: DateTime<Utc>,
    ) -> Result<Incident, StoreError> {
        let _guard = self.write_guard().await;
        incidents::ActiveModel {
            id: NotSet,
            key: Set(key.to_owned()),
            open_key: Set(Some(key.to_owned())),
            ticket_id: Set(ticket.id.0),
            ticket_number: Set(ticket.number.to_string()),
            opened_at: Set(now),
            recovered_at: Set(None),
            closed_at: Set(None),
        }
        .insert(&self.db)
        .await
        .map_err(classify)
        .map(incident_from)
    }

    async fn set_incident_recovered(
        &self,
        id: i64,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        incidents::Entity::update_many()
            .col_expr(incidents::Column::RecoveredAt, Expr::value(at))
            .filter(incidents::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn recovered_incidents(
        &self,
        before: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Incident>, StoreError> {
        Ok(incidents::Entity::find()
            .filter(incidents::Column::OpenKey.is_not_null())
            .filter(incidents::Column::RecoveredAt.lt(before))
            .order_by_asc(incidents::Column::RecoveredAt)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(incident_from)
            .collect())
    }

    async fn close_incident(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        incidents::Entity::update_many()
            .col_expr(
                incidents::Column::OpenKey,
                Expr::value(Option::<String>::None),
            )
            .col_expr(incidents::Column::ClosedAt, Expr::value(Some(now)))
            .filter(incidents::Column::Id.eq(id))
            .filter(incidents::Column::OpenKey.is_not_null())
            .exec(&self.db)
            .await
            .map_err(classify)?;
        Ok(())
    }
}
