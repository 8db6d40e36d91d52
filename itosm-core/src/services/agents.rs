//! Agents: enrolment tokens, enrolment, the agent's own requests
//! (inventory, heartbeats, problem reports), and health.
//!
//! An agent is never an [`Actor`]: it is authenticated by its credential
//! on every request ([`Itosm::authenticate_agent`], checked against the
//! store each time, so a revocation takes effect at once) and can only
//! ever write the one asset its session names.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::text::validate_text;
use super::*;
use crate::agent_protocol::{AgentSettings, DeviceHints, HealthSample, Inventory, limits};
use crate::store::{AssetSave, EnrollAgent, HealthChange, Heartbeat, NewAsset};
use crate::{
    Agent, AgentId, Asset, AssetKind, AssetStatus, EnrollmentToken, HealthThresholds, MatchRule,
};

/// Prefix of enrolment tokens, so a leaked one is recognisable.
const TOKEN_PREFIX: &str = "itosm-enroll-";
/// Prefix of agent credentials.
const CREDENTIAL_PREFIX: &str = "itosm-agent.";
/// Longest credential or token accepted as input.
const MAX_SECRET_CHARS: usize = 128;

/// What agents are told, and how the server judges their health.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentPolicy {
    /// Time between heartbeats.
    pub heartbeat_interval: Duration,
    /// Time between full inventories.
    pub inventory_interval: Duration,
    /// `host:port` targets each sample probes.
    pub reachability_targets: Vec<String>,
    /// When a device counts as `DEGRADED`.
    pub thresholds: HealthThresholds,
    /// Heartbeats missed before a device counts as `DOWN`.
    pub missed_heartbeats: u32,
    /// How long stored samples are kept.
    pub sample_retention: Duration,
    /// Longest lifetime of an enrolment token.
    pub max_token_lifetime: Duration,
    /// Open an incident ticket per device and condition (`DOWN`,
    /// `DEGRADED`), comment on a repeat, resolve it after recovery.
    pub incidents: bool,
    /// How long a device must stay recovered before its incident ticket is
    /// resolved (against flapping).
    pub incident_hold_down: Duration,
}

impl Default for AgentPolicy {
    fn default() -> Self {
        AgentPolicy {
            heartbeat_interval: Duration::minutes(1),
            inventory_interval: Duration::days(1),
            reachability_targets: Vec::new(),
            thresholds: HealthThresholds::default(),
            missed_heartbeats: 3,
            sample_retention: Duration::hours(6),
            max_token_lifetime: Duration::days(90),
            incidents: false,
            incident_hold_down: Duration::minutes(5),
        }
    }
}

impl AgentPolicy {
    /// The settings every answer to an agent carries.
    pub fn settings(&self) -> AgentSettings {
        let seconds = |d: Duration| d.num_seconds().max(1).unsigned_abs();
        AgentSettings {
            heartbeat_interval_seconds: seconds(self.heartbeat_interval),
            inventory_interval_seconds: seconds(self.inventory_interval),
            reachability_targets: self.reachability_targets.clone(),
        }
    }

    /// A device last seen before this is `DOWN`.
    pub fn silence_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.heartbeat_interval * i32::try_from(self.missed_heartbeats.max(1)).unwrap_or(3)
    }
}

/// An agent authenticated for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentSession {
    /// The agent.
    pub agent: Agent,
}

/// An enrolment carried out, as the agent is told.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrolledAgent {
    /// The new agent.
    pub agent: Agent,
    /// Its credential, shown once.
    pub credential: String,
    /// The asset it reports on.
    pub asset: Asset,
    /// How an existing asset was recognised; `None` for a new one.
    pub matched: Option<MatchRule>,
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256_hex(text: &str) -> String {
    crate::hex::lower_hex(&Sha256::digest(text.as_bytes()))
}

fn protocol_error(error: crate::agent_protocol::ProtocolError) -> CoreError {
    // The protocol names fields by JSON path; the code's field is static.
    CoreError::bad_input("agent payload", error.to_string())
}

fn agent_refused() -> CoreError {
    CoreError::Unauthenticated(
        "this agent was revoked or is unknown: enrol again with `itosm-agent enroll`".to_owned(),
    )
}

