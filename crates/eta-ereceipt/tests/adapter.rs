//! The sync-core tax-authority adapter over neutral orders and refunds.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use eta_ereceipt::adapter::EtaTaxAuthority;
use eta_ereceipt::builder::example_seller;
use eta_ereceipt::canonical::receipt_uuid;
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials};
use eta_ereceipt::codes::PaymentMethod;
use eta_ereceipt::mapping::MappingConfig;
use eta_ereceipt::model::Receipt;
use eta_ereceipt::validate::{ValidationOptions, validate_json};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sync_core::clock::FixedClock;
use sync_core::connector::TaxAuthority;
use sync_core::model::{
    FinancialStatus, Order, OrderLine, Payment, ReceiptState, ReceiptUuid, Refund, RefundLine,
    ShippingLine, Sku, TaxLine,
};
use sync_core::money::Currency;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap()
}

fn vat(amount: Decimal) -> Vec<TaxLine> {
    vec![TaxLine {
        title: "VAT".into(),
        rate: dec!(0.14),
        amount,
    }]
}

fn order(taxes_included: bool) -> Order {
    Order {
        external_id: "gid://shopify/Order/1".into(),
        name: "#1001".into(),
        created_at: now() - chrono::Duration::hours(2),
        updated_at: now(),
        currency: Currency::EGP,
        taxes_included,
        customer: None,
        email: None,
        phone: None,
        billing_address: None,
        shipping_address: None,
        lines: vec![
            OrderLine {
                line_id: "L1".into(),
                sku: Some(Sku::from("TEA-1")),
                title: "Tea".into(),
                quantity: dec!(3),
                unit_price: dec!(33.33),
                discount: dec!(5.00),
                tax_lines: vat(dec!(11.67)),
            },
            OrderLine {
                line_id: "L2".into(),
                sku: None,
                title: "Gift wrap".into(),
                quantity: dec!(1),
                unit_price: dec!(10),
                discount: dec!(10),
                tax_lines: vat(dec!(0)),
            },
        ],
        shipping_lines: vec![ShippingLine {
            title: "Bosta".into(),
            price: dec!(45.50),
            discount: dec!(0),
            tax_lines: vat(dec!(5.59)),
        }],
        total: dec!(99.99) - dec!(5) + dec!(45.50),
        total_tax: dec!(17.26),
        financial_status: FinancialStatus::Paid,
        fulfilled: false,
        cancelled_at: None,
        payments: vec![Payment {
            gateway: "Paymob".into(),
            amount: dec!(140.49),
        }],
        refunds: vec![],
        buyer: Default::default(),
        presentment: None,
        exchanges: Vec::new(),
        source: None,
        location: None,
    }
}

fn authority(server_uri: &str) -> EtaTaxAuthority {
    let credentials = PosCredentials::new("cid", "secret", "POS-1", "os", "1", "psk");
    let client = EtaClient::builder(Environment::Preproduction, credentials)
        .identity_url(server_uri)
        .api_url(server_uri)
        .build()
        .unwrap();
    let config = MappingConfig::new("674859545").gateway("paymob", PaymentMethod::Visa);
    EtaTaxAuthority::new(client, example_seller(), config)
        .with_clock(Arc::new(FixedClock::new(now())))
}

#[test]
fn sale_receipt_totals_what_was_paid_and_is_chained_and_sealed() {
    let eta = authority("http://127.0.0.1:9");
    assert_eq!(eta.device(), "POS-1");
    let previous = ReceiptUuid::new("ab".repeat(32));
    let built = eta.build_sale(&order(true), &previous).unwrap();
    assert_eq!(built.total, dec!(140.49));
    assert_eq!(built.previous_uuid, previous);
    assert_eq!(receipt_uuid(&built.body).unwrap().as_str(), built.uuid);
    let strict = ValidationOptions::at(now()).tolerance(dec!(0.00001));
    assert_eq!(validate_json(&built.body, &strict), vec![]);
    let r = Receipt::from_json(&built.body).unwrap();
    assert_eq!(r.header.previous_uuid, previous);
    assert_eq!(r.header.receipt_number, "1001");
    assert_eq!(r.header.date_time_issued, "2026-11-28T09:00:00Z");
    assert_eq!(r.payment_method, PaymentMethod::Visa);
    assert_eq!(
        r.item_data.len(),
        3,
        "two lines (one fully discounted) and shipping"
    );
    assert_eq!(r.item_data[1].total, dec!(0));
    assert_eq!(r.item_data[1].internal_code, "L2");
    assert_eq!(r.item_data[2].internal_code, "SHIPPING");
}

