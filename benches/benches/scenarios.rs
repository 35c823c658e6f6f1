//! Scenario benchmarks: the whole integration against the sandbox on loopback.
//!
//! Run: `cargo bench -p benches --bench scenarios`. Which scenarios: `SCENARIOS`
//! (`catalog,orders` by default; `catalog` includes the stock re-upload, which needs the pushed
//! catalog). Sizes: `SCENARIO_GROUPS` (item groups, default 200), `SCENARIO_BASELINE_LEVELS`
//! (levels written one call each for the per-item baseline, default 150), `SCENARIO_ORDERS`
//! (order counts, default `2000,20000`), `SCENARIO_ORDERS_PLAN` (`unthrottled`, the default, to
//! measure the engine itself, or `standard`). Catalog and stock run at the Shopify Standard
//! plan's limits (bucket 1,000 points, restore 100 points/s); `SCENARIO_BUCKET` and
//! `SCENARIO_RESTORE` change them for the orders. At the Standard plan the orders are read
//! through the bulk backfill: the bench writes `engine.bulk_threshold = 1000`
//! (`SCENARIO_BULK_THRESHOLD` sets another, in any plan; 0 reads page by page). The state
//! store is SQLite, or with `SCENARIO_ORDERS_STORE=postgres` a throwaway PostgreSQL server
//! started from the machine's binaries, where `SCENARIO_WORKERS` (a list, default `1`) runs
//! that many engines side by side, each in its own process, on one fresh database per run.
//! The orders scenario runs the engine in a child process, so that its peak memory is measured
//! without the stand-ins'. Progress goes to stderr as it happens; the table is printed on stdout
//! at the end; `docs/performance.md` records the results.
#![allow(missing_docs)]

mod common;

use std::path::Path;
use std::time::Instant;
use tracing::Instrument;

use common::*;
use rust_decimal::Decimal;
use serde_json::json;
use sync_core::engine::Flow;

struct Row {
    scenario: String,
    wall_s: f64,
    requests: u64,
    cost: u64,
    throttled: u64,
    note: String,
}

