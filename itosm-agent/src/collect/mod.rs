//! Collectors: what the agent learns about the machine it runs on.
//!
//! [`Collector`] is the one interface the run loop knows. Each operating
//! system gets its own implementation in its own module, selected with
//! `cfg(target_os = …)`: today [`linux`]; a `windows.rs` (machine GUID from
//! the registry, SMBIOS through WMI, software from the uninstall keys) or a
//! `macos.rs` (`IOPlatformUUID`, `system_profiler`, `pkgutil`) goes beside
//! it and is exported as [`PlatformCollector`] for its OS. What `sysinfo`
//! already does portably (CPU, memory, disks, interfaces, OS, load,
//! uptime) lives in [`portable`] so that each OS only adds what it must.

use std::future::Future;
use std::time::{Duration, Instant};

use itosm_agent_protocol::{DeviceHints, HealthSample, Inventory, Reachability, fit_text, limits};

#[cfg(target_os = "linux")]
pub mod linux;
pub mod portable;

/// The collector of the OS this agent was built for.
#[cfg(target_os = "linux")]
pub type PlatformCollector = linux::LinuxCollector;

#[cfg(not(target_os = "linux"))]
compile_error!(
    "itosm-agent has no collector for this OS yet: add one beside collect/linux.rs (see collect/mod.rs)"
);

/// What the agent needs to know about its machine.
pub trait Collector {
    /// Hints to find the asset this device already is, at enrolment.
    fn hints(&mut self) -> DeviceHints;

    /// The full inventory, as collected (not yet fitted to the bounds).
    fn inventory(&mut self) -> Inventory;

    /// One health sample. CPU use is measured since the previous sample
    /// (or over a short window for the first one); `targets` are the
    /// `host:port` reachability targets the server configured.
    fn sample(&mut self, targets: &[String]) -> impl Future<Output = HealthSample> + Send;
}

/// Trims hints to the protocol's bounds (the protocol has no
/// `fit_to_limits` for them).
pub fn fit_hints(hints: &mut DeviceHints) {
    hints.hostname = fit_text(&hints.hostname, limits::MAX_TEXT);
    for value in [&mut hints.machine_id, &mut hints.serial] {
        if let Some(v) = value.as_mut() {
            *v = fit_text(v, limits::MAX_TEXT);
        }
        if value.as_deref().is_some_and(str::is_empty) {
            *value = None;
        }
    }
    hints.macs.truncate(limits::MAX_MACS);
    for mac in &mut hints.macs {
        *mac = fit_text(mac, limits::MAX_TEXT);
    }
}

/// Room kept in a request body for what wraps the inventory (the
/// enrolment token and hints, the JSON envelope).
pub const BODY_MARGIN: usize = 16 * 1024;

/// Fits an inventory to the protocol's bounds and to the request body
/// limit: the per-field bounds alone allow 5,000 packages of 256-byte
/// names, far over [`limits::MAX_BODY_BYTES`], which the server would
/// refuse whole. Software is what gives way, from the end of the list.
pub fn fit_inventory(inventory: &mut Inventory) {
    inventory.fit_to_limits();
    let budget = limits::MAX_BODY_BYTES - BODY_MARGIN;
    loop {
        let size = serde_json::to_vec(inventory).map_or(usize::MAX, |json| json.len());
        if size <= budget || inventory.software.is_empty() {
            return;
        }
        // Cut in proportion, and by at least one entry so that it ends.
        let keep = inventory.software.len().saturating_mul(budget) / size;
        let keep = keep.min(inventory.software.len() - 1);
        inventory.software.truncate(keep);
    }
}

/// How many TCP connects each reachability target gets.
pub const PROBES_PER_TARGET: u32 = 3;
/// How long one connect may take before it counts as lost.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Measures every target concurrently (at most [`limits::MAX_TARGETS`]):
/// TCP connect time, so no privileges are needed, unlike ICMP.
pub async fn probe_all(targets: &[String]) -> Vec<Reachability> {
    let probes = targets
        .iter()
        .take(limits::MAX_TARGETS)
        .map(|target| tokio::spawn(probe(target.clone())));
    let mut results = Vec::new();
    for (handle, target) in probes.collect::<Vec<_>>().into_iter().zip(targets) {
        // A panicking probe is a bug, but it must not stop the heartbeat.
        results.push(handle.await.unwrap_or_else(|_| Reachability {
            target: fit_text(target, limits::MAX_TEXT),
            latency_ms: None,
            loss_percent: 100.0,
        }));
    }
    results
}

