//! Authentication: client-credentials tokens fetched once, reused and refreshed ahead of
//! expiry; OAuth code exchange; configuration errors; secrets stay out of Debug output.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use common::*;
use shopify_client::{Auth, OAuthApp, ShopifyClient};
use sync_core::clock::FixedClock;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn client_credentials_tokens_are_cached_and_refreshed_before_expiry() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/admin/oauth/access_token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=app-123"))
        .and(body_string_contains("client_secret=cs_hush"))
        .respond_with(json_fixture(
            &server,
            "oauth_access_token__client_credentials.json",
        ))
        .expect(2)
        .mount(&server)
        .await;
    op("ShopInfo")
        .respond_with(json_fixture(&server, "shop_info__ok.json"))
        .expect(3)
        .mount(&server)
        .await;
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 10, 8, 0, 0).unwrap());
    let client = ShopifyClient::builder("demo", Auth::client_credentials("app-123", "cs_hush"))
        .base_url(server.uri())
        .retry(fast_retry())
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    client.shop_info().await.unwrap();
    client.shop_info().await.unwrap(); // same token
    // 24 h tokens (expires_in 86399): refreshed once within the 5-minute margin.
    clock.advance(Duration::from_secs(86_399 - 200));
    client.shop_info().await.unwrap();
    assert!(!format!("{client:?}").contains("cs_hush"));
}

#[tokio::test]
async fn a_refused_token_is_replaced_and_the_mutation_retried_once_it_did_not_run() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/admin/oauth/access_token"))
        .respond_with(json_fixture(
            &server,
            "oauth_access_token__client_credentials.json",
        ))
        .expect(2)
        .mount(&server)
        .await;
    // The first attempt is refused (the token expired early): nothing ran, so even a
    // mutation that is not idempotent is sent again, with a new token.
    op("InventoryActivate")
        .respond_with(ResponseTemplate::new(401).set_body_string(
            r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#,
        ))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    op("InventoryActivate")
        .respond_with(json_fixture(&server, "inventory_activate__ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = ShopifyClient::builder("demo", Auth::client_credentials("app-123", "cs_hush"))
        .base_url(server.uri())
        .retry(fast_retry())
        .build()
        .unwrap();
    let level = client
        .activate_inventory(
            &"gid://shopify/InventoryItem/3001".parse().unwrap(),
            &"gid://shopify/Location/101".parse().unwrap(),
            Some(4),
            &sync_core::id::IdempotencyKey::new("activate-3001").unwrap(),
        )
        .await
        .unwrap();
    assert!(level.starts_with("gid://shopify/InventoryLevel/"));
}

#[tokio::test]
async fn a_refused_client_credentials_grant_is_a_client_error() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/admin/oauth/access_token"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string(fixture(&server, "oauth_access_token__invalid_client.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = ShopifyClient::builder("demo", Auth::client_credentials("app-123", "cs_wrong"))
        .base_url(server.uri())
        .retry(fast_retry())
        .build()
        .unwrap();
    let err = client.shop_info().await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().starts_with("oauth/access_token: HTTP 400"));
    assert!(!format!("{err:?}").contains("cs_wrong"));
}

#[tokio::test]
async fn authorization_code_exchange_returns_a_secret_token() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/admin/oauth/access_token"))
        .and(header("content-type", "application/json"))
        .and(body_string_contains("\"code\":\"auth-code-1\""))
        .respond_with(json_fixture(&server, "oauth_access_token__code.json"))
        .expect(1)
        .mount(&server)
        .await;
    let app = OAuthApp::new("app-123", "cs_hush");
    let base = url::Url::parse(&format!("{}/", server.uri())).unwrap();
    let transport = sync_core::transport::ReqwestTransport::new().unwrap();
    let token = app
        .exchange_code(
            &transport,
            &base,
            "auth-code-1",
            &sync_core::clock::TokioClock,
        )
        .await
        .unwrap();
    assert_eq!(token.scope, "read_orders,write_products");
    assert!(token.expires_at.is_none());
    assert!(!format!("{token:?}").contains("shpat_1111"));
    // The token then drives a client.
    let _client = ShopifyClient::builder("demo", Auth::AccessToken(token.token))
        .base_url(server.uri())
        .build()
        .unwrap();
}

#[test]
fn configuration_errors_name_the_setting() {
    let bad = |b: shopify_client::ShopifyClientBuilder| b.build().unwrap_err().to_string();
    assert!(bad(ShopifyClient::builder("bad shop!", Auth::access_token("t"))).starts_with("shop:"));
    assert!(
        bad(ShopifyClient::builder("demo", Auth::access_token("t")).api_version("2026-02"))
            .starts_with("api_version:")
    );
    assert!(
        bad(ShopifyClient::builder("demo", Auth::access_token("t"))
            .base_url("http://shop.example.com"))
        .starts_with("base_url: ")
    );
    assert!(bad(ShopifyClient::builder("demo", Auth::access_token(" "))).starts_with("auth:"));
    let ok = ShopifyClient::builder(
        "https://Demo.myshopify.com/",
        Auth::access_token("shpat_secret_value"),
    )
    .api_version("2026-07")
    .build()
    .unwrap();
    assert_eq!(ok.shop(), "demo.myshopify.com");
    assert_eq!(
        ok.endpoint().as_str(),
        "https://demo.myshopify.com/admin/api/2026-07/graphql.json"
    );
    let debug = format!("{ok:?}");
    assert!(!debug.contains("shpat_secret_value"), "{debug}");
    assert!(debug.contains("[REDACTED]"));
}