/// The orders scenario's child: the engine alone, on the configuration the parent wrote.
async fn orders_child(config: &Path) {
    let engine = engine_for(config).await;
    let rss_start = peak_rss_kib();
    // The peak of the anonymous part (heap, stacks) of the resident set, sampled.
    let peak_anon = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let peak_anon = peak_anon.clone();
        tokio::spawn(async move {
            loop {
                peak_anon.fetch_max(
                    proc_status_kib("self", "RssAnon:"),
                    std::sync::atomic::Ordering::Relaxed,
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
    };
    let start = Instant::now();
    // A pass that fails is run again at once, as `run` would on its next pass, and the count
    // is reported: the bulk result's download fails when reading it (deciding the orders as
    // it streams) outlasts the transport's 60 s per-request timeout, after which the next
    // pass resumes the recorded bulk query and skips the orders already read; and with two
    // workers, a source read answered `THROTTLED` fails the pass.
    let mut failed_passes = 0_u64;
    let mut pass = async |flows: &[Flow]| loop {
        match engine.run_flows(flows).await {
            Ok(summary) => break summary,
            Err(e) if failed_passes < 100 => {
                failed_passes += 1;
                eprintln!("a pass of {flows:?} failed, running it again: {e}: {e:?}");
            }
            Err(e) => panic!("{flows:?}: {e}"),
        }
    };
    let imported = pass(&[Flow::Customers, Flow::Orders]).await;
    let import_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let receipts = pass(&[Flow::Receipts]).await;
    let receipts_s = start.elapsed().as_secs_f64();
    sampler.abort();
    println!(
        "{}",
        json!({
            "orders_imported": imported.orders_imported,
            "customers_imported": imported.customers_imported,
            "returns_imported": imported.returns_imported,
            "import_s": import_s,
            "receipts_accepted": imported.receipts_accepted + receipts.receipts_accepted,
            "receipts_rejected": imported.receipts_rejected + receipts.receipts_rejected,
            "receipts_in_import": imported.receipts_accepted,
            "receipts_s": receipts_s,
            "dead_letters": imported.dead_letters + receipts.dead_letters,
            "failed_passes": failed_passes,
            "peak_rss_kib": peak_rss_kib(),
            "rss_at_start_kib": rss_start,
            // What the resident set is made of at the end: heap and other anonymous memory,
            // and pages of mapped files (the binary's code, SQLite's shared-memory index).
            "rss_anon_kib": proc_status_kib("self", "RssAnon:"),
            "peak_anon_kib": peak_anon.load(std::sync::atomic::Ordering::Relaxed),
            "rss_file_kib": proc_status_kib("self", "RssFile:") + proc_status_kib("self", "RssShmem:"),
        })
    );
}

fn main() {
    // As `flow-shopify-sync` does before anything else, for the engine measured in the child.
    flow_shopify_sync::memory::keep_large_blocks_returnable();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the async runtime")
        .block_on(bench_main());
}

async fn bench_main() {
    if let Some((role, config)) = child_role() {
        match role.as_str() {
            // `SCENARIO_CHILD_LOG=sync_core=debug` (any log filter) logs the engine on
            // stderr, each line with its time and the worker's process id, to see where a
            // worker spends its time.
            "orders" => {
                if let Ok(filter) = std::env::var("SCENARIO_CHILD_LOG") {
                    let _ = tracing_subscriber::fmt()
                        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                        .with_writer(std::io::stderr)
                        .with_ansi(false)
                        .try_init();
                }
                let worker = tracing::info_span!("worker", pid = std::process::id());
                orders_child(&config).instrument(worker).await;
            }
            other => panic!("unknown SCENARIO_ROLE {other}"),
        }
        return;
    }
    let which = std::env::var("SCENARIOS").unwrap_or_else(|_| "catalog,orders".into());
    let groups = env("SCENARIO_GROUPS", 200);
    let baseline_levels = env("SCENARIO_BASELINE_LEVELS", 150);
    let order_counts = env_list("SCENARIO_ORDERS", &[2_000, 20_000]);
    let unthrottled = std::env::var("SCENARIO_ORDERS_PLAN").as_deref() != Ok("standard");
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
    if which.contains("catalog") {
        catalog_and_stock(groups, baseline_levels, started, &mut |row| {
            report(&mut rows, row);
        })
        .await;
    }
    if which.contains("orders") {
        // At the Standard plan the orders are read through one bulk query, as a backfill of a
        // store's history would be: the threshold (default 1,000) must be below the count.
        let bulk_threshold = std::env::var("SCENARIO_BULK_THRESHOLD")
            .ok()
            .and_then(|v| v.replace('_', "").parse().ok())
            .or((!unthrottled).then_some(1_000));
        let postgres = match std::env::var("SCENARIO_ORDERS_STORE").as_deref() {
            Ok("postgres") => Some(
                sync_core::testing::TempPostgres::start()
                    .expect("PostgreSQL binaries are needed: scripts/ensure-system-deps"),
            ),
            Ok("sqlite") | Err(_) => None,
            Ok(other) => panic!("SCENARIO_ORDERS_STORE: sqlite or postgres, not {other:?}"),
        };
        let worker_counts = env_list("SCENARIO_WORKERS", &[1]);
        let setup = OrdersSetup {
            unthrottled,
            bulk_threshold,
            postgres,
        };
        for n in order_counts {
            for &workers in &worker_counts {
                orders(n, workers, &setup, started, &mut |row| {
                    report(&mut rows, row)
                })
                .await;
            }
        }
    }
    println!("| scenario | wall (s) | Shopify requests | cost points | THROTTLED | notes |");
    println!("|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {:.1} | {} | {} | {} | {} |",
            r.scenario, r.wall_s, r.requests, r.cost, r.throttled, r.note
        );
    }
}

/// Scenarios 2 and 3: catalog delta, then the stock re-upload and the per-item baseline.
async fn catalog_and_stock(
    groups: usize,
    baseline_levels: usize,
    started: Instant,
    report: &mut impl FnMut(Row),
) {
    progress(started, &format!("catalog: seeding {groups} item groups"));
    let sb = sandbox(groups, 0, STANDARD).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(&sb, dir.path());
    let engine = engine_for(&config).await;
    // Catalog delta: push everything, change 1 % of the items, push again.
    let flows = [Flow::Catalog, Flow::Prices];
    let (r0, c0, t0) = shopify_counters(&sb.stats());
    progress(started, "catalog: first push");
    let start = Instant::now();
    let first = engine.run_flows(&flows).await.expect("first push");
    let (r1, c1, t1) = shopify_counters(&sb.stats());
    report(Row {
        scenario: format!("catalog: first push of {groups} groups"),
        wall_s: start.elapsed().as_secs_f64(),
        requests: r1 - r0,
        cost: c1 - c0,
        throttled: t1 - t0,
        note: format!("{} products written", first.products_pushed),
    });
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
    let (r2, c2, t2) = shopify_counters(&sb.stats());
    report(Row {
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
    });

    // Stock re-upload of every level (the first one activates each level at its location;
    // the second is the steady state), then the per-item baseline on a sample.
    progress(
        started,
        "stock: first re-upload (levels activated as needed)",
    );
    report(reupload_row(&engine, &sb, "first, with activations").await);
    progress(started, "stock: second re-upload (levels already stocked)");
    report(reupload_row(&engine, &sb, "second").await);
    let (r3, c3, t3) = shopify_counters(&sb.stats());
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
                inventory_item_id: level.remote_id.parse().expect("an inventory item gid"),
                location_id: location.parse().expect("a location gid"),
                quantity: level
                    .content_hash
                    .as_deref()
                    .and_then(|q| q.parse().ok())
                    .unwrap_or(0),
                change_from: None,
            }],
            idempotency_key: sync_core::id::IdempotencyKey::new(format!("baseline-{i}"))
                .expect("a key of the documented form"),
            activate: false,
        };
        if client.set_inventory_quantities(&batch).await.is_ok() {
            done += 1;
        }
    }
    let wall = start.elapsed().as_secs_f64();
    let (r4, c4, t4) = shopify_counters(&sb.stats());
    report(Row {
        scenario: format!("stock baseline: one call per level, {done} levels"),
        wall_s: wall,
        requests: r4 - r3,
        cost: c4 - c3,
        throttled: t4 - t3,
        note: format!("{:.1} levels/s", done as f64 / wall),
    });
    sb.shutdown().await;
}

