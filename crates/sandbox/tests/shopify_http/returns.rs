//! Returns and exchanges: `Order.returns`, `return`, `returnApproveRequest`, `returnProcess`
//! producing refunds and exchange lines, and the `returns/*` webhooks.

use std::collections::BTreeSet;

use sandbox::shopify::{ExchangeLineSpec, NewReturn, ReturnLineSpec};

use super::*;

const NEW: &str = "2026-10";

const RETURNS: &str = r#"query($id: ID!) { order(id: $id) {
  displayFinancialStatus
  lineItems(first: 20) { nodes { id sku quantity currentQuantity } }
  refunds { id totalRefundedSet { shopMoney { amount } } refundLineItems(first: 10) { nodes { quantity restockType lineItem { id } } } }
  transactions { id kind gateway amountSet { shopMoney { amount } } }
  returns(first: 5) { nodes {
    id name status totalQuantity
    returnLineItems(first: 5) { nodes { id quantity processedQuantity unprocessedQuantity returnReason
      ... on ReturnLineItem { fulfillmentLineItem { lineItem { id sku } } } } }
    exchangeLineItems(first: 5) { nodes { id quantity processedQuantity variantSku lineItems { id sku quantity } } }
    refunds(first: 5) { nodes { id } }
  } }
} }"#;

const PROCESS: &str = r#"mutation($input: ReturnProcessInput!) { returnProcess(input: $input) {
  return { id status closedAt refunds(first: 5) { nodes { id totalRefundedSet { shopMoney { amount } } } } }
  userErrors { code field message }
} }"#;

/// A shop selling one catalog entry (`SKU-2`, 151.00, a variant of the shop) and having
/// `SKU-1` (125.50) to give in exchange; `n` generated orders.
async fn shop_with_orders(n: usize) -> (Shop, Vec<String>) {
    shop_with_orders_at(n, ShopifyConfig::default()).await
}

/// As [`shop_with_orders`], the stand-in configured by `config`.
async fn shop_with_orders_at(n: usize, config: ShopifyConfig) -> (Shop, Vec<String>) {
    let shop = start(config).await;
    let loc = shop.state.location_ids()[0].clone();
    shop.gql(
        PRODUCT_SET,
        json!({"input": tee_input("Exchange Tee", &loc, &[("Red", "SKU-1", "125.50"), ("Blue", "SKU-2", "151.00")])}),
    )
    .await;
    let ids = shop
        .state
        .generate_orders(n, &catalog()[1..2], 0.0, 0.0, 21);
    (shop, ids)
}

