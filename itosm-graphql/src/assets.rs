//! Assets, enrolment tokens and agents over GraphQL: the fleet list, a
//! device's page (inventory, health, samples, tickets, history), editing
//! and merging, linking devices to tickets, and enrolment.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use itosm_core::agent_protocol::{HealthSample, Inventory};
use itosm_core::{Asset, AssetInput, AssetPage, CoreError};

use crate::errors::to_graphql_error;
use crate::types::{PageInfo, TicketNode, UserNode, mirror_enum};
use crate::{page_cost, services};

/// What a device's lists (tickets, history, samples, agents) are charged
/// when a request's cost is reckoned: each is a query of its own.
const PER_ASSET_LIST_COST: usize = 10;

mirror_enum! {
    /// What kind of device.
    AssetKind { Laptop, Desktop, Server, NetworkDevice, Printer, Other }
}
mirror_enum! {
    /// Where a device is in its life.
    AssetStatus { InUse, InStock, InRepair, Retired }
}
mirror_enum! {
    /// How a device is doing: `UP`, `DEGRADED` (a threshold crossed),
    /// `DOWN` (heartbeats stopped), `UNKNOWN` (no agent reports on it).
    AssetHealth { Up, Degraded, Down, Unknown }
}

/// A device.
pub struct AssetNode(pub Asset);

#[Object(name = "Asset")]
impl AssetNode {
    async fn id(&self) -> ID {
        ID(self.0.id.0.to_string())
    }
    /// e.g. `PC-000123`.
    async fn tag(&self) -> &str {
        &self.0.tag
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The host name its agent last reported.
    async fn hostname(&self) -> Option<&str> {
        self.0.hostname.as_deref()
    }
    async fn kind(&self) -> AssetKind {
        self.0.kind.into()
    }
    async fn serial(&self) -> Option<&str> {
        self.0.serial.as_deref()
    }
    async fn manufacturer(&self) -> Option<&str> {
        self.0.manufacturer.as_deref()
    }
    async fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }
    /// The operating system its agent reported.
    async fn os(&self) -> Option<&str> {
        self.0.os.as_deref()
    }
    /// Who uses it.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<UserNode>> {
        let Some(owner) = self.0.owner else {
            return Ok(None);
        };
        let (itosm, _) = services(ctx)?;
        let users = itosm
            .store()
            .users_by_ids(&[owner])
            .await
            .map_err(|e| to_graphql_error(e.into()))?;
        Ok(users.into_iter().next().map(UserNode::new))
    }
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    async fn status(&self) -> AssetStatus {
        self.0.status.into()
    }
    async fn purchased_on(&self) -> Option<NaiveDate> {
        self.0.purchased_on
    }
    async fn warranty_until(&self) -> Option<NaiveDate> {
        self.0.warranty_until
    }
    async fn health(&self) -> AssetHealth {
        self.0.health.into()
    }
    /// Why it is not `UP`, e.g. `disk / 97% used`.
    async fn health_reason(&self) -> Option<&str> {
        self.0.health_reason.as_deref()
    }
    /// When its agent was last heard from.
    async fn last_seen_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_seen_at
    }
    /// The full inventory its agent last reported (hardware, disks,
    /// network interfaces, installed software), as JSON.
    async fn inventory(&self) -> Option<Json<Inventory>> {
        self.0.inventory.clone().map(Json)
    }
    /// The latest health sample, as JSON.
    async fn latest_sample(&self) -> Option<Json<HealthSample>> {
        self.0.latest_sample.clone().map(Json)
    }
    /// Health samples of the last `hours` (1..24, default 1), oldest first.
    #[graphql(complexity = "PER_ASSET_LIST_COST * child_complexity")]
    async fn samples(&self, ctx: &Context<'_>, hours: Option<i32>) -> Result<Vec<AssetSampleNode>> {
        let (itosm, caller) = services(ctx)?;
        let hours = hours.unwrap_or(1);
        if !(1..=24).contains(&hours) {
            return Err(to_graphql_error(CoreError::bad_input(
                "hours",
                "must be between 1 and 24",
            )));
        }
        let since = itosm.clock().now() - chrono::Duration::hours(i64::from(hours));
        let samples = itosm
            .asset_samples(caller.actor_opt()?, &self.0, since, itosm_core::MAX_SAMPLES)
            .await
            .map_err(to_graphql_error)?;
        Ok(samples
            .into_iter()
            .map(|s| AssetSampleNode {
                at: s.at,
                cpu_percent: s.sample.cpu_percent,
                memory_percent: s.sample.memory_percent(),
                disk_percent: s
                    .sample
                    .disks
                    .iter()
                    .map(|d| d.used_percent())
                    .fold(0.0, f64::max),
                load1: s.sample.load[0],
                sample: Json(s.sample),
            })
            .collect())
    }
    /// The tickets it is linked to that the caller may see, newest first.
    #[graphql(complexity = "PER_ASSET_LIST_COST * child_complexity")]
    async fn tickets(&self, ctx: &Context<'_>) -> Result<Vec<TicketNode>> {
        let (itosm, caller) = services(ctx)?;
        let views = itosm
            .asset_tickets(caller.actor_opt()?, &self.0)
            .await
            .map_err(to_graphql_error)?;
        Ok(views.into_iter().map(TicketNode).collect())
    }
    /// Who changed what, oldest first.
    #[graphql(complexity = "PER_ASSET_LIST_COST * child_complexity")]
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<AssetHistoryNode>> {
        let (itosm, caller) = services(ctx)?;
        let rows = itosm
            .asset_history(caller.actor_opt()?, &self.0)
            .await
            .map_err(to_graphql_error)?;
        Ok(rows
            .into_iter()
            .map(|h| AssetHistoryNode {
                change: h.change,
                at: h.at,
                agent_id: h.agent.map(|a| ID(a.to_string())),
            })
            .collect())
    }
    /// Its agents, newest first (agents and admins).
    #[graphql(complexity = "PER_ASSET_LIST_COST * child_complexity")]
    async fn agents(&self, ctx: &Context<'_>) -> Result<Vec<AgentNode>> {
        let (itosm, caller) = services(ctx)?;
        let agents = itosm
            .asset_agents(caller.actor_opt()?, &self.0)
            .await
            .map_err(to_graphql_error)?;
        Ok(agents.into_iter().map(AgentNode::from).collect())
    }
    /// Pass to `updateAsset` to refuse a stale edit.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// One health sample.
