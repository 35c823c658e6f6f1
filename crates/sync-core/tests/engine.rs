//! The engine's guarantees, each with a test that fails without it.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_trait::async_trait;

use common::*;
use rust_decimal::Decimal;
use sync_core::engine::memory::Injected;
use sync_core::engine::{WebhookError, WebhookEvent, WebhookOutcome, WebhookVerifier};
use sync_core::model::*;

#[tokio::test]
async fn full_cycle_pushes_catalog_and_stock_imports_orders_once_and_chains_receipts() {
    let world = world();
    let orders: Vec<Order> = (1..=12)
        .map(|n| order(n, if n % 2 == 0 { "A-RED" } else { "C-GREEN" }, 2, 100))
        .collect();
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    let engine = engine(&world, sqlite().await, "w1");
    let summary = engine.run_once().await.unwrap();

    assert_eq!(summary.products_pushed, 3);
    assert_eq!(world.shop.products().len(), 3);
    assert_eq!(summary.inventory_levels_set, 10, "5 SKUs x 2 locations");
    let a_red = &world.shop.products()["A"].1.variants[&Sku::from("A-RED")];
    assert_eq!(
        world.shop.stock_of(
            &a_red.inventory_item_id,
            &LocationId::from("gid://shop/Location/1")
        ),
        Some(10)
    );
    assert_eq!(summary.orders_imported, 12);
    assert_eq!(
        summary.customers_imported, 0,
        "no customers flow input; order customers are upserted with the order"
    );
    assert_eq!(world.erp.customers().len(), 12);
    assert_each_order_once(&world, &orders);
    assert_eq!(summary.receipts_accepted, 12);
    assert_chain_without_gap(&world);
    assert_eq!(summary.dead_letters, 0);
    // Every ERP document has its receipt recorded.
    assert!(world.erp.documents().iter().all(|d| {
        d.receipt
            .as_ref()
            .is_some_and(|r| r.state == ReceiptState::Accepted)
    }));
}

#[tokio::test]
async fn an_unchanged_catalog_costs_zero_writes() {
    let world = world();
    let engine = engine(&world, sqlite().await, "w1");
    engine.run_once().await.unwrap();
    let before = world.shop.calls();
    let second = engine.run_once().await.unwrap();
    assert_eq!(
        world.shop.calls(),
        before,
        "a second pass over unchanged data wrote to the storefront"
    );
    assert_eq!(second.products_pushed, 0);
    assert_eq!(second.products_unchanged, 3);

    // A price change costs one price write, no product write.
    let mut groups = catalog();
    groups[1].variants[0].price = Decimal::new(199, 0);
    world.erp.set_groups(groups);
    let third = engine.run_once().await.unwrap();
    assert_eq!(third.products_pushed, 0);
    assert_eq!(third.prices_set, 1);
    assert_eq!(world.shop.calls().upserts, before.upserts);
    assert_eq!(
        world.shop.products()["B"].0.variants[0].price,
        Decimal::new(199, 0)
    );
}

#[tokio::test]
async fn existing_storefront_products_are_linked_by_sku_not_duplicated() {
    let world = world();
    let pre = world.shop.preexisting(group("B", &["BLACK"], 250));
    let engine = engine(&world, sqlite().await, "w1");
    let summary = engine.run_once().await.unwrap();
    assert_eq!(summary.products_linked, 1);
    assert_eq!(world.shop.products().len(), 3);
    assert_eq!(
        world.shop.products()["B"].1.product_id,
        pre.product_id,
        "B was recreated instead of linked"
    );
}