impl Itosm {
    /// Creates a one-time enrolment token valid for `expires_in` (admins).
    /// Returns the token, shown once (only its hash is stored).
    pub async fn create_enrollment_token(
        &self,
        actor: Option<&Actor>,
        expires_in: Duration,
    ) -> Result<(String, EnrollmentToken), CoreError> {
        policy::authorize(actor, Action::ManageAgents)?;
        let max = self.config.agents.max_token_lifetime;
        if expires_in < Duration::minutes(1) || expires_in > max {
            return Err(CoreError::bad_input(
                "expiresIn",
                format!("must be between 1 minute and {} days", max.num_days()),
            ));
        }
        let token = format!("{TOKEN_PREFIX}{}", random_secret());
        let now = self.clock.now();
        let created_by = actor.map_or(UserId(0), |a| a.user.id);
        let stored = self
            .store
            .create_enrollment_token(&sha256_hex(&token), created_by, now, now + expires_in)
            .await?;
        tracing::info!(token_id = stored.id, expires_at = %stored.expires_at, "enrolment token created");
        Ok((token, stored))
    }

    /// Enrolment tokens, newest first: usable ones, or all (admins).
    pub async fn enrollment_tokens(
        &self,
        actor: Option<&Actor>,
        all: bool,
    ) -> Result<Vec<EnrollmentToken>, CoreError> {
        policy::authorize(actor, Action::ManageAgents)?;
        Ok(self
            .store
            .list_enrollment_tokens(all, self.clock.now())
            .await?)
    }

