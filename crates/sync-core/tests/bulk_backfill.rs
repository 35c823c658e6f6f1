//! A backfill through a storefront export: more orders to read than the bulk threshold are
//! read from one export (the memory connector's default, paged), imported by the same
//! exactly-once jobs as the incremental read, and the read goes on incrementally from the
//! export's start; an export interrupted half-way is resumed, not duplicated, and without a
//! follow-up read of the orders imported before it broke off.

mod common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use common::*;
use sync_core::connector::{PAGED_EXPORT, StorefrontOrders};
use sync_core::engine::{Connectors, Engine, Flow};
use sync_core::model::{Order, StoreScope};

const ORDERS: u32 = 120;

fn bulk_engine(
    world: &World,
    orders: Arc<dyn StorefrontOrders>,
    store: Arc<dyn sync_core::store::StateStore>,
) -> Engine {
    let connectors = Connectors {
        erp_catalog: world.erp.clone(),
        erp_sales: world.erp.clone(),
        storefront_catalog: world.shop.clone(),
        storefront_orders: orders,
        tax: world.tax.clone(),
    };
    let mut config = config("w1");
    config.bulk_threshold = Some(100);
    config.receipts_enabled = false;
    Engine::new(connectors, store, config)
}

fn seeded_world() -> (World, Vec<Order>) {
    let world = world();
    let orders: Vec<Order> = (1..=ORDERS).map(|n| order(n, "A-RED", 1, 100)).collect();
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    (world, orders)
}

#[tokio::test]
async fn a_backfill_over_the_threshold_reads_one_export_then_goes_on_incrementally() {
    let (world, orders) = seeded_world();
    let store = sqlite().await;
    let exporting = Arc::new(TestShop::new(world.shop.clone()));
    let engine = bulk_engine(&world, exporting.clone(), store.clone());
    engine
        .run_flows(&[Flow::Catalog, Flow::Orders])
        .await
        .unwrap();
    assert_eq!(
        exporting.order_exports.load(Ordering::SeqCst),
        1,
        "one export"
    );
    assert_each_order_once(&world, &orders);
    assert_eq!(
        world.shop.calls().order_reads,
        0,
        "the export brought the orders whole: none read one by one"
    );
    let progress = engine.backfill_progress().expect("progress");
    assert_eq!(
        (progress.read, progress.expected, progress.finished),
        (u64::from(ORDERS), Some(u64::from(ORDERS)), true)
    );
    let scope = StoreScope::new("shop-1");
    assert_eq!(
        store
            .checkpoint(&scope, "orders:export")
            .await
            .unwrap()
            .as_deref(),
        Some(""),
        "the export is no longer recorded once read"
    );
    let checkpoint = store
        .checkpoint(&scope, "orders")
        .await
        .unwrap()
        .expect("checkpoint");
    let checkpoint = DateTime::parse_from_rfc3339(&checkpoint).unwrap();
    assert!(
        checkpoint.with_timezone(&Utc) > orders[0].updated_at,
        "{checkpoint}"
    );

    // A new order: read incrementally (no second export), imported once; nothing twice.
    let mut late = order(ORDERS + 1, "A-RED", 1, 100);
    late.updated_at = Utc::now();
    world.shop.put_order(late.clone());
    engine.run_flows(&[Flow::Orders]).await.unwrap();
    assert_eq!(
        exporting.order_exports.load(Ordering::SeqCst),
        1,
        "still one export"
    );
    let mut all = orders.clone();
    all.push(late);
    assert_each_order_once(&world, &all);
    assert_eq!(world.erp.documents().len(), all.len());
}

#[tokio::test]
async fn an_export_broken_off_half_way_is_resumed_without_duplicates() {
    let (world, orders) = seeded_world();
    let store = sqlite().await;
    let exporting = Arc::new(TestShop::new(world.shop.clone()).broken_off_after(70));
    let engine = bulk_engine(&world, exporting.clone(), store.clone());
    engine.run_flows(&[Flow::Catalog]).await.unwrap();
    let first = engine.run_flows(&[Flow::Orders]).await;
    assert!(
        first.is_err(),
        "the broken export fails the pass: {first:?}"
    );
    let scope = StoreScope::new("shop-1");
    let recorded = store.checkpoint(&scope, "orders:export").await.unwrap();
    assert!(
        recorded
            .as_deref()
            .is_some_and(|r| r.contains(PAGED_EXPORT)),
        "the export stays recorded: {recorded:?}"
    );
    // A new process (a restart) resumes the recorded export instead of starting another.
    *exporting.fail_after.lock().unwrap() = None;
    let engine = bulk_engine(&world, exporting.clone(), store.clone());
    engine.run_flows(&[Flow::Orders]).await.unwrap();
    assert_eq!(
        exporting.order_exports.load(Ordering::SeqCst),
        1,
        "resumed, not restarted"
    );
    assert_each_order_once(&world, &orders);
    assert_eq!(world.erp.documents().len(), orders.len());
    assert_eq!(
        exporting.completions.load(Ordering::SeqCst),
        u64::from(ORDERS),
        "each order completed once: none of those imported before the break again"
    );
}

