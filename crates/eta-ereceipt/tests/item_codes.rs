//! Registered item codes: the client lists the taxpayer's code-usage requests and files new
//! ones through ETA's code API; the adapter takes each line's code from configuration and
//! parks a receipt whose code is not registered and active, naming the item, instead of
//! issuing it to become Invalid. Against the sandbox's ETA stand-in, over real HTTP.

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use eta_ereceipt::adapter::EtaTaxAuthority;
use eta_ereceipt::client::{CodeRequestQuery, CodeStatus, EtaClient, NewCodeRequest};
use eta_ereceipt::code_check::{CodeCheck, ItemCodeSource};
use eta_ereceipt::mapping::{ItemCodes, MappingConfig};
use rust_decimal_macros::dec;
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use sync_core::connector::{ConnectorResult, TaxAuthority};
use sync_core::model::{Order, ShippingLine, TaxLine};

fn order(n: u32, sku: &str) -> Order {
    common::paid_order(
        n,
        &format!("#{}", 3000 + n),
        sku,
        "Tea",
        dec!(1),
        dec!(114),
        "Paymob",
    )
}

async fn start() -> RunningSandbox {
    let mut config = SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    };
    let rin = config.eta.taxpayer_rin.clone();
    config.eta.registered_item_codes = Some(vec![
        format!("EG-{rin}-TEA-1"),
        format!("EG-{rin}-SVC-SHIP"),
    ]);
    Sandbox::start(config).await.unwrap()
}

fn client(sb: &RunningSandbox) -> EtaClient {
    common::client(sb, 0)
}

fn authority(sb: &RunningSandbox, mapping: MappingConfig) -> EtaTaxAuthority {
    EtaTaxAuthority::new(client(sb), common::seller(sb, 0), mapping).with_code_check(
        CodeCheck::new(client(sb)).with_intervals(Duration::from_secs(600), Duration::ZERO),
    )
}

fn mapping(sb: &RunningSandbox) -> MappingConfig {
    common::mapping(sb)
}

fn request(rin: &str, code: &str) -> NewCodeRequest {
    NewCodeRequest {
        code_type: "EGS".into(),
        parent_code: "10000115".into(),
        item_code: format!("EG-{rin}-{code}"),
        code_name: "Coffee".into(),
        code_name_ar: "قهوة".into(),
        active_from: "2026-01-01T00:00:00Z".into(),
        active_to: None,
        description: None,
        description_ar: None,
        request_reason: Some("sold in the web shop".into()),
    }
}

