//! The sync-core adapter against wiremock stand-ins of Flow's surfaces.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use flow_erp_client::adapter::FlowErp;
use flow_erp_client::config::Hosts;
use flow_erp_client::{FlowClient, FlowConfig};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use sync_core::clock::FixedClock;
use sync_core::connector::{ErpCatalog, ErpSales};
use sync_core::error::{Classify, ErrorKind};
use sync_core::model::{
    Customer, ErpCustomerNo, ErpDocumentRef, FinancialStatus, Order, OrderLine, ProductStatus,
    Refund, RefundLine, ShippingLine, Sku, TaxLine,
};
use sync_core::money::Currency;
use sync_core::retry::RetryPolicy;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn bom_json(value: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_string(format!("\u{FEFF}{value}"))
}

async fn flow_server() -> (MockServer, FlowErp) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chkusr/login"))
        .respond_with(bom_json(json!({"apiKey": "K1", "errMsg": ""})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETITM/-1"))
        .respond_with(bom_json(json!([
            {"ITNO": 10, "ITCODE": "TS-01", "ITNA": "تيشيرت", "GRPNO": "G1", "ITPRICE": 228, "STS": "A",
             "SALTAX": 14, "HASCLR": 1, "HASSIZ": 1},
            {"ITNO": 11, "ITCODE": "CAP-1", "ITNA": "Cap", "GRPNO": "G1", "ITPRICE": 114, "STS": "A", "SALTAX": 14},
            {"ITNO": 12, "ITCODE": "OLD", "ITNA": "Old", "ITPRICE": 10, "STS": "H"}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/SRVCMD/GetGroup/ITM"))
        .respond_with(bom_json(json!([{"GRPNO": "G1", "GRPNA": "ملابس"}])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETBAL/1/1"))
        .respond_with(bom_json(json!([
            {"ITNO": 10, "CLRNO": "RED", "SIZNO": "M", "BAL": 3},
            {"ITNO": 10, "CLRNO": "RED", "SIZNO": "L", "BAL": "-1"},
            {"ITNO": 11, "BAL": 7.5}
        ])))
        .mount(&server)
        .await;
    let mut config = FlowConfig::new("1001", "WEB", "pw".into());
    config.hosts = Hosts::all(server.uri());
    config.documents.uncertain_lookup_delay_ms = 0;
    let client = FlowClient::builder(config)
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
        .clock(Arc::new(FixedClock::default()))
        .build()
        .unwrap();
    (server, FlowErp::new(client))
}

async fn catch_all(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(|req: &Request| {
            ResponseTemplate::new(500).set_body_string(format!(
                "{} {} was not mocked",
                req.method,
                req.url.path()
            ))
        })
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

fn order(sku: &str) -> Order {
    let at = Utc.with_ymd_and_hms(2026, 11, 27, 23, 30, 0).unwrap();
    Order {
        external_id: "gid://shopify/Order/1".into(),
        name: "#1001".into(),
        created_at: at,
        updated_at: at,
        currency: "EGP".parse::<Currency>().unwrap(),
        taxes_included: false,
        customer: None,
        email: Some("sara@example.com".into()),
        phone: None,
        billing_address: None,
        shipping_address: None,
        lines: vec![OrderLine {
            line_id: "L1".into(),
            sku: Some(Sku::new(sku)),
            title: "تيشيرت أحمر M".into(),
            quantity: dec!(2),
            unit_price: dec!(200),
            discount: dec!(20),
            tax_lines: vec![TaxLine {
                title: "VAT".into(),
                rate: dec!(0.14),
                amount: dec!(53.2),
            }],
        }],
        shipping_lines: vec![ShippingLine {
            title: "Aramex".into(),
            price: dec!(50),
            discount: dec!(0),
            tax_lines: vec![],
        }],
        total: dec!(483.2),
        total_tax: dec!(53.2),
        financial_status: FinancialStatus::Paid,
        fulfilled: false,
        cancelled_at: None,
        payments: vec![],
        refunds: vec![],
        buyer: Default::default(),
        presentment: None,
        exchanges: Vec::new(),
        source: None,
        location: None,
    }
}

#[tokio::test]
async fn catalogue_and_stock_follow_the_default_mapping() {
    let (server, erp) = flow_server().await;
    catch_all(&server).await;
    let groups = erp.product_groups().await.unwrap();
    assert_eq!(groups.len(), 2);
    let g1 = &groups[0];
    assert_eq!((g1.code.as_str(), g1.title.as_str()), ("G1", "ملابس"));
    assert_eq!(g1.options, ["Color", "Size"]);
    let skus: Vec<&str> = g1.variants.iter().map(|v| v.sku.as_str()).collect();
    assert_eq!(skus, ["TS-01-RED-L", "TS-01-RED-M", "CAP-1"]);
    assert_eq!(g1.variants[1].option_values, ["RED", "M"]);
    assert_eq!(g1.variants[2].option_values, ["-", "-"]);
    assert!(g1.variants[0].taxable);
    assert_eq!(groups[1].status, ProductStatus::Held);

    let stock = erp.stock_levels().await.unwrap();
    let find = |sku: &str| {
        stock
            .iter()
            .find(|s| s.sku.as_str() == sku)
            .unwrap()
            .quantity
    };
    assert_eq!(find("TS-01-RED-M"), 3);
    assert_eq!(find("TS-01-RED-L"), 0, "negative balances publish as zero");
    assert_eq!(find("CAP-1"), 7);
}

#[tokio::test]
async fn an_order_becomes_a_web_order_document_with_erp_prices() {
    let (server, erp) = flow_server().await;
    Mock::given(method("GET"))
        .and(path("/api/SRVCMD/GETOPC/SALINV"))
        .respond_with(bom_json(
            json!({"OP": "SALINV", "SRCDOC": -1, "SALTAX": 1, "CASH": 1, "CREDIT": 1}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .and(body_partial_json(json!({
            "OP": "SALINV", "DOCDT": "2026-11-28", "DISTNO": "500", "EMAIL": "sara@example.com",
            "REFDOCNO": "#1001", "TOTSHPVAL": 50, "PY": "1",
            "DTL": [{"ITNO": "10", "QTY": 2, "ITPRICE": 228, "DISC1": 22.8, "SALTAX": 14,
                     "CLRNO": "RED", "SIZNO": "M"}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_string("CMDDNE,345"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETDOC/SALINV/1/1/345"))
        .respond_with(bom_json(
            json!({"DOCNO": 345, "OP": "SALINV", "DISTNO": 500, "STS": "A",
            "DTL": [{"ITNO": 10, "QTY": 2, "ITPRICE": 228}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(body_partial_json(json!({"cmdtxt": "EXECMD"})))
        .respond_with(ResponseTemplate::new(200).set_body_string("CMDDNE"))
        .expect(0)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let doc = erp
        .create_sales_document(&order("TS-01-RED-M"), Some(&"500".into()))
        .await
        .unwrap();
    assert_eq!(
        doc,
        ErpDocumentRef {
            operation: "SALINV".into(),
            number: "345".into()
        }
    );
}

#[tokio::test]
async fn unknown_skus_and_missing_customers_park_for_a_mapping() {
    let (server, erp) = flow_server().await;
    catch_all(&server).await;
    let err = erp
        .create_sales_document(&order("NOPE-1"), Some(&"500".into()))
        .await
        .unwrap_err();
    assert_eq!(err.mapping(), Some("sku:NOPE-1"));
    let err = erp
        .create_sales_document(&order("CAP-1"), None)
        .await
        .unwrap_err();
    assert_eq!(err.mapping(), Some("customer:walk-in"));
    assert_eq!(err.kind(), ErrorKind::Client);
}

#[tokio::test]
async fn cancellation_soft_deletes_and_a_refund_is_a_return_document() {
    let (server, erp) = flow_server().await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETDOC/SALINV/1/1/345"))
        .respond_with(bom_json(
            json!({"DOCNO": 345, "OP": "SALINV", "DISTNO": 500, "STS": "A",
            "DTL": [{"ITNO": 11, "QTY": 1, "ITPRICE": 114}]}),
        ))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETDOC/SALINV/1/1/345"))
        .respond_with(bom_json(
            json!({"DOCNO": 345, "OP": "SALINV", "STS": "D", "DTL": []}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(body_partial_json(json!({"cmdtxt": "EXECMD",
            "cmdpar": "DELPOS,OPCODE=SALINV\u{c}CONO=1\u{c}STRNO=1\u{c}DOCNO=345\u{c}\u{b}"})))
        .respond_with(ResponseTemplate::new(200).set_body_string("CMDDNE"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/SRVCMD/GETOPC/SALRET"))
        .respond_with(bom_json(
            json!({"OP": "SALRET", "SRCDOC": "SALINV", "SALTAX": 1, "CASH": 1}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/POSCMD/ADDPOS"))
        .and(body_partial_json(json!({
            "OP": "SALRET", "SALRET": 1, "DISTNO": "500", "REFDOCNO": "#1001/R55", "FRMORD": "345",
            "DTL": [{"ITNO": "11", "QTY": 1, "ITPRICE": 114, "SALTAX": 14}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_string("CMDDNE,12"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/POSCMD/GETDOC/SALRET/1/1/12"))
        .respond_with(bom_json(json!({"DOCNO": 12, "OP": "SALRET", "DISTNO": 500,
            "DTL": [{"ITNO": 11, "QTY": 1, "ITPRICE": 114}]})))
        .mount(&server)
        .await;
    catch_all(&server).await;
    let sale = ErpDocumentRef {
        operation: "SALINV".into(),
        number: "345".into(),
    };
    let mut o = order("CAP-1");
    o.taxes_included = true;
    let refund = Refund {
        external_id: "gid://shopify/Refund/55".into(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap(),
        lines: vec![RefundLine {
            line_id: "L1".into(),
            sku: None,
            quantity: dec!(1),
            amount: dec!(114),
            tax: dec!(14),
        }],
        shipping: dec!(0),
        total: dec!(114),
        payments: vec![],
    };
    let ret = erp.create_return(&o, &refund, &sale).await.unwrap();
    assert_eq!(
        (ret.operation.as_str(), ret.number.as_str()),
        ("SALRET", "12")
    );
    erp.cancel_sales_document(&sale).await.unwrap();
}

#[tokio::test]
async fn customers_are_found_by_phone_and_an_ambiguous_match_is_parked() {
    let (server, erp) = flow_server().await;
    Mock::given(method("GET"))
        .and(path("/api/CONCMD/GETCON/C"))
        .respond_with(bom_json(json!([
            {"CNO": 500, "CNAME": "سارة مصطفى", "TEL1": "01001234567", "EMAIL": "sara@example.com"},
            {"CNO": 501, "CNAME": "Sara M", "TEL1": "01111111111", "EMAIL": "shared@example.com"},
            {"CNO": 502, "CNAME": "Sara N", "TEL1": "01222222222", "EMAIL": "shared@example.com"}
        ])))
        // Both lookups use one read of the list (the adapter caches it for 60 s).
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
    let mut customer = Customer {
        external_id: "gid://shopify/Customer/9".into(),
        email: None,
        phone: Some("+20 100 123 4567".into()),
        first_name: Some("Sara".into()),
        last_name: None,
        addresses: vec![],
        updated_at: at,
    };
    assert_eq!(
        erp.find_customer(&customer)
            .await
            .unwrap()
            .as_ref()
            .map(ErpCustomerNo::as_str),
        Some("500")
    );
    customer.phone = None;
    customer.email = Some("shared@example.com".into());
    let err = erp.find_customer(&customer).await.unwrap_err();
    assert_eq!(err.mapping(), Some("customer:gid://shopify/Customer/9"));
}

#[tokio::test]
async fn look_ups_that_find_the_customer_list_stale_together_read_it_once() {
    let (server, erp) = flow_server().await;
    Mock::given(method("GET"))
        .and(path("/api/CONCMD/GETCON/C"))
        .respond_with(
            bom_json(json!([
                {"CNO": 500, "CNAME": "Sara", "TEL1": "01001234567"},
                {"CNO": 501, "CNAME": "Omar", "TEL1": "01111111111"}
            ]))
            .set_delay(std::time::Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, 0).unwrap();
    let customer = |phone: &str| Customer {
        external_id: format!("gid://shopify/Customer/{phone}").into(),
        email: None,
        phone: Some(phone.into()),
        first_name: None,
        last_name: None,
        addresses: vec![],
        updated_at: at,
    };
    let wanted = ["01001234567", "01111111111"].repeat(4);
    let found = futures::future::join_all(
        wanted
            .iter()
            .map(|phone| async { erp.find_customer(&customer(phone)).await.unwrap() }),
    )
    .await;
    assert_eq!(
        found,
        ["500", "501"]
            .repeat(4)
            .into_iter()
            .map(|n| Some(ErpCustomerNo::from(n)))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn references_carry_the_configured_prefix() {
    let server = MockServer::start().await;
    let mut config = FlowConfig::new("1001", "WEB", "pw".into());
    config.hosts = Hosts::all(server.uri());
    config.adapter.reference_prefix = "EG1-".into();
    let erp = FlowErp::new(FlowClient::builder(config).build().unwrap());
    let o = order("CAP-1");
    assert_eq!(erp.order_reference(&o), "EG1-#1001");
    let refund = Refund {
        external_id: "gid://shopify/Refund/55".into(),
        created_at: o.created_at,
        lines: vec![],
        shipping: dec!(0),
        total: dec!(0),
        payments: vec![],
    };
    assert_eq!(erp.return_reference(&o, &refund), "EG1-#1001/R55");
}
