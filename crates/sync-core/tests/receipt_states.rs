//! Receipt states: the text forms earlier versions stored are read as the new states, a
//! receipt stored as sent but undecided is carried to its final status by the polling job,
//! which reads the verdict and never sends the receipt again, and a return waiting for its
//! sale's verdict goes on as soon as the sale is Valid.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use sync_core::clock::{Clock, FixedClock};
use sync_core::engine::{JobKind, ReceiptPhase};
use sync_core::model::Order;
use sync_core::model::ReceiptState;
use sync_core::store::JobState;

#[tokio::test]
async fn older_stored_states_read_as_new_and_an_undecided_receipt_is_polled_not_resent() {
    let world = world();
    let orders: Vec<Order> = (1..=3).map(|n| order(n, "A-BLUE", 1, 100)).collect();
    for o in &orders {
        world.shop.put_order(o.clone());
    }
    let store = sqlite().await;
    let engine = engine(&world, store.clone(), "w1");
    let first = engine.run_once().await.unwrap();
    assert_eq!(first.receipts_accepted, 3);
    let statuses = engine.receipt_statuses(None).await.unwrap();
    assert_eq!(statuses.len(), 3);
    assert!(statuses.iter().all(|r| r.state == ReceiptPhase::Valid));
    assert!(statuses.iter().all(|r| r.deadline.is_some()));
    assert!(
        statuses.iter().all(|r| r.submitted_at.is_some()),
        "{statuses:?}"
    );
    assert_eq!(
        statuses[0].order_name.as_deref(),
        Some(orders[0].name.as_str())
    );

    // A store written by an earlier version: `accepted`, `pending`, `issued`-era forms.
    let mut bindings = store.bindings(&"shop-1".into(), "receipt").await.unwrap();
    bindings.sort_by(|a, b| a.key.cmp(&b.key));
    for (binding, old) in bindings.iter_mut().zip(["accepted", "pending", "pending"]) {
        binding.data["state"] = serde_json::json!(old);
        if let Some(data) = binding.data.as_object_mut() {
            data.remove("submission");
            data.remove("deadline");
            data.remove("name");
        }
        store.put_binding(binding).await.unwrap();
    }
    let read = engine.receipt_statuses(None).await.unwrap();
    let count = |phase| read.iter().filter(|r| r.state == phase).count();
    assert_eq!(count(ReceiptPhase::Valid), 1, "{read:?}");
    assert_eq!(count(ReceiptPhase::Submitted), 2, "{read:?}");
    assert_eq!(
        engine
            .receipt_statuses(Some(ReceiptPhase::Submitted))
            .await
            .unwrap()
            .len(),
        2
    );
    let states = engine.receipt_states().await.unwrap();
    assert_eq!(states.get("submitted"), Some(&2), "{states:?}");

    // The next pass queues the polling job, which reads each verdict once.
    let sent_before = world.tax.received().len();
    let second = engine.run_once().await.unwrap();
    assert_eq!(second.receipts_accepted, 2, "{second:?}");
    assert_eq!(
        world.tax.received().len(),
        sent_before,
        "nothing sent again"
    );
    assert!(
        engine
            .receipt_statuses(None)
            .await
            .unwrap()
            .iter()
            .all(|r| r.state == ReceiptPhase::Valid)
    );
    let polls: Vec<_> = store
        .jobs(&"shop-1".into(), Some(JobState::Done))
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == JobKind::PollReceipts.as_str())
        .collect();
    assert_eq!(polls.len(), 1, "one polling job: {polls:?}");
    // And a third pass has nothing to poll.
    let third = engine.run_once().await.unwrap();
    assert_eq!(third.receipts_accepted, 0);
}

#[tokio::test]
async fn a_return_waiting_for_its_sale_verdict_goes_on_when_the_sale_turns_valid_not_after_its_wait()
 {
    let world = world();
    // The engine's clock stands hours after the store's (real) job times, so a return that
    // waits for its sale waits the longest, an hour; a verdict is read again after half its
    // age, from 100 ms.
    let clock = Arc::new(FixedClock::new(
        chrono::Utc::now() + chrono::Duration::hours(10),
    ));
    let mut config = config("w1");
    config.receipt_poll_min = Duration::from_millis(100);
    config.receipt_poll_max = Duration::from_secs(3600);
    let store = sqlite().await;
    let engine = configured_engine(&world, store.clone(), config).with_clock(clock.clone());
    let sale = order(1, "A-BLUE", 2, 100);
    world.shop.put_order(sale.clone());

    // ETA takes the sale receipt and keeps its verdict for later.
    world.tax.hold_verdicts(true);
    engine.run_once().await.unwrap();
    assert_eq!(world.tax.received().len(), 1, "the sale receipt was sent");
    assert_eq!(phase(&engine).await, [ReceiptPhase::Submitted]);

    // A refund of one unit: its Flow return is written, its receipt waits for the sale.
    let mut refunded = sale.clone();
    refunded
        .refunds
        .push(unit_refund("9", "L1", "A-BLUE", 100, 30));
    refunded.updated_at = t(30);
    world.shop.put_order(refunded);
    engine.run_once().await.unwrap();
    assert_eq!(
        world.tax.received().len(),
        1,
        "no return receipt before the sale is Valid"
    );
    let waiting: Vec<_> = store
        .jobs(&"shop-1".into(), Some(JobState::Pending))
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.key.contains("gid://shop/Refund/9"))
        .collect();
    assert_eq!(
        waiting.len(),
        1,
        "the return's receipt job waits: {waiting:?}"
    );
    let due = waiting[0].run_after;
    assert!(
        due - clock.now_utc() > chrono::Duration::minutes(30),
        "the return waits long on its own ({due})"
    );

    // ETA decides the sale Valid; the next reading of its verdict is a few minutes away at
    // most, the return's own wait an hour.
    world.tax.hold_verdicts(false);
    clock.advance(Duration::from_secs(600));
    assert!(clock.now_utc() < due);
    engine.run_once().await.unwrap();
    let received = world.tax.received();
    assert_eq!(
        received.len(),
        2,
        "the return receipt was issued once the sale was Valid"
    );
    assert_eq!(received[1].2.state, ReceiptState::Accepted);
    assert_eq!(
        received[1].1, received[0].0,
        "the return is chained after the sale"
    );
    assert!(
        clock.now_utc() < due,
        "issued before the return's wait was over: the sale's verdict woke it"
    );
    assert_eq!(
        phase(&engine).await,
        [ReceiptPhase::Valid, ReceiptPhase::Valid]
    );
}

async fn phase(engine: &sync_core::engine::Engine) -> Vec<ReceiptPhase> {
    engine
        .receipt_statuses(None)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.state)
        .collect()
}
