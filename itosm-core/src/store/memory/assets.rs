//! Assets, agents and heartbeats in memory.

use super::*;
use crate::store::assets::{
    AssetQuery, AssetSave, AssetStore, EnrollAgent, Enrolled, HealthChange, Heartbeat, NewAsset,
};
use crate::{
    Agent, AgentId, Asset, AssetHealth, AssetHistoryEntry, AssetId, AssetSample, EnrollmentToken,
    HealthThresholds, MatchCandidate,
};

/// The asset tables.
#[derive(Debug, Default)]
pub(super) struct AssetTables {
    assets: Vec<Asset>,
    history: Vec<AssetHistoryEntry>,
    links: Vec<(TicketId, AssetId)>,
    agents: Vec<Agent>,
    tokens: Vec<EnrollmentToken>,
    samples: Vec<AssetSample>,
}

impl AssetTables {
    fn note(
        &mut self,
        asset: AssetId,
        actor: Option<UserId>,
        agent: Option<AgentId>,
        change: String,
        at: DateTime<Utc>,
    ) {
        let id = self.history.len() as i64 + 1;
        self.history.push(AssetHistoryEntry {
            id,
            asset,
            actor,
            agent,
            change,
            at,
        });
    }

    fn insert(&mut self, new: &NewAsset) -> Result<Asset, StoreError> {
        let id = AssetId(self.assets.len() as i64 + 1);
        let asset = new.to_asset(id);
        if self.assets.iter().any(|a| a.tag == asset.tag) {
            return Err(StoreError::Conflict(format!(
                "asset tag {} is taken",
                asset.tag
            )));
        }
        self.assets.push(asset.clone());
        self.note(id, new.actor, None, "created".to_owned(), new.now);
        Ok(asset)
    }

    fn find_mut(&mut self, id: AssetId) -> Option<&mut Asset> {
        self.assets.iter_mut().find(|a| a.id == id)
    }

    /// Refuses a change naming an asset that does not exist, as the SQL
    /// stores' foreign key does.
    pub(super) fn check_exist(&self, assets: &[AssetId]) -> Result<(), StoreError> {
        if assets
            .iter()
            .all(|id| self.assets.iter().any(|a| a.id == *id))
        {
            Ok(())
        } else {
            Err(StoreError::Conflict(crate::store::ASSET_GONE.to_owned()))
        }
    }

    /// Links assets to a ticket (also inside its creation).
    pub(super) fn link(
        &mut self,
        ticket: &Ticket,
        assets: &[AssetId],
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.check_exist(assets)?;
        for id in assets {
            if !self.links.contains(&(ticket.id, *id)) {
                self.links.push((ticket.id, *id));
                self.note(
                    *id,
                    actor,
                    None,
                    format!("linked to {}", ticket.number),
                    now,
                );
            }
        }
        Ok(())
    }

    fn owner_of(users: &[User], asset: &Asset) -> Option<User> {
        asset
            .owner
            .and_then(|o| users.iter().find(|u| u.id == o).cloned())
    }
}

#[async_trait]
impl AssetStore for MemoryStore {
    async fn create_asset(&self, new: &NewAsset) -> Result<Asset, StoreError> {
        self.with(|s| s.assets.insert(new))
    }

    async fn save_asset(&self, save: &AssetSave) -> Result<Asset, StoreError> {
        self.with(|s| {
            let tables = &mut s.assets;
            let Some(stored) = tables.find_mut(save.asset.id) else {
                return Err(StoreError::Conflict(format!(
                    "asset {} no longer exists",
                    save.asset.tag
                )));
            };
            if stored.version != save.expected_version {
                return Err(StoreError::Conflict(crate::store::STALE_ASSET.to_owned()));
            }
            let mut next = save.asset.clone();
            next.version = save.expected_version + 1;
            next.updated_at = save.now;
            // Heartbeat fields are the heartbeats' own: a save never rolls them back.
            next.last_seen_at = stored.last_seen_at;
            next.latest_sample = stored.latest_sample.clone();
            next.health = stored.health;
            next.health_reason = stored.health_reason.clone();
            *stored = next.clone();
            for change in &save.changes {
                tables.note(next.id, save.actor, save.agent, change.clone(), save.now);
            }
            Ok(next)
        })
    }

