//! Every fixture's `data` reads into the generated response type and writes back to the same
//! JSON, so a drift between the fixtures, the queries and the generated types shows up here
//! with the JSON path that failed.

use graphql_client::GraphQLQuery;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shopify_client::queries::*;

fn roundtrip<Q: GraphQLQuery>(name: &str)
where
    Q::ResponseData: DeserializeOwned + Serialize,
{
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    let data = body["data"].clone();
    let typed: Q::ResponseData = serde_path_to_error::deserialize(data.clone())
        .unwrap_or_else(|e| panic!("{name}: {} at {}", e.inner(), e.path()));
    let back = serde_json::to_value(&typed).unwrap();
    // graphql_client keeps `__typename` only where it selects a variant, and writes no
    // `null`s (skip_serializing_none), so neither is compared.
    assert_eq!(
        without_typename(back),
        without_typename(data),
        "{name} does not round-trip"
    );
    // Every fixture carries the cost extension the bucket reads.
    assert!(
        body["extensions"]["cost"]["throttleStatus"]["restoreRate"].is_number(),
        "{name}"
    );
}

fn without_typename(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .filter(|(k, v)| k != "__typename" && !v.is_null())
            .map(|(k, v)| (k, without_typename(v)))
            .collect(),
        serde_json::Value::Array(items) => items.into_iter().map(without_typename).collect(),
        other => other,
    }
}

#[test]
fn every_fixture_round_trips_through_its_generated_type() {
    roundtrip::<ShopInfo>("shop_info__ok.json");
    roundtrip::<Locations>("locations__page1.json");
    roundtrip::<Locations>("locations__page2.json");
    roundtrip::<ProductSet>("product_set__ok.json");
    roundtrip::<ProductSet>("product_set__user_errors.json");
    roundtrip::<ProductSet>("product_set__async.json");
    roundtrip::<ProductOperation>("product_operation__active.json");
    roundtrip::<ProductOperation>("product_operation__complete.json");
    roundtrip::<VariantsBySku>("variants_by_sku__ok.json");
    roundtrip::<ProductUpdateStatus>("product_update_status__ok.json");
    roundtrip::<ProductUpdateStatus>("product_update_status__user_errors.json");
    roundtrip::<ProductMedia>("product_media__empty.json");
    roundtrip::<ProductMedia>("product_media__ready.json");
    roundtrip::<ProductMedia>("product_media__linked.json");
    roundtrip::<ProductImageAlts>("product_image_alts__ok.json");
    roundtrip::<StagedUploadsCreate>("staged_uploads_create__ok.json");
    roundtrip::<ProductAttachMedia>("product_attach_media__ok.json");
    roundtrip::<FileDelete>("file_delete__ok.json");
    roundtrip::<FileDelete>("file_delete__user_errors.json");
    roundtrip::<VariantsBulkUpdate>("variants_bulk_update__ok.json");
    roundtrip::<VariantsBulkUpdate>("variants_bulk_update__user_errors.json");
    roundtrip::<DiscountAutomaticBasicCreate>("discount_automatic_basic_create__ok.json");
    roundtrip::<DiscountAutomaticBasicCreate>("discount_automatic_basic_create__user_errors.json");
    roundtrip::<DiscountAutomaticBasicUpdate>("discount_automatic_basic_update__ok.json");
    roundtrip::<PriceListFixedPricesAdd>("price_list_fixed_prices_add__ok.json");
    roundtrip::<InventorySetQuantities>("inventory_set_quantities__ok.json");
    roundtrip::<InventorySetQuantities>("inventory_set_quantities__stale.json");
    roundtrip::<InventoryLevels>("inventory_levels__ok.json");
    roundtrip::<InventoryActivate>("inventory_activate__ok.json");
    roundtrip::<InventoryActivate>("inventory_activate__user_errors.json");
    roundtrip::<Orders>("orders__page1.json");
    roundtrip::<Orders>("orders__page2.json");
    roundtrip::<OrderChanges>("order_changes__ok.json");
    roundtrip::<Order>("order__ok.json");
    roundtrip::<Order>("order__missing.json");
    roundtrip::<OrderLines>("order_lines__ok.json");
    roundtrip::<Refund>("refund__ok.json");
    roundtrip::<Customers>("customers__ok.json");
    roundtrip::<CustomerChanges>("customer_changes__ok.json");
    roundtrip::<Customer>("customer__ok.json");
    roundtrip::<OrderFulfillmentOrders>("order_fulfillment_orders__ok.json");
    roundtrip::<FulfillmentCreate>("fulfillment_create__ok.json");
    roundtrip::<FulfillmentCreate>("fulfillment_create__user_errors.json");
    roundtrip::<WebhookSubscriptionCreate>("webhook_subscription_create__ok.json");
    roundtrip::<WebhookSubscriptionCreate>("webhook_subscription_create__user_errors.json");
    roundtrip::<WebhookSubscriptions>("webhook_subscriptions__ok.json");
    roundtrip::<WebhookSubscriptionDelete>("webhook_subscription_delete__ok.json");
    roundtrip::<BulkOperationRunQuery>("bulk_operation_run_query__ok.json");
    roundtrip::<BulkOperationRunQuery>("bulk_operation_run_query__user_errors.json");
    roundtrip::<BulkOperationRunMutation>("bulk_operation_run_mutation__ok.json");
    roundtrip::<BulkOperation>("bulk_operation__running.json");
    roundtrip::<BulkOperation>("bulk_operation__completed.json");
    roundtrip::<BulkOperation>("bulk_operation__failed.json");
}

#[test]
fn every_json_fixture_is_covered() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let this = include_str!("fixture_roundtrip.rs");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let data_fixture = name.ends_with(".json")
            && !name.starts_with("graphql__")
            && !name.starts_with("oauth_");
        if data_fixture {
            assert!(
                this.contains(&format!("(\"{name}\")")),
                "{name} has no round-trip check"
            );
        }
    }
}
