//! The Linux collector: `sysinfo` for the portable parts, plus
//! `/etc/machine-id`, DMI from `/sys/class/dmi/id` and the package
//! database (dpkg, else rpm).

use std::path::Path;

use itosm_agent_protocol::{DeviceHints, HealthSample, Inventory, SoftwarePackage};

use super::portable::Machine;
use super::{Collector, probe_all};

const DMI_DIR: &str = "/sys/class/dmi/id";
const DPKG_STATUS: &str = "/var/lib/dpkg/status";

/// Collects on Linux.
#[derive(Default)]
pub struct LinuxCollector {
    machine: Machine,
}

impl LinuxCollector {
    /// A collector; CPU use is measured from the first sample on.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Reads a one-line file; unreadable (e.g. DMI serials are root-only) or
/// blank is `None`, as are the placeholders firmware vendors leave there.
fn read_trimmed(path: &Path) -> Option<String> {
    let value = std::fs::read_to_string(path).ok()?;
    let value = value.trim();
    let placeholder = [
        "",
        "To Be Filled By O.E.M.",
        "Default string",
        "System Serial Number",
    ]
    .iter()
    .any(|p| value.eq_ignore_ascii_case(p));
    (!placeholder).then(|| value.to_owned())
}

fn dmi(field: &str) -> Option<String> {
    read_trimmed(&Path::new(DMI_DIR).join(field))
}

/// Whether an interface is backed by a device rather than made up by the
/// kernel (bridges, veths, tunnels): only those MACs identify the machine.
fn is_physical(interface: &str) -> bool {
    std::fs::canonicalize(Path::new("/sys/class/net").join(interface))
        .is_ok_and(|p| !p.starts_with("/sys/devices/virtual"))
}

/// Parses `/var/lib/dpkg/status`: the packages whose status is
/// `install ok installed` (removed-but-configured ones are not installed).
pub fn parse_dpkg_status(text: &str) -> Vec<SoftwarePackage> {
    let mut packages = Vec::new();
    for stanza in text.split("\n\n") {
        let (mut name, mut version, mut installed) = (None, None, false);
        for line in stanza.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                name = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("Status:") {
                installed = v.trim() == "install ok installed";
            }
        }
        if let (Some(name), Some(version), true) = (name, version, installed) {
            packages.push(SoftwarePackage {
                name: name.to_owned(),
                version: version.to_owned(),
            });
        }
    }
    packages
}

/// Parses `rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\n'`.
pub fn parse_rpm_list(text: &str) -> Vec<SoftwarePackage> {
    text.lines()
        .filter_map(|line| {
            let (name, version) = line.split_once('\t')?;
            Some(SoftwarePackage {
                name: name.trim().to_owned(),
                version: version.trim().to_owned(),
            })
        })
        .filter(|p| !p.name.is_empty())
        .collect()
}

fn installed_software() -> Vec<SoftwarePackage> {
    let mut packages = if let Ok(text) = std::fs::read_to_string(DPKG_STATUS) {
        parse_dpkg_status(&text)
    } else {
        std::process::Command::new("rpm")
            .args(["-qa", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\n"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| parse_rpm_list(&String::from_utf8_lossy(&o.stdout)))
            .unwrap_or_default()
    };
    // Sorted so that an unchanged machine gives an equal inventory.
    packages.sort();
    packages.dedup();
    packages
}

impl Collector for LinuxCollector {
    fn hints(&mut self) -> DeviceHints {
        let interfaces = self.machine.interfaces();
        let with_mac = || interfaces.iter().filter(|i| i.mac.is_some());
        let physical: Vec<_> = with_mac().filter(|i| is_physical(&i.name)).collect();
        // In a container or an odd VM nothing looks physical; some MAC is
        // still a better hint than none.
        let chosen = if physical.is_empty() {
            with_mac().collect()
        } else {
            physical
        };
        let mut macs: Vec<String> = chosen.iter().filter_map(|i| i.mac.clone()).collect();
        macs.sort();
        macs.dedup();
        DeviceHints {
            hostname: Machine::hostname(),
            machine_id: read_trimmed(Path::new("/etc/machine-id")),
            serial: dmi("product_serial"),
            macs,
        }
    }

    fn inventory(&mut self) -> Inventory {
        Inventory {
            hostname: Machine::hostname(),
            os: Machine::os(),
            manufacturer: dmi("sys_vendor"),
            model: dmi("product_name"),
            serial: dmi("product_serial"),
            cpu: self.machine.cpu(),
            memory_bytes: self.machine.memory_bytes(),
            disks: self.machine.disks(),
            interfaces: self.machine.interfaces(),
            software: installed_software(),
        }
    }

    async fn sample(&mut self, targets: &[String]) -> HealthSample {
        let (mut sample, reachability) = tokio::join!(self.machine.sample(), probe_all(targets));
        sample.reachability = reachability;
        sample
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_status_keeps_installed_packages_only() {
        let text = "Package: bash\nStatus: install ok installed\nVersion: 5.2-1\n\n\
                    Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n\
                    Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.36-9\nDescription: x\n multi\n";
        let packages = parse_dpkg_status(text);
        let names: Vec<_> = packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(names, [("bash", "5.2-1"), ("libc6", "2.36-9")]);
    }

    #[test]
    fn rpm_lines_are_parsed() {
        let packages = parse_rpm_list("bash\t5.2.26-3.fc40\nbroken line\nzlib\t1.3-1\n");
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].version, "5.2.26-3.fc40");
    }

    #[test]
    fn this_machine_has_a_sensible_inventory() {
        let mut collector = LinuxCollector::new();
        let mut inventory = collector.inventory();
        assert!(!inventory.hostname.is_empty());
        assert!(inventory.memory_bytes > 0);
        assert!(inventory.cpu.cores > 0);
        assert!(
            inventory.disks.iter().any(|d| d.mount == "/"),
            "{:?}",
            inventory.disks
        );
        assert!(inventory.interfaces.iter().all(|i| i.name != "lo"));
        if Path::new(DPKG_STATUS).exists() {
            assert!(!inventory.software.is_empty());
        }
        super::super::fit_inventory(&mut inventory);
        assert_eq!(inventory.check(), Ok(()));
        // Nothing changed, so the change detection must see no change.
        let mut again = collector.inventory();
        super::super::fit_inventory(&mut again);
        assert_eq!(again.software, inventory.software);
        assert_eq!(again.disks.len(), inventory.disks.len());
    }

    #[test]
    fn this_machine_gives_valid_hints() {
        let mut hints = LinuxCollector::new().hints();
        super::super::fit_hints(&mut hints);
        assert!(!hints.hostname.is_empty());
        assert!(
            hints
                .macs
                .iter()
                .all(|m| m != "00:00:00:00:00:00" && *m == m.to_lowercase())
        );
        assert_eq!(hints.check(), Ok(()));
    }

    #[tokio::test]
    async fn two_samples_measure_this_machine() {
        let mut collector = LinuxCollector::new();
        for _ in 0..2 {
            let sample = collector.sample(&[]).await;
            assert!(
                (0.0..=100.0).contains(&sample.cpu_percent),
                "{}",
                sample.cpu_percent
            );
            assert!(sample.memory_total_bytes > 0);
            assert!(sample.memory_used_bytes <= sample.memory_total_bytes);
            assert!(sample.uptime_seconds > 0);
            assert!(
                sample
                    .disks
                    .iter()
                    .any(|d| d.mount == "/" && d.total_bytes > 0)
            );
            assert_eq!(sample.check(), Ok(()));
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }
}