#[tokio::test]
async fn new_variants_are_stocked_at_the_mapped_locations_by_the_upsert_that_creates_them() {
    let world = world();
    let pre = world.shop.preexisting(group("B", &["BLACK"], 250));
    let black = pre.variants[&Sku::from("B-BLACK")]
        .inventory_item_id
        .clone();
    let (giza, cairo) = (
        &LocationId::from("gid://shop/Location/1"),
        &LocationId::from("gid://shop/Location/2"),
    );
    world.shop.force_stock(&black, giza, 7);
    let engine = engine(&world, sqlite().await, "w1");
    engine
        .run_flows(&[sync_core::engine::Flow::Catalog])
        .await
        .unwrap();
    let item = |code: &str, sku: &str| {
        world.shop.products()[code].1.variants[&Sku::from(sku)]
            .inventory_item_id
            .clone()
    };
    let red = item("A", "A-RED");
    assert_eq!(world.shop.stock_of(&red, giza), Some(0));
    assert_eq!(world.shop.stock_of(&red, cairo), Some(0));
    assert_eq!(
        world.shop.stock_of(&black, giza),
        Some(7),
        "a variant that existed keeps its stock"
    );
    assert_eq!(
        world.shop.stock_of(&black, cairo),
        None,
        "and is stocked nowhere new"
    );

    // A colour added later in the ERP: only the new variant is stocked by the upsert.
    world.shop.force_stock(&red, giza, 5);
    let mut groups = catalog();
    groups[0] = group("A", &["RED", "BLUE", "PINK"], 100);
    world.erp.set_groups(groups);
    engine
        .run_flows(&[sync_core::engine::Flow::Catalog])
        .await
        .unwrap();
    assert_eq!(world.shop.stock_of(&item("A", "A-PINK"), cairo), Some(0));
    assert_eq!(
        world.shop.stock_of(&red, giza),
        Some(5),
        "red keeps its stock"
    );
}

#[tokio::test]
async fn a_lost_answer_on_document_save_is_looked_up_not_duplicated() {
    let world = world();
    let orders = vec![order(1, "A-RED", 1, 100), order(2, "B-BLACK", 1, 250)];
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    world.erp.inject(Injected::LostAnswer);
    world.erp.inject(Injected::Transient);
    let engine = engine(&world, sqlite().await, "w1");
    let summary = engine.run_once().await.unwrap();
    assert_each_order_once(&world, &orders);
    assert_eq!(summary.recovered_by_lookup, 1);
    assert_eq!(summary.orders_imported, 2);
    assert!(summary.retries >= 2);
}

#[tokio::test]
async fn a_lost_answer_on_receipt_submission_is_looked_up_not_resent() {
    let world = world();
    let orders: Vec<Order> = (1..=3).map(|n| order(n, "A-BLUE", 1, 100)).collect();
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    world.tax.inject(Injected::LostAnswer);
    let engine = engine(&world, sqlite().await, "w1");
    let summary = engine.run_once().await.unwrap();
    assert_eq!(summary.receipts_accepted, 3);
    assert_eq!(summary.recovered_by_lookup, 3);
    assert_eq!(
        world.tax.received().len(),
        3,
        "receipts were resent after the lost answer"
    );
    assert_chain_without_gap(&world);
}

#[tokio::test]
async fn an_unknown_sku_is_parked_then_replayed_once_the_erp_knows_it() {
    let world = world();
    let orders = vec![order(1, "NEW-ITEM", 1, 50), order(2, "A-RED", 1, 100)];
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    let engine = engine(&world, sqlite().await, "w1");
    let first = engine.run_once().await.unwrap();
    assert_eq!(first.parked, 1);
    assert_eq!(
        first.orders_imported, 1,
        "the rest of the run is unaffected"
    );
    let parked = engine.dead_letters().await.unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].parked_on.as_deref(), Some("sku:NEW-ITEM"));

    let mut groups = catalog();
    groups.push(group("NEW", &["ITEM"], 50));
    groups.last_mut().unwrap().variants[0].sku = Sku::from("NEW-ITEM");
    world.erp.set_groups(groups);
    let second = engine.run_once().await.unwrap();
    assert_eq!(second.orders_imported, 1);
    assert_each_order_once(&world, &orders);
    assert!(engine.dead_letters().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_permanent_failure_is_a_dead_letter_with_its_reason_and_can_be_replayed() {
    let world = world();
    let mut bad = order(1, "A-RED", 1, 100);
    bad.lines.clear();
    world.shop.put_order(bad);
    world.shop.put_order(order(2, "A-RED", 1, 100));
    let engine = engine(&world, sqlite().await, "w1");
    let summary = engine.run_once().await.unwrap();
    assert_eq!(summary.dead_letters, 1);
    assert_eq!(summary.orders_imported, 1);
    let dead = engine.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("at least one line"),
        "{:?}",
        dead[0].last_error
    );
    assert_eq!(engine.replay(Some(dead[0].id)).await.unwrap(), 1);
}

