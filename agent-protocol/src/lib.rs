//! # itosm-agent-protocol
//!
//! The wire contract between `itosm-agent` and the daemon's agent API
//! (`/api/agent/…`): the JSON payloads, the paths and the bounds every
//! payload must keep. Both sides check the same bounds: the agent trims what
//! it collects to fit ([`Inventory::fit_to_limits`]), the server refuses
//! anything that does not ([`Inventory::check`], [`HealthSample::check`]).
//!
//! Nothing an agent sends is trusted for identity: the server knows an
//! agent by the id it issued and the credential it checks; hostnames,
//! serials, machine ids and MAC addresses are only hints.

use serde::{Deserialize, Serialize};

/// Enrolment: a one-time token exchanged for an agent credential.
pub const ENROLL_PATH: &str = "/api/agent/enroll";
/// A full inventory, sent at enrolment, on the server's interval and when
/// it changes.
pub const INVENTORY_PATH: &str = "/api/agent/inventory";
/// A heartbeat with one health sample, on the server's interval.
pub const HEARTBEAT_PATH: &str = "/api/agent/heartbeat";
/// A ticket opened from the device (`itosm-agent report`).
pub const REPORT_PATH: &str = "/api/agent/report";

/// The bounds every payload keeps. A payload over any of them is refused
/// whole with `BAD_USER_INPUT`, before it is stored.
pub mod limits {
    /// Largest request body the agent API reads, in bytes.
    pub const MAX_BODY_BYTES: usize = 512 * 1024;
    /// Longest string field (hostname, model, package name, …), in bytes.
    pub const MAX_TEXT: usize = 256;
    /// Most disks (mounts) in an inventory or sample.
    pub const MAX_DISKS: usize = 64;
    /// Most network interfaces in an inventory.
    pub const MAX_INTERFACES: usize = 64;
    /// Most addresses per interface.
    pub const MAX_ADDRESSES: usize = 16;
    /// Most installed software entries.
    pub const MAX_SOFTWARE: usize = 5_000;
    /// Most MAC addresses among the enrolment hints.
    pub const MAX_MACS: usize = 32;
    /// Most reachability targets.
    pub const MAX_TARGETS: usize = 16;
    /// Longest problem report, in characters.
    pub const MAX_REPORT_CHARS: usize = 4_000;
}

/// Why a payload was refused: the field at fault and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ProtocolError {
    /// The offending field, as a JSON path (e.g. `inventory.disks`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> ProtocolError {
    ProtocolError {
        field: field.into(),
        message: message.into(),
    }
}

fn check_text(field: &str, value: &str) -> Result<(), ProtocolError> {
    if value.len() > limits::MAX_TEXT {
        return Err(refuse(field, format!("at most {} bytes", limits::MAX_TEXT)));
    }
    if value.chars().any(char::is_control) {
        return Err(refuse(field, "control characters are not allowed"));
    }
    Ok(())
}

fn check_optional_text(field: &str, value: Option<&str>) -> Result<(), ProtocolError> {
    value.map_or(Ok(()), |v| check_text(field, v))
}

fn check_count<T>(field: &str, items: &[T], max: usize) -> Result<(), ProtocolError> {
    if items.len() > max {
        return Err(refuse(field, format!("at most {max} entries")));
    }
    Ok(())
}

fn check_number(field: &str, value: f64) -> Result<(), ProtocolError> {
    if !value.is_finite() || value < 0.0 {
        return Err(refuse(field, "must be a finite, non-negative number"));
    }
    Ok(())
}

/// Cuts `value` to at most `max` bytes on a character boundary and drops
/// control characters.
pub fn fit_text(value: &str, max: usize) -> String {
    let mut out = String::new();
    for c in value.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

/// What the device says about itself when it enrols, to find the asset it
/// already is (after a reinstall or a rename). Never an identity: see
/// `docs/AGENTS.md` for the matching rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceHints {
    /// The host name.
    pub hostname: String,
    /// `/etc/machine-id` (or the platform's equivalent), if readable.
    #[serde(default)]
    pub machine_id: Option<String>,
    /// The hardware serial number, if readable.
    #[serde(default)]
    pub serial: Option<String>,
    /// MAC addresses of the physical interfaces, lower case, colon-separated.
    #[serde(default)]
    pub macs: Vec<String>,
}

