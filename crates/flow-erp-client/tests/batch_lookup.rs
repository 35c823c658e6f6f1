//! The ERP look-up of a page of orders before import: one `GETREC` read for many order
//! references (an `IN` list), against the Flow stand-in's SQL grammar, finding exactly the
//! documents that exist.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use flow_erp_client::adapter::FlowErp;
use flow_erp_client::config::{Hosts, TemplateSource};
use flow_erp_client::{FlowClient, FlowConfig};
use rust_decimal_macros::dec;
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use sync_core::connector::ErpSales;
use sync_core::model::{FinancialStatus, Order, OrderLine, Sku, TaxLine};
use sync_core::retry::RetryPolicy;

fn flow(sb: &RunningSandbox, batch: usize) -> FlowErp {
    let s = &sb.config().flow;
    let mut c = FlowConfig::new(s.acc.clone(), s.usrid.clone(), s.pass.clone().into());
    c.hosts = Hosts::all(sb.flow_url());
    c.tenant.company = u32::try_from(s.cono).unwrap();
    c.operations.refund = "SALRTN".into();
    c.documents
        .templates
        .insert("SALRTN".into(), TemplateSource::Builtin("SALRET".into()));
    c.documents.source_field = "SRCDOCNO".into();
    c.documents.reference_batch = batch;
    c.stock.quantity_field = "QTY".into();
    let client = FlowClient::builder(c)
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
        .build()
        .unwrap();
    FlowErp::new(client)
}

fn order(sb: &RunningSandbox, n: u32) -> Order {
    let item = sb.flow().catalog_items().remove(0);
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 9, n % 60, 0).unwrap();
    Order {
        external_id: format!("gid://shopify/Order/{n}").into(),
        name: format!("#{}", 4000 + n),
        created_at: at,
        updated_at: at,
        currency: "EGP".parse().unwrap(),
        taxes_included: true,
        customer: None,
        email: None,
        phone: None,
        billing_address: None,
        shipping_address: None,
        lines: vec![OrderLine {
            line_id: "L1".into(),
            sku: Some(Sku::new(&item.sku)),
            title: "قميص".into(),
            quantity: dec!(1),
            unit_price: item.price,
            discount: dec!(0),
            tax_lines: vec![TaxLine {
                title: "VAT".into(),
                rate: dec!(0.14),
                amount: dec!(0),
            }],
        }],
        shipping_lines: vec![],
        total: item.price,
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

fn queries(sb: &RunningSandbox) -> u64 {
    sb.stats()["flow"]["queries"].as_u64().unwrap()
}

/// A page of 40 orders, 12 of which Flow holds: one read finds exactly those 12, each with
/// its own document; with batches of 16 references, three reads.
#[tokio::test]
async fn a_page_of_orders_is_looked_up_in_one_read_and_finds_exactly_the_documents_held() {
    let sb = Sandbox::start(SandboxConfig {
        catalog_groups: 2,
        orders: 0,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let erp = flow(&sb, 100);
    let orders: Vec<Order> = (1..=40).map(|n| order(&sb, n)).collect();
    let mut held = HashMap::new();
    for o in orders.iter().filter(|o| o.name.ends_with(['0', '3', '6'])) {
        held.insert(
            o.external_id.clone(),
            erp.create_sales_document(o, Some(&"5".into()))
                .await
                .unwrap(),
        );
    }
    assert_eq!(held.len(), 12);
    let before = queries(&sb);
    let found = erp.find_sales_documents(&orders).await.unwrap();
    assert_eq!(queries(&sb) - before, 1, "one read for the page");
    assert_eq!(found, held);

    let before = queries(&sb);
    let found = flow(&sb, 16).find_sales_documents(&orders).await.unwrap();
    assert_eq!(queries(&sb) - before, 3, "40 references in batches of 16");
    assert_eq!(found, held);
    // An empty page reads nothing.
    let before = queries(&sb);
    assert!(erp.find_sales_documents(&[]).await.unwrap().is_empty());
    assert_eq!(queries(&sb), before);
    sb.shutdown().await;
}
