//! End-to-end: the client and the adapter against the sandbox's Flow stand-in, over real HTTP
//! on loopback. The stand-in was written from the same public facts, independently; where it
//! chose differently from this crate's defaults (return operation `SALRTN`, stock quantity in
//! `QTY`, source document in `SRCDOCNO`), the configuration says so, as a tenant's would.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use flow_erp_client::adapter::FlowErp;
use flow_erp_client::config::{Hosts, LoginOrder, TemplateSource};
use flow_erp_client::reads::HeaderQuery;
use flow_erp_client::{FlowClient, FlowConfig, LoginMethod, SaveOutcome};
use rust_decimal_macros::dec;
use sandbox::{FaultRates, RunningSandbox, Sandbox, SandboxConfig};
use sync_core::connector::{ErpCatalog, ErpSales};
use sync_core::error::Classify;
use sync_core::model::{
    Customer, FinancialStatus, Order, OrderLine, Refund, RefundLine, Sku, TaxLine,
};
use sync_core::retry::RetryPolicy;

async fn start(ttl: Option<Duration>) -> RunningSandbox {
    let mut config = SandboxConfig {
        catalog_groups: 3,
        orders: 0,
        ..SandboxConfig::default()
    };
    config.flow.session_ttl = ttl;
    Sandbox::start(config).await.unwrap()
}

fn flow_config(sb: &RunningSandbox) -> FlowConfig {
    let s = &sb.config().flow;
    let mut c = FlowConfig::new(s.acc.clone(), s.usrid.clone(), s.pass.clone().into());
    c.hosts = Hosts::all(sb.flow_url());
    c.tenant.company = u32::try_from(s.cono).unwrap();
    c.operations.refund = "SALRTN".into();
    c.documents
        .templates
        .insert("SALRTN".into(), TemplateSource::Builtin("SALRET".into()));
    c.documents.source_field = "SRCDOCNO".into();
    c.documents.uncertain_lookup_delay_ms = 0;
    c.stock.quantity_field = "QTY".into();
    c
}

fn client(config: FlowConfig) -> FlowClient {
    FlowClient::builder(config)
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
        .build()
        .unwrap()
}

