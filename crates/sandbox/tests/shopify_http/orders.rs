//! Orders paging, refunds and cancellations, discounts, price lists and fulfillments.

use super::*;

const ORDERS: &str = r#"
query Orders($after: String, $q: String) {
  orders(first: 5, after: $after, query: $q, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id name updatedAt cancelledAt displayFinancialStatus displayFulfillmentStatus
      customer { id email }
      billingAddress { city countryCodeV2 }
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: 5) { nodes { sku quantity variant { id } originalUnitPriceSet { shopMoney { amount } }
        discountAllocations { allocatedAmountSet { shopMoney { amount } } discountApplication { __typename value { ... on PricingPercentageValue { percentage } ... on MoneyV2 { amount } } } }
        taxLines { title rate priceSet { shopMoney { amount } } } } }
      shippingLines(first: 5) { nodes { title originalPriceSet { shopMoney { amount } } taxLines { rate } } }
      taxLines { title rate priceSet { shopMoney { amount } } }
      transactions { kind status gateway amountSet { shopMoney { amount } } }
      refunds { id refundLineItems(first: 5) { nodes { quantity restockType lineItem { sku } subtotalSet { shopMoney { amount } } } } refundShippingLines(first: 2) { nodes { subtotalAmountSet { shopMoney { amount } } } } }
    } }
  }
}"#;

