//! End-to-end through the Flow stand-in: the engine, with this crate's adapter as its ERP,
//! imports web orders whose shoppers' phone or e-mail equal an existing Flow customer's. That
//! customer must stay byte-for-byte as it was; the orders go to a customer the connector
//! created, found again by the Shopify id it carries after the state store is lost.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use flow_erp_client::adapter::FlowErp;
use flow_erp_client::config::{Hosts, LinkKey, TemplateSource};
use flow_erp_client::{FlowClient, FlowConfig};
use rust_decimal_macros::dec;
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use sync_core::connector::ContactMatch;
use sync_core::engine::memory::{MemoryStorefront, MemoryTax};
use sync_core::engine::{Connectors, Engine, EngineConfig, Flow};
use sync_core::model::{Customer, FinancialStatus, Location, Order, OrderLine, Sku, TaxLine};
use sync_core::retry::RetryPolicy;

/// The seeded Flow customer 5 (آمال حسن): phone `01551234567`, e-mail `amal@example.com`.
const SEEDED: u64 = 5;

async fn start() -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        catalog_groups: 2,
        orders: 0,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn flow(sb: &RunningSandbox, link_by: Vec<LinkKey>) -> Arc<FlowErp> {
    let s = &sb.config().flow;
    let mut c = FlowConfig::new(s.acc.clone(), s.usrid.clone(), s.pass.clone().into());
    c.hosts = Hosts::all(sb.flow_url());
    c.tenant.company = u32::try_from(s.cono).unwrap();
    c.operations.refund = "SALRTN".into();
    c.documents
        .templates
        .insert("SALRTN".into(), TemplateSource::Builtin("SALRET".into()));
    c.documents.source_field = "SRCDOCNO".into();
    c.stock.quantity_field = "QTY".into();
    c.customers.link_by = link_by;
    let client = FlowClient::builder(c)
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
        .build()
        .unwrap();
    Arc::new(FlowErp::new(client))
}

struct Shop {
    shop: Arc<MemoryStorefront>,
}

fn engine(erp: Arc<FlowErp>, shop: &Shop, store: Arc<dyn sync_core::store::StateStore>) -> Engine {
    let mut config = EngineConfig::new("shop-1");
    config.receipts_enabled = false;
    config.drain_timeout = Duration::from_secs(20);
    let connectors = Connectors {
        erp_catalog: erp.clone(),
        erp_sales: erp,
        storefront_catalog: shop.shop.clone(),
        storefront_orders: shop.shop.clone(),
        tax: Arc::new(MemoryTax::new("POS-1", &["cash"])),
    };
    Engine::new(connectors, store, config)
}

fn shop() -> Shop {
    Shop {
        shop: Arc::new(MemoryStorefront::new(vec![Location {
            id: "gid://shopify/Location/1".into(),
            name: "Cairo".into(),
        }])),
    }
}

async fn store() -> Arc<dyn sync_core::store::StateStore> {
    Arc::new(sync_core::store::SqliteStore::in_memory().await.unwrap())
}

fn shopper(phone: Option<&str>, email: Option<&str>) -> Customer {
    Customer {
        external_id: "gid://shopify/Customer/4242".into(),
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
        first_name: Some("Web".into()),
        last_name: Some("Shopper".into()),
        addresses: vec![],
        updated_at: Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap(),
    }
}

