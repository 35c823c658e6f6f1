//! The state store is a cache and the systems are the truth: what a store failure, a lost
//! state file or a power cut may not cost.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::*;
use sync_core::engine::{WebhookError, WebhookEvent, WebhookOutcome, WebhookVerifier};
use sync_core::model::*;
use sync_core::store::JobState;

/// Accepts every delivery; the event id and the order come from the headers.
struct AnyVerifier;

impl WebhookVerifier for AnyVerifier {
    fn verify(
        &self,
        headers: &http::HeaderMap,
        _body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(WebhookEvent {
            event_id: header("x-event-id").unwrap_or_default(),
            topic: "orders/create".to_owned(),
            order_id: header("x-order-id").map(OrderId::from),
        })
    }
}

fn delivery(event: &str, order: &str) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    headers.insert("x-event-id", event.parse().unwrap());
    headers.insert("x-order-id", order.parse().unwrap());
    headers
}

/// A delivery whose re-read could not be queued (the store failed) is answered with an error,
/// so Shopify delivers it again; the retry must not be dropped as a duplicate.
#[tokio::test]
async fn a_webhook_whose_queueing_failed_is_taken_when_it_is_delivered_again() {
    let world = world();
    let store = Arc::new(CrashingStore::new(sqlite().await, i64::MAX));
    let engine = engine(&world, store.clone(), "w1").with_webhook_verifier(Arc::new(AnyVerifier));
    engine.migrate().await.unwrap();
    let placed = order(9, "A-RED", 1, 100);
    world.shop.put_order(placed.clone());

    store.failing_enqueues.store(1, Ordering::SeqCst);
    let first = engine
        .handle_webhook(&delivery("ev-9", placed.external_id.as_str()), b"{}")
        .await;
    assert!(
        matches!(first, Err(WebhookError::Store(_))),
        "a failed queueing is a store error (500): {first:?}"
    );
    let retried = engine
        .handle_webhook(&delivery("ev-9", placed.external_id.as_str()), b"{}")
        .await
        .unwrap();
    assert_eq!(
        retried,
        WebhookOutcome::Scheduled,
        "Shopify's retry was dropped"
    );
    let summary = engine.run_pending().await.unwrap();
    assert_eq!(summary.orders_imported, 1);
    assert_eq!(
        engine
            .handle_webhook(&delivery("ev-9", placed.external_id.as_str()), b"{}")
            .await
            .unwrap(),
        WebhookOutcome::Duplicate,
        "a third delivery of the same event is a duplicate"
    );
}

/// A state store that is busy for a while (SQLite past its busy timeout, a PostgreSQL
/// fail-over) makes the daemon loop back off and go on; it does not end it.
#[tokio::test]
async fn the_daemon_loop_backs_off_while_the_store_is_busy_and_goes_on() {
    let world = world();
    world.shop.put_order(order(3, "A-RED", 1, 100));
    let store = Arc::new(CrashingStore::new(sqlite().await, i64::MAX));
    store.busy_leases.store(3, Ordering::SeqCst);
    let engine = Arc::new(engine(&world, store.clone(), "w1"));
    let shutdown = sync_core::engine::Shutdown::new();
    let runner = {
        let (engine, shutdown) = (engine.clone(), shutdown.clone());
        tokio::spawn(async move {
            engine
                .run(std::time::Duration::from_millis(100), shutdown)
                .await
        })
    };
    for _ in 0..500 {
        if !world.erp.documents().is_empty() || runner.is_finished() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        !runner.is_finished(),
        "the loop ended on a busy store: {:?}",
        runner.await
    );
    assert_eq!(world.erp.documents().len(), 1, "the order went through");
    assert!(
        store.busy_leases.load(Ordering::SeqCst) <= 0,
        "the store was busy"
    );
    shutdown.trigger();
    let total = tokio::time::timeout(std::time::Duration::from_secs(10), runner)
        .await
        .expect("the loop stopped")
        .unwrap()
        .unwrap();
    assert_eq!(total.orders_imported, 1);
}

/// A lost state store (a new machine, a restore from an old backup, a move to another
/// database) costs look-ups, never a second document, return or receipt: orders are looked up
/// in the ERP by reference (a page at a time) before an import, returns before their creation,
/// receipts at the tax authority before they are issued, and a device's chain goes on from the
/// authority's last receipt.
#[tokio::test]
async fn a_lost_state_store_duplicates_no_document_and_breaks_no_chain() {
    let world = world();
    let mut orders: Vec<Order> = (1..=8).map(|n| order(n, "A-RED", 1, 100)).collect();
    orders[0]
        .refunds
        .push(unit_refund("1", "L1", "A-RED", 100, 5));
    orders[0].financial_status = FinancialStatus::Refunded;
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    let first = engine(&world, sqlite().await, "w1")
        .run_once()
        .await
        .unwrap();
    assert_eq!(first.orders_imported, 8);
    assert_eq!(first.returns_imported, 1);
    let receipts_before = world.tax.received().len();
    assert_eq!(receipts_before, 9, "8 sales and 1 return");

    // The state file is gone; two more orders came in meanwhile.
    for n in 9..=10 {
        let o = order(n, "A-RED", 1, 100);
        world.shop.put_order(o.clone());
        orders.push(o);
    }
    let second = engine(&world, sqlite().await, "w2")
        .run_once()
        .await
        .unwrap();

    assert_each_order_once(&world, &orders);
    let returns = world
        .erp
        .documents()
        .iter()
        .filter(|d| d.operation == "SALRET")
        .count();
    assert_eq!(returns, 1, "the return was created again");
    assert_eq!(
        second.orders_imported, 2,
        "only the two new orders are imported"
    );
    assert!(second.recovered_by_lookup >= 8, "{second:?}");
    let received = world.tax.received();
    assert_eq!(
        received.len(),
        receipts_before + 2,
        "only the new orders' receipts are sent"
    );
    assert!(
        received
            .iter()
            .all(|(_, _, outcome)| outcome.state == ReceiptState::Accepted),
        "a receipt was refused: {received:?}"
    );
    assert_eq!(second.receipts_rejected, 0);
    assert_chain_without_gap(&world);
}

