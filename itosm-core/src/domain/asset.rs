//! Assets (the devices people use), the agents that report on them, and
//! their health.
//!
//! An agent's identity is the id the server issued it and the credential
//! only it holds; what a device says about itself (serial, machine id, MAC
//! addresses, host name) are hints used once, at enrolment, to find the
//! asset it already is ([`match_existing_asset`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::wire_enum;
use crate::agent_protocol::{DeviceHints, HealthSample, Inventory};
use crate::{CoreError, UserId};

/// Longest asset tag.
pub const MAX_TAG_CHARS: usize = 32;
/// Longest name, location, serial, manufacturer, model or OS text.
pub const MAX_ASSET_TEXT_CHARS: usize = 200;

/// An asset's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AssetId(pub i64);

/// An agent's id, issued by the server at enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AgentId(pub Uuid);

impl AgentId {
    /// A fresh random id.
    pub fn random() -> Self {
        AgentId(Uuid::new_v4())
    }

    /// Reads an id as written; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        Uuid::parse_str(text).ok().map(AgentId)
    }
}

impl std::fmt::Display for AgentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Checks an asset tag: 1–32 of `A-Z a-z 0-9 . _ -`.
pub fn validate_asset_tag(value: &str) -> Result<(), CoreError> {
    let ok = !value.is_empty()
        && value.len() <= MAX_TAG_CHARS
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::bad_input(
            "tag",
            format!("must be 1-{MAX_TAG_CHARS} characters of letters, digits, '.', '_' or '-'"),
        ))
    }
}

/// The tag given to the asset with database id `id` when nobody chose one,
/// e.g. `PC-000123`.
pub fn default_asset_tag(id: AssetId) -> String {
    format!("PC-{:06}", id.0)
}

wire_enum! {
    /// What kind of device.
    AssetKind {
        /// A laptop.
        Laptop => "LAPTOP",
        /// A desktop PC.
        Desktop => "DESKTOP",
        /// A server.
        Server => "SERVER",
        /// A switch, router, access point, firewall.
        NetworkDevice => "NETWORK_DEVICE",
        /// A printer.
        Printer => "PRINTER",
        /// Anything else.
        Other => "OTHER",
    }
}

wire_enum! {
    /// Where the device is in its life.
    AssetStatus {
        /// Someone uses it.
        InUse => "IN_USE",
        /// On the shelf.
        InStock => "IN_STOCK",
        /// Being repaired.
        InRepair => "IN_REPAIR",
        /// Out of service for good (also the fate of an asset merged into
        /// another).
        Retired => "RETIRED",
    }
}

wire_enum! {
    /// How the device is doing, as the server judges it.
    AssetHealth {
        /// Heartbeats arrive and every threshold holds.
        Up => "UP",
        /// Heartbeats arrive, but a threshold is crossed.
        Degraded => "DEGRADED",
        /// Heartbeats stopped.
        Down => "DOWN",
        /// No agent reports on it (yet).
        Unknown => "UNKNOWN",
    }
}

/// A device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// Database id.
    pub id: AssetId,
    /// The tag people quote, e.g. `PC-000123` (unique).
    pub tag: String,
    /// What it is called, e.g. `Jane's laptop`.
    pub name: String,
    /// The host name its agent last reported.
    pub hostname: Option<String>,
    /// What kind of device.
    pub kind: AssetKind,
    /// The hardware serial number.
    pub serial: Option<String>,
    /// e.g. `LENOVO`.
    pub manufacturer: Option<String>,
    /// e.g. `ThinkPad T14 Gen 2`.
    pub model: Option<String>,
    /// The operating system, e.g. `Debian GNU/Linux 12`.
    pub os: Option<String>,
    /// Who uses it.
    pub owner: Option<UserId>,
    /// Where it is.
    pub location: Option<String>,
    /// Where it is in its life.
    pub status: AssetStatus,
    /// When it was bought.
    pub purchased_on: Option<NaiveDate>,
    /// When its warranty ends.
    pub warranty_until: Option<NaiveDate>,
    /// The full inventory its agent last reported.
    pub inventory: Option<Inventory>,
    /// The machine id its agent reported (an enrolment hint).
    pub machine_id: Option<String>,
    /// The MAC addresses its agent reported (enrolment hints).
    pub macs: Vec<String>,
    /// When its agent was last heard from.
    pub last_seen_at: Option<DateTime<Utc>>,
    /// How it is doing.
    pub health: AssetHealth,
    /// Why it is not `UP`, e.g. `disk / 97% used`.
    pub health_reason: Option<String>,
    /// The latest health sample.
    pub latest_sample: Option<HealthSample>,
    /// The asset this one was merged into; such an asset is retired and
    /// never matched again.
    pub merged_into: Option<AssetId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its details last changed.
    pub updated_at: DateTime<Utc>,
    /// Bumped on every change of details (optimistic concurrency).
    pub version: i32,
}

