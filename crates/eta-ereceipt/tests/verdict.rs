//! Receipts to their final status: ETA's submit answer reflects its synchronous checks only;
//! the adapter reads the verdict (Valid, or Invalid with ETA's reasons) from the submission's
//! details, and a verdict that comes later is found by a look-up, never by sending again.
//! Against the sandbox's ETA stand-in, over real HTTP.

mod common;

use std::time::Duration;

use eta_ereceipt::adapter::EtaTaxAuthority;
use rust_decimal_macros::dec;
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use sync_core::connector::TaxAuthority;
use sync_core::model::{Order, ReceiptState};

fn order(n: u32, sku: &str) -> Order {
    common::paid_order(
        n,
        &format!("#{}", 2000 + n),
        sku,
        "Tea",
        dec!(1),
        dec!(114),
        "Paymob",
    )
}

async fn start(delay: Duration) -> RunningSandbox {
    let mut config = SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    };
    let rin = config.eta.taxpayer_rin.clone();
    config.eta.registered_item_codes = Some(vec![format!("EG-{rin}-TEA-1")]);
    config.eta.validation_delay = delay;
    Sandbox::start(config).await.unwrap()
}

fn authority(sb: &RunningSandbox) -> EtaTaxAuthority {
    common::authority(sb, 0)
}

#[tokio::test]
async fn a_receipt_eta_finds_invalid_is_answered_invalid_with_etas_reasons_not_accepted() {
    let sb = start(Duration::ZERO).await;
    let eta = authority(&sb);
    let good = eta
        .build_sale(&order(1, "TEA-1"), &Default::default())
        .unwrap();
    let bad = eta.build_sale(&order(2, "COFFEE-9"), &good.uuid).unwrap();
    let out = eta.submit(&[good.clone(), bad.clone()]).await.unwrap();
    assert_eq!(out[0].state, ReceiptState::Accepted, "{out:?}");
    assert!(out[0].long_id.is_some());
    assert_eq!(out[1].state, ReceiptState::Invalid, "{out:?}");
    let reason = out[1].reason.clone().unwrap();
    assert!(
        reason.starts_with("ETA status Invalid")
            && reason.contains("ItemCodeNotRegistered")
            && reason.contains("receipt.itemData[0].itemCode"),
        "{reason}"
    );
    // The receipt itself says the same.
    let found = eta.lookup(&bad.uuid).await.unwrap().unwrap();
    assert_eq!(found.state, ReceiptState::Invalid);
    assert!(found.reason.unwrap().contains("ItemCodeNotRegistered"));
    sb.shutdown().await;
}

#[tokio::test]
async fn a_late_verdict_is_pending_then_found_by_look_up_without_sending_again() {
    let sb = start(Duration::from_millis(1_500)).await;
    let eta = authority(&sb).with_verdict_waits(vec![Duration::ZERO]);
    let good = eta
        .build_sale(&order(1, "TEA-1"), &Default::default())
        .unwrap();
    let bad = eta.build_sale(&order(2, "COFFEE-9"), &good.uuid).unwrap();
    let out = eta.submit(&[good.clone(), bad.clone()]).await.unwrap();
    assert!(
        out.iter().all(|o| o.state == ReceiptState::Pending),
        "{out:?}"
    );
    let submission = out[0]
        .submission
        .clone()
        .expect("the submission's uuid is kept");
    assert_eq!(out[1].submission.as_deref(), Some(submission.as_str()));
    let uuids = [good.uuid.clone(), bad.uuid.clone()];
    assert!(
        eta.verdicts(Some(&submission), &uuids)
            .await
            .unwrap()
            .is_empty(),
        "nothing decided yet"
    );
    assert_eq!(
        eta.lookup(&good.uuid).await.unwrap().unwrap().state,
        ReceiptState::Pending
    );
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    assert_eq!(
        eta.lookup(&good.uuid).await.unwrap().unwrap().state,
        ReceiptState::Accepted
    );
    assert_eq!(
        eta.lookup(&bad.uuid).await.unwrap().unwrap().state,
        ReceiptState::Invalid
    );
    // The submission's details give both verdicts, with ETA's reasons for the Invalid one.
    let verdicts = eta.verdicts(Some(&submission), &uuids).await.unwrap();
    let of = |u: &sync_core::model::ReceiptUuid| verdicts.iter().find(|v| &v.uuid == u).unwrap();
    assert_eq!(of(&good.uuid).state, ReceiptState::Accepted);
    assert_eq!(of(&bad.uuid).state, ReceiptState::Invalid);
    assert!(
        of(&bad.uuid)
            .reason
            .as_deref()
            .unwrap()
            .contains("ItemCodeNotRegistered")
    );
    // Without the submission, each receipt is read.
    let read = eta.verdicts(None, &uuids).await.unwrap();
    assert_eq!(read.len(), 2, "{read:?}");
    assert_eq!(sb.eta().stats()["submissions"], 1, "sent once");
    sb.shutdown().await;
}

#[tokio::test]
async fn an_invalid_receipt_is_replaced_by_one_naming_it_in_reference_old_uuid() {
    let sb = start(Duration::ZERO).await;
    let eta = authority(&sb);
    let bad = eta
        .build_sale(&order(2, "COFFEE-9"), &Default::default())
        .unwrap();
    let out = eta.submit(std::slice::from_ref(&bad)).await.unwrap();
    assert_eq!(out[0].state, ReceiptState::Invalid, "{out:?}");
    // The replacement of a Valid receipt is refused; of the Invalid one, taken.
    let good = eta.build_sale(&order(1, "TEA-1"), &bad.uuid).unwrap();
    assert_eq!(
        eta.submit(std::slice::from_ref(&good)).await.unwrap()[0].state,
        ReceiptState::Accepted
    );
    let wrong = eta
        .build_replacement(&order(1, "TEA-1"), None, &good.uuid, &good.uuid)
        .unwrap();
    let refused = eta.submit(std::slice::from_ref(&wrong)).await.unwrap();
    assert_eq!(refused[0].state, ReceiptState::Rejected, "{refused:?}");
    assert!(
        refused[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("referenceOldUUID")
    );
    let replacement = eta
        .build_replacement(&order(2, "TEA-1"), None, &bad.uuid, &good.uuid)
        .unwrap();
    assert!(
        replacement
            .body
            .contains(&format!("\"referenceOldUUID\":\"{}\"", bad.uuid)),
        "{}",
        replacement.body
    );
    let out = eta
        .submit(std::slice::from_ref(&replacement))
        .await
        .unwrap();
    assert_eq!(out[0].state, ReceiptState::Accepted, "{out:?}");
    sb.shutdown().await;
}
