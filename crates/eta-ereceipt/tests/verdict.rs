//! Receipts to their final status: ETA's submit answer reflects its synchronous checks only;
//! the adapter reads the verdict (Valid, or Invalid with ETA's reasons) from the submission's
//! details, and a verdict that comes later is found by a look-up, never by sending again.
//! Against the sandbox's ETA stand-in, over real HTTP.

use std::time::Duration;

use chrono::Utc;
use eta_ereceipt::adapter::EtaTaxAuthority;
use eta_ereceipt::builder::example_seller;
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials};
use eta_ereceipt::codes::PaymentMethod;
use eta_ereceipt::mapping::MappingConfig;
use rust_decimal_macros::dec;
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use sync_core::connector::TaxAuthority;
use sync_core::model::{FinancialStatus, Order, OrderLine, Payment, ReceiptState, Sku, TaxLine};
use sync_core::money::Currency;

fn order(n: u32, sku: &str) -> Order {
    let at = Utc::now() - chrono::Duration::minutes(5);
    Order {
        external_id: format!("gid://shopify/Order/{n}").into(),
        name: format!("#{}", 2000 + n),
        created_at: at,
        updated_at: at,
        currency: Currency::EGP,
        taxes_included: true,
        customer: None,
        email: None,
        phone: None,
        billing_address: None,
        shipping_address: None,
        lines: vec![OrderLine {
            line_id: "L1".into(),
            sku: Some(Sku::from(sku)),
            title: "Tea".into(),
            quantity: dec!(1),
            unit_price: dec!(114),
            discount: dec!(0),
            tax_lines: vec![TaxLine {
                title: "VAT".into(),
                rate: dec!(0.14),
                amount: dec!(14),
            }],
        }],
        shipping_lines: vec![],
        total: dec!(114),
        total_tax: dec!(14),
        financial_status: FinancialStatus::Paid,
        fulfilled: false,
        cancelled_at: None,
        payments: vec![Payment {
            gateway: "Paymob".into(),
            amount: dec!(114),
        }],
        refunds: vec![],
    }
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
    let cfg = &sb.config().eta;
    let dev = &cfg.devices[0];
    let credentials = PosCredentials::new(
        cfg.client_id.clone(),
        cfg.client_secret.clone(),
        dev.serial.clone(),
        "os",
        "1",
        dev.preshared_key.clone(),
    );
    let client = EtaClient::builder(Environment::Preproduction, credentials)
        .identity_url(sb.eta_url())
        .api_url(sb.eta_url())
        .build()
        .unwrap();
    let mut seller = example_seller();
    seller.rin = cfg.taxpayer_rin.clone();
    seller.device_serial_number = dev.serial.clone();
    let mapping =
        MappingConfig::new(cfg.taxpayer_rin.clone()).gateway("paymob", PaymentMethod::Visa);
    EtaTaxAuthority::new(client, seller, mapping)
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