impl DeviceHints {
    /// Checks the bounds.
    pub fn check(&self) -> Result<(), ProtocolError> {
        check_text("hints.hostname", &self.hostname)?;
        check_optional_text("hints.machine_id", self.machine_id.as_deref())?;
        check_optional_text("hints.serial", self.serial.as_deref())?;
        check_count("hints.macs", &self.macs, limits::MAX_MACS)?;
        for mac in &self.macs {
            check_text("hints.macs", mac)?;
        }
        Ok(())
    }
}

/// The operating system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// e.g. `Debian GNU/Linux`.
    pub name: String,
    /// e.g. `12`.
    pub version: String,
    /// e.g. `6.1.0-18-amd64`.
    pub kernel: String,
}

/// The processor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuInfo {
    /// e.g. `Intel(R) Core(TM) i7-1165G7`.
    pub model: String,
    /// Logical cores.
    pub cores: u32,
}

/// One mounted disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskInfo {
    /// Where it is mounted, e.g. `/`.
    pub mount: String,
    /// The device, e.g. `/dev/nvme0n1p2`.
    pub device: String,
    /// The file system, e.g. `ext4`.
    pub filesystem: String,
    /// Its size.
    pub total_bytes: u64,
}

/// One network interface.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkInterface {
    /// e.g. `enp0s31f6`.
    pub name: String,
    /// Its MAC address, if it has one.
    #[serde(default)]
    pub mac: Option<String>,
    /// Its IP addresses.
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// One installed package.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SoftwarePackage {
    /// e.g. `firefox-esr`.
    pub name: String,
    /// e.g. `115.9.1esr-1~deb12u1`.
    pub version: String,
}

/// Everything the agent knows about the device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The host name.
    pub hostname: String,
    /// The operating system.
    pub os: OsInfo,
    /// e.g. `LENOVO`.
    #[serde(default)]
    pub manufacturer: Option<String>,
    /// e.g. `ThinkPad T14 Gen 2`.
    #[serde(default)]
    pub model: Option<String>,
    /// The hardware serial number.
    #[serde(default)]
    pub serial: Option<String>,
    /// The processor.
    pub cpu: CpuInfo,
    /// Installed memory.
    pub memory_bytes: u64,
    /// Mounted disks.
    #[serde(default)]
    pub disks: Vec<DiskInfo>,
    /// Network interfaces.
    #[serde(default)]
    pub interfaces: Vec<NetworkInterface>,
    /// Installed software.
    #[serde(default)]
    pub software: Vec<SoftwarePackage>,
}

impl Inventory {
    /// Checks every bound.
    pub fn check(&self) -> Result<(), ProtocolError> {
        check_text("inventory.hostname", &self.hostname)?;
        check_text("inventory.os.name", &self.os.name)?;
        check_text("inventory.os.version", &self.os.version)?;
        check_text("inventory.os.kernel", &self.os.kernel)?;
        check_optional_text("inventory.manufacturer", self.manufacturer.as_deref())?;
        check_optional_text("inventory.model", self.model.as_deref())?;
        check_optional_text("inventory.serial", self.serial.as_deref())?;
        check_text("inventory.cpu.model", &self.cpu.model)?;
        check_count("inventory.disks", &self.disks, limits::MAX_DISKS)?;
        for disk in &self.disks {
            check_text("inventory.disks.mount", &disk.mount)?;
            check_text("inventory.disks.device", &disk.device)?;
            check_text("inventory.disks.filesystem", &disk.filesystem)?;
        }
        check_count(
            "inventory.interfaces",
            &self.interfaces,
            limits::MAX_INTERFACES,
        )?;
        for interface in &self.interfaces {
            check_text("inventory.interfaces.name", &interface.name)?;
            check_optional_text("inventory.interfaces.mac", interface.mac.as_deref())?;
            check_count(
                "inventory.interfaces.addresses",
                &interface.addresses,
                limits::MAX_ADDRESSES,
            )?;
            for address in &interface.addresses {
                check_text("inventory.interfaces.addresses", address)?;
            }
        }
        check_count("inventory.software", &self.software, limits::MAX_SOFTWARE)?;
        for package in &self.software {
            check_text("inventory.software.name", &package.name)?;
            check_text("inventory.software.version", &package.version)?;
        }
        Ok(())
    }

