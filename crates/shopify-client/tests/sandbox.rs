//! The client against the sandbox's Shopify stand-in over real HTTP on loopback, at API
//! version 2026-10 (the stand-in was written from Shopify's documentation, independently of
//! this crate): the version's days left and fall-forwards, and the 2026-04/2026-10 inventory
//! rules (mandatory `@idempotent`, inactive levels, no `ITEM_NOT_STOCKED_AT_LOCATION`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use sandbox::shopify::ShopifyConfig;
use sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use shopify_client::ops::inventory::{QuantityChange, QuantityName, SetQuantities};
use shopify_client::ops::products::{
    OptionSetInput, OptionValueSetInput, ProductIdentifier, ProductSetInput, ProductSetMode,
    ProductVariantSetInput, VariantOptionValueInput,
};
use shopify_client::{Auth, ShopifyClient};
use sync_core::clock::FixedClock;
use sync_core::id::IdempotencyKey;
use sync_core::retry::RetryPolicy;

async fn start(shopify: ShopifyConfig) -> RunningSandbox {
    Sandbox::start(SandboxConfig {
        catalog_groups: 1,
        orders: 0,
        shopify,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn builder(sb: &RunningSandbox) -> shopify_client::ShopifyClientBuilder {
    let c = &sb.config().shopify;
    ShopifyClient::builder(
        c.shop_domain.clone(),
        Auth::access_token(c.access_token.clone()),
    )
    .base_url(sb.shopify_url())
    .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
}

fn client(sb: &RunningSandbox) -> ShopifyClient {
    builder(sb).build().unwrap()
}

/// A product with one variant stocked nowhere; returns its inventory item.
async fn unstocked_item(client: &ShopifyClient, sku: &str) -> String {
    let input = ProductSetInput {
        title: Some(format!("Item {sku}")),
        product_options: Some(vec![OptionSetInput {
            name: Some("Size".into()),
            values: Some(vec![OptionValueSetInput {
                name: Some("M".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }]),
        variants: Some(vec![ProductVariantSetInput {
            sku: Some(sku.into()),
            price: Some("100.00".parse().unwrap()),
            option_values: vec![VariantOptionValueInput {
                option_name: Some("Size".into()),
                name: Some("M".into()),
                ..Default::default()
            }],
            ..Default::default()
        }]),
        ..Default::default()
    };
    let product = client
        .product_set(
            input,
            ProductIdentifier::Handle(format!("item-{}", sku.to_lowercase())),
            ProductSetMode::Synchronous,
        )
        .await
        .unwrap();
    product.variants[0].inventory_item_id.clone()
}

async fn location(client: &ShopifyClient, n: usize) -> String {
    client.all_locations().await.unwrap()[n].id.clone()
}

/// The level of `item` at `location`, inactive ones included: (available, active).
async fn level(client: &ShopifyClient, item: &str, location: &str) -> Option<(i64, bool)> {
    client
        .inventory_levels(&[item.parse().unwrap()], &[QuantityName::Available])
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.location_id == location)
        .map(|l| (l.quantities["available"], l.is_active))
}

fn one(item: &str, location: &str, quantity: i64, from: Option<i64>, key: &str) -> SetQuantities {
    SetQuantities {
        name: QuantityName::Available,
        reason: "correction".into(),
        reference_document_uri: Some(format!("gid://flow-erp/StockSync/{key}")),
        changes: vec![QuantityChange {
            inventory_item_id: item.parse().unwrap(),
            location_id: location.parse().unwrap(),
            quantity,
            change_from: from,
        }],
        idempotency_key: IdempotencyKey::new(key).unwrap(),
        activate: false,
    }
}

#[tokio::test]
async fn the_client_asks_for_2026_10_and_counts_days_left_on_its_clock() {
    let sb = start(ShopifyConfig::default()).await;
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap(),
    ));
    let client = builder(&sb).clock(clock.clone()).build().unwrap();
    assert_eq!(client.api_version(), "2026-10");
    assert!(
        client
            .endpoint()
            .path()
            .ends_with("/admin/api/2026-10/graphql.json")
    );
    client.shop_info().await.unwrap();
    assert_eq!(client.fall_forwards(), 0, "2026-10 answers as 2026-10");
    let status = client.version_status();
    assert_eq!(status.days_left, Some(300));
    assert!(!status.needs_attention());
    clock.set(Utc.with_ymd_and_hms(2027, 7, 10, 9, 0, 0).unwrap());
    let status = client.version_status();
    assert_eq!(status.days_left, Some(83));
    assert!(status.needs_attention(), "{status}");
    assert!(status.to_string().contains("83 day(s) left"), "{status}");
}

#[tokio::test]
async fn an_answer_from_another_version_is_counted_as_a_fall_forward() {
    // 2026-07 is retired on this stand-in: its calls are answered by 2026-10.
    let sb = start(ShopifyConfig {
        api_versions: vec!["2026-10".into()],
        ..ShopifyConfig::default()
    })
    .await;
    let client = builder(&sb).api_version("2026-07").build().unwrap();
    client.shop_info().await.unwrap();
    client.all_locations().await.unwrap();
    assert_eq!(client.fall_forwards(), 2, "each answer from 2026-10 counts");
    assert_eq!(client.clone().fall_forwards(), 2, "clones share the count");
}

#[tokio::test]
async fn versions_before_2026_07_are_refused_with_the_reason() {
    let sb = start(ShopifyConfig::default()).await;
    for old in ["2026-01", "2026-04"] {
        let err = builder(&sb).api_version(old).build().unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("api_version:"), "{text}");
        assert!(
            text.contains("2026-07") && text.contains("tax id"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_retried_activation_with_the_same_key_is_a_no_op() {
    let sb = start(ShopifyConfig::default()).await;
    let client = client(&sb);
    let item = unstocked_item(&client, "ACT-1").await;
    let loc = location(&client, 1).await;
    client
        .activate_inventory(
            &item.parse().unwrap(),
            &loc.parse().unwrap(),
            Some(3),
            &IdempotencyKey::new("activate-act-1").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(level(&client, &item, &loc).await, Some((3, true)));
    client
        .set_inventory_quantities(&one(&item, &loc, 8, Some(3), "set-act-1"))
        .await
        .unwrap();
    // The same activation again (a retry after a lost answer): it must not reset to 3.
    client
        .activate_inventory(
            &item.parse().unwrap(),
            &loc.parse().unwrap(),
            Some(3),
            &IdempotencyKey::new("activate-act-1").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(level(&client, &item, &loc).await, Some((8, true)));
    // An empty key cannot even be made, so none is ever sent.
    let err = IdempotencyKey::new("").unwrap_err();
    assert_eq!(err.to_string(), "idempotency_key: must not be empty");
}

#[tokio::test]
async fn a_write_where_the_item_is_not_stocked_ends_up_sellable_when_asked() {
    let sb = start(ShopifyConfig::default()).await;
    let client = client(&sb);
    let item = unstocked_item(&client, "INACT-1").await;
    let loc = location(&client, 0).await;
    // Without activation, 2026-10 puts the quantity on an inactive level (no error).
    client
        .set_inventory_quantities(&one(&item, &loc, 6, Some(0), "plain-1"))
        .await
        .unwrap();
    assert_eq!(
        level(&client, &item, &loc).await,
        Some((6, false)),
        "the inactive level is read, with its quantity"
    );
    // The engine's first write does not know the quantity: the read must see the 6 at the
    // inactive level (a 0 would be a stale compare), and the level is activated.
    let mut batch = one(&item, &loc, 9, None, "flow-1");
    batch.activate = true;
    client.set_inventory_quantities(&batch).await.unwrap();
    assert_eq!(level(&client, &item, &loc).await, Some((9, true)));
    // A level that does not exist yet is created active, with the quantity written.
    let other = location(&client, 2).await;
    let mut batch = one(&item, &other, 4, None, "flow-2");
    batch.activate = true;
    client.set_inventory_quantities(&batch).await.unwrap();
    assert_eq!(level(&client, &item, &other).await, Some((4, true)));
    // The same batch again (a retried job): nothing more happens.
    client.set_inventory_quantities(&batch).await.unwrap();
    assert_eq!(level(&client, &item, &other).await, Some((4, true)));
}

/// Every order of the stand-in, as the storefront adapter maps it, with Shopify's statuses.
async fn all_orders(
    client: &ShopifyClient,
) -> Vec<(String, String, bool, sync_core::model::Order)> {
    use shopify_client::adapter::map_order;
    use shopify_client::ops::enum_text;
    use shopify_client::ops::orders::OrderPull;
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let pull = OrderPull {
            page_size: 2,
            lines: 10,
            ..OrderPull::default()
        };
        let page = client.orders_page(None, cursor, pull).await.unwrap();
        for o in &page.items {
            let ships = o
                .line_items
                .nodes
                .iter()
                .any(|l| l.current_quantity > 0 && l.requires_shipping);
            out.push((
                enum_text(&o.display_fulfillment_status),
                o.display_financial_status
                    .as_ref()
                    .map(enum_text)
                    .unwrap_or_default(),
                ships,
                map_order(o, Vec::new()).unwrap(),
            ));
        }
        if !page.has_next_page {
            return out;
        }
        cursor = page.end_cursor;
    }
}

#[tokio::test]
async fn orders_with_nothing_to_ship_are_delivered_once_paid_and_not_when_nothing_is_left() {
    let sb = Sandbox::start(SandboxConfig {
        catalog_groups: 3,
        orders: 40,
        refund_rate: 0.3,
        cancel_rate: 0.2,
        shopify: ShopifyConfig {
            digital_line_rate: 1.0,
            ..ShopifyConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let orders = all_orders(&client(&sb)).await;
    let mut seen = (0, 0);
    for (fulfilment, financial, ships, order) in &orders {
        assert!(!ships, "every generated line is digital");
        match fulfilment.as_str() {
            "FULFILLMENT_NOT_REQUIRED" => {
                seen.1 += 1;
                assert!(
                    !order.fulfilled,
                    "{} has nothing left: {order:?}",
                    order.name
                );
            }
            "UNFULFILLED" if order.cancelled_at.is_none() => {
                let paid = matches!(financial.as_str(), "PAID" | "PARTIALLY_REFUNDED");
                seen.0 += usize::from(paid);
                assert_eq!(order.fulfilled, paid, "{} {financial}", order.name);
            }
            _ => {}
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "both cases occur: {seen:?}");
}

#[tokio::test]
async fn the_granted_access_scopes_are_read_and_compared_with_what_the_connector_needs() {
    let sb = start(ShopifyConfig {
        access_scopes: vec![
            "write_products".into(),
            "write_inventory".into(),
            "read_orders".into(),
        ],
        ..ShopifyConfig::default()
    })
    .await;
    let granted = client(&sb).access_scopes().await.unwrap();
    assert_eq!(
        granted,
        ["write_products", "write_inventory", "read_orders"]
    );
    let missing = shopify_client::scopes::missing(shopify_client::scopes::REQUIRED, &granted);
    let named: Vec<&str> = missing.iter().map(|need| need.any_of[0]).collect();
    assert_eq!(
        named,
        [
            "read_locations",
            "read_returns",
            "read_customers",
            "write_discounts",
            "write_files",
            "write_merchant_managed_fulfillment_orders"
        ]
    );
}

/// An order with more lines than the first page asks for is read whole (the rest by cursor),
/// while every order read asks Shopify for no more than a typical order's worth of points.
#[tokio::test]
async fn an_order_longer_than_the_first_page_is_read_whole_at_a_typical_requested_cost() {
    use shopify_client::adapter::{ShopifyStorefront, StorefrontConfig};
    use sync_core::connector::StorefrontOrders;
    // No refunds: a refund is read by its own operation, whose first call the client sends on
    // a 50-point guess (it has not seen its cost yet); with the bucket lowered by reading
    // long orders in two currencies that first call can be throttled once, which is not what
    // this test measures.
    let sb = Sandbox::start(SandboxConfig {
        catalog_groups: 10,
        orders: 12,
        refund_rate: 0.0,
        cancel_rate: 0.0,
        shopify: ShopifyConfig {
            max_lines_per_order: 40,
            ..ShopifyConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let config = StorefrontConfig::default();
    let first_page = config.order_pull.lines as usize;
    let store = ShopifyStorefront::new(client(&sb), config);
    let dump = sb.shopify().dump();
    let orders = dump["orders"].as_array().unwrap();
    let mut long = 0;
    for o in orders {
        let gid = o["id"].as_str().unwrap();
        let id = sync_core::model::OrderId::new(gid);
        let read = store.order(&id).await.unwrap().expect("the order exists");
        let expected = o["lines"].as_array().unwrap().len();
        assert_eq!(read.lines.len(), expected, "order {gid}");
        long += usize::from(expected > first_page);
    }
    assert!(long >= 2, "some orders are longer than the first page");
    let stats = sb.shopify().stats();
    let requested = &stats["requested_max_by_operation"];
    assert!(
        requested["Order"].as_u64().unwrap() <= 250,
        "order(id:) requests {}",
        requested["Order"]
    );
    assert!(
        stats["calls_by_operation"]["OrderLines"].as_u64().unwrap() >= 2,
        "the long orders' remaining lines were read by cursor"
    );
    assert_eq!(stats["throttled"], 0, "{stats}");
}