fn order(sb: &RunningSandbox, n: u32, customer: &Customer) -> Order {
    let item = sb.flow().catalog_items().remove(0);
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 9, n, 0).unwrap();
    Order {
        external_id: format!("gid://shopify/Order/{n}").into(),
        name: format!("#{}", 3000 + n),
        created_at: at,
        updated_at: at,
        currency: "EGP".parse().unwrap(),
        taxes_included: true,
        customer: Some(customer.clone()),
        email: customer.email.clone(),
        phone: customer.phone.clone(),
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

fn record(sb: &RunningSandbox, cno: u64) -> String {
    serde_json::to_string(&sb.flow().customer_record(cno).expect("the customer exists")).unwrap()
}

/// A shopper whose checkout phone (then, separately, e-mail) equals Flow customer 5's: after
/// the order is imported, customer 5 is byte-for-byte as it was and has no order; the order
/// is booked to a new customer, and the match is listed for an operator. The shopper's later
/// order, with the state store lost, goes to that same new customer.
#[tokio::test]
async fn a_flow_customer_with_the_same_phone_or_email_stays_byte_for_byte_unchanged() {
    for (by, customer) in [
        (
            "phone",
            shopper(Some("+20 155 123 4567"), Some("web@example.com")),
        ),
        ("email", shopper(None, Some("Amal@Example.com"))),
    ] {
        let sb = start().await;
        let before = record(&sb, SEEDED);
        let shop = shop();
        shop.shop.put_order(order(&sb, 1, &customer));
        let first = engine(flow(&sb, vec![]), &shop, store().await);
        let summary = first.run_flows(&[Flow::Orders]).await.unwrap();
        assert_eq!(summary.orders_imported, 1, "{by}: {summary:?}");
        assert_eq!(
            record(&sb, SEEDED),
            before,
            "{by}: Flow customer 5 was changed"
        );
        let booked = sb.flow().booked_customers("SALINV");
        assert_eq!(booked.len(), 1);
        let created = booked[0].1;
        assert_ne!(
            created, SEEDED as i64,
            "{by}: booked to the matched customer"
        );
        assert_eq!(
            first.customer_matches().await.unwrap()[0].matched,
            ContactMatch {
                by: by.to_owned(),
                numbers: vec![SEEDED.to_string().into()],
            }
        );
        let stored = sb.flow().customer_record(created as u64).unwrap();
        assert_eq!(stored["RMK"], "gid://shopify/Customer/4242", "{stored}");

        // The state store is lost (and the adapter's cache with it): the shopper's next
        // order goes to the customer created for it, and no other customer is added.
        let mut changed = customer.clone();
        changed.last_name = Some("Changed".into());
        shop.shop.put_order(order(&sb, 2, &changed));
        let second = engine(flow(&sb, vec![]), &shop, store().await);
        second.run_flows(&[Flow::Orders]).await.unwrap();
        let booked = sb.flow().booked_customers("SALINV");
        assert_eq!(booked.len(), 2, "{booked:?}");
        assert!(
            booked.iter().all(|(_, c)| *c == created),
            "{by}: {booked:?}"
        );
        assert_eq!(
            sb.stats()["flow"]["contacts_added"],
            1,
            "{by}: {}",
            sb.stats()
        );
        assert_eq!(
            record(&sb, SEEDED),
            before,
            "{by}: changed by the second run"
        );
        sb.shutdown().await;
    }
}

/// With `customers.link_by = ["email"]` the order is booked to Flow customer 5, which is
/// still never written to.
#[tokio::test]
async fn linking_by_email_is_an_operator_choice_and_never_overwrites() {
    let sb = start().await;
    let before = record(&sb, SEEDED);
    let shop = shop();
    let customer = shopper(None, Some("amal@example.com"));
    shop.shop.put_order(order(&sb, 1, &customer));
    let mut changed = customer.clone();
    changed.first_name = Some("Other".into());
    shop.shop.put_order(order(&sb, 2, &changed));
    let engine = engine(flow(&sb, vec![LinkKey::Email]), &shop, store().await);
    engine.run_flows(&[Flow::Orders]).await.unwrap();
    let booked = sb.flow().booked_customers("SALINV");
    assert_eq!(booked.len(), 2);
    assert!(
        booked.iter().all(|(_, c)| *c == SEEDED as i64),
        "{booked:?}"
    );
    assert_eq!(record(&sb, SEEDED), before);
    assert_eq!(sb.stats()["flow"]["contacts_added"], 0);
    assert_eq!(sb.stats()["flow"]["contacts_updated"], 0);
    sb.shutdown().await;
}
