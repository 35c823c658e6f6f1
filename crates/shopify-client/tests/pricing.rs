//! Variant prices in bulk (chunked), automatic discounts, price lists.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use rust_decimal_macros::dec;
use serde_json::json;
use shopify_client::ops::pricing::*;
use sync_core::error::Classify;
use wiremock::ResponseTemplate;

fn variant(i: usize) -> shopify_client::gid::VariantGid {
    format!("gid://shopify/ProductVariant/{}", 2000 + i)
        .parse()
        .unwrap()
}

#[tokio::test]
async fn prices_go_out_in_chunks_of_250_as_exact_literals() {
    let server = server().await;
    op("VariantsBulkUpdate")
        .respond_with(json_fixture(&server, "variants_bulk_update__ok.json"))
        .expect(2)
        .mount(&server)
        .await;
    let prices: Vec<_> = (0..300)
        .map(|i| VariantPrice {
            variant_id: variant(i),
            price: dec!(425.50),
            compare_at_price: if i == 0 {
                CompareAtPrice::Set(dec!(500.00))
            } else if i == 1 {
                CompareAtPrice::Clear
            } else {
                CompareAtPrice::Unchanged
            },
        })
        .collect();
    client(&server)
        .update_variant_prices(&"gid://shopify/Product/1001".parse().unwrap(), &prices)
        .await
        .unwrap();
    let sent = variables_sent(&server, "VariantsBulkUpdate").await;
    assert_eq!(sent[0]["variants"].as_array().unwrap().len(), 250);
    assert_eq!(sent[1]["variants"].as_array().unwrap().len(), 50);
    assert_eq!(
        sent[0]["variants"][0],
        json!({"id": variant(0), "price": "425.50", "compareAtPrice": "500.00"})
    );
    // Clear sends an explicit null; Unchanged sends nothing.
    assert_eq!(
        sent[0]["variants"][1]["compareAtPrice"],
        serde_json::Value::Null
    );
    assert!(sent[0]["variants"][2].get("compareAtPrice").is_none());
}

#[tokio::test]
async fn price_user_errors_are_typed_and_negative_prices_refused() {
    let server = server().await;
    op("VariantsBulkUpdate")
        .respond_with(json_fixture(
            &server,
            "variants_bulk_update__user_errors.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let one = [VariantPrice {
        variant_id: variant(9),
        price: dec!(1),
        compare_at_price: CompareAtPrice::Unchanged,
    }];
    let err = c
        .update_variant_prices(&"gid://shopify/Product/1001".parse().unwrap(), &one)
        .await
        .unwrap_err();
    assert!(err.has_user_error_code("PRODUCT_VARIANT_DOES_NOT_EXIST"));
    let bad = [VariantPrice {
        variant_id: variant(9),
        price: dec!(-1),
        compare_at_price: CompareAtPrice::Unchanged,
    }];
    let err = c
        .update_variant_prices(&"gid://shopify/Product/1001".parse().unwrap(), &bad)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "prices[0].price: must not be negative, got -1"
    );
}

fn promo() -> AutomaticDiscount {
    AutomaticDiscount {
        title: "Ramadan 15%".into(),
        starts_at: Utc.with_ymd_and_hms(2026, 2, 18, 0, 0, 0).unwrap(),
        ends_at: Some(Utc.with_ymd_and_hms(2026, 3, 19, 23, 59, 59).unwrap()),
        value: DiscountValue::Percentage(0.15),
        variant_ids: vec![variant(1), variant(2)],
    }
}