/// Re-uploads every stock level and measures it against the sandbox's counters.
async fn reupload_row(
    engine: &sync_core::engine::Engine,
    sb: &sandbox::RunningSandbox,
    which: &str,
) -> Row {
    let (r0, c0, t0) = shopify_counters(&sb.stats());
    let start = Instant::now();
    let reupload = engine.reupload_stock().await.expect("reupload");
    let wall = start.elapsed().as_secs_f64();
    let stats = sb.stats();
    let (r1, c1, t1) = shopify_counters(&stats);
    let efficiency = (c1 - c0) as f64 / wall / STANDARD.1;
    let mut note = format!(
        "efficiency {efficiency:.2} (cost/s ÷ restore rate); {:.0} levels/s",
        reupload.inventory_levels_set as f64 / wall
    );
    if t1 > t0 {
        note.push_str(&format!(
            "; THROTTLED so far, by operation: {}",
            stats["shopify"]["throttled_by_operation"]
        ));
    }
    Row {
        scenario: format!(
            "stock: {which} re-upload of {} levels in chunks of 250",
            reupload.inventory_levels_set
        ),
        wall_s: wall,
        requests: r1 - r0,
        cost: c1 - c0,
        throttled: t1 - t0,
        note,
    }
}

/// How the orders scenario runs: the plan, the state store, the workers, the bulk threshold.
struct OrdersSetup {
    /// Shopify without a cost limit (`SCENARIO_ORDERS_PLAN` unset) or at the Standard plan.
    unthrottled: bool,
    /// `engine.bulk_threshold` written into the configuration, if any.
    bulk_threshold: Option<u64>,
    /// A throwaway PostgreSQL server (`SCENARIO_ORDERS_STORE=postgres`), or SQLite.
    postgres: Option<sync_core::testing::TempPostgres>,
}

