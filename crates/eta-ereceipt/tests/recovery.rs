//! The state store is a cache: the adapter finds at ETA (the sandbox's stand-in, over real
//! HTTP) the receipt of a sale or return and the last receipt of a device's chain, and reads
//! what a list summary leaves out from the receipt itself.

mod common;

use std::time::Duration;

use chrono::Utc;
use eta_ereceipt::adapter::EtaTaxAuthority;
use eta_ereceipt::builder::example_seller;
use eta_ereceipt::client::{Environment, EtaClient, PosCredentials};
use eta_ereceipt::codes::PaymentMethod;
use eta_ereceipt::mapping::MappingConfig;
use rust_decimal_macros::dec;
use sandbox::{Sandbox, SandboxConfig};
use serde_json::json;
use sync_core::connector::TaxAuthority;
use sync_core::error::{Classify, ErrorKind};
use sync_core::model::{Order, ReceiptState, Refund, RefundLine, Sku};
use sync_core::retry::RetryPolicy;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn order(n: u32) -> Order {
    common::paid_order(
        n,
        &format!("#{}", 1000 + n),
        "TEA-1",
        "Tea",
        dec!(2),
        dec!(57),
        "Paymob",
    )
}

fn refund() -> Refund {
    Refund {
        external_id: "77".into(),
        created_at: Utc::now(),
        lines: vec![RefundLine {
            line_id: "L1".into(),
            sku: Some(Sku::from("TEA-1")),
            quantity: dec!(1),
            amount: dec!(50),
            tax: dec!(7),
        }],
        shipping: dec!(0),
        total: dec!(57),
        payments: vec![],
    }
}

#[tokio::test]
async fn a_sale_and_its_return_are_found_by_number_on_their_device_and_the_chain_goes_on_from_etas_last_receipt()
 {
    let sb = Sandbox::start(SandboxConfig {
        orders: 0,
        catalog_groups: 1,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let eta = common::authority(&sb, 0);
    let other = common::authority(&sb, 1);
    // Nothing held yet: no receipt, no chain.
    assert_eq!(eta.chain_tail().await.unwrap(), None);
    assert_eq!(eta.find_receipt(&order(1), None).await.unwrap(), None);

    // Two sales and a return, in two submissions.
    let (o1, o2) = (order(1), order(2));
    let s1 = eta.build_sale(&o1, &Default::default()).unwrap();
    let s2 = eta.build_sale(&o2, &s1.uuid).unwrap();
    let outcomes = eta.submit(&[s1.clone(), s2.clone()]).await.unwrap();
    assert!(
        outcomes.iter().all(|o| o.state == ReceiptState::Accepted),
        "{outcomes:?}"
    );
    assert_eq!(eta.chain_tail().await.unwrap(), Some(s2.uuid.clone()));
    let r1 = eta
        .build_return(&o1, &refund(), &s1.uuid, &s2.uuid)
        .unwrap();
    let outcomes = eta.submit(std::slice::from_ref(&r1)).await.unwrap();
    assert_eq!(outcomes[0].state, ReceiptState::Accepted, "{outcomes:?}");

    // Each is found by the reference it carries, as Valid, with its long id.
    let found = eta.find_receipt(&o1, None).await.unwrap().unwrap();
    assert_eq!(found.uuid, s1.uuid);
    assert_eq!(found.state, ReceiptState::Accepted);
    assert!(found.long_id.is_some());
    assert_eq!(
        eta.find_receipt(&o2, None).await.unwrap().unwrap().uuid,
        s2.uuid
    );
    assert_eq!(
        eta.find_receipt(&o1, Some(&refund()))
            .await
            .unwrap()
            .unwrap()
            .uuid,
        r1.uuid
    );
    // Not a receipt of another sale, nor of another refund.
    assert_eq!(eta.find_receipt(&order(3), None).await.unwrap(), None);
    let mut other_refund = refund();
    other_refund.external_id = "78".into();
    assert_eq!(
        eta.find_receipt(&o1, Some(&other_refund)).await.unwrap(),
        None
    );
    // The chain's last receipt is the return, received after the two sales.
    assert_eq!(eta.chain_tail().await.unwrap(), Some(r1.uuid.clone()));
    // The other device holds nothing: its chain starts empty, it finds none of these.
    assert_eq!(other.chain_tail().await.unwrap(), None);
    assert_eq!(other.find_receipt(&o1, None).await.unwrap(), None);

    // A receipt chained on the recovered tail is accepted.
    let s3 = eta
        .build_sale(&order(3), &eta.chain_tail().await.unwrap().unwrap())
        .unwrap();
    let outcomes = eta.submit(&[s3]).await.unwrap();
    assert_eq!(outcomes[0].state, ReceiptState::Accepted, "{outcomes:?}");
    sb.shutdown().await;
}

fn mock_authority(server: &MockServer) -> EtaTaxAuthority {
    let credentials = PosCredentials::new("cid", "secret", "POS-1", "os", "1", "psk");
    let client = EtaClient::builder(Environment::Preproduction, credentials)
        .identity_url(server.uri())
        .api_url(server.uri())
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
        .build()
        .unwrap();
    EtaTaxAuthority::new(
        client,
        example_seller(),
        MappingConfig::new("674859545").gateway("paymob", PaymentMethod::Visa),
    )
}

async fn mount_token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "t", "token_type": "Bearer", "expires_in": 3600}),
        ))
        .mount(server)
        .await;
}

