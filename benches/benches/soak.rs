//! Soak: the `flow-shopify-sync` daemon (`run`) for a while under a steady stream of new
//! Shopify orders, which reach it as signed webhooks from the sandbox.
//!
//! Run: `cargo bench -p benches --bench soak`. `SOAK_SECS` (default 600) is the length,
//! `SOAK_ORDER_EVERY_MS` (default 2000) the pace of new orders, `SOAK_SAMPLE_SECS` (default
//! 60) the width of a row. Shopify runs at the Standard plan's limits. The daemon runs in a
//! child process (this binary again), so its resident memory is its own; every row gives that
//! memory, the job queue (`/healthz`), and the latency from an order's creation to its
//! accepted ETA receipt (p50, p99) for the receipts accepted in that row's window.
#![allow(missing_docs)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use sandbox::shopify::CatalogEntry;
use serde_json::Value;

/// The daemon role: what `flow-shopify-sync run --config FILE` does.
async fn daemon_child(config: &Path) {
    let (config, engine, wired) = flow_shopify_sync::demo::engine_for(config)
        .await
        .expect("engine");
    flow_shopify_sync::daemon::run(&config, engine, &wired, false)
        .await
        .expect("daemon");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn spawn_daemon(config: &Path, log: &Path) -> Child {
    let exe = std::env::current_exe().expect("the bench binary");
    Command::new(exe)
        .env("SCENARIO_ROLE", "daemon")
        .env("SCENARIO_CONFIG", config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log file"))
        .spawn()
        .expect("the daemon starts")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

struct Sample {
    at_s: f64,
    orders: usize,
    receipts: usize,
    queue: u64,
    rss_mib: f64,
    p50: f64,
    p99: f64,
    in_window: usize,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Some((role, config)) = child_role() {
        assert_eq!(role, "daemon", "unknown SCENARIO_ROLE {role}");
        daemon_child(&config).await;
        return;
    }
    let secs = env("SOAK_SECS", 600) as u64;
    let every = Duration::from_millis(env("SOAK_ORDER_EVERY_MS", 2_000) as u64);
    let window = Duration::from_secs(env("SOAK_SAMPLE_SECS", 60) as u64);
    let started = Instant::now();
    progress(started, "soak: starting the sandbox and the daemon");
    let sb = sandbox(20, 20, STANDARD).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(&sb, dir.path());
    let port = free_port();
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "listen = \"127.0.0.1:0\"",
        &format!(
            "listen = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}/webhooks/shopify\""
        ),
    );
    std::fs::write(&config, text).unwrap();
    let log = dir.path().join("daemon.log");
    let mut daemon = spawn_daemon(&config, &log);
    let pid = daemon.id().to_string();
    let http = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/healthz");
    let queue_depth = async |http: &reqwest::Client| -> u64 {
        let Ok(r) = http.get(&health).send().await else {
            return 0;
        };
        let v: Value =
            serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or_default();
        ["pending", "running"]
            .iter()
            .map(|k| v["jobs"][k].as_u64().unwrap_or(0))
            .sum()
    };
    let catalog: Vec<CatalogEntry> = sb
        .flow()
        .catalog_items()
        .into_iter()
        .map(|i| CatalogEntry {
            sku: i.sku,
            title: i.title,
            price: i.price,
        })
        .collect();

    let mut created: HashMap<String, Instant> = HashMap::new(); // order GID → created
    let mut by_number: HashMap<String, Instant> = HashMap::new(); // "1021" → created
    let mut seen: HashMap<String, f64> = HashMap::new(); // receipt number → latency (s)
    let mut window_latencies: Vec<f64> = Vec::new();
    let mut samples: Vec<Sample> = Vec::new();
    let mut next_order = Instant::now();
    let mut next_poll = Instant::now();
    let mut next_sample = Instant::now() + window;
    let soak_start = Instant::now();
    let end = soak_start + Duration::from_secs(secs);
    let mut seed = 10_000;
    progress(
        started,
        &format!("soak: one order every {every:?} for {secs} s; a row every {window:?}"),
    );
    while Instant::now() < end {
        let now = Instant::now();
        if now >= next_order {
            seed += 1;
            for gid in sb.shopify().generate_orders(1, &catalog, 0.0, 0.0, seed) {
                created.insert(gid, Instant::now());
            }
            next_order += every;
        }
        if now >= next_poll {
            let dump = sb.dump();
            for o in dump["shopify"]["orders"].as_array().into_iter().flatten() {
                let (Some(id), Some(name)) = (o["id"].as_str(), o["name"].as_str()) else {
                    continue;
                };
                if let Some(at) = created.remove(id) {
                    by_number.insert(name.trim_start_matches('#').to_owned(), at);
                }
            }
            for r in dump["eta"]["receipts"].as_array().into_iter().flatten() {
                if r["status"] != "Valid" {
                    continue;
                }
                let Some(number) = r["receipt_number"].as_str() else {
                    continue;
                };
                if seen.contains_key(number) {
                    continue;
                }
                if let Some(at) = by_number.get(number) {
                    let latency = at.elapsed().as_secs_f64();
                    seen.insert(number.to_owned(), latency);
                    window_latencies.push(latency);
                }
            }
            next_poll += Duration::from_secs(1);
        }
        if now >= next_sample {
            window_latencies.sort_by(f64::total_cmp);
            let sample = Sample {
                at_s: soak_start.elapsed().as_secs_f64(),
                orders: by_number.len() + created.len(),
                receipts: seen.len(),
                queue: queue_depth(&http).await,
                rss_mib: proc_status_kib(&pid, "VmRSS:") as f64 / 1024.0,
                p50: percentile(&window_latencies, 50.0),
                p99: percentile(&window_latencies, 99.0),
                in_window: window_latencies.len(),
            };
            progress(
                started,
                &format!(
                    "t={:.0}s orders {} receipts {} queue {} RSS {:.1} MiB latency p50 {:.1}s p99 {:.1}s ({} receipts)",
                    sample.at_s,
                    sample.orders,
                    sample.receipts,
                    sample.queue,
                    sample.rss_mib,
                    sample.p50,
                    sample.p99,
                    sample.in_window
                ),
            );
            samples.push(sample);
            window_latencies.clear();
            next_sample += window;
        }
        if let Ok(Some(status)) = daemon.try_wait() {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the daemon stopped ({status}):\n{tail}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let peak = proc_status_kib(&pid, "VmHWM:") as f64 / 1024.0;
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let stopped = tokio::task::spawn_blocking(move || daemon.wait())
        .await
        .unwrap();
    let mut all: Vec<f64> = seen.values().copied().collect();
    all.sort_by(f64::total_cmp);
    let missing = by_number.keys().filter(|n| !seen.contains_key(*n)).count();
    println!(
        "| t (s) | orders created | receipts accepted | jobs queued | daemon RSS (MiB) | latency p50 (s) | latency p99 (s) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for s in &samples {
        println!(
            "| {:.0} | {} | {} | {} | {:.1} | {:.1} | {:.1} |",
            s.at_s, s.orders, s.receipts, s.queue, s.rss_mib, s.p50, s.p99
        );
    }
    println!(
        "\nwhole run: {} orders, {} receipts accepted, {missing} without a receipt at the end; latency p50 {:.1} s, p99 {:.1} s; daemon peak RSS {peak:.1} MiB; stopped by SIGTERM: {:?}",
        by_number.len() + created.len(),
        seen.len(),
        percentile(&all, 50.0),
        percentile(&all, 99.0),
        stopped.map(|s| s.to_string())
    );
    let stats = sb.stats();
    let (_, cost, throttled) = shopify_counters(&stats);
    println!(
        "Shopify: {cost} cost points spent over the run ({:.1} points/s against the restore rate of {}), {throttled} THROTTLED; by operation: {}",
        cost as f64 / soak_start.elapsed().as_secs_f64(),
        STANDARD.1,
        stats["shopify"]["cost_by_operation"]
    );
    sb.shutdown().await;
}