#[tokio::test]
async fn refunds_become_returns_and_return_receipts_and_cancellations_cancel() {
    let world = world();
    let mut refunded = order(1, "A-RED", 2, 100);
    let cancelled = order(2, "A-RED", 1, 100);
    world.shop.put_order(refunded.clone());
    world.shop.put_order(cancelled.clone());
    let engine = engine(&world, sqlite().await, "w1");
    engine.run_once().await.unwrap();

    refunded
        .refunds
        .push(unit_refund("9", "L1", "A-RED", 100, 30));
    refunded.financial_status = FinancialStatus::PartiallyRefunded;
    refunded.updated_at = t(30);
    let mut cancelled = cancelled;
    cancelled.cancelled_at = Some(t(31));
    cancelled.updated_at = t(31);
    world.shop.put_order(refunded);
    world.shop.put_order(cancelled);
    let summary = engine.run_once().await.unwrap();
    assert_eq!(summary.returns_imported, 1);
    assert_eq!(summary.orders_cancelled, 1);
    assert_eq!(summary.receipts_accepted, 1, "one return receipt");
    let docs = world.erp.documents();
    assert_eq!(docs.iter().filter(|d| d.operation == "SALRET").count(), 1);
    assert!(
        docs.iter()
            .any(|d| d.reference == "gid://shop/Order/2" && d.cancelled)
    );
    // Running again changes nothing.
    let again = engine.run_once().await.unwrap();
    assert_eq!(
        (
            again.returns_imported,
            again.orders_cancelled,
            again.receipts_accepted
        ),
        (0, 0, 0)
    );
    assert_chain_without_gap(&world);
}

