//! Whole-system failures: a refused token or app secret and an unreachable shop are outages
//! of the storefront (`Classify::outage`), and a connection never made is given up quickly.

use std::time::{Duration, Instant};

use shopify_client::{Auth, ShopifyClient};
use sync_core::error::{Classify, Outage, OutageCause, System};
use sync_core::retry::RetryPolicy;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn outage(cause: OutageCause) -> Option<Outage> {
    Some(Outage {
        system: System::Storefront,
        cause,
    })
}

#[tokio::test]
async fn a_refused_static_token_or_app_secret_is_a_storefront_outage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/admin/oauth/access_token"))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string(
            r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#,
        ))
        .mount(&server)
        .await;
    let fixed = ShopifyClient::builder("demo", Auth::access_token("shpat_revoked"))
        .base_url(server.uri())
        .retry(RetryPolicy::default())
        .build()
        .unwrap();
    let err = fixed.shop_info().await.unwrap_err();
    assert_eq!(err.outage(), outage(OutageCause::Unauthenticated), "{err}");
    let app = ShopifyClient::builder("demo", Auth::client_credentials("app-1", "cs_wrong"))
        .base_url(server.uri())
        .retry(RetryPolicy::default())
        .build()
        .unwrap();
    let err = app.shop_info().await.unwrap_err();
    assert_eq!(err.outage(), outage(OutageCause::Unauthenticated), "{err}");
}

#[tokio::test]
async fn an_unreachable_shop_is_a_storefront_outage_met_in_about_a_second() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for auth in [
        Auth::access_token("shpat_x"),
        Auth::client_credentials("app-1", "cs_x"),
    ] {
        let client = ShopifyClient::builder("demo", auth)
            .base_url(format!("http://127.0.0.1:{port}"))
            .retry(RetryPolicy::default())
            .build()
            .unwrap();
        let started = Instant::now();
        let err = client.shop_info().await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(err.outage(), outage(OutageCause::Unreachable), "{err}");
        assert_eq!(
            err.to_string(),
            format!("Shopify at 127.0.0.1:{port}: connection refused")
        );
    }
}
