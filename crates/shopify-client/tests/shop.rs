//! Shop info and locations, plus the error paths of the GraphQL round trip: THROTTLED on
//! HTTP 200, 429 with Retry-After, 5xx, malformed bodies, GraphQL errors.

mod common;

use common::*;
use futures::TryStreamExt;
use shopify_client::Error;
use sync_core::error::{Classify, ErrorKind};
use wiremock::ResponseTemplate;
use wiremock::matchers::body_partial_json;

#[tokio::test]
async fn shop_info_reads_identity_and_plan_with_the_token_header() {
    let server = server().await;
    op("ShopInfo")
        .respond_with(json_fixture(&server, "shop_info__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let shop = client(&server).shop_info().await.unwrap();
    assert_eq!(shop.id, "gid://shopify/Shop/1000000001");
    assert_eq!(shop.myshopify_domain, "demo.myshopify.com");
    assert_eq!(shopify_client::ops::enum_text(&shop.currency_code), "EGP");
    assert!(shop.taxes_included);
    assert_eq!(shop.plan.public_display_name, "Basic");
}

#[tokio::test]
async fn locations_are_paged_until_the_last_cursor() {
    let server = server().await;
    // The first request has no cursor (omitted); the second carries page 1's end cursor.
    op("Locations")
        .respond_with(json_fixture(&server, "locations__page1.json"))
        .expect(1)
        .mount(&server)
        .await;
    op("Locations")
        .and(body_partial_json(
            serde_json::json!({"variables": {"after": "eyJsYXN0X2lkIjoxMDJ9"}}),
        ))
        .respond_with(json_fixture(&server, "locations__page2.json"))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    let all = client(&server).all_locations().await.unwrap();
    let names: Vec<_> = all.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Cairo Store", "Giza Warehouse", "Alexandria Store"]);
    let sent = variables_sent(&server, "Locations").await;
    // A shop has few locations: pages of 50, not 250 (a lower requested cost).
    assert_eq!(sent[0]["first"], 50);
    assert!(sent[0].get("after").is_none());
}

#[tokio::test]
async fn page_size_outside_1_to_250_is_refused_before_sending() {
    let server = server().await;
    let err = client(&server)
        .locations(251, false)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "page_size: must be between 1 and 250, got 251"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn throttled_on_http_200_is_retried_after_the_computed_wait() {
    let server = server().await;
    op("ShopInfo")
        .respond_with(json_fixture(&server, "graphql__throttled.json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    op("ShopInfo")
        .respond_with(json_fixture(&server, "shop_info__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let started = std::time::Instant::now();
    let shop = client.shop_info().await.unwrap();
    assert_eq!(shop.name, "Demo Store");
    // requested 24, available 19, restore 100/s: at least 50 ms of waiting.
    assert!(started.elapsed() >= std::time::Duration::from_millis(50));
}

#[tokio::test]
async fn http_429_with_retry_after_is_retried() {
    let server = server().await;
    op("ShopInfo")
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0.05"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    op("ShopInfo")
        .respond_with(json_fixture(&server, "shop_info__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        client(&server).shop_info().await.unwrap().name,
        "Demo Store"
    );
}

#[tokio::test]
async fn persistent_throttling_ends_as_a_throttling_error() {
    let server = server().await;
    op("ShopInfo")
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0.01"))
        .expect(4)
        .mount(&server)
        .await;
    let err = client(&server).shop_info().await.unwrap_err();
    assert!(matches!(err, Error::Throttled { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Throttling);
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let server = server().await;
    op("ShopInfo")
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    op("ShopInfo")
        .respond_with(json_fixture(&server, "shop_info__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    assert!(client(&server).shop_info().await.is_ok());
}

#[tokio::test]
async fn a_malformed_body_is_a_decode_error_with_the_body() {
    let server = server().await;
    op("ShopInfo")
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture(&server, "graphql__malformed.txt")),
        )
        .expect(4)
        .mount(&server)
        .await;
    let err = client(&server).shop_info().await.unwrap_err();
    let Error::Decode {
        body, operation, ..
    } = &err
    else {
        panic!("decode error expected, got {err:?}");
    };
    assert_eq!(operation, "ShopInfo");
    assert!(body.starts_with(b"{\"data\""));
}

#[tokio::test]
async fn graphql_errors_on_200_are_errors_and_not_retried() {
    let server = server().await;
    op("ShopInfo")
        .respond_with(json_fixture(&server, "graphql__access_denied.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).shop_info().await.unwrap_err();
    let Error::GraphQl { errors, .. } = &err else {
        panic!("GraphQL error expected, got {err:?}");
    };
    assert_eq!(errors[0].code.as_deref(), Some("ACCESS_DENIED"));
    assert_eq!(errors[0].path.as_deref(), Some("orders"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn unauthorized_is_a_client_error_with_the_request_id() {
    let server = server().await;
    op("ShopInfo")
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-request-id", "a1b2c3")
                .set_body_string(r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).shop_info().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.kind(), ErrorKind::Client);
    assert_eq!(
        err.to_string(),
        "ShopInfo: HTTP 401, the access token was refused; replace the static token (request id a1b2c3)"
    );
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn the_cost_bucket_learns_from_every_response() {
    let server = server().await;
    op("ShopInfo")
        .respond_with(json_fixture(&server, "shop_info__ok.json"))
        .mount(&server)
        .await;
    let client = client(&server);
    client.shop_info().await.unwrap();
    assert_eq!(client.cost_bucket().limits(), (2000.0, 100.0));
    let available = client.cost_bucket().available(tokio::time::Instant::now());
    assert!((1998.0..=2000.0).contains(&available), "{available}");
}
