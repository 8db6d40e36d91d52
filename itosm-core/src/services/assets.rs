//! Assets: listing, reading, editing, merging, and linking them to tickets.

use chrono::NaiveDate;

use super::paging::{Cursor, decode_cursor, encode_cursor};
use super::text::{validate_search, validate_text};
use super::*;
use crate::store::{AssetQuery, AssetSave, NewAsset};
use crate::{
    Asset, AssetDetails, AssetHealth, AssetHistoryEntry, AssetKind, AssetSample, AssetStatus,
    MAX_ASSET_TEXT_CHARS, validate_asset_tag,
};

/// Most devices one ticket may name at creation.
pub const MAX_TICKET_ASSETS: usize = 10;
/// Most tickets shown on an asset's page.
const ASSET_TICKETS_SHOWN: u64 = 50;
/// Most samples one request reads.
pub const MAX_SAMPLES: u64 = 1_440;

/// Filters for [`Itosm::list_assets`].
#[derive(Debug, Clone, Default)]
pub struct AssetFilterInput {
    /// Only this kind.
    pub kind: Option<AssetKind>,
    /// Only this status.
    pub status: Option<AssetStatus>,
    /// Only this health.
    pub health: Option<AssetHealth>,
    /// Only this owner's devices (username; staff).
    pub owner: Option<String>,
    /// Only the caller's own devices (always so for requesters).
    pub mine: bool,
    /// Only assets whose tag, name, host name or serial contains this text.
    pub search: Option<String>,
}

/// An asset as a person enters or edits it; `None` leaves a field as it is
/// (on creation: its default).
#[derive(Debug, Clone, Default)]
pub struct AssetInput {
    /// The tag (creation only); `None` gives `PC-` and the id.
    pub tag: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Kind.
    pub kind: Option<AssetKind>,
    /// Serial (blank clears it).
    pub serial: Option<String>,
    /// Manufacturer (blank clears it).
    pub manufacturer: Option<String>,
    /// Model (blank clears it).
    pub model: Option<String>,
    /// Owner's username (blank clears it).
    pub owner: Option<String>,
    /// Location (blank clears it).
    pub location: Option<String>,
    /// Status.
    pub status: Option<AssetStatus>,
    /// Purchase date, `YYYY-MM-DD` (blank clears it).
    pub purchased_on: Option<String>,
    /// Warranty end, `YYYY-MM-DD` (blank clears it).
    pub warranty_until: Option<String>,
}

/// One page of assets, by id.
pub type AssetPage = Page<Asset>;

fn optional_text(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<Option<String>>, CoreError> {
    match value.map(|v| v.trim().to_owned()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(Some(None)),
        Some(v) => {
            validate_text(field, &v, MAX_ASSET_TEXT_CHARS)?;
            if v.contains(['\n', '\r']) {
                return Err(CoreError::bad_input(field, "must be one line"));
            }
            Ok(Some(Some(v)))
        }
    }
}

fn optional_date(
    field: &'static str,
    value: Option<String>,
) -> Result<Option<Option<NaiveDate>>, CoreError> {
    match value.map(|v| v.trim().to_owned()) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(Some(None)),
        Some(v) => NaiveDate::parse_from_str(&v, "%Y-%m-%d")
            .map(|d| Some(Some(d)))
            .map_err(|_| CoreError::bad_input(field, "must be a date, YYYY-MM-DD")),
    }
}

