//! The storefront adapter: item groups → productSet, orders and refunds → the neutral model,
//! stock, prices, promotions, fulfilments, duplicate SKUs.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use rust_decimal_macros::dec;
use serde_json::json;
use shopify_client::adapter::{
    ShopifyStorefront, StorefrontConfig, map_order, map_order_with_returns, map_refund,
    product_input,
};
use sync_core::connector::{
    NewVariants, RemoteVariant, StockWrite, StorefrontCatalog, StorefrontOrders,
};
use sync_core::model::{self, FinancialStatus, ProductGroup, ProductStatus, Sku, Variant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

fn group() -> ProductGroup {
    let variant = |sku: &str, color: &str, size: &str| Variant {
        sku: Sku::from(sku),
        item_code: sku.to_owned(),
        option_values: vec![color.into(), size.into()],
        barcode: None,
        weight_kg: Some(dec!(0.25)),
        price: dec!(450.00),
        compare_at_price: None,
        taxable: true,
    };
    ProductGroup {
        code: "G-100".into(),
        title: "Linen shirt".into(),
        description: "<p>Linen</p>".into(),
        vendor: Some("Nile Linen".into()),
        product_type: Some("Shirts".into()),
        status: ProductStatus::Held,
        options: vec!["Color".into(), "Size".into()],
        variants: vec![
            variant("SHIRT-M", "Red", "M"),
            variant("SHIRT-L", "Red", "L"),
        ],
        images: vec![],
    }
}

#[test]
fn attributes_become_options_in_order_with_their_values() {
    let input = product_input(&group(), &StorefrontConfig::default()).unwrap();
    let v = serde_json::to_value(&input).unwrap();
    assert_eq!(
        v["productOptions"],
        json!([{"name": "Color", "position": 1, "values": [{"name": "Red"}]},
               {"name": "Size", "position": 2, "values": [{"name": "M"}, {"name": "L"}]}])
    );
    assert_eq!(
        v["variants"][1]["optionValues"],
        json!([{"optionName": "Color", "name": "Red"}, {"optionName": "Size", "name": "L"}])
    );
    assert_eq!(v["variants"][0]["price"], "450.00");
    assert_eq!(
        v["variants"][0]["inventoryItem"],
        json!({"tracked": true, "measurement": {"weight": {"value": 0.25, "unit": "KILOGRAMS"}}})
    );
    assert_eq!(v["status"], "DRAFT");
    assert_eq!(
        v["metafields"],
        json!([{"namespace": "erp", "key": "item_group", "value": "G-100", "type": "single_line_text_field"}])
    );
    // No attributes: Shopify's default option.
    let mut single = group();
    single.options.clear();
    single.variants.truncate(1);
    let v = serde_json::to_value(product_input(&single, &StorefrontConfig::default()).unwrap())
        .unwrap();
    assert_eq!(
        v["productOptions"][0]["values"],
        json!([{"name": "Default Title"}])
    );
    // A variant missing an attribute value is refused with the reason.
    let mut bad = group();
    bad.variants[0].option_values.pop();
    let err = product_input(&bad, &StorefrontConfig::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("has 1 option values for 2 options (Color, Size)"),
        "{err}"
    );
}

fn order_from(fixture_name: &str, index: usize) -> shopify_client::ops::orders::Order {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{fixture_name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(v["data"]["orders"]["nodes"][index].clone()).unwrap()
}

#[test]
fn orders_map_lines_discounts_taxes_shipping_and_payments() {
    let o = map_order(&order_from("orders__page1.json", 0), vec![]).unwrap();
    assert_eq!(o.external_id, "gid://shopify/Order/5001");
    assert_eq!(o.currency.as_str(), "EGP");
    assert!(o.taxes_included);
    assert_eq!(o.financial_status, FinancialStatus::Paid);
    let line = &o.lines[0];
    assert_eq!(line.sku.as_ref().unwrap().as_str(), "SHIRT-M");
    assert_eq!(line.quantity, dec!(2));
    assert_eq!(line.unit_price, dec!(450.00));
    // The order-level code discount, allocated by Shopify to this line.
    assert_eq!(line.discount, dec!(90.00));
    assert_eq!(line.net_total(), dec!(810.00));
    assert_eq!(line.tax_lines[0].rate, dec!(0.14));
    assert_eq!(o.shipping_lines[0].price, dec!(50.00));
    assert_eq!(o.shipping_lines[0].discount, dec!(0));
    assert_eq!(o.shipping_lines[0].tax_lines[0].amount, dec!(6.14));
    assert_eq!(o.total, dec!(860.00));
    assert_eq!(o.main_gateway(), Some("cash_on_delivery"));
    assert_eq!(
        o.shipping_address.as_ref().unwrap().country_code.as_deref(),
        Some("EG")
    );
    assert_eq!(
        o.customer.as_ref().unwrap().email.as_deref(),
        Some("customer@example.com")
    );
}

#[test]
fn the_lines_an_exchange_added_are_a_sale_of_their_own() {
    // The order sold SHIRT-M × 2 (810 after discount, 860 with shipping); a return then gave
    // one HAT at 120 in exchange, which Shopify added as line 11009 and in its totals.
    let mut order = order_from("orders__page1.json", 0);
    let mut given = order.line_items.nodes[0].clone();
    given.id = "gid://shopify/LineItem/11009".into();
    given.sku = Some("HAT".into());
    given.quantity = 1;
    given.discount_allocations.clear();
    given.original_unit_price_set.shop_money.amount = dec!(120.00);
    given.tax_lines[0].price_set.shop_money.amount = dec!(14.74);
    order.line_items.nodes.push(given);
    order.total_price_set.shop_money.amount = dec!(980.00);
    let returns: Vec<shopify_client::ops::orders::OrderReturn> = serde_json::from_value(json!([{
        "id": "gid://shopify/Return/77",
        "name": "#1001-R1",
        "status": "CLOSED",
        "createdAt": "2026-01-12T10:00:00Z",
        "exchangeLineItems": {
            "nodes": [{
                "id": "gid://shopify/ExchangeLineItem/5",
                "quantity": 1,
                "processedQuantity": 1,
                "lineItems": [{"id": "gid://shopify/LineItem/11009"}]
            }],
            "pageInfo": {"hasNextPage": false}
        }
    }]))
    .unwrap();
    let o = map_order_with_returns(&order, vec![], &returns).unwrap();
    assert_eq!(o.lines.len(), 1, "the sale keeps its own line");
    assert_eq!(o.lines[0].sku.as_ref().unwrap().as_str(), "SHIRT-M");
    assert_eq!(
        o.total,
        dec!(860.00),
        "the exchange's amount is not the sale's"
    );
    assert_eq!(o.exchanges.len(), 1);
    let x = &o.exchanges[0];
    assert_eq!(x.external_id, "gid://shopify/Return/77");
    assert_eq!(x.return_name, "#1001-R1");
    assert_eq!(x.lines.len(), 1);
    assert_eq!(x.lines[0].line_id, "gid://shopify/LineItem/11009");
    assert_eq!(x.total, dec!(120.00), "taxes included, as the order");
    assert_eq!(x.total_tax, dec!(14.74));
    let sale = o.exchange_sale(x);
    assert_eq!(sale.name, format!("{}-X77", o.name));
    assert!(x.refunds.is_empty());
    // The HAT given comes back later: a refund of the exchange's sale, not of the order's;
    // a refund of the order's own line stays the order's.
    let refund = |id: &str, line: &str| sync_core::model::Refund {
        external_id: format!("gid://shopify/Refund/{id}").into(),
        created_at: o.created_at,
        lines: vec![sync_core::model::RefundLine {
            line_id: line.into(),
            sku: None,
            quantity: dec!(1),
            amount: dec!(120.00),
            tax: dec!(14.74),
        }],
        shipping: dec!(0),
        total: dec!(120.00),
        payments: vec![],
    };
    let own_line = o.lines[0].line_id.to_string();
    let with_refunds = map_order_with_returns(
        &order,
        vec![
            refund("1", "gid://shopify/LineItem/11009"),
            refund("2", &own_line),
        ],
        &returns,
    )
    .unwrap();
    assert_eq!(with_refunds.refunds.len(), 1);
    assert_eq!(
        with_refunds.refunds[0].external_id,
        "gid://shopify/Refund/2"
    );
    let x = &with_refunds.exchanges[0];
    assert_eq!(x.refunds.len(), 1);
    assert_eq!(x.refunds[0].external_id, "gid://shopify/Refund/1");
    assert_eq!(with_refunds.exchange_sale(x).refunds, x.refunds);
    // A return without exchange (or not processed yet) changes nothing.
    let unprocessed: Vec<shopify_client::ops::orders::OrderReturn> =
        serde_json::from_value(json!([{
            "id": "gid://shopify/Return/78",
            "name": "#1001-R2",
            "status": "OPEN",
            "createdAt": "2026-01-12T10:00:00Z",
            "exchangeLineItems": {
                "nodes": [{
                    "id": "gid://shopify/ExchangeLineItem/6",
                    "quantity": 1,
                    "processedQuantity": 0,
                    "lineItems": null
                }],
                "pageInfo": {"hasNextPage": false}
            }
        }]))
        .unwrap();
    let o =
        map_order_with_returns(&order_from("orders__page1.json", 0), vec![], &unprocessed).unwrap();
    assert!(o.exchanges.is_empty());
    assert_eq!(o.total, dec!(860.00));
}

#[test]
fn a_fully_discounted_line_stays_with_net_zero() {
    let mut order = order_from("orders__page1.json", 0);
    let mut free = order.line_items.nodes[0].clone();
    free.id = "gid://shopify/LineItem/11002".into();
    free.quantity = 1;
    free.discount_allocations.truncate(1);
    free.discount_allocations[0]
        .allocated_amount_set
        .shop_money
        .amount = dec!(450.00);
    order.line_items.nodes.push(free);
    let o = map_order(&order, vec![]).unwrap();
    assert_eq!(o.lines.len(), 2);
    assert_eq!(o.lines[1].net_total(), dec!(0));
    assert_eq!(o.lines[1].tax_lines.len(), 1);
}

/// The fixture's order (paid, one shipped line) with its fulfilment status, payment status
/// and whether its line needs shipping set.
fn order_with(
    fulfilment: &str,
    financial: &str,
    ships: bool,
) -> shopify_client::ops::orders::Order {
    let order = order_from("orders__page1.json", 0);
    let mut v = serde_json::to_value(&order).unwrap();
    v["displayFulfillmentStatus"] = json!(fulfilment);
    v["displayFinancialStatus"] = json!(financial);
    v["lineItems"]["nodes"][0]["requiresShipping"] = json!(ships);
    serde_json::from_value(v).unwrap()
}

#[test]
fn fulfilment_is_read_by_its_meaning() {
    let fulfilled = |f: &str, p: &str, ships: bool| {
        map_order(&order_with(f, p, ships), vec![])
            .unwrap()
            .fulfilled
    };
    assert!(fulfilled("FULFILLED", "PAID", true));
    assert!(
        !fulfilled("UNFULFILLED", "PAID", true),
        "waits for the carrier"
    );
    // Nothing to ship (digital goods, services): delivered once paid, not never.
    assert!(fulfilled("UNFULFILLED", "PAID", false));
    assert!(fulfilled("UNFULFILLED", "PARTIALLY_REFUNDED", false));
    assert!(!fulfilled("UNFULFILLED", "PENDING", false), "not paid yet");
    // Nothing left to fulfil because it was cancelled or refunded to nothing (2026-10): not
    // delivered, whatever its lines.
    assert!(!fulfilled("FULFILLMENT_NOT_REQUIRED", "REFUNDED", false));
    assert!(!fulfilled("FULFILLMENT_NOT_REQUIRED", "REFUNDED", true));
    assert!(!fulfilled("FULFILLMENT_NOT_REQUIRED", "PAID", false));
}

#[test]
fn truncated_line_lists_are_refused() {
    let mut order = order_from("orders__page1.json", 0);
    order.line_items.page_info.has_next_page = true;
    let err = map_order(&order, vec![]).unwrap_err();
    assert!(
        err.to_string().contains("more than the 1 lines read"),
        "{err}"
    );
}

#[tokio::test]
async fn the_orders_page_reads_refunds_as_their_own_records() {
    let server = server().await;
    op("Orders")
        .respond_with(json_fixture(&server, "orders__page2.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("Refund")
        .respond_with(json_fixture(&server, "refund__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    let since = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
    let page = store.orders_page(Some(since), None).await.unwrap();
    assert!(!page.has_more);
    let refund = &page.items[0].refunds[0];
    assert_eq!(refund.external_id, "gid://shopify/Refund/14001");
    assert_eq!(refund.lines[0].line_id, "gid://shopify/LineItem/11001");
    assert_eq!(refund.lines[0].amount, dec!(405.00));
    assert_eq!(refund.lines[0].tax, dec!(49.74));
    assert_eq!(refund.total, dec!(450.00));
    assert_eq!(refund.payments[0].gateway, "cash_on_delivery");
    // `since` as given: the overlap window is the engine's.
    assert_eq!(
        variables_sent(&server, "Orders").await[0]["query"],
        "updated_at:>='2026-01-10T09:00:00Z'"
    );
}

#[tokio::test]
async fn the_order_changes_page_maps_ids_and_change_times_from_since_as_given() {
    let server = server().await;
    op("OrderChanges")
        .respond_with(json_fixture(&server, "order_changes__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    let since = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
    let page = store.order_changes_page(Some(since), None).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].external_id, "gid://shopify/Order/5001");
    assert_eq!(
        page.items[0].updated_at,
        Utc.with_ymd_and_hms(2026, 1, 10, 10, 0, 0).unwrap()
    );
    assert!(page.has_more);
    assert_eq!(page.next.as_deref(), Some("eyJsYXN0X2lkIjo1MDAyfQ=="));
    let sent = variables_sent(&server, "OrderChanges").await;
    assert_eq!(sent[0]["query"], "updated_at:>='2026-01-10T09:00:00Z'");
    assert_eq!(sent[0]["first"], 250);
}

#[tokio::test]
async fn customer_changes_and_one_customer_are_read_for_the_customer_pull() {
    let server = server().await;
    op("CustomerChanges")
        .respond_with(json_fixture(&server, "customer_changes__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("Customer")
        .respond_with(json_fixture(&server, "customer__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    let since = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
    let page = store
        .customer_changes_page(Some(since), None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].external_id, "gid://shopify/Customer/7001");
    assert_eq!(
        page.items[0].updated_at,
        Utc.with_ymd_and_hms(2026, 1, 10, 9, 30, 0).unwrap()
    );
    assert!(!page.has_more);
    let sent = variables_sent(&server, "CustomerChanges").await;
    assert_eq!(sent[0]["query"], "updated_at:>='2026-01-10T09:00:00Z'");
    assert_eq!(sent[0]["first"], 250);
    let customer = store
        .customer(&"gid://shopify/Customer/6001".into())
        .await
        .unwrap()
        .expect("the customer");
    assert_eq!(customer.external_id, "gid://shopify/Customer/6001");
}

#[tokio::test]
async fn an_item_group_is_upserted_by_its_code_with_its_variant_image() {
    use sha2::Digest;
    let server = server().await;
    let source = format!("{}/images/red.jpg", server.uri());
    // The adapter's alt key: the image's alt, then the group code and a hash of the source.
    let alt = format!(
        "Red linen shirt [erp:G-100:{}]",
        &hex::encode(sha2::Sha256::digest(source.as_bytes()))[..10]
    );
    let with_alt = |name: &str| {
        ResponseTemplate::new(200)
            .set_body_string(fixture(&server, name).replace("erp:G-100:color=red", &alt))
    };
    op("ProductSet")
        .respond_with(json_fixture(&server, "product_set__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/images/red.jpg"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"JFIF-red".to_vec()))
        .expect(1)
        .mount(&server)
        .await;
    op("ProductMedia")
        .respond_with(json_fixture(&server, "product_media__empty.json"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    op("ProductMedia")
        .respond_with(with_alt("product_media__ready.json"))
        .mount(&server)
        .await;
    // The stale-image check reads only media ids and alts.
    op("ProductImageAlts")
        .respond_with(with_alt("product_image_alts__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("StagedUploadsCreate")
        .respond_with(json_fixture(&server, "staged_uploads_create__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/upload"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    op("ProductAttachMedia")
        .respond_with(with_alt("product_attach_media__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("VariantsBulkUpdate")
        .respond_with(json_fixture(&server, "variants_bulk_update__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let mut g = group();
    g.images.push(model::Image {
        source: source.clone(),
        alt: Some("Red linen shirt".into()),
        option_value: Some("Red".into()),
    });
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    // SHIRT-L is new: it is created stocked at both locations; SHIRT-M exists and keeps its stock.
    let new = NewVariants {
        skus: [Sku::from("SHIRT-L")].into(),
        locations: vec![
            "gid://shopify/Location/1".into(),
            "gid://shopify/Location/2".into(),
        ],
    };
    let product = store.upsert_product(&g, None, &new).await.unwrap();
    assert_eq!(product.product_id, "gid://shopify/Product/1001");
    assert_eq!(
        product.variants[&Sku::from("SHIRT-L")].inventory_item_id,
        "gid://shopify/InventoryItem/3002"
    );
    let sent = &variables_sent(&server, "ProductSet").await[0];
    assert_eq!(sent["identifier"]["customId"]["value"], "G-100");
    let quantities = |sku: &str| {
        sent["input"]["variants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["sku"] == sku)
            .map(|v| v["inventoryQuantities"].clone())
            .unwrap()
    };
    assert_eq!(
        quantities("SHIRT-L"),
        json!([
            {"locationId": "gid://shopify/Location/1", "name": "available", "quantity": 0},
            {"locationId": "gid://shopify/Location/2", "name": "available", "quantity": 0}
        ])
    );
    assert_eq!(
        quantities("SHIRT-M"),
        serde_json::Value::Null,
        "no quantities for a variant that exists"
    );
    let attach = &variables_sent(&server, "ProductAttachMedia").await[0];
    assert_eq!(attach["media"][0]["alt"], alt.as_str());
    // Both variants show red.
    let link = &variables_sent(&server, "VariantsBulkUpdate").await[0];
    assert_eq!(link["variants"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn duplicate_skus_in_shopify_need_an_operator() {
    let server = server().await;
    let mut body: serde_json::Value =
        serde_json::from_str(&fixture(&server, "variants_by_sku__ok.json")).unwrap();
    body["data"]["productVariants"]["nodes"][1]["sku"] = json!("SHIRT-M");
    op("VariantsBySku")
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    let err = store
        .find_variants(&[Sku::from("SHIRT-M")])
        .await
        .unwrap_err();
    assert_eq!(err.mapping(), Some("sku:SHIRT-M"));
}

#[tokio::test]
async fn stock_prices_promotions_and_shipments_go_through_the_client() {
    let server = server().await;
    op("InventorySetQuantities")
        .respond_with(json_fixture(&server, "inventory_set_quantities__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("VariantsBulkUpdate")
        .respond_with(json_fixture(&server, "variants_bulk_update__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("DiscountAutomaticBasicCreate")
        .respond_with(json_fixture(
            &server,
            "discount_automatic_basic_create__ok.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    // Stock writes read their levels first (to activate any that is not), once per chunk.
    op("InventoryLevels")
        .respond_with(json_fixture(&server, "inventory_levels__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("OrderFulfillmentOrders")
        .respond_with(json_fixture(&server, "order_fulfillment_orders__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("FulfillmentCreate")
        .respond_with(json_fixture(&server, "fulfillment_create__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    let remote = RemoteVariant {
        product_id: "gid://shopify/Product/1001".into(),
        variant_id: "gid://shopify/ProductVariant/2001".into(),
        inventory_item_id: "gid://shopify/InventoryItem/3001".into(),
    };
    store
        .set_stock(
            &[StockWrite {
                sku: Sku::from("SHIRT-M"),
                inventory_item_id: remote.inventory_item_id.clone(),
                location_id: "gid://shopify/Location/101".into(),
                quantity: 9,
                expected: Some(7),
            }],
            &sync_core::id::IdempotencyKey::new("job-42").unwrap(),
        )
        .await
        .unwrap();
    let stock = &variables_sent(&server, "InventorySetQuantities").await[0];
    assert_eq!(stock["key"], "job-42-0");
    assert_eq!(
        stock["input"]["quantities"][0]["changeFromQuantity"], 7,
        "the engine's expectation is the compare, not the quantity read"
    );
    assert_eq!(
        stock["input"]["referenceDocumentUri"],
        "gid://flow-erp/StockSync/job-42"
    );
    store
        .set_prices(&[(
            remote.clone(),
            model::PriceChange {
                sku: Sku::from("SHIRT-M"),
                price: dec!(399.99),
                compare_at_price: None,
            },
        )])
        .await
        .unwrap();
    let prices = &variables_sent(&server, "VariantsBulkUpdate").await[0];
    // The model's "no compare-at price" clears it in Shopify.
    assert_eq!(
        prices["variants"][0],
        json!({"id": "gid://shopify/ProductVariant/2001", "price": "399.99", "compareAtPrice": null})
    );
    let promo = model::Promotion {
        code: "RAMADAN".into(),
        title: "Ramadan 15%".into(),
        percent_off: dec!(15),
        skus: vec![Sku::from("SHIRT-M")],
        starts_at: Utc.with_ymd_and_hms(2026, 2, 18, 0, 0, 0).unwrap(),
        ends_at: None,
    };
    let id = store
        .upsert_promotion(&promo, &[remote], None)
        .await
        .unwrap();
    assert_eq!(id, "gid://shopify/DiscountAutomaticNode/8001");
    let sent = &variables_sent(&server, "DiscountAutomaticBasicCreate").await[0];
    assert_eq!(
        sent["discount"]["customerGets"]["value"]["percentage"],
        0.15
    );
    store
        .create_fulfillment(&model::Shipment {
            order_external_id: "gid://shopify/Order/5001".into(),
            document: model::ErpDocumentRef {
                operation: "SALINV".into(),
                number: "42".into(),
            },
            carrier: Some("Aramex".into()),
            tracking_number: Some("AX123456789EG".into()),
        })
        .await
        .unwrap();
}

#[test]
fn refunds_add_shipping_tax_when_prices_include_it() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/refund__ok.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["data"]["refund"]["refundShippingLines"]["nodes"] = json!([{
        "subtotalAmountSet": {"shopMoney": {"amount": "43.86", "currencyCode": "EGP"}},
        "taxAmountSet": {"shopMoney": {"amount": "6.14", "currencyCode": "EGP"}}
    }]);
    let refund: shopify_client::ops::orders::Refund =
        serde_json::from_value(v["data"]["refund"].clone()).unwrap();
    assert_eq!(map_refund(&refund, true).unwrap().shipping, dec!(50.00));
    assert_eq!(map_refund(&refund, false).unwrap().shipping, dec!(43.86));
}

#[tokio::test]
async fn images_the_erp_dropped_are_deleted_and_hand_made_ones_kept() {
    let server = server().await;
    op("ProductSet")
        .respond_with(json_fixture(&server, "product_set__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let mut media: serde_json::Value =
        serde_json::from_str(&fixture(&server, "product_image_alts__ok.json")).unwrap();
    media["data"]["product"]["media"]["nodes"] = json!([
        {"__typename": "MediaImage", "id": "gid://shopify/MediaImage/7001", "alt": "Old [erp:G-100:0123456789]"},
        {"__typename": "MediaImage", "id": "gid://shopify/MediaImage/7002", "alt": "Lifestyle photo"},
        {"__typename": "MediaImage", "id": "gid://shopify/MediaImage/7003", "alt": "Other [erp:G-200:0123456789]"}
    ]);
    op("ProductImageAlts")
        .respond_with(ResponseTemplate::new(200).set_body_json(media))
        .expect(1)
        .mount(&server)
        .await;
    op("FileDelete")
        .respond_with(json_fixture(&server, "file_delete__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    store
        .upsert_product(&group(), None, &NewVariants::default())
        .await
        .unwrap();
    assert_eq!(
        variables_sent(&server, "FileDelete").await[0]["fileIds"],
        json!(["gid://shopify/MediaImage/7001"])
    );
}

#[tokio::test]
async fn a_location_id_from_configuration_that_is_not_a_gid_is_refused_before_any_call() {
    use sync_core::error::{Classify, ErrorKind};
    let server = server().await;
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    let err = store
        .set_stock(
            &[StockWrite {
                sku: Sku::from("SHIRT-M"),
                inventory_item_id: "gid://shopify/InventoryItem/3001".into(),
                // A location name left in `engine.locations`, not resolved to its id.
                location_id: "Cairo".into(),
                quantity: 9,
                expected: Some(7),
            }],
            &sync_core::id::IdempotencyKey::new("job-42").unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "location_id: must be a Shopify id like gid://shopify/Location/123, got \"Cairo\""
    );
    assert_eq!(err.kind(), ErrorKind::Client, "retrying cannot fix it");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_malformed_gid_in_an_answer_is_an_error_naming_the_field() {
    let server = server().await;
    let body = fixture(&server, "order_changes__ok.json").replacen(
        "gid://shopify/Order/5001",
        "gid://shopify/Order/five",
        1,
    );
    op("OrderChanges")
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(body),
        )
        .mount(&server)
        .await;
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    let err = store.order_changes_page(None, None).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "order_id: must be a Shopify id like gid://shopify/Order/123, got \
         \"gid://shopify/Order/five\""
    );
}