#[derive(SimpleObject)]
#[graphql(name = "AssetSample")]
pub struct AssetSampleNode {
    /// When the server received it.
    at: DateTime<Utc>,
    /// CPU busy, percent.
    cpu_percent: f64,
    /// Memory used, percent.
    memory_percent: f64,
    /// The fullest disk, percent used.
    disk_percent: f64,
    /// Load average over one minute.
    load1: f64,
    /// The whole sample (disks, reachability), as JSON.
    sample: Json<HealthSample>,
}

/// One line of a device's history.
#[derive(SimpleObject)]
#[graphql(name = "AssetHistoryEntry")]
pub struct AssetHistoryNode {
    /// What changed.
    change: String,
    /// When.
    at: DateTime<Utc>,
    /// The agent that reported the change, if one did.
    agent_id: Option<ID>,
}

/// An enrolled agent.
#[derive(SimpleObject)]
#[graphql(name = "Agent")]
pub struct AgentNode {
    /// Its id, issued by the server.
    id: ID,
    /// When it enrolled.
    enrolled_at: DateTime<Utc>,
    /// When it was revoked.
    revoked_at: Option<DateTime<Utc>>,
}

impl From<itosm_core::Agent> for AgentNode {
    fn from(agent: itosm_core::Agent) -> Self {
        AgentNode {
            id: ID(agent.id.to_string()),
            enrolled_at: agent.enrolled_at,
            revoked_at: agent.revoked_at,
        }
    }
}

/// A new enrolment token, shown once.
#[derive(SimpleObject)]
pub struct EnrollmentToken {
    /// Its id (for revoking it).
    id: ID,
    /// The token: give it to `itosm-agent enroll --token`. It works once.
    token: String,
    /// When it stops working.
    expires_at: DateTime<Utc>,
}

/// An enrolment token as listed (never the token itself).
#[derive(SimpleObject)]
pub struct EnrollmentTokenInfo {
    /// Its id.
    id: ID,
    /// When it was created.
    created_at: DateTime<Utc>,
    /// When it stops working.
    expires_at: DateTime<Utc>,
    /// When an agent used it.
    used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    revoked_at: Option<DateTime<Utc>>,
}

