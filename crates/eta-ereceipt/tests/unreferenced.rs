//! A return without reference (`RWR`): the refund of a sale made before the connector went
//! live, which ETA never received, issued on the device's chain against the sandbox's ETA
//! stand-in over real HTTP, and found again by its number.

mod common;

use chrono::{Duration, Utc};
use rust_decimal_macros::dec;
use sandbox::{Sandbox, SandboxConfig};
use sync_core::connector::TaxAuthority;
use sync_core::model::{ReceiptState, Refund, RefundLine, Sku};

#[tokio::test]
async fn a_refund_of_a_sale_eta_never_received_is_a_valid_return_without_reference() {
    let sb = Sandbox::start(SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let eta = common::authority(&sb, 0);
    let mut order = common::paid_order(9, "#1009", "TEA-1", "Tea", dec!(2), dec!(57), "Paymob");
    // Sold three days ago, before go-live: ETA holds no receipt of it.
    order.created_at = Utc::now() - Duration::days(3);
    assert_eq!(eta.find_receipt(&order, None).await.unwrap(), None);
    let refund = Refund {
        external_id: "91".into(),
        created_at: Utc::now(),
        lines: vec![RefundLine {
            line_id: "L1".into(),
            sku: Some(Sku::from("TEA-1")),
            quantity: dec!(1),
            amount: dec!(57),
            tax: dec!(7),
        }],
        shipping: dec!(0),
        total: dec!(57),
        payments: vec![],
    };
    order.refunds.push(refund.clone());
    let built = eta
        .build_unreferenced_return(&order, &refund, &Default::default())
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&built.body).unwrap();
    assert_eq!(body["documentType"]["receiptType"], "RWR");
    assert!(body["header"].get("referenceUUID").is_none(), "{body}");
    assert!(
        body["header"]["documentUseReason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    assert_eq!(
        body["header"]["salesIssuedDateTime"],
        order.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    let outcomes = eta.submit(std::slice::from_ref(&built)).await.unwrap();
    assert_eq!(outcomes[0].state, ReceiptState::Accepted, "{outcomes:?}");
    // A lost state store finds it again by the refund's number, though ETA's search has no
    // code for its type.
    let found = eta
        .find_receipt(&order, Some(&refund))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.uuid, built.uuid);
    sb.shutdown().await;
}
