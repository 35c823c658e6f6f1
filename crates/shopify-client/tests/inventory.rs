//! inventorySetQuantities in chunks with changeFromQuantity and @idempotent keys; stale
//! compare → re-read → retry; levels; activate.

mod common;

use common::*;
use serde_json::json;
use shopify_client::ops::inventory::*;
use sync_core::id::IdempotencyKey;

fn change(i: usize, quantity: i64, from: Option<i64>) -> QuantityChange {
    QuantityChange {
        inventory_item_id: format!("gid://shopify/InventoryItem/{}", 3000 + i)
            .parse()
            .unwrap(),
        location_id: "gid://shopify/Location/101".parse().unwrap(),
        quantity,
        change_from: from,
    }
}

fn batch(changes: Vec<QuantityChange>) -> SetQuantities {
    SetQuantities {
        name: QuantityName::Available,
        reason: "correction".into(),
        reference_document_uri: Some("gid://flow-erp/StockSync/2026-01-10-001".into()),
        changes,
        idempotency_key: IdempotencyKey::new("stock-sync-2026-01-10-001").unwrap(),
        activate: false,
    }
}

#[tokio::test]
async fn quantities_go_out_in_chunks_with_keys_and_compare_values() {
    let server = server().await;
    op("InventorySetQuantities")
        .respond_with(json_fixture(&server, "inventory_set_quantities__ok.json"))
        .expect(2)
        .mount(&server)
        .await;
    let changes: Vec<_> = (0..260).map(|i| change(i, 5, Some(3))).collect();
    let groups = client(&server)
        .set_inventory_quantities(&batch(changes))
        .await
        .unwrap();
    assert_eq!(groups.len(), 2);
    let sent = variables_sent(&server, "InventorySetQuantities").await;
    assert_eq!(sent[0]["key"], "stock-sync-2026-01-10-001-0");
    assert_eq!(sent[1]["key"], "stock-sync-2026-01-10-001-1");
    let input = &sent[0]["input"];
    assert_eq!(input["name"], "available");
    assert_eq!(input["reason"], "correction");
    assert_eq!(
        input["referenceDocumentUri"],
        "gid://flow-erp/StockSync/2026-01-10-001"
    );
    assert_eq!(input["quantities"].as_array().unwrap().len(), 250);
    assert_eq!(
        input["quantities"][0],
        json!({"inventoryItemId": "gid://shopify/InventoryItem/3000", "locationId": "gid://shopify/Location/101",
               "quantity": 5, "changeFromQuantity": 3})
    );
    // The directive is in the document, bound to the key variable.
    let body = server.received_requests().await.unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&body[0].body).unwrap();
    assert!(
        doc["query"]
            .as_str()
            .unwrap()
            .contains("@idempotent(key: $key)")
    );
}