/// Scenarios 4 and 5: `n` orders end to end (Shopify → Flow → ETA, receipts in 500-receipt
/// batches), the engine in `workers` child processes (more than one only on PostgreSQL).
async fn orders(
    n: usize,
    workers: usize,
    setup: &OrdersSetup,
    started: Instant,
    report: &mut impl FnMut(Row),
) {
    progress(started, &format!("orders: seeding {n} orders"));
    // `SCENARIO_BUCKET` and `SCENARIO_RESTORE` change the Standard plan's bucket (default
    // 1,000 points) and restore rate (default 100 points/s), e.g. to take Shopify's limit
    // out of the way of a comparison of workers.
    let limits = if setup.unthrottled {
        (1.0e12, 1.0e12)
    } else {
        (
            env("SCENARIO_BUCKET", STANDARD.0 as usize) as f64,
            env("SCENARIO_RESTORE", STANDARD.1 as usize) as f64,
        )
    };
    let sb = sandbox(20, n, limits).await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(&sb, dir.path());
    if let Some(threshold) = setup.bulk_threshold {
        set_engine_option(&config, "bulk_threshold", &threshold.to_string());
    }
    let store = match &setup.postgres {
        Some(pg) => {
            static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let url = pg
                .create_database(&format!("bench_orders_{run}"))
                .expect("a database for this run");
            set_store_url(&config, &url);
            "PostgreSQL"
        }
        None => {
            assert_eq!(
                workers, 1,
                "several workers need SCENARIO_ORDERS_STORE=postgres"
            );
            "SQLite"
        }
    };
    progress(started, "orders: pushing the 20-group catalog they sell");
    engine_for(&config)
        .await
        .run_flows(&[Flow::Catalog])
        .await
        .expect("catalog push");
    progress(
        started,
        &format!("orders: {workers} engine(s) in child processes import {n} orders, then receipts"),
    );
    let before = sb.stats();
    let (r0, c0, t0) = shopify_counters(&before);
    let start = Instant::now();
    let children: Vec<_> = (0..workers)
        .map(|_| {
            let config = config.clone();
            tokio::task::spawn_blocking(move || run_child("orders", &config, &[]))
        })
        .collect();
    let mut outs = Vec::new();
    for child in children {
        outs.push(child.await.unwrap());
    }
    let children_wall = start.elapsed().as_secs_f64();
    let after = sb.stats();
    let (r1, c1, t1) = shopify_counters(&after);
    let sum = |k: &str| {
        outs.iter()
            .map(|o| o[k].as_f64().unwrap_or(0.0))
            .sum::<f64>()
    };
    let max = |k: &str| {
        outs.iter()
            .map(|o| o[k].as_f64().unwrap_or(0.0))
            .fold(0.0, f64::max)
    };
    // What landed, counted by the stand-ins: the workers' own summaries leave out the jobs a
    // failed pass ran before it failed.
    let landed = |path: [&str; 2]| {
        after[path[0]][path[1]].as_f64().unwrap_or(0.0)
            - before[path[0]][path[1]].as_f64().unwrap_or(0.0)
    };
    let imported = landed(["flow", "sales_documents"]);
    // With several workers, the import ends when the last one's does.
    let import_s = max("import_s");
    let calls = |stats: &serde_json::Value, op: &str| {
        stats["shopify"]["calls_by_operation"][op]
            .as_u64()
            .unwrap_or(0)
    };
    let bulk_queries =
        calls(&after, "BulkOperationRunQuery") - calls(&before, "BulkOperationRunQuery");
    let by_operation = |key: &str| -> String {
        let (b, a) = (&before["shopify"][key], &after["shopify"][key]);
        let mut parts: Vec<String> = a
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(op, v)| {
                let d = v.as_u64().unwrap_or(0) - b[op].as_u64().unwrap_or(0);
                (d > 0).then(|| format!("{op} {d}"))
            })
            .collect();
        parts.sort();
        parts.join(", ")
    };
    progress(
        started,
        &format!(
            "orders: Shopify calls by operation: {}; points by operation: {}; THROTTLED by operation (whole run): {}",
            by_operation("calls_by_operation"),
            by_operation("cost_by_operation"),
            after["shopify"]["throttled_by_operation"]
        ),
    );
    let plan = if setup.unthrottled {
        "no Shopify limit".to_owned()
    } else {
        format!("Standard plan: bucket {}, restore {}/s", limits.0, limits.1)
    };
    let threshold = setup
        .bulk_threshold
        .map_or("default".to_owned(), |t| t.to_string());
    report(Row {
        scenario: format!(
            "orders: import {n} orders to Flow ({plan}; {store}, {workers} worker(s); bulk threshold {threshold})"
        ),
        wall_s: import_s,
        requests: r1 - r0,
        cost: c1 - c0,
        throttled: t1 - t0,
        note: format!(
            "{:.1} orders/s; {imported} sales documents, {} customers, {} returns in Flow (the workers' summaries: {} orders, {} returns); {bulk_queries} bulk queries; {:.1} points per order; {} failed passes run again; engine peak RSS {:.1} MiB (at start {:.1} MiB; anonymous memory at its peak {:.1} MiB; at the end {:.1} MiB anonymous, {:.1} MiB mapped files){}",
            imported / import_s.max(1e-9),
            landed(["flow", "contacts_added"]),
            landed(["flow", "returns"]),
            sum("orders_imported"),
            sum("returns_imported"),
            (c1 - c0) as f64 / imported.max(1.0),
            sum("failed_passes"),
            max("peak_rss_kib") / 1024.0,
            max("rss_at_start_kib") / 1024.0,
            max("peak_anon_kib") / 1024.0,
            max("rss_anon_kib") / 1024.0,
            max("rss_file_kib") / 1024.0,
            if workers > 1 {
                " (the largest of the workers)"
            } else {
                ""
            },
        ),
    });
    let wall = outs
        .iter()
        .map(|o| o["import_s"].as_f64().unwrap_or(0.0) + o["receipts_s"].as_f64().unwrap_or(0.0))
        .fold(0.0, f64::max);
    report(Row {
        scenario: format!(
            "receipts: issue and submit the receipts of {n} orders in batches of up to 500"
        ),
        wall_s: wall,
        requests: 0,
        cost: 0,
        throttled: 0,
        note: format!(
            "{:.0} receipts/s end to end; {} accepted by the ETA stand-in ({} in the workers' summaries, {} of them while importing, the rest in the final pass), {} rejected; {} dead letters in all; the child processes ran {children_wall:.1} s from spawn to exit",
            landed(["eta", "receipts_accepted"]) / wall.max(1e-9),
            landed(["eta", "receipts_accepted"]),
            sum("receipts_accepted"),
            sum("receipts_in_import"),
            sum("receipts_rejected"),
            sum("dead_letters"),
        ),
    });
    sb.shutdown().await;
}