#[tokio::test]
async fn an_automatic_discount_is_created_with_its_window() {
    let server = server().await;
    op("DiscountAutomaticBasicCreate")
        .respond_with(json_fixture(
            &server,
            "discount_automatic_basic_create__ok.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let id = client(&server)
        .create_automatic_discount(&promo())
        .await
        .unwrap();
    assert_eq!(id, "gid://shopify/DiscountAutomaticNode/8001");
    let sent = &variables_sent(&server, "DiscountAutomaticBasicCreate").await[0]["discount"];
    assert_eq!(sent["startsAt"], "2026-02-18T00:00:00Z");
    assert_eq!(sent["endsAt"], "2026-03-19T23:59:59Z");
    assert_eq!(sent["customerGets"]["value"], json!({"percentage": 0.15}));
    assert_eq!(
        sent["customerGets"]["items"]["products"]["productVariantsToAdd"],
        json!([variant(1), variant(2)])
    );
}

#[tokio::test]
async fn discount_creation_is_not_retried_after_a_5xx_and_validates_its_input() {
    let server = server().await;
    op("DiscountAutomaticBasicCreate")
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c.create_automatic_discount(&promo()).await.unwrap_err();
    // A creating mutation that may have run: uncertain, so not retried.
    assert!(err.is_uncertain());
    let mut p = promo();
    p.value = DiscountValue::Percentage(15.0);
    let err = c.create_automatic_discount(&p).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "value.percentage: must be in (0, 1] (0.15 = 15 %), got 15"
    );
    let mut p = promo();
    p.ends_at = Some(p.starts_at);
    assert_eq!(
        c.create_automatic_discount(&p)
            .await
            .unwrap_err()
            .to_string(),
        "ends_at: must be after starts_at"
    );
}

#[tokio::test]
async fn discount_user_errors_are_typed() {
    let server = server().await;
    op("DiscountAutomaticBasicCreate")
        .respond_with(json_fixture(
            &server,
            "discount_automatic_basic_create__user_errors.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .create_automatic_discount(&promo())
        .await
        .unwrap_err();
    let errors = err.user_errors().unwrap();
    assert_eq!(errors[0].field, ["automaticBasicDiscount", "endsAt"]);
    assert_eq!(errors[0].code.as_deref(), Some("INVALID"));
}

#[tokio::test]
async fn fixed_prices_are_added_to_a_price_list_in_its_currency() {
    let server = server().await;
    op("PriceListFixedPricesAdd")
        .respond_with(json_fixture(
            &server,
            "price_list_fixed_prices_add__ok.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let prices = [FixedPrice {
        variant_id: variant(1),
        price: dec!(400.0),
        compare_at_price: None,
    }];
    let n = c
        .add_fixed_prices(
            &"gid://shopify/PriceList/77".parse().unwrap(),
            "egp",
            &prices,
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let sent = &variables_sent(&server, "PriceListFixedPricesAdd").await[0];
    assert_eq!(
        sent["prices"][0]["price"],
        json!({"amount": "400.0", "currencyCode": "EGP"})
    );
    let err = c
        .add_fixed_prices(
            &"gid://shopify/PriceList/77".parse().unwrap(),
            "ZZZ",
            &prices,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "currency: \"ZZZ\" is not a currency Shopify knows"
    );
}

#[tokio::test]
async fn an_existing_discount_is_updated_and_an_empty_variant_list_means_everything() {
    let server = server().await;
    op("DiscountAutomaticBasicUpdate")
        .respond_with(json_fixture(
            &server,
            "discount_automatic_basic_update__ok.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut p = promo();
    p.variant_ids.clear();
    p.value = DiscountValue::Amount {
        amount: dec!(50),
        each_item: true,
    };
    let id = client(&server)
        .update_automatic_discount(
            &"gid://shopify/DiscountAutomaticNode/8001".parse().unwrap(),
            &p,
        )
        .await
        .unwrap();
    assert_eq!(id, "gid://shopify/DiscountAutomaticNode/8001");
    let sent = &variables_sent(&server, "DiscountAutomaticBasicUpdate").await[0];
    assert_eq!(sent["id"], "gid://shopify/DiscountAutomaticNode/8001");
    assert_eq!(
        sent["discount"]["customerGets"]["items"],
        json!({"all": true})
    );
    assert_eq!(
        sent["discount"]["customerGets"]["value"],
        json!({"discountAmount": {"amount": "50", "appliesOnEachItem": true}})
    );
}
