//! Whole-system failures: refused credentials and an unreachable host are outages of the ERP
//! (`Classify::outage`), named with the host and the cause, and met quickly (a connection
//! never made is tried a few times, a short wait apart, however generous the retry policy).

use std::time::{Duration, Instant};

use flow_erp_client::adapter::FlowErp;
use flow_erp_client::config::Hosts;
use flow_erp_client::{FlowClient, FlowConfig};
use serde_json::json;
use sync_core::connector::{ConnectorError, ErpCatalog};
use sync_core::error::{Classify, Outage, OutageCause, System};
use sync_core::retry::RetryPolicy;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(base: &str) -> FlowClient {
    let mut c = FlowConfig::new("1001", "WEB", "wrong-password".into());
    c.hosts = Hosts::all(base);
    // The default policy: 6 attempts, backoff up to 30 s, 2 minutes in all.
    FlowClient::builder(c)
        .retry(RetryPolicy::default())
        .build()
        .unwrap()
}

fn host(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn a_refused_password_is_an_erp_outage_naming_the_host_and_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chkusr/login"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"apiKey": "", "errMsg": "Invalid user or password"})),
        )
        // Once per call (the test makes two): never retried.
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_string("LOGIN LOGINERR=1;"))
        // Once per call (the test makes two): never retried.
        .expect(2)
        .mount(&server)
        .await;
    let flow = client(&server.uri());
    let err = flow.items().await.unwrap_err();
    assert_eq!(
        err.outage(),
        Some(Outage {
            system: System::Erp,
            cause: OutageCause::Unauthenticated
        })
    );
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "Flow ERP at {}: credentials refused",
            host(&server.uri())
        )),
        "{text}"
    );
    assert!(!text.contains("wrong-password"), "{text}");
    // Through the adapter, the engine sees the same outage.
    let erp = FlowErp::new(flow);
    let err: ConnectorError = erp.product_groups().await.unwrap_err();
    assert_eq!(
        err.outage().map(|o| o.cause),
        Some(OutageCause::Unauthenticated)
    );
}

#[tokio::test]
async fn an_unreachable_host_is_an_erp_outage_met_in_about_a_second() {
    // A port nothing listens on: bound, then closed.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let flow = client(&base);
    let started = Instant::now();
    let err = flow.items().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        err.outage(),
        Some(Outage {
            system: System::Erp,
            cause: OutageCause::Unreachable
        })
    );
    assert_eq!(
        err.to_string(),
        format!("Flow ERP at 127.0.0.1:{port}: connection refused")
    );
    let erp = FlowErp::new(client(&base));
    let started = Instant::now();
    let err = erp.product_groups().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(err.outage().map(|o| o.system), Some(System::Erp));
    assert!(err.to_string().contains("connection refused"), "{err}");
}
