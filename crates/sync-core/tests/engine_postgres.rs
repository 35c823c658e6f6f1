//! Two workers on one PostgreSQL store race on the same orders and the same receipt chain:
//! every order lands once, every sale gets one receipt, the chain has no gap.
#![cfg(all(feature = "postgres", feature = "test-util"))]

mod common;

use std::sync::Arc;

use common::*;
use sync_core::model::Order;
use sync_core::store::{PostgresStore, StateStore};
use sync_core::testing::postgres::TempPostgres;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_share_one_postgres_store_without_duplicates_or_gaps() {
    let pg =
        TempPostgres::start().expect("PostgreSQL binaries are needed: apt-get install postgresql");
    let world = world();
    let orders: Vec<Order> = (1..=30)
        .map(|n| order(n, if n % 3 == 0 { "B-BLACK" } else { "A-RED" }, 1, 100))
        .collect();
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    let store_a: Arc<dyn StateStore> = Arc::new(PostgresStore::connect(&pg.url()).await.unwrap());
    let store_b: Arc<dyn StateStore> = Arc::new(PostgresStore::connect(&pg.url()).await.unwrap());
    store_a.migrate().await.unwrap();
    let a = engine(&world, store_a, "worker-a");
    let b = engine(&world, store_b, "worker-b");
    let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.orders_imported + rb.orders_imported, 30, "{ra:?} {rb:?}");
    assert_eq!(ra.receipts_accepted + rb.receipts_accepted, 30);
    assert_each_order_once(&world, &orders);
    assert_chain_without_gap(&world);
    assert_eq!(accepted_receipts(&world), 30);
    assert_eq!(
        world.shop.products().len(),
        3,
        "a product was pushed twice as two products"
    );
}