/// Measures one `host:port` target with [`PROBES_PER_TARGET`] connects.
/// The name is resolved once, beforehand, so that the latency is the
/// network's round trip and not the resolver's; a name that does not
/// resolve counts as every probe lost.
pub async fn probe(target: String) -> Reachability {
    let mut successes = Vec::new();
    let address = tokio::time::timeout(PROBE_TIMEOUT, tokio::net::lookup_host(target.as_str()))
        .await
        .ok()
        .and_then(Result::ok)
        .and_then(|mut addresses| addresses.next());
    for _ in 0..PROBES_PER_TARGET {
        let Some(address) = address else { break };
        let started = Instant::now();
        let connect = tokio::net::TcpStream::connect(address);
        if let Ok(Ok(_stream)) = tokio::time::timeout(PROBE_TIMEOUT, connect).await {
            successes.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let failures = PROBES_PER_TARGET - u32::try_from(successes.len()).unwrap_or(0);
    let latency_ms = if successes.is_empty() {
        None
    } else {
        #[allow(clippy::cast_precision_loss)] // at most 3 probes
        let count = successes.len() as f64;
        Some(successes.iter().sum::<f64>() / count)
    };
    Reachability {
        target: fit_text(&target, limits::MAX_TEXT),
        latency_ms,
        loss_percent: f64::from(failures) / f64::from(PROBES_PER_TARGET) * 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use itosm_agent_protocol::SoftwarePackage;

    #[tokio::test]
    async fn a_listening_port_is_reachable() -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let target = listener.local_addr()?.to_string();
        // Accept in the background so the backlog never fills.
        let accept =
            tokio::spawn(async move { while let Ok((_socket, _)) = listener.accept().await {} });
        let result = probe(target.clone()).await;
        accept.abort();
        assert_eq!(result.target, target);
        assert!(
            result
                .latency_ms
                .is_some_and(|l| (0.0..1000.0).contains(&l))
        );
        assert!(result.loss_percent.abs() < f64::EPSILON);
        Ok(())
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let target = listener.local_addr()?.to_string();
        drop(listener);
        let result = probe(target).await;
        assert_eq!(result.latency_ms, None);
        assert!((result.loss_percent - 100.0).abs() < f64::EPSILON);
        Ok(())
    }

    #[tokio::test]
    async fn targets_are_probed_concurrently_and_in_order() -> std::io::Result<()> {
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let targets = vec![
            open.local_addr()?.to_string(),
            closed.local_addr()?.to_string(),
        ];
        drop(closed);
        let results = probe_all(&targets).await;
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].target, targets[0]);
        assert!(results[0].latency_ms.is_some());
        assert_eq!(results[1].latency_ms, None);
        Ok(())
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_is_unreachable() {
        let result = probe("no-such-host.invalid:443".to_owned()).await;
        assert_eq!(result.latency_ms, None);
        assert!((result.loss_percent - 100.0).abs() < f64::EPSILON);
        let result = probe("not a target".to_owned()).await;
        assert!((result.loss_percent - 100.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_huge_inventory_is_cut_to_fit_the_request_body() {
        let mut inventory = Inventory {
            hostname: "pc".into(),
            software: (0..limits::MAX_SOFTWARE + 100)
                .map(|i| SoftwarePackage {
                    name: format!("{i:05}{}", "n".repeat(300)),
                    version: "v".repeat(300),
                })
                .collect(),
            ..Inventory::default()
        };
        fit_inventory(&mut inventory);
        assert_eq!(inventory.check(), Ok(()));
        let size = serde_json::to_vec(&inventory).map_or(usize::MAX, |j| j.len());
        assert!(size <= limits::MAX_BODY_BYTES - BODY_MARGIN, "{size}");
        assert!(inventory.software.len() > 500, "only what is needed is cut");
        assert!(inventory.software[0].name.starts_with("00000"));
        // A normal inventory is left whole.
        let mut small = Inventory {
            software: vec![SoftwarePackage::default(); 10],
            ..Inventory::default()
        };
        fit_inventory(&mut small);
        assert_eq!(small.software.len(), 10);
    }

    #[test]
    fn hints_are_fitted_to_the_bounds() {
        let mut hints = DeviceHints {
            hostname: "h".repeat(1000),
            machine_id: Some(String::new()),
            serial: Some("S\n1".into()),
            macs: vec!["aa:bb:cc:dd:ee:ff".into(); 100],
        };
        assert!(hints.check().is_err());
        fit_hints(&mut hints);
        assert_eq!(hints.check(), Ok(()));
        assert_eq!(hints.machine_id, None);
        assert_eq!(hints.serial.as_deref(), Some("S1"));
    }
}