    /// Trims what was collected to the bounds, so that an unusual machine
    /// (thousands of packages, very long names) still reports.
    pub fn fit_to_limits(&mut self) {
        let text = |s: &mut String| *s = fit_text(s, limits::MAX_TEXT);
        let optional = |s: &mut Option<String>| {
            if let Some(v) = s.as_mut() {
                *v = fit_text(v, limits::MAX_TEXT);
            }
        };
        text(&mut self.hostname);
        text(&mut self.os.name);
        text(&mut self.os.version);
        text(&mut self.os.kernel);
        optional(&mut self.manufacturer);
        optional(&mut self.model);
        optional(&mut self.serial);
        text(&mut self.cpu.model);
        self.disks.truncate(limits::MAX_DISKS);
        for disk in &mut self.disks {
            text(&mut disk.mount);
            text(&mut disk.device);
            text(&mut disk.filesystem);
        }
        self.interfaces.truncate(limits::MAX_INTERFACES);
        for interface in &mut self.interfaces {
            text(&mut interface.name);
            optional(&mut interface.mac);
            interface.addresses.truncate(limits::MAX_ADDRESSES);
            interface.addresses.iter_mut().for_each(text);
        }
        self.software.truncate(limits::MAX_SOFTWARE);
        for package in &mut self.software {
            text(&mut package.name);
            text(&mut package.version);
        }
    }
}

/// Use of one mounted disk.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiskUsage {
    /// Where it is mounted.
    pub mount: String,
    /// Bytes used.
    pub used_bytes: u64,
    /// Its size.
    pub total_bytes: u64,
}

impl DiskUsage {
    /// Percent used (0 for an empty disk).
    pub fn used_percent(&self) -> f64 {
        if self.total_bytes == 0 {
            0.0
        } else {
            // Precision loss above 2^53 bytes is irrelevant for a percentage.
            #[allow(clippy::cast_precision_loss)]
            let percent = self.used_bytes as f64 * 100.0 / self.total_bytes as f64;
            percent
        }
    }
}

/// Whether one target answered, and how fast.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reachability {
    /// The target probed, `host:port`, as the server configured it.
    pub target: String,
    /// Mean round trip of the probes that answered, in milliseconds;
    /// `None` when none did.
    #[serde(default)]
    pub latency_ms: Option<f64>,
    /// Percent of probes that got no answer.
    pub loss_percent: f64,
}

/// One health sample, sent with each heartbeat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthSample {
    /// CPU use since the last sample, percent of all cores.
    pub cpu_percent: f64,
    /// Memory in use.
    pub memory_used_bytes: u64,
    /// Installed memory.
    pub memory_total_bytes: u64,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// Seconds since boot.
    pub uptime_seconds: u64,
    /// Use of each mounted disk.
    #[serde(default)]
    pub disks: Vec<DiskUsage>,
    /// Reachability of the server's targets.
    #[serde(default)]
    pub reachability: Vec<Reachability>,
}

impl HealthSample {
    /// Checks every bound.
    pub fn check(&self) -> Result<(), ProtocolError> {
        check_number("sample.cpu_percent", self.cpu_percent)?;
        if self.cpu_percent > 100.0 {
            return Err(refuse("sample.cpu_percent", "at most 100"));
        }
        for load in self.load {
            check_number("sample.load", load)?;
        }
        check_count("sample.disks", &self.disks, limits::MAX_DISKS)?;
        for disk in &self.disks {
            check_text("sample.disks.mount", &disk.mount)?;
        }
        check_count(
            "sample.reachability",
            &self.reachability,
            limits::MAX_TARGETS,
        )?;
        for probe in &self.reachability {
            check_text("sample.reachability.target", &probe.target)?;
            if let Some(latency) = probe.latency_ms {
                check_number("sample.reachability.latency_ms", latency)?;
            }
            check_number("sample.reachability.loss_percent", probe.loss_percent)?;
            if probe.loss_percent > 100.0 {
                return Err(refuse("sample.reachability.loss_percent", "at most 100"));
            }
        }
        Ok(())
    }

    /// Percent of memory in use (0 when the total is unknown).
    pub fn memory_percent(&self) -> f64 {
        DiskUsage {
            mount: String::new(),
            used_bytes: self.memory_used_bytes,
            total_bytes: self.memory_total_bytes,
        }
        .used_percent()
    }
}