#[tokio::test]
async fn a_stale_compare_re_reads_and_retries_with_a_new_key() {
    let server = server().await;
    op("InventorySetQuantities")
        .respond_with(json_fixture(
            &server,
            "inventory_set_quantities__stale.json",
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    op("InventorySetQuantities")
        .respond_with(json_fixture(&server, "inventory_set_quantities__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("InventoryLevels")
        .respond_with(json_fixture(&server, "inventory_levels__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    c.set_inventory_quantities(&batch(vec![change(1, 12, Some(3))]))
        .await
        .unwrap();
    let sent = variables_sent(&server, "InventorySetQuantities").await;
    assert_eq!(sent[1]["key"], "stock-sync-2026-01-10-001-0-r1");
    // Shopify holds 7 at location 101 (inventory_levels__ok): that is the new compare value.
    assert_eq!(sent[1]["input"]["quantities"][0]["changeFromQuantity"], 7);
    assert_eq!(sent[1]["input"]["quantities"][0]["quantity"], 12);
}

#[tokio::test]
async fn unknown_current_quantities_are_read_first() {
    let server = server().await;
    op("InventoryLevels")
        .respond_with(json_fixture(&server, "inventory_levels__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("InventorySetQuantities")
        .respond_with(json_fixture(&server, "inventory_set_quantities__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .set_inventory_quantities(&batch(vec![change(1, 9, None)]))
        .await
        .unwrap();
    let sent = variables_sent(&server, "InventorySetQuantities").await;
    assert_eq!(sent[0]["input"]["quantities"][0]["changeFromQuantity"], 7);
}

#[tokio::test]
async fn bad_batches_are_refused_before_sending() {
    let server = server().await;
    let c = client(&server);
    let mut b = batch(vec![change(1, 1, Some(0))]);
    b.reason = "because".into();
    assert!(
        c.set_inventory_quantities(&b)
            .await
            .unwrap_err()
            .to_string()
            .starts_with("reason: must be one of correction")
    );
    let b = batch(vec![change(1, 1, Some(0)), change(1, 2, Some(0))]);
    assert_eq!(
        c.set_inventory_quantities(&b)
            .await
            .unwrap_err()
            .to_string(),
        "changes[1]: each item/location pair may appear once per batch"
    );
    // An empty key cannot be built, so no batch without one can be sent.
    assert_eq!(
        IdempotencyKey::new("").unwrap_err().to_string(),
        "idempotency_key: must not be empty"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// The available quantities of items 3001 (in the fixture) and 3999 (unknown to the shop).
async fn read_two_items(server: &wiremock::MockServer) -> Vec<InventoryLevel> {
    client(server)
        .inventory_levels(
            &[
                "gid://shopify/InventoryItem/3001".parse().unwrap(),
                "gid://shopify/InventoryItem/3999".parse().unwrap(),
            ],
            &[QuantityName::Available],
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn levels_are_read_for_reconciliation() {
    let server = server().await;
    op("InventoryLevels")
        .respond_with(json_fixture(&server, "inventory_levels__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let levels = read_two_items(&server).await;
    assert_eq!(levels.len(), 2);
    assert_eq!(levels[0].sku.as_deref(), Some("SHIRT-M"));
    assert_eq!(levels[0].quantities["available"], 7);
    let sent = variables_sent(&server, "InventoryLevels").await;
    assert_eq!(sent[0]["names"], json!(["available"]));
    assert_eq!(
        sent[0]["levels"], LEVELS_PER_ITEM,
        "sized to a shop's locations"
    );
}

#[tokio::test]
async fn an_item_stocked_at_more_locations_than_asked_for_is_read_again_in_full() {
    let server = server().await;
    let mut partial: serde_json::Value =
        serde_json::from_str(&fixture(&server, "inventory_levels__ok.json")).unwrap();
    partial["data"]["nodes"][0]["inventoryLevels"]["pageInfo"]["hasNextPage"] = json!(true);
    op("InventoryLevels")
        .and(wiremock::matchers::body_partial_json(
            json!({"variables": {"levels": LEVELS_PER_ITEM}}),
        ))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(partial))
        .expect(1)
        .mount(&server)
        .await;
    let mut full: serde_json::Value =
        serde_json::from_str(&fixture(&server, "inventory_levels__ok.json")).unwrap();
    let levels = full["data"]["nodes"][0]["inventoryLevels"]["nodes"]
        .as_array_mut()
        .unwrap();
    let mut third = levels[0].clone();
    third["location"]["id"] = json!("gid://shopify/Location/103");
    levels.push(third);
    op("InventoryLevels")
        .and(wiremock::matchers::body_partial_json(
            json!({"variables": {"levels": MAX_LEVELS_PER_ITEM, "ids": ["gid://shopify/InventoryItem/3001"]}}),
        ))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(full))
        .expect(1)
        .mount(&server)
        .await;
    let levels = read_two_items(&server).await;
    let locations: Vec<&str> = levels.iter().map(|l| l.location_id.as_str()).collect();
    assert_eq!(
        locations,
        [
            "gid://shopify/Location/101",
            "gid://shopify/Location/102",
            "gid://shopify/Location/103"
        ],
        "the partial first answer is not kept; the full one is, once"
    );
}

#[tokio::test]
async fn activation_and_its_user_errors() {
    let server = server().await;
    op("InventoryActivate")
        .respond_with(json_fixture(&server, "inventory_activate__ok.json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let id = c
        .activate_inventory(
            &"gid://shopify/InventoryItem/3001".parse().unwrap(),
            &"gid://shopify/Location/101".parse().unwrap(),
            Some(4),
            &IdempotencyKey::new("activate-3001").unwrap(),
        )
        .await
        .unwrap();
    assert!(id.starts_with("gid://shopify/InventoryLevel/"));
    op("InventoryActivate")
        .respond_with(json_fixture(
            &server,
            "inventory_activate__user_errors.json",
        ))
        .mount(&server)
        .await;
    let err = c
        .activate_inventory(
            &"gid://shopify/InventoryItem/3001".parse().unwrap(),
            &"gid://shopify/Location/999".parse().unwrap(),
            None,
            &IdempotencyKey::new("activate-3001").unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "InventoryActivate: refused: locationId: Location not found"
    );
}