impl Itosm {
    /// Lists assets by id: staff every asset, a requester his own devices.
    pub async fn list_assets(
        &self,
        actor: Option<&Actor>,
        filter: AssetFilterInput,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Result<AssetPage, CoreError> {
        policy::authorize(actor, Action::ViewCatalog)?;
        let Some(actor) = actor else {
            return Err(CoreError::Unauthenticated("log in first".to_owned()));
        };
        let first = self.page_size(first)?;
        let after = match after.map(decode_cursor).transpose()? {
            None => None,
            Some(Cursor::Asset(id)) => Some(id),
            Some(_) => {
                return Err(CoreError::bad_input(
                    "after",
                    "this cursor is not an asset list's",
                ));
            }
        };
        let staff = policy::authorize(Some(actor), Action::ListAllAssets).is_ok();
        let owner = if !staff || filter.mine {
            Some(actor.user.id)
        } else {
            match filter
                .owner
                .as_deref()
                .map(str::trim)
                .filter(|o| !o.is_empty())
            {
                None => None,
                Some(username) => match self.store.find_user_by_username(username).await? {
                    Some(user) => Some(user.id),
                    // Nobody by that name owns anything.
                    None => {
                        return Ok(AssetPage {
                            items: Vec::new(),
                            has_next_page: false,
                        });
                    }
                },
            }
        };
        let query = AssetQuery {
            owner,
            kind: filter.kind,
            status: filter.status,
            health: filter.health,
            search: validate_search("filter.search", filter.search)?,
            include_merged: false,
            after,
            limit: first + 1,
        };
        let mut assets = self.store.list_assets(&query).await?;
        let has_next_page = assets.len() as u64 > first;
        assets.truncate(usize::try_from(first).unwrap_or(0));
        Ok(AssetPage {
            items: assets
                .into_iter()
                .map(|a| (encode_cursor(&Cursor::Asset(a.id)), a))
                .collect(),
            has_next_page,
        })
    }

    /// One asset by tag, if the caller may see it (else `NOT_FOUND`).
    pub async fn get_asset(&self, actor: Option<&Actor>, tag: &str) -> Result<Asset, CoreError> {
        policy::authorize(actor, Action::ViewCatalog)?;
        if validate_asset_tag(tag).is_err() {
            let shown: String = tag.chars().filter(|c| !c.is_control()).take(32).collect();
            return Err(policy::asset_not_found(&shown));
        }
        let asset = self
            .store
            .get_asset_by_tag(tag)
            .await?
            .ok_or_else(|| policy::asset_not_found(tag))?;
        policy::authorize(actor, Action::ViewAsset(&asset))?;
        Ok(asset)
    }

    /// The device an `asset.*` event is about, as `actor` may see it now;
    /// `None` when he may not (so a feed skips it silently).
    pub async fn asset_for_event(
        &self,
        actor: Option<&Actor>,
        event: &EventEnvelope,
    ) -> Result<Option<Asset>, CoreError> {
        let Some(snapshot) = &event.asset else {
            return Ok(None);
        };
        match self.get_asset(actor, &snapshot.tag).await {
            Ok(asset) => Ok(Some(asset)),
            Err(CoreError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Creates an asset (staff).
    pub async fn create_asset(
        &self,
        actor: Option<&Actor>,
        input: AssetInput,
    ) -> Result<Asset, CoreError> {
        policy::authorize(actor, Action::ManageAssets)?;
        let actor_id = actor.map(|a| a.user.id).filter(|id| id.0 > 0);
        if let Some(tag) = &input.tag {
            validate_asset_tag(tag)?;
        }
        let name = input
            .name
            .clone()
            .map(|n| n.trim().to_owned())
            .unwrap_or_default();
        validate_text("name", &name, MAX_ASSET_TEXT_CHARS)?;
        let details = self.asset_details(input.clone()).await?;
        let new = NewAsset {
            tag: input.tag,
            name,
            hostname: None,
            kind: details.kind.unwrap_or(AssetKind::Laptop),
            serial: details.serial.flatten(),
            manufacturer: details.manufacturer.flatten(),
            model: details.model.flatten(),
            os: None,
            owner: details.owner.flatten(),
            location: details.location.flatten(),
            status: details.status.unwrap_or(AssetStatus::InStock),
            purchased_on: details.purchased_on.flatten(),
            warranty_until: details.warranty_until.flatten(),
            inventory: None,
            machine_id: None,
            macs: Vec::new(),
            actor: actor_id,
            now: self.clock.now(),
        };
        let asset = self.store.create_asset(&new).await?;
        tracing::info!(asset = %asset.tag, "asset created");
        Ok(asset)
    }

    /// Edits an asset (staff); `expected_version`, when given, must be the
    /// asset's version (else `CONFLICT`, changing nothing).
    pub async fn update_asset(
        &self,
        actor: Option<&Actor>,
        tag: &str,
        expected_version: Option<i32>,
        input: AssetInput,
    ) -> Result<Asset, CoreError> {
        policy::authorize(actor, Action::ManageAssets)?;
        let asset = self.get_asset(actor, tag).await?;
        if input.tag.is_some() {
            return Err(CoreError::bad_input("tag", "a tag cannot be changed"));
        }
        if let Some(name) = &input.name {
            validate_text("name", name.trim(), MAX_ASSET_TEXT_CHARS)?;
        }
        let mut details = self.asset_details(input).await?;
        details.name = details.name.map(|n| n.trim().to_owned());
        let version = expected_version.unwrap_or(asset.version);
        if version != asset.version {
            return Err(CoreError::Conflict(crate::store::STALE_ASSET.to_owned()));
        }
        let (next, changes) = asset.with_details(&details);
        if changes.is_empty() {
            return Ok(asset);
        }
        let saved = self
            .store
            .save_asset(&AssetSave {
                asset: next,
                expected_version: version,
                changes,
                actor: actor.map(|a| a.user.id).filter(|id| id.0 > 0),
                agent: None,
                now: self.clock.now(),
            })
            .await?;
        Ok(saved)
    }

    async fn asset_details(&self, input: AssetInput) -> Result<AssetDetails, CoreError> {
        let owner = match input.owner.map(|o| o.trim().to_owned()) {
            None => None,
            Some(o) if o.is_empty() => Some(None),
            Some(username) => match self.store.find_user_by_username(&username).await? {
                Some(user) => Some(Some(user.id)),
                None => return Err(CoreError::bad_input("owner", format!("no user {username}"))),
            },
        };
        Ok(AssetDetails {
            name: input.name,
            kind: input.kind,
            serial: optional_text("serial", input.serial)?,
            manufacturer: optional_text("manufacturer", input.manufacturer)?,
            model: optional_text("model", input.model)?,
            owner,
            location: optional_text("location", input.location)?,
            status: input.status,
            purchased_on: optional_date("purchasedOn", input.purchased_on)?,
            warranty_until: optional_date("warrantyUntil", input.warranty_until)?,
        })
    }

    /// Merges the asset tagged `absorbed` into the one tagged `kept`
    /// (admins): tickets and agents move over, `absorbed` is retired.
    pub async fn merge_assets(
        &self,
        actor: Option<&Actor>,
        kept: &str,
        absorbed: &str,
    ) -> Result<Asset, CoreError> {
        policy::authorize(actor, Action::MergeAssets)?;
        let keep = self.get_asset(actor, kept).await?;
        let gone = self.get_asset(actor, absorbed).await?;
        if keep.id == gone.id {
            return Err(CoreError::bad_input(
                "absorbed",
                "an asset cannot be merged into itself",
            ));
        }
        if keep.merged_into.is_some() || gone.merged_into.is_some() {
            return Err(CoreError::bad_input(
                "absorbed",
                "an asset already merged cannot be merged again",
            ));
        }
        let merged = self
            .store
            .merge_assets(
                keep.id,
                gone.id,
                actor.map(|a| a.user.id).filter(|id| id.0 > 0),
                self.clock.now(),
            )
            .await?;
        tracing::info!(asset = %merged.tag, absorbed = %gone.tag, "assets merged");
        Ok(merged)
    }

    /// An asset's history (who may see the asset).
    pub async fn asset_history(
        &self,
        actor: Option<&Actor>,
        asset: &Asset,
    ) -> Result<Vec<AssetHistoryEntry>, CoreError> {
        policy::authorize(actor, Action::ViewAsset(asset))?;
        Ok(self.store.asset_history(asset.id).await?)
    }

    /// The tickets an asset is linked to that the caller may see, newest
    /// first.
    pub async fn asset_tickets(
        &self,
        actor: Option<&Actor>,
        asset: &Asset,
    ) -> Result<Vec<TicketView>, CoreError> {
        policy::authorize(actor, Action::ViewAsset(asset))?;
        let tickets = self
            .store
            .asset_tickets(asset.id, ASSET_TICKETS_SHOWN)
            .await?
            .into_iter()
            .filter(|t| policy::authorize(actor, Action::ViewTicket(t)).is_ok())
            .collect();
        self.views(tickets).await
    }

    /// The devices linked to a ticket the caller sees; a requester sees
    /// those of them that are his.
    pub async fn ticket_assets(
        &self,
        actor: Option<&Actor>,
        ticket: &Ticket,
    ) -> Result<Vec<Asset>, CoreError> {
        policy::authorize(actor, Action::ViewTicket(ticket))?;
        Ok(self
            .store
            .ticket_assets(ticket.id)
            .await?
            .into_iter()
            .filter(|a| policy::authorize(actor, Action::ViewAsset(a)).is_ok())
            .collect())
    }

    /// An asset's stored samples since `since`, at most `limit` (the latest).
    pub async fn asset_samples(
        &self,
        actor: Option<&Actor>,
        asset: &Asset,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<AssetSample>, CoreError> {
        policy::authorize(actor, Action::ViewAsset(asset))?;
        Ok(self
            .store
            .asset_samples(asset.id, since, limit.clamp(1, MAX_SAMPLES))
            .await?)
    }

    /// Links a device to a ticket (staff).
    pub async fn link_asset(
        &self,
        actor: Option<&Actor>,
        number: &str,
        tag: &str,
    ) -> Result<TicketView, CoreError> {
        policy::authorize(actor, Action::ManageAssets)?;
        let view = self.get_ticket(actor, number).await?;
        let asset = self.get_asset(actor, tag).await?;
        self.store
            .link_assets(
                &view.ticket,
                &[asset.id],
                actor.map(|a| a.user.id),
                self.clock.now(),
            )
            .await?;
        Ok(view)
    }

    /// Unlinks a device from a ticket (staff); `NOT_FOUND` if it was not
    /// linked.
    pub async fn unlink_asset(
        &self,
        actor: Option<&Actor>,
        number: &str,
        tag: &str,
    ) -> Result<TicketView, CoreError> {
        policy::authorize(actor, Action::ManageAssets)?;
        let view = self.get_ticket(actor, number).await?;
        let asset = self.get_asset(actor, tag).await?;
        let unlinked = self
            .store
            .unlink_asset(
                &view.ticket,
                asset.id,
                actor.map(|a| a.user.id),
                self.clock.now(),
            )
            .await?;
        if !unlinked {
            return Err(CoreError::NotFound(format!(
                "{tag} is not linked to {number}"
            )));
        }
        Ok(view)
    }

    /// The assets a new ticket names, each one the caller may see (a
    /// requester: his own devices); the first that is not is `NOT_FOUND`.
    pub(super) async fn assets_for_new_ticket(
        &self,
        actor: &Actor,
        tags: &[String],
    ) -> Result<Vec<crate::AssetId>, CoreError> {
        if tags.len() > MAX_TICKET_ASSETS {
            return Err(CoreError::bad_input(
                "assetTags",
                format!("at most {MAX_TICKET_ASSETS} devices per ticket"),
            ));
        }
        let mut ids = Vec::with_capacity(tags.len());
        for tag in tags {
            let asset = self.get_asset(Some(actor), tag).await?;
            if asset.merged_into.is_some() {
                return Err(policy::asset_not_found(tag));
            }
            if !ids.contains(&asset.id) {
                ids.push(asset.id);
            }
        }
        Ok(ids)
    }
}
