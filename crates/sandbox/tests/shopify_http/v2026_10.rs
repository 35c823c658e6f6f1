//! API versions: the header naming the version served, falling forward, each version's
//! schema, and the 2026-04/2026-10 inventory rules next to the 2026-01 ones.

use super::*;

const NEW: &str = "2026-10";
const OLD: &str = "2026-01";

const SET: &str = r#"mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: "KEY") {
    inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}"#;

const SET_NO_KEY: &str = r#"mutation Set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}"#;

fn set_with_key(key: &str) -> String {
    SET.replace("KEY", key)
}

fn set_input(item: &str, location: &str, from: Value, quantity: i64) -> Value {
    json!({
        "reason": "correction",
        "name": "available",
        "referenceDocumentUri": "gid://erp/SyncJob/1",
        "quantities": [{"inventoryItemId": item, "locationId": location, "quantity": quantity, "changeFromQuantity": from}],
    })
}

/// A product with one variant stocked (5 available) at the first location; returns the
/// inventory item and variant ids.
async fn stocked_item(shop: &Shop, loc: &str) -> (String, String) {
    let d = shop
        .gql(
            PRODUCT_SET,
            json!({"input": tee_input("Versioned Tee", loc, &[("Red", "VT-RED", "100.00")])}),
        )
        .await;
    let v = &d["productSet"]["product"]["variants"]["nodes"][0];
    (
        v["inventoryItem"]["id"].as_str().unwrap().to_string(),
        v["id"].as_str().unwrap().to_string(),
    )
}

const LEVELS: &str = r#"query($id: ID!, $loc: ID!) { inventoryItem(id: $id) {
  all: inventoryLevels(first: 10, includeInactive: true) { nodes { isActive location { id } quantities(names: ["available"]) { quantity } } }
  active: inventoryLevels(first: 10) { nodes { isActive location { id } } }
  one: inventoryLevel(locationId: $loc) { id }
  oneAny: inventoryLevel(locationId: $loc, includeInactive: true) { isActive }
  variant { inventoryQuantity }
} }"#;

#[tokio::test]
async fn the_header_names_the_version_served_and_unknown_versions_fall_forward() {
    let shop = start(ShopifyConfig::default()).await;
    let q = "{ shop { name } }";
    let (status, served, _) = shop.at(NEW, q, json!({})).await;
    assert_eq!((status, served.as_str()), (200, NEW));
    let (status, served, _) = shop.at(OLD, q, json!({})).await;
    assert_eq!((status, served.as_str()), (200, OLD));
    // 2025-10 is retired: answered by the oldest supported version, and the header says so.
    let (status, served, body) = shop.at("2025-10", q, json!({})).await;
    assert_eq!((status, served.as_str()), (200, OLD), "{body}");
    // Not a version at all, or one not released: not an API path.
    for v in ["latest", "2027-01", "2024-10"] {
        let (status, _, _) = shop.at(v, q, json!({})).await;
        assert_eq!(status, 404, "{v}");
    }

    // With 2026-01 retired (supported versions configured), a 2026-01 client falls forward
    // to 2026-04 and gets its rules: `isActive` exists there.
    let shop = start(ShopifyConfig {
        api_versions: vec!["2026-04".into(), NEW.into()],
        ..ShopifyConfig::default()
    })
    .await;
    let loc = shop.state.location_ids()[0].clone();
    let (item, _) = stocked_item(&shop, &loc).await;
    let q = "query($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 5) { nodes { isActive } } } }";
    let (status, served, body) = shop.at(OLD, q, json!({"id": item})).await;
    assert_eq!((status, served.as_str()), (200, "2026-04"));
    assert_eq!(
        body["data"]["inventoryItem"]["inventoryLevels"]["nodes"][0]["isActive"], true,
        "{body}"
    );
}

