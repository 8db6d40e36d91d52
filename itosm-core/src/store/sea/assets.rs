//! Assets, agents and heartbeats on SQLite and PostgreSQL.

use sea_orm::DatabaseTransaction;

use super::*;
use crate::store::assets::{
    AssetQuery, AssetSave, AssetStore, EnrollAgent, Enrolled, HealthChange, Heartbeat, NewAsset,
};
use crate::store::{ASSET_GONE, STALE_ASSET};
use crate::{
    Agent, AgentId, Asset, AssetHealth, AssetHistoryEntry, AssetId, AssetKind, AssetSample,
    AssetStatus, EnrollmentToken, HealthThresholds, MatchCandidate,
};
use entity::{agents, asset_history, asset_samples, assets, enrollment_tokens, ticket_assets};

fn json_field<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| corrupt(what, text))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Plain data of strings and numbers: serializing cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

fn asset_from(row: assets::Model) -> Result<Asset, StoreError> {
    Ok(Asset {
        id: AssetId(row.id),
        kind: AssetKind::parse(&row.kind).ok_or_else(|| corrupt("asset kind", &row.kind))?,
        status: AssetStatus::parse(&row.status)
            .ok_or_else(|| corrupt("asset status", &row.status))?,
        health: AssetHealth::parse(&row.health)
            .ok_or_else(|| corrupt("asset health", &row.health))?,
        inventory: row
            .inventory
            .as_deref()
            .map(|t| json_field("inventory", t))
            .transpose()?,
        latest_sample: row
            .latest_sample
            .as_deref()
            .map(|t| json_field("sample", t))
            .transpose()?,
        macs: json_field("MAC list", &row.macs)?,
        tag: row.tag,
        name: row.name,
        hostname: row.hostname,
        serial: row.serial,
        manufacturer: row.manufacturer,
        model: row.model,
        os: row.os,
        owner: row.owner_id.map(UserId),
        location: row.location,
        purchased_on: row.purchased_on,
        warranty_until: row.warranty_until,
        machine_id: row.machine_id,
        last_seen_at: row.last_seen_at,
        health_reason: row.health_reason,
        merged_into: row.merged_into.map(AssetId),
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}

/// `Set(value)` when `on`, else left as it is in the row.
fn set_if<T: Into<Value>>(on: bool, value: T) -> sea_orm::ActiveValue<T> {
    if on { Set(value) } else { NotSet }
}

/// Every column of `asset` but the id; heartbeat columns only if asked
/// (a save of details never rolls back what heartbeats wrote meanwhile).
fn asset_row(asset: &Asset, with_heartbeat: bool) -> assets::ActiveModel {
    assets::ActiveModel {
        id: NotSet,
        tag: Set(asset.tag.clone()),
        name: Set(asset.name.clone()),
        hostname: Set(asset.hostname.clone()),
        kind: Set(asset.kind.as_str().to_owned()),
        serial: Set(asset.serial.clone()),
        manufacturer: Set(asset.manufacturer.clone()),
        model: Set(asset.model.clone()),
        os: Set(asset.os.clone()),
        owner_id: Set(asset.owner.map(|o| o.0)),
        location: Set(asset.location.clone()),
        status: Set(asset.status.as_str().to_owned()),
        purchased_on: Set(asset.purchased_on),
        warranty_until: Set(asset.warranty_until),
        inventory: Set(asset.inventory.as_ref().map(to_json)),
        machine_id: Set(asset.machine_id.clone()),
        macs: Set(to_json(&asset.macs)),
        last_seen_at: set_if(with_heartbeat, asset.last_seen_at),
        health: set_if(with_heartbeat, asset.health.as_str().to_owned()),
        health_reason: set_if(with_heartbeat, asset.health_reason.clone()),
        latest_sample: set_if(with_heartbeat, asset.latest_sample.as_ref().map(to_json)),
        merged_into: Set(asset.merged_into.map(|m| m.0)),
        created_at: Set(asset.created_at),
        updated_at: Set(asset.updated_at),
        version: Set(asset.version),
    }
}

fn agent_from(row: agents::Model) -> Agent {
    Agent {
        id: AgentId(row.id),
        asset: AssetId(row.asset_id),
        enrolled_at: row.enrolled_at,
        revoked_at: row.revoked_at,
        credential_hash: row.credential_hash,
    }
}

fn token_from(row: enrollment_tokens::Model) -> EnrollmentToken {
    EnrollmentToken {
        id: row.id,
        token_hash: row.token_hash,
        created_by: UserId(row.created_by),
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
        revoked_at: row.revoked_at,
    }
}

impl SeaStore {
    async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        self.db
            .begin_with_options(Self::write_options())
            .await
            .map_err(classify)
    }

    async fn note_asset(
        txn: &DatabaseTransaction,
        asset: AssetId,
        actor: Option<UserId>,
        agent: Option<AgentId>,
        change: String,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        asset_history::ActiveModel {
            id: NotSet,
            asset_id: Set(asset.0),
            actor_id: Set(actor.map(|a| a.0)),
            agent_id: Set(agent.map(|a| a.0)),
            change: Set(change),
            at: Set(at),
        }
        .insert(txn)
        .await
        .map_err(classify)?;
        Ok(())
    }

    /// Assets by id inside `txn`, locked for update on PostgreSQL (SQLite's
    /// immediate transaction already holds the only write lock).
    async fn assets_in(
        &self,
        txn: &DatabaseTransaction,
        ids: &[AssetId],
    ) -> Result<Vec<Asset>, StoreError> {
        let mut select = assets::Entity::find()
            .filter(assets::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .order_by_asc(assets::Column::Id);
        if !self.is_sqlite() {
            select = select.lock_exclusive();
        }
        select
            .all(txn)
            .await
            .map_err(classify)?
            .into_iter()
            .map(asset_from)
            .collect()
    }

    async fn insert_asset(
        &self,
        txn: &DatabaseTransaction,
        new: &NewAsset,
    ) -> Result<Asset, StoreError> {
        // A tag is needed before the id is known: a unique placeholder,
        // replaced in the same transaction.
        let mut row = asset_row(&new.to_asset(AssetId(0)), true);
        if new.tag.is_none() {
            row.tag = Set(format!(
                "new-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..28]
            ));
        }
        let inserted = row.insert(txn).await.map_err(|e| match classify(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "asset tag {} is taken",
                new.tag.as_deref().unwrap_or_default()
            )),
            other => other,
        })?;
        let asset = new.to_asset(AssetId(inserted.id));
        if new.tag.is_none() {
            assets::Entity::update_many()
                .col_expr(assets::Column::Tag, Expr::value(asset.tag.clone()))
                .filter(assets::Column::Id.eq(inserted.id))
                .exec(txn)
                .await
                .map_err(classify)?;
        }
        Self::note_asset(
            txn,
            asset.id,
            new.actor,
            None,
            "created".to_owned(),
            new.now,
        )
        .await?;
        Ok(asset)
    }

    /// Links assets to a ticket inside `txn` (also the ticket's creation):
    /// `Conflict` unless every one exists.
    pub(super) async fn link_assets_in(
        &self,
        txn: &DatabaseTransaction,
        ticket: &Ticket,
        ids: &[AssetId],
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut distinct: Vec<i64> = ids.iter().map(|id| id.0).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let existing = assets::Entity::find()
            .filter(assets::Column::Id.is_in(distinct.clone()))
            .all(txn)
            .await
            .map_err(classify)?;
        if existing.len() != distinct.len() {
            return Err(StoreError::Conflict(ASSET_GONE.to_owned()));
        }
        for id in distinct {
            if Self::insert_link(txn, ticket.id.0, id, now).await? {
                Self::note_asset(
                    txn,
                    AssetId(id),
                    actor,
                    None,
                    format!("linked to {}", ticket.number),
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Links a ticket and an asset unless they are linked; whether a row
    /// was added.
    async fn insert_link(
        txn: &DatabaseTransaction,
        ticket: i64,
        asset: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = ticket_assets::Entity::insert(ticket_assets::ActiveModel {
            ticket_id: Set(ticket),
            asset_id: Set(asset),
            linked_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                ticket_assets::Column::TicketId,
                ticket_assets::Column::AssetId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await
        .map_err(classify)?;
        Ok(inserted > 0)
    }

    async fn owners_in(
        txn: &DatabaseTransaction,
        assets: &[&Asset],
    ) -> Result<HashMap<UserId, User>, StoreError> {
        let ids: Vec<i64> = assets.iter().filter_map(|a| a.owner.map(|o| o.0)).collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        users::Entity::find()
            .filter(users::Column::Id.is_in(ids))
            .all(txn)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| user_store::user_from(row).map(|u| (u.id, u)))
            .collect()
    }

    /// Writes health changes' heartbeat columns and their events.
    async fn write_health(
        &self,
        txn: &DatabaseTransaction,
        asset: &Asset,
    ) -> Result<(), StoreError> {
        assets::Entity::update_many()
            .col_expr(assets::Column::LastSeenAt, Expr::value(asset.last_seen_at))
            .col_expr(assets::Column::Health, Expr::value(asset.health.as_str()))
            .col_expr(
                assets::Column::HealthReason,
                Expr::value(asset.health_reason.clone()),
            )
            .col_expr(
                assets::Column::LatestSample,
                Expr::value(asset.latest_sample.as_ref().map(to_json)),
            )
            .filter(assets::Column::Id.eq(asset.id.0))
            .exec(txn)
            .await
            .map_err(classify)?;
        Ok(())
    }
}

use std::collections::HashMap;

#[async_trait]
impl AssetStore for SeaStore {
    async fn create_asset(&self, new: &NewAsset) -> Result<Asset, StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let asset = self.insert_asset(&txn, new).await?;
        txn.commit().await.map_err(classify)?;
        Ok(asset)
    }

    async fn save_asset(&self, save: &AssetSave) -> Result<Asset, StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let mut row = asset_row(&save.asset, false);
        row.version = Set(save.expected_version + 1);
        row.updated_at = Set(save.now);
        let updated = assets::Entity::update_many()
            .set(row)
            .filter(assets::Column::Id.eq(save.asset.id.0))
            .filter(assets::Column::Version.eq(save.expected_version))
            .exec(&txn)
            .await
            .map_err(classify)?;
        if updated.rows_affected == 0 {
            return Err(StoreError::Conflict(STALE_ASSET.to_owned()));
        }
        for change in &save.changes {
            Self::note_asset(
                &txn,
                save.asset.id,
                save.actor,
                save.agent,
                change.clone(),
                save.now,
            )
            .await?;
        }
        let saved = self
            .assets_in(&txn, &[save.asset.id])
            .await?
            .pop()
            .ok_or_else(|| StoreError::Conflict(STALE_ASSET.to_owned()))?;
        txn.commit().await.map_err(classify)?;
        Ok(saved)
    }

    async fn get_asset(&self, id: AssetId) -> Result<Option<Asset>, StoreError> {
        assets::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(asset_from)
            .transpose()
    }

    async fn get_asset_by_tag(&self, tag: &str) -> Result<Option<Asset>, StoreError> {
        assets::Entity::find()
            .filter(assets::Column::Tag.eq(tag))
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(asset_from)
            .transpose()
    }

    async fn assets_by_ids(&self, ids: &[AssetId]) -> Result<Vec<Asset>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        assets::Entity::find()
            .filter(assets::Column::Id.is_in(ids.iter().map(|id| id.0)))
            .order_by_asc(assets::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(asset_from)
            .collect()
    }

    async fn list_assets(&self, query: &AssetQuery) -> Result<Vec<Asset>, StoreError> {
        let mut select = assets::Entity::find();
        if let Some(owner) = query.owner {
            select = select.filter(assets::Column::OwnerId.eq(owner.0));
        }
        if let Some(kind) = query.kind {
            select = select.filter(assets::Column::Kind.eq(kind.as_str()));
        }
        if let Some(status) = query.status {
            select = select.filter(assets::Column::Status.eq(status.as_str()));
        }
        if let Some(health) = query.health {
            select = select.filter(assets::Column::Health.eq(health.as_str()));
        }
        if !query.include_merged {
            select = select.filter(assets::Column::MergedInto.is_null());
        }
        if let Some(needle) = &query.search {
            select = select.filter(
                Condition::any()
                    .add(column_contains(assets::Column::Tag, needle))
                    .add(column_contains(assets::Column::Name, needle))
                    .add(column_contains(assets::Column::Hostname, needle))
                    .add(column_contains(assets::Column::Serial, needle)),
            );
        }
        if let Some(after) = query.after {
            select = select.filter(assets::Column::Id.gt(after.0));
        }
        select
            .order_by_asc(assets::Column::Id)
            .limit(query.limit)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(asset_from)
            .collect()
    }

    async fn asset_history(&self, id: AssetId) -> Result<Vec<AssetHistoryEntry>, StoreError> {
        Ok(asset_history::Entity::find()
            .filter(asset_history::Column::AssetId.eq(id.0))
            .order_by_asc(asset_history::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| AssetHistoryEntry {
                id: row.id,
                asset: AssetId(row.asset_id),
                actor: row.actor_id.map(UserId),
                agent: row.agent_id.map(AgentId),
                change: row.change,
                at: row.at,
            })
            .collect())
    }

    async fn link_assets(
        &self,
        ticket: &Ticket,
        ids: &[AssetId],
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        self.link_assets_in(&txn, ticket, ids, actor, now).await?;
        txn.commit().await.map_err(classify)
    }

    async fn unlink_asset(
        &self,
        ticket: &Ticket,
        asset: AssetId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let deleted = ticket_assets::Entity::delete_many()
            .filter(ticket_assets::Column::TicketId.eq(ticket.id.0))
            .filter(ticket_assets::Column::AssetId.eq(asset.0))
            .exec(&txn)
            .await
            .map_err(classify)?
            .rows_affected
            > 0;
        if deleted {
            Self::note_asset(
                &txn,
                asset,
                actor,
                None,
                format!("unlinked from {}", ticket.number),
                now,
            )
            .await?;
        }
        txn.commit().await.map_err(classify)?;
        Ok(deleted)
    }

    async fn ticket_assets(&self, ticket: TicketId) -> Result<Vec<Asset>, StoreError> {
        let ids: Vec<AssetId> = ticket_assets::Entity::find()
            .filter(ticket_assets::Column::TicketId.eq(ticket.0))
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| AssetId(row.asset_id))
            .collect();
        self.assets_by_ids(&ids).await
    }

    async fn asset_tickets(&self, asset: AssetId, limit: u64) -> Result<Vec<Ticket>, StoreError> {
        let ids: Vec<i64> = ticket_assets::Entity::find()
            .filter(ticket_assets::Column::AssetId.eq(asset.0))
            .order_by_desc(ticket_assets::Column::TicketId)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| row.ticket_id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        tickets::Entity::find()
            .filter(tickets::Column::Id.is_in(ids))
            .order_by_desc(tickets::Column::Id)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(ticket_store::ticket_from)
            .collect()
    }

    async fn merge_assets(
        &self,
        kept: AssetId,
        absorbed: AssetId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Asset, StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let both = self.assets_in(&txn, &[kept, absorbed]).await?;
        let (Some(keep), Some(gone)) = (
            both.iter().find(|a| a.id == kept),
            both.iter().find(|a| a.id == absorbed),
        ) else {
            return Err(StoreError::Conflict(ASSET_GONE.to_owned()));
        };
        let merged = keep.merged_with(gone, now);
        let retired = gone.retired_into(kept, now);
        // The absorbed asset's hints go first: the kept one may take them.
        for asset in [&retired, &merged] {
            assets::Entity::update_many()
                .set(asset_row(asset, true))
                .filter(assets::Column::Id.eq(asset.id.0))
                .exec(&txn)
                .await
                .map_err(classify)?;
        }
        let moved: Vec<i64> = ticket_assets::Entity::find()
            .filter(ticket_assets::Column::AssetId.eq(absorbed.0))
            .all(&txn)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| row.ticket_id)
            .collect();
        for ticket in moved {
            Self::insert_link(&txn, ticket, kept.0, now).await?;
        }
        ticket_assets::Entity::delete_many()
            .filter(ticket_assets::Column::AssetId.eq(absorbed.0))
            .exec(&txn)
            .await
            .map_err(classify)?;
        agents::Entity::update_many()
            .col_expr(agents::Column::AssetId, Expr::value(kept.0))
            .filter(agents::Column::AssetId.eq(absorbed.0))
            .exec(&txn)
            .await
            .map_err(classify)?;
        asset_samples::Entity::update_many()
            .col_expr(asset_samples::Column::AssetId, Expr::value(kept.0))
            .filter(asset_samples::Column::AssetId.eq(absorbed.0))
            .exec(&txn)
            .await
            .map_err(classify)?;
        Self::note_asset(
            &txn,
            kept,
            actor,
            None,
            format!("merged {} into this asset", gone.tag),
            now,
        )
        .await?;
        Self::note_asset(
            &txn,
            absorbed,
            actor,
            None,
            format!("merged into {}", keep.tag),
            now,
        )
        .await?;
        txn.commit().await.map_err(classify)?;
        Ok(merged)
    }

    async fn create_enrollment_token(
        &self,
        token_hash: &str,
        created_by: UserId,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<EnrollmentToken, StoreError> {
        let _guard = self.write_guard().await;
        enrollment_tokens::ActiveModel {
            id: NotSet,
            token_hash: Set(token_hash.to_owned()),
            created_by: Set(created_by.0),
            created_at: Set(created_at),
            expires_at: Set(expires_at),
            used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&self.db)
        .await
        .map_err(classify)
        .map(token_from)
    }

    async fn list_enrollment_tokens(
        &self,
        all: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<EnrollmentToken>, StoreError> {
        let mut select = enrollment_tokens::Entity::find();
        if !all {
            select = select
                .filter(enrollment_tokens::Column::UsedAt.is_null())
                .filter(enrollment_tokens::Column::RevokedAt.is_null())
                .filter(enrollment_tokens::Column::ExpiresAt.gt(now));
        }
        Ok(select
            .order_by_desc(enrollment_tokens::Column::Id)
            .limit(1000)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(token_from)
            .collect())
    }

    async fn revoke_enrollment_token(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<EnrollmentToken>, StoreError> {
        let _guard = self.write_guard().await;
        enrollment_tokens::Entity::update_many()
            .col_expr(enrollment_tokens::Column::RevokedAt, Expr::value(Some(now)))
            .filter(enrollment_tokens::Column::Id.eq(id))
            .filter(enrollment_tokens::Column::UsedAt.is_null())
            .filter(enrollment_tokens::Column::RevokedAt.is_null())
            .exec(&self.db)
            .await
            .map_err(classify)?;
        Ok(enrollment_tokens::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(token_from))
    }

    async fn enroll_agent(&self, enroll: &EnrollAgent) -> Result<Option<Enrolled>, StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let used = enrollment_tokens::Entity::update_many()
            .col_expr(
                enrollment_tokens::Column::UsedAt,
                Expr::value(Some(enroll.now)),
            )
            .filter(enrollment_tokens::Column::TokenHash.eq(enroll.token_hash.as_str()))
            .filter(enrollment_tokens::Column::UsedAt.is_null())
            .filter(enrollment_tokens::Column::RevokedAt.is_null())
            .filter(enrollment_tokens::Column::ExpiresAt.gt(enroll.now))
            .exec(&txn)
            .await
            .map_err(classify)?;
        if used.rows_affected == 0 {
            return Ok(None);
        }
        // Narrow the candidates in SQL by any hint; the rules decide in Rust.
        let hints = &enroll.hints;
        let mut any = Condition::any();
        if let Some(serial) = crate::meaningful_serial(hints.serial.as_deref()) {
            any = any.add(Expr::expr(Func::lower(Expr::col(assets::Column::Serial))).eq(serial));
        }
        if let Some(machine_id) = hints.machine_id.as_deref().filter(|m| !m.trim().is_empty()) {
            any = any.add(assets::Column::MachineId.eq(machine_id.trim()));
        }
        for mac in hints.macs.iter().filter_map(|m| crate::meaningful_mac(m)) {
            any = any.add(column_contains(assets::Column::Macs, &mac));
        }
        let hostname = hints.hostname.trim().to_ascii_lowercase();
        if !hostname.is_empty() {
            any =
                any.add(Expr::expr(Func::lower(Expr::col(assets::Column::Hostname))).eq(hostname));
        }
        let rows = if any.is_empty() {
            Vec::new()
        } else {
            assets::Entity::find()
                .filter(any)
                .filter(assets::Column::MergedInto.is_null())
                .filter(assets::Column::Status.ne(AssetStatus::Retired.as_str()))
                .limit(1000)
                .all(&txn)
                .await
                .map_err(classify)?
        };
        let found: Vec<Asset> = rows.into_iter().map(asset_from).collect::<Result<_, _>>()?;
        let live: HashSet<i64> = agents::Entity::find()
            .filter(agents::Column::AssetId.is_in(found.iter().map(|a| a.id.0)))
            .filter(agents::Column::RevokedAt.is_null())
            .all(&txn)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| row.asset_id)
            .collect();
        let candidates: Vec<MatchCandidate> = found
            .iter()
            .map(|a| a.match_candidate(live.contains(&a.id.0)))
            .collect();
        let matched = crate::match_existing_asset(hints, &candidates);
        let asset = match matched.and_then(|(id, _)| found.iter().find(|a| a.id == id)) {
            Some(existing) => {
                let inventory = enroll.new_asset.inventory.clone().unwrap_or_default();
                let (mut next, changes) = existing.with_inventory(&inventory, Some(hints));
                next.version += 1;
                next.updated_at = enroll.now;
                assets::Entity::update_many()
                    .set(asset_row(&next, false))
                    .filter(assets::Column::Id.eq(next.id.0))
                    .exec(&txn)
                    .await
                    .map_err(classify)?;
                for change in changes {
                    Self::note_asset(
                        &txn,
                        next.id,
                        None,
                        Some(enroll.agent_id),
                        change,
                        enroll.now,
                    )
                    .await?;
                }
                next
            }
            None => self.insert_asset(&txn, &enroll.new_asset).await?,
        };
        let replaced: Vec<AgentId> = agents::Entity::find()
            .filter(agents::Column::AssetId.eq(asset.id.0))
            .filter(agents::Column::RevokedAt.is_null())
            .all(&txn)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| AgentId(row.id))
            .collect();
        agents::Entity::update_many()
            .col_expr(agents::Column::RevokedAt, Expr::value(Some(enroll.now)))
            .filter(agents::Column::AssetId.eq(asset.id.0))
            .filter(agents::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(classify)?;
        let agent = agents::ActiveModel {
            id: Set(enroll.agent_id.0),
            asset_id: Set(asset.id.0),
            credential_hash: Set(enroll.credential_hash.clone()),
            enrolled_at: Set(enroll.now),
            revoked_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(classify)
        .map(agent_from)?;
        Self::note_asset(
            &txn,
            asset.id,
            None,
            Some(agent.id),
            format!("agent {} enrolled", agent.id),
            enroll.now,
        )
        .await?;
        txn.commit().await.map_err(classify)?;
        Ok(Some(Enrolled {
            agent,
            asset,
            matched: matched.map(|m| m.1),
            replaced,
        }))
    }

    async fn get_agent(&self, id: AgentId) -> Result<Option<Agent>, StoreError> {
        Ok(agents::Entity::find_by_id(id.0)
            .one(&self.db)
            .await
            .map_err(classify)?
            .map(agent_from))
    }

    async fn asset_agents(&self, asset: AssetId) -> Result<Vec<Agent>, StoreError> {
        Ok(agents::Entity::find()
            .filter(agents::Column::AssetId.eq(asset.0))
            .order_by_desc(agents::Column::EnrolledAt)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(agent_from)
            .collect())
    }

    async fn revoke_agent(
        &self,
        id: AgentId,
        now: DateTime<Utc>,
    ) -> Result<Option<Agent>, StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        agents::Entity::update_many()
            .col_expr(agents::Column::RevokedAt, Expr::value(Some(now)))
            .filter(agents::Column::Id.eq(id.0))
            .filter(agents::Column::RevokedAt.is_null())
            .exec(&txn)
            .await
            .map_err(classify)?;
        let Some(agent) = agents::Entity::find_by_id(id.0)
            .one(&txn)
            .await
            .map_err(classify)?
            .map(agent_from)
        else {
            return Ok(None);
        };
        Self::note_asset(
            &txn,
            agent.asset,
            None,
            Some(agent.id),
            format!("agent {} revoked", agent.id),
            now,
        )
        .await?;
        txn.commit().await.map_err(classify)?;
        Ok(Some(agent))
    }

    async fn record_heartbeats(
        &self,
        beats: &[Heartbeat],
        thresholds: &HealthThresholds,
    ) -> Result<Vec<HealthChange>, StoreError> {
        if beats.is_empty() {
            return Ok(Vec::new());
        }
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let mut ids: Vec<AssetId> = beats.iter().map(|b| b.asset).collect();
        ids.sort();
        ids.dedup();
        let mut assets: HashMap<AssetId, Asset> = self
            .assets_in(&txn, &ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut changed = Vec::new();
        let mut samples = Vec::new();
        for beat in beats {
            let Some(asset) = assets.get_mut(&beat.asset) else {
                continue;
            };
            if let Some(from) = asset.take_heartbeat(&beat.sample, beat.at, thresholds) {
                changed.push((asset.clone(), from, beat.event_id, beat.at));
            }
            samples.push(asset_samples::ActiveModel {
                id: NotSet,
                asset_id: Set(beat.asset.0),
                at: Set(beat.at),
                sample: Set(to_json(&beat.sample)),
            });
        }
        for asset in assets.values() {
            self.write_health(&txn, asset).await?;
        }
        if !samples.is_empty() {
            asset_samples::Entity::insert_many(samples)
                .exec_without_returning(&txn)
                .await
                .map_err(classify)?;
        }
        let owners =
            Self::owners_in(&txn, &changed.iter().map(|c| &c.0).collect::<Vec<_>>()).await?;
        let mut changes = Vec::new();
        for (asset, from, event_id, at) in changed {
            let owner = asset.owner.and_then(|o| owners.get(&o));
            let event = asset.health_changed_event(owner, from, event_id, at);
            self.insert_outbox(&txn, &event, at).await?;
            changes.push(HealthChange { asset, from, event });
        }
        txn.commit().await.map_err(classify)?;
        Ok(changes)
    }

    async fn mark_silent_assets_down(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<HealthChange>, StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let mut select = assets::Entity::find()
            .filter(
                assets::Column::Health
                    .is_in([AssetHealth::Up.as_str(), AssetHealth::Degraded.as_str()]),
            )
            .filter(assets::Column::LastSeenAt.lt(cutoff))
            .order_by_asc(assets::Column::Id)
            .limit(1000);
        if !self.is_sqlite() {
            select = select.lock_exclusive();
        }
        let mut silent: Vec<Asset> = select
            .all(&txn)
            .await
            .map_err(classify)?
            .into_iter()
            .map(asset_from)
            .collect::<Result<_, _>>()?;
        let froms: Vec<AssetHealth> = silent.iter_mut().map(Asset::mark_down).collect();
        let owners = Self::owners_in(&txn, &silent.iter().collect::<Vec<_>>()).await?;
        let mut changes = Vec::new();
        for (asset, from) in silent.into_iter().zip(froms) {
            self.write_health(&txn, &asset).await?;
            let owner = asset.owner.and_then(|o| owners.get(&o));
            let event = asset.health_changed_event(owner, from, uuid::Uuid::new_v4(), now);
            self.insert_outbox(&txn, &event, now).await?;
            changes.push(HealthChange { asset, from, event });
        }
        txn.commit().await.map_err(classify)?;
        Ok(changes)
    }

    async fn asset_samples(
        &self,
        asset: AssetId,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<AssetSample>, StoreError> {
        let mut samples = asset_samples::Entity::find()
            .filter(asset_samples::Column::AssetId.eq(asset.0))
            .filter(asset_samples::Column::At.gte(since))
            .order_by_desc(asset_samples::Column::At)
            .order_by_desc(asset_samples::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(classify)?
            .into_iter()
            .map(|row| {
                Ok(AssetSample {
                    asset: AssetId(row.asset_id),
                    at: row.at,
                    sample: json_field("sample", &row.sample)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        samples.reverse();
        Ok(samples)
    }

    async fn prune_samples(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let _guard = self.write_guard().await;
        Ok(asset_samples::Entity::delete_many()
            .filter(asset_samples::Column::At.lt(before))
            .exec(&self.db)
            .await
            .map_err(classify)?
            .rows_affected)
    }
}
