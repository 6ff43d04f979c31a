//! Host telemetry (sysinfo) and host facts.

use contin_edge_proto::{rfc3339, Facts, TelemetryPoint};
use sysinfo::{Networks, System};

pub struct Sampler {
    sys: Option<System>,
    nets: Option<Networks>,
}

impl Sampler {
    pub fn new() -> Sampler {
        let mut sys = System::new().ok();
        if let Some(s) = sys.as_mut() {
            s.refresh_cpu_usage();
        }
        Sampler { sys, nets: Networks::new_with_refreshed_list().ok() }
    }

    /// One point: CPU % since the last sample, used memory, network bytes
    /// since the last sample (all interfaces). `seq` is set by the store.
    pub fn sample(&mut self) -> TelemetryPoint {
        let mut p = TelemetryPoint { at: rfc3339(std::time::SystemTime::now()), ..Default::default() };
        if let Some(s) = self.sys.as_mut() {
            s.refresh_cpu_usage();
            s.refresh_memory();
            p.cpu_pct = f64::from(s.global_cpu_usage());
            p.memory_mb = s.used_memory() / (1024 * 1024);
        }
        if let Some(n) = self.nets.as_mut() {
            n.refresh(true);
            p.net_rx_bytes = n.values().map(|d| d.received()).sum();
            p.net_tx_bytes = n.values().map(|d| d.transmitted()).sum();
        }
        p
    }
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler::new()
    }
}

/// Host facts registered in `agent.json`.
pub fn facts() -> Facts {
    let memory_mb = System::new()
        .map(|mut s| {
            s.refresh_memory();
            s.total_memory() / (1024 * 1024)
        })
        .unwrap_or(0);
    Facts {
        hostname: System::host_name().unwrap_or_default(),
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        cpus: std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(1),
        memory_mb,
    }
}