    async fn get_asset(&self, id: AssetId) -> Result<Option<Asset>, StoreError> {
        Ok(self.with(|s| s.assets.assets.iter().find(|a| a.id == id).cloned()))
    }

    async fn get_asset_by_tag(&self, tag: &str) -> Result<Option<Asset>, StoreError> {
        Ok(self.with(|s| s.assets.assets.iter().find(|a| a.tag == tag).cloned()))
    }

    async fn assets_by_ids(&self, ids: &[AssetId]) -> Result<Vec<Asset>, StoreError> {
        Ok(self.with(|s| {
            s.assets
                .assets
                .iter()
                .filter(|a| ids.contains(&a.id))
                .cloned()
                .collect()
        }))
    }

    async fn list_assets(&self, query: &AssetQuery) -> Result<Vec<Asset>, StoreError> {
        Ok(self.with(|s| {
            s.assets
                .assets
                .iter()
                .filter(|a| query.after.is_none_or(|after| a.id > after) && query.matches(a))
                .take(usize::try_from(query.limit).unwrap_or(usize::MAX))
                .cloned()
                .collect()
        }))
    }

    async fn asset_history(&self, id: AssetId) -> Result<Vec<AssetHistoryEntry>, StoreError> {
        Ok(self.with(|s| {
            s.assets
                .history
                .iter()
                .filter(|h| h.asset == id)
                .cloned()
                .collect()
        }))
    }

    async fn link_assets(
        &self,
        ticket: &Ticket,
        assets: &[AssetId],
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(|s| s.assets.link(ticket, assets, actor, now))
    }

