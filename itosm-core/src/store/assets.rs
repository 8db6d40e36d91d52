//! The asset store role: devices, their history and tickets, agents and
//! their enrolment, heartbeats and health.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::StoreError;
use crate::agent_protocol::{DeviceHints, HealthSample, Inventory};
use crate::event::EventEnvelope;
use crate::{
    Agent, AgentId, Asset, AssetHealth, AssetHistoryEntry, AssetId, AssetKind, AssetSample,
    AssetStatus, EnrollmentToken, HealthThresholds, MatchRule, Ticket, TicketId, UserId,
};

/// Which assets to list, by id, keyset-paged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetQuery {
    /// Only this owner's devices.
    pub owner: Option<UserId>,
    /// Only this kind.
    pub kind: Option<AssetKind>,
    /// Only this status.
    pub status: Option<AssetStatus>,
    /// Only this health.
    pub health: Option<AssetHealth>,
    /// Only assets whose tag, name, host name or serial contains this text,
    /// ignoring ASCII case. Plain text: `%`, `_` and quotes match themselves.
    pub search: Option<String>,
    /// Include assets merged into others (left out by default).
    pub include_merged: bool,
    /// Only assets with a larger id (the page cursor).
    pub after: Option<AssetId>,
    /// At most this many.
    pub limit: u64,
}

impl AssetQuery {
    /// Whether `asset` passes every filter except the cursor: the reference
    /// semantics the SQL stores must match.
    pub fn matches(&self, asset: &Asset) -> bool {
        self.owner.is_none_or(|o| asset.owner == Some(o))
            && self.kind.is_none_or(|k| asset.kind == k)
            && self.status.is_none_or(|s| asset.status == s)
            && self.health.is_none_or(|h| asset.health == h)
            && (self.include_merged || asset.merged_into.is_none())
            && self.search.as_ref().is_none_or(|needle| {
                let needle = needle.to_ascii_lowercase();
                [
                    Some(asset.tag.as_str()),
                    Some(asset.name.as_str()),
                    asset.hostname.as_deref(),
                    asset.serial.as_deref(),
                ]
                .into_iter()
                .flatten()
                .any(|field| field.to_ascii_lowercase().contains(&needle))
            })
    }
}

/// An asset to create. Fields are already validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAsset {
    /// The tag; `None` gives it `PC-` and its zero-padded id.
    pub tag: Option<String>,
    /// Its name.
    pub name: String,
    /// Host name.
    pub hostname: Option<String>,
    /// Kind.
    pub kind: AssetKind,
    /// Serial.
    pub serial: Option<String>,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Operating system.
    pub os: Option<String>,
    /// Owner.
    pub owner: Option<UserId>,
    /// Location.
    pub location: Option<String>,
    /// Status.
    pub status: AssetStatus,
    /// Purchase date.
    pub purchased_on: Option<NaiveDate>,
    /// Warranty end.
    pub warranty_until: Option<NaiveDate>,
    /// Inventory (from an agent).
    pub inventory: Option<Inventory>,
    /// Machine id (from an agent).
    pub machine_id: Option<String>,
    /// MAC addresses (from an agent).
    pub macs: Vec<String>,
    /// Who creates it, if a person does.
    pub actor: Option<UserId>,
    /// When.
    pub now: DateTime<Utc>,
}

impl NewAsset {
    /// The asset row this creates with id `id` (and `tag` when none was
    /// given): the one definition every store persists.
    pub fn to_asset(&self, id: AssetId) -> Asset {
        Asset {
            id,
            tag: self
                .tag
                .clone()
                .unwrap_or_else(|| crate::default_asset_tag(id)),
            name: self.name.clone(),
            hostname: self.hostname.clone(),
            kind: self.kind,
            serial: self.serial.clone(),
            manufacturer: self.manufacturer.clone(),
            model: self.model.clone(),
            os: self.os.clone(),
            owner: self.owner,
            location: self.location.clone(),
            status: self.status,
            purchased_on: self.purchased_on,
            warranty_until: self.warranty_until,
            inventory: self.inventory.clone(),
            machine_id: self.machine_id.clone(),
            macs: self.macs.clone(),
            last_seen_at: None,
            health: AssetHealth::Unknown,
            health_reason: None,
            latest_sample: None,
            merged_into: None,
            created_at: self.now,
            updated_at: self.now,
            version: 1,
        }
    }
}

/// New details of an asset, saved only if it is still at `expected_version`.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetSave {
    /// The asset with its new details (id, version as read).
    pub asset: Asset,
    /// The version the caller read.
    pub expected_version: i32,
    /// One history line per change.
    pub changes: Vec<String>,
    /// Who.
    pub actor: Option<UserId>,
    /// The agent, when an agent's report changed it.
    pub agent: Option<AgentId>,
    /// When.
    pub now: DateTime<Utc>,
}

/// An enrolment to carry out in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollAgent {
    /// SHA-256 of the token presented.
    pub token_hash: String,
    /// What the device says about itself.
    pub hints: DeviceHints,
    /// The asset to create when no existing one matches.
    pub new_asset: NewAsset,
    /// The id issued to the agent.
    pub agent_id: AgentId,
    /// SHA-256 of the credential's secret.
    pub credential_hash: String,
    /// When.
    pub now: DateTime<Utc>,
}

/// An enrolment carried out.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolled {
    /// The new agent.
    pub agent: Agent,
    /// Its asset, with the enrolment's inventory.
    pub asset: Asset,
    /// How an existing asset was recognised; `None` for a new asset.
    pub matched: Option<MatchRule>,
    /// Agents of the same asset revoked by this enrolment (one device, one
    /// live agent).
    pub replaced: Vec<AgentId>,
}

