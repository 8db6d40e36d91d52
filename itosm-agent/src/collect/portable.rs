//! What `sysinfo` collects the same way on every OS it supports; the
//! per-OS collectors build on it.

use std::collections::HashSet;
use std::time::Duration;

use itosm_agent_protocol::{
    CpuInfo, DiskInfo, DiskUsage, HealthSample, NetworkInterface, OsInfo, fit_text, limits,
};
use sysinfo::{CpuRefreshKind, Disks, MemoryRefreshKind, Networks, RefreshKind, System};

/// File systems that are not disks: kernel interfaces, memory-backed
/// mounts, container layers and read-only images.
const PSEUDO_FILESYSTEMS: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fuse.lxcfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "overlay",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tmpfs",
    "tracefs",
];

/// Whether a file system type is one worth reporting as a disk.
pub fn is_real_filesystem(filesystem: &str) -> bool {
    !filesystem.is_empty() && !PSEUDO_FILESYSTEMS.contains(&filesystem)
}

/// The `sysinfo` handles, kept between samples: CPU use is a difference
/// between two refreshes of the same [`System`].
pub struct Machine {
    system: System,
    disks: Disks,
    networks: Networks,
    cpu_measured: bool,
}

impl Default for Machine {
    fn default() -> Self {
        Self::new()
    }
}

impl Machine {
    /// Reads the CPU list and memory once; CPU use needs a second refresh.
    pub fn new() -> Self {
        let system = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::everything())
                .with_memory(MemoryRefreshKind::everything()),
        );
        Self {
            system,
            disks: Disks::new(),
            networks: Networks::new(),
            cpu_measured: false,
        }
    }

    /// The host name (empty when unknown: the server still has the id).
    pub fn hostname() -> String {
        System::host_name().unwrap_or_default()
    }

    /// The OS name, version and kernel.
    pub fn os() -> OsInfo {
        OsInfo {
            name: System::name().unwrap_or_default(),
            version: System::os_version().unwrap_or_default(),
            kernel: System::kernel_version().unwrap_or_default(),
        }
    }

    /// The CPU model and logical core count.
    pub fn cpu(&self) -> CpuInfo {
        let cpus = self.system.cpus();
        CpuInfo {
            model: cpus
                .first()
                .map(|c| c.brand().trim().to_owned())
                .unwrap_or_default(),
            cores: u32::try_from(cpus.len()).unwrap_or(u32::MAX),
        }
    }

    /// Installed memory.
    pub fn memory_bytes(&mut self) -> u64 {
        self.system.refresh_memory();
        self.system.total_memory()
    }

    /// The real, mounted disks, each mount once.
    pub fn disks(&mut self) -> Vec<DiskInfo> {
        self.disks.refresh(true);
        let mut seen = HashSet::new();
        let mut disks: Vec<DiskInfo> = self
            .disks
            .list()
            .iter()
            .filter(|d| is_real_filesystem(&d.file_system().to_string_lossy()))
            .filter(|d| d.total_space() > 0)
            .map(|d| DiskInfo {
                mount: d.mount_point().to_string_lossy().into_owned(),
                device: d.name().to_string_lossy().into_owned(),
                filesystem: d.file_system().to_string_lossy().into_owned(),
                total_bytes: d.total_space(),
            })
            .filter(|d| seen.insert(d.mount.clone()))
            .collect();
        disks.sort_by(|a, b| a.mount.cmp(&b.mount));
        disks
    }

    /// The network interfaces but loopback, sorted by name so that two
    /// inventories of an unchanged machine compare equal.
    pub fn interfaces(&mut self) -> Vec<NetworkInterface> {
        self.networks.refresh(true);
        let mut interfaces: Vec<NetworkInterface> = self
            .networks
            .list()
            .iter()
            .filter(|(_, data)| !data.ip_networks().iter().any(|n| n.addr.is_loopback()))
            .filter(|(name, _)| name.as_str() != "lo")
            .map(|(name, data)| {
                let mac = data.mac_address();
                let mut addresses: Vec<String> = data
                    .ip_networks()
                    .iter()
                    .map(|n| format!("{}/{}", n.addr, n.prefix))
                    .collect();
                addresses.sort();
                NetworkInterface {
                    name: name.clone(),
                    mac: (!mac.is_unspecified()).then(|| mac.to_string().to_lowercase()),
                    addresses,
                }
            })
            .collect();
        interfaces.sort_by(|a, b| a.name.cmp(&b.name));
        interfaces
    }

    /// CPU use, memory, load, uptime and disk use; reachability is left
    /// empty for the caller. The very first call waits a short window so
    /// that its CPU figure is a measurement rather than zero.
    pub async fn sample(&mut self) -> HealthSample {
        if !self.cpu_measured {
            self.system.refresh_cpu_usage();
            tokio::time::sleep(
                sysinfo::MINIMUM_CPU_UPDATE_INTERVAL.max(Duration::from_millis(200)),
            )
            .await;
            self.cpu_measured = true;
        }
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        let cpu = f64::from(self.system.global_cpu_usage());
        let load = System::load_average();
        let disks = self
            .disks()
            .into_iter()
            .filter_map(|d| {
                let disk = self
                    .disks
                    .list()
                    .iter()
                    .find(|x| x.mount_point().to_string_lossy() == d.mount)?;
                Some(DiskUsage {
                    mount: fit_text(&d.mount, limits::MAX_TEXT),
                    used_bytes: disk.total_space().saturating_sub(disk.available_space()),
                    total_bytes: disk.total_space(),
                })
            })
            .take(limits::MAX_DISKS)
            .collect();
        HealthSample {
            // NaN or rounding above 100 must not make the whole sample refused.
            cpu_percent: if cpu.is_finite() {
                cpu.clamp(0.0, 100.0)
            } else {
                0.0
            },
            memory_used_bytes: self.system.used_memory(),
            memory_total_bytes: self.system.total_memory(),
            load: [load.one, load.five, load.fifteen]
                .map(|l| if l.is_finite() { l.max(0.0) } else { 0.0 }),
            uptime_seconds: System::uptime(),
            disks,
            reachability: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_filesystems_are_not_disks() {
        for fs in ["tmpfs", "overlay", "proc", "sysfs", "squashfs", ""] {
            assert!(!is_real_filesystem(fs), "{fs}");
        }
        for fs in ["ext4", "xfs", "btrfs", "vfat", "ntfs", "apfs"] {
            assert!(is_real_filesystem(fs), "{fs}");
        }
    }
}
