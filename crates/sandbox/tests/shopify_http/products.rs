//! Products, variants and inventory quantities.

use super::*;

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
