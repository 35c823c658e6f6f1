//! Workers that share a state store share the reading too: one reads each flow's source
//! under the flow's read lease while the others run jobs, so the storefront is read once,
//! not once per worker, and every order still lands once. A lease left by a worker that
//! died runs out, and another worker reads.
//!
//! On SQLite and on PostgreSQL.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use common::*;
use sync_core::engine::{Connectors, Engine, Flow, PassOutcome};
use sync_core::model::Order;
use sync_core::store::StateStore;

const ORDERS: u32 = 60;

/// A world with `ORDERS` orders and their customers, and its counting storefront.
fn shop_world() -> (World, Vec<Order>, Arc<TestShop>) {
    shop_world_of(ORDERS)
}

/// A world with `count` orders and their customers, and its counting storefront (each
/// order or customer read takes 10 ms).
fn shop_world_of(count: u32) -> (World, Vec<Order>, Arc<TestShop>) {
    let world = world();
    let orders: Vec<Order> = (1..=count)
        .map(|n| order(n, if n % 3 == 0 { "B-BLACK" } else { "A-RED" }, 1, 100))
        .collect();
    for o in &orders {
        world.shop.put_order(o.clone());
        if let Some(c) = &o.customer {
            world.shop.put_customer(c.clone());
        }
    }
    let shop = Arc::new(TestShop::new(world.shop.clone()).slow_reads(Duration::from_millis(10)));
    (world, orders, shop)
}

fn engine_on(
    world: &World,
    shop: &Arc<TestShop>,
    store: Arc<dyn StateStore>,
    worker: &str,
) -> Engine {
    engine_with(world, shop, store, config(worker))
}

fn engine_with(
    world: &World,
    shop: &Arc<TestShop>,
    store: Arc<dyn StateStore>,
    config: sync_core::engine::EngineConfig,
) -> Engine {
    let connectors = Connectors {
        erp_catalog: world.erp.clone(),
        erp_sales: world.erp.clone(),
        storefront_catalog: world.shop.clone(),
        storefront_orders: shop.clone(),
        tax: world.tax.clone(),
    };
    Engine::new(connectors, store, config)
}

/// What one worker alone reads from the storefront for the world's orders.
async fn reads_of_one_worker() -> (u64, u64, u64, u64) {
    let (world, orders, shop) = shop_world();
    let solo = engine_on(&world, &shop, sqlite().await, "solo");
    let done = solo.run_once().await.unwrap();
    assert_eq!(done.orders_imported, u64::from(ORDERS));
    assert_each_order_once(&world, &orders);
    shop.reads()
}

/// Two workers on `stores` (two handles on one database) run a pass at the same time.
async fn two_workers_read_once(store_a: Arc<dyn StateStore>, store_b: Arc<dyn StateStore>) {
    let alone = reads_of_one_worker().await;
    assert_eq!(
        alone.1,
        u64::from(ORDERS),
        "one worker reads each order once"
    );

    let (world, orders, shop) = shop_world();
    store_a.migrate().await.unwrap();
    let a = engine_on(&world, &shop, store_a, "worker-a");
    let b = engine_on(&world, &shop, store_b, "worker-b");
    let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());

    assert_eq!(
        shop.reads(),
        alone,
        "(order change pages, orders read, customer change pages, customers read): two \
         workers read the storefront as often as one"
    );
    assert_eq!(
        ra.orders_imported + rb.orders_imported,
        u64::from(ORDERS),
        "{ra:?} {rb:?}"
    );
    assert_each_order_once(&world, &orders);
    assert_chain_without_gap(&world);
    // The pass recorded for the orders flow is the reader's, or that of the other worker if
    // its orders pass began after the read had ended (it then ran jobs while the other read):
    // never a failed or skipped one.
    let last = a.last_pass(Flow::Orders).await.unwrap().expect("a pass");
    assert!(
        matches!(last.outcome, PassOutcome::Ran | PassOutcome::ReadElsewhere),
        "{last:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_sqlite_read_the_storefront_once() {
    let store = sqlite().await;
    two_workers_read_once(store.clone(), store).await;
}

#[cfg(all(feature = "postgres", feature = "test-util"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_postgres_read_the_storefront_once() {
    use sync_core::store::PostgresStore;
    use sync_core::testing::postgres::TempPostgres;
    let pg =
        TempPostgres::start().expect("PostgreSQL binaries are needed: apt-get install postgresql");
    let store_a: Arc<dyn StateStore> = Arc::new(PostgresStore::connect(&pg.url()).await.unwrap());
    let store_b: Arc<dyn StateStore> = Arc::new(PostgresStore::connect(&pg.url()).await.unwrap());
    two_workers_read_once(store_a, store_b).await;
}