    /// Revokes an unused enrolment token (admins).
    pub async fn revoke_enrollment_token(
        &self,
        actor: Option<&Actor>,
        id: i64,
    ) -> Result<EnrollmentToken, CoreError> {
        policy::authorize(actor, Action::ManageAgents)?;
        self.store
            .revoke_enrollment_token(id, self.clock.now())
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("no enrolment token {id}")))
    }

    /// Revokes an agent (admins): its next request is refused, and it has
    /// to enrol again.
    pub async fn revoke_agent(&self, actor: Option<&Actor>, id: &str) -> Result<Agent, CoreError> {
        policy::authorize(actor, Action::ManageAgents)?;
        let not_found = || CoreError::NotFound(format!("no agent {id}"));
        let id = AgentId::parse(id).ok_or_else(not_found)?;
        let agent = self
            .store
            .revoke_agent(id, self.clock.now())
            .await?
            .ok_or_else(not_found)?;
        tracing::info!(agent_id = %agent.id, "agent revoked");
        Ok(agent)
    }

    /// The agents of an asset, newest first (staff).
    pub async fn asset_agents(
        &self,
        actor: Option<&Actor>,
        asset: &Asset,
    ) -> Result<Vec<Agent>, CoreError> {
        policy::authorize(actor, Action::ManageAssets)?;
        Ok(self.store.asset_agents(asset.id).await?)
    }

    /// Enrols an agent with a one-time token: recognises the asset the
    /// device already is, or creates one.
    pub async fn enroll_agent(
        &self,
        token: &str,
        hints: &DeviceHints,
        inventory: &Inventory,
    ) -> Result<EnrolledAgent, CoreError> {
        let refused = || {
            CoreError::Unauthenticated(
                "this enrolment token is unknown, used, revoked or expired: ask IT for a new one"
                    .to_owned(),
            )
        };
        if token.len() > MAX_SECRET_CHARS || !token.starts_with(TOKEN_PREFIX) {
            return Err(refused());
        }
        hints.check().map_err(protocol_error)?;
        inventory.check().map_err(protocol_error)?;
        let secret = random_secret();
        let agent_id = AgentId::random();
        let credential = format!("{CREDENTIAL_PREFIX}{}.{secret}", agent_id.0.simple());
        let now = self.clock.now();
        let name = if inventory.hostname.trim().is_empty() {
            hints.hostname.trim().to_owned()
        } else {
            inventory.hostname.trim().to_owned()
        };
        let mut new_asset = NewAsset {
            tag: None,
            name: if name.is_empty() {
                "Unnamed device".to_owned()
            } else {
                name
            },
            hostname: None,
            kind: AssetKind::Desktop,
            serial: None,
            manufacturer: None,
            model: None,
            os: None,
            owner: None,
            location: None,
            status: AssetStatus::InUse,
            purchased_on: None,
            warranty_until: None,
            inventory: Some(inventory.clone()),
            machine_id: None,
            macs: Vec::new(),
            actor: None,
            now,
        };
        // What the inventory says of the device, by the same rules as for
        // an existing asset.
        let (seen, _) = new_asset
            .to_asset(crate::AssetId(0))
            .with_inventory(inventory, Some(hints));
        new_asset.hostname = seen.hostname;
        new_asset.serial = seen.serial;
        new_asset.manufacturer = seen.manufacturer;
        new_asset.model = seen.model;
        new_asset.os = seen.os;
        new_asset.machine_id = seen.machine_id;
        new_asset.macs = seen.macs;
        let enrolled = self
            .store
            .enroll_agent(&EnrollAgent {
                token_hash: sha256_hex(token),
                hints: hints.clone(),
                new_asset,
                agent_id,
                credential_hash: sha256_hex(&secret),
                now,
            })
            .await?
            .ok_or_else(refused)?;
        tracing::info!(
            agent_id = %enrolled.agent.id,
            asset = %enrolled.asset.tag,
            matched = ?enrolled.matched,
            replaced = enrolled.replaced.len(),
            "agent enrolled"
        );
        Ok(EnrolledAgent {
            agent: enrolled.agent,
            credential,
            asset: enrolled.asset,
            matched: enrolled.matched,
        })
    }

    /// Authenticates an agent's credential against the store, now: a
    /// revoked or unknown agent is `UNAUTHENTICATED`; a store failure is
    /// `UNAVAILABLE`, never a refusal.
    pub async fn authenticate_agent(&self, credential: &str) -> Result<AgentSession, CoreError> {
        let parsed = credential
            .strip_prefix(CREDENTIAL_PREFIX)
            .filter(|_| credential.len() <= MAX_SECRET_CHARS)
            .and_then(|rest| rest.split_once('.'))
            .and_then(|(id, secret)| AgentId::parse(id).map(|id| (id, secret)));
        let Some((id, secret)) = parsed else {
            return Err(agent_refused());
        };
        let agent = self.store.get_agent(id).await?.ok_or_else(agent_refused)?;
        // Both sides are SHA-256 digests of a 256-bit secret: comparing
        // them leaks nothing an attacker could use to build a credential.
        if agent.revoked_at.is_some() || agent.credential_hash != sha256_hex(secret) {
            return Err(agent_refused());
        }
        Ok(AgentSession { agent })
    }

    async fn session_asset(&self, session: &AgentSession) -> Result<Asset, CoreError> {
        self.store
            .get_asset(session.agent.asset)
            .await?
            .ok_or_else(agent_refused)
    }

    /// Takes in an agent's full inventory for its own asset.
    pub async fn agent_inventory(
        &self,
        session: &AgentSession,
        inventory: &Inventory,
    ) -> Result<Asset, CoreError> {
        inventory.check().map_err(protocol_error)?;
        // One retry: an admin's edit between read and save is a stale
        // version, not the agent's fault.
        for _ in 0..2 {
            let asset = self.session_asset(session).await?;
            let (next, changes) = asset.with_inventory(inventory, None);
            let saved = self
                .store
                .save_asset(&AssetSave {
                    asset: next,
                    expected_version: asset.version,
                    changes,
                    actor: None,
                    agent: Some(session.agent.id),
                    now: self.clock.now(),
                })
                .await;
            match saved {
                Err(crate::store::StoreError::Conflict(_)) => continue,
                other => return Ok(other?),
            }
        }
        Err(CoreError::Conflict(crate::store::STALE_ASSET.to_owned()))
    }

    /// Checks a heartbeat's sample and makes the record to store (in a
    /// batch, by [`Itosm::record_heartbeats`]).
    pub fn agent_heartbeat(
        &self,
        session: &AgentSession,
        sample: HealthSample,
    ) -> Result<Heartbeat, CoreError> {
        sample.check().map_err(protocol_error)?;
        Ok(Heartbeat {
            asset: session.agent.asset,
            at: self.clock.now(),
            sample,
            event_id: Uuid::now_v7(),
        })
    }

    /// Stores a batch of heartbeats in one transaction; returns the health
    /// changes (their events are in the outbox).
    pub async fn record_heartbeats(
        &self,
        beats: &[Heartbeat],
    ) -> Result<Vec<HealthChange>, CoreError> {
        let changes = self
            .store
            .record_heartbeats(beats, &self.config.agents.thresholds)
            .await?;
        self.after_health_changes(&changes).await;
        Ok(changes)
    }

    /// Marks `DOWN` the devices whose heartbeats stopped; returns the
    /// changes (their events are in the outbox).
    pub async fn sweep_silent_assets(&self) -> Result<Vec<HealthChange>, CoreError> {
        let now = self.clock.now();
        let changes = self
            .store
            .mark_silent_assets_down(self.config.agents.silence_cutoff(now), now)
            .await?;
        self.after_health_changes(&changes).await;
        Ok(changes)
    }

    /// Deletes samples older than the retention; returns how many.
    pub async fn prune_samples(&self) -> Result<u64, CoreError> {
        let before = self.clock.now() - self.config.agents.sample_retention;
        Ok(self.store.prune_samples(before).await?)
    }

    async fn after_health_changes(&self, changes: &[HealthChange]) {
        self.note_health_changes(changes);
        if !self.config.agents.incidents {
            return;
        }
        for change in changes {
            // The health and its event are committed: a failure here is
            // logged, and the next change or sweep tries again.
            if let Err(error) = self.follow_incident(change).await {
                tracing::warn!(%error, asset = %change.asset.tag, "cannot update the device's incident ticket");
            }
        }
    }

    fn note_health_changes(&self, changes: &[HealthChange]) {
        if changes.is_empty() {
            return;
        }
        self.outbox_wakeup.notify_one();
        for change in changes {
            tracing::info!(
                asset = %change.asset.tag,
                event_id = %change.event.event_id,
                from = %change.from,
                to = %change.asset.health,
                reason = change.asset.health_reason.as_deref().unwrap_or(""),
                "asset health changed"
            );
        }
    }

    /// Opens a ticket from the device, for its owner, linked to it, with
    /// its latest samples as an internal note.
    pub async fn agent_report(
        &self,
        session: &AgentSession,
        description: &str,
    ) -> Result<TicketView, CoreError> {
        let description = description.trim();
        validate_text("description", description, limits::MAX_REPORT_CHARS)?;
        let asset = self.session_asset(session).await?;
        let owner = match asset.owner {
            Some(owner) => self.store.users_by_ids(&[owner]).await?.pop(),
            None => None,
        };
        let Some(owner) = owner.filter(|o| o.active) else {
            return Err(CoreError::bad_input(
                "owner",
                format!(
                    "{} has no active owner in itosm: ask IT to set one, or open the ticket in the portal",
                    asset.tag
                ),
            ));
        };
        let actor = Actor { user: owner };
        let view = self
            .create_ticket(
                Some(&actor),
                CreateTicketInput {
                    request_type: RequestType::Other,
                    software_id: None,
                    subject: None,
                    description: description.to_owned(),
                    attachments: Vec::new(),
                    asset_tags: vec![asset.tag.clone()],
                },
            )
            .await?;
        let samples = self
            .store
            .asset_samples(asset.id, self.clock.now() - Duration::hours(1), 5)
            .await?;
        let note = device_note(&asset, &samples);
        let now = self.clock.now();
        let (_, ticket, event) = self
            .store
            .add_comment(NewComment {
                ticket: view.ticket.clone(),
                body: note,
                internal: true,
                author: actor.user.clone(),
                requester: view.requester.clone(),
                software: view.software.clone(),
                assignee: view.assignee.clone(),
                now,
                event_id: Uuid::now_v7(),
                attachments: Vec::new(),
            })
            .await?;
        self.outbox_wakeup.notify_one();
        tracing::info!(ticket = %ticket.number, event_id = %event.event_id, asset = %asset.tag, "ticket reported from a device");
        Ok(TicketView { ticket, ..view })
    }
}

