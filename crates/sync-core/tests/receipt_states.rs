//! Receipt states: the text forms earlier versions stored are read as the new states, and a
//! receipt stored as sent but undecided is carried to its final status by the polling job,
//! which reads the verdict and never sends the receipt again.

mod common;

use common::*;
use sync_core::engine::{JobKind, ReceiptPhase};
use sync_core::model::Order;
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