    async fn unlink_asset(
        &self,
        ticket: &Ticket,
        asset: AssetId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.with(|s| {
            let before = s.assets.links.len();
            s.assets.links.retain(|l| *l != (ticket.id, asset));
            let removed = s.assets.links.len() != before;
            if removed {
                s.assets.note(
                    asset,
                    actor,
                    None,
                    format!("unlinked from {}", ticket.number),
                    now,
                );
            }
            removed
        }))
    }

    async fn ticket_assets(&self, ticket: TicketId) -> Result<Vec<Asset>, StoreError> {
        Ok(self.with(|s| {
            s.assets
                .assets
                .iter()
                .filter(|a| s.assets.links.contains(&(ticket, a.id)))
                .cloned()
                .collect()
        }))
    }

    async fn asset_tickets(&self, asset: AssetId, limit: u64) -> Result<Vec<Ticket>, StoreError> {
        Ok(self.with(|s| {
            s.tickets
                .iter()
                .rev()
                .filter(|t| s.assets.links.contains(&(t.id, asset)))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .cloned()
                .collect()
        }))
    }

    async fn merge_assets(
        &self,
        kept: AssetId,
        absorbed: AssetId,
        actor: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Asset, StoreError> {
        self.with(|s| {
            let t = &mut s.assets;
            let (Some(keep), Some(gone)) = (
                t.assets.iter().find(|a| a.id == kept).cloned(),
                t.assets.iter().find(|a| a.id == absorbed).cloned(),
            ) else {
                return Err(StoreError::Conflict(
                    "an asset to merge no longer exists".to_owned(),
                ));
            };
            let merged = keep.merged_with(&gone, now);
            let moved: Vec<TicketId> = t
                .links
                .iter()
                .filter(|l| l.1 == absorbed)
                .map(|l| l.0)
                .collect();
            t.links.retain(|l| l.1 != absorbed);
            for ticket in moved {
                if !t.links.contains(&(ticket, kept)) {
                    t.links.push((ticket, kept));
                }
            }
            for agent in t.agents.iter_mut().filter(|a| a.asset == absorbed) {
                agent.asset = kept;
            }
            for sample in t.samples.iter_mut().filter(|x| x.asset == absorbed) {
                sample.asset = kept;
            }
            if let Some(stored) = t.find_mut(kept) {
                *stored = merged.clone();
            }
            if let Some(stored) = t.find_mut(absorbed) {
                *stored = gone.retired_into(kept, now);
            }
            t.note(
                kept,
                actor,
                None,
                format!("merged {} into this asset", gone.tag),
                now,
            );
            t.note(
                absorbed,
                actor,
                None,
                format!("merged into {}", keep.tag),
                now,
            );
            Ok(merged)
        })
    }

    async fn create_enrollment_token(
        &self,
        token_hash: &str,
        created_by: UserId,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<EnrollmentToken, StoreError> {
        Ok(self.with(|s| {
            let token = EnrollmentToken {
                id: s.assets.tokens.len() as i64 + 1,
                token_hash: token_hash.to_owned(),
                created_by,
                created_at,
                expires_at,
                used_at: None,
                revoked_at: None,
            };
            s.assets.tokens.push(token.clone());
            token
        }))
    }

    async fn list_enrollment_tokens(
        &self,
        all: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<EnrollmentToken>, StoreError> {
        Ok(self.with(|s| {
            s.assets
                .tokens
                .iter()
                .rev()
                .filter(|t| all || t.usable(now))
                .cloned()
                .collect()
        }))
    }

    async fn revoke_enrollment_token(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<EnrollmentToken>, StoreError> {
        Ok(self.with(|s| {
            let token = s.assets.tokens.iter_mut().find(|t| t.id == id)?;
            if token.revoked_at.is_none() && token.used_at.is_none() {
                token.revoked_at = Some(now);
            }
            Some(token.clone())
        }))
    }

    async fn enroll_agent(&self, enroll: &EnrollAgent) -> Result<Option<Enrolled>, StoreError> {
        self.with(|s| {
            let t = &mut s.assets;
            let Some(token) = t
                .tokens
                .iter_mut()
                .find(|x| x.token_hash == enroll.token_hash && x.usable(enroll.now))
            else {
                return Ok(None);
            };
            token.used_at = Some(enroll.now);
            let candidates: Vec<MatchCandidate> = t
                .assets
                .iter()
                .filter(|a| a.is_matchable())
                .map(|a| {
                    a.match_candidate(
                        t.agents
                            .iter()
                            .any(|g| g.asset == a.id && g.revoked_at.is_none()),
                    )
                })
                .collect();
            let matched = crate::match_existing_asset(&enroll.hints, &candidates);
            let inventory = enroll.new_asset.inventory.clone().unwrap_or_default();
            let asset = match matched {
                Some((id, _)) => {
                    let Some(stored) = t.find_mut(id) else {
                        return Err(StoreError::Internal("matched asset vanished".to_owned()));
                    };
                    let (mut next, changes) =
                        stored.with_inventory(&inventory, Some(&enroll.hints));
                    next.version += 1;
                    next.updated_at = enroll.now;
                    *stored = next.clone();
                    for change in changes {
                        t.note(id, None, Some(enroll.agent_id), change, enroll.now);
                    }
                    next
                }
                None => t.insert(&enroll.new_asset)?,
            };
            let mut replaced = Vec::new();
            for agent in t
                .agents
                .iter_mut()
                .filter(|a| a.asset == asset.id && a.revoked_at.is_none())
            {
                agent.revoked_at = Some(enroll.now);
                replaced.push(agent.id);
            }
            let agent = Agent {
                id: enroll.agent_id,
                asset: asset.id,
                enrolled_at: enroll.now,
                revoked_at: None,
                credential_hash: enroll.credential_hash.clone(),
            };
            t.agents.push(agent.clone());
            t.note(
                asset.id,
                None,
                Some(agent.id),
                format!("agent {} enrolled", agent.id),
                enroll.now,
            );
            Ok(Some(Enrolled {
                agent,
                asset,
                matched: matched.map(|m| m.1),
                replaced,
            }))
        })
    }

    async fn get_agent(&self, id: AgentId) -> Result<Option<Agent>, StoreError> {
        Ok(self.with(|s| s.assets.agents.iter().find(|a| a.id == id).cloned()))
    }

    async fn asset_agents(&self, asset: AssetId) -> Result<Vec<Agent>, StoreError> {
        Ok(self.with(|s| {
            s.assets
                .agents
                .iter()
                .rev()
                .filter(|a| a.asset == asset)
                .cloned()
                .collect()
        }))
    }

    async fn revoke_agent(
        &self,
        id: AgentId,
        now: DateTime<Utc>,
    ) -> Result<Option<Agent>, StoreError> {
        Ok(self.with(|s| {
            let agent = s.assets.agents.iter_mut().find(|a| a.id == id)?;
            agent.revoked_at.get_or_insert(now);
            let agent = agent.clone();
            s.assets.note(
                agent.asset,
                None,
                Some(agent.id),
                format!("agent {} revoked", agent.id),
                now,
            );
            Some(agent)
        }))
    }

    async fn record_heartbeats(
        &self,
        beats: &[Heartbeat],
        thresholds: &HealthThresholds,
    ) -> Result<Vec<HealthChange>, StoreError> {
        Ok(self.with(|s| {
            let mut changes = Vec::new();
            for beat in beats {
                let Some(asset) = s.assets.find_mut(beat.asset) else {
                    continue;
                };
                let previous = asset.take_heartbeat(&beat.sample, beat.at, thresholds);
                let asset = asset.clone();
                s.assets.samples.push(AssetSample {
                    asset: beat.asset,
                    at: beat.at,
                    sample: beat.sample.clone(),
                });
                if let Some(from) = previous {
                    let owner = AssetTables::owner_of(&s.users, &asset);
                    let event =
                        asset.health_changed_event(owner.as_ref(), from, beat.event_id, beat.at);
                    s.push_outbox(&event);
                    changes.push(HealthChange { asset, from, event });
                }
            }
            changes
        }))
    }

    async fn mark_silent_assets_down(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<HealthChange>, StoreError> {
        Ok(self.with(|s| {
            let mut changes = Vec::new();
            let silent: Vec<AssetId> = s
                .assets
                .assets
                .iter()
                .filter(|a| {
                    matches!(a.health, AssetHealth::Up | AssetHealth::Degraded)
                        && a.last_seen_at.is_some_and(|seen| seen < cutoff)
                })
                .map(|a| a.id)
                .collect();
            for id in silent {
                let Some(asset) = s.assets.find_mut(id) else {
                    continue;
                };
                let from = asset.mark_down();
                let asset = asset.clone();
                let owner = AssetTables::owner_of(&s.users, &asset);
                let event =
                    asset.health_changed_event(owner.as_ref(), from, uuid::Uuid::new_v4(), now);
                s.push_outbox(&event);
                changes.push(HealthChange { asset, from, event });
            }
            changes
        }))
    }

    async fn asset_samples(
        &self,
        asset: AssetId,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<AssetSample>, StoreError> {
        Ok(self.with(|s| {
            let matching: Vec<AssetSample> = s
                .assets
                .samples
                .iter()
                .filter(|x| x.asset == asset && x.at >= since)
                .cloned()
                .collect();
            let skip = matching
                .len()
                .saturating_sub(usize::try_from(limit).unwrap_or(usize::MAX));
            matching.into_iter().skip(skip).collect()
        }))
    }

    async fn prune_samples(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(self.with(|s| {
            let count = s.assets.samples.len();
            s.assets.samples.retain(|x| x.at >= before);
            (count - s.assets.samples.len()) as u64
        }))
    }
}
