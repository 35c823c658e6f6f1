//! The state store is a cache and the systems are the truth: what a store failure, a lost
//! state file or a power cut may not cost.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::*;
use sync_core::engine::{WebhookError, WebhookEvent, WebhookOutcome, WebhookVerifier};

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
            order_id: header("x-order-id"),
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
        .handle_webhook(&delivery("ev-9", &placed.external_id), b"{}")
        .await;
    assert!(
        matches!(first, Err(WebhookError::Store(_))),
        "a failed queueing is a store error (500): {first:?}"
    );
    let retried = engine
        .handle_webhook(&delivery("ev-9", &placed.external_id), b"{}")
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
            .handle_webhook(&delivery("ev-9", &placed.external_id), b"{}")
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