#[tokio::test]
async fn the_client_lists_registered_codes_and_files_code_usage_requests() {
    let sb = start().await;
    let rin = sb.config().eta.taxpayer_rin.clone();
    let eta = client(&sb);
    let now = Utc::now();
    let codes = eta.registered_codes().await.unwrap();
    assert_eq!(codes.len(), 2);
    assert_eq!(
        codes.status(&format!("EG-{rin}-TEA-1"), now),
        CodeStatus::Active
    );
    let coffee = format!("EG-{rin}-COFFEE-9");
    assert_eq!(codes.status(&coffee, now), CodeStatus::NotRegistered);

    // A request that breaks ETA's rules is refused before anything is sent.
    let mut bad = request(&rin, "COFFEE-9");
    bad.parent_code = "123".into();
    let e = eta.request_codes(&rin, &[bad]).await.unwrap_err();
    assert!(e.to_string().contains("parentCode"), "{e}");
    assert!(sb.eta().code_requests().len() == 2);

    eta.request_codes(&rin, &[request(&rin, "COFFEE-9")])
        .await
        .unwrap();
    let page = eta
        .my_code_requests(&CodeRequestQuery {
            item_code: Some(coffee.clone()),
            ..CodeRequestQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.requests.len(), 1);
    assert_eq!(page.requests[0].status.as_deref(), Some("Submitted"));
    assert_eq!(
        eta.registered_codes().await.unwrap().status(&coffee, now),
        CodeStatus::Submitted
    );
    // Filing it again is refused by ETA (one request per code).
    let e = eta
        .request_codes(&rin, &[request(&rin, "COFFEE-9")])
        .await
        .unwrap_err();
    assert!(e.to_string().contains("already"), "{e}");

    assert!(sb.eta().decide_code_request(&coffee, true));
    assert_eq!(
        eta.registered_codes()
            .await
            .unwrap()
            .status(&coffee, Utc::now()),
        CodeStatus::Active
    );
    sb.shutdown().await;
}

#[tokio::test]
async fn a_receipt_with_an_unregistered_code_is_parked_naming_the_item_until_the_code_is_approved()
{
    let sb = start().await;
    let rin = sb.config().eta.taxpayer_rin.clone();
    let eta = authority(&sb, mapping(&sb));
    let coffee = order(1, "COFFEE-9");
    let e = eta.prepare(&coffee, None).await.unwrap_err();
    let code = format!("EG-{rin}-COFFEE-9");
    assert_eq!(e.mapping(), Some(format!("eta-item-code:{code}").as_str()));
    let text = e.to_string();
    assert!(
        text.contains("receipt 3001")
            && text.contains("line \"Tea\" (SKU COFFEE-9)")
            && text.contains("not registered"),
        "{text}"
    );
    // A registered code passes.
    eta.prepare(&order(2, "TEA-1"), None).await.unwrap();

    // Filed, it is still not usable; approved, it is (the codes are read again at once here).
    client(&sb)
        .request_codes(&rin, &[request(&rin, "COFFEE-9")])
        .await
        .unwrap();
    let e = eta.prepare(&coffee, None).await.unwrap_err();
    assert!(e.to_string().contains("awaiting ETA's approval"), "{e}");
    sb.eta().decide_code_request(&code, true);
    eta.prepare(&coffee, None).await.unwrap();
    sb.shutdown().await;
}

#[tokio::test]
async fn codes_come_from_the_mapping_and_shipping_carries_the_service_code() {
    let sb = start().await;
    let rin = sb.config().eta.taxpayer_rin.clone();
    let mut config = mapping(&sb);
    config.item_codes = ItemCodes::default()
        .with_code("COFFEE-9", &format!("EG-{rin}-TEA-1"))
        .unwrap()
        .with_service_code(&format!("EG-{rin}-SVC-SHIP"))
        .unwrap();
    let eta = authority(&sb, config);
    let mut o = order(1, "COFFEE-9");
    o.shipping_lines = vec![ShippingLine {
        title: "Courier".into(),
        price: dec!(57),
        discount: dec!(0),
        tax_lines: vec![TaxLine {
            title: "VAT".into(),
            rate: dec!(0.14),
            amount: dec!(7),
        }],
    }];
    o.total = dec!(171);
    o.payments[0].amount = dec!(171);
    // Mapped to a registered code, shipping to the registered service code: not parked.
    eta.prepare(&o, None).await.unwrap();
    let built = eta.build_sale(&o, &Default::default()).unwrap();
    let body: serde_json::Value = serde_json::from_str(&built.body).unwrap();
    assert_eq!(body["itemData"][0]["itemCode"], format!("EG-{rin}-TEA-1"));
    assert_eq!(body["itemData"][0]["internalCode"], "COFFEE-9");
    assert_eq!(
        body["itemData"][1]["itemCode"],
        format!("EG-{rin}-SVC-SHIP")
    );
    // And ETA finds it Valid.
    let out = eta.submit(&[built]).await.unwrap();
    assert_eq!(
        out[0].state,
        sync_core::model::ReceiptState::Accepted,
        "{out:?}"
    );
    sb.shutdown().await;
}

struct FromErp(Vec<(String, String)>);

#[async_trait]
impl ItemCodeSource for FromErp {
    async fn item_codes(&self) -> ConnectorResult<Vec<(String, String)>> {
        Ok(self.0.clone())
    }
}

#[tokio::test]
async fn codes_read_from_the_erp_are_used_and_a_malformed_one_parks_naming_the_sku() {
    let sb = start().await;
    let rin = sb.config().eta.taxpayer_rin.clone();
    let source = FromErp(vec![
        ("COFFEE-9".into(), format!("EG-{rin}-TEA-1")),
        ("MUG-2".into(), "not a code".into()),
    ]);
    let eta =
        authority(&sb, mapping(&sb)).with_code_source(Arc::new(source), Duration::from_secs(60));
    eta.prepare(&order(1, "COFFEE-9"), None).await.unwrap();
    let built = eta
        .build_sale(&order(1, "COFFEE-9"), &Default::default())
        .unwrap();
    assert!(
        built
            .body
            .contains(&format!("\"itemCode\":\"EG-{rin}-TEA-1\"")),
        "{}",
        built.body
    );
    let e = eta.prepare(&order(2, "MUG-2"), None).await.unwrap_err();
    assert_eq!(e.mapping(), Some("eta-item-code:MUG-2"));
    assert!(e.to_string().contains("not an ETA item code"), "{e}");
    sb.shutdown().await;
}
