//! Scenario benchmarks: the whole integration against the sandbox on loopback, at the Shopify
//! Standard plan's limits (bucket 2,000 points, restore 100 points/s).
//!
//! Run: `cargo bench -p benches --bench scenarios` (sizes through `SCENARIO_GROUPS`,
//! `SCENARIO_ORDERS`, `SCENARIO_BASELINE_LEVELS`). Prints one table; `docs/performance.md`
//! records the results.
#![allow(missing_docs)]

use std::time::Instant;

use rust_decimal::Decimal;
use sandbox::{FaultRates, RunningSandbox, Sandbox, SandboxConfig};
use serde_json::Value;
use sync_core::engine::Flow;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn shopify(stats: &Value) -> (u64, u64, u64) {
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

async fn sandbox(groups: usize, orders: usize) -> RunningSandbox {
    let mut config = SandboxConfig {
        seed: 3,
        catalog_groups: groups,
        orders,
        faults: FaultRates::none(),
        ..SandboxConfig::default()
    };
    config.eta.max_receipt_age = None;
    Sandbox::start(config).await.expect("sandbox")
}

/// Prints a line on stderr at once, with the time since the bench started, so a long scenario
/// shows where it is.
fn progress(started: Instant, what: &str) {
    eprintln!("[{:>7.1}s] {what}", started.elapsed().as_secs_f64());
}

struct Row {
    scenario: String,
    wall_s: f64,
    requests: u64,
    cost: u64,
    throttled: u64,
    note: String,
}

/// The scenarios measure catalog, stock and order traffic; images are left out (their cost is
/// one staged upload and one media call per new picture, not what these targets are about).
const NO_IMAGES: sandbox::sync_config::Options = sandbox::sync_config::Options { images: false };

async fn engine_for(
    sb: &RunningSandbox,
    dir: &std::path::Path,
) -> std::sync::Arc<sync_core::engine::Engine> {
    let path = sandbox::sync_config::write_with(sb, dir, NO_IMAGES).expect("config");
    flow_shopify_sync::demo::engine_for(&path)
        .await
        .expect("engine")
        .1
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let groups = env("SCENARIO_GROUPS", 200);
    let orders = env("SCENARIO_ORDERS", 300);
    let baseline_levels = env("SCENARIO_BASELINE_LEVELS", 150);
    let mut rows: Vec<Row> = Vec::new();
    let started = Instant::now();
    let report = |rows: &mut Vec<Row>, row: Row| {
        progress(
            started,
            &format!(
                "done: {} in {:.1} s, {} requests, {} points, {} throttled; {}",
                row.scenario, row.wall_s, row.requests, row.cost, row.throttled, row.note
            ),
        );
        rows.push(row);
    };
    progress(started, &format!("catalog: seeding {groups} item groups"));

    // 1. Catalog delta: push everything, change 1 % of the items, push again.
    let sb = sandbox(groups, 0).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_for(&sb, dir.path()).await;
    let flows = [Flow::Catalog, Flow::Prices];
    let (r0, c0, t0) = shopify(&sb.stats());
    progress(started, "catalog: first push");
    let start = Instant::now();
    let first = engine.run_flows(&flows).await.expect("first push");
    let (r1, c1, t1) = shopify(&sb.stats());
    report(
        &mut rows,
        Row {
            scenario: format!("catalog: first push of {groups} groups"),
            wall_s: start.elapsed().as_secs_f64(),
            requests: r1 - r0,
            cost: c1 - c0,
            throttled: t1 - t0,
            note: format!("{} products written", first.products_pushed),
        },
    );
    let items = sb.flow().catalog_items();
    let changed = (items.len() / 100).max(1);
    for item in items.iter().take(changed) {
        sb.flow()
            .set_item(&item.sku, None, Some(item.price + Decimal::ONE))
            .expect("price change");
    }
    progress(
        started,
        &format!("catalog: re-run with {changed} items repriced"),
    );
    let start = Instant::now();
    let second = engine.run_flows(&flows).await.expect("second push");
    let (r2, c2, t2) = shopify(&sb.stats());
    report(
        &mut rows,
        Row {
            scenario: format!(
                "catalog: re-run with {changed} of {} items repriced",
                items.len()
            ),
            wall_s: start.elapsed().as_secs_f64(),
            requests: r2 - r1,
            cost: c2 - c1,
            throttled: t2 - t1,
            note: format!(
                "{} products written, {} prices set, {} unchanged",
                second.products_pushed, second.prices_set, second.products_unchanged
            ),
        },
    );

    // 2. Stock re-upload of every level, then the per-item baseline on a sample.
    progress(started, "stock: re-upload of every level");
    let start = Instant::now();
    let reupload = engine.reupload_stock().await.expect("reupload");
    let wall = start.elapsed().as_secs_f64();
    let (r3, c3, t3) = shopify(&sb.stats());
    let efficiency = (c3 - c2) as f64 / wall / 100.0;
    report(
        &mut rows,
        Row {
            scenario: format!(
                "stock: re-upload {} levels in chunks of 250",
                reupload.inventory_levels_set
            ),
            wall_s: wall,
            requests: r3 - r2,
            cost: c3 - c2,
            throttled: t3 - t2,
            note: format!(
                "efficiency {efficiency:.2} (cost/s ÷ restore rate); {:.0} levels/s",
                reupload.inventory_levels_set as f64 / wall
            ),
        },
    );
    let config = sandbox::sync_config::write_with(&sb, dir.path(), NO_IMAGES).unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    let base_url = text
        .lines()
        .find_map(|l| l.strip_prefix("base_url = "))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let client = shopify_client::ShopifyClient::builder(
        sb.config().shopify.shop_domain.clone(),
        shopify_client::Auth::access_token(sb.config().shopify.access_token.clone()),
    )
    .base_url(base_url)
    .build()
    .unwrap();
    let levels = engine
        .store()
        .bindings(&engine.config().scope, "stock")
        .await
        .unwrap();
    progress(
        started,
        &format!("stock baseline: one call per level for {baseline_levels} levels"),
    );
    let start = Instant::now();
    let mut done = 0;
    for (i, level) in levels.iter().take(baseline_levels).enumerate() {
        let Some((sku, location)) = level.key.split_once('@') else {
            continue;
        };
        let _ = sku;
        let batch = shopify_client::ops::inventory::SetQuantities {
            name: shopify_client::ops::inventory::QuantityName::Available,
            reason: "correction".to_owned(),
            reference_document_uri: None,
            changes: vec![shopify_client::ops::inventory::QuantityChange {
                inventory_item_id: level.remote_id.clone(),
                location_id: location.to_owned(),
                quantity: level
                    .content_hash
                    .as_deref()
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(0),
                change_from: None,
            }],
            idempotency_key: format!("baseline-{i}"),
        };
        if client.set_inventory_quantities(&batch).await.is_ok() {
            done += 1;
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let (r4, c4, t4) = shopify(&sb.stats());
    report(
        &mut rows,
        Row {
            scenario: format!("stock baseline: one call per level, {done} levels"),
            wall_s: wall,
            requests: r4 - r3,
            cost: c4 - c3,
            throttled: t4 - t3,
            note: format!("{:.1} levels/s", done as f64 / wall),
        },
    );
    sb.shutdown().await;

    // 3. Orders end to end (Shopify → Flow → ETA), receipts in 500-receipt batches.
    progress(started, &format!("orders: seeding {orders} orders"));
    let sb = sandbox(20, orders).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_for(&sb, dir.path()).await;
    progress(started, "orders: pushing the 20-group catalog they sell");
    engine.run_flows(&[Flow::Catalog]).await.unwrap();
    progress(started, "orders: customers, orders and receipts");
    let (r5, c5, t5) = shopify(&sb.stats());
    let start = Instant::now();
    let summary = engine
        .run_flows(&[Flow::Customers, Flow::Orders, Flow::Receipts])
        .await
        .unwrap();
    let wall = start.elapsed().as_secs_f64();
    let (r6, c6, t6) = shopify(&sb.stats());
    report(
        &mut rows,
        Row {
            scenario: format!("orders end to end: {orders} orders"),
            wall_s: wall,
            requests: r6 - r5,
            cost: c6 - c5,
            throttled: t6 - t5,
            note: format!(
                "{:.1} orders/s; {} imported, {} receipts accepted; peak RSS {} MiB",
                summary.orders_imported as f64 / wall,
                summary.orders_imported,
                summary.receipts_accepted,
                peak_rss_kib() / 1024
            ),
        },
    );
    sb.shutdown().await;

    println!("| scenario | wall (s) | Shopify requests | cost points | THROTTLED | notes |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.1} | {} | {} | {} | {} |",
            r.scenario, r.wall_s, r.requests, r.cost, r.throttled, r.note
        );
    }
}