/// A heartbeat to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    /// The asset.
    pub asset: AssetId,
    /// When the server received it.
    pub at: DateTime<Utc>,
    /// The sample it carried.
    pub sample: HealthSample,
    /// Id of the `asset.health_changed` event, used if health changes.
    pub event_id: Uuid,
}

/// A device whose health changed, with the event written for it.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthChange {
    /// The asset after the change.
    pub asset: Asset,
    /// Health before.
    pub from: AssetHealth,
    /// The `asset.health_changed` event, in the outbox.
    pub event: EventEnvelope,
}

/// Devices, agents, heartbeats and health. Heartbeats are written in
/// batches (one transaction per batch); every health change commits with
/// its outbox event.
#[async_trait]
pub trait AssetStore: Send + Sync {
    /// Creates an asset and its first history line; `Conflict("asset tag …
    /// is taken")` on a taken tag.
    async fn create_asset(&self, new: &NewAsset) -> Result<Asset, StoreError>;
    /// Saves new details if the version is still the expected one (else
    /// `Conflict`, changing nothing), with history lines.
    async fn save_asset(&self, save: &AssetSave) -> Result<Asset, StoreError>;
    /// One asset by id.
    async fn get_asset(&self, id: AssetId) -> Result<Option<Asset>, StoreError>;
    /// One asset by tag.
    async fn get_asset_by_tag(&self, tag: &str) -> Result<Option<Asset>, StoreError>;
    /// The assets with these ids (missing ones skipped), by id.
    async fn assets_by_ids(&self, ids: &[AssetId]) -> Result<Vec<Asset>, StoreError>;
    /// Assets matching `query`, by id.
    async fn list_assets(&self, query: &AssetQuery) -> Result<Vec<Asset>, StoreError>;
    /// An asset's history, oldest first.
    async fn asset_history(&self, id: AssetId) -> Result<Vec<AssetHistoryEntry>, StoreError>;
    /// Links assets to a ticket (already linked ones stay), with a history
    /// line on each asset.
    async fn link_assets(
        &self,
        ticket: &Ticket,
        assets: &[AssetId],
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Unlinks an asset from a ticket; `false` if it was not linked.
    async fn unlink_asset(
        &self,
        ticket: &Ticket,
        asset: AssetId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The assets linked to a ticket, by id.
    async fn ticket_assets(&self, ticket: TicketId) -> Result<Vec<Asset>, StoreError>;
    /// The tickets an asset is linked to, newest first, at most `limit`.
    async fn asset_tickets(&self, asset: AssetId, limit: u64) -> Result<Vec<Ticket>, StoreError>;
    /// Merges `absorbed` into `kept`: its ticket links and agents move over,
    /// hints `kept` lacks are taken, `absorbed` is retired and marked merged.
    /// Returns `kept` as it is now.
    async fn merge_assets(
        &self,
        kept: AssetId,
        absorbed: AssetId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Asset, StoreError>;

    /// Stores a new enrolment token.
    async fn create_enrollment_token(
        &self,
        token_hash: &str,
        created_by: UserId,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<EnrollmentToken, StoreError>;
    /// Enrolment tokens, newest first; used, revoked and expired ones only
    /// if `all`.
    async fn list_enrollment_tokens(
        &self,
        all: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<EnrollmentToken>, StoreError>;
    /// Revokes an unused token; `None` if there is no such token.
    async fn revoke_enrollment_token(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<EnrollmentToken>, StoreError>;
    /// Enrols an agent in one transaction: uses the token up (`None` if it
    /// is unknown, used, revoked or expired: nothing changes), finds the
    /// asset the device already is by [`crate::match_existing_asset`] (or
    /// creates one), revokes that asset's earlier agents, and stores the
    /// new agent.
    async fn enroll_agent(&self, enroll: &EnrollAgent) -> Result<Option<Enrolled>, StoreError>;
    /// One agent.
    async fn get_agent(&self, id: AgentId) -> Result<Option<Agent>, StoreError>;
    /// The agents of an asset, newest first.
    async fn asset_agents(&self, asset: AssetId) -> Result<Vec<Agent>, StoreError>;
    /// Revokes an agent; `None` if there is no such agent.
    async fn revoke_agent(
        &self,
        id: AgentId,
        now: DateTime<Utc>,
    ) -> Result<Option<Agent>, StoreError>;
    /// Records heartbeats in one transaction: each asset's last-seen time,
    /// latest sample and a stored sample; its health judged by
    /// [`crate::assess_sample`] under `thresholds`, with an
    /// `asset.health_changed` event in the outbox when it changed. Several
    /// heartbeats of one asset are applied in order.
    async fn record_heartbeats(
        &self,
        beats: &[Heartbeat],
        thresholds: &HealthThresholds,
    ) -> Result<Vec<HealthChange>, StoreError>;
    /// Marks `DOWN` every `UP` or `DEGRADED` asset last seen before
    /// `cutoff`, each with its event; concurrent callers never mark one
    /// asset twice.
    async fn mark_silent_assets_down(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<HealthChange>, StoreError>;
    /// An asset's stored samples since `since`, oldest first, at most `limit`.
    async fn asset_samples(
        &self,
        asset: AssetId,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<AssetSample>, StoreError>;
    /// Deletes samples older than `before`; returns how many.
    async fn prune_samples(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}
