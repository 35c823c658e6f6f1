//! The Shopify stand-in over real HTTP on loopback: products, inventory, cost and throttling,
//! orders paging, webhooks, tokens, staged uploads, bulk operations and faults.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use sandbox::faults::{FaultRates, Faults};
use sandbox::shopify::{CatalogEntry, ShopifyConfig, ShopifyState, router};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

const VERSION: &str = "2026-01";

struct Shop {
    base: String,
    state: Arc<ShopifyState>,
    http: reqwest::Client,
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

async fn start_with(config: ShopifyConfig, faults: Faults) -> Shop {
    let state = ShopifyState::new(config);
    let base = serve(router(state.clone(), Arc::new(faults))).await;
    Shop {
        base,
        state,
        http: reqwest::Client::new(),
    }
}

async fn start(config: ShopifyConfig) -> Shop {
    start_with(config, Faults::none()).await
}

impl Shop {
    fn url(&self) -> String {
        format!("{}/admin/api/{VERSION}/graphql.json", self.base)
    }

    async fn raw(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> (reqwest::StatusCode, Value) {
        let r = self
            .http
            .post(self.url())
            .header("X-Shopify-Access-Token", token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap())
    }

    /// Runs a request that must succeed without GraphQL errors; returns `data`.
    async fn gql(&self, query: &str, variables: Value) -> Value {
        let token = self.state.config().access_token.clone();
        let (status, body) = self.raw(&token, query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

const PRODUCT_SET: &str = r#"
mutation Upsert($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id handle title status variants(first: 10) { nodes { id sku price compareAtPrice inventoryItem { id } selectedOptions { name value } } } }
    userErrors { field message code }
  }
}"#;

fn tee_input(title: &str, location: &str, colours: &[(&str, &str, &str)]) -> Value {
    json!({
        "title": title,
        "status": "ACTIVE",
        "productOptions": [{"name": "Color", "values": colours.iter().map(|(c, _, _)| json!({"name": c})).collect::<Vec<_>>()}],
        "variants": colours.iter().map(|(c, sku, price)| json!({
            "optionValues": [{"optionName": "Color", "name": c}],
            "sku": sku,
            "price": price,
            "inventoryQuantities": [{"locationId": location, "name": "available", "quantity": 5}],
        })).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn product_set_creates_then_updates_by_handle_without_duplicate() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let ident = json!({"handle": "classic-tee"});
    let first = shop
        .gql(PRODUCT_SET, json!({"identifier": ident, "input": tee_input("Classic Tee", &loc, &[("Red", "TEE-RED", "250.00"), ("Blue", "TEE-BLUE", "250.00")])}))
        .await;
    let p1 = &first["productSet"]["product"];
    assert_eq!(first["productSet"]["userErrors"], json!([]));
    assert_eq!(p1["handle"], "classic-tee");
    let red_id = p1["variants"]["nodes"][0]["id"].clone();
    assert_eq!(p1["variants"]["nodes"][0]["sku"], "TEE-RED");

    // Same handle again: an update, the list of variants replaced (Blue goes, Green comes).
    let second = shop
        .gql(PRODUCT_SET, json!({"identifier": ident, "input": tee_input("Classic Tee 2", &loc, &[("Red", "TEE-RED", "199.50"), ("Green", "TEE-GREEN", "260.00")])}))
        .await;
    let p2 = &second["productSet"]["product"];
    assert_eq!(p2["id"], p1["id"]);
    assert_eq!(p2["title"], "Classic Tee 2");
    let nodes = p2["variants"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0]["id"], red_id, "the Red variant keeps its id");
    assert_eq!(nodes[0]["price"], "199.50");
    assert_eq!(nodes[1]["sku"], "TEE-GREEN");

    let found = shop
        .gql(r#"{ products(first: 5, query: "handle:classic-tee") { nodes { id title } } productVariants(first: 5, query: "sku:TEE-BLUE") { nodes { id } } }"#, json!({}))
        .await;
    assert_eq!(found["products"]["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(found["productVariants"]["nodes"], json!([]));
    let dump = shop.state.dump();
    assert_eq!(dump["products"].as_array().unwrap().len(), 1);

    // Creating a second product with a taken handle, without identifier, is refused.
    let mut input = tee_input("Copy", &loc, &[("Red", "X", "1.00")]);
    input["handle"] = json!("classic-tee");
    let dup = shop.gql(PRODUCT_SET, json!({"input": input})).await;
    assert_eq!(dup["productSet"]["product"], Value::Null);
    assert_eq!(
        dup["productSet"]["userErrors"][0]["code"],
        "HANDLE_NOT_UNIQUE"
    );
    assert_eq!(
        dup["productSet"]["userErrors"][0]["field"],
        json!(["input", "handle"])
    );

    // Hold: productUpdate status.
    let held = shop
        .gql("mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { product { status } userErrors { message } } }", json!({"p": {"id": p1["id"], "status": "DRAFT"}}))
        .await;
    assert_eq!(held["productUpdate"]["product"]["status"], "DRAFT");

    // Prices: productVariantsBulkUpdate.
    let upd = shop
        .gql(
            "mutation($pid: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $pid, variants: $v) { productVariants { price compareAtPrice } userErrors { code field } } }",
            json!({"pid": p1["id"], "v": [{"id": red_id, "price": "150.00", "compareAtPrice": "199.50"}]}),
        )
        .await;
    assert_eq!(
        upd["productVariantsBulkUpdate"]["productVariants"],
        json!([{"price": "150.00", "compareAtPrice": "199.50"}])
    );
}

#[tokio::test]
async fn product_set_async_mode_reports_through_product_operation() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let data = shop
        .gql(
            "mutation($i: ProductSetInput!) { productSet(input: $i, synchronous: false) { product { id } productSetOperation { id status } userErrors { message } } }",
            json!({"i": tee_input("Async Tee", &loc, &[("Red", "A-1", "10.00")])}),
        )
        .await;
    assert_eq!(data["productSet"]["product"], Value::Null);
    let op = data["productSet"]["productSetOperation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        data["productSet"]["productSetOperation"]["status"],
        "CREATED"
    );
    let mut status = String::new();
    for _ in 0..250 {
        let d = shop
            .gql("query($id: ID!) { productOperation(id: $id) { status product { title } ... on ProductSetOperation { userErrors { message } } } }", json!({"id": op}))
            .await;
        status = d["productOperation"]["status"]
            .as_str()
            .unwrap()
            .to_string();
        if status == "COMPLETE" {
            assert_eq!(d["productOperation"]["product"]["title"], "Async Tee");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, "COMPLETE");
}

const SET_QTY: &str = r#"
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}"#;

fn set_qty_query() -> String {
    SET_QTY.to_string()
}

#[tokio::test]
async fn inventory_set_quantities_compare_and_set_and_idempotency() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let created = shop
        .gql(
            PRODUCT_SET,
            json!({"input": tee_input("Stock Tee", &loc, &[("Red", "STK-1", "10.00")])}),
        )
        .await;
    let item =
        created["productSet"]["product"]["variants"]["nodes"][0]["inventoryItem"]["id"].clone();
    let q = set_qty_query();
    let input = |change: Value, qty: i64| {
        let mut quantity = json!({"inventoryItemId": item, "locationId": loc, "quantity": qty});
        if change != json!("absent") {
            quantity["changeFromQuantity"] = change;
        }
        json!({"name": "available", "reason": "correction", "referenceDocumentUri": "gid://erp-connector/SyncJob/1", "quantities": [quantity]})
    };
    let available = || async {
        let d = shop
            .gql("query($i: ID!, $l: ID!) { inventoryItem(id: $i) { inventoryLevel(locationId: $l) { quantities(names: [\"available\", \"on_hand\"]) { name quantity } } } }", json!({"i": item, "l": loc}))
            .await;
        d["inventoryItem"]["inventoryLevel"]["quantities"][0]["quantity"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(available().await, 5);

    // Compare-and-set from the right quantity.
    let ok = shop
        .gql(&q, json!({"key": "sync-1", "input": input(json!(5), 8)}))
        .await;
    let group = ok["inventorySetQuantities"]["inventoryAdjustmentGroup"].clone();
    assert_eq!(ok["inventorySetQuantities"]["userErrors"], json!([]));
    assert_eq!(
        group["changes"][0],
        json!({"name": "available", "delta": 3, "quantityAfterChange": 8})
    );
    assert_eq!(available().await, 8);

    // The same key again: the same answer, no second effect.
    let again = shop
        .gql(&q, json!({"key": "sync-1", "input": input(json!(5), 8)}))
        .await;
    assert_eq!(
        again["inventorySetQuantities"]["inventoryAdjustmentGroup"]["id"],
        group["id"]
    );
    assert_eq!(available().await, 8);

    // A stale expected quantity is refused with the real error code.
    let stale = shop
        .gql(&q, json!({"key": "sync-2", "input": input(json!(5), 9)}))
        .await;
    let err = &stale["inventorySetQuantities"]["userErrors"][0];
    assert_eq!(err["code"], "CHANGE_FROM_QUANTITY_STALE");
    assert_eq!(
        err["field"],
        json!(["input", "quantities", "0", "changeFromQuantity"])
    );
    assert_eq!(
        stale["inventorySetQuantities"]["inventoryAdjustmentGroup"],
        Value::Null
    );
    assert_eq!(available().await, 8);

    // Omitting changeFromQuantity is an error in 2026-01; null opts out of the check.
    let missing = shop
        .gql(
            &q,
            json!({"key": "sync-3", "input": input(json!("absent"), 9)}),
        )
        .await;
    assert_eq!(
        missing["inventorySetQuantities"]["userErrors"][0]["code"],
        "COMPARE_QUANTITY_REQUIRED"
    );
    let forced = shop
        .gql(
            &q,
            json!({"key": "sync-4", "input": input(Value::Null, 11)}),
        )
        .await;
    assert_eq!(forced["inventorySetQuantities"]["userErrors"], json!([]));
    assert_eq!(available().await, 11);

    // A key reused with other parameters is refused.
    let mismatch = shop
        .gql(&q, json!({"key": "sync-1", "input": input(json!(11), 12)}))
        .await;
    assert_eq!(
        mismatch["inventorySetQuantities"]["userErrors"][0]["code"],
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    );
    assert_eq!(available().await, 11);

    // A bad reason and name are named.
    let mut bad = input(Value::Null, 1);
    bad["reason"] = json!("because");
    bad["name"] = json!("committed");
    let bad = shop.gql(&q, json!({"key": "sync-5", "input": bad})).await;
    let codes: Vec<&str> = bad["inventorySetQuantities"]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["INVALID_NAME", "INVALID_REASON"]);
}

#[tokio::test]
async fn throttled_when_the_bucket_is_empty_and_cost_in_extensions() {
    let config = ShopifyConfig {
        bucket_max: 50.0,
        restore_rate: 1.0,
        ..ShopifyConfig::default()
    };
    let shop = start(config).await;
    let token = shop.state.config().access_token.clone();
    let q = "{ shop { name plan { shopifyPlus } } locations(first: 10) { edges { node { id name } } pageInfo { hasNextPage } } }";
    let (status, body) = shop.raw(&token, q, json!({})).await;
    assert_eq!(status, 200);
    let cost = &body["extensions"]["cost"];
    // shop 1 + plan 1; locations 2 + 10 × 1.
    assert_eq!(cost["requestedQueryCost"], 14);
    // Three locations came back: 2 + 2 + 3.
    assert_eq!(cost["actualQueryCost"], 7);
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 50.0);
    assert_eq!(cost["throttleStatus"]["restoreRate"], 1.0);
    assert_eq!(cost["throttleStatus"]["currentlyAvailable"], 43);
    assert_eq!(
        shop.state.stats()["cost_by_operation"],
        json!({"(anonymous)": 7}),
        "the actual cost, by operation name"
    );

    // 43 points left: the bucket cannot afford 47 more: THROTTLED on HTTP 200, no data.
    let big = "{ locations(first: 45) { nodes { id } } }";
    let (status, body) = shop.raw(&token, big, json!({})).await;
    assert_eq!(status, 200);
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(body["errors"][0]["message"], "Throttled");
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 47);
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], Value::Null);

    // Drained: even a small query is throttled; the stats count it.
    shop.state.drain_bucket();
    let (_, body) = shop.raw(&token, "{ shop { name } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_eq!(shop.state.stats()["throttled"], 2);
    assert_eq!(
        shop.state.stats()["throttled_by_operation"],
        json!({"(anonymous)": 2}),
        "by operation name"
    );

    // A single query over the max cost is refused whatever the bucket holds.
    let shop = start(ShopifyConfig::default()).await;
    let huge = "{ products(first: 250) { nodes { id variants(first: 100) { nodes { id } } } } }";
    let (_, body) = shop.raw(&token, huge, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED");
    // A mutation costs 10.
    let (_, body) = shop.raw(&token, "mutation { webhookSubscriptionDelete(id: \"gid://shopify/WebhookSubscription/999\") { userErrors { message } } }", json!({})).await;
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], 10);
}

fn catalog() -> Vec<CatalogEntry> {
    (1..=5)
        .map(|i| CatalogEntry {
            sku: format!("SKU-{i}"),
            title: format!("Item {i}"),
            price: Decimal::new(10_000 + i * 2_550, 2),
        })
        .collect()
}

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

type Received = (HeaderMap, axum::body::Bytes);

async fn receiver() -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel::<Received>();
    let app = axum::Router::new()
        .route(
            "/hooks",
            post(
                |State(tx): State<mpsc::UnboundedSender<Received>>,
                 headers: HeaderMap,
                 body: axum::body::Bytes| async move {
                    let _ = tx.send((headers, body));
                    "ok"
                },
            ),
        )
        .with_state(tx);
    (format!("{}/hooks", serve(app).await), rx)
}

async fn subscribe(shop: &Shop, topic: &str, uri: &str) {
    let d = shop
        .gql(
            "mutation($t: WebhookSubscriptionTopic!, $s: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: $s) { webhookSubscription { id topic uri } userErrors { message } } }",
            json!({"t": topic, "s": {"uri": uri, "format": "JSON"}}),
        )
        .await;
    assert_eq!(d["webhookSubscriptionCreate"]["userErrors"], json!([]));
    assert_eq!(
        d["webhookSubscriptionCreate"]["webhookSubscription"]["topic"],
        topic
    );
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name} missing"))
}