#[tokio::test]
async fn orders_page_incrementally_by_updated_at() {
    // A roomy bucket: this test is about paging, not throttling (each page costs ~600).
    let config = ShopifyConfig {
        bucket_max: 100_000.0,
        restore_rate: 10_000.0,
        ..ShopifyConfig::default()
    };
    let shop = start(config).await;
    // One SKU exists as a variant: its lines refer to it; the others are custom lines.
    let loc = shop.state.location_ids()[0].clone();
    shop.gql(
        PRODUCT_SET,
        json!({"input": tee_input("Item 1", &loc, &[("Red", "SKU-1", "125.50")])}),
    )
    .await;
    let ids = shop.state.generate_orders(30, &catalog(), 0.3, 0.1, 9);
    assert_eq!(ids.len(), 30);

    let mut seen = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let d = shop.gql(ORDERS, json!({"after": after})).await;
        pages += 1;
        for e in d["orders"]["edges"].as_array().unwrap() {
            seen.push(e["node"].clone());
        }
        if !d["orders"]["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = d["orders"]["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(pages, 6);
    assert_eq!(seen.len(), 30);
    let mut names: Vec<&str> = seen.iter().map(|o| o["name"].as_str().unwrap()).collect();
    let updated: Vec<&str> = seen
        .iter()
        .map(|o| o["updatedAt"].as_str().unwrap())
        .collect();
    assert!(
        updated.windows(2).all(|w| w[0] <= w[1]),
        "sorted by updatedAt"
    );
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 30);
    // Lines with an existing SKU point at the variant; others are custom.
    let lines: Vec<&Value> = seen
        .iter()
        .flat_map(|o| o["lineItems"]["nodes"].as_array().unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["sku"] == "SKU-1" && l["variant"]["id"].is_string())
    );
    assert!(
        lines
            .iter()
            .any(|l| l["sku"] == "SKU-2" && l["variant"].is_null())
    );
    assert!(lines.iter().all(|l| l["taxLines"][0]["rate"] == 0.14));
    assert!(
        seen.iter()
            .any(|o| o["refunds"].as_array().is_some_and(|r| !r.is_empty()))
    );
    assert!(seen.iter().any(|o| o["cancelledAt"].is_string()));

    // Incremental: only what changed after a point.
    let mark = updated[19];
    let q = format!("updated_at:>'{mark}'");
    let d = shop.gql(ORDERS, json!({"q": q})).await;
    let expected = updated.iter().filter(|u| **u > mark).count();
    let got = d["orders"]["edges"].as_array().unwrap().len();
    assert_eq!(got, expected.min(5));
    let d = shop
        .gql(
            "{ ordersCount(query: \"created_at:>2000-01-01\") { count } }",
            json!({}),
        )
        .await;
    assert_eq!(d["ordersCount"]["count"], 30);
    // The count's `limit`: a number bounds it (`AT_LEAST`), `null` lifts the default bound
    // of 10,000, and the customers' count reads it alike.
    let d = shop
        .gql(
            "{ a: ordersCount(limit: 7) { count precision } \
               b: ordersCount(limit: null) { count precision } \
               c: ordersCount(limit: 30) { count precision } \
               d: customersCount(limit: 1) { count precision } }",
            json!({}),
        )
        .await;
    assert_eq!(d["a"], json!({"count": 7, "precision": "AT_LEAST"}));
    assert_eq!(d["b"], json!({"count": 30, "precision": "EXACT"}));
    assert_eq!(d["c"], json!({"count": 30, "precision": "EXACT"}));
    assert_eq!(d["d"]["precision"], "AT_LEAST");

    // Single order and customer reads.
    let d = shop
        .gql(
            "query($id: ID!) { order(id: $id) { name customer { id } } }",
            json!({"id": ids[0]}),
        )
        .await;
    assert_eq!(d["order"]["name"], "#1001");
    let customers = shop.gql("{ customers(first: 50, sortKey: UPDATED_AT) { nodes { id email defaultAddress { city } } } }", json!({})).await;
    assert!(
        !customers["customers"]["nodes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn refunds_and_cancellations_after_the_fact_fire_webhooks() {
    let shop = start(ShopifyConfig::default()).await;
    let (uri, mut rx) = receiver().await;
    for topic in ["REFUNDS_CREATE", "ORDERS_CANCELLED"] {
        subscribe(&shop, topic, &uri).await;
    }
    let ids = shop.state.generate_orders(4, &catalog(), 0.0, 0.0, 21);
    let o = shop
        .gql("query($id: ID!) { order(id: $id) { lineItems(first: 5) { nodes { id quantity } } totalPriceSet { shopMoney { amount } } } }", json!({"id": ids[0]}))
        .await;
    let line = &o["order"]["lineItems"]["nodes"][0];
    let qty = line["quantity"].as_i64().unwrap();
    let line_id = line["id"].as_str().unwrap().to_string();
    let refund = shop
        .state
        .refund_order(&ids[0], &[(line_id.clone(), qty)], false)
        .unwrap();
    assert!(refund.starts_with("gid://shopify/Refund/"));
    // Nothing of that line is left to refund.
    let err = shop
        .state
        .refund_order(&ids[0], &[(line_id, 1)], false)
        .unwrap_err();
    assert!(err.contains("refundable"), "{err}");
    let after = shop
        .gql("query($id: ID!) { order(id: $id) { displayFinancialStatus refunds { id } lineItems(first: 5) { nodes { currentQuantity } } } }", json!({"id": ids[0]}))
        .await;
    assert_eq!(after["order"]["refunds"][0]["id"], refund);
    assert_eq!(
        after["order"]["lineItems"]["nodes"][0]["currentQuantity"],
        0
    );

    let unfulfilled = ids
        .iter()
        .skip(1)
        .find(|id| shop.state.cancel_order(id).is_ok())
        .expect("an order that can be cancelled");
    let c = shop.gql("query($id: ID!) { order(id: $id) { cancelledAt cancelReason displayFinancialStatus } }", json!({"id": unfulfilled})).await;
    assert!(c["order"]["cancelledAt"].is_string());
    assert_eq!(c["order"]["displayFinancialStatus"], "REFUNDED");
    assert!(
        shop.state.cancel_order(unfulfilled).is_err(),
        "cancelled twice"
    );

    let mut topics = Vec::new();
    while topics.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some((h, _))) => topics.push(header(&h, "x-shopify-topic").to_string()),
            _ => break,
        }
    }
    // Nothing more comes.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.recv())
            .await
            .is_err()
    );
    assert_eq!(
        topics.iter().filter(|t| *t == "refunds/create").count(),
        2,
        "{topics:?}"
    );
    assert_eq!(
        topics.iter().filter(|t| *t == "orders/cancelled").count(),
        1,
        "{topics:?}"
    );
}