/// The details people edit; `None` leaves a field as it is in an update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssetDetails {
    /// New name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<AssetKind>,
    /// New serial (`Some(None)` clears it).
    pub serial: Option<Option<String>>,
    /// New manufacturer.
    pub manufacturer: Option<Option<String>>,
    /// New model.
    pub model: Option<Option<String>>,
    /// New owner.
    pub owner: Option<Option<UserId>>,
    /// New location.
    pub location: Option<Option<String>>,
    /// New status.
    pub status: Option<AssetStatus>,
    /// New purchase date.
    pub purchased_on: Option<Option<NaiveDate>>,
    /// New warranty end.
    pub warranty_until: Option<Option<NaiveDate>>,
}

/// One line of an asset's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetHistoryEntry {
    /// Row id.
    pub id: i64,
    /// The asset.
    pub asset: AssetId,
    /// The person who changed it, if a person did.
    pub actor: Option<UserId>,
    /// The agent that changed it, if an agent did.
    pub agent: Option<AgentId>,
    /// What changed, e.g. `status: IN_STOCK → IN_USE`.
    pub change: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// An enrolled agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// Its id.
    pub id: AgentId,
    /// The asset it reports on.
    pub asset: AssetId,
    /// When it enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// When it was revoked (then it is refused and must enrol again).
    pub revoked_at: Option<DateTime<Utc>>,
    /// SHA-256 of its credential's secret, lowercase hex.
    pub credential_hash: String,
}

/// A one-time enrolment token, as stored (only its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentToken {
    /// Row id.
    pub id: i64,
    /// SHA-256 of the token, lowercase hex.
    pub token_hash: String,
    /// The admin who created it (0: the operator at the shell).
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When an agent used it (it works once).
    pub used_at: Option<DateTime<Utc>>,
    /// When an admin revoked it.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl EnrollmentToken {
    /// Whether an agent may still enrol with it at `now`.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A stored health sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetSample {
    /// The asset.
    pub asset: AssetId,
    /// When the server received it.
    pub at: DateTime<Utc>,
    /// The sample.
    pub sample: HealthSample,
}

/// When a device counts as `DEGRADED`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthThresholds {
    /// CPU use above this percent.
    pub cpu_percent: f64,
    /// Memory use above this percent.
    pub memory_percent: f64,
    /// Any disk fuller than this percent.
    pub disk_percent: f64,
    /// Any reachability target losing more than this percent of probes.
    pub loss_percent: f64,
    /// Any reachability target slower than this, in milliseconds.
    pub latency_ms: f64,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        HealthThresholds {
            cpu_percent: 95.0,
            memory_percent: 95.0,
            disk_percent: 90.0,
            loss_percent: 20.0,
            latency_ms: 500.0,
        }
    }
}

/// Judges one sample: `UP`, or `DEGRADED` with the first threshold crossed.
pub fn assess_sample(
    sample: &HealthSample,
    thresholds: &HealthThresholds,
) -> (AssetHealth, Option<String>) {
    if sample.cpu_percent > thresholds.cpu_percent {
        return degraded(format!("CPU {:.0}% busy", sample.cpu_percent));
    }
    let memory = sample.memory_percent();
    if memory > thresholds.memory_percent {
        return degraded(format!("memory {memory:.0}% used"));
    }
    for disk in &sample.disks {
        let used = disk.used_percent();
        if used > thresholds.disk_percent {
            return degraded(format!("disk {} {used:.0}% used", disk.mount));
        }
    }
    for probe in &sample.reachability {
        if probe.loss_percent > thresholds.loss_percent {
            return degraded(format!(
                "{} unreachable ({:.0}% loss)",
                probe.target, probe.loss_percent
            ));
        }
        if let Some(latency) = probe.latency_ms.filter(|l| *l > thresholds.latency_ms) {
            return degraded(format!("{} slow ({latency:.0} ms)", probe.target));
        }
    }
    (AssetHealth::Up, None)
}