/// The service account incident tickets are opened and worked by: staff,
/// so the same policy as for people applies to what it does.
pub const MONITOR_USERNAME: &str = "itosm.monitor";

impl Itosm {
    /// The monitoring account, created on first use with an employee ID
    /// nobody knows (32 random characters): it never logs in.
    async fn monitor(&self) -> Result<Actor, CoreError> {
        if let Some(user) = self.store.find_user_by_username(MONITOR_USERNAME).await? {
            return Ok(Actor { user });
        }
        let employee_id: String = random_secret()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(32)
            .collect();
        let user = self
            .store
            .upsert_user(&crate::NewUser {
                username: crate::Username::from_stored(MONITOR_USERNAME.to_owned()),
                employee_id,
                display_name: "itosm monitoring".to_owned(),
                email: None,
                phone: None,
                role: crate::Role::Agent,
            })
            .await?;
        Ok(Actor { user })
    }

    /// A note by the monitoring account on `view`'s ticket (not rate
    /// limited: monitoring speaks for a fleet).
    async fn monitor_note(
        &self,
        monitor: &Actor,
        view: &TicketView,
        body: String,
    ) -> Result<(), CoreError> {
        policy::authorize(
            Some(monitor),
            Action::Comment {
                ticket: &view.ticket,
                internal: false,
            },
        )?;
        self.store
            .add_comment(NewComment {
                ticket: view.ticket.clone(),
                body,
                internal: false,
                author: monitor.user.clone(),
                requester: view.requester.clone(),
                software: view.software.clone(),
                assignee: view.assignee.clone(),
                now: self.clock.now(),
                event_id: Uuid::now_v7(),
                attachments: Vec::new(),
            })
            .await?;
        self.outbox_wakeup.notify_one();
        Ok(())
    }

