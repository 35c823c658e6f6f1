//! productSet (sync, async, userErrors), look-up by SKU, status changes.

mod common;

use common::*;
use serde_json::json;
use shopify_client::Error;
use shopify_client::ops::products::*;
use sync_core::error::{Classify, ErrorKind};
use wiremock::ResponseTemplate;

fn shirt() -> ProductSetInput {
    ProductSetInput {
        title: Some("Linen shirt".into()),
        status: Some(ProductStatus::DRAFT),
        product_options: Some(vec![OptionSetInput {
            name: Some("Size".into()),
            values: Some(vec![
                OptionValueSetInput {
                    name: Some("M".into()),
                    ..Default::default()
                },
                OptionValueSetInput {
                    name: Some("L".into()),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        }]),
        variants: Some(
            ["M", "L"]
                .iter()
                .map(|size| ProductVariantSetInput {
                    sku: Some(format!("SHIRT-{size}")),
                    price: Some("450.00".parse().unwrap()),
                    option_values: vec![VariantOptionValueInput {
                        option_name: Some("Size".into()),
                        name: Some((*size).into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}

fn by_item_group() -> ProductIdentifier {
    ProductIdentifier::CustomId {
        namespace: Some("erp".into()),
        key: "item_group".into(),
        value: "G-100".into(),
    }
}

#[tokio::test]
async fn product_set_upserts_by_custom_id_and_sends_exact_prices() {
    let server = server().await;
    op("ProductSet")
        .respond_with(json_fixture(&server, "product_set__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let out = client(&server)
        .product_set(shirt(), by_item_group(), ProductSetMode::Synchronous)
        .await
        .unwrap();
    assert_eq!(out.product_id, "gid://shopify/Product/1001");
    assert_eq!(out.status, ProductStatus::DRAFT);
    assert_eq!(out.variants.len(), 2);
    assert_eq!(
        out.variants[1].inventory_item_id,
        "gid://shopify/InventoryItem/3002"
    );
    let sent = &variables_sent(&server, "ProductSet").await[0];
    assert_eq!(
        sent["identifier"],
        json!({"customId": {"namespace": "erp", "key": "item_group", "value": "G-100"}})
    );
    assert_eq!(sent["synchronous"], true);
    // Money travels as the exact string literal; absent fields are omitted, not null.
    assert_eq!(sent["input"]["variants"][0]["price"], "450.00");
    assert!(sent["input"].get("files").is_none());
    assert!(sent["input"]["variants"][0].get("compareAtPrice").is_none());
}

#[tokio::test]
async fn product_set_user_errors_come_back_typed_and_are_not_retried() {
    let server = server().await;
    op("ProductSet")
        .respond_with(json_fixture(&server, "product_set__user_errors.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .product_set(
            shirt(),
            ProductIdentifier::Handle("linen-shirt".into()),
            ProductSetMode::Synchronous,
        )
        .await
        .unwrap_err();
    let errors = err.user_errors().expect("user errors");
    assert_eq!(errors[0].code.as_deref(), Some("INVALID_VARIANT"));
    assert_eq!(errors[0].field, ["input", "variants", "1", "optionValues"]);
    assert_eq!(err.kind(), ErrorKind::Client);
}

#[tokio::test]
async fn asynchronous_product_set_polls_the_operation_until_complete() {
    let server = server().await;
    op("ProductSet")
        .respond_with(json_fixture(&server, "product_set__async.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("ProductOperation")
        .respond_with(json_fixture(&server, "product_operation__active.json"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    op("ProductOperation")
        .respond_with(json_fixture(&server, "product_operation__complete.json"))
        .expect(1)
        .mount(&server)
        .await;
    let out = client(&server)
        .product_set(shirt(), by_item_group(), ProductSetMode::Asynchronous)
        .await
        .unwrap();
    assert_eq!(out.handle, "linen-shirt");
    assert_eq!(out.variants[0].sku.as_deref(), Some("SHIRT-M"));
    assert_eq!(
        variables_sent(&server, "ProductSet").await[0]["synchronous"],
        false
    );
}

#[tokio::test]
async fn bad_identifiers_and_too_many_variants_are_refused_before_sending() {
    let server = server().await;
    let c = client(&server);
    let err = c
        .product_set(
            shirt(),
            ProductIdentifier::Handle(" ".into()),
            ProductSetMode::Synchronous,
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "identifier.handle: must not be empty");
    let mut big = shirt();
    big.variants = Some(vec![ProductVariantSetInput::default(); 2049]);
    let err = c
        .product_set(big, by_item_group(), ProductSetMode::Synchronous)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }));
    assert_eq!(
        err.to_string(),
        "input.variants: at most 2048 variants per product, got 2049"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn variants_are_found_by_exact_sku() {
    let server = server().await;
    op("VariantsBySku")
        .respond_with(json_fixture(&server, "variants_by_sku__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let found = client(&server)
        .variants_by_sku(&["SHIRT-M", "NO\"PE"])
        .await
        .unwrap();
    // The search also matched SHIRT-M-KIDS; only the exact SKU is kept.
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].product.handle, "linen-shirt");
    assert_eq!(found[0].price, "450.00".parse().unwrap());
    let sent = &variables_sent(&server, "VariantsBySku").await[0];
    assert_eq!(sent["query"], r#"sku:"SHIRT-M" OR sku:"NO\"PE""#);
}

#[tokio::test]
async fn status_changes_use_product_update() {
    let server = server().await;
    op("ProductUpdateStatus")
        .respond_with(json_fixture(&server, "product_update_status__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let status = client(&server)
        .activate_product(&"gid://shopify/Product/1001".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(status, ProductStatus::ACTIVE);
    let sent = &variables_sent(&server, "ProductUpdateStatus").await[0];
    assert_eq!(
        sent["product"],
        json!({"id": "gid://shopify/Product/1001", "status": "ACTIVE"})
    );
}

#[tokio::test]
async fn status_change_user_errors_and_bad_ids() {
    let server = server().await;
    op("ProductUpdateStatus")
        .respond_with(json_fixture(
            &server,
            "product_update_status__user_errors.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c
        .hold_product(&"gid://shopify/Product/404".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ProductUpdateStatus: refused: id: Product does not exist"
    );
    let err = shopify_client::gid::ProductGid::parse("product_id", "404").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("product_id: must be a Shopify id")
    );
}

#[tokio::test]
async fn a_5xx_on_product_set_is_retried_because_the_upsert_is_repeatable() {
    let server = server().await;
    op("ProductSet")
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    op("ProductSet")
        .respond_with(json_fixture(&server, "product_set__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    assert!(
        client(&server)
            .product_set(shirt(), by_item_group(), ProductSetMode::Synchronous)
            .await
            .is_ok()
    );
}
