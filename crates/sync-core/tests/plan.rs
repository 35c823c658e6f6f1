//! `plan` against `run_once`: both call the flows' same decisions.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use rust_decimal::Decimal;
use sync_core::clock::{Clock, FixedClock};
use sync_core::engine::JobKind;
use sync_core::model::*;
use sync_core::store::*;

/// `plan` and `run_once` call the same decisions: after a change in every source a flow reads,
/// the plan lists exactly the jobs the following run queues from them (the jobs that running
/// those queue in turn, a sale's receipt after its import, are consequences a plan does not
/// list), and the run does every one of them.
#[tokio::test]
async fn plan_lists_exactly_what_the_following_run_does_in_every_flow() {
    let world = world();
    let first = order(1, "A-RED", 1, 100);
    world.shop.put_order(first.clone());
    // A clock that stands still between the plan and the run, so time-stamped keys agree.
    let clock = Arc::new(FixedClock::new(t(0) + chrono::Duration::days(1)));
    let store = sqlite().await;
    let engine = engine(&world, store.clone(), "w1").with_clock(clock.clone());
    engine.run_once().await.unwrap();
    clock.advance(Duration::from_secs(600));
    assert!(
        engine.plan().await.unwrap().is_empty(),
        "nothing left after a run"
    );

    // A change in every source.
    let mut groups = catalog();
    groups[0].title = "A, renamed".to_owned();
    groups[1].variants[0].price = Decimal::new(199, 0);
    world.erp.set_groups(groups);
    let mut levels = stock();
    levels[0].quantity += 5;
    world.erp.set_stock(levels);
    world.erp.set_promotions(vec![Promotion {
        code: "EID".to_owned(),
        title: "Eid".to_owned(),
        percent_off: Decimal::new(10, 0),
        skus: vec![Sku::from("C-WHITE")],
        starts_at: t(0),
        ends_at: None,
    }]);
    let mut renamed = customer("77");
    renamed.updated_at = t(20);
    world.shop.put_customer(renamed);
    let mut cancelled = first.clone();
    cancelled.cancelled_at = Some(t(30));
    cancelled.updated_at = t(30);
    world.shop.put_order(cancelled);
    world.shop.put_order(order(2, "B-BLACK", 1, 250));
    world.erp.add_shipment(
        clock.now_utc(),
        Shipment {
            order_external_id: first.external_id.clone(),
            document: ErpDocumentRef {
                operation: "SALINV".to_owned(),
                number: "1".into(),
            },
            carrier: None,
            tracking_number: None,
        },
    );

    let scope = engine.config().scope.clone();
    let before: BTreeSet<i64> = store
        .jobs(&scope, None)
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    let plan = engine.plan().await.unwrap();
    let flows: BTreeSet<(&str, &str)> = plan
        .iter()
        .map(|w| (w.flow.as_str(), w.action.as_str()))
        .collect();
    for expected in [
        ("catalog", "update"),
        ("prices", "update"),
        ("promotions", "create"),
        ("stock", "update"),
        ("customers", "create"),
        ("orders", "create"),
        ("orders", "delete"),
        ("fulfillments", "create"),
    ] {
        assert!(flows.contains(&expected), "{expected:?} not in {flows:?}");
    }
    let planned: BTreeSet<(String, String)> = plan
        .iter()
        .map(|w| (w.job_kind.to_string(), w.job_key.clone()))
        .collect();
    assert_eq!(planned.len(), plan.len(), "a job is planned twice");

    engine.run_once().await.unwrap();
    let ran: Vec<Job> = store
        .jobs(&scope, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| !before.contains(&j.id))
        .collect();
    let queued: BTreeSet<(String, String)> = ran
        .iter()
        .map(|j| (j.kind.clone(), j.key.clone()))
        .collect();
    let missing: Vec<_> = planned.difference(&queued).collect();
    assert!(missing.is_empty(), "planned but not run: {missing:?}");
    let receipt_kinds = [
        JobKind::IssueReceipt,
        JobKind::SubmitReceipts,
        JobKind::RecordReceipt,
    ]
    .map(|k| k.to_string());
    let unplanned: Vec<_> = queued
        .difference(&planned)
        .filter(|(kind, _)| !receipt_kinds.contains(kind))
        .collect();
    assert!(unplanned.is_empty(), "run but not planned: {unplanned:?}");
    assert!(
        ran.iter().all(|j| j.state == JobState::Done),
        "{:?}",
        ran.iter()
            .filter(|j| j.state != JobState::Done)
            .map(|j| (&j.kind, &j.key, j.state, &j.last_error))
            .collect::<Vec<_>>()
    );
    assert!(
        engine.plan().await.unwrap().is_empty(),
        "nothing left after the run"
    );
}