fn degraded(reason: String) -> (AssetHealth, Option<String>) {
    (AssetHealth::Degraded, Some(reason))
}

/// Serial numbers firmware reports when it has none; never a match.
const PLACEHOLDER_SERIALS: &[&str] = &[
    "",
    "0",
    "none",
    "n/a",
    "default string",
    "to be filled by o.e.m.",
    "system serial number",
    "not specified",
    "0123456789",
    "chassis serial number",
];

/// A serial worth matching on: trimmed, lower case, not a placeholder.
pub fn meaningful_serial(serial: Option<&str>) -> Option<String> {
    let serial = serial?.trim().to_ascii_lowercase();
    (!PLACEHOLDER_SERIALS.contains(&serial.as_str())).then_some(serial)
}

/// A MAC worth matching on: lower case, not all zeros, not locally
/// administered (virtual interfaces, randomised Wi-Fi addresses).
pub fn meaningful_mac(mac: &str) -> Option<String> {
    let mac = mac.trim().to_ascii_lowercase();
    let bytes: Vec<u8> = mac
        .split(':')
        .map(|part| u8::from_str_radix(part, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    let locally_administered = bytes.first().is_some_and(|b| b & 0x02 != 0);
    (bytes.len() == 6 && bytes.iter().any(|b| *b != 0) && !locally_administered).then_some(mac)
}

/// What the matcher knows of an existing asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchCandidate {
    /// The asset.
    pub id: AssetId,
    /// Its serial.
    pub serial: Option<String>,
    /// Its machine id.
    pub machine_id: Option<String>,
    /// Its MAC addresses.
    pub macs: Vec<String>,
    /// Its host name.
    pub hostname: Option<String>,
    /// Whether an agent that is not revoked reports on it.
    pub has_active_agent: bool,
}

/// Which rule recognised an enrolling device as an existing asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchRule {
    /// The same hardware serial.
    Serial,
    /// The same machine id (same OS installation, e.g. a renamed host).
    MachineId,
    /// A physical MAC address in common (a reinstalled OS on the same
    /// hardware without a readable serial).
    Mac,
    /// The same host name, on an asset no active agent reports on (a
    /// reinstall whose old agent was revoked, or an asset entered by hand).
    Hostname,
}

/// Finds the asset an enrolling device already is, by the first rule that
/// matches, in this order: serial, machine id, MAC address, host name
/// (see [`MatchRule`]). Retired and merged assets are not candidates (the
/// store leaves them out). Among several matches by the same rule, the
/// lowest id (the oldest asset) wins, so the answer never depends on order.
pub fn match_existing_asset(
    hints: &DeviceHints,
    candidates: &[MatchCandidate],
) -> Option<(AssetId, MatchRule)> {
    let oldest = |rule: MatchRule, matches: &dyn Fn(&MatchCandidate) -> bool| {
        candidates
            .iter()
            .filter(|c| matches(c))
            .map(|c| c.id)
            .min()
            .map(|id| (id, rule))
    };
    let serial = meaningful_serial(hints.serial.as_deref());
    let machine_id = hints
        .machine_id
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let macs: Vec<String> = hints
        .macs
        .iter()
        .filter_map(|m| meaningful_mac(m))
        .collect();
    let hostname = hints.hostname.trim().to_ascii_lowercase();
    serial
        .as_ref()
        .and_then(|s| {
            oldest(MatchRule::Serial, &|c| {
                meaningful_serial(c.serial.as_deref()).as_ref() == Some(s)
            })
        })
        .or_else(|| {
            machine_id.and_then(|m| {
                oldest(MatchRule::MachineId, &|c| {
                    c.machine_id.as_deref() == Some(m)
                })
            })
        })
        .or_else(|| {
            (!macs.is_empty())
                .then(|| {
                    oldest(MatchRule::Mac, &|c| {
                        c.macs
                            .iter()
                            .filter_map(|m| meaningful_mac(m))
                            .any(|m| macs.contains(&m))
                    })
                })
                .flatten()
        })
        .or_else(|| {
            (!hostname.is_empty())
                .then(|| {
                    oldest(MatchRule::Hostname, &|c| {
                        !c.has_active_agent
                            && c.hostname
                                .as_deref()
                                .is_some_and(|h| h.trim().eq_ignore_ascii_case(&hostname))
                    })
                })
                .flatten()
        })
}