#[tokio::test]
async fn under_the_threshold_the_incremental_read_is_kept() {
    let (world, orders) = seeded_world();
    let exporting = Arc::new(TestShop::new(world.shop.clone()));
    let connectors = Connectors {
        erp_catalog: world.erp.clone(),
        erp_sales: world.erp.clone(),
        storefront_catalog: world.shop.clone(),
        storefront_orders: exporting.clone(),
        tax: world.tax.clone(),
    };
    let mut config = config("w1");
    config.bulk_threshold = Some(u64::from(ORDERS));
    config.receipts_enabled = false;
    let engine = Engine::new(connectors, sqlite().await, config);
    engine
        .run_flows(&[Flow::Catalog, Flow::Orders])
        .await
        .unwrap();
    assert_eq!(exporting.order_exports.load(Ordering::SeqCst), 0);
    assert_eq!(world.shop.calls().order_reads, u64::from(ORDERS));
    assert_each_order_once(&world, &orders);
}

/// The value of `name{flow="orders"}` in a Prometheus text rendering.
fn orders_metric(text: &str, name: &str) -> Option<u64> {
    let prefix = format!("{name}{{flow=\"orders\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn a_backfill_reports_the_orders_read_and_expected_in_metrics() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let (world, orders) = seeded_world();
    // A current-thread runtime inside the local recorder's scope: the pass runs on this
    // thread, so the counters land in this test's recorder only.
    metrics::with_local_recorder(&recorder, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let engine = bulk_engine(&world, world.shop.clone(), sqlite().await);
                engine
                    .run_flows(&[Flow::Catalog, Flow::Orders])
                    .await
                    .unwrap();
            });
    });
    let text = handle.render();
    assert_eq!(
        orders_metric(&text, "sync_backfill_items_total"),
        Some(u64::from(ORDERS)),
        "{text}"
    );
    assert_eq!(
        orders_metric(&text, "sync_backfill_expected"),
        Some(u64::from(ORDERS)),
        "{text}"
    );
    assert_each_order_once(&world, &orders);
}

/// Without a terminal, the progress is logged: a line every `progress_every` while reading
/// and one at the end, with the counts.
#[test]
fn a_backfill_logs_its_progress_with_the_counts() {
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let (world, _orders) = seeded_world();
    tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let connectors = Connectors {
                    erp_catalog: world.erp.clone(),
                    erp_sales: world.erp.clone(),
                    storefront_catalog: world.shop.clone(),
                    storefront_orders: world.shop.clone(),
                    tax: world.tax.clone(),
                };
                let mut config = config("w1");
                config.bulk_threshold = Some(100);
                config.receipts_enabled = false;
                config.progress_every = std::time::Duration::ZERO;
                let engine = Engine::new(connectors, sqlite().await, config);
                engine
                    .run_flows(&[Flow::Catalog, Flow::Orders])
                    .await
                    .unwrap();
            });
    });
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("backfill progress: 50 of 120 orders read"),
        "{text}"
    );
    assert!(
        text.contains("backfill read: 120 of 120 orders read"),
        "{text}"
    );
}

/// The receipts of a backfill are issued while its orders import: each order's receipt is
/// queued on the device's one chain as the order lands, and the lease gives that deep queue
/// its turn beside the import jobs queued before it, instead of leaving every receipt for
/// after the last import (one device's chain, one receipt at a time, is the longest path).
#[tokio::test]
async fn a_backfills_receipts_are_issued_while_its_orders_import() {
    let (world, orders) = seeded_world();
    let store = Arc::new(sync_core::store::SqliteStore::in_memory().await.unwrap());
    let mut config = config("w1");
    config.bulk_threshold = Some(100);
    let engine = configured_engine(&world, store.clone(), config);
    engine
        .run_flows(&[Flow::Catalog, Flow::Orders])
        .await
        .unwrap();
    assert_each_order_once(&world, &orders);
    let finished = |kind: &'static str, pick: &'static str| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_scalar::<_, Option<i64>>(sqlx::AssertSqlSafe(format!(
                "SELECT {pick}(updated_at) FROM sync_jobs WHERE kind = ? AND state = 'done'"
            )))
            .bind(kind)
            .fetch_one(&pool)
            .await
            .unwrap()
            .expect("jobs of that kind finished")
        }
    };
    let first_receipt = finished("issue_receipt", "MIN").await;
    let last_import = finished("import_order", "MAX").await;
    assert!(
        first_receipt < last_import,
        "the first receipt was issued after the last order imported \
         ({first_receipt} >= {last_import} µs)"
    );
    assert_eq!(
        world.tax.received().len(),
        orders.len(),
        "one receipt per order"
    );
}