#[tokio::test]
async fn webhook_deliveries_are_signed_and_can_be_duplicated() {
    let config = ShopifyConfig {
        webhooks: sandbox::shopify::WebhookOptions {
            duplicate_rate: 1.0,
            ..Default::default()
        },
        ..ShopifyConfig::default()
    };
    let secret = config.client_secret.clone();
    let shop = start(config).await;
    let (uri, mut rx) = receiver().await;
    subscribe(&shop, "ORDERS_CREATE", &uri).await;
    let list = shop
        .gql(
            "{ webhookSubscriptions(first: 10) { nodes { topic uri } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["webhookSubscriptions"]["nodes"][0]["uri"], uri);

    let ids = shop.state.generate_orders(2, &catalog(), 0.0, 0.0, 3);
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(
            tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .expect("a delivery")
                .unwrap(),
        );
    }
    let mut events = std::collections::HashMap::new();
    for (headers, body) in &got {
        // Independent HMAC-SHA256 over the raw body, keyed with the client secret.
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(header(headers, "x-shopify-hmac-sha256"), expected);
        assert_eq!(header(headers, "x-shopify-topic"), "orders/create");
        assert_eq!(
            header(headers, "x-shopify-shop-domain"),
            "sandbox-shop.myshopify.com"
        );
        assert_eq!(header(headers, "x-shopify-api-version"), VERSION);
        assert!(!header(headers, "x-shopify-webhook-id").is_empty());
        assert!(header(headers, "x-shopify-triggered-at").ends_with('Z'));
        let payload: Value = serde_json::from_slice(body).unwrap();
        assert!(
            ids.contains(
                &payload["admin_graphql_api_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            )
        );
        events
            .entry(header(headers, "x-shopify-event-id").to_string())
            .or_insert_with(Vec::new)
            .push(header(headers, "x-shopify-webhook-id").to_string());
    }
    // Two events, each delivered twice under one event id with two webhook ids.
    assert_eq!(events.len(), 2);
    for deliveries in events.values() {
        assert_eq!(deliveries.len(), 2);
        assert_ne!(deliveries[0], deliveries[1]);
    }

    // Deleting the subscription stops deliveries.
    let sub = shop
        .gql(
            "{ webhookSubscriptions(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    let id = sub["webhookSubscriptions"]["nodes"][0]["id"].clone();
    let del = shop.gql("mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { message } } }", json!({"id": id})).await;
    assert_eq!(
        del["webhookSubscriptionDelete"]["deletedWebhookSubscriptionId"],
        id
    );
}

#[tokio::test]
async fn tokens_are_checked_and_issued_by_client_credentials() {
    let shop = start(ShopifyConfig::default()).await;
    let (status, body) = shop.raw("wrong", "{ shop { name } }", json!({})).await;
    assert_eq!(status, 401);
    assert!(
        body["errors"]
            .as_str()
            .unwrap()
            .contains("Invalid API key or access token")
    );

    let bad = shop
        .http
        .post(format!("{}/admin/oauth/access_token", shop.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client-id"),
            ("client_secret", "nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let r = shop
        .http
        .post(format!("{}/admin/oauth/access_token", shop.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client-id"),
            ("client_secret", "sandbox-client-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["expires_in"], 86_399);
    let token = t["access_token"].as_str().unwrap();
    let (status, body) = shop
        .raw(
            token,
            "{ shop { id name myshopifyDomain currencyCode ianaTimezone primaryDomain { host url } plan { publicDisplayName shopifyPlus } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["shop"]["currencyCode"], "EGP");
    assert_eq!(
        body["data"]["shop"]["myshopifyDomain"],
        "sandbox-shop.myshopify.com"
    );
    assert_eq!(
        body["data"]["shop"]["primaryDomain"]["host"],
        "sandbox-shop.myshopify.com"
    );
    assert_eq!(body["data"]["shop"]["plan"]["shopifyPlus"], false);
    // An unknown API version is a 404.
    let r = shop
        .http
        .post(format!("{}/admin/api/2019-01/graphql.json", shop.base))
        .header("X-Shopify-Access-Token", token)
        .json(&json!({"query": "{ shop { name } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn staged_image_upload_media_attach_and_delete() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let p = shop
        .gql(
            PRODUCT_SET,
            json!({"input": tee_input("Pic Tee", &loc, &[("Red", "PIC-1", "10.00")])}),
        )
        .await;
    let pid = p["productSet"]["product"]["id"].clone();
    let staged = shop
        .gql(
            "mutation($i: [StagedUploadInput!]!) { stagedUploadsCreate(input: $i) { stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }",
            json!({"i": [{"resource": "IMAGE", "filename": "tee.png", "mimeType": "image/png", "httpMethod": "PUT"}]}),
        )
        .await;
    let target = &staged["stagedUploadsCreate"]["stagedTargets"][0];
    let put = shop
        .http
        .put(target["url"].as_str().unwrap())
        .body(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let media = shop
        .gql(
            "mutation($p: ID!, $m: [CreateMediaInput!]!) { productCreateMedia(productId: $p, media: $m) { media { id status alt mediaContentType } mediaUserErrors { code message } } }",
            json!({"p": pid, "m": [{"originalSource": target["resourceUrl"], "alt": "Front", "mediaContentType": "IMAGE"}]}),
        )
        .await;
    let m = &media["productCreateMedia"]["media"][0];
    assert_eq!(m["status"], "READY");
    assert_eq!(m["alt"], "Front");
    // A file that is no image is taken by the upload but fails as media, with the reason.
    let staged = shop
        .gql(
            "mutation($i: [StagedUploadInput!]!) { stagedUploadsCreate(input: $i) { stagedTargets { url resourceUrl } userErrors { field message } } }",
            json!({"i": [{"resource": "IMAGE", "filename": "notes.png", "mimeType": "image/png", "httpMethod": "PUT"}]}),
        )
        .await;
    let text_target = &staged["stagedUploadsCreate"]["stagedTargets"][0];
    let put = shop
        .http
        .put(text_target["url"].as_str().unwrap())
        .body("just some text, not a picture")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let bad = shop
        .gql(
            "mutation($p: ID!, $m: [CreateMediaInput!]!) { productCreateMedia(productId: $p, media: $m) { media { id status mediaErrors { code details } } mediaUserErrors { code message } } }",
            json!({"p": pid, "m": [{"originalSource": text_target["resourceUrl"], "mediaContentType": "IMAGE"}]}),
        )
        .await;
    let bad = &bad["productCreateMedia"]["media"][0];
    assert_eq!(bad["status"], "FAILED", "{bad}");
    assert_eq!(bad["mediaErrors"][0]["code"], "IMAGE_PROCESSING_FAILURE");
    assert!(
        bad["mediaErrors"][0]["details"]
            .as_str()
            .is_some_and(|d| d.contains("not a PNG, JPEG, GIF or WebP")),
        "{bad}"
    );
    let del = shop
        .gql("mutation($p: ID!, $m: [ID!]!) { productDeleteMedia(productId: $p, mediaIds: $m) { deletedMediaIds } }", json!({"p": pid, "m": [bad["id"]]}))
        .await;
    assert_eq!(
        del["productDeleteMedia"]["deletedMediaIds"],
        json!([bad["id"]])
    );
    // A source that was never uploaded fails.
    let failed = shop
        .gql(
            "mutation($f: [FileCreateInput!]!) { fileCreate(files: $f) { files { id fileStatus fileErrors { code } } userErrors { message } } }",
            json!({"f": [{"originalSource": format!("{}/__shopify/staged-uploads/tmp/none.png", shop.base), "contentType": "IMAGE"}]}),
        )
        .await;
    assert_eq!(failed["fileCreate"]["files"][0]["fileStatus"], "FAILED");
    let del = shop
        .gql("mutation($p: ID!, $m: [ID!]!) { productDeleteMedia(productId: $p, mediaIds: $m) { deletedMediaIds mediaUserErrors { code } } }", json!({"p": pid, "m": [m["id"]]}))
        .await;
    assert_eq!(
        del["productDeleteMedia"]["deletedMediaIds"],
        json!([m["id"]])
    );
    let count = shop
        .gql(
            "query($p: ID!) { product(id: $p) { mediaCount { count } } }",
            json!({"p": pid}),
        )
        .await;
    assert_eq!(count["product"]["mediaCount"]["count"], 0);
}

async fn wait_bulk(shop: &Shop, id: &Value) -> Value {
    for _ in 0..500 {
        let d = shop.gql("query($id: ID!) { bulkOperation(id: $id) { status objectCount rootObjectCount url errorCode } }", json!({"id": id})).await;
        if d["bulkOperation"]["status"] == "COMPLETED" || d["bulkOperation"]["status"] == "FAILED" {
            return d["bulkOperation"].clone();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("bulk operation did not finish");
}

#[tokio::test]
async fn bulk_query_and_bulk_mutation_with_staged_jsonl() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    shop.gql(PRODUCT_SET, json!({"input": tee_input("Bulk Tee", &loc, &[("Red", "B-1", "10.00"), ("Blue", "B-2", "11.00")])})).await;
    let run = shop
        .gql(
            "mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { code message } } }",
            json!({"q": "{ products { edges { node { id title variants { edges { node { id sku } } } } } } }"}),
        )
        .await;
    let id = run["bulkOperationRunQuery"]["bulkOperation"]["id"].clone();
    let done = wait_bulk(&shop, &id).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["objectCount"], "3");
    assert_eq!(done["rootObjectCount"], "1");
    let text = shop
        .http
        .get(done["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["__parentId"], lines[0]["id"]);

    // Bulk mutation: stage a JSONL of variables, then run productSet per line.
    let staged = shop
        .gql(
            "mutation { stagedUploadsCreate(input: [{resource: BULK_MUTATION_VARIABLES, filename: \"v.jsonl\", mimeType: \"text/jsonl\", httpMethod: POST}]) { stagedTargets { url parameters { name value } } } }",
            json!({}),
        )
        .await;
    let target = &staged["stagedUploadsCreate"]["stagedTargets"][0];
    let mut form = reqwest::multipart::Form::new();
    let mut key = String::new();
    for p in target["parameters"].as_array().unwrap() {
        if p["name"] == "key" {
            key = p["value"].as_str().unwrap().to_string();
        }
        form = form.text(
            p["name"].as_str().unwrap().to_string(),
            p["value"].as_str().unwrap().to_string(),
        );
    }
    let jsonl = (1..=3)
        .map(|i| {
            json!({"input": {"title": format!("Bulk {i}"), "handle": format!("bulk-{i}")}})
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(jsonl.into_bytes()).file_name("v.jsonl"),
    );
    let up = shop
        .http
        .post(target["url"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), 201);
    let run = shop
        .gql(
            "mutation($m: String!, $p: String!) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p) { bulkOperation { id } userErrors { code message } } }",
            json!({"m": "mutation call($input: ProductSetInput!) { productSet(input: $input) { product { id handle } userErrors { message } } }", "p": key}),
        )
        .await;
    assert_eq!(run["bulkOperationRunMutation"]["userErrors"], json!([]));
    let done = wait_bulk(
        &shop,
        &run["bulkOperationRunMutation"]["bulkOperation"]["id"],
    )
    .await;
    assert_eq!(done["status"], "COMPLETED");
    let text = shop
        .http
        .get(done["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[2]["data"]["productSet"]["product"]["handle"],
        "bulk-3"
    );
    assert_eq!(lines[2]["__lineNumber"], 2);
    assert_eq!(shop.state.dump()["products"].as_array().unwrap().len(), 4);
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

#[tokio::test]
async fn faults_drop_the_answer_after_the_effect_and_expire_tokens() {
    let rates = FaultRates {
        drop_after: 1.0,
        ..FaultRates::none()
    };
    let shop = start_with(ShopifyConfig::default(), Faults::new(rates, 1)).await;
    let token = shop.state.config().access_token.clone();
    let sent = shop
        .http
        .post(shop.url())
        .header("X-Shopify-Access-Token", &token)
        .json(&json!({"query": "mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: \"https://example.invalid/h\"}) { userErrors { message } } }"}))
        .send()
        .await;
    let lost = match sent {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(lost, "the answer must be lost");
    assert_eq!(
        shop.state.dump()["webhook_subscriptions"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the effect happened"
    );

    let rates = FaultRates {
        expire_session: 1.0,
        ..FaultRates::none()
    };
    let shop = start_with(ShopifyConfig::default(), Faults::new(rates, 1)).await;
    // A static token does not expire: the fault leaves it alone.
    let (status, _) = shop.raw(&token, "{ shop { name } }", json!({})).await;
    assert_eq!(status, 200);
    // An issued token is revoked: 401 now, and 401 again (it is gone) until a new one.
    let issued: Value = shop
        .http
        .post(format!("{}/admin/oauth/access_token", shop.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "sandbox-client-id"),
            ("client_secret", "sandbox-client-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issued = issued["access_token"].as_str().unwrap();
    let (status, _) = shop.raw(issued, "{ shop { name } }", json!({})).await;
    assert_eq!(status, 401);
    let (status, _) = shop.raw(issued, "{ shop { name } }", json!({})).await;
    assert_eq!(status, 401, "a revoked token stays revoked");

    let rates = FaultRates {
        error_after: 1.0,
        ..FaultRates::none()
    };
    let shop = start_with(ShopifyConfig::default(), Faults::new(rates, 1)).await;
    let (status, _) = shop.raw(&token, "mutation { webhookSubscriptionCreate(topic: ORDERS_PAID, webhookSubscription: {uri: \"https://example.invalid/h\"}) { userErrors { message } } }", json!({})).await;
    assert_eq!(status, 500);
    assert_eq!(
        shop.state.dump()["webhook_subscriptions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn invalid_queries_fail_validation_like_shopify() {
    let shop = start(ShopifyConfig::default()).await;
    let token = shop.state.config().access_token.clone();
    let (status, body) = shop.raw(&token, "{ shop { nmae } }", json!({})).await;
    assert_eq!(status, 200);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nmae"),
        "{body}"
    );
    let (_, body) = shop
        .raw(
            &token,
            "{ products(first: 5, query: \"colour:red\") { nodes { id } } }",
            json!({}),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unsupported search field `colour`"),
        "{body}"
    );
    let (_, body) = shop
        .raw(&token, "{ products { nodes { id } } }", json!({}))
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("first or last"),
        "{body}"
    );
    let r = shop
        .http
        .post(shop.url())
        .header("X-Shopify-Access-Token", &token)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn idempotent_key_on_any_mutation_and_node_lookup() {
    let shop = start(ShopifyConfig::default()).await;
    let q = r#"mutation($d: DiscountAutomaticBasicInput!, $k: String!) {
      discountAutomaticBasicCreate(automaticBasicDiscount: $d) @idempotent(key: $k) {
        automaticDiscountNode { id } userErrors { message } } }"#;
    let d = json!({"title": "Eid 10%", "customerGets": {"value": {"percentage": 0.1}, "items": {"all": true}}});
    let first = shop.gql(q, json!({"d": d, "k": "disc-1"})).await;
    let again = shop.gql(q, json!({"d": d, "k": "disc-1"})).await;
    assert_eq!(first, again, "same key, same answer");
    assert_eq!(
        shop.state.dump()["discounts"].as_array().unwrap().len(),
        1,
        "no second effect"
    );
    // The same key with other arguments is refused.
    let token = shop.state.config().access_token.clone();
    let (_, body) = shop.raw(&token, q, json!({"d": {"title": "Other", "customerGets": {"value": {"percentage": 0.2}, "items": {"all": true}}}, "k": "disc-1"})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        "{body}"
    );
    assert_eq!(shop.state.dump()["discounts"].as_array().unwrap().len(), 1);
    // A new key is a new discount.
    shop.gql(q, json!({"d": d, "k": "disc-2"})).await;
    assert_eq!(shop.state.dump()["discounts"].as_array().unwrap().len(), 2);

    // node / nodes find objects by GID, with inline fragments on the concrete type.
    let loc = shop.state.location_ids()[0].clone();
    let p = shop
        .gql(
            PRODUCT_SET,
            json!({"input": tee_input("Node Tee", &loc, &[("Red", "N-1", "10.00")])}),
        )
        .await;
    let pid = p["productSet"]["product"]["id"].clone();
    let n = shop
        .gql(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { handle } ... on Location { name } } }",
            json!({"ids": [pid, loc, "gid://shopify/Product/999999"]}),
        )
        .await;
    assert_eq!(n["nodes"][0]["handle"], "node-tee");
    assert_eq!(n["nodes"][1]["name"], "Cairo Store");
    assert_eq!(n["nodes"][2], Value::Null);
}

#[tokio::test]
async fn variants_bulk_create_and_delete_and_adjust_quantities() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let p = shop
        .gql("mutation { productSet(input: {title: \"Plain Cap\"}) { product { id variants(first: 5) { nodes { title } } } userErrors { message } } }", json!({}))
        .await;
    let pid = p["productSet"]["product"]["id"].clone();
    assert_eq!(
        p["productSet"]["product"]["variants"]["nodes"],
        json!([{"title": "Default Title"}])
    );
    let created = shop
        .gql(
            "mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkCreate(productId: $p, variants: $v, strategy: REMOVE_STANDALONE_VARIANT) { product { options { name values } } productVariants { id title sku inventoryItem { id } } userErrors { code field message } } }",
            json!({"p": pid, "v": [
                {"optionValues": [{"optionName": "Size", "name": "S"}], "price": "50.00", "inventoryItem": {"sku": "CAP-S"}, "inventoryQuantities": [{"locationId": loc, "availableQuantity": 4}]},
                {"optionValues": [{"optionName": "Size", "name": "M"}], "price": "55.00", "inventoryItem": {"sku": "CAP-M"}},
            ]}),
        )
        .await;
    let r = &created["productVariantsBulkCreate"];
    assert_eq!(r["userErrors"], json!([]));
    assert_eq!(
        r["product"]["options"],
        json!([{"name": "Size", "values": ["S", "M"]}])
    );
    let vars = r["productVariants"].as_array().unwrap();
    assert_eq!(
        vars.iter()
            .map(|v| v["sku"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec!["CAP-S", "CAP-M"]
    );
    let dup = shop
        .gql("mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkCreate(productId: $p, variants: $v) { userErrors { code } } }", json!({"p": pid, "v": [{"optionValues": [{"optionName": "Size", "name": "S"}]}]}))
        .await;
    assert_eq!(
        dup["productVariantsBulkCreate"]["userErrors"][0]["code"],
        "VARIANT_ALREADY_EXISTS"
    );

    // Adjust by a delta, with and without a stale expectation.
    let adjust = "mutation($i: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $i) { inventoryAdjustmentGroup { changes { name delta quantityAfterChange } } userErrors { code field } } }";
    let change = |delta: i64, from: i64| json!({"name": "available", "reason": "received", "changes": [{"inventoryItemId": vars[0]["inventoryItem"]["id"], "locationId": loc, "delta": delta, "changeFromQuantity": from}]});
    let ok = shop.gql(adjust, json!({"i": change(3, 4)})).await;
    assert_eq!(
        ok["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["changes"][0],
        json!({"name": "available", "delta": 3, "quantityAfterChange": 7})
    );
    let stale = shop.gql(adjust, json!({"i": change(3, 4)})).await;
    assert_eq!(
        stale["inventoryAdjustQuantities"]["userErrors"][0]["code"],
        "CHANGE_FROM_QUANTITY_STALE"
    );

    let del = "mutation($p: ID!, $v: [ID!]!) { productVariantsBulkDelete(productId: $p, variantsIds: $v) { product { variantsCount { count } } userErrors { code } } }";
    let one = shop.gql(del, json!({"p": pid, "v": [vars[1]["id"]]})).await;
    assert_eq!(
        one["productVariantsBulkDelete"]["product"]["variantsCount"]["count"],
        1
    );
    let last = shop.gql(del, json!({"p": pid, "v": [vars[0]["id"]]})).await;
    assert_eq!(
        last["productVariantsBulkDelete"]["userErrors"][0]["code"],
        "CANNOT_DELETE_LAST_VARIANT"
    );
}

#[tokio::test]
async fn webhooks_are_retried_until_accepted_and_can_be_delayed() {
    let config = ShopifyConfig {
        webhooks: sandbox::shopify::WebhookOptions {
            max_delay_ms: 30,
            reorder: true,
            ..Default::default()
        },
        ..ShopifyConfig::default()
    };
    let shop = start(config).await;
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let app = axum::Router::new()
        .route(
            "/flaky",
            post(
                |State((tx, calls)): State<(
                    mpsc::UnboundedSender<String>,
                    Arc<std::sync::atomic::AtomicUsize>,
                )>,
                 headers: HeaderMap| async move {
                    // The first attempt fails: the stand-in must retry.
                    if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                        return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let _ = tx.send(header(&headers, "x-shopify-topic").to_string());
                    axum::http::StatusCode::OK
                },
            ),
        )
        .with_state((tx, calls.clone()));
    let uri = format!("{}/flaky", serve(app).await);
    for topic in ["CUSTOMERS_CREATE", "REFUNDS_CREATE", "ORDERS_CANCELLED"] {
        subscribe(&shop, topic, &uri).await;
    }
    shop.state.generate_orders(6, &catalog(), 1.0, 0.5, 11);
    let dump = shop.state.dump();
    let cancelled = dump["orders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["cancelled"] == true)
        .count();
    let expected = dump["customers"].as_array().unwrap().len()
        + dump["refunds"].as_array().unwrap().len()
        + cancelled;
    let mut topics = Vec::new();
    while topics.len() < expected {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(t)) => topics.push(t),
            _ => break,
        }
    }
    assert_eq!(topics.len(), expected, "{topics:?}");
    assert!(topics.iter().any(|t| t == "customers/create"));
    assert!(topics.iter().any(|t| t == "refunds/create"));
    assert!(topics.iter().any(|t| t == "orders/cancelled"));
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        topics.len() + 1
    );
    // The stand-in counts a delivery once it has read the answer, just after the receiver.
    for _ in 0..100 {
        if shop.state.stats()["webhooks_sent"] == topics.len() as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(shop.state.stats()["webhooks_sent"], topics.len() as u64);
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
async fn files_attach_and_detach_with_file_update() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let p = shop
        .gql(
            PRODUCT_SET,
            json!({"input": tee_input("File Tee", &loc, &[("Red", "F-1", "10.00")])}),
        )
        .await;
    let pid = p["productSet"]["product"]["id"].clone();
    let f = shop
        .gql(
            "mutation { fileCreate(files: [{originalSource: \"https://cdn.example/tee.jpg\", contentType: IMAGE, alt: \"Tee\"}]) { files { id fileStatus alt } userErrors { message } } }",
            json!({}),
        )
        .await;
    let fid = f["fileCreate"]["files"][0]["id"].clone();
    assert_eq!(f["fileCreate"]["files"][0]["fileStatus"], "READY");
    let update = "mutation($f: [FileUpdateInput!]!) { fileUpdate(files: $f) { files { id alt } userErrors { code field message } } }";
    let add = shop
        .gql(
            update,
            json!({"f": [{"id": fid, "referencesToAdd": [pid], "alt": "Front"}]}),
        )
        .await;
    assert_eq!(add["fileUpdate"]["files"][0]["alt"], "Front");
    let media = shop
        .gql(
            "query($p: ID!) { product(id: $p) { media(first: 5) { nodes { id alt status } } } }",
            json!({"p": pid}),
        )
        .await;
    assert_eq!(
        media["product"]["media"]["nodes"],
        json!([{"id": fid, "alt": "Front", "status": "READY"}])
    );
    let remove = shop
        .gql(
            update,
            json!({"f": [{"id": fid, "referencesToRemove": [pid]}]}),
        )
        .await;
    assert_eq!(remove["fileUpdate"]["userErrors"], json!([]));
    let count = shop
        .gql(
            "query($p: ID!) { product(id: $p) { mediaCount { count } } }",
            json!({"p": pid}),
        )
        .await;
    assert_eq!(count["product"]["mediaCount"]["count"], 0);
    let again = shop
        .gql(
            update,
            json!({"f": [{"id": fid, "referencesToRemove": [pid]}]}),
        )
        .await;
    assert_eq!(
        again["fileUpdate"]["userErrors"][0]["field"],
        json!(["files", "0", "referencesToRemove", "0"])
    );
    let gone = shop.gql("mutation($ids: [ID!]!) { fileDelete(fileIds: $ids) { deletedFileIds userErrors { code } } }", json!({"ids": [fid]})).await;
    assert_eq!(gone["fileDelete"]["deletedFileIds"], json!([fid]));
}

#[tokio::test]
async fn variant_media_and_discount_updates() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let p = shop.gql(PRODUCT_SET, json!({"input": tee_input("Media Tee", &loc, &[("Red", "M-1", "10.00"), ("Blue", "M-2", "10.00")])})).await;
    let pid = p["productSet"]["product"]["id"].clone();
    let red = p["productSet"]["product"]["variants"]["nodes"][0]["id"].clone();
    let media = shop
        .gql(
            "mutation($p: ID!, $m: [CreateMediaInput!]!) { productCreateMedia(productId: $p, media: $m) { media { id } } }",
            json!({"p": pid, "m": [{"originalSource": "https://cdn.example/red.jpg", "mediaContentType": "IMAGE"}]}),
        )
        .await;
    let mid = media["productCreateMedia"]["media"][0]["id"].clone();
    let append = "mutation($p: ID!, $v: [ProductVariantAppendMediaInput!]!) { productVariantAppendMedia(productId: $p, variantMedia: $v) { productVariants { id media(first: 1) { nodes { id } } } userErrors { code field } } }";
    let a = shop
        .gql(
            append,
            json!({"p": pid, "v": [{"variantId": red, "mediaIds": [mid]}]}),
        )
        .await;
    assert_eq!(
        a["productVariantAppendMedia"]["productVariants"][0]["media"]["nodes"][0]["id"],
        mid
    );
    let detach = "mutation($p: ID!, $v: [ProductVariantDetachMediaInput!]!) { productVariantDetachMedia(productId: $p, variantMedia: $v) { productVariants { id } userErrors { code } } }";
    let d = shop
        .gql(
            detach,
            json!({"p": pid, "v": [{"variantId": red, "mediaIds": [mid]}]}),
        )
        .await;
    assert_eq!(d["productVariantDetachMedia"]["userErrors"], json!([]));
    let d = shop
        .gql(
            detach,
            json!({"p": pid, "v": [{"variantId": red, "mediaIds": [mid]}]}),
        )
        .await;
    assert_eq!(
        d["productVariantDetachMedia"]["userErrors"][0]["code"],
        "MEDIA_IS_NOT_ATTACHED_TO_VARIANT"
    );

    let create = shop
        .gql(
            "mutation($d: DiscountAutomaticBasicInput!) { discountAutomaticBasicCreate(automaticBasicDiscount: $d) { automaticDiscountNode { id } } }",
            json!({"d": {"title": "Sale", "customerGets": {"value": {"percentage": 0.1}, "items": {"products": {"productsToAdd": [pid]}}}}}),
        )
        .await;
    let did = create["discountAutomaticBasicCreate"]["automaticDiscountNode"]["id"].clone();
    let update = shop
        .gql(
            "mutation($id: ID!, $d: DiscountAutomaticBasicInput!) { discountAutomaticBasicUpdate(id: $id, automaticBasicDiscount: $d) { automaticDiscountNode { id automaticDiscount { ... on DiscountAutomaticBasic { title summary } } } userErrors { code } } }",
            json!({"id": did, "d": {"title": "Bigger sale", "customerGets": {"value": {"percentage": 0.25}}}}),
        )
        .await;
    let node = &update["discountAutomaticBasicUpdate"]["automaticDiscountNode"];
    assert_eq!(node["id"], did);
    assert_eq!(node["automaticDiscount"]["title"], "Bigger sale");
    assert_eq!(node["automaticDiscount"]["summary"], "25% off");
    let dump = shop.state.dump();
    assert_eq!(dump["discounts"].as_array().unwrap().len(), 1);
    assert_eq!(dump["discounts"][0]["product_ids"], json!([pid]));
}