#[tokio::test]
async fn discounts_price_lists_fulfillment_and_activation() {
    let shop = start(ShopifyConfig::default()).await;
    let locs = shop.state.location_ids();
    let p = shop
        .gql(
            PRODUCT_SET,
            json!({"input": tee_input("Promo Tee", &locs[0], &[("Red", "PR-1", "100.00")])}),
        )
        .await;
    let pid = p["productSet"]["product"]["id"].clone();
    let variant = p["productSet"]["product"]["variants"]["nodes"][0].clone();
    let d = shop
        .gql(
            "mutation($d: DiscountAutomaticBasicInput!) { discountAutomaticBasicCreate(automaticBasicDiscount: $d) { automaticDiscountNode { id automaticDiscount { ... on DiscountAutomaticBasic { title status } } } userErrors { code field message } } }",
            json!({"d": {"title": "Ramadan 20%", "startsAt": "2026-01-01T00:00:00Z", "customerGets": {"value": {"percentage": 0.2}, "items": {"products": {"productsToAdd": [pid]}}}}}),
        )
        .await;
    assert_eq!(
        d["discountAutomaticBasicCreate"]["automaticDiscountNode"]["automaticDiscount"]["title"],
        "Ramadan 20%"
    );
    let bad = shop
        .gql("mutation($d: DiscountAutomaticBasicInput!) { discountAutomaticBasicCreate(automaticBasicDiscount: $d) { userErrors { code field } } }", json!({"d": {"title": "x", "customerGets": {"value": {"percentage": 1.5}, "items": {"all": true}}}}))
        .await;
    assert_eq!(
        bad["discountAutomaticBasicCreate"]["userErrors"][0]["code"],
        "VALUE_OUTSIDE_RANGE"
    );

    let pl = shop.state.price_list_id().unwrap();
    let prices = shop
        .gql(
            "mutation($pl: ID!, $p: [PriceListPriceInput!]!) { priceListFixedPricesAdd(priceListId: $pl, prices: $p) { prices { price { amount currencyCode } variant { sku } } userErrors { code field } } }",
            json!({"pl": pl, "p": [{"variantId": variant["id"], "price": {"amount": "90.00", "currencyCode": "EGP"}}]}),
        )
        .await;
    assert_eq!(
        prices["priceListFixedPricesAdd"]["prices"][0]["price"],
        json!({"amount": "90.00", "currencyCode": "EGP"})
    );
    let wrong = shop
        .gql("mutation($pl: ID!, $p: [PriceListPriceInput!]!) { priceListFixedPricesAdd(priceListId: $pl, prices: $p) { userErrors { code } } }", json!({"pl": pl, "p": [{"variantId": variant["id"], "price": {"amount": "5", "currencyCode": "USD"}}]}))
        .await;
    assert_eq!(
        wrong["priceListFixedPricesAdd"]["userErrors"][0]["code"],
        "PRICE_LIST_CURRENCY_MISMATCH"
    );

    // Activate the item at a second location, then set stock there.
    let item = variant["inventoryItem"]["id"].clone();
    let act = shop
        .gql("mutation($i: ID!, $l: ID!) { inventoryActivate(inventoryItemId: $i, locationId: $l, available: 3) { inventoryLevel { quantities(names: [\"available\"]) { quantity } location { id } } userErrors { message } } }", json!({"i": item, "l": locs[1]}))
        .await;
    assert_eq!(
        act["inventoryActivate"]["inventoryLevel"]["quantities"][0]["quantity"],
        3
    );
    let levels = shop.gql("query($i: ID!) { inventoryItem(id: $i) { sku inventoryLevels(first: 10) { nodes { location { name } quantities(names: [\"available\"]) { quantity } } } } }", json!({"i": item})).await;
    assert_eq!(
        levels["inventoryItem"]["inventoryLevels"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Fulfil an order with tracking.
    let ids = shop.state.generate_orders(
        5,
        &[CatalogEntry {
            sku: "PR-1".into(),
            title: "Promo".into(),
            price: Decimal::new(100, 0),
        }],
        0.0,
        0.0,
        4,
    );
    let mut target = None;
    for id in &ids {
        let o = shop.gql("query($id: ID!) { order(id: $id) { displayFulfillmentStatus fulfillmentOrders(first: 1) { nodes { id lineItems(first: 5) { nodes { id remainingQuantity } } } } } }", json!({"id": id})).await;
        if o["order"]["displayFulfillmentStatus"] == "UNFULFILLED" {
            target = Some((
                id.clone(),
                o["order"]["fulfillmentOrders"]["nodes"][0].clone(),
            ));
            break;
        }
    }
    let (order_id, fo) = target.expect("an unfulfilled order");
    let f = shop
        .gql(
            "mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { status trackingInfo { company number url } } userErrors { field message } } }",
            json!({"f": {"lineItemsByFulfillmentOrder": [{"fulfillmentOrderId": fo["id"]}], "trackingInfo": {"company": "Bosta", "number": "BST123", "url": "https://track.example/BST123"}}}),
        )
        .await;
    assert_eq!(
        f["fulfillmentCreate"]["fulfillment"]["trackingInfo"][0],
        json!({"company": "Bosta", "number": "BST123", "url": "https://track.example/BST123"})
    );
    let o = shop
        .gql(
            "query($id: ID!) { order(id: $id) { displayFulfillmentStatus } }",
            json!({"id": order_id}),
        )
        .await;
    assert_eq!(o["order"]["displayFulfillmentStatus"], "FULFILLED");
}