fn raw(uuid: &str, number: &str, device: &str, previous: &str) -> serde_json::Value {
    let receipt = json!({
        "header": {"receiptNumber": number, "uuid": uuid, "previousUUID": previous},
        "documentType": {"receiptType": "s", "typeVersion": "1.2"},
        "seller": {"deviceSerialNumber": device},
    });
    json!({"rawDocument": receipt.to_string(), "status": "Valid", "submissionUUID": "S1"})
}

#[tokio::test]
async fn summaries_that_say_little_are_completed_from_the_receipt_and_other_devices_are_ignored() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let (a, b, c, x) = (
        "a".repeat(64),
        "b".repeat(64),
        "c".repeat(64),
        "d".repeat(64),
    );
    // The newest submission (a, b, c in one instant) in no chain order, without previousUUID
    // or device; an older receipt after it.
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/recent"))
        .and(query_param("PosSerialNumber", "POS-1"))
        .and(query_param("SortDir", "Desc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "receipts": [
                {"uuid": c, "receiptNumber": "1003", "dateTimeReceived": "2026-12-05T10:00:00Z", "status": "Valid"},
                {"uuid": a, "receiptNumber": "1001", "dateTimeReceived": "2026-12-05T10:00:00Z", "status": "Valid"},
                {"uuid": b, "receiptNumber": "1002", "dateTimeReceived": "2026-12-05T10:00:00Z", "status": "Valid"},
                {"uuid": x, "receiptNumber": "0999", "dateTimeReceived": "2026-12-05T09:00:00Z", "status": "Valid"},
            ],
            "metadata": {"totalPages": 1, "totalCount": 4},
        })))
        .mount(&server)
        .await;
    for (uuid, number, previous) in [
        (&a, "1001", x.as_str()),
        (&b, "1002", a.as_str()),
        (&c, "1003", b.as_str()),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/api/v1/receipts/{uuid}/raw")))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(raw(uuid, number, "POS-1", previous)),
            )
            .mount(&server)
            .await;
    }
    let eta = mock_authority(&server);
    assert_eq!(eta.chain_tail().await.unwrap(), Some(c.clone().into()));

    // A receipt number found on another device's receipt (the filter ignored) is not this
    // sale's; the matching one is confirmed from the receipt.
    let y = "e".repeat(64);
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/recent"))
        .and(query_param("ReceiptNumber", "1001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "receipts": [{"uuid": y}, {"uuid": a}],
            "metadata": {"totalPages": 1, "totalCount": 2},
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/receipts/{y}/raw")))
        .respond_with(ResponseTemplate::new(200).set_body_json(raw(&y, "1001", "POS-9", "")))
        .mount(&server)
        .await;
    let found = eta.find_receipt(&order(1), None).await.unwrap().unwrap();
    assert_eq!(found.uuid, a);
    assert_eq!(found.state, ReceiptState::Accepted);
}

#[tokio::test]
async fn a_failing_list_is_classified_like_every_other_eta_call() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/recent"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let eta = mock_authority(&server);
    let err = eta.chain_tail().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    let err = eta.find_receipt(&order(1), None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
}

#[tokio::test]
async fn an_answer_that_never_ends_is_read_a_bounded_number_of_pages() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    // Every page claims more pages, and lists receipts of other numbers only.
    Mock::given(method("GET"))
        .and(path("/api/v1/receipts/recent"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "receipts": [{"uuid": "f".repeat(64), "receiptNumber": "9999", "deviceSerialNumber": "POS-1", "receiptType": "s"}],
            "metadata": {"totalPages": 1_000_000, "totalCount": 1_000_000},
        })))
        .mount(&server)
        .await;
    let eta = mock_authority(&server);
    let err = eta.find_receipt(&order(1), None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Client, "{err}");
    let requests = server.received_requests().await.unwrap();
    let lists = requests
        .iter()
        .filter(|r| r.url.path() == "/api/v1/receipts/recent")
        .count();
    assert_eq!(lists, 5);
}