/// A wrong ERP password (or an unreachable ERP) is not a failure of the jobs that meet it:
/// the ERP's flows and jobs wait, nothing becomes a dead letter, the other systems' work goes
/// on, the engine reports the outage, and the work lands once the ERP answers again.
#[tokio::test]
async fn a_system_that_refuses_its_credentials_stops_only_its_own_work_and_fails_no_job() {
    use sync_core::error::{OutageCause, System};

    let world = world();
    let engine = engine(&world, sqlite().await, "w1");
    engine.run_once().await.unwrap();
    let orders: Vec<Order> = (1..=6).map(|n| order(n, "A-RED", 1, 100)).collect();
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    world.erp.set_down(Some(OutageCause::Unauthenticated));
    let started = std::time::Instant::now();
    let summary = engine
        .run_once()
        .await
        .expect("a system outage is not an engine error");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "the pass waited for the down system: {:?}",
        started.elapsed()
    );
    assert_eq!(summary.dead_letters, 0, "{summary:?}");
    assert_eq!(summary.orders_imported, 0);
    let outages = engine.outages();
    assert_eq!(outages.len(), 1, "{outages:?}");
    assert_eq!(outages[0].system, System::Erp);
    assert_eq!(outages[0].cause, OutageCause::Unauthenticated);
    assert!(
        outages[0].detail.contains("erp.invalid"),
        "{}",
        outages[0].detail
    );
    let scope = engine.config().scope.clone();
    let dead = engine
        .store()
        .jobs(&scope, Some(JobState::Dead))
        .await
        .unwrap();
    assert!(dead.is_empty(), "jobs failed for a system outage: {dead:?}");
    assert!(world.erp.documents().is_empty());

    // Mended: the next passes (once the breaker's wait is over) land every order once.
    world.erp.set_down(None);
    for _ in 0..40 {
        engine.run_once().await.unwrap();
        if engine.outages().is_empty() && world.erp.documents().len() >= orders.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(engine.outages().is_empty(), "{:?}", engine.outages());
    assert_each_order_once(&world, &orders);
}

/// A panic inside one job (a connector bug, a record nobody foresaw) is that job's dead letter
/// with the panic's message; the pass and the other jobs go on.
#[tokio::test]
async fn a_panicking_job_is_a_dead_letter_and_the_rest_of_the_pass_lands() {
    use sync_core::engine::memory::Injected;

    let world = world();
    let orders: Vec<Order> = (1..=3).map(|n| order(n, "A-RED", 1, 100)).collect();
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    world.erp.inject(Injected::Panic);
    let engine = engine(&world, sqlite().await, "w1");
    let summary = engine
        .run_once()
        .await
        .expect("a panic is not an engine error");
    assert_eq!(summary.dead_letters, 1, "{summary:?}");
    assert_eq!(summary.orders_imported, 2);
    let dead = engine.dead_letters().await.unwrap();
    assert_eq!(dead.len(), 1);
    let reason = dead[0].last_error.as_deref().unwrap_or_default();
    assert!(
        reason.contains("panicked") && reason.contains("injected panic"),
        "{reason}"
    );
    // Replayed once the cause is gone, it lands.
    engine.replay(Some(dead[0].id)).await.unwrap();
    engine.run_pending().await.unwrap();
    assert_each_order_once(&world, &orders);
}

/// A system found down while a flow read it, and mended, is reported up again at the next pass
/// that reads it, even when that pass has nothing to write to it.
#[tokio::test]
async fn a_mended_system_is_up_again_without_any_job_to_run() {
    use sync_core::error::{OutageCause, System};

    let world = world();
    let engine = engine(&world, sqlite().await, "w1");
    engine.run_once().await.unwrap();
    world.erp.set_down(Some(OutageCause::Unreachable));
    engine.run_once().await.unwrap();
    assert_eq!(
        engine
            .outages()
            .iter()
            .map(|o| o.system)
            .collect::<Vec<_>>(),
        [System::Erp]
    );
    world.erp.set_down(None);
    // Nothing changed in the ERP: no job will run, yet its reads answer.
    let summary = engine.run_once().await.unwrap();
    assert_eq!(summary.products_pushed, 0);
    assert!(engine.outages().is_empty(), "{:?}", engine.outages());
}