fn order(sku: &str, price: rust_decimal::Decimal) -> Order {
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap();
    Order {
        external_id: "gid://shopify/Order/77".into(),
        name: "#2077".into(),
        created_at: at,
        updated_at: at,
        currency: "EGP".parse().unwrap(),
        taxes_included: true,
        customer: None,
        email: Some("mona@example.com".into()),
        phone: Some("01001112223".into()),
        billing_address: None,
        shipping_address: None,
        lines: vec![OrderLine {
            line_id: "L1".into(),
            sku: Some(Sku::new(sku)),
            title: "قميص".into(),
            quantity: dec!(2),
            unit_price: price,
            discount: dec!(0),
            tax_lines: vec![TaxLine {
                title: "VAT".into(),
                rate: dec!(0.14),
                amount: dec!(0),
            }],
        }],
        shipping_lines: vec![],
        total: price * dec!(2),
        total_tax: dec!(0),
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
async fn both_logins_and_the_reads_work_against_the_stand_in() {
    let sb = start(None).await;
    for order in [LoginOrder::JsonOnly, LoginOrder::LegacyOnly] {
        let mut config = flow_config(&sb);
        config.login.order = order;
        let flow = client(config);
        let session = flow.session().await.unwrap();
        let expected = match order {
            LoginOrder::JsonOnly => LoginMethod::Json,
            _ => LoginMethod::Legacy,
        };
        assert_eq!(session.method, expected);
    }
    let flow = client(flow_config(&sb));
    let op = flow.operation_config("SALRTN").await.unwrap();
    assert_eq!(op.source_op.as_deref(), Some("SALINV"));
    assert_eq!(flow.company(1).await.unwrap().number, "1");
    assert!(!flow.stores(Some(1)).await.unwrap().is_empty());
    assert!(!flow.items().await.unwrap().is_empty());
    assert!(!flow.item_groups().await.unwrap().is_empty());
    assert!(!flow.price_lists().await.unwrap().is_empty());
    assert!(!flow.balances(1, 1).await.unwrap().is_empty());
    // A quote in a value travels escaped and matches nothing.
    let mut q = HeaderQuery::new("SALINV");
    q.party = Some("O'Neil".into());
    assert!(flow.document_headers(&q).await.unwrap().is_empty());
    let err = flow.query("SELECT * FROM nosuch").await.unwrap_err();
    assert!(err.refusal_reason().is_some(), "{err}");
    sb.shutdown().await;
}

#[tokio::test]
async fn the_adapter_runs_catalogue_customer_order_return_and_cancel() {
    let sb = start(None).await;
    let erp = FlowErp::new(client(flow_config(&sb)));

    let groups = erp.product_groups().await.unwrap();
    assert!(!groups.is_empty());
    for g in &groups {
        let mut values: Vec<_> = g.variants.iter().map(|v| v.option_values.clone()).collect();
        values.sort();
        values.dedup();
        assert_eq!(
            values.len(),
            g.variants.len(),
            "option values tell {} apart",
            g.code
        );
    }
    let stock = erp.stock_levels().await.unwrap();
    assert!(!stock.is_empty());

    let customer = Customer {
        external_id: "gid://shopify/Customer/5".into(),
        email: Some("mona.sayed@example.com".into()),
        phone: Some("01001112223".into()),
        first_name: Some("منى".into()),
        last_name: Some("السيد".into()),
        addresses: vec![],
        updated_at: Utc::now(),
    };
    assert_eq!(erp.find_customer(&customer).await.unwrap(), None);
    let cno = erp.upsert_customer(&customer, None).await.unwrap();
    let requests = || sb.stats()["requests"]["flow"].as_u64().unwrap();
    let before = requests();
    assert_eq!(
        erp.find_customer(&customer).await.unwrap(),
        Some(cno.clone())
    );
    assert_eq!(
        requests(),
        before,
        "the saved customer is found in the cached list, without reading every customer again"
    );
    // The customer changes phone in Shopify: the update keeps its Flow number, adds no
    // customer, and the index follows it.
    let flow_stats = || sb.stats()["flow"].clone();
    let added_before = flow_stats()["contacts_added"].as_u64().unwrap();
    let moved = Customer {
        phone: Some("01009998887".into()),
        ..customer.clone()
    };
    assert_eq!(erp.upsert_customer(&moved, Some(&cno)).await.unwrap(), cno);
    assert_eq!(
        flow_stats()["contacts_added"].as_u64().unwrap(),
        added_before
    );
    assert_eq!(flow_stats()["contacts_updated"].as_u64().unwrap(), 1);
    let by_phone = |phone: &str| Customer {
        email: None,
        phone: Some(phone.into()),
        ..customer.clone()
    };
    assert_eq!(
        erp.find_customer(&by_phone("01009998887")).await.unwrap(),
        Some(cno.clone())
    );
    assert_eq!(
        erp.find_customer(&by_phone("01001112223")).await.unwrap(),
        None
    );

    let item = sb.flow().catalog_items().remove(0);
    let order = order(&item.sku, item.price);
    assert_eq!(erp.find_sales_document(&order).await.unwrap(), None);
    let sale = erp.create_sales_document(&order, Some(&cno)).await.unwrap();
    assert_eq!(sale.operation, "SALINV");
    assert_eq!(
        erp.find_sales_document(&order).await.unwrap(),
        Some(sale.clone())
    );

    // A job found pending after a crash: the lookup finds the document, nothing is resent.
    let doc = erp.sales_document(&order, Some(&cno)).await.unwrap();
    let resumed = erp.client().resume_document(&doc).await.unwrap();
    assert!(
        matches!(&resumed, SaveOutcome::AlreadyPresent(d) if d.docno == sale.number),
        "{resumed:?}"
    );

    let sources = erp
        .client()
        .eligible_sources("SALRTN", 1, 1, cno.as_str())
        .await
        .unwrap();
    assert!(
        sources.iter().any(|s| s.source_docno == sale.number),
        "{sources:?}"
    );

    let refund = Refund {
        external_id: "gid://shopify/Refund/9".into(),
        created_at: Utc.with_ymd_and_hms(2026, 11, 29, 9, 0, 0).unwrap(),
        lines: vec![RefundLine {
            line_id: "L1".into(),
            sku: None,
            quantity: dec!(1),
            amount: item.price,
            tax: (item.price - item.price / dec!(1.14)).round_dp(2),
        }],
        shipping: dec!(0),
        total: item.price,
        payments: vec![],
    };
    let ret = erp.create_return(&order, &refund, &sale).await.unwrap();
    assert_eq!(ret.operation, "SALRTN");
    assert_eq!(erp.find_return(&order, &refund).await.unwrap(), Some(ret));

    // A sale that feeds a return cannot be deleted; Flow's reason comes through.
    let err = erp.cancel_sales_document(&sale).await.unwrap_err();
    assert!(err.to_string().contains("Flow refused"), "{err}");

    let mut second = order.clone();
    second.name = "#2078".into();
    let sale = erp
        .create_sales_document(&second, Some(&cno))
        .await
        .unwrap();
    erp.cancel_sales_document(&sale).await.unwrap();
    // Cancelling again is harmless: the document is already soft-deleted.
    erp.cancel_sales_document(&sale).await.unwrap();
    let dump = sb.flow().dump();
    let docno: i64 = sale.number.as_str().parse().unwrap();
    let cancelled = dump["sales_documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["doc_no"] == docno)
        .map(|d| d["cancelled"] == true);
    assert_eq!(cancelled, Some(true), "{dump}");
    sb.shutdown().await;
}

#[tokio::test]
async fn an_expired_session_is_renewed_transparently() {
    let sb = start(Some(Duration::from_millis(300))).await;
    let flow = client(flow_config(&sb));
    flow.items().await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    flow.items().await.unwrap();
    let logins = sb.stats()["flow"]["logins"]
        .as_u64()
        .or_else(|| sb.flow().stats()["logins"].as_u64());
    assert_eq!(logins, Some(2));
    sb.shutdown().await;
}

#[tokio::test]
async fn exactly_once_holds_when_the_stand_in_fails_and_drops_answers() {
    let mut config = SandboxConfig {
        catalog_groups: 2,
        orders: 0,
        seed: 7,
        faults: FaultRates::harsh(),
        ..SandboxConfig::default()
    };
    config.flow.session_ttl = None;
    let sb = Sandbox::start(config).await.unwrap();
    let flow = client(flow_config(&sb));
    let erp = FlowErp::new(flow.clone());
    let item = sb.flow().catalog_items().remove(0);
    let cno = sync_core::model::ErpCustomerNo::new(sb.config().flow.cono.to_string());
    let mut outcomes = Vec::new();
    for n in 0..20 {
        let mut o = order(&item.sku, item.price);
        o.name = format!("#40{n:02}");
        // Building may need the item master: retry it like the engine would.
        let mut doc = None;
        for _ in 0..20 {
            if let Ok(d) = erp.sales_document(&o, Some(&cno)).await {
                doc = Some(d);
                break;
            }
        }
        let doc = doc.expect("the document could be built");
        // The engine's loop: save exactly once; after any failure that may be retried, look
        // up first (resume) and save only when absent.
        let mut result = flow.save_document_exactly_once(&doc).await;
        for _ in 0..30 {
            match &result {
                Err(e) if e.is_retryable() || e.is_uncertain() => {
                    result = flow.resume_document(&doc).await;
                }
                _ => break,
            }
        }
        outcomes.push((o.name.clone(), result));
    }
    for (name, result) in &outcomes {
        assert!(result.is_ok(), "{name}: {:?}", result.as_ref().err());
    }
    let dump = sb.flow().dump();
    let docs = dump["sales_documents"].as_array().unwrap();
    for (name, _) in &outcomes {
        let count = docs
            .iter()
            .filter(|d| d["external_ref"] == name.as_str() && d["op"] == "SALINV")
            .count();
        assert_eq!(count, 1, "{name} saved {count} times");
    }
    sb.shutdown().await;
}
