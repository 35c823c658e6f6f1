//! Each flow's last pass is recorded for operators (the console's overview): when, how long,
//! whether it ran or was skipped, and what it did; kept in the state store, so another worker
//! on the same store reads it.

mod common;

use common::*;
use sync_core::engine::{Flow, PassOutcome};
use sync_core::error::OutageCause;

#[tokio::test]
async fn each_flow_records_when_how_long_and_what_its_last_pass_did() {
    let world = world();
    let store = sqlite().await;
    let one = engine(&world, store.clone(), "w1");
    one.migrate().await.unwrap();
    for flow in Flow::ALL {
        assert_eq!(one.last_pass(flow).await.unwrap(), None, "{flow:?}");
    }
    for n in 1..=3 {
        world.shop.put_order(order(n, "A-RED", 1, 100));
    }
    let before = chrono::Utc::now();
    one.run_once().await.unwrap();

    let orders = one
        .last_pass(Flow::Orders)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(orders.outcome, PassOutcome::Ran);
    assert_eq!(orders.summary.orders_imported, 3, "{orders:?}");
    assert!(orders.started_at >= before - chrono::Duration::seconds(1));
    let catalog = one
        .last_pass(Flow::Catalog)
        .await
        .unwrap()
        .expect("recorded");
    assert!(catalog.summary.products_pushed > 0, "{catalog:?}");
    assert_eq!(catalog.summary.orders_imported, 0, "another flow's work");
    assert!(
        catalog.started_at <= orders.started_at,
        "flows run in order"
    );

    // The ERP is down: the flows reading it are skipped, and say so; another worker on the
    // same store reads what this one recorded.
    world.erp.set_down(Some(OutageCause::Unreachable));
    one.run_once().await.unwrap();
    let other = engine(&world, store, "w2");
    let catalog = other
        .last_pass(Flow::Catalog)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(catalog.outcome, PassOutcome::Skipped, "{catalog:?}");
    assert_eq!(catalog.summary.products_pushed, 0);
    let orders = other
        .last_pass(Flow::Orders)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(orders.outcome, PassOutcome::Ran, "the storefront is up");
    assert_eq!(orders.summary.orders_imported, 0, "nothing new");
}