#[test]
fn tax_exclusive_orders_add_the_taxes_charged() {
    let mut o = order(false);
    o.lines.truncate(1);
    o.lines[0].unit_price = dec!(100);
    o.lines[0].quantity = dec!(1);
    o.lines[0].discount = dec!(0);
    o.lines[0].tax_lines = vat(dec!(14));
    o.shipping_lines.clear();
    let built = authority("http://127.0.0.1:9")
        .build_sale(&o, &ReceiptUuid::default())
        .unwrap();
    assert_eq!(built.total, dec!(114));
    let r = Receipt::from_json(&built.body).unwrap();
    assert_eq!(r.item_data[0].unit_price, dec!(100));
    assert_eq!(r.item_data[0].taxable_items[0].amount, dec!(14));
}

#[test]
fn unmapped_gateway_parks_for_a_mapping() {
    let mut o = order(true);
    o.payments[0].gateway = "Bank Transfer".into();
    let err = authority("http://127.0.0.1:9")
        .build_sale(&o, &ReceiptUuid::default())
        .unwrap_err();
    assert_eq!(err.mapping(), Some("gateway:bank transfer"));
}

#[test]
fn return_receipt_references_the_sale_and_covers_the_refund() {
    let o = order(true);
    let refund = Refund {
        external_id: "77".into(),
        created_at: now(),
        lines: vec![RefundLine {
            line_id: "L1".into(),
            sku: Some(Sku::from("TEA-1")),
            quantity: dec!(1),
            amount: dec!(31.66),
            tax: dec!(3.89),
        }],
        shipping: dec!(45.50),
        total: dec!(77.16),
        payments: vec![],
    };
    let sale_uuid = ReceiptUuid::new("cd".repeat(32));
    let built = authority("http://127.0.0.1:9")
        .build_return(&o, &refund, &sale_uuid, &ReceiptUuid::default())
        .unwrap();
    assert_eq!(built.total, dec!(77.16));
    let r = Receipt::from_json(&built.body).unwrap();
    assert_eq!(r.header.reference_uuid.as_deref(), Some(sale_uuid.as_str()));
    assert_eq!(r.header.receipt_number, "1001-R77");
    assert_eq!(r.item_data.len(), 2);
    let strict = ValidationOptions::at(now()).tolerance(dec!(0.00001));
    assert_eq!(validate_json(&built.body, &strict), vec![]);
    let bad = Refund {
        lines: vec![RefundLine {
            line_id: "nope".into(),
            ..refund.lines[0].clone()
        }],
        ..refund
    };
    assert!(
        authority("http://127.0.0.1:9")
            .build_return(&o, &bad, &sale_uuid, &ReceiptUuid::default())
            .is_err()
    );
}

#[tokio::test]
async fn submit_and_lookup_report_states() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"access_token": "t", "expires_in": 3600})),
        )
        .mount(&server)
        .await;
    let eta = authority(&server.uri());
    let a = eta
        .build_sale(&order(true), &ReceiptUuid::default())
        .unwrap();
    let mut second = order(true);
    second.name = "#1002".into();
    let b = eta.build_sale(&second, &a.uuid).unwrap();
    Mock::given(method("POST"))
        .and(path("/api/v1/receiptsubmissions"))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({
            "submissionId": "S",
            "acceptedDocuments": [{"uuid": a.uuid, "longId": "LONG-A", "receiptNumber": "1001", "hashKey": "h"}],
            "rejectedDocuments": [{"uuid": b.uuid, "receiptNumber": "1002", "error": {"code": "Invalid", "message": "bad buyer"}}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    // The verdict: the accepted receipt is Valid in the submission's details.
    Mock::given(method("GET"))
        .and(path("/api/v1/receiptsubmissions/S/details"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "status": "PartiallyValid",
            "receipts": [{"uuid": a.uuid, "status": "Valid"}, {"uuid": b.uuid, "status": "Invalid"}],
            "metadata": {"totalPages": 1, "totalCount": 2}
        })))
        .mount(&server)
        .await;
    let outcomes = eta.submit(&[a.clone(), b.clone()]).await.unwrap();
    assert_eq!(outcomes[0].state, ReceiptState::Accepted);
    assert_eq!(outcomes[0].long_id.as_deref(), Some("LONG-A"));
    assert_eq!(outcomes[1].state, ReceiptState::Rejected);
    assert_eq!(outcomes[1].reason.as_deref(), Some("Invalid: bad buyer"));

    Mock::given(method("GET"))
        .and(path(format!("/api/v1/receipts/{}/raw", a.uuid)))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"status": "Valid", "longId": "LONG-A"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/receipts/{}/raw", b.uuid)))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let found = eta.lookup(&a.uuid).await.unwrap().unwrap();
    assert_eq!(
        (found.state, found.long_id.as_deref()),
        (ReceiptState::Accepted, Some("LONG-A"))
    );
    assert!(eta.lookup(&b.uuid).await.unwrap().is_none());
}
