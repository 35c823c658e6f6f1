//! Whole-system failures: credentials refused at the token endpoint and an unreachable ETA
//! are outages of the tax authority (`Classify::outage`), and a connection never made is
//! given up quickly, however generous the retry policy.

use std::time::{Duration, Instant};

use eta_ereceipt::client::{Environment, EtaClient, PosCredentials};
use sync_core::error::{Classify, Outage, OutageCause, System};
use sync_core::retry::RetryPolicy;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(base: &str) -> EtaClient {
    let creds = PosCredentials::new("client-1", "wrong-secret", "POS-1", "os", "1", "psk");
    EtaClient::builder(Environment::Preproduction, creds)
        .identity_url(base)
        .api_url(base)
        .retry(RetryPolicy::default())
        .build()
        .unwrap()
}

fn outage(cause: OutageCause) -> Option<Outage> {
    Some(Outage {
        system: System::TaxAuthority,
        cause,
    })
}

#[tokio::test]
async fn refused_client_credentials_are_a_tax_authority_outage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(ResponseTemplate::new(400).set_body_string(r#"{"error":"invalid_client"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server.uri()).access_token().await.unwrap_err();
    assert_eq!(err.outage(), outage(OutageCause::Unauthenticated), "{err}");
    assert!(err.to_string().contains("invalid_client"), "{err}");
    assert!(!format!("{err:?}").contains("wrong-secret"));
}

#[tokio::test]
async fn an_unreachable_eta_is_a_tax_authority_outage_met_in_about_a_second() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let eta = client(&format!("http://127.0.0.1:{port}"));
    let started = Instant::now();
    let err = eta.receipt_raw("ABC").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.outage(), outage(OutageCause::Unreachable), "{err}");
    assert_eq!(
        err.to_string(),
        format!("ETA at 127.0.0.1:{port}: connection refused")
    );
}