/// What the server tells the agent to do; in every answer, so a change of
/// interval reaches every agent at its next heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSettings {
    /// Seconds between heartbeats.
    pub heartbeat_interval_seconds: u64,
    /// Seconds between full inventories.
    pub inventory_interval_seconds: u64,
    /// `host:port` targets whose reachability each sample measures (TCP
    /// connect time: no privileges needed).
    #[serde(default)]
    pub reachability_targets: Vec<String>,
}

/// `POST /api/agent/enroll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The one-time enrolment token an admin created.
    pub token: String,
    /// Hints to find the asset this device already is.
    pub hints: DeviceHints,
    /// The full inventory.
    pub inventory: Inventory,
}

/// The answer to an enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    /// The agent's id, issued by the server.
    pub agent_id: String,
    /// The agent's credential, sent as `Authorization: Bearer …` from now
    /// on. Shown once: the server keeps only its hash.
    pub credential: String,
    /// The asset this device is, e.g. `PC-000123`.
    pub asset_tag: String,
    /// Whether an existing asset was recognised (rather than a new one made).
    pub matched_existing: bool,
    /// What to do from now on.
    pub settings: AgentSettings,
}

/// `POST /api/agent/inventory`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryRequest {
    /// The full inventory.
    pub inventory: Inventory,
}

/// `POST /api/agent/heartbeat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeartbeatRequest {
    /// The latest sample.
    pub sample: HealthSample,
}

/// `POST /api/agent/report`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRequest {
    /// What is wrong, in the user's words.
    pub description: String,
}

/// The answer to a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportResponse {
    /// The ticket opened, e.g. `INC-2026-0042`.
    pub number: String,
}

/// The body of every refusal, as on the rest of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The stable code, e.g. `UNAUTHENTICATED`.
    pub code: String,
    /// A message for people.
    pub message: String,
}

/// The code of an answer refusing an agent whose credential was revoked
/// (or never existed): the agent must enrol again.
pub const AGENT_REVOKED_CODE: &str = "UNAUTHENTICATED";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_to_limits_makes_an_oversized_inventory_acceptable() {
        let mut inventory = Inventory {
            hostname: "h".repeat(1000),
            software: vec![
                SoftwarePackage {
                    name: "p\u{0}kg".into(),
                    version: "1".into()
                };
                limits::MAX_SOFTWARE + 10
            ],
            ..Inventory::default()
        };
        assert!(inventory.check().is_err());
        inventory.fit_to_limits();
        assert_eq!(inventory.check(), Ok(()));
        assert_eq!(inventory.hostname.len(), limits::MAX_TEXT);
        assert_eq!(inventory.software.len(), limits::MAX_SOFTWARE);
        assert_eq!(inventory.software[0].name, "pkg");
    }

    #[test]
    fn fit_text_cuts_on_a_character_boundary() {
        assert_eq!(fit_text("ééé", 5), "éé");
        assert_eq!(fit_text("a\nb", 10), "ab");
    }

    #[test]
    fn samples_with_impossible_numbers_are_refused() {
        let mut sample = HealthSample {
            cpu_percent: f64::NAN,
            ..HealthSample::default()
        };
        assert_eq!(
            sample.check().map_err(|e| e.field),
            Err("sample.cpu_percent".to_owned())
        );
        sample.cpu_percent = 150.0;
        assert!(sample.check().is_err());
        sample.cpu_percent = 50.0;
        sample.load = [1.0, -1.0, 0.0];
        assert!(sample.check().is_err());
        sample.load = [1.0, 1.0, 1.0];
        assert_eq!(sample.check(), Ok(()));
    }

    #[test]
    fn payloads_read_back_as_written() {
        let request = HeartbeatRequest {
            sample: HealthSample {
                cpu_percent: 12.5,
                memory_used_bytes: 1,
                memory_total_bytes: 2,
                load: [0.1, 0.2, 0.3],
                uptime_seconds: 9,
                disks: vec![DiskUsage {
                    mount: "/".into(),
                    used_bytes: 5,
                    total_bytes: 10,
                }],
                reachability: vec![Reachability {
                    target: "gw:443".into(),
                    latency_ms: Some(1.5),
                    loss_percent: 0.0,
                }],
            },
        };
        let json = serde_json::to_string(&request).unwrap_or_default();
        let back: Result<HeartbeatRequest, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(request.clone()));
        assert!((request.sample.disks[0].used_percent() - 50.0).abs() < f64::EPSILON);
    }
}