impl From<itosm_core::EnrollmentToken> for EnrollmentTokenInfo {
    fn from(t: itosm_core::EnrollmentToken) -> Self {
        EnrollmentTokenInfo {
            id: ID(t.id.to_string()),
            created_at: t.created_at,
            expires_at: t.expires_at,
            used_at: t.used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// Narrows an asset list.
#[derive(InputObject, Default)]
pub struct AssetFilter {
    /// Only this kind.
    kind: Option<AssetKind>,
    /// Only this status.
    status: Option<AssetStatus>,
    /// Only this health.
    health: Option<AssetHealth>,
    /// Only this owner's devices (a username; agents and admins).
    owner: Option<String>,
    /// Only the caller's devices (always so for requesters).
    mine: Option<bool>,
    /// Text in the tag, name, host name or serial (at most 100 characters).
    search: Option<String>,
}

/// A device's details, as entered or edited; a field left out stays as
/// it is, an empty string clears it.
#[derive(InputObject, Default)]
#[graphql(name = "AssetInput")]
pub struct AssetGql {
    /// The tag, on creation only (e.g. `PC-000123`); left out, one is given.
    tag: Option<String>,
    name: Option<String>,
    kind: Option<AssetKind>,
    serial: Option<String>,
    manufacturer: Option<String>,
    model: Option<String>,
    /// The owner's username.
    owner: Option<String>,
    location: Option<String>,
    status: Option<AssetStatus>,
    /// `YYYY-MM-DD`.
    purchased_on: Option<String>,
    /// `YYYY-MM-DD`.
    warranty_until: Option<String>,
}

impl From<AssetGql> for AssetInput {
    fn from(input: AssetGql) -> Self {
        AssetInput {
            tag: input.tag,
            name: input.name,
            kind: input.kind.map(Into::into),
            serial: input.serial,
            manufacturer: input.manufacturer,
            model: input.model,
            owner: input.owner,
            location: input.location,
            status: input.status.map(Into::into),
            purchased_on: input.purchased_on,
            warranty_until: input.warranty_until,
        }
    }
}

/// An edge of an [`AssetConnection`].
pub struct AssetEdge(String, Asset);

#[Object]
impl AssetEdge {
    /// Pass as `after` to get the assets following this one.
    async fn cursor(&self) -> &str {
        &self.0
    }
    async fn node(&self) -> AssetNode {
        AssetNode(self.1.clone())
    }
}

/// A page of assets, by id.
pub struct AssetConnection(pub AssetPage);

#[Object]
impl AssetConnection {
    async fn edges(&self) -> Vec<AssetEdge> {
        self.0
            .items
            .iter()
            .map(|(cursor, asset)| AssetEdge(cursor.clone(), asset.clone()))
            .collect()
    }
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_next_page: self.0.has_next_page,
            end_cursor: self.0.end_cursor().map(str::to_owned),
        }
    }
}

/// Reads `30m`, `12h`, `7d` (minutes, hours, days).
fn parse_lifetime(text: &str) -> Result<chrono::Duration, CoreError> {
    let invalid = || CoreError::bad_input("expiresIn", "a duration like 30m, 12h or 7d");
    let text = text.trim();
    let unit_at = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(unit_at);
    let number: i64 = number
        .parse()
        .ok()
        .filter(|n| *n <= 100_000)
        .ok_or_else(invalid)?;
    match unit {
        "m" => Ok(chrono::Duration::minutes(number)),
        "h" => Ok(chrono::Duration::hours(number)),
        "d" => Ok(chrono::Duration::days(number)),
        _ => Err(invalid()),
    }
}

/// Reading assets and enrolment tokens.
#[derive(Debug, Default)]
pub struct AssetQuery;

#[Object]
impl AssetQuery {
    /// Devices, by id: agents and admins see every one, a requester his
    /// own. `first` defaults to 20 and is at most `limits.maxPageSize`.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn assets(
        &self,
        ctx: &Context<'_>,
        filter: Option<AssetFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<AssetConnection> {
        let (itosm, caller) = services(ctx)?;
        let filter = filter.unwrap_or_default();
        let page = itosm
            .list_assets(
                caller.actor_opt()?,
                itosm_core::AssetFilterInput {
                    kind: filter.kind.map(Into::into),
                    status: filter.status.map(Into::into),
                    health: filter.health.map(Into::into),
                    owner: filter.owner,
                    mine: filter.mine.unwrap_or(false),
                    search: filter.search,
                },
                first.map(i64::from),
                after.as_deref(),
            )
            .await
            .map_err(to_graphql_error)?;
        Ok(AssetConnection(page))
    }

    /// One device by tag (`null` when it does not exist or is not the
    /// caller's to see).
    async fn asset(&self, ctx: &Context<'_>, tag: String) -> Result<Option<AssetNode>> {
        let (itosm, caller) = services(ctx)?;
        match itosm.get_asset(caller.actor_opt()?, &tag).await {
            Ok(asset) => Ok(Some(AssetNode(asset))),
            Err(CoreError::NotFound(_)) => Ok(None),
            Err(error) => Err(to_graphql_error(error)),
        }
    }