fn describe<T: std::fmt::Debug>(value: &Option<T>) -> String {
    value
        .as_ref()
        .map_or_else(|| "none".to_owned(), |v| format!("{v:?}"))
}

impl Asset {
    /// The asset with `details` applied, and one history line per field
    /// that changed (empty when nothing did). Version and time are the
    /// store's to set.
    pub fn with_details(&self, details: &AssetDetails) -> (Asset, Vec<String>) {
        let mut next = self.clone();
        let mut changes = Vec::new();
        macro_rules! apply {
            ($field:ident, $label:literal) => {
                if let Some(value) = &details.$field {
                    if *value != next.$field {
                        changes.push(format!(
                            concat!($label, ": {:?} → {:?}"),
                            next.$field, value
                        ));
                        next.$field = value.clone();
                    }
                }
            };
        }
        apply!(name, "name");
        if let Some(kind) = details.kind.filter(|k| *k != next.kind) {
            changes.push(format!("kind: {} → {}", next.kind, kind));
            next.kind = kind;
        }
        if let Some(status) = details.status.filter(|s| *s != next.status) {
            changes.push(format!("status: {} → {}", next.status, status));
            next.status = status;
        }
        apply!(serial, "serial");
        apply!(manufacturer, "manufacturer");
        apply!(model, "model");
        if let Some(owner) = details.owner.filter(|o| *o != next.owner) {
            changes.push(format!(
                "owner: {} → {}",
                describe(&next.owner.map(|o| o.0)),
                describe(&owner.map(|o| o.0))
            ));
            next.owner = owner;
        }
        apply!(location, "location");
        apply!(purchased_on, "purchased on");
        apply!(warranty_until, "warranty until");
        (next, changes)
    }

    /// The asset with an agent's inventory applied: host name, OS and
    /// hardware details follow the device; the history notes what changed
    /// that people look at (not every package update).
    pub fn with_inventory(
        &self,
        inventory: &Inventory,
        hints: Option<&DeviceHints>,
    ) -> (Asset, Vec<String>) {
        let mut next = self.clone();
        let mut changes = Vec::new();
        let os = format!("{} {}", inventory.os.name, inventory.os.version)
            .trim()
            .to_owned();
        let reported = [
            (
                "hostname",
                &mut next.hostname,
                Some(inventory.hostname.clone()),
            ),
            ("OS", &mut next.os, Some(os).filter(|o| !o.is_empty())),
            ("serial", &mut next.serial, inventory.serial.clone()),
            (
                "manufacturer",
                &mut next.manufacturer,
                inventory.manufacturer.clone(),
            ),
            ("model", &mut next.model, inventory.model.clone()),
        ];
        for (label, field, value) in reported {
            let value = value.filter(|v| !v.trim().is_empty());
            if value.is_some() && *field != value {
                changes.push(format!(
                    "{label}: {} → {}",
                    describe(field),
                    describe(&value)
                ));
                *field = value;
            }
        }
        let software = |inv: &Option<Inventory>| inv.as_ref().map_or(0, |i| i.software.len());
        if let Some(previous) = &self.inventory {
            if previous.memory_bytes != inventory.memory_bytes {
                changes.push(format!(
                    "memory: {} → {} bytes",
                    previous.memory_bytes, inventory.memory_bytes
                ));
            }
            if previous.software != inventory.software {
                changes.push(format!(
                    "software: {} → {} packages",
                    software(&self.inventory),
                    inventory.software.len()
                ));
            }
        } else {
            changes.push("inventory received".to_owned());
        }
        let macs: Vec<String> = inventory
            .interfaces
            .iter()
            .filter_map(|i| i.mac.as_deref().and_then(meaningful_mac))
            .chain(
                hints
                    .into_iter()
                    .flat_map(|h| h.macs.iter().filter_map(|m| meaningful_mac(m))),
            )
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !macs.is_empty() {
            next.macs = macs;
        }
        if let Some(machine_id) = hints
            .and_then(|h| h.machine_id.clone())
            .filter(|m| !m.trim().is_empty())
        {
            next.machine_id = Some(machine_id);
        }
        next.inventory = Some(inventory.clone());
        (next, changes)
    }

