//! A backfill's customers read through the bulk query against the sandbox's Shopify
//! stand-in (written from Shopify's documentation, not from this crate): the customers the
//! bulk result brings are exactly those `customersCount` counts, each maps to what the read
//! by id gives, and none is read by id to get there. A bulk query refused because another
//! runs (`OPERATION_IN_PROGRESS`) is a passing error, certain not to have started one, so the
//! engine waits for the next pass.

mod common;

use std::time::Duration;

use futures::StreamExt;
use sandbox::{Sandbox, SandboxConfig};
use shopify_client::adapter::{ShopifyStorefront, StorefrontConfig};
use shopify_client::{Auth, ShopifyClient};
use sync_core::connector::StorefrontOrders;
use sync_core::error::{Classify, ErrorKind};
use sync_core::retry::RetryPolicy;

fn calls(stats: &serde_json::Value, operation: &str) -> u64 {
    stats["calls_by_operation"][operation].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn the_bulk_customers_are_those_counted_and_map_as_the_read_by_id() {
    let sb = Sandbox::start(SandboxConfig {
        catalog_groups: 5,
        orders: 40,
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
    let held = sb.shopify().dump()["customers"].as_array().unwrap().len();
    assert!(held > 1, "the seed has customers: {held}");
    assert_eq!(
        store.count_customer_changes(None).await.unwrap(),
        Some(held as u64)
    );

    let export = store.start_customer_export(None).await.unwrap();
    let mut stream = store
        .customer_export(&export, None)
        .await
        .unwrap()
        .expect("the bulk query has a result");
    let mut exported = Vec::new();
    while let Some(item) = stream.next().await {
        let item = item.unwrap();
        let change = item.change.clone();
        let customer = item.complete().await.unwrap();
        assert_eq!(
            (&change.external_id, change.updated_at),
            (&customer.external_id, customer.updated_at)
        );
        exported.push(customer);
    }
    drop(stream);
    assert_eq!(exported.len(), held);
    assert_eq!(
        calls(&sb.shopify().stats(), "Customer"),
        0,
        "no customer read by id"
    );

    // The same customers read one by one map to the same thing.
    for customer in &exported {
        let by_id = store
            .customer(&customer.external_id)
            .await
            .unwrap()
            .expect("the customer exists");
        assert_eq!(&by_id, customer, "customer {}", customer.external_id);
    }

    // Since a time: the count and the export agree (the filter is the same search).
    let mut times: Vec<_> = exported.iter().map(|c| c.updated_at).collect();
    times.sort();
    let since = times[times.len() / 2];
    let expected = times.iter().filter(|t| **t >= since).count();
    assert_eq!(
        store.count_customer_changes(Some(since)).await.unwrap(),
        Some(expected as u64)
    );
    let export = store.start_customer_export(Some(since)).await.unwrap();
    let later: Vec<_> = store
        .customer_export(&export, Some(since))
        .await
        .unwrap()
        .expect("a result")
        .collect()
        .await;
    assert_eq!(later.len(), expected);
}

#[tokio::test]
async fn a_customers_bulk_query_refused_while_another_runs_is_a_certain_passing_error() {
    use common::*;
    let server = server().await;
    op("BulkOperationRunQuery")
        .respond_with(json_fixture(
            &server,
            "bulk_operation_run_query__user_errors.json",
        ))
        .expect(2)
        .mount(&server)
        .await;
    let store = ShopifyStorefront::new(client(&server), StorefrontConfig::default());
    for err in [
        store.start_customer_export(None).await.unwrap_err(),
        store.start_order_export(None).await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
        assert!(!err.is_uncertain(), "{err}");
        assert!(err.to_string().contains("in progress"), "{err}");
    }
}