    /// Enrolment tokens, newest first: usable ones, or all (admins).
    async fn enrollment_tokens(
        &self,
        ctx: &Context<'_>,
        all: Option<bool>,
    ) -> Result<Vec<EnrollmentTokenInfo>> {
        let (itosm, caller) = services(ctx)?;
        let tokens = itosm
            .enrollment_tokens(caller.actor_opt()?, all.unwrap_or(false))
            .await
            .map_err(to_graphql_error)?;
        Ok(tokens.into_iter().map(Into::into).collect())
    }
}

/// Changing assets, enrolment tokens and agents.
#[derive(Debug, Default)]
pub struct AssetMutation;

#[Object]
impl AssetMutation {
    /// Enters a device (agents and admins).
    async fn create_asset(&self, ctx: &Context<'_>, input: AssetGql) -> Result<AssetNode> {
        let (itosm, caller) = services(ctx)?;
        let asset = itosm
            .create_asset(caller.actor_opt()?, input.into())
            .await
            .map_err(to_graphql_error)?;
        Ok(AssetNode(asset))
    }

    /// Edits a device (agents and admins); with `version`, refused as
    /// `CONFLICT` if someone changed it meanwhile.
    async fn update_asset(
        &self,
        ctx: &Context<'_>,
        tag: String,
        version: Option<i32>,
        input: AssetGql,
    ) -> Result<AssetNode> {
        let (itosm, caller) = services(ctx)?;
        let asset = itosm
            .update_asset(caller.actor_opt()?, &tag, version, input.into())
            .await
            .map_err(to_graphql_error)?;
        Ok(AssetNode(asset))
    }

    /// Merges the device tagged `absorb` into the one tagged `keep`
    /// (admins): tickets and agents move over, `absorb` is retired.
    async fn merge_assets(
        &self,
        ctx: &Context<'_>,
        keep: String,
        absorb: String,
    ) -> Result<AssetNode> {
        let (itosm, caller) = services(ctx)?;
        let asset = itosm
            .merge_assets(caller.actor_opt()?, &keep, &absorb)
            .await
            .map_err(to_graphql_error)?;
        Ok(AssetNode(asset))
    }

    /// Links a device to a ticket (agents and admins).
    async fn link_asset(
        &self,
        ctx: &Context<'_>,
        number: String,
        tag: String,
    ) -> Result<TicketNode> {
        let (itosm, caller) = services(ctx)?;
        let view = itosm
            .link_asset(caller.actor_opt()?, &number, &tag)
            .await
            .map_err(to_graphql_error)?;
        Ok(TicketNode(view))
    }

    /// Unlinks a device from a ticket (agents and admins).
    async fn unlink_asset(
        &self,
        ctx: &Context<'_>,
        number: String,
        tag: String,
    ) -> Result<TicketNode> {
        let (itosm, caller) = services(ctx)?;
        let view = itosm
            .unlink_asset(caller.actor_opt()?, &number, &tag)
            .await
            .map_err(to_graphql_error)?;
        Ok(TicketNode(view))
    }

    /// Creates a one-time enrolment token (admins), valid for `expiresIn`
    /// (`30m`, `12h`, `7d`; default `7d`). The token is shown once.
    async fn create_enrollment_token(
        &self,
        ctx: &Context<'_>,
        expires_in: Option<String>,
    ) -> Result<EnrollmentToken> {
        let (itosm, caller) = services(ctx)?;
        let actor = caller.actor_opt()?;
        itosm_core::policy::authorize(actor, itosm_core::policy::Action::ManageAgents)
            .map_err(to_graphql_error)?;
        let lifetime =
            parse_lifetime(expires_in.as_deref().unwrap_or("7d")).map_err(to_graphql_error)?;
        let (token, stored) = itosm
            .create_enrollment_token(actor, lifetime)
            .await
            .map_err(to_graphql_error)?;
        Ok(EnrollmentToken {
            id: ID(stored.id.to_string()),
            token,
            expires_at: stored.expires_at,
        })
    }

    /// Revokes an unused enrolment token (admins).
    async fn revoke_enrollment_token(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<EnrollmentTokenInfo> {
        let (itosm, caller) = services(ctx)?;
        let id = crate::parse_id(&id, "id")?;
        let t = itosm
            .revoke_enrollment_token(caller.actor_opt()?, id)
            .await
            .map_err(to_graphql_error)?;
        Ok(t.into())
    }

    /// Revokes an agent (admins): its next request is refused and it must
    /// enrol again.
    async fn revoke_agent(&self, ctx: &Context<'_>, id: ID) -> Result<AgentNode> {
        let (itosm, caller) = services(ctx)?;
        let agent = itosm
            .revoke_agent(caller.actor_opt()?, id.as_str())
            .await
            .map_err(to_graphql_error)?;
        Ok(agent.into())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lifetimes_read_minutes_hours_and_days() {
        assert_eq!(
            super::parse_lifetime("7d").ok(),
            Some(chrono::Duration::days(7))
        );
        assert_eq!(
            super::parse_lifetime("30m").ok(),
            Some(chrono::Duration::minutes(30))
        );
        for junk in ["", "7", "d", "7w", "-1d", "99999999999d"] {
            assert!(super::parse_lifetime(junk).is_err(), "{junk}");
        }
    }
}