    /// Opens, comments on or marks recovered the incident of one health
    /// change: one open ticket per device and condition.
    async fn follow_incident(&self, change: &HealthChange) -> Result<(), CoreError> {
        let asset = &change.asset;
        let now = self.clock.now();
        let reason = asset.health_reason.clone().unwrap_or_default();
        let monitor = self.monitor().await?;
        match asset.health {
            crate::AssetHealth::Down | crate::AssetHealth::Degraded => {
                let key = format!("asset:{}:{}", asset.tag, asset.health);
                if let Some(incident) = self.store.open_incident(&key).await? {
                    let view = self
                        .get_ticket(Some(&monitor), &incident.ticket_number)
                        .await?;
                    if view.ticket.status.is_open() {
                        if incident.recovered_at.is_some() {
                            self.store.set_incident_recovered(incident.id, None).await?;
                        }
                        return self
                            .monitor_note(
                                &monitor,
                                &view,
                                format!("{} is {} again: {reason}", asset.tag, asset.health),
                            )
                            .await;
                    }
                    // Someone closed it meanwhile: a new occurrence, a new ticket.
                    self.store.close_incident(incident.id, now).await?;
                }
                let view = self
                    .store_new_ticket(
                        &monitor,
                        CreateTicketInput {
                            request_type: RequestType::Incident,
                            software_id: None,
                            subject: Some(format!("{} ({}) is {}", asset.tag, asset.name, asset.health)),
                            description: format!(
                                "{} ({}) is {}: {reason}\nOpened by itosm monitoring; it is resolved once the device stays {} for the hold-down.",
                                asset.tag,
                                asset.hostname.as_deref().unwrap_or("unknown host"),
                                asset.health,
                                crate::AssetHealth::Up
                            ),
                            attachments: Vec::new(),
                            asset_tags: vec![asset.tag.clone()],
                        },
                        now,
                    )
                    .await?;
                match self.store.insert_incident(&key, &view.ticket, now).await {
                    Ok(_) | Err(crate::store::StoreError::Conflict(_)) => Ok(()),
                    Err(other) => Err(other.into()),
                }
            }
            crate::AssetHealth::Up => {
                for condition in [crate::AssetHealth::Down, crate::AssetHealth::Degraded] {
                    let key = format!("asset:{}:{condition}", asset.tag);
                    let Some(incident) = self.store.open_incident(&key).await? else {
                        continue;
                    };
                    if incident.recovered_at.is_none() {
                        self.store
                            .set_incident_recovered(incident.id, Some(now))
                            .await?;
                        let view = self
                            .get_ticket(Some(&monitor), &incident.ticket_number)
                            .await?;
                        if view.ticket.status.is_open() {
                            self.monitor_note(
                                &monitor,
                                &view,
                                format!(
                                    "{} is UP again; the ticket is resolved if it stays up for {}",
                                    asset.tag,
                                    human_duration(self.config.agents.incident_hold_down)
                                ),
                            )
                            .await?;
                        }
                    }
                }
                Ok(())
            }
            crate::AssetHealth::Unknown => Ok(()),
        }
    }

