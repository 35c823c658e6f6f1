//! What the scenario and soak benches share: sizes from the environment, the sandbox at a
//! plan's limits, its written configuration, peak memory, and running the engine in a child
//! process (a second run of the bench binary) so that its memory is measured apart from the
//! stand-ins'.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use sandbox::{FaultRates, RunningSandbox, Sandbox, SandboxConfig};
use serde_json::Value;

/// A size from the environment, or its default.
pub(crate) fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A list of sizes from the environment (`2000,20000`), or the defaults.
pub(crate) fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|s| s.trim().replace('_', "").parse().ok())
                .collect::<Vec<usize>>()
        })
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

/// The peak resident set of this process (`VmHWM`), in KiB.
pub(crate) fn peak_rss_kib() -> u64 {
    proc_status_kib("self", "VmHWM:")
}

/// A `/proc/<pid>/status` field in KiB (0 when the process is gone).
pub(crate) fn proc_status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Shopify counters of the sandbox: (requests, cost points spent, THROTTLED answers).
pub(crate) fn shopify_counters(stats: &Value) -> (u64, u64, u64) {
    let s = &stats["shopify"];
    (
        s["requests"].as_u64().unwrap_or(0),
        s["cost_spent"]
            .as_u64()
            .or_else(|| stats["cost_spent"].as_u64())
            .unwrap_or(0),
        stats["throttled"]["shopify"].as_u64().unwrap_or(0),
    )
}

/// Shopify's Standard plan limits for the stand-in: (bucket size, restore rate in points per
/// second), as Shopify documents them for the GraphQL Admin API: 1,000 points, 100 points/s.
pub(crate) const STANDARD: (f64, f64) = (1_000.0, 100.0);

/// Starts the sandbox, fault-free, with `groups` item groups, `orders` orders and Shopify's
/// bucket at `limits`.
pub(crate) async fn sandbox(groups: usize, orders: usize, limits: (f64, f64)) -> RunningSandbox {
    let mut config = SandboxConfig {
        seed: 3,
        catalog_groups: groups,
        orders,
        faults: FaultRates::none(),
        ..SandboxConfig::default()
    };
    config.eta.max_receipt_age = None;
    config.shopify.bucket_max = limits.0;
    config.shopify.restore_rate = limits.1;
    Sandbox::start(config).await.expect("sandbox")
}

/// The scenarios measure catalog, stock and order traffic; images are left out (their cost is
/// one staged upload and one media call per new picture, not what these targets are about).
pub(crate) const NO_IMAGES: sandbox::sync_config::Options =
    sandbox::sync_config::Options { images: false };

/// Writes the `flow-shopify-sync` configuration for `sb` into `dir`.
pub(crate) fn write_config(sb: &RunningSandbox, dir: &Path) -> PathBuf {
    sandbox::sync_config::write_with(sb, dir, NO_IMAGES).expect("config")
}

/// Sets `key = value` in the `[engine]` section of the configuration at `path` (a line
/// inserted right after the section's header; the written configuration does not set the
/// keys the benches set).
pub(crate) fn set_engine_option(path: &Path, key: &str, value: &str) {
    let text = std::fs::read_to_string(path).expect("the written configuration");
    assert!(
        text.contains("\n[engine]\n"),
        "the written configuration has an [engine] section"
    );
    let text = text.replacen("\n[engine]\n", &format!("\n[engine]\n{key} = {value}\n"), 1);
    std::fs::write(path, text).expect("the configuration is writable");
}

/// Points the configuration at `path` to the state store at `url` instead of its SQLite file.
pub(crate) fn set_store_url(path: &Path, url: &str) {
    let text = std::fs::read_to_string(path).expect("the written configuration");
    assert!(text.contains("url = \"sqlite://state.db\""));
    let text = text.replacen(
        "url = \"sqlite://state.db\"",
        &format!("url = \"{url}\""),
        1,
    );
    std::fs::write(path, text).expect("the configuration is writable");
}

/// The engine `flow-shopify-sync` builds from a configuration file.
pub(crate) async fn engine_for(path: &Path) -> std::sync::Arc<sync_core::engine::Engine> {
    flow_shopify_sync::demo::engine_for(path)
        .await
        .expect("engine")
        .1
}

/// Runs this bench binary again as a child in `role` (read back with [`child_role`]) with
/// the configuration at `config`, and returns the JSON object it prints last.
pub(crate) fn run_child(role: &str, config: &Path, extra: &[(&str, String)]) -> Value {
    let exe = std::env::current_exe().expect("the bench binary");
    // `SCENARIO_CHILD_WRAP=heaptrack` (or `perf record -g --`, ...) runs the child under a
    // profiler.
    let mut command = match std::env::var("SCENARIO_CHILD_WRAP") {
        Ok(wrap) if !wrap.trim().is_empty() => {
            let mut words = wrap.split_whitespace();
            let mut c = std::process::Command::new(words.next().unwrap_or_default());
            c.args(words).arg(exe);
            c
        }
        _ => std::process::Command::new(exe),
    };
    command
        .env("SCENARIO_ROLE", role)
        .env("SCENARIO_CONFIG", config)
        .stderr(std::process::Stdio::inherit());
    for (k, v) in extra {
        command.env(k, v);
    }
    let out = command.output().expect("the child runs");
    assert!(out.status.success(), "the {role} child failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("child output {last:?}: {e}"))
}

/// The role this process was started in by [`run_child`], with its configuration path.
pub(crate) fn child_role() -> Option<(String, PathBuf)> {
    let role = std::env::var("SCENARIO_ROLE").ok()?;
    let config = std::env::var("SCENARIO_CONFIG").ok()?;
    Some((role, PathBuf::from(config)))
}

/// Prints a line on stderr at once, with the time since `started`, so a long run shows where
/// it is.
pub(crate) fn progress(started: Instant, what: &str) {
    eprintln!("[{:>7.1}s] {what}", started.elapsed().as_secs_f64());
}