struct TestVerifier;
impl WebhookVerifier for TestVerifier {
    fn verify(&self, headers: &http::HeaderMap, body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        if headers.get("x-signature").and_then(|v| v.to_str().ok()) != Some("good") {
            return Err(WebhookError::Unauthorized);
        }
        let json: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
        Ok(WebhookEvent {
            event_id: headers
                .get("x-event-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            topic: "orders/updated".to_owned(),
            order_id: json["admin_graphql_api_id"].as_str().map(OrderId::from),
        })
    }
}

fn delivery(event: &str, signature: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert("x-signature", signature.parse().unwrap());
    headers.insert("x-event-id", event.parse().unwrap());
    headers
}

#[tokio::test]
async fn duplicate_and_out_of_order_webhooks_import_the_current_order_once() {
    let world = world();
    let engine = engine(&world, sqlite().await, "w1").with_webhook_verifier(Arc::new(TestVerifier));
    engine.run_once().await.unwrap();
    let mut current = order(5, "A-RED", 3, 100);
    current.updated_at = t(40);
    world.shop.put_order(current.clone());
    let body = br#"{"admin_graphql_api_id":"gid://shop/Order/5","total_price":"1.00"}"#;

    assert!(matches!(
        engine.handle_webhook(&delivery("e1", "bad"), body).await,
        Err(WebhookError::Unauthorized)
    ));
    assert_eq!(
        engine
            .handle_webhook(&delivery("e2", "good"), body)
            .await
            .unwrap(),
        WebhookOutcome::Scheduled
    );
    assert_eq!(
        engine
            .handle_webhook(&delivery("e2", "good"), body)
            .await
            .unwrap(),
        WebhookOutcome::Duplicate
    );
    // An older event arriving late: still only a hint.
    assert_eq!(
        engine
            .handle_webhook(&delivery("e1", "good"), body)
            .await
            .unwrap(),
        WebhookOutcome::Scheduled
    );
    let summary = engine.run_pending().await.unwrap();
    assert_eq!(summary.orders_imported, 1);
    let docs = world.erp.documents();
    let doc = docs
        .iter()
        .find(|d| d.reference == current.external_id)
        .unwrap();
    assert_eq!(
        doc.total,
        Decimal::new(300, 0),
        "the body's stale total was trusted"
    );
    assert_each_order_once(&world, &[current]);
}

#[tokio::test]
async fn stock_reconciliation_reports_drift_and_pushes_only_the_differences() {
    let world = world();
    let engine = engine(&world, sqlite().await, "w1");
    engine.run_once().await.unwrap();
    let item = world.shop.products()["C"].1.variants[&Sku::from("C-WHITE")]
        .inventory_item_id
        .clone();
    world
        .shop
        .force_stock(&item, &LocationId::from("gid://shop/Location/2"), 99);
    let calls = world.shop.calls().stock_calls;

    let dry = engine.reconcile_stock(true).await.unwrap();
    assert_eq!(dry.compared, 10);
    assert_eq!(dry.drift.len(), 1);
    assert_eq!((dry.drift[0].erp, dry.drift[0].storefront), (3, 99));
    assert_eq!(world.shop.calls().stock_calls, calls, "a dry run wrote");

    let applied = engine.reconcile_stock(false).await.unwrap();
    assert_eq!(applied.summary.inventory_levels_set, 1);
    assert_eq!(
        world
            .shop
            .stock_of(&item, &LocationId::from("gid://shop/Location/2")),
        Some(3)
    );
    assert!(engine.reconcile_stock(true).await.unwrap().drift.is_empty());
}

#[tokio::test]
async fn daily_sales_reconciliation_lists_every_mismatch() {
    let world = world();
    world.shop.put_order(order(1, "A-RED", 1, 100));
    let mut unknown_gateway = order(2, "A-RED", 1, 100);
    unknown_gateway.payments[0].gateway = "mystery".to_owned();
    world.shop.put_order(unknown_gateway);
    let engine = engine(&world, sqlite().await, "w1");
    let summary = engine.run_once().await.unwrap();
    assert_eq!(summary.parked, 1, "the receipt waits for a gateway mapping");
    let report = engine.reconcile_sales(t(0).date_naive()).await.unwrap();
    assert_eq!(report.by_gateway["cash"].orders, 1);
    assert_eq!(report.by_gateway["cash"].receipts, Decimal::new(100, 0));
    assert_eq!(report.mismatches.len(), 1);
    assert_eq!(report.mismatches[0].name, "#1002");
    assert!(report.mismatches[0].problem.contains("no receipt"));
}

#[tokio::test]
async fn plan_reports_writes_without_making_them() {
    let world = world();
    world.shop.put_order(order(1, "A-RED", 1, 100));
    let engine = engine(&world, sqlite().await, "w1");
    let plan = engine.plan().await.unwrap();
    assert_eq!(
        plan.iter()
            .filter(|w| w.flow == "catalog" && w.action == "create")
            .count(),
        3
    );
    assert_eq!(plan.iter().filter(|w| w.flow == "orders").count(), 1);
    assert_eq!(world.shop.calls().upserts, 0);
    assert!(world.erp.documents().is_empty());
}

#[tokio::test]
async fn fulfilments_reported_once() {
    let world = world();
    let o = order(1, "A-RED", 1, 100);
    world.shop.put_order(o.clone());
    world.erp.add_shipment(
        t(50),
        Shipment {
            order_external_id: o.external_id.clone(),
            document: ErpDocumentRef {
                operation: "SALINV".to_owned(),
                number: "1".into(),
            },
            carrier: Some("Aramex".to_owned()),
            tracking_number: Some("TRK1".to_owned()),
        },
    );
    let engine = engine(&world, sqlite().await, "w1");
    assert_eq!(engine.run_once().await.unwrap().fulfillments_created, 1);
    assert_eq!(engine.run_once().await.unwrap().fulfillments_created, 0);
    assert_eq!(world.shop.calls().fulfillments, 1);
}

#[tokio::test]
async fn receipts_are_read_and_sent_a_batch_at_a_time_in_chain_order() {
    let mut world = world();
    world.tax = Arc::new(
        sync_core::engine::memory::MemoryTax::new("POS-1", &["cash", "paymob"]).with_max_batch(4),
    );
    let orders: Vec<Order> = (1..=19).map(|n| order(n, "A-RED", 1, 100)).collect();
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    let store = Arc::new(CrashingStore::new(sqlite().await, i64::MAX));
    let summary = engine(&world, store.clone(), "w1")
        .run_once()
        .await
        .unwrap();
    assert_eq!(summary.receipts_accepted, 19);
    assert_eq!(summary.dead_letters, 0);
    assert_chain_without_gap(&world);
    let sizes = world.tax.batch_sizes();
    assert_eq!(
        sizes.iter().sum::<usize>(),
        19,
        "each receipt sent once: {sizes:?}"
    );
    assert!(sizes.iter().all(|n| (1..=4).contains(n)), "{sizes:?}");
    assert!(
        store.largest_page.load(Ordering::SeqCst) <= 4,
        "open receipts are read a page of one batch at a time, not all at once"
    );
}

#[tokio::test]
async fn the_order_pull_fetches_only_the_orders_whose_change_it_has_not_read() {
    let world = world();
    let clock = Arc::new(sync_core::clock::FixedClock::new(t(40)));
    let mut orders: Vec<Order> = (1..=3).map(|n| order(n, "A-RED", 1, 100)).collect();
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    let engine = engine(&world, sqlite().await, "w1").with_clock(clock.clone());
    let reads = || world.shop.calls().order_reads;

    let first = engine.run_once().await.unwrap();
    assert_eq!(first.orders_imported, 3);
    assert_eq!(reads(), 3, "each new order read whole once");

    // The next pass lists the same orders again (they are inside its overlap window), and
    // reads none of them again.
    clock.advance(Duration::from_secs(30));
    engine.run_once().await.unwrap();
    assert_eq!(reads(), 3, "an unchanged order is not read again");

    // A change is read, and acted on.
    orders[1].cancelled_at = Some(t(41));
    orders[1].updated_at = t(41);
    world.shop.put_order(orders[1].clone());
    clock.set(t(42));
    let changed = engine.run_once().await.unwrap();
    assert_eq!(reads(), 4, "only the changed order is read");
    assert_eq!(changed.orders_cancelled, 1);

    // A read in the same seconds as the change may have missed another change stamped alike:
    // the next pass reads it once more, then trusts that later read.
    let mut fresh = order(4, "A-RED", 1, 100);
    fresh.updated_at = t(42);
    world.shop.put_order(fresh);
    engine.run_once().await.unwrap();
    assert_eq!(reads(), 5);
    clock.advance(Duration::from_secs(10));
    engine.run_once().await.unwrap();
    assert_eq!(
        reads(),
        6,
        "read again: the first read was in its change's second"
    );
    clock.advance(Duration::from_secs(10));
    engine.run_once().await.unwrap();
    assert_eq!(
        reads(),
        6,
        "the second read was long enough after the change"
    );
    assert_each_order_once(&world, &orders);
}

#[tokio::test]
async fn the_customer_pull_reads_each_change_once_and_imports_a_second_change_in_the_same_second() {
    use sync_core::engine::Flow;
    let world = world();
    let clock = Arc::new(sync_core::clock::FixedClock::new(t(40)));
    let mut mona = customer("77");
    mona.updated_at = t(10);
    world.shop.put_customer(mona.clone());
    let engine = engine(&world, sqlite().await, "w1").with_clock(clock.clone());
    let reads = || world.shop.calls().customer_reads;
    let phones = || -> Vec<Option<String>> {
        world
            .erp
            .customers()
            .into_iter()
            .map(|(_, c)| c.phone)
            .collect()
    };

    engine.run_flows(&[Flow::Customers]).await.unwrap();
    assert_eq!(reads(), 1);
    assert_eq!(world.erp.customers().len(), 1);
    clock.advance(Duration::from_secs(30));
    engine.run_flows(&[Flow::Customers]).await.unwrap();
    assert_eq!(reads(), 1, "an unchanged customer is not read again");

    // Changed, and read in the very second of the change...
    mona.updated_at = sync_core::clock::Clock::now_utc(clock.as_ref());
    mona.phone = Some("+201000000001".to_owned());
    world.shop.put_customer(mona.clone());
    engine.run_flows(&[Flow::Customers]).await.unwrap();
    assert_eq!(reads(), 2);
    assert_eq!(phones(), [Some("+201000000001".to_owned())]);
    // ...then changed again within that second: Shopify's stamp is the same.
    mona.phone = Some("+201000000002".to_owned());
    world.shop.put_customer(mona.clone());
    clock.advance(Duration::from_secs(10));
    engine.run_flows(&[Flow::Customers]).await.unwrap();
    assert_eq!(reads(), 3, "the read in the change's second is not trusted");
    assert_eq!(
        phones(),
        [Some("+201000000002".to_owned())],
        "the second change reaches the ERP"
    );
    clock.advance(Duration::from_secs(10));
    engine.run_flows(&[Flow::Customers]).await.unwrap();
    assert_eq!(reads(), 3, "the later read is trusted");
}

/// Crash the process (every store call fails from then on) after each possible number of
/// store writes, then restart on the same store: every order lands once, every receipt once,
/// and the chain has no gap, wherever the crash fell.
#[tokio::test]
async fn a_crash_at_any_step_loses_and_duplicates_nothing() {
    let orders: Vec<Order> = (1..=3).map(|n| order(n, "A-RED", 1, 100)).collect();
    crash_at_every_step(&orders, |world, step| {
        assert_each_order_once(world, &orders);
        assert_eq!(
            world
                .tax
                .received()
                .iter()
                .filter(|(_, _, o)| o.state == ReceiptState::Accepted)
                .count(),
            3,
            "step {step}"
        );
        assert_chain_without_gap(world);
    })
    .await;
}

#[tokio::test]
async fn bindings_and_jobs_of_two_stores_do_not_mix() {
    let store = sqlite().await;
    let shop_a = world();
    let shop_b = world();
    shop_a.shop.put_order(order(1, "A-RED", 1, 100));
    shop_b.shop.put_order(order(1, "A-RED", 2, 100));
    let mut config_b = config("w1");
    config_b.scope = StoreScope::from("shop-2");
    let a = engine(&shop_a, store.clone(), "w1");
    let b = sync_core::engine::Engine::new(
        sync_core::engine::Connectors {
            erp_catalog: shop_b.erp.clone(),
            erp_sales: shop_b.erp.clone(),
            storefront_catalog: shop_b.shop.clone(),
            storefront_orders: shop_b.shop.clone(),
            tax: Arc::new(sync_core::engine::memory::MemoryTax::new(
                "POS-2",
                &["cash"],
            )),
        },
        store,
        config_b,
    );
    assert_eq!(a.run_once().await.unwrap().orders_imported, 1);
    let second = b.run_once().await.unwrap();
    assert_eq!(
        second.orders_imported, 1,
        "the same order id in another store was taken as already imported"
    );
    assert_eq!(second.products_pushed, 3);
    assert_eq!(shop_b.erp.documents()[0].total, Decimal::new(200, 0));
}

/// Starts `engine.run` with passes every `interval`; stop it with the returned shutdown.
fn start_daemon(
    engine: &Arc<sync_core::engine::Engine>,
    interval: Duration,
) -> (
    sync_core::engine::Shutdown,
    tokio::task::JoinHandle<Result<sync_core::engine::Summary, sync_core::engine::EngineError>>,
) {
    let shutdown = sync_core::engine::Shutdown::new();
    let runner = {
        let engine = engine.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move { engine.run(interval, shutdown).await })
    };
    (shutdown, runner)
}