#[tokio::test]
async fn each_version_refuses_the_members_it_does_not_have() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let (item, _) = stocked_item(&shop, &loc).await;
    let q = "query($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 5) { nodes { isActive } } } }";
    let (_, _, body) = shop.at(OLD, q, json!({"id": item})).await;
    assert_eq!(body.get("data"), None, "{body}");
    assert_eq!(
        body["errors"][0]["message"],
        "Field 'isActive' doesn't exist on type 'InventoryLevel'"
    );
    let (_, _, body) = shop.at(NEW, q, json!({"id": item})).await;
    assert!(body.get("errors").is_none(), "{body}");

    // compareQuantity was removed in 2026-04: refused in a variable under 2026-10.
    let mut input = set_input(&item, &loc, json!(5), 6);
    input["quantities"][0]["compareQuantity"] = json!(5);
    let (_, _, body) = shop
        .at(NEW, &set_with_key("k-cq"), json!({"input": input}))
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("compareQuantity"),
        "{body}"
    );
    // includeInactive is an argument of 2026-04 on.
    let q = "query($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 5, includeInactive: true) { nodes { id } } } }";
    let (_, _, body) = shop.at(OLD, q, json!({"id": item})).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Field 'inventoryLevels' doesn't accept argument 'includeInactive'",
        "{body}"
    );
}

#[tokio::test]
async fn inventory_mutations_need_an_idempotency_key_from_2026_04_only() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let (item, _) = stocked_item(&shop, &loc).await;

    // 2026-10: refused, nothing changes.
    let (_, _, body) = shop
        .at(
            NEW,
            SET_NO_KEY,
            json!({"input": set_input(&item, &loc, json!(5), 9)}),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("@idempotent")
    );
    let adjust = r#"mutation($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input) { inventoryAdjustmentGroup { id } userErrors { code } } }"#;
    let adjust_input = json!({"reason": "correction", "name": "available", "changes": [{"delta": 1, "inventoryItemId": item, "locationId": loc, "changeFromQuantity": 5}]});
    let (_, _, body) = shop.at(NEW, adjust, json!({"input": adjust_input})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );
    let loc2 = shop.state.location_ids()[1].clone();
    let activate = "mutation($i: ID!, $l: ID!) { inventoryActivate(inventoryItemId: $i, locationId: $l) { inventoryLevel { id } userErrors { message } } }";
    let (_, _, body) = shop.at(NEW, activate, json!({"i": item, "l": loc2})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );
    let levels = shop
        .gql_at(NEW, LEVELS, json!({"id": item, "loc": loc2}))
        .await;
    assert_eq!(
        levels["inventoryItem"]["all"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        levels["inventoryItem"]["all"]["nodes"][0]["quantities"][0]["quantity"],
        5
    );

    // 2026-01: the same request without a key is accepted.
    let d = shop
        .gql_at(
            OLD,
            SET_NO_KEY,
            json!({"input": set_input(&item, &loc, json!(5), 9)}),
        )
        .await;
    assert_eq!(d["inventorySetQuantities"]["userErrors"], json!([]));
    let d = shop.gql_at(OLD, adjust, json!({"input": {"reason": "correction", "name": "available", "changes": [{"delta": 1, "inventoryItemId": item, "locationId": loc}]}})).await;
    assert_eq!(d["inventoryAdjustQuantities"]["userErrors"], json!([]));
    let d = shop
        .gql_at(NEW, LEVELS, json!({"id": item, "loc": loc}))
        .await;
    assert_eq!(d["inventoryItem"]["variant"]["inventoryQuantity"], 10);
}

#[tokio::test]
async fn the_same_key_twice_has_one_effect_and_a_stale_change_from_is_refused() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let (item, _) = stocked_item(&shop, &loc).await;
    let adjust = r#"mutation($input: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $input) @idempotent(key: "adj-1") { inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } } userErrors { code } } }"#;
    let input = json!({"reason": "correction", "name": "available", "changes": [{"delta": 3, "inventoryItemId": item, "locationId": loc, "changeFromQuantity": 5}]});
    let first = shop.gql_at(NEW, adjust, json!({"input": input})).await;
    let second = shop.gql_at(NEW, adjust, json!({"input": input})).await;
    assert_eq!(first, second);
    assert_eq!(first["inventoryAdjustQuantities"]["userErrors"], json!([]));
    let levels = shop
        .gql_at(NEW, LEVELS, json!({"id": item, "loc": loc}))
        .await;
    assert_eq!(levels["inventoryItem"]["variant"]["inventoryQuantity"], 8);

    let first = shop
        .gql_at(
            NEW,
            &set_with_key("set-1"),
            json!({"input": set_input(&item, &loc, json!(8), 20)}),
        )
        .await;
    let second = shop
        .gql_at(
            NEW,
            &set_with_key("set-1"),
            json!({"input": set_input(&item, &loc, json!(8), 20)}),
        )
        .await;
    assert_eq!(first, second);
    assert_eq!(
        first["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"][0]["delta"],
        12
    );
    // A stale changeFromQuantity: the documented error, nothing written.
    let stale = shop
        .gql_at(
            NEW,
            &set_with_key("set-2"),
            json!({"input": set_input(&item, &loc, json!(8), 30)}),
        )
        .await;
    assert_eq!(
        stale["inventorySetQuantities"]["userErrors"][0]["code"],
        "CHANGE_FROM_QUANTITY_STALE"
    );
    let levels = shop
        .gql_at(NEW, LEVELS, json!({"id": item, "loc": loc}))
        .await;
    assert_eq!(levels["inventoryItem"]["variant"]["inventoryQuantity"], 20);
    // The same adjustment key with other input is refused (as a GraphQL error).
    let mut other = input.clone();
    other["changes"][0]["delta"] = json!(4);
    let (_, _, body) = shop.at(NEW, adjust, json!({"input": other})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        "{body}"
    );
}