    /// Takes in a heartbeat: last seen, latest sample and health judged
    /// by `thresholds`. Returns the health before, when it changed.
    pub fn take_heartbeat(
        &mut self,
        sample: &HealthSample,
        at: DateTime<Utc>,
        thresholds: &HealthThresholds,
    ) -> Option<AssetHealth> {
        let (health, reason) = assess_sample(sample, thresholds);
        let previous = self.health;
        self.last_seen_at = Some(self.last_seen_at.map_or(at, |seen| seen.max(at)));
        self.latest_sample = Some(sample.clone());
        self.health = health;
        self.health_reason = reason;
        (previous != health).then_some(previous)
    }

    /// Marks the device `DOWN` after missed heartbeats; returns the health
    /// before.
    pub fn mark_down(&mut self) -> AssetHealth {
        let previous = self.health;
        self.health = AssetHealth::Down;
        self.health_reason = Some(match self.last_seen_at {
            Some(seen) => format!(
                "no heartbeat since {}",
                seen.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            None => "no heartbeat".to_owned(),
        });
        previous
    }

    /// Whether enrolment may recognise a device as this asset: not retired,
    /// not merged.
    pub fn is_matchable(&self) -> bool {
        self.merged_into.is_none() && self.status != AssetStatus::Retired
    }

    /// What the enrolment matcher needs of this asset.
    pub fn match_candidate(&self, has_active_agent: bool) -> MatchCandidate {
        MatchCandidate {
            id: self.id,
            serial: self.serial.clone(),
            machine_id: self.machine_id.clone(),
            macs: self.macs.clone(),
            hostname: self.hostname.clone(),
            has_active_agent,
        }
    }

    /// This asset after absorbing `other`: what it lacks (serial, host
    /// name, hints, inventory, owner, location, health) is taken from
    /// `other`.
    pub fn merged_with(&self, other: &Asset, now: DateTime<Utc>) -> Asset {
        let mut next = self.clone();
        let take = |mine: &mut Option<String>, theirs: &Option<String>| {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        };
        take(&mut next.hostname, &other.hostname);
        take(&mut next.serial, &other.serial);
        take(&mut next.manufacturer, &other.manufacturer);
        take(&mut next.model, &other.model);
        take(&mut next.os, &other.os);
        take(&mut next.location, &other.location);
        take(&mut next.machine_id, &other.machine_id);
        next.owner = next.owner.or(other.owner);
        next.purchased_on = next.purchased_on.or(other.purchased_on);
        next.warranty_until = next.warranty_until.or(other.warranty_until);
        for mac in &other.macs {
            if !next.macs.contains(mac) {
                next.macs.push(mac.clone());
            }
        }
        if other.last_seen_at > next.last_seen_at {
            next.last_seen_at = other.last_seen_at;
            next.latest_sample.clone_from(&other.latest_sample);
            next.health = other.health;
            next.health_reason.clone_from(&other.health_reason);
            if other.inventory.is_some() {
                next.inventory.clone_from(&other.inventory);
            }
        } else if next.inventory.is_none() {
            next.inventory.clone_from(&other.inventory);
        }
        next.version += 1;
        next.updated_at = now;
        next
    }

    /// This asset after being merged into `kept`: retired, never matched
    /// again, its hints cleared so they point at `kept` alone.
    pub fn retired_into(&self, kept: AssetId, now: DateTime<Utc>) -> Asset {
        Asset {
            status: AssetStatus::Retired,
            merged_into: Some(kept),
            machine_id: None,
            macs: Vec::new(),
            health: AssetHealth::Unknown,
            health_reason: None,
            version: self.version + 1,
            updated_at: now,
            ..self.clone()
        }
    }

    /// The `asset.health_changed` event for this asset (after the change).
    pub fn health_changed_event(
        &self,
        owner: Option<&crate::User>,
        previous: AssetHealth,
        event_id: Uuid,
        now: DateTime<Utc>,
    ) -> crate::event::EventEnvelope {
        crate::event::EventEnvelope::about_asset(
            crate::event::EventType::AssetHealthChanged,
            event_id,
            now,
            None,
            crate::event::AssetSnapshot::of(self, owner, previous),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent_protocol::{DiskUsage, Reachability};

    fn candidate(id: i64) -> MatchCandidate {
        MatchCandidate {
            id: AssetId(id),
            serial: None,
            machine_id: None,
            macs: Vec::new(),
            hostname: None,
            has_active_agent: true,
        }
    }

    fn hints(hostname: &str) -> DeviceHints {
        DeviceHints {
            hostname: hostname.into(),
            ..DeviceHints::default()
        }
    }

    #[test]
    fn the_rules_apply_in_order_and_the_oldest_asset_wins() {
        let by_serial = MatchCandidate {
            serial: Some("ABC123".into()),
            ..candidate(7)
        };
        let by_machine = MatchCandidate {
            machine_id: Some("m-1".into()),
            ..candidate(3)
        };
        let by_mac = MatchCandidate {
            macs: vec!["3c:52:82:00:00:01".into()],
            ..candidate(2)
        };
        let by_name = MatchCandidate {
            hostname: Some("PC-JANE".into()),
            has_active_agent: false,
            ..candidate(1)
        };
        let all = [
            by_serial.clone(),
            by_machine.clone(),
            by_mac.clone(),
            by_name.clone(),
        ];
        let device = DeviceHints {
            hostname: "pc-jane".into(),
            machine_id: Some("m-1".into()),
            serial: Some(" abc123 ".into()),
            macs: vec!["3C:52:82:00:00:01".into()],
        };
        assert_eq!(
            match_existing_asset(&device, &all),
            Some((AssetId(7), MatchRule::Serial))
        );
        let reinstalled = DeviceHints {
            serial: None,
            machine_id: Some("new".into()),
            ..device.clone()
        };
        assert_eq!(
            match_existing_asset(&reinstalled, &all),
            Some((AssetId(2), MatchRule::Mac))
        );
        let renamed = DeviceHints {
            hostname: "pc-jane-2".into(),
            serial: Some("To be filled by O.E.M.".into()),
            ..device.clone()
        };
        assert_eq!(
            match_existing_asset(&renamed, &all),
            Some((AssetId(3), MatchRule::MachineId))
        );
        assert_eq!(
            match_existing_asset(&hints("PC-Jane"), &all),
            Some((AssetId(1), MatchRule::Hostname))
        );
        let twins = [
            MatchCandidate {
                serial: Some("abc123".into()),
                ..candidate(9)
            },
            by_serial,
        ];
        assert_eq!(
            match_existing_asset(&device, &twins).map(|m| m.0),
            Some(AssetId(7))
        );
    }

    #[test]
    fn placeholders_virtual_macs_and_busy_hostnames_never_match() {
        let placeholder = MatchCandidate {
            serial: Some("Default string".into()),
            macs: vec!["02:42:ac:11:00:02".into(), "00:00:00:00:00:00".into()],
            hostname: Some("build".into()),
            ..candidate(1)
        };
        let device = DeviceHints {
            hostname: "build".into(),
            machine_id: None,
            serial: Some("default string".into()),
            macs: vec!["02:42:ac:11:00:02".into(), "00:00:00:00:00:00".into()],
        };
        // The host name matches, but an active agent still reports on it:
        // two live machines may share a name.
        assert_eq!(match_existing_asset(&device, &[placeholder]), None);
        assert_eq!(match_existing_asset(&hints(""), &[candidate(1)]), None);
    }

    #[test]
    fn a_sample_is_degraded_by_the_first_threshold_crossed() {
        let thresholds = HealthThresholds::default();
        let mut sample = HealthSample {
            cpu_percent: 10.0,
            memory_used_bytes: 1,
            memory_total_bytes: 4,
            disks: vec![DiskUsage {
                mount: "/".into(),
                used_bytes: 50,
                total_bytes: 100,
            }],
            reachability: vec![Reachability {
                target: "gw:443".into(),
                latency_ms: Some(3.0),
                loss_percent: 0.0,
            }],
            ..HealthSample::default()
        };
        assert_eq!(assess_sample(&sample, &thresholds), (AssetHealth::Up, None));
        sample.disks[0].used_bytes = 97;
        assert_eq!(
            assess_sample(&sample, &thresholds),
            (AssetHealth::Degraded, Some("disk / 97% used".into()))
        );
        sample.disks[0].used_bytes = 5;
        sample.reachability[0].loss_percent = 100.0;
        sample.reachability[0].latency_ms = None;
        assert_eq!(
            assess_sample(&sample, &thresholds).1.as_deref(),
            Some("gw:443 unreachable (100% loss)")
        );
    }

    #[test]
    fn tags_are_checked() {
        assert!(validate_asset_tag("PC-000123").is_ok());
        assert!(validate_asset_tag("").is_err());
        assert!(validate_asset_tag("PC 1").is_err());
        assert!(validate_asset_tag(&"x".repeat(33)).is_err());
        assert_eq!(default_asset_tag(AssetId(123)), "PC-000123");
    }
}