    /// Resolves the incident tickets of devices that stayed recovered for
    /// the hold-down; returns how many were closed.
    pub async fn resolve_recovered_incidents(&self) -> Result<usize, CoreError> {
        if !self.config.agents.incidents {
            return Ok(0);
        }
        let now = self.clock.now();
        let due = self
            .store
            .recovered_incidents(now - self.config.agents.incident_hold_down, 100)
            .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let monitor = self.monitor().await?;
        for incident in &due {
            let view = self
                .get_ticket(Some(&monitor), &incident.ticket_number)
                .await?;
            let note = Some(
                "The device recovered and stayed up: resolved by itosm monitoring.".to_owned(),
            );
            let mut ticket = view.ticket.clone();
            if ticket.status == TicketStatus::Start {
                ticket = self
                    .change_status(
                        Some(&monitor),
                        &ticket.number,
                        TicketStatus::InProgress,
                        None,
                        ticket.version,
                    )
                    .await?
                    .ticket;
            }
            if ticket.status.can_move_to(TicketStatus::Resolved) {
                self.change_status(
                    Some(&monitor),
                    &ticket.number,
                    TicketStatus::Resolved,
                    note,
                    ticket.version,
                )
                .await?;
            }
            self.store.close_incident(incident.id, now).await?;
            tracing::info!(ticket = %ticket.number, incident = %incident.key, "incident resolved after recovery");
        }
        Ok(due.len())
    }
}

/// `90 s`, `5 min`, `2 h`: how long a hold-down is, for people.
fn human_duration(duration: Duration) -> String {
    let seconds = duration.num_seconds();
    if seconds < 120 {
        format!("{seconds} s")
    } else if seconds < 7200 {
        format!("{} min", seconds / 60)
    } else {
        format!("{} h", seconds / 3600)
    }
}

/// The internal note a device report carries: the device and its latest
/// samples, for the staff.
fn device_note(asset: &Asset, samples: &[crate::AssetSample]) -> String {
    use std::fmt::Write;
    let mut note = format!(
        "Reported by the itosm agent on {} ({}), health {}",
        asset.tag,
        asset.hostname.as_deref().unwrap_or("unknown host"),
        asset.health
    );
    if let Some(reason) = &asset.health_reason {
        let _ = write!(note, ": {reason}");
    }
    if let Some(os) = &asset.os {
        let _ = write!(note, "\nOS: {os}");
    }
    if samples.is_empty() {
        note.push_str("\nNo health samples in the last hour.");
    }
    for s in samples {
        let _ = write!(
            note,
            "\n{}: CPU {:.0}%, memory {:.0}%, load {:.2}/{:.2}/{:.2}, up {} h",
            s.at.format("%H:%M:%S UTC"),
            s.sample.cpu_percent,
            s.sample.memory_percent(),
            s.sample.load[0],
            s.sample.load[1],
            s.sample.load[2],
            s.sample.uptime_seconds / 3600
        );
        for disk in &s.sample.disks {
            let _ = write!(note, "; {} {:.0}%", disk.mount, disk.used_percent());
        }
        for probe in &s.sample.reachability {
            match probe.latency_ms {
                Some(ms) => {
                    let _ = write!(
                        note,
                        "; {} {ms:.0} ms, {:.0}% loss",
                        probe.target, probe.loss_percent
                    );
                }
                None => {
                    let _ = write!(note, "; {} unreachable", probe.target);
                }
            }
        }
    }
    note
}