/// A worker that took the orders' read lease and died: the lease runs out, then another
/// worker reads (not before).
async fn a_dead_readers_lease_runs_out(store: Arc<dyn StateStore>) {
    let (world, orders, shop) = shop_world();
    store.migrate().await.unwrap();
    let scope = config("x").scope;
    let now = Utc::now();
    let held_for = chrono::Duration::milliseconds(1_500);
    assert!(
        store
            .claim(&scope, "read:orders", "dead-worker#1", now + held_for, now)
            .await
            .unwrap()
    );
    let b = engine_on(&world, &shop, store, "worker-b");
    let started = tokio::time::Instant::now();
    let done = b.run_flows(&[Flow::Customers, Flow::Orders]).await.unwrap();
    let first_read = shop.first_order_read.lock().unwrap().expect("orders read");
    let waited = first_read - started;
    assert!(
        waited >= Duration::from_millis(1_300),
        "the orders were read while the dead worker's lease still ran: after {waited:?}"
    );
    assert_eq!(done.orders_imported, u64::from(ORDERS), "{done:?}");
    assert_each_order_once(&world, &orders);
    assert_eq!(shop.reads().1, u64::from(ORDERS));
    let last = b.last_pass(Flow::Orders).await.unwrap().expect("a pass");
    assert_eq!(last.outcome, PassOutcome::Ran);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_dead_readers_lease_runs_out_and_another_worker_reads() {
    a_dead_readers_lease_runs_out(sqlite().await).await;
}

#[cfg(all(feature = "postgres", feature = "test-util"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_dead_readers_lease_runs_out_and_another_worker_reads() {
    use sync_core::store::PostgresStore;
    use sync_core::testing::postgres::TempPostgres;
    let pg =
        TempPostgres::start().expect("PostgreSQL binaries are needed: apt-get install postgresql");
    let store: Arc<dyn StateStore> = Arc::new(PostgresStore::connect(&pg.url()).await.unwrap());
    a_dead_readers_lease_runs_out(store).await;
}

/// A worker that finds another reading runs jobs meanwhile, and records its pass as read
/// elsewhere, not as a failure; the reader's own record is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_that_leaves_the_read_to_another_says_so_and_runs_jobs() {
    let (world, orders, shop) = shop_world();
    let store = sqlite().await;
    store.migrate().await.unwrap();
    // A lease long enough that a renewal held up on a loaded machine (the reader renews every
    // third of it, through the one connection of the in-memory store that B's drain keeps
    // busy) does not hand the read to B half-way: that is the dead reader's test, not this one.
    let with_lease = |worker: &str| {
        let mut config = config(worker);
        config.lease = Duration::from_secs(5);
        config
    };
    let a = engine_with(&world, &shop, store.clone(), with_lease("worker-a"));
    let b = engine_with(&world, &shop, store, with_lease("worker-b"));
    // B starts its orders pass once A is reading (A reads 60 orders at 10 ms, 4 at a time).
    let reader = a.run_flows(&[Flow::Orders]);
    let follower = async {
        while shop.reads().1 == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        b.run_flows(&[Flow::Orders]).await
    };
    let (ra, rb) = tokio::join!(reader, follower);
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(shop.reads().1, u64::from(ORDERS), "B read nothing itself");
    assert_eq!(ra.orders_imported + rb.orders_imported, u64::from(ORDERS));
    assert!(
        rb.orders_imported > 0,
        "B ran none of the jobs A queued while it read: {rb:?}"
    );
    assert_each_order_once(&world, &orders);
    let last = a.last_pass(Flow::Orders).await.unwrap().expect("a pass");
    assert_eq!(last.outcome, PassOutcome::Ran, "the reader's pass is kept");
}

/// A worker runs the jobs its read queues while it reads on: a long read (here three pages of
/// orders, 10 ms an order) and the imports overlap, and the first orders are in the ERP
/// before the last one is read. Each order still lands once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_runs_the_jobs_it_queues_while_it_reads_on() {
    const COUNT: u32 = 150;
    let (world, orders, shop) = shop_world_of(COUNT);
    let store = sqlite().await;
    store.migrate().await.unwrap();
    let a = engine_on(&world, &shop, store, "worker-a");
    let done = std::sync::atomic::AtomicBool::new(false);
    let reader = async {
        let result = a.run_flows(&[Flow::Orders]).await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        result
    };
    let watcher = async {
        let mut landed_while_reading = 0;
        while !done.load(std::sync::atomic::Ordering::SeqCst) && shop.reads().1 < u64::from(COUNT) {
            landed_while_reading = world.erp.documents().len();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        landed_while_reading
    };
    let (result, landed_while_reading) = tokio::join!(reader, watcher);
    let summary = result.unwrap();
    assert_eq!(shop.reads().1, u64::from(COUNT), "every order read once");
    assert!(
        landed_while_reading > 0,
        "no order reached the ERP before the last order was read: the imports waited for the \
         whole read"
    );
    assert_eq!(summary.orders_imported, u64::from(COUNT));
    assert_each_order_once(&world, &orders);
}