#[tokio::test]
async fn a_write_where_the_item_is_not_stocked_lands_on_an_inactive_level_in_2026_10() {
    let shop = start(ShopifyConfig::default()).await;
    let loc = shop.state.location_ids()[0].clone();
    let loc2 = shop.state.location_ids()[1].clone();
    let (item, _) = stocked_item(&shop, &loc).await;

    // 2026-01: refused with ITEM_NOT_STOCKED_AT_LOCATION.
    let old = shop
        .gql_at(
            OLD,
            &set_with_key("old-1"),
            json!({"input": set_input(&item, &loc2, Value::Null, 7)}),
        )
        .await;
    assert_eq!(
        old["inventorySetQuantities"]["userErrors"][0]["code"],
        "ITEM_NOT_STOCKED_AT_LOCATION"
    );

    // 2026-10: accepted, on an inactive level.
    let new = shop
        .gql_at(
            NEW,
            &set_with_key("new-1"),
            json!({"input": set_input(&item, &loc2, json!(0), 7)}),
        )
        .await;
    assert_eq!(new["inventorySetQuantities"]["userErrors"], json!([]));
    let d = shop
        .gql_at(NEW, LEVELS, json!({"id": item, "loc": loc2}))
        .await;
    let it = &d["inventoryItem"];
    assert_eq!(it["all"]["nodes"].as_array().unwrap().len(), 2);
    let inactive: Vec<&Value> = it["all"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["isActive"] == false)
        .collect();
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0]["location"]["id"], loc2.as_str());
    assert_eq!(inactive[0]["quantities"][0]["quantity"], 7);
    // Hidden without includeInactive, and not sellable.
    assert_eq!(it["active"]["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(it["one"], Value::Null);
    assert_eq!(it["oneAny"]["isActive"], false);
    assert_eq!(it["variant"]["inventoryQuantity"], 5);
    // Under 2026-01 the inactive level is not stocked either.
    let old = shop
        .gql_at(
            OLD,
            &set_with_key("old-2"),
            json!({"input": set_input(&item, &loc2, Value::Null, 8)}),
        )
        .await;
    assert_eq!(
        old["inventorySetQuantities"]["userErrors"][0]["code"],
        "ITEM_NOT_STOCKED_AT_LOCATION"
    );

    // inventoryActivate makes it active with the quantity it kept.
    let activate = r#"mutation($i: ID!, $l: ID!) { inventoryActivate(inventoryItemId: $i, locationId: $l) @idempotent(key: "act-1") { inventoryLevel { isActive quantities(names: ["available"]) { quantity } } userErrors { message } } }"#;
    let a = shop
        .gql_at(NEW, activate, json!({"i": item, "l": loc2}))
        .await;
    assert_eq!(
        a["inventoryActivate"]["inventoryLevel"],
        json!({"isActive": true, "quantities": [{"quantity": 7}]})
    );
    let d = shop
        .gql_at(NEW, LEVELS, json!({"id": item, "loc": loc2}))
        .await;
    assert_eq!(
        d["inventoryItem"]["active"]["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(d["inventoryItem"]["variant"]["inventoryQuantity"], 12);
    let dump = shop.state.dump();
    let text = dump.to_string();
    assert!(
        text.contains("\"active\":true"),
        "the dump shows levels' state"
    );
}

const ORDER: &str = "query($id: ID!) { order(id: $id) { displayFulfillmentStatus lineItems(first: 10) { nodes { id quantity requiresShipping } } } }";

#[tokio::test]
async fn fulfillment_not_required_appears_under_2026_10_only() {
    let shop = start(ShopifyConfig::default()).await;
    let status = |v: &'static str, id: String| {
        let shop = &shop;
        async move {
            shop.gql_at(v, ORDER, json!({"id": id})).await["order"]["displayFulfillmentStatus"]
                .clone()
        }
    };
    // Three orders not fulfilled (the generator fulfils some).
    let mut ids = Vec::new();
    for id in shop.state.generate_orders(12, &catalog(), 0.0, 0.0, 11) {
        if status(NEW, id.clone()).await == "UNFULFILLED" {
            ids.push(id);
        }
    }
    assert!(ids.len() >= 3, "{ids:?}");
    // Cancelled: nothing left to fulfil.
    shop.state.cancel_order(&ids[0]).unwrap();
    assert_eq!(
        status(NEW, ids[0].clone()).await,
        "FULFILLMENT_NOT_REQUIRED"
    );
    assert_eq!(status(OLD, ids[0].clone()).await, "UNFULFILLED");
    // Every unit refunded.
    let lines = shop.gql_at(NEW, ORDER, json!({"id": ids[1]})).await["order"]["lineItems"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_string(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect::<Vec<_>>();
    let (first, rest) = lines.split_first().unwrap();
    shop.state
        .refund_order(&ids[1], std::slice::from_ref(first), false)
        .unwrap();
    if !rest.is_empty() {
        // Partly refunded: still to fulfil.
        assert_eq!(status(NEW, ids[1].clone()).await, "UNFULFILLED");
        shop.state.refund_order(&ids[1], rest, false).unwrap();
    }
    assert_eq!(
        status(NEW, ids[1].clone()).await,
        "FULFILLMENT_NOT_REQUIRED"
    );
    assert_eq!(status(OLD, ids[1].clone()).await, "UNFULFILLED");
    // Untouched.
    assert_eq!(status(NEW, ids[2].clone()).await, "UNFULFILLED");

    // The generator's cancellations show it too.
    let ids = shop.state.generate_orders(8, &catalog(), 0.0, 1.0, 12);
    let mut cancelled = 0;
    for id in ids {
        let q = "query($id: ID!) { order(id: $id) { cancelledAt displayFulfillmentStatus } }";
        let d = shop.gql_at(NEW, q, json!({"id": id})).await;
        if d["order"]["cancelledAt"].is_null() {
            assert_ne!(
                d["order"]["displayFulfillmentStatus"],
                "FULFILLMENT_NOT_REQUIRED"
            );
            continue;
        }
        cancelled += 1;
        assert_eq!(
            d["order"]["displayFulfillmentStatus"],
            "FULFILLMENT_NOT_REQUIRED"
        );
        assert_eq!(status(OLD, id).await, "UNFULFILLED");
    }
    assert!(cancelled > 0);
}

/// `requiresShipping` of every line of the orders.
async fn lines_of(shop: &Shop, ids: Vec<String>) -> Vec<bool> {
    let mut out = Vec::new();
    for id in ids {
        let d = shop.gql_at(NEW, ORDER, json!({"id": id})).await;
        for l in d["order"]["lineItems"]["nodes"].as_array().unwrap() {
            out.push(l["requiresShipping"].as_bool().unwrap());
        }
    }
    out
}

#[tokio::test]
async fn generated_lines_need_no_shipping_at_the_configured_rate() {
    let shop = start(ShopifyConfig::default()).await;
    let ids = shop.state.generate_orders(20, &catalog(), 0.0, 0.0, 5);
    assert!(lines_of(&shop, ids).await.iter().all(|s| *s));

    let shop = start(ShopifyConfig {
        digital_line_rate: 0.5,
        ..ShopifyConfig::default()
    })
    .await;
    let ids = shop.state.generate_orders(20, &catalog(), 0.0, 0.0, 5);
    let lines = lines_of(&shop, ids).await;
    assert!(lines.iter().any(|s| *s), "some lines ship");
    assert!(lines.iter().any(|s| !*s), "some lines are digital");
    let dump = shop.state.dump();
    assert!(dump.to_string().contains("\"requires_shipping\":false"));
}