/// An order of the stand-in's dump.
fn dumped_order(shop: &Shop, order: &str) -> Value {
    shop.state.dump()["orders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == order)
        .unwrap()
        .clone()
}

fn money(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn return_process_refunds_the_returned_units_and_adds_the_exchanged_ones() {
    let (shop, ids) = shop_with_orders(3).await;
    let (hooks, mut rx) = receiver().await;
    for topic in [
        "RETURNS_APPROVE",
        "RETURNS_PROCESS",
        "RETURNS_CLOSE",
        "REFUNDS_CREATE",
    ] {
        subscribe(&shop, topic, &hooks).await;
    }
    let order = ids[0].clone();
    let line = dumped_order(&shop, &order)["lines"][0].clone();
    let made = shop
        .state
        .create_return(&NewReturn {
            order_id: order.clone(),
            source: None,
            lines: vec![ReturnLineSpec {
                line_item_id: line["id"].as_str().unwrap().to_string(),
                quantity: 1,
                reason: Some("SIZE_TOO_SMALL".into()),
                note: None,
                customer_note: Some("too tight".into()),
            }],
            exchange: vec![ExchangeLineSpec {
                sku: Some("SKU-1".into()),
                variant_id: None,
                quantity: 1,
            }],
            fulfill: true,
            process: false,
        })
        .unwrap();
    assert_eq!(made["status"], "OPEN");

    let d = shop.gql_at(NEW, RETURNS, json!({"id": order})).await;
    let ret = &d["order"]["returns"]["nodes"][0];
    assert_eq!(ret["id"], made["return_id"]);
    assert_eq!(ret["status"], "OPEN");
    assert_eq!(ret["totalQuantity"], 1);
    let rli = &ret["returnLineItems"]["nodes"][0];
    assert_eq!(rli["returnReason"], "SIZE_TOO_SMALL");
    assert_eq!(rli["unprocessedQuantity"], 1);
    assert_eq!(rli["fulfillmentLineItem"]["lineItem"]["id"], line["id"]);
    let xli = &ret["exchangeLineItems"]["nodes"][0];
    assert_eq!(xli["variantSku"], "SKU-1");
    assert_eq!(xli["lineItems"], json!([]));

    // What the returned unit is worth (net of its discount), less the exchanged item.
    let qty = Decimal::from(line["quantity"].as_i64().unwrap());
    let unit_net =
        ((money(&line["unit_price"]) * qty - money(&line["discount"])) / qty).round_dp(2);
    let due = (unit_net - Decimal::new(12550, 2)).max(Decimal::ZERO);
    let sale = d["order"]["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "SALE")
        .unwrap()["id"]
        .clone();
    let input = |amount: Decimal| {
        json!({"input": {
            "returnId": ret["id"],
            "returnLineItems": [{"id": rli["id"], "quantity": 1}],
            "exchangeLineItems": [{"id": xli["id"], "quantity": 1}],
            "financialTransfer": {"issueRefund": {"orderTransactions": [
                {"parentId": sale, "transactionAmount": {"amount": amount.to_string(), "currencyCode": "EGP"}}
            ]}},
        }})
    };
    // More than the returned unit less the exchange: refused, nothing processed.
    let over = shop
        .gql_at(NEW, PROCESS, input(due + Decimal::new(100, 0)))
        .await;
    assert_eq!(
        over["returnProcess"]["userErrors"][0]["code"],
        "GREATER_THAN"
    );
    assert_eq!(over["returnProcess"]["return"], Value::Null);

    assert!(
        due > Decimal::ZERO,
        "the returned unit is worth more than the exchange"
    );
    let done = shop.gql_at(NEW, PROCESS, input(due)).await;
    assert_eq!(done["returnProcess"]["userErrors"], json!([]), "{done}");
    let r = &done["returnProcess"]["return"];
    assert_eq!(r["status"], "CLOSED");
    assert!(r["closedAt"].is_string());
    let refunded = money(&r["refunds"]["nodes"][0]["totalRefundedSet"]["shopMoney"]["amount"]);
    assert_eq!(refunded, due);

    let d = shop.gql_at(NEW, RETURNS, json!({"id": order})).await;
    let o = &d["order"];
    // The refund lists the returned unit (restocked as a return).
    let refund = o["refunds"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        refund["refundLineItems"]["nodes"],
        json!([{"quantity": 1, "restockType": "RETURN", "lineItem": {"id": line["id"]}}])
    );
    // The exchanged item is a new line of the order, linked from the exchange line item.
    let lines = o["lineItems"]["nodes"].as_array().unwrap();
    let new_line = lines.iter().find(|l| l["sku"] == "SKU-1").unwrap();
    assert_eq!(new_line["quantity"], 1);
    let ret = &o["returns"]["nodes"][0];
    assert_eq!(
        ret["exchangeLineItems"]["nodes"][0]["lineItems"][0]["id"],
        new_line["id"]
    );
    assert_eq!(ret["exchangeLineItems"]["nodes"][0]["processedQuantity"], 1);
    assert_eq!(ret["returnLineItems"]["nodes"][0]["processedQuantity"], 1);
    assert_eq!(ret["refunds"]["nodes"][0]["id"], refund["id"]);
    let returned = lines.iter().find(|l| l["id"] == line["id"]).unwrap();
    assert_eq!(
        returned["currentQuantity"].as_i64().unwrap(),
        line["quantity"].as_i64().unwrap() - 1
    );

    // A closed return is not processed again.
    let again = shop.gql_at(NEW, PROCESS, input(due)).await;
    assert_eq!(
        again["returnProcess"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );

    // The webhooks: approve, process, refund, close.
    let mut topics = BTreeSet::new();
    while topics.len() < 4 {
        let (h, body) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("webhook in time")
            .unwrap();
        let topic = header(&h, "X-Shopify-Topic").to_string();
        if topic.starts_with("returns/") {
            let v: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["admin_graphql_api_id"], made["return_id"]);
        }
        topics.insert(topic);
    }
    assert_eq!(
        topics,
        BTreeSet::from([
            "refunds/create".to_string(),
            "returns/approve".into(),
            "returns/close".into(),
            "returns/process".into()
        ])
    );
}

#[tokio::test]
async fn returns_need_fulfilled_units_and_customer_requests_need_approval() {
    let (shop, ids) = shop_with_orders(6).await;
    // An order not fulfilled yet (the generator fulfils some).
    let order = ids
        .iter()
        .find(|id| dumped_order(&shop, id)["fulfillment_status"] == "UNFULFILLED")
        .unwrap()
        .clone();
    let line = dumped_order(&shop, &order)["lines"][0].clone();
    let spec = |source: &str, fulfill: bool| NewReturn {
        order_id: order.clone(),
        source: Some(source.into()),
        lines: vec![ReturnLineSpec {
            line_item_id: line["id"].as_str().unwrap().to_string(),
            quantity: 1,
            reason: None,
            note: None,
            customer_note: None,
        }],
        exchange: Vec::new(),
        fulfill,
        process: false,
    };
    // Unfulfilled units are not returned (unless fulfilled first); an unknown source.
    let err = shop.state.create_return(&spec("admin", false)).unwrap_err();
    assert!(err.contains("fulfilled"), "{err}");
    assert!(shop.state.create_return(&spec("shop", true)).is_err());

    // A customer-account return is a request until approved.
    let made = shop
        .state
        .create_return(&spec("customer_account", true))
        .unwrap();
    assert_eq!(made["status"], "REQUESTED");
    let id = made["return_id"].clone();
    let rli = made["return_line_item_ids"][0].clone();
    let process =
        json!({"input": {"returnId": id, "returnLineItems": [{"id": rli, "quantity": 1}]}});
    let refused = shop.gql_at(NEW, PROCESS, process.clone()).await;
    assert_eq!(
        refused["returnProcess"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    let approve = "mutation($id: ID!) { returnApproveRequest(input: {id: $id}) { return { status requestApprovedAt } userErrors { code } } }";
    let a = shop.gql_at(NEW, approve, json!({"id": id})).await;
    assert_eq!(a["returnApproveRequest"]["return"]["status"], "OPEN");
    let twice = shop.gql_at(NEW, approve, json!({"id": id})).await;
    assert_eq!(
        twice["returnApproveRequest"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    // Processed without a financial transfer: the refund records the unit, no money moves.
    let done = shop.gql_at("2026-01", PROCESS, process).await;
    assert_eq!(done["returnProcess"]["userErrors"], json!([]));
    assert_eq!(done["returnProcess"]["return"]["status"], "CLOSED");
    let refund = &done["returnProcess"]["return"]["refunds"]["nodes"][0];
    assert_eq!(
        money(&refund["totalRefundedSet"]["shopMoney"]["amount"]),
        Decimal::ZERO
    );
    // The `return` query field, in either version.
    let r = shop
        .gql_at(
            "2026-01",
            "query($id: ID!) { return(id: $id) { name status order { id } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["return"]["status"], "CLOSED");
    assert_eq!(r["return"]["order"]["id"], order.as_str());
    assert!(r["return"]["name"].as_str().unwrap().ends_with("-R1"));
    let dump = shop.state.dump();
    assert_eq!(dump["returns"][0]["source"], "customer_account");
}

#[tokio::test]
async fn generated_orders_get_exchanges_at_the_configured_rate() {
    let config = ShopifyConfig {
        exchange_rate: 1.0,
        ..ShopifyConfig::default()
    };
    let (shop, ids) = shop_with_orders_at(20, config).await;
    let dump = shop.state.dump();
    let returns = dump["returns"].as_array().unwrap();
    assert!(!returns.is_empty(), "the seed fulfils some orders");
    // Every fulfilled order (rate 1) got one processed exchange of SKU-2 for SKU-1; the
    // others none (only fulfilled units can be returned).
    let exchanged: BTreeSet<&str> = returns
        .iter()
        .map(|r| r["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(exchanged.len(), returns.len(), "one return an order");
    for o in dump["orders"].as_array().unwrap() {
        if !exchanged.contains(o["id"].as_str().unwrap()) {
            assert_eq!(o["fulfillment_status"], "UNFULFILLED", "{o}");
        }
    }
    assert!(ids.len() > returns.len(), "some orders are not fulfilled");
    for r in returns {
        assert_eq!(r["status"], "CLOSED", "{r}");
        assert_eq!(r["source"], "pos", "{r}");
        let x = &r["exchange_lines"][0];
        assert_eq!(x["sku"], "SKU-1", "{r}");
        assert_eq!(x["processed"], 1, "{r}");
        let added = x["line_item_ids"][0].as_str().expect("the line it added");
        let order = dumped_order(&shop, r["order_id"].as_str().unwrap());
        assert!(
            order["lines"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["id"] == added && l["sku"] == "SKU-1"),
            "{order}"
        );
        assert_eq!(r["refund_ids"].as_array().map(Vec::len), Some(1), "{r}");
    }
    // The GraphQL view: the order's return status and its exchange's line.
    let order = returns[0]["order_id"].as_str().unwrap();
    let data = shop
        .gql_at(
            NEW,
            "query($id: ID!) { order(id: $id) { returnStatus } }",
            json!({"id": order}),
        )
        .await;
    assert_eq!(data["order"]["returnStatus"], "RETURNED", "{data}");
}
