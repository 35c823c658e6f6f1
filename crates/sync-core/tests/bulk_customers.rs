//! A customers backfill through a storefront export, as the orders' one: more changed
//! customers than the bulk threshold are read from one export (the memory connector's, which
//! brings them whole) instead of one by one, each imported once; an export interrupted
//! half-way is resumed, not duplicated; and an export the storefront cannot start now
//! (another bulk query runs) waits for the next pass without failing this one.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Utc;
use common::*;
use sync_core::connector::{PAGED_EXPORT, StorefrontOrders};
use sync_core::engine::{Connectors, Engine, Flow};
use sync_core::model::{Customer, StoreScope};

const CUSTOMERS: u32 = 120;

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

fn seeded_world() -> (World, Vec<Customer>) {
    let world = world();
    let customers: Vec<Customer> = (1..=CUSTOMERS)
        .map(|n| {
            let mut c = customer(&n.to_string());
            c.updated_at = t(n % 60);
            c
        })
        .collect();
    for c in &customers {
        world.shop.put_customer(c.clone());
    }
    (world, customers)
}

/// Each customer is in the ERP exactly once.
fn assert_each_customer_once(world: &World, customers: &[Customer]) {
    let erp = world.erp.customers();
    for c in customers {
        let n = erp
            .iter()
            .filter(|(_, e)| e.external_id == c.external_id)
            .count();
        assert_eq!(
            n, 1,
            "customer {} landed {n} times in the ERP",
            c.external_id
        );
    }
    assert_eq!(erp.len(), customers.len(), "no other customer written");
}

#[tokio::test]
async fn a_customers_backfill_over_the_threshold_reads_one_export_then_goes_on_incrementally() {
    let (world, customers) = seeded_world();
    let store = sqlite().await;
    let exporting = Arc::new(TestShop::new(world.shop.clone()));
    let engine = bulk_engine(&world, exporting.clone(), store.clone());
    engine.run_flows(&[Flow::Customers]).await.unwrap();
    assert_eq!(
        exporting.customer_exports.load(Ordering::SeqCst),
        1,
        "one export"
    );
    assert_each_customer_once(&world, &customers);
    assert_eq!(
        world.shop.calls().customer_reads,
        0,
        "the export brought the customers whole: none read one by one"
    );
    let progress = engine.backfill_progress().expect("progress");
    assert_eq!(
        (
            progress.flow,
            progress.read,
            progress.expected,
            progress.finished
        ),
        (
            "customers",
            u64::from(CUSTOMERS),
            Some(u64::from(CUSTOMERS)),
            true
        )
    );
    let scope = StoreScope::new("shop-1");
    assert_eq!(
        store
            .checkpoint(&scope, "customers:export")
            .await
            .unwrap()
            .as_deref(),
        Some(""),
        "the export is no longer recorded once read"
    );
    assert_eq!(
        store.checkpoint(&scope, "orders:export").await.unwrap(),
        None,
        "the orders' export is recorded apart"
    );

    // A new customer: read incrementally (by id, no second export), imported once.
    let mut late = customer(&(CUSTOMERS + 1).to_string());
    late.updated_at = Utc::now();
    world.shop.put_customer(late.clone());
    engine.run_flows(&[Flow::Customers]).await.unwrap();
    assert_eq!(
        exporting.customer_exports.load(Ordering::SeqCst),
        1,
        "still one export"
    );
    assert_eq!(world.shop.calls().customer_reads, 1, "the late one by id");
    let mut all = customers.clone();
    all.push(late);
    assert_each_customer_once(&world, &all);
}

#[tokio::test]
async fn a_customers_export_broken_off_half_way_is_resumed_without_duplicates() {
    let (world, customers) = seeded_world();
    let store = sqlite().await;
    let exporting = Arc::new(TestShop::new(world.shop.clone()));
    *exporting.fail_after.lock().unwrap() = Some(70);
    let engine = bulk_engine(&world, exporting.clone(), store.clone());
    let first = engine.run_flows(&[Flow::Customers]).await;
    assert!(
        first.is_err(),
        "the broken export fails the pass: {first:?}"
    );
    let scope = StoreScope::new("shop-1");
    let recorded = store.checkpoint(&scope, "customers:export").await.unwrap();
    assert!(
        recorded
            .as_deref()
            .is_some_and(|r| r.contains(PAGED_EXPORT)),
        "the export stays recorded: {recorded:?}"
    );
    // A new process (a restart) resumes the recorded export instead of starting another.
    *exporting.fail_after.lock().unwrap() = None;
    let engine = bulk_engine(&world, exporting.clone(), store.clone());
    engine.run_flows(&[Flow::Customers]).await.unwrap();
    assert_eq!(
        exporting.customer_exports.load(Ordering::SeqCst),
        1,
        "resumed, not restarted"
    );
    assert_each_customer_once(&world, &customers);
    assert_eq!(
        exporting.completions.load(Ordering::SeqCst),
        u64::from(CUSTOMERS),
        "each customer completed once: none of those imported before the break again"
    );
    assert_eq!(world.shop.calls().customer_reads, 0);
}

#[tokio::test]
async fn a_customers_export_refused_for_now_waits_for_the_next_pass_without_failing_this_one() {
    let (world, customers) = seeded_world();
    let store = sqlite().await;
    let exporting = Arc::new(TestShop::new(world.shop.clone()));
    exporting.busy.store(true, Ordering::SeqCst);
    let engine = bulk_engine(&world, exporting.clone(), store.clone());
    engine
        .run_flows(&[Flow::Customers])
        .await
        .expect("a refused start does not fail the pass");
    assert_eq!(exporting.customer_exports.load(Ordering::SeqCst), 0);
    assert_eq!(
        world.shop.calls().customer_reads,
        0,
        "nor reads the backlog one by one meanwhile"
    );
    assert!(world.erp.customers().is_empty());
    // The other bulk query has ended: the next pass starts the export.
    exporting.busy.store(false, Ordering::SeqCst);
    engine.run_flows(&[Flow::Customers]).await.unwrap();
    assert_eq!(exporting.customer_exports.load(Ordering::SeqCst), 1);
    assert_eq!(world.shop.calls().customer_reads, 0);
    assert_each_customer_once(&world, &customers);
}
