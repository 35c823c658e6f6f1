//! A backfill's orders read through the bulk query against the sandbox's Shopify stand-in
//! (written from Shopify's documentation, not from this crate): each order's refunds come
//! inside the bulk result, so no refund is read by id: an order with shipping refunded (the one
//! part of a refund the bulk query cannot carry) has just that read, for all its refunds in one
//! narrow request; and every order maps to exactly what the order read by id gives (the same
//! returns downstream).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use sandbox::{Sandbox, SandboxConfig};
use shopify_client::adapter::{ShopifyStorefront, StorefrontConfig};
use shopify_client::{Auth, ShopifyClient};
use sync_core::connector::StorefrontOrders;
use sync_core::model::OrderId;
use sync_core::retry::RetryPolicy;

fn calls(stats: &serde_json::Value, operation: &str) -> u64 {
    stats["calls_by_operation"][operation].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn refunds_come_inside_the_bulk_result_and_map_as_the_read_by_id() {
    let sb = Sandbox::start(SandboxConfig {
        catalog_groups: 10,
        orders: 60,
        refund_rate: 0.5,
        cancel_rate: 0.0,
        seed: 21,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let c = &sb.config().shopify;
    let client = ShopifyClient::builder(
        c.shop_domain.clone(),
        Auth::access_token(c.access_token.clone()),
    )
    .base_url(sb.shopify_url())
    .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
    .poll_interval(Duration::from_millis(20))
    .build()
    .unwrap();
    let store = ShopifyStorefront::new(client, StorefrontConfig::default());

    // What the stand-in holds: each order's refunds, and which refunded shipping.
    let dump = sb.shopify().dump();
    let mut refunds_of: HashMap<String, usize> = HashMap::new();
    let mut shipping_refunded: HashSet<String> = HashSet::new();
    for r in dump["refunds"].as_array().unwrap() {
        let order = r["order_id"].as_str().unwrap().to_owned();
        *refunds_of.entry(order.clone()).or_default() += 1;
        if !r["shipping"].is_null() {
            shipping_refunded.insert(order);
        }
    }
    let with_refunds = refunds_of.len();
    assert!(
        with_refunds > shipping_refunded.len() && !shipping_refunded.is_empty(),
        "the seed has orders refunded with and without shipping: {with_refunds} with refunds, {} with shipping refunded",
        shipping_refunded.len()
    );

    let export = store.start_order_export(None).await.unwrap();
    let mut stream = store
        .order_export(&export, None)
        .await
        .unwrap()
        .expect("the bulk query has a result");
    let mut exported = Vec::new();
    while let Some(item) = stream.next().await {
        let item = item.unwrap();
        let change = item.change.clone();
        let order = item.complete().await.unwrap();
        assert_eq!(
            (&change.external_id, change.updated_at),
            (&order.external_id, order.updated_at)
        );
        exported.push(order);
    }
    drop(stream);
    assert_eq!(exported.len(), dump["orders"].as_array().unwrap().len());
    let stats = sb.shopify().stats();
    assert_eq!(calls(&stats, "Refund"), 0, "no refund read whole: {stats}");
    assert_eq!(
        calls(&stats, "RefundShipping") as usize,
        shipping_refunded.len(),
        "one narrow read per order with shipping refunded: {stats}"
    );
    let shipping: rust_decimal::Decimal = exported
        .iter()
        .flat_map(|o| o.refunds.iter().map(|r| r.shipping))
        .sum();
    assert!(
        !shipping.is_zero(),
        "the refunded shipping is in the exported refunds"
    );
    let refunds: usize = exported.iter().map(|o| o.refunds.len()).sum();
    assert_eq!(refunds, refunds_of.values().sum::<usize>());

    // The same orders read one by one (each refund by id) map to the same thing.
    for order in &exported {
        let id = OrderId::new(order.external_id.as_ref());
        let by_id = store.order(&id).await.unwrap().expect("the order exists");
        assert_eq!(&by_id, order, "order {}", order.external_id);
    }
}