/// Waits (up to about 5 s) until `done` holds.
async fn wait_until(mut done: impl FnMut() -> bool) {
    for _ in 0..250 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Puts order 7 in the shop, delivers its webhook, and waits (a while) for its ERP document.
async fn webhook_for_order_7(engine: &sync_core::engine::Engine, world: &World) {
    world.shop.put_order(order(7, "A-RED", 1, 100));
    let body = br#"{"admin_graphql_api_id":"gid://shop/Order/7"}"#;
    assert_eq!(
        engine
            .handle_webhook(&delivery("e7", "good"), body)
            .await
            .unwrap(),
        WebhookOutcome::Scheduled
    );
    wait_until(|| !world.erp.documents().is_empty()).await;
}

/// An ERP catalogue whose reads wait at a gate once it is closed (a pass that takes long).
struct GatedCatalog {
    inner: Arc<sync_core::engine::memory::MemoryErp>,
    closed: std::sync::atomic::AtomicBool,
    reading: tokio::sync::Notify,
    open: tokio::sync::Notify,
}

#[async_trait]
impl sync_core::connector::ErpCatalog for GatedCatalog {
    async fn product_groups(
        &self,
    ) -> sync_core::connector::ConnectorResult<Vec<sync_core::model::ProductGroup>> {
        if self.closed.load(Ordering::SeqCst) {
            self.reading.notify_one();
            self.open.notified().await;
        }
        self.inner.product_groups().await
    }
    async fn stock_levels(
        &self,
    ) -> sync_core::connector::ConnectorResult<Vec<sync_core::model::StockLevel>> {
        self.inner.stock_levels().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_work_runs_while_a_pass_is_still_reading_its_sources() {
    let world = world();
    let gated = Arc::new(GatedCatalog {
        inner: world.erp.clone(),
        closed: std::sync::atomic::AtomicBool::new(false),
        reading: tokio::sync::Notify::new(),
        open: tokio::sync::Notify::new(),
    });
    let engine = Arc::new(
        engine_with_catalog(&world, gated.clone(), sqlite().await, "w1")
            .with_webhook_verifier(Arc::new(TestVerifier)),
    );
    let (shutdown, runner) = start_daemon(&engine, Duration::from_millis(50));
    wait_until(|| world.shop.products().len() == 3).await;
    assert_eq!(world.shop.products().len(), 3, "the first pass ran");
    // The next pass stops in its first source read, and stays there.
    gated.closed.store(true, Ordering::SeqCst);
    tokio::time::timeout(Duration::from_secs(10), gated.reading.notified())
        .await
        .expect("a pass is reading the catalogue");
    webhook_for_order_7(&engine, &world).await;
    assert_eq!(
        world.erp.documents().len(),
        1,
        "the webhook's order waited for the pass that is still reading"
    );
    gated.closed.store(false, Ordering::SeqCst);
    gated.open.notify_one();
    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("the loop stopped")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_daemon_loop_runs_webhook_work_between_passes_and_stops_on_request() {
    let world = world();
    let engine = Arc::new(
        engine(&world, sqlite().await, "w1").with_webhook_verifier(Arc::new(TestVerifier)),
    );
    let (shutdown, runner) = start_daemon(&engine, Duration::from_secs(3600));
    // Let the first pass finish (products pushed), then deliver a webhook.
    wait_until(|| world.shop.products().len() == 3).await;
    webhook_for_order_7(&engine, &world).await;
    assert_eq!(
        world.erp.documents().len(),
        1,
        "webhook work waited for the next pass (an hour away)"
    );
    shutdown.trigger();
    let total = tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("the loop stopped")
        .unwrap()
        .unwrap();
    assert_eq!(total.orders_imported, 1);
}
